/* Extended XYZ: reading the shared data sets, ASE's grammar, units, write ->
 * read round trips, interoperability with ASE itself, and one test per
 * error the reader and writer report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ----------------------------------------------------------------- helpers */

static tn_status read_mem(tn_dataset *ds, const char *text, size_t len, double eu, double lu) {
  const char *path = harness_tmp("case.xyz");
  FILE *f = fopen(path, "wb");
  if (!f) return TN_STATUS_IO;
  fwrite(text, 1, len, f);
  fclose(f);
  tn_read_options opt = tn_read_options_default();
  opt.energy_unit = eu;
  opt.length_unit = lu;
  return tn_dataset_read(ds, path, &opt);
}

static tn_status read_text(tn_dataset *ds, const char *text) {
  return read_mem(ds, text, strlen(text), 0.0, 0.0);
}

static const double *col_row(const tn_dataset *ds, const char *name, int64_t r) {
  const tn_column *c = tn_dataset_column(ds, name);
  return c ? tn_column_row(c, r) : NULL;
}

/* Reads text, which must fail with status want and a message holding each
 * of the (up to two) needles; a failed read must leave ds empty. */
static void bad_case(int line, const char *text, size_t len, tn_status want, const char *n1,
                     const char *n2) {
  tn_dataset *ds = tn_dataset_create();
  tn_status st = read_mem(ds, text, len, 0.0, 0.0);
  const char *msg = tn_dataset_errmsg(ds);
  int ok = st == want && strstr(msg, n1) && (!n2 || strstr(msg, n2)) && ds->n_frames == 0 &&
           ds->n_columns == 0;
  if (!ok)
    fprintf(stderr, "  case at line %d: status '%s' (want '%s'), message: %s\n", line,
            tn_status_str(st), tn_status_str(want), msg);
  harness_check(ok, __FILE__, line, "bad input rejected with the expected message");
  tn_dataset_free(ds);
}

#define BAD(text, want, n1, n2) bad_case(__LINE__, text, strlen(text), want, n1, n2)

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
  fclose(f);
  if (buf) buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------- shared data */

