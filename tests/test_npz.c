/* The npz reader: real rMD17, sGDML and ethanol files checked against values
 * read with numpy, and archives built here byte by byte (stored, deflated,
 * ZIP64) to drive every error path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../src/io/io.h"
#include "harness.h"

#define KCAL 0.04336410390059322 /* eV per kcal/mol, the npz default */

/* ------------------------------------------------------------ byte buffers */

typedef struct blob {
  unsigned char *p;
  size_t n, cap;
} blob;

static void put(blob *b, const void *d, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = 2 * (b->n + n) + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  if (n) memcpy(b->p + b->n, d, n);
  b->n += n;
}
static void put16(blob *b, unsigned v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  put(b, x, 2);
}
static void put32(blob *b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
static void put64(blob *b, uint64_t v) {
  put32(b, (uint32_t)v);
  put32(b, (uint32_t)(v >> 32));
}
static void set32(blob *b, size_t at, uint32_t v) {
  for (int k = 0; k < 4; k++) b->p[at + k] = (unsigned char)(v >> (8 * k));
}

/* An .npy v1.0 image, header padded so that data start at a multiple of 64
 * as numpy does. */
static blob npy(const char *descr, int fortran, const char *shape, const void *data, size_t n) {
  char h[256];
  int len = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                     fortran ? "True" : "False", shape);
  while ((10 + len + 1) % 64 != 0) h[len++] = ' ';
  h[len++] = '\n';
  blob b = {0};
  put(&b, "\x93NUMPY\x01\x00", 8);
  put16(&b, (unsigned)len);
  put(&b, h, (size_t)len);
  put(&b, data, n);
  return b;
}

/* ------------------------------------------------------------ zip builder */

enum { ZIP_DEFLATE = 1, ZIP_ZIP64 = 2 };

typedef struct spec {
  int n;
  char name[16][80];
  blob data[16];
} spec;

static void add(spec *s, const char *key, const char *descr, const char *shape, const void *data,
                size_t n) {
  snprintf(s->name[s->n], sizeof s->name[s->n], "%s.npy", key);
  s->data[s->n++] = npy(descr, 0, shape, data, n);
}

static void spec_free(spec *s) {
  for (int k = 0; k < s->n; k++) free(s->data[k].p);
  memset(s, 0, sizeof *s);
}

static blob deflate_raw(const blob *in) {
  blob out = {0};
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
  out.cap = deflateBound(&zs, (uLong)in->n) + 16;
  out.p = malloc(out.cap);
  zs.next_in = in->p;
  zs.avail_in = (uInt)in->n;
  zs.next_out = out.p;
  zs.avail_out = (uInt)out.cap;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
  out.n = zs.total_out;
  deflateEnd(&zs);
  return out;
}

/* A zip archive of the entries in s: local headers and data, the central
 * directory, and the end records (ZIP64 ones too with ZIP_ZIP64, where the
 * central headers then carry 0xFFFFFFFF and a ZIP64 extra field). */
static blob zip_build(const spec *s, int flags) {
  blob z = {0}, cd = {0};
  for (int k = 0; k < s->n; k++) {
    const blob *raw = &s->data[k];
    blob packed = (flags & ZIP_DEFLATE) ? deflate_raw(raw) : *raw;
    uint32_t crc = (uint32_t)crc32(0, raw->p, (uInt)raw->n);
    size_t off = z.n, nl = strlen(s->name[k]);
    unsigned method = (flags & ZIP_DEFLATE) ? 8 : 0;
    put32(&z, 0x04034b50);
    put16(&z, 45);
    put16(&z, 0);
    put16(&z, method);
    put32(&z, 0); /* time, date */
    put32(&z, crc);
    put32(&z, (uint32_t)packed.n);
    put32(&z, (uint32_t)raw->n);
    put16(&z, (unsigned)nl);
    put16(&z, 0);
    put(&z, s->name[k], nl);
    put(&z, packed.p, packed.n);

    int z64 = flags & ZIP_ZIP64;
    put32(&cd, 0x02014b50);
    put16(&cd, 45);
    put16(&cd, 45);
    put16(&cd, 0);
    put16(&cd, method);
    put32(&cd, 0);
    put32(&cd, crc);
    put32(&cd, z64 ? 0xFFFFFFFFu : (uint32_t)packed.n);
    put32(&cd, z64 ? 0xFFFFFFFFu : (uint32_t)raw->n);
    put16(&cd, (unsigned)nl);
    put16(&cd, z64 ? 28 : 0);
    put16(&cd, 0);
    put16(&cd, 0);
    put16(&cd, 0);
    put32(&cd, 0);
    put32(&cd, z64 ? 0xFFFFFFFFu : (uint32_t)off);
    put(&cd, s->name[k], nl);
    if (z64) {
      put16(&cd, 0x0001);
      put16(&cd, 24);
      put64(&cd, raw->n);
      put64(&cd, packed.n);
      put64(&cd, off);
    }
    if (flags & ZIP_DEFLATE) free(packed.p);
  }
  size_t cd_off = z.n;
  put(&z, cd.p, cd.n);
  if (flags & ZIP_ZIP64) {
    size_t e64 = z.n;
    put32(&z, 0x06064b50);
    put64(&z, 44);
    put16(&z, 45);
    put16(&z, 45);
    put32(&z, 0);
    put32(&z, 0);
    put64(&z, (uint64_t)s->n);
    put64(&z, (uint64_t)s->n);
    put64(&z, cd.n);
    put64(&z, cd_off);
    put32(&z, 0x07064b50);
    put32(&z, 0);
    put64(&z, e64);
    put32(&z, 1);
  }
  int z64 = flags & ZIP_ZIP64;
  put32(&z, 0x06054b50);
  put32(&z, 0);
  put16(&z, z64 ? 0xFFFF : (unsigned)s->n);
  put16(&z, z64 ? 0xFFFF : (unsigned)s->n);
  put32(&z, z64 ? 0xFFFFFFFFu : (uint32_t)cd.n);
  put32(&z, z64 ? 0xFFFFFFFFu : (uint32_t)cd_off);
  put16(&z, 0);
  free(cd.p);
  return z;
}