static void test_cu_emt(void) {
  const char *path = harness_data("cu_emt_peratom/Cu-cubic.xyz");
  if (!path) SKIP("cu_emt_peratom/Cu-cubic.xyz absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  CHECK(ds->n_frames == 15 && ds->n_atoms == 60);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *fe = tn_dataset_column(ds, "free_energy");
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *ea = tn_dataset_column(ds, TN_LABEL_ENERGIES);
  CHECK(e && fe && fo && ea);
  if (!e || !fe || !fo || !ea || ds->n_frames != 15) goto done;
  CHECK(fo->scope == TN_COLUMN_SCOPE_ATOM && fo->width == 3 && ea->width == 1);
  CHECK(fe->scope == TN_COLUMN_SCOPE_FRAME && fe->type == TN_COLUMN_TYPE_REAL);
  CHECK(e->values[0] == -0.017391652023890813);
  CHECK(fe->values[0] == -0.017391652023890813);
  CHECK(e->values[14] == -0.018288343723298794);
  for (int64_t a = 0; a < ds->n_atoms; a++) CHECK(ds->species[a] == 29);
  for (int64_t f = 0; f < 15; f++) {
    CHECK(ds->pbc[f][0] && ds->pbc[f][1] && ds->pbc[f][2]);
    CHECK(ds->cell[f][0][0] == 3.61 && ds->cell[f][1][1] == 3.61 && ds->cell[f][2][2] == 3.61);
    CHECK(ds->cell[f][0][1] == 0.0 && ds->cell[f][2][0] == 0.0);
  }
  CHECK(ds->pos[1][0] == 0.02240893 && ds->pos[1][1] == 1.82367558 && ds->pos[1][2] == 1.79522722);
  const double *f0 = tn_column_row(fo, 0);
  CHECK(f0[0] == -0.08717844 && f0[1] == 0.04962473 && f0[2] == -0.12179229);
  CHECK(tn_column_row(ea, 0)[0] == -0.00472427);
  CHECK(tn_column_row(ea, 59)[0] == -0.00553723);
  CHECK(ds->pos[59][2] == 0.00014661);
  CHECK(tn_column_row(fo, 58)[1] == -0.10330832);
done:
  tn_dataset_free(ds);
}

static void test_qm7_hf_atomic(void) {
  const char *path = harness_data("qm7_hf_atomic/qm7_hf_atomic.xyz");
  if (!path) SKIP("qm7_hf_atomic/qm7_hf_atomic.xyz absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  CHECK(ds->n_frames == 700);
  const tn_column *ao = tn_dataset_column(ds, "energies_ao");
  const tn_column *mo = tn_dataset_column(ds, "energies_mo");
  const tn_column *src = tn_dataset_column(ds, "source");
  const tn_column *basis = tn_dataset_column(ds, "basis");
  CHECK(ao && mo && src && basis);
  if (!ao || !mo || !src || !basis || ds->n_frames != 700) goto done;
  CHECK(ao->scope == TN_COLUMN_SCOPE_ATOM && ao->type == TN_COLUMN_TYPE_REAL);
  CHECK(src->type == TN_COLUMN_TYPE_STRING && strcmp(tn_column_text(src, 0), "qm7/0003") == 0);
  CHECK(strcmp(tn_column_text(src, 699), "qm7/1167") == 0);
  CHECK(strcmp(tn_column_text(basis, 5), "6-31g*") == 0);
  CHECK(col_row(ds, TN_LABEL_ENERGY, 0)[0] == -2123.34206582);
  CHECK(col_row(ds, TN_LABEL_ENERGY, 699)[0] == -18074.72746232);
  CHECK(ds->atom_start[1] == 6 && ds->species[0] == 6 && ds->species[2] == 1);
  CHECK(ds->pos[0][0] == 0.936129 && ds->pos[0][2] == -0.07433);
  CHECK(tn_column_row(ao, 0)[0] == -1032.28316172 && tn_column_row(mo, 0)[0] == -1036.73682005);
  CHECK(tn_column_row(mo, 1)[0] == -1036.73681642);
  int64_t last = ds->n_atoms - 1;
  CHECK(tn_column_row(ao, last)[0] == -14.28779035 && ds->pos[last][1] == -2.027493);
  int open = 1;
  for (int64_t f = 0; f < ds->n_frames; f++)
    open &= !ds->pbc[f][0] && !ds->pbc[f][1] && !ds->pbc[f][2] && ds->cell[f][1][1] == 0.0;
  CHECK(open);
  /* The partitions sum to the total energy (to the file's 8 decimals). */
  double sum = 0;
  for (int64_t a = ds->atom_start[0]; a < ds->atom_start[1]; a++) sum += tn_column_row(ao, a)[0];
  CHECK_NEAR(sum, -2123.34206582, 0, 1e-6);
done:
  tn_dataset_free(ds);
}

static void test_qm7_speed(void) {
  const char *path = harness_data("qm7/qm7.xyz");
  if (!path) SKIP("qm7/qm7.xyz absent");
  tn_dataset *ds = tn_dataset_create();
  double t0 = seconds_now();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  double dt = seconds_now() - t0;
#if defined(__SANITIZE_ADDRESS__)
  double limit = 5.0; /* ASan and UBSan slow everything several times */
#else
  double limit = 1.0;
#endif
  printf("  qm7.xyz: %lld frames, %lld atoms read in %.3f s\n", (long long)ds->n_frames,
         (long long)ds->n_atoms, dt);
  CHECK(dt < limit);
  CHECK(ds->n_frames == 7101);
  const tn_column *pbe0 = tn_dataset_column(ds, "hof_pbe0");
  const tn_column *dftb = tn_dataset_column(ds, "hof_dftb3");
  const tn_column *units = tn_dataset_column(ds, "units_energy");
  CHECK(pbe0 && dftb && units);
  if (!pbe0 || !dftb || !units || ds->n_frames != 7101) goto done;
  CHECK(pbe0->type == TN_COLUMN_TYPE_REAL && pbe0->values[0] == -417.031); /* raw, kcal/mol */
  CHECK(dftb->values[0] == -431.787271961);
  CHECK(strcmp(tn_column_text(units, 0), "kcal/mol") == 0);
  CHECK(ds->atom_start[1] == 5 && ds->species[0] == 6 && ds->pos[1][0] == 2.130894);
  CHECK(ds->pos[ds->n_atoms - 1][0] == 2.606734 && ds->species[ds->n_atoms - 1] == 1);
  CHECK(tn_dataset_column(ds, TN_LABEL_ENERGY) == NULL);
done:
  tn_dataset_free(ds);
}

/* ------------------------------------------------------------- grammar */

static void test_grammar(void) {
  /* CRLF line ends, braces, single quotes, escapes, bare keys, commas,
   * spaces around '=', a repeated key, Voigt stress, aliases. */
  const char *text =
      "2\r\n"
      "Lattice={1 0 0 0 2 0 0.5 0 3} Properties=Z:I:1:positions:R:3:force:R:3:energy:R:1:"
      "tag:S:1:charge:I:1:fixed:L:1 note='single quoted' esc=\"a \\\"q\\\" b\" arr=[1, 2, 3] "
      "flag mixed=\"1 2.5\" flags=\"T F T\" step = 5 step=6 stress=\"1 2 3 4 5 6\" "
      "pbc=\"T F T\" big=12345678901234567890 uid=007 nan_val=nan\r\n"
      "8 0.5 0.25 0.125 1 2 3 -1.5 a 3 T\r\n"
      "1 -1 -2 -3 4 5 6 -2.5 b -4 F\r\n"
      "\r\n\r\n";
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_text(ds, text));
  if (ds->n_frames != 1) {
    fprintf(stderr, "  %s\n", tn_dataset_errmsg(ds));
    tn_dataset_free(ds);
    CHECK(0);
    return;
  }
  CHECK(ds->species[0] == 8 && ds->species[1] == 1);
  CHECK(ds->pos[1][2] == -3.0 && ds->cell[0][2][0] == 0.5 && ds->cell[0][1][1] == 2.0);
  CHECK(ds->pbc[0][0] == 1 && ds->pbc[0][1] == 0 && ds->pbc[0][2] == 1);
  CHECK(col_row(ds, TN_LABEL_FORCES, 1)[2] == 6.0);
  CHECK(col_row(ds, TN_LABEL_ENERGIES, 1)[0] == -2.5);
  const tn_column *charge = tn_dataset_column(ds, "charge");
  const tn_column *fixed = tn_dataset_column(ds, "fixed");
  CHECK(charge && charge->type == TN_COLUMN_TYPE_INT && charge->values[1] == -4.0);
  CHECK(fixed && fixed->type == TN_COLUMN_TYPE_BOOL && fixed->values[0] == 1.0 &&
        fixed->values[1] == 0.0);
  CHECK(tn_dataset_column(ds, "tag") == NULL); /* per-atom text is skipped */
  CHECK(strcmp(tn_column_text(tn_dataset_column(ds, "note"), 0), "single quoted") == 0);
  CHECK(strcmp(tn_column_text(tn_dataset_column(ds, "esc"), 0), "a \"q\" b") == 0);
  const tn_column *arr = tn_dataset_column(ds, "arr");
  CHECK(arr && arr->type == TN_COLUMN_TYPE_INT && arr->width == 3 && arr->values[2] == 3.0);
  const tn_column *flag = tn_dataset_column(ds, "flag");
  CHECK(flag && flag->type == TN_COLUMN_TYPE_BOOL && flag->width == 1 && flag->values[0] == 1.0);
  const tn_column *mixed = tn_dataset_column(ds, "mixed");
  CHECK(mixed && mixed->type == TN_COLUMN_TYPE_REAL && mixed->values[1] == 2.5);
  const tn_column *flags = tn_dataset_column(ds, "flags");
  CHECK(flags && flags->type == TN_COLUMN_TYPE_BOOL && flags->width == 3 &&
        flags->values[1] == 0.0 && flags->values[2] == 1.0);
  const tn_column *step = tn_dataset_column(ds, "step");
  CHECK(step && step->type == TN_COLUMN_TYPE_INT && step->values[0] == 6.0);
  const double *s = col_row(ds, TN_LABEL_STRESS, 0);
  CHECK(s && s[0] == 1 && s[4] == 2 && s[8] == 3 && s[5] == 4 && s[7] == 4 && s[2] == 5 &&
        s[6] == 5 && s[1] == 6 && s[3] == 6);
  const tn_column *big = tn_dataset_column(ds, "big");
  CHECK(big && big->type == TN_COLUMN_TYPE_REAL && big->values[0] == 12345678901234567890.0);
  CHECK(strcmp(tn_column_text(tn_dataset_column(ds, "uid"), 0), "007") == 0);
  CHECK(isnan(col_row(ds, "nan_val", 0)[0]));
  tn_dataset_free(ds);

  /* 9-value stress in ASE's (Fortran) order; no trailing newline; a
   * zero-atom frame; case-folded symbols; pbc spellings. */
  ds = tn_dataset_create();
  CHECK_OK(read_text(ds, "1\nstress=\"1 2 3 4 5 6 7 8 9\" pbc=\"1 1 0\"\ncu 0 0 0\n"
                         "0\npbc=\"True False true\"\n"
                         "1\nLattice=\"2 0 0 0 2 0 0 0 2\"\nCU 1 1 1\n"
                         "1\nLattice=\"2 0 0 0 2 0 0 0 2\" pbc=F\nAr 1 1 1\n"
                         "1\npbc\nHe 0 0 0"));
  CHECK(ds->n_frames == 5 && ds->n_atoms == 4);
  if (ds->n_frames == 5) {
    s = col_row(ds, TN_LABEL_STRESS, 0);
    CHECK(s[1] == 4 && s[3] == 2 && s[2] == 7 && s[5] == 8 && s[7] == 6);
    CHECK(ds->species[0] == 29 && ds->species[1] == 29 && ds->species[3] == 2);
    CHECK(ds->pbc[0][0] && ds->pbc[0][1] && !ds->pbc[0][2]);
    CHECK(ds->pbc[1][0] && !ds->pbc[1][1] && ds->pbc[1][2]);
    CHECK(ds->pbc[2][0] && ds->pbc[2][1] && ds->pbc[2][2]); /* Lattice implies T T T */
    CHECK(!ds->pbc[3][0] && !ds->pbc[3][1] && !ds->pbc[3][2] && ds->cell[3][0][0] == 2.0);
    CHECK(ds->pbc[4][0] && ds->pbc[4][2] && ds->cell[4][0][0] == 0.0);
    CHECK(ds->atom_start[2] - ds->atom_start[1] == 0);
  }
  tn_dataset_free(ds);
}

/* Integers meeting reals become reals; text stays text; absent keys are
 * absent, not zero-valued. */
static void test_types_across_frames(void) {
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_text(ds, "1\ncharge=1 label=abc\nH 0 0 0\n"
                         "1\ncharge=0.5 label=12\nH 0 0 0\n"
                         "1\nlabel=\"x y\"\nH 0 0 0\n"));
  const tn_column *q = tn_dataset_column(ds, "charge");
  const tn_column *l = tn_dataset_column(ds, "label");
  CHECK(q && l && ds->n_frames == 3);
  if (q && l && ds->n_frames == 3) {
    CHECK(q->type == TN_COLUMN_TYPE_REAL && q->values[0] == 1.0 && q->values[1] == 0.5);
    CHECK(q->present[1] && !q->present[2]);
    CHECK(l->type == TN_COLUMN_TYPE_STRING && strcmp(tn_column_text(l, 1), "12") == 0);
  }
  tn_dataset_free(ds);

  /* Found by fuzzing: "-0" is the integer 0 (not -0.0, which writes back as
   * 0); a bare uid is the text "T", as ASE keeps uid unparsed. */
  ds = tn_dataset_create();
  CHECK_OK(read_text(ds, "1\nn=-0 uid\nH 0 0 0\n"));
  const tn_column *nz = tn_dataset_column(ds, "n"), *uid = tn_dataset_column(ds, "uid");
  CHECK(nz && nz->type == TN_COLUMN_TYPE_INT && nz->values[0] == 0.0 && !signbit(nz->values[0]));
  CHECK(uid && uid->type == TN_COLUMN_TYPE_STRING && strcmp(tn_column_text(uid, 0), "T") == 0);
  tn_dataset_free(ds);
}

static void test_units(void) {
  double kcal = tn_energy_unit("kcal/mol"), bohr = tn_length_unit("Bohr");
  const char *text = "1\nLattice=\"10 0 0 0 10 0 0 0 10\" "
                     "Properties=species:S:1:pos:R:3:forces:R:3:energies:R:1:energies_x:R:1:"
                     "velo:R:1 energy=-2 free_energy=-2 stress=\"1 0 0 0 1 0 0 0 1\"\n"
                     "H 1 2 3 4 5 6 7 8 9\n";
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_mem(ds, text, strlen(text), kcal, bohr));
  if (ds->n_frames == 1) {
    CHECK_NEAR(ds->pos[0][1], 2 * bohr, 1e-15, 0);
    CHECK_NEAR(ds->cell[0][2][2], 10 * bohr, 1e-15, 0);
    CHECK_NEAR(col_row(ds, TN_LABEL_ENERGY, 0)[0], -2 * kcal, 1e-15, 0);
    CHECK_NEAR(col_row(ds, TN_LABEL_FORCES, 0)[0], 4 * kcal / bohr, 1e-15, 0);
    CHECK_NEAR(col_row(ds, TN_LABEL_ENERGIES, 0)[0], 7 * kcal, 1e-15, 0);
    CHECK_NEAR(col_row(ds, "energies_x", 0)[0], 8 * kcal, 1e-15, 0);
    CHECK_NEAR(col_row(ds, TN_LABEL_STRESS, 0)[8], kcal / (bohr * bohr * bohr), 1e-15, 0);
    CHECK(col_row(ds, "velo", 0)[0] == 9.0);         /* other columns stay raw */
    CHECK(col_row(ds, "free_energy", 0)[0] == -2.0); /* documented: raw */
  }
  tn_dataset_free(ds);
}