/* Writes bytes to a temporary .npz and reads it through tn_dataset_read. */
static tn_status read_bytes(tn_dataset *ds, const unsigned char *p, size_t n) {
  const char *path = harness_tmp("built.npz");
  FILE *f = fopen(path, "wb");
  if (!f) return TN_STATUS_IO;
  fwrite(p, 1, n, f);
  fclose(f);
  return tn_dataset_read(ds, path, NULL);
}

static tn_status read_spec(tn_dataset *ds, const spec *s, int flags) {
  blob z = zip_build(s, flags);
  tn_status st = read_bytes(ds, z.p, z.n);
  free(z.p);
  return st;
}

static int slurp(const char *path, unsigned char **p, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  *p = malloc((size_t)len + 1);
  *n = fread(*p, 1, (size_t)len, f);
  fclose(f);
  return *n == (size_t)len ? 0 : -1;
}

/* ------------------------------------------------- a small built molecule */

/* Water-like, 3 atoms, 2 frames: z (3) u1, R (2,3,3), E (2), F (2,3,3). */
static const uint8_t base_z[3] = {8, 1, 1};
static double base_r[2][3][3], base_f[2][3][3];
static const double base_e[2] = {-10.0, -11.5};

static void base_fill(void) {
  for (int f = 0; f < 2; f++)
    for (int i = 0; i < 3; i++)
      for (int k = 0; k < 3; k++) {
        base_r[f][i][k] = f + 0.5 * i + 0.125 * k;
        base_f[f][i][k] = -(f + 1.0) * (i + 1.0) + k;
      }
}

/* The base archive without the key `skip` (NULL for all). */
static void base(spec *s, const char *skip) {
  base_fill();
  if (!skip || strcmp(skip, "z")) add(s, "z", "|u1", "(3,)", base_z, sizeof base_z);
  if (!skip || strcmp(skip, "R")) add(s, "R", "<f8", "(2, 3, 3)", base_r, sizeof base_r);
  if (!skip || strcmp(skip, "E")) add(s, "E", "<f8", "(2,)", base_e, sizeof base_e);
  if (!skip || strcmp(skip, "F")) add(s, "F", "<f8", "(2, 3, 3)", base_f, sizeof base_f);
}

static int empty(const tn_dataset *ds) { return ds->n_frames == 0 && ds->n_columns == 0; }

/* ------------------------------------------------------------- real files */