/* ---------------------------------------------------------- round trips */

/* A data set with every kind of column, awkward doubles and absent rows. */
static void build_varied(tn_dataset *ds) {
  tn_rng rng;
  tn_rng_seed(&rng, 11);
  static const double odd[] = {-0.0, 5e-324, 1e300, -1e-300, 0.1, 1.0 / 3.0, 123456789.0, 2.5};
  for (int f = 0; f < 12; f++) {
    int n = 1 + f % 5;
    int32_t species[5];
    double pos[5][3], forces[5][3], energies[5], mass[5], tags[5][2];
    for (int i = 0; i < n; i++) {
      species[i] = 1 + (f * 7 + i * 13) % 118;
      energies[i] = tn_rng_normal(&rng);
      mass[i] = odd[(f + i) % 8];
      tags[i][0] = i, tags[i][1] = -f;
      for (int k = 0; k < 3; k++) {
        pos[i][k] = 10 * tn_rng_uniform(&rng) - 5;
        forces[i][k] = tn_rng_normal(&rng) * 1e-3;
      }
    }
    double energy = -100 * tn_rng_uniform(&rng), stress[9], dip[3] = {f, 0.5, -f * 1e-17};
    double count = f * 1000, ok = f % 2, whole = 3.0;
    for (int k = 0; k < 9; k++) stress[k] = tn_rng_normal(&rng) * 1e-2;
    char text[64];
    snprintf(text, sizeof text, "frame %d \"quoted\" \\ back=slash\ttab", f);
    tn_frame_column cols[] = {
        {TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &energy, NULL},
        {TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 9, stress, NULL},
        {"dipole", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 3, dip, NULL},
        {"count", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_INT, 1, &count, NULL},
        {"converged", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_BOOL, 1, &ok, NULL},
        {"whole", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &whole, NULL},
        {"comment", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_STRING, 0, NULL, text},
        {TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &forces[0][0], NULL},
        {TN_LABEL_ENERGIES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, energies, NULL},
        {"mass", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, mass, NULL},
        {"tags", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_INT, 2, &tags[0][0], NULL},
    };
    tn_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.n_atoms = n;
    fr.species = species;
    fr.pos = (const double(*)[3])pos;
    if (f % 3 != 2)
      for (int k = 0; k < 9; k++) fr.cell[k / 3][k % 3] = (k % 4 == 0 ? 8.0 : 0.3) + 0.01 * k;
    fr.pbc[0] = f % 3 != 2;
    fr.pbc[1] = f % 3 == 0;
    fr.pbc[2] = 0;
    fr.columns = cols;
    fr.n_columns = (int)(sizeof cols / sizeof *cols) - (f % 4 == 3 ? 4 : 0); /* some absent */
    CHECK_OK(tn_dataset_append(ds, &fr));
  }
}

static void roundtrip(tn_dataset *ds) {
  const char *p1 = harness_tmp("rt1.xyz"), *p2 = harness_tmp("rt2.xyz");
  CHECK_OK(tn_dataset_write_extxyz(ds, p1));
  tn_dataset *back = tn_dataset_create();
  CHECK_OK(tn_dataset_read(back, p1, NULL));
  int same = tn_dataset_equal(ds, back);
  if (!same) fprintf(stderr, "  read back differs: %s\n", tn_dataset_errmsg(back));
  CHECK(same);
  CHECK_OK(tn_dataset_write_extxyz(back, p2));
  size_t n1 = 0, n2 = 0;
  char *t1 = slurp(p1, &n1), *t2 = slurp(p2, &n2);
  CHECK(t1 && t2 && n1 == n2 && memcmp(t1, t2, n1) == 0);
  free(t1);
  free(t2);
  tn_dataset_free(back);
}

static void test_roundtrip_varied(void) {
  tn_dataset *ds = tn_dataset_create();
  build_varied(ds);
  roundtrip(ds);
  tn_dataset_free(ds);
}

static void test_roundtrip_data(void) {
  const char *cu = harness_data("cu_emt_peratom/Cu-cubic.xyz");
  const char *hf = harness_data("qm7_hf_atomic/qm7_hf_atomic.xyz");
  if (!cu || !hf) SKIP("shared data absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, cu, NULL));
  CHECK_OK(tn_dataset_read(ds, hf, NULL));
  roundtrip(ds);
  /* The file keeps the reader's own layout. */
  size_t n = 0;
  char *t = slurp(harness_tmp("rt1.xyz"), &n);
  CHECK(t && strstr(t, "Lattice=\"3.61 0.0 0.0 0.0 3.61 0.0 0.0 0.0 3.61\" "
                       "Properties=species:S:1:pos:R:3:forces:R:3:energies:R:1 "
                       "energy=-0.017391652023890813 free_energy=-0.017391652023890813 "
                       "pbc=\"T T T\"\nCu 0.01764052 0.00400157 0.00978738 -0.08717844"));
  CHECK(t && strstr(t, "Properties=species:S:1:pos:R:3:energies_ao:R:1:energies_mo:R:1 "
                       "energy=-2123.34206582 method=HF basis=6-31g* source=qm7/0003 "
                       "pbc=\"F F F\"\nC 0.936129 "));
  free(t);
  tn_dataset_free(ds);
}

/* ---------------------------------------------------------------- ASE */

static int have_ase(void) {
  return access("/usr/bin/python3", X_OK) == 0 &&
         system("/usr/bin/python3 -c 'import ase, numpy' >/dev/null 2>&1") == 0;
}

/* Runs tests/ase_xyz.py with args: 1 if it printed "VERDICT OK", 0 for
 * "VERDICT FAIL ...", -1 if it gave no verdict. Shows its output when the
 * verdict is not the one wanted. */
static int ase_verdict(const char *args, int want) {
  const char *log = harness_tmp("ase.log");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ase_xyz.py %s > %s 2>&1", args, log);
  int rc = system(cmd);
  size_t n = 0;
  char *out = slurp(log, &n);
  int verdict = -1;
  if (rc == 0 && out && strstr(out, "VERDICT OK")) verdict = 1;
  if (rc == 0 && out && strstr(out, "VERDICT FAIL")) verdict = 0;
  if (verdict != want) fprintf(stderr, "  ase_xyz.py %s:\n%s\n", args, out ? out : "(no output)");
  free(out);
  return verdict;
}

static void test_ase_interop(void) {
  if (!have_ase()) SKIP("/usr/bin/python3 with ase and numpy absent");
  char ase_xyz[512], ref[512], ours[512], args[1600];
  snprintf(ase_xyz, sizeof ase_xyz, "%s", harness_tmp("ase.xyz"));
  snprintf(ref, sizeof ref, "%s", harness_tmp("ase.ref"));
  snprintf(ours, sizeof ours, "%s", harness_tmp("tanne.xyz"));
  snprintf(args, sizeof args, "gen %s %s", ase_xyz, ref);
  CHECK(ase_verdict(args, 1) == 1);

  /* tanne reads ASE's file: the values ASE reports, to 1e-12. */
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, ase_xyz, NULL));
  FILE *f = fopen(ref, "r");
  CHECK(f != NULL);
  if (!f) goto done;
  int frames = 0;
  CHECK(fscanf(f, " frames %d", &frames) == 1 && frames == ds->n_frames && frames == 3);
  const tn_column *fo = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *ea = tn_dataset_column(ds, TN_LABEL_ENERGIES);
  const tn_column *mol = tn_dataset_column(ds, "mol_id");
  const tn_column *ct = tn_dataset_column(ds, "config_type");
  const tn_column *temp = tn_dataset_column(ds, "temperature");
  const tn_column *step = tn_dataset_column(ds, "step");
  CHECK(fo && ea && mol && ct && temp && step);
  if (!fo || !ea || !mol || !ct || !temp || !step || frames != ds->n_frames) goto close;
  CHECK(mol->type == TN_COLUMN_TYPE_INT && step->type == TN_COLUMN_TYPE_INT);
  for (int64_t fr = 0; fr < frames; fr++) {
    int n = 0, pbc[3];
    double cell[9], e, s[6], t;
    int st;
    char line[256];
    CHECK(fscanf(f, " frame %d %d %d %d", &n, &pbc[0], &pbc[1], &pbc[2]) == 4);
    CHECK(n == ds->atom_start[fr + 1] - ds->atom_start[fr]);
    for (int k = 0; k < 3; k++) CHECK(pbc[k] == ds->pbc[fr][k]);
    CHECK(fscanf(f, " cell") == 0);
    for (int k = 0; k < 9; k++) {
      CHECK(fscanf(f, "%lf", &cell[k]) == 1);
      CHECK_NEAR(ds->cell[fr][k / 3][k % 3], cell[k], 1e-12, 1e-300);
    }
    CHECK(fscanf(f, " energy %lf", &e) == 1);
    CHECK_NEAR(col_row(ds, TN_LABEL_ENERGY, fr)[0], e, 1e-12, 1e-300);
    CHECK(fscanf(f, " stress %lf %lf %lf %lf %lf %lf", &s[0], &s[1], &s[2], &s[3], &s[4], &s[5]) ==
          6);
    const double *sig = col_row(ds, TN_LABEL_STRESS, fr);
    static const int voigt[6] = {0, 4, 8, 5, 2, 1}; /* xx yy zz yz xz xy in a 3x3 */
    for (int k = 0; k < 6; k++) CHECK_NEAR(sig[voigt[k]], s[k], 1e-12, 1e-300);
    CHECK(sig[3] == sig[1] && sig[6] == sig[2] && sig[7] == sig[5]);
    CHECK(fscanf(f, " info %lf %d", &t, &st) == 2);
    CHECK_NEAR(temp->values[fr], t, 1e-12, 0);
    CHECK(step->values[fr] == st);
    CHECK(fscanf(f, " text ") == 0 && fgets(line, sizeof line, f));
    line[strcspn(line, "\n")] = '\0';
    CHECK(strcmp(tn_column_text(ct, fr), line) == 0);
    for (int i = 0; i < n; i++) {
      int64_t a = ds->atom_start[fr] + i;
      int z, m;
      double v[7];
      CHECK(fscanf(f, " atom %d %lf %lf %lf %lf %lf %lf %lf %d", &z, &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &m) == 9);
      CHECK(z == ds->species[a]);
      for (int k = 0; k < 3; k++) {
        CHECK_NEAR(ds->pos[a][k], v[k], 1e-12, 1e-300);
        CHECK_NEAR(tn_column_row(fo, a)[k], v[3 + k], 1e-12, 1e-300);
      }
      CHECK_NEAR(tn_column_row(ea, a)[0], v[6], 1e-12, 1e-300);
      CHECK(tn_column_row(mol, a)[0] == m);
    }
  }

  /* ASE reads what tanne writes and finds the same values. */
  CHECK_OK(tn_dataset_write_extxyz(ds, ours));
  snprintf(args, sizeof args, "check %s %s", ase_xyz, ours);
  CHECK(ase_verdict(args, 1) == 1);
  /* The comparison can fail: a position moved by 1e-9 Å is noticed. */
  ds->pos[ds->atom_start[1]][2] += 1e-9;
  CHECK_OK(tn_dataset_write_extxyz(ds, ours));
  CHECK(ase_verdict(args, 0) == 0);