static void test_rmd17_aspirin(void) {
  const char *path = harness_data("rmd17/rmd17_aspirin_train_01.npz");
  if (!path) SKIP("rmd17 data absent");
  tn_dataset *ds = tn_dataset_create();
  clock_t t0 = clock();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  CHECK(secs < 1.0);
  CHECK(ds->n_frames == 1000 && ds->n_atoms == 21000);
  int count[9] = {0};
  for (int i = 0; i < 21; i++)
    if (ds->species[i] < 9) count[ds->species[i]]++;
  CHECK(count[1] == 8 && count[6] == 9 && count[8] == 4);
  CHECK(ds->species[0] == 6 && ds->species[7] == 8 && ds->species[20] == 1);
  CHECK(ds->species[21 * 999 + 12] == 8);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *oe = tn_dataset_column(ds, "old_energies");
  const tn_column *of = tn_dataset_column(ds, "old_forces");
  const tn_column *oi = tn_dataset_column(ds, "old_indices");
  CHECK(e && fo && oe && of && oi && ds->n_columns == 5);
  if (!e || !fo || !oe || !of || !oi) goto done;
  CHECK_NEAR(e->values[0], -406273.7455991767 * KCAL, 1e-15, 0);
  CHECK_NEAR(e->values[999], -406281.0254567251 * KCAL, 1e-15, 0);
  CHECK_NEAR(tn_column_row(fo, 3)[1], 105.30249319048023 * KCAL, 1e-15, 0);
  CHECK(ds->pos[20][2] == 1.41993539);
  CHECK_NEAR(oe->values[5], -406736.0635318176 * KCAL, 1e-15, 0);
  CHECK_NEAR(tn_column_row(of, 7 * 21 + 2)[0], 54.86019820319095 * KCAL, 1e-15, 0);
  CHECK(oi->type == TN_COLUMN_TYPE_INT && oi->scope == TN_COLUMN_SCOPE_FRAME && oi->width == 1);
  CHECK(oi->values[0] == 179251 && oi->values[999] == 14298);
  CHECK(oe->scope == TN_COLUMN_SCOPE_FRAME && of->scope == TN_COLUMN_SCOPE_ATOM && of->width == 3);
  tn_frame fr;
  tn_dataset_frame(ds, 500, &fr);
  CHECK(fr.n_atoms == 21 && fr.pbc[0] == 0 && fr.pbc[1] == 0 && fr.pbc[2] == 0);
  CHECK(fr.cell[0][0] == 0 && fr.cell[1][1] == 0 && fr.cell[2][2] == 0);
done:
  tn_dataset_free(ds);
}