close:
  fclose(f);
done:
  tn_dataset_free(ds);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_counts_and_lines(void) {
  BAD("abc\n", TN_STATUS_BAD_INPUT, "case.xyz:1: field 'atom count'", "'abc'");
  BAD("-3\n\n", TN_STATUS_BAD_INPUT, "case.xyz:1:", "non-negative integer");
  BAD("1\n", TN_STATUS_BAD_INPUT, "case.xyz:2: field 'comment line'", "ends after");
  BAD("2\nProperties=species:S:1:pos:R:3\nH 0 0 0\n", TN_STATUS_BAD_INPUT,
      "case.xyz:4:", "truncated frame: line 1 gives 2 atoms, the file ends after 1");
  BAD("1\n\nH 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:3: field 'atom line'",
      "expected 4 columns (from Properties), found 3");
  BAD("1\n\nH 0 0 0 5\n", TN_STATUS_BAD_INPUT, "case.xyz:3:", "found 5");
  BAD("1\nProperties=species:S:1:pos:R:3:forces:R:3\nH 0 0 0 1 2\n", TN_STATUS_BAD_INPUT,
      "case.xyz:3:", "expected 7 columns");
  BAD("1\n\nH 0 0 0\n\n1\n\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:4:", "blank line");
  BAD("1\n\nH 0 0 0\nVEC1 1 0 0\n", TN_STATUS_UNSUPPORTED, "case.xyz:4:", "VEC");
  BAD("3000000000\n\n", TN_STATUS_UNSUPPORTED, "case.xyz:1: field 'atom count'", "3000000000");
}

static void test_bad_fields(void) {
  BAD("1\n\nH 0 x 0\n", TN_STATUS_BAD_INPUT, "case.xyz:3: field 'pos' (component 2 of 3)", "'x'");
  BAD("1\n\nH 0 0 nan\n", TN_STATUS_BAD_INPUT, "field 'pos' (component 3 of 3)", "finite");
  BAD("1\n\nH inf 0 0\n", TN_STATUS_BAD_INPUT, "field 'pos' (component 1 of 3)", "finite");
  BAD("1\n\nH 0x10 0 0\n", TN_STATUS_BAD_INPUT, "field 'pos'", "'0x10'");
  BAD("2\nProperties=species:S:1:pos:R:3:forces:R:3\nH 0 0 0 1 2 3\nH 0 0 0 1 2 abc\n",
      TN_STATUS_BAD_INPUT, "case.xyz:4: field 'forces' (component 3 of 3)", "real number");
  BAD("1\nProperties=species:S:1:pos:R:3:tag:I:1\nH 0 0 0 1.5\n", TN_STATUS_BAD_INPUT,
      "field 'tag' (component 1 of 1)", "an integer");
  BAD("1\nProperties=species:S:1:pos:R:3:fix:L:1\nH 0 0 0 yes\n", TN_STATUS_BAD_INPUT,
      "field 'fix'", "T or F");
  BAD("1\n\nXx 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:3: field 'species'",
      "unknown element symbol 'Xx'");
  BAD("1\n\nH1 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'species'", "'H1'");
  BAD("1\nProperties=Z:I:1:pos:R:3\n0 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Z'",
      "atomic number 1..118");
  BAD("1\nProperties=Z:I:1:pos:R:3\n119 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Z'", "'119'");
}