static void test_sgdml_ccsd_deflated(void) {
  const char *path = harness_data("md17_ccsd/aspirin_ccsd-train.npz");
  if (!path) SKIP("md17_ccsd data absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  CHECK(ds->n_frames == 1000 && ds->n_atoms == 21000);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  CHECK(e && fo);
  /* name, theory, md5 and type are 0-d strings: metadata, skipped. */
  CHECK(ds->n_columns == 2 && !tn_dataset_column(ds, "name") && !tn_dataset_column(ds, "md5"));
  if (!e || !fo) goto done;
  CHECK(ds->species[0] == 6 && ds->species[12] == 8 && ds->species[13] == 1);
  CHECK_NEAR(e->values[0], -405681.587810313 * KCAL, 1e-15, 0);
  CHECK_NEAR(e->values[999], -405685.1410209613 * KCAL, 1e-15, 0);
  CHECK_NEAR(fo->values[0], -38.778973038395 * KCAL, 1e-15, 0);
  CHECK(ds->pos[10 * 21 + 5][1] == -0.558802084745);
done:
  tn_dataset_free(ds);
}

static void test_ethanol_per_frame_species(void) {
  const char *path = harness_data("ethanol_500K_1000K/ethanol_500K.npz");
  if (!path) SKIP("ethanol data absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  CHECK(ds->n_frames == 5000 && ds->n_atoms == 45000);
  static const int32_t z0[9] = {1, 6, 1, 1, 6, 1, 1, 8, 1};
  CHECK(memcmp(ds->species, z0, sizeof z0) == 0);
  CHECK(memcmp(ds->species + 9 * 4999, z0, sizeof z0) == 0);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *q = tn_dataset_column(ds, "Q");
  const tn_column *d = tn_dataset_column(ds, "D");
  const tn_column *n = tn_dataset_column(ds, "N");
  CHECK(e && fo && q && d && n && ds->n_columns == 5);
  if (!e || !fo || !q || !d || !n) goto done;
  /* float32 in the file: these are the exact float values, widened. */
  CHECK(e->values[0] == -97146.375 * KCAL);
  CHECK(e->values[4999] == -97144.71875 * KCAL);
  CHECK_NEAR(fo->values[1], 21.295047760009766 * KCAL, 1e-15, 0);
  CHECK(ds->pos[0][0] == 1.8884860277175903);
  CHECK(ds->pos[45000 - 1][2] == 1.3692381381988525);
  CHECK(q->scope == TN_COLUMN_SCOPE_ATOM && q->width == 1 && q->type == TN_COLUMN_TYPE_REAL);
  CHECK(d->scope == TN_COLUMN_SCOPE_FRAME && d->width == 3);
  CHECK(n->scope == TN_COLUMN_SCOPE_FRAME && n->type == TN_COLUMN_TYPE_INT && n->values[17] == 9);
done:
  tn_dataset_free(ds);
}

static const char *all_npz[] = {
    "rmd17/rmd17_aspirin_test_01.npz",       "rmd17/rmd17_aspirin_train_01.npz",
    "rmd17/rmd17_ethanol_test_01.npz",       "rmd17/rmd17_ethanol_train_01.npz",
    "rmd17/rmd17_malonaldehyde_test_01.npz", "rmd17/rmd17_malonaldehyde_train_01.npz",
    "rmd17/rmd17_uracil_test_01.npz",        "rmd17/rmd17_uracil_train_01.npz",
    "md17_ccsd/aspirin_ccsd-train.npz",      "ethanol_500K_1000K/ethanol_500K.npz",
    "ethanol_500K_1000K/ethanol_1000K.npz",
};

static void test_every_shared_npz(void) {
  if (!harness_data("rmd17")) SKIP("shared data absent");
  static const int atoms[] = {21, 21, 9, 9, 9, 9, 12, 12, 21, 9, 9};
  tn_dataset *all = tn_dataset_create();
  int64_t frames = 0;
  for (size_t k = 0; k < sizeof all_npz / sizeof *all_npz; k++) {
    const char *path = harness_data(all_npz[k]);
    CHECK(path != NULL);
    if (!path) continue;
    tn_dataset *ds = tn_dataset_create();
    CHECK_OK(tn_dataset_read(ds, path, NULL));
    CHECK(ds->n_frames >= 1000 && ds->n_atoms == ds->n_frames * atoms[k]);
    CHECK(tn_dataset_column(ds, TN_LABEL_ENERGY) && tn_dataset_column(ds, TN_LABEL_FORCES));
    tn_dataset_free(ds);
    /* The rMD17 files also append one after another into one data set. */
    if (k < 8) {
      CHECK_OK(tn_dataset_read(all, path, NULL));
      frames += 1000;
      CHECK(all->n_frames == frames);
    }
  }
  tn_dataset_free(all);
}

static void test_units_override(void) {
  const char *path = harness_data("rmd17/rmd17_aspirin_train_01.npz");
  if (!path) SKIP("rmd17 data absent");
  tn_dataset *ds = tn_dataset_create();
  tn_read_options opt = tn_read_options_default();
  opt.energy_unit = 1.0; /* as given */
  opt.length_unit = tn_length_unit("nm");
  CHECK_OK(tn_dataset_read(ds, path, &opt));
  CHECK(ds->n_frames == 1000);
  CHECK(ds->pos[20][2] == 1.41993539 * 10.0);
  CHECK(tn_dataset_column(ds, TN_LABEL_ENERGY)->values[0] == -406273.7455991767);
  CHECK_NEAR(tn_column_row(tn_dataset_column(ds, TN_LABEL_FORCES), 3)[1], 105.30249319048023 / 10.0,
             1e-15, 0);
  tn_dataset_free(ds);
}

/* ------------------------------------------------------- corrupted files */

static void test_truncated_files(void) {
  const char *paths[2] = {harness_data("md17_ccsd/aspirin_ccsd-train.npz"),
                          harness_data("rmd17/rmd17_ethanol_train_01.npz")};
  if (!paths[0] || !paths[1]) SKIP("shared data absent");
  tn_dataset *ds = tn_dataset_create();
  for (int p = 0; p < 2; p++) {
    unsigned char *buf;
    size_t n;
    CHECK(slurp(paths[p], &buf, &n) == 0);
    size_t cuts[] = {0, 3, 21, 100, 5000, n / 3, n / 2, n - 200, n - 23, n - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
      tn_status st = read_bytes(ds, buf, cuts[c]);
      CHECK(st == TN_STATUS_BAD_INPUT);
      CHECK(empty(ds));
      CHECK(strstr(tn_dataset_errmsg(ds), "built.npz") != NULL);
    }
    free(buf);
  }
  tn_dataset_free(ds);
}

static void test_corrupt_bytes(void) {
  const char *stored = harness_data("rmd17/rmd17_ethanol_train_01.npz");
  const char *deflated = harness_data("md17_ccsd/aspirin_ccsd-train.npz");
  if (!stored || !deflated) SKIP("shared data absent");
  tn_dataset *ds = tn_dataset_create();
  unsigned char *buf;
  size_t n;
  /* Stored: one flipped bit in the coordinates. */
  CHECK(slurp(stored, &buf, &n) == 0);
  buf[3000] ^= 0x10;
  CHECK(read_bytes(ds, buf, n) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "CRC") != NULL);
  CHECK(strstr(tn_dataset_errmsg(ds), "coords.npy") != NULL);
  CHECK(empty(ds));
  buf[3000] ^= 0x10;
  CHECK_OK(read_bytes(ds, buf, n));
  CHECK(ds->n_frames == 1000);
  /* A failed read after a good one leaves the earlier frames alone. */
  buf[n - 22 + 16] ^= 0x01; /* central directory offset in the EOCD record */
  CHECK(read_bytes(ds, buf, n) == TN_STATUS_BAD_INPUT);
  CHECK(ds->n_frames == 1000 && ds->n_columns == 5);
  free(buf);
  tn_dataset_truncate(ds, 0);

  /* Deflated: flipped bytes inside the compressed stream (several places, so
   * that both inflate errors and CRC mismatches occur). */
  CHECK(slurp(deflated, &buf, &n) == 0);
  size_t at[] = {200, 1000, 40000, 300000, 600000};
  for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
    buf[at[k]] ^= 0x5A;
    CHECK(read_bytes(ds, buf, n) == TN_STATUS_BAD_INPUT);
    CHECK(empty(ds));
    CHECK(strstr(tn_dataset_errmsg(ds), "zip entry") != NULL);
    buf[at[k]] ^= 0x5A;
  }
  CHECK_OK(read_bytes(ds, buf, n));
  free(buf);
  tn_dataset_free(ds);
}

/* --------------------------------------------------------- built archives */

static void test_built_variants_agree(void) {
  static const int flags[] = {0, ZIP_DEFLATE, ZIP_ZIP64, ZIP_DEFLATE | ZIP_ZIP64};
  for (int v = 0; v < 4; v++) {
    spec s = {0};
    base(&s, NULL);
    tn_dataset *ds = tn_dataset_create();
    CHECK_OK(read_spec(ds, &s, flags[v]));
    CHECK(ds->n_frames == 2 && ds->n_atoms == 6 && ds->species[3] == 8 && ds->species[5] == 1);
    CHECK(ds->pos[4][2] == 1.0 + 0.5 + 0.25);
    const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
    const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
    CHECK(e && fo && e->values[1] == -11.5 * KCAL);
    CHECK(fo && tn_column_row(fo, 5)[2] == (-6.0 + 2.0) * KCAL);
    spec_free(&s);
    tn_dataset_free(ds);
  }
}

static void test_built_dtypes(void) {
  spec s = {0};
  /* Big-endian positions, float32 energies (F, 1), int16 per-atom labels,
   * bools per frame, a Fortran-ordered 1-D array, a 0-d string. */
  unsigned char r_be[2 * 3 * 3 * 8];
  base_fill();
  for (int k = 0; k < 18; k++) {
    uint64_t bits;
    memcpy(&bits, &base_r[0][0][0] + k, 8);
    for (int b = 0; b < 8; b++) r_be[8 * k + b] = (unsigned char)(bits >> (56 - 8 * b));
  }
  const float e32[2] = {-10.25f, 3.5f};
  const int16_t lab[2][3] = {{-1, 2, -300}, {4, 5, 32767}};
  const uint8_t flag[2] = {1, 0};
  const int64_t idx[2] = {-5, 1234567890123};
  const uint32_t uz[3] = {8, 1, 1};
  add(&s, "Z", "<u4", "(3,)", uz, sizeof uz);
  add(&s, "coords", ">f8", "(2, 3, 3)", r_be, sizeof r_be);
  add(&s, "energies", "<f4", "(2, 1)", e32, sizeof e32);
  add(&s, "lab", "<i2", "(2, 3)", lab, sizeof lab);
  add(&s, "ok", "|b1", "(2,)", flag, sizeof flag);
  add(&s, "name", "<U4", "()", "a\0\0\0b\0\0\0c\0\0\0d\0\0\0", 16);
  add(&s, "other", "<f8", "(5,)", base_r, 40); /* leading dim not F: skipped */
  s.data[s.n] = npy("<i8", 1, "(2,)", idx, sizeof idx);
  snprintf(s.name[s.n++], 80, "idx.npy");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_spec(ds, &s, ZIP_DEFLATE));
  CHECK(ds->n_frames == 2 && ds->species[0] == 8);
  CHECK(ds->pos[4][2] == 1.0 + 0.5 + 0.25);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *lc = tn_dataset_column(ds, "lab");
  const tn_column *ok = tn_dataset_column(ds, "ok");
  const tn_column *ic = tn_dataset_column(ds, "idx");
  CHECK(e && lc && ok && ic && ds->n_columns == 4);
  if (e && lc && ok && ic) {
    CHECK(e->values[0] == -10.25 * KCAL && e->values[1] == 3.5 * KCAL);
    CHECK(lc->scope == TN_COLUMN_SCOPE_ATOM && lc->type == TN_COLUMN_TYPE_INT);
    CHECK(lc->values[2] == -300 && lc->values[5] == 32767);
    CHECK(ok->type == TN_COLUMN_TYPE_BOOL && ok->values[0] == 1 && ok->values[1] == 0);
    CHECK(ic->values[0] == -5 && ic->values[1] == 1234567890123.0);
  }
  spec_free(&s);
  tn_dataset_free(ds);
}