static void test_bad_comment_line(void) {
  BAD("1\nProperties=species:S:1:pos:Q:3\nH 0 0 0\n", TN_STATUS_BAD_INPUT,
      "case.xyz:2: field 'Properties'", "type 'Q' is not one of R, I, S, L");
  BAD("1\nProperties=species:S:1:pos:R:0\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "'pos': ncols '0'",
      NULL);
  BAD("1\nProperties=species:S:1:pos:R:-1\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "ncols '-1'", NULL);
  BAD("1\nProperties=species:S:1:pos:R:x\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "ncols 'x'", NULL);
  BAD("1\nProperties=species:S:1:pos:R:3:v:R:1000001\nH 0 0 0\n", TN_STATUS_BAD_INPUT,
      "ncols '1000001'", NULL);
  BAD("1\nProperties=species:S:1:pos:R\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Properties'",
      "triples");
  BAD("1\nProperties=species:S:1::R:3\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "name empty", NULL);
  BAD("1\nProperties=pos:R:3\n0 0 0\n", TN_STATUS_NOT_FOUND, "case.xyz:2: field 'Properties'",
      "no element column");
  BAD("1\nProperties=species:S:1\nH\n", TN_STATUS_NOT_FOUND, "field 'Properties'",
      "no positions column");
  BAD("1\nProperties=species:S:2:pos:R:3\nH H 0 0 0\n", TN_STATUS_BAD_INPUT,
      "'species' must be S:1, not S:2", NULL);
  BAD("1\nProperties=species:S:1:pos:R:2\nH 0 0\n", TN_STATUS_BAD_INPUT, "'pos' must be R:3", NULL);
  BAD("1\nProperties=species:S:1:pos:R:3:forces:R:1\nH 0 0 0 0\n", TN_STATUS_BAD_INPUT,
      "'forces' must be R:3", NULL);
  BAD("1\nProperties=species:S:1:pos:R:3:forces:R:3:force:R:3\nH 0 0 0 0 0 0 0 0 0\n",
      TN_STATUS_BAD_INPUT, "'forces' given twice", NULL);
  BAD("1\nProperties=species:S:1:pos:R:3:pos:R:3\nH 0 0 0 0 0 0\n", TN_STATUS_BAD_INPUT,
      "'pos' given twice", NULL);
  BAD("1\ncharge=1 Properties=species:S:1:pos:R:3:charge:R:1\nH 0 0 0 0\n", TN_STATUS_BAD_INPUT,
      "field 'charge': both", NULL);
  BAD("1\nLattice=\"1 2 3\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:2: field 'Lattice'",
      "9 numbers");
  BAD("1\nLattice=\"a b c d e f g h i\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Lattice'",
      "'a b c d e f g h i'");
  BAD("1\nLattice=\"1 0 0 0 1 0 0 0 inf\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Lattice'",
      "not finite");
  BAD("1\nLattice\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'Lattice'", NULL);
  BAD("1\nnote=\"abc\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:2: field 'comment line'",
      "unterminated");
  BAD("1\nnote={abc\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "unterminated {...}", NULL);
  BAD("1\npbc=\"T X F\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:2: field 'pbc'", "'T X F'");
  BAD("1\npbc=\"T T\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'pbc'", NULL);
  BAD("1\nenergy=abc\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:2: field 'energy'", "'abc'");
  BAD("1\nenergy=\"1 2\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'energy'", "one number");
  BAD("1\nstress=\"1 2 3\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'stress'", "9 or 6");
  BAD("1\n=5\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "'=' without a key", NULL);
  BAD("1\n\"\"=5\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "empty key", NULL);
  BAD("1\nforces=\"1 2 3\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "field 'forces': a per-atom label",
      NULL);
  BAD("1\nkey_that_is_far_too_long_to_be_a_column_name_in_a_tanne_data_set_x=1\nH 0 0 0\n",
      TN_STATUS_BAD_INPUT, "longer than 63 bytes", NULL);
  static const char nul[] = "1\nab\0c=1\nH 0 0 0\n";
  bad_case(__LINE__, nul, sizeof nul - 1, TN_STATUS_BAD_INPUT, "NUL byte", NULL);
  BAD("1\na=\"x\ry\"\r\nH 0 0 0\n", TN_STATUS_BAD_INPUT, "case.xyz:2:", "carriage return");
  /* A column whose width changes is refused by the data set; the message
   * still names the file and the comment line of the offending frame. */
  BAD("1\ndip=1\nH 0 0 0\n1\ndip=\"1 2 3\"\nH 0 0 0\n", TN_STATUS_BAD_INPUT,
      "case.xyz:5:", "'dip'");
}

/* A failed read leaves frames read before it (from other files) alone. */
static void test_failed_read_keeps_dataset(void) {
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(read_text(ds, "1\nenergy=1\nH 0 0 0\n"));
  CHECK(read_text(ds, "1\nenergy=2 extra=5\nH 1 1 1\n1\n\nH 0 0\n") == TN_STATUS_BAD_INPUT);
  CHECK(ds->n_frames == 1 && ds->n_atoms == 1 && ds->n_columns == 1);
  CHECK(col_row(ds, TN_LABEL_ENERGY, 0)[0] == 1.0);
  tn_dataset_free(ds);
}

static void test_write_errors(void) {
  tn_dataset *ds = tn_dataset_create();
  int32_t z = 0;
  double pos[1][3] = {{0, 0, 0}};
  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.n_atoms = 1;
  fr.species = &z;
  fr.pos = (const double(*)[3])pos;
  CHECK_OK(tn_dataset_append(ds, &fr));
  const char *path = harness_tmp("never.xyz");
  CHECK(tn_dataset_write_extxyz(ds, path) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "atomic number 0") != NULL);
  CHECK(access(path, F_OK) != 0); /* atomic: nothing left behind */
  tn_dataset_free(ds);

  ds = tn_dataset_create();
  z = 1;
  double v = 1;
  tn_frame_column c = {"pos", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, &v, NULL};
  fr.columns = &c;
  fr.n_columns = 1;
  CHECK_OK(tn_dataset_append(ds, &fr));
  CHECK(tn_dataset_write_extxyz(ds, path) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "field 'pos'") != NULL);
  tn_dataset_free(ds);

  ds = tn_dataset_create();
  fr.n_columns = 0;
  CHECK_OK(tn_dataset_append(ds, &fr));
  CHECK(tn_dataset_write_extxyz(ds, "/nonexistent-dir/x.xyz") == TN_STATUS_IO);
  CHECK(strstr(tn_dataset_errmsg(ds), "/nonexistent-dir/x.xyz") != NULL);
  /* An existing file is replaced only by a complete one. */
  CHECK_OK(tn_dataset_write_extxyz(ds, path));
  size_t n = 0;
  char *t = slurp(path, &n);
  CHECK(t && strcmp(t, "1\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nH 0.0 0.0 0.0\n") == 0);
  free(t);
  tn_dataset_free(ds);
}

/* INT columns from other formats may hold values the I type cannot carry:
 * they are written as reals and read back exactly. */
static void test_write_inexact_ints(void) {
  tn_dataset *ds = tn_dataset_create(), *back = tn_dataset_create();
  int32_t z[2] = {1, 8};
  double pos[2][3] = {{0, 0, 0}, {1, 1, 1}}, ids[2] = {2.5, 1e17}, whole[2] = {3, -4};
  double flag = 1e17;
  tn_frame_column cols[] = {
      {"ids", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_INT, 1, ids, NULL},
      {"whole", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_INT, 1, whole, NULL},
      {"flag", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_INT, 1, &flag, NULL},
  };
  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.n_atoms = 2;
  fr.species = z;
  fr.pos = (const double(*)[3])pos;
  fr.n_columns = 3;
  fr.columns = cols;
  CHECK_OK(tn_dataset_append(ds, &fr));
  const char *path = harness_tmp("ints.xyz");
  CHECK_OK(tn_dataset_write_extxyz(ds, path));
  CHECK_OK(tn_dataset_read(back, path, NULL));
  const tn_column *a = tn_dataset_column(back, "ids"), *w = tn_dataset_column(back, "whole");
  const tn_column *f = tn_dataset_column(back, "flag");
  CHECK(a && w && f);
  if (a && w && f) {
    CHECK(a->type == TN_COLUMN_TYPE_REAL && a->values[0] == 2.5 && a->values[1] == 1e17);
    CHECK(w->type == TN_COLUMN_TYPE_INT && w->values[1] == -4.0);
    CHECK(f->type == TN_COLUMN_TYPE_REAL && f->values[0] == 1e17);
  }
  tn_dataset_free(back);
  tn_dataset_free(ds);
}

int main(void) {
  RUN(test_cu_emt);
  RUN(test_qm7_hf_atomic);
  RUN(test_qm7_speed);
  RUN(test_grammar);
  RUN(test_types_across_frames);
  RUN(test_units);
  RUN(test_roundtrip_varied);
  RUN(test_roundtrip_data);
  RUN(test_ase_interop);
  RUN(test_bad_counts_and_lines);
  RUN(test_bad_fields);
  RUN(test_bad_comment_line);
  RUN(test_failed_read_keeps_dataset);
  RUN(test_write_errors);
  RUN(test_write_inexact_ints);
  return harness_finish();
}