/* Ethanol-style padding: per-frame Z with zeros past N atoms. */
static void test_built_atom_counts(void) {
  spec s = {0};
  const int32_t z[2][3] = {{8, 1, 0}, {8, 1, 1}};
  const int32_t nat[2] = {2, 3};
  double r[2][3][3] = {{{0}}}, q[2][3] = {{0.1, 0.2, 99}, {0.3, 0.4, 0.5}};
  r[0][2][0] = NAN; /* padding: never read */
  r[1][2][1] = 7.0;
  add(&s, "Z", "<i4", "(2, 3)", z, sizeof z);
  add(&s, "N", "<i4", "(2,)", nat, sizeof nat);
  add(&s, "R", "<f8", "(2, 3, 3)", r, sizeof r);
  add(&s, "Q", "<f8", "(2, 3)", q, sizeof q);
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_spec(ds, &s, 0));
  CHECK(ds->n_frames == 2 && ds->n_atoms == 5 && ds->atom_start[1] == 2);
  CHECK(ds->species[2] == 8 && ds->species[4] == 1 && ds->pos[4][1] == 7.0);
  const tn_column *qc = tn_dataset_column(ds, "Q");
  CHECK(qc && qc->values[1] == 0.2 && qc->values[2] == 0.3 && qc->values[4] == 0.5);
  spec_free(&s);

  /* N out of range. */
  const int32_t bad_n[2] = {2, 4};
  add(&s, "Z", "<i4", "(2, 3)", z, sizeof z);
  add(&s, "N", "<i4", "(2,)", bad_n, sizeof bad_n);
  add(&s, "R", "<f8", "(2, 3, 3)", r, sizeof r);
  CHECK(read_spec(ds, &s, 0) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "key 'N'") != NULL);
  CHECK(ds->n_frames == 2);
  spec_free(&s);
  tn_dataset_free(ds);
}

/* Replaces key `key` of the base archive with the given array. */
static tn_status read_variant(tn_dataset *ds, const char *key, const char *descr, const char *shape,
                              const void *data, size_t n, int fortran) {
  spec s = {0};
  base(&s, key);
  if (descr) {
    s.data[s.n] = npy(descr, fortran, shape, data, n);
    snprintf(s.name[s.n++], 80, "%s.npy", key);
  }
  tn_dataset_truncate(ds, 0);
  tn_status st = read_spec(ds, &s, 0);
  spec_free(&s);
  return st;
}

static int msg_has(const tn_dataset *ds, const char *a, const char *b) {
  const char *m = tn_dataset_errmsg(ds);
  int ok = strstr(m, a) != NULL && (!b || strstr(m, b) != NULL);
  if (!ok) fprintf(stderr, "  message: %s\n", m);
  return ok;
}

static void test_built_errors(void) {
  tn_dataset *ds = tn_dataset_create();
  double buf[64] = {0};
  base_fill();

  /* Missing roles. */
  CHECK(read_variant(ds, "R", NULL, NULL, NULL, 0, 0) == TN_STATUS_NOT_FOUND);
  CHECK(msg_has(ds, "built.npz", "'R'") && empty(ds));
  CHECK(read_variant(ds, "z", NULL, NULL, NULL, 0, 0) == TN_STATUS_NOT_FOUND);
  CHECK(msg_has(ds, "built.npz", "'z'") && empty(ds));

  /* Shapes. */
  CHECK(read_variant(ds, "F", "<f8", "(1, 3, 3)", buf, 72, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'F'", "(1, 3, 3)") && empty(ds));
  CHECK(read_variant(ds, "R", "<f8", "(2, 3, 2)", base_r, 96, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'R'", NULL));
  CHECK(read_variant(ds, "z", "|u1", "(4,)", "\x08\x01\x01\x01", 4, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'z'", "(4,)"));
  CHECK(read_variant(ds, "E", "<f8", "(3,)", buf, 24, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'E'", NULL));
  CHECK(read_variant(ds, "R", "<f8", "(2, 0, 3)", buf, 0, 0) == TN_STATUS_BAD_INPUT);
  CHECK(read_variant(ds, "R", "|S1", "(18,)", "abcdefghijklmnopqr", 18, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'R'", "text"));
  /* Data size disagrees with the header. */
  CHECK(read_variant(ds, "E", "<f8", "(2,)", buf, 15, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'E'", "data bytes"));

  /* Species and positions. */
  CHECK(read_variant(ds, "z", "|u1", "(3,)", "\x08\x00\x01", 3, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'z'", "atomic number 0"));
  CHECK(read_variant(ds, "z", "<i2", "(3,)", "\x08\x00\x77\x00\x01\x00", 6, 0) ==
        TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "atomic number 119", NULL));
  double r_nan[2][3][3];
  memcpy(r_nan, base_r, sizeof r_nan);
  r_nan[1][2][0] = INFINITY;
  CHECK(read_variant(ds, "R", "<f8", "(2, 3, 3)", r_nan, sizeof r_nan, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'R'", "frame 1, atom 2") && empty(ds));

  /* Unsupported dtypes and layouts. */
  CHECK(read_variant(ds, "E", "<c16", "(2,)", buf, 32, 0) == TN_STATUS_UNSUPPORTED);
  CHECK(msg_has(ds, "key 'E'", "<c16"));
  CHECK(read_variant(ds, "E", "|O", "(2,)", buf, 16, 0) == TN_STATUS_UNSUPPORTED);
  CHECK(read_variant(ds, "E", "<f2", "(2,)", buf, 4, 0) == TN_STATUS_UNSUPPORTED);
  /* Fortran order (sGDML writes R and F so) is transposed to C order. */
  double fort[18];
  for (int f = 0; f < 2; f++)
    for (int i = 0; i < 3; i++)
      for (int k = 0; k < 3; k++) fort[f + 2 * (i + 3 * k)] = base_f[f][i][k];
  CHECK_OK(read_variant(ds, "F", "<f8", "(2, 3, 3)", fort, sizeof fort, 1));
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  int same = fo != NULL;
  for (int k = 0; k < 18 && same; k++) same = fo->values[k] == (&base_f[0][0][0])[k] * KCAL;
  CHECK(same);
  CHECK_OK(read_variant(ds, "E", "<f8", "(2,)", base_e, 16, 1)); /* 1-D: order moot */
  CHECK(read_variant(ds, "energy", "<f8", "(2,)", base_e, 16, 0) == TN_STATUS_UNSUPPORTED);
  CHECK(msg_has(ds, "key 'energy'", NULL));
  tn_dataset_free(ds);
}

/* Headers written by hand: bad magic, versions, dict syntax. */
static void test_built_headers(void) {
  tn_dataset *ds = tn_dataset_create();
  struct {
    const char *header;
    tn_status want;
  } cases[] = {
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", TN_STATUS_OK},
      {"{\"descr\":\"<f8\",\"shape\":(2L,),\"fortran_order\":False}", TN_STATUS_OK},
      {"{'descr': '<f8', 'fortran_order': False}", TN_STATUS_BAD_INPUT},
      {"{'descr': '<f8', 'fortran_order': Nope, 'shape': (2,)}", TN_STATUS_BAD_INPUT},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", TN_STATUS_BAD_INPUT},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} junk", TN_STATUS_BAD_INPUT},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': [2]}", TN_STATUS_BAD_INPUT},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}",
       TN_STATUS_BAD_INPUT},
      {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", TN_STATUS_UNSUPPORTED},
      {"['descr']", TN_STATUS_BAD_INPUT},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    spec s = {0};
    base(&s, "E");
    blob b = {0};
    put(&b, "\x93NUMPY\x01\x00", 8);
    put16(&b, (unsigned)strlen(cases[c].header) + 1);
    put(&b, cases[c].header, strlen(cases[c].header));
    put(&b, "\n", 1);
    put(&b, base_e, sizeof base_e);
    s.data[s.n] = b;
    snprintf(s.name[s.n++], 80, "E.npy");
    tn_dataset_truncate(ds, 0);
    tn_status st = read_spec(ds, &s, 0);
    CHECK(st == cases[c].want);
    if (st != cases[c].want) fprintf(stderr, "  case %zu: %s\n", c, tn_dataset_errmsg(ds));
    if (st != TN_STATUS_OK) CHECK(msg_has(ds, "key 'E'", NULL));
    spec_free(&s);
  }
  /* Versions 2.0 and 3.0 use a 4-byte header length; 4.0 does not exist. */
  for (int v = 2; v <= 4; v++) {
    spec s = {0};
    base(&s, "E");
    const char *h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}\n";
    blob b = {0};
    unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)v, 0};
    put(&b, magic, 8);
    put32(&b, (uint32_t)strlen(h));
    put(&b, h, strlen(h));
    put(&b, base_e, sizeof base_e);
    s.data[s.n] = b;
    snprintf(s.name[s.n++], 80, "E.npy");
    tn_dataset_truncate(ds, 0);
    CHECK(read_spec(ds, &s, 0) == (v < 4 ? TN_STATUS_OK : TN_STATUS_UNSUPPORTED));
    spec_free(&s);
  }
  /* Not an npy image at all. */
  {
    spec s = {0};
    base(&s, "E");
    blob b = {0};
    put(&b, "PICKLE-ish data", 15);
    s.data[s.n] = b;
    snprintf(s.name[s.n++], 80, "E.npy");
    CHECK(read_spec(ds, &s, ZIP_DEFLATE) == TN_STATUS_BAD_INPUT);
    CHECK(msg_has(ds, "key 'E'", "magic"));
    spec_free(&s);
  }
  tn_dataset_free(ds);
}

/* Zip-level damage on a built archive, at known offsets. */
static void test_built_zip_damage(void) {
  tn_dataset *ds = tn_dataset_create();
  spec s = {0};
  base(&s, NULL);
  blob z = zip_build(&s, 0);
  size_t eocd = z.n - 22, cd = 0;
  for (int b = 0; b < 4; b++) cd |= (size_t)z.p[eocd + 16 + b] << (8 * b);

  /* Directory entry count larger than the directory can hold. */
  blob t = {0};
  put(&t, z.p, z.n);
  t.p[eocd + 10] = 200;
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "central directory", NULL));
  /* Central directory bad signature. */
  memcpy(t.p, z.p, z.n);
  t.p[cd] = 'X';
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  /* Compressed size pointing past the end. */
  memcpy(t.p, z.p, z.n);
  set32(&t, cd + 20, 0x7FFFFFF0u);
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "z.npy", "past the end"));
  /* Local header offset pointing at garbage. */
  memcpy(t.p, z.p, z.n);
  set32(&t, cd + 42, 5);
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "local header", NULL));
  /* Stored entry whose sizes disagree. */
  memcpy(t.p, z.p, z.n);
  set32(&t, cd + 24, 2);
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  /* Unknown compression method (12, bzip2) and encryption. */
  memcpy(t.p, z.p, z.n);
  t.p[cd + 10] = 12;
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_UNSUPPORTED);
  CHECK(msg_has(ds, "z.npy", "method 12"));
  memcpy(t.p, z.p, z.n);
  t.p[cd + 8] = 1;
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_UNSUPPORTED);
  /* Multi-disk archive. */
  memcpy(t.p, z.p, z.n);
  t.p[eocd + 4] = 1;
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_UNSUPPORTED);
  /* A central directory claiming ZIP64 sizes without the extra field. */
  memcpy(t.p, z.p, z.n);
  set32(&t, cd + 24, 0xFFFFFFFFu);
  CHECK(read_bytes(ds, t.p, t.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "ZIP64", NULL));
  /* The same key twice. */
  spec d = {0};
  base(&d, NULL);
  add(&d, "E", "<f8", "(2,)", base_e, sizeof base_e);
  CHECK(read_spec(ds, &d, 0) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "key 'E'", "twice"));
  spec_free(&d);
  /* Non-.npy entries are ignored. */
  base(&d, NULL);
  snprintf(d.name[d.n], 80, "README.txt");
  put(&d.data[d.n++], "hello", 5);
  CHECK_OK(read_spec(ds, &d, ZIP_DEFLATE));
  spec_free(&d);
  CHECK(empty(ds) == 0);
  free(t.p);
  free(z.p);
  spec_free(&s);

  /* Deflated: declared size larger than the stream holds, and an absurd
   * declared size that must be refused before allocating it. */
  base(&s, NULL);
  z = zip_build(&s, ZIP_DEFLATE);
  eocd = z.n - 22;
  cd = 0;
  for (int b = 0; b < 4; b++) cd |= (size_t)z.p[eocd + 16 + b] << (8 * b);
  uint32_t size0 = 0;
  for (int b = 0; b < 4; b++) size0 |= (uint32_t)z.p[cd + 24 + b] << (8 * b);
  set32(&z, cd + 24, size0 + 1);
  tn_dataset_truncate(ds, 0);
  CHECK(read_bytes(ds, z.p, z.n) == TN_STATUS_BAD_INPUT && empty(ds));
  CHECK(msg_has(ds, "z.npy", "before the declared size"));
  set32(&z, cd + 24, size0 - 1);
  CHECK(read_bytes(ds, z.p, z.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "z.npy", "more than the declared size"));
  set32(&z, cd + 24, 0xFFFFFFF0u);
  CHECK(read_bytes(ds, z.p, z.n) == TN_STATUS_BAD_INPUT);
  CHECK(msg_has(ds, "impossible", NULL));
  free(z.p);
  spec_free(&s);
  tn_dataset_free(ds);
}

/* Writes the seed corpus for the fuzz target; runs only with
 * TANNE_WRITE_CORPUS=1 set, from the repository root. The files are
 * committed under fuzz/corpus/npz. */
static void test_write_corpus(void) {
  static const int flags[] = {0, ZIP_DEFLATE, ZIP_ZIP64, ZIP_DEFLATE | ZIP_ZIP64};
  static const char *names[] = {"stored", "deflated", "zip64", "zip64_deflated"};
  for (int v = 0; v < 4; v++) {
    spec s = {0};
    base(&s, NULL);
    if (v == 1) add(&s, "name", "|S4", "()", "wate", 4);
    if (v == 3) {
      const int32_t nat[2] = {3, 2};
      add(&s, "N", "<i4", "(2,)", nat, sizeof nat);
    }
    blob z = zip_build(&s, flags[v]);
    char path[256];
    snprintf(path, sizeof path, "fuzz/corpus/npz/%s.zip", names[v]);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) fwrite(z.p, 1, z.n, f), fclose(f);
    free(z.p);
    spec_free(&s);
  }
}

int main(void) {
  RUN(test_rmd17_aspirin);
  RUN(test_sgdml_ccsd_deflated);
  RUN(test_ethanol_per_frame_species);
  RUN(test_every_shared_npz);
  RUN(test_units_override);
  RUN(test_truncated_files);
  RUN(test_corrupt_bytes);
  RUN(test_built_variants_agree);
  RUN(test_built_dtypes);
  RUN(test_built_atom_counts);
  RUN(test_built_errors);
  RUN(test_built_headers);
  RUN(test_built_zip_damage);
  if (getenv("TANNE_WRITE_CORPUS")) RUN(test_write_corpus);
  return harness_finish();
}
