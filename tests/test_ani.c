/* The ANI HDF5 reader: the ANI-1 hydrocarbon files, small files written here
 * with the HDF5 C API, and every way such a file can be wrong. */
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "harness.h"

#define HARTREE 27.211386245988 /* eV, CODATA 2018, as in src/core/units.c */

static const tn_read_options ani_default = {TN_FORMAT_ANI_HDF5, 0.0, 0.0};

/* HDF5 handles still open in this process (files, groups, datasets, types,
 * spaces): zero between reads, or the reader leaked one. */
static ssize_t open_handles(void) { return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

static void test_gdb_s01(void) {
  const char *path = harness_data("ani1_hydrocarbons/gdb_HC_s01.h5");
  if (!path) SKIP("ani1_hydrocarbons/gdb_HC_s01.h5 absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL)); /* ".h5": ANI, Hartree -> eV */
  CHECK(ds->n_frames == 5400 && ds->n_atoms == 5400 * 5);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *m = tn_dataset_column(ds, "molecule");
  CHECK(e && m);
  if (!e || !m) goto done;
  /* species "C", "H", "H", "H", "H"; energies[0] = -40.480588171400001 Ha */
  CHECK(ds->species[0] == 6 && ds->species[1] == 1 && ds->species[4] == 1);
  CHECK(e->values[0] == -40.480588171400001 * HARTREE);
  CHECK_NEAR(e->values[0], -1101.5329201967, 1e-12, 0);
  CHECK(e->values[5399] == -40.464792831099999 * HARTREE);
  /* coordinates[0][0] = (-0.00345020206, 0.0101708109, 0.0193803255) as float32;
   * coordinates[5399][4] = (0.711410165, -0.216037244, -0.720226467) */
  CHECK(ds->pos[0][0] == (double)-0.00345020206f && ds->pos[0][2] == (double)0.0193803255f);
  CHECK(ds->pos[ds->n_atoms - 1][0] == (double)0.711410165f);
  CHECK(ds->pos[ds->n_atoms - 1][2] == (double)-0.720226467f);
  CHECK(strcmp(tn_column_text(m, 0), "gdb11_s01/gdb11_s01-0") == 0);
  CHECK(!ds->pbc[0][0] && ds->cell[0][0][0] == 0.0);
  CHECK(open_handles() == 0);
done:
  tn_dataset_free(ds);
}

static void test_gdb_s02(void) {
  const char *s01 = harness_data("ani1_hydrocarbons/gdb_HC_s01.h5");
  const char *s02 = harness_data("ani1_hydrocarbons/gdb_HC_s02.h5");
  if (!s01 || !s02) SKIP("ani1_hydrocarbons absent");
  tn_dataset *ds = tn_dataset_create();
  tn_read_options raw = {TN_FORMAT_AUTO, 1.0, 1.0}; /* energies left in Hartree */
  CHECK_OK(tn_dataset_read(ds, s02, &raw));
  /* gdb11_s02-0 (8 atoms, 8469 conformers), -3 (6, 5760), -7 (4, 2880) */
  CHECK(ds->n_frames == 8469 + 5760 + 2880);
  CHECK(ds->n_atoms == 8469 * 8 + 5760 * 6 + 2880 * 4);
  CHECK(ds->atom_start[8470] - ds->atom_start[8469] == 6);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *m = tn_dataset_column(ds, "molecule");
  CHECK(e && m);
  if (!e || !m) goto done;
  CHECK(e->values[8469] == -78.554793991699995);
  CHECK(e->values[ds->n_frames - 1] == -77.294352097000001);
  CHECK(strcmp(tn_column_text(m, 8468), "gdb11_s02/gdb11_s02-0") == 0);
  CHECK(strcmp(tn_column_text(m, 8469), "gdb11_s02/gdb11_s02-3") == 0);
  CHECK(strcmp(tn_column_text(m, ds->n_frames - 1), "gdb11_s02/gdb11_s02-7") == 0);
  int64_t last = ds->n_atoms - 1; /* coordinates[2879][3] of gdb11_s02-7 */
  CHECK(ds->pos[last][0] == (double)-0.0393060669f && ds->pos[last][1] == (double)0.0355632454f);
  CHECK(ds->pos[last][2] == (double)-1.63240016f && ds->species[last] == 1);
  CHECK(ds->species[ds->atom_start[ds->n_frames - 1]] == 6);
  /* Appending the other file keeps both. */
  CHECK_OK(tn_dataset_read(ds, s01, &ani_default));
  CHECK(ds->n_frames == 17109 + 5400);
  CHECK(e = tn_dataset_column(ds, TN_LABEL_ENERGY));
  if (e) CHECK(e->values[17109] == -40.480588171400001 * HARTREE);
done:
  tn_dataset_free(ds);
}

/* ---- writing small files ------------------------------------------------ */

static void put(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *data) {
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(g, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(d >= 0);
  if (data) {
    hid_t mem = H5Tget_class(type) == H5T_FLOAT     ? H5T_NATIVE_DOUBLE
                : H5Tget_class(type) == H5T_INTEGER ? H5T_NATIVE_INT
                                                    : type;
    CHECK(H5Dwrite(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  }
  H5Dclose(d);
  H5Sclose(s);
}

/* Species as fixed-length strings of `size` bytes, NUL padded. */
static void put_species(hid_t g, const char *name, const char *const *sym, hsize_t n, size_t size) {
  char buf[8][32];
  memset(buf, 0, sizeof buf);
  for (hsize_t i = 0; i < n; i++) snprintf(buf[i], size + 1, "%s", sym[i]);
  char packed[8 * 32];
  for (hsize_t i = 0; i < n; i++) memcpy(packed + i * size, buf[i], size);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, size);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  put(g, name, t, 1, &n, packed);
  H5Tclose(t);
}

static void put_species_vlen(hid_t g, const char *const *sym, hsize_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  put(g, "species", t, 1, &n, sym);
  H5Tclose(t);
}

/* A molecule of n atoms (n <= 3) and F <= 4 conformers; coordinates
 * [f][i][k] = f + 0.5 i + 0.25 k, energies -f - 1. */
static void put_molecule(hid_t g, const char *name, hsize_t F, hsize_t n, const char *const *sym,
                         int with_energies) {
  double xyz[4][3][3], e[4];
  for (hsize_t f = 0; f < F; f++) {
    e[f] = -(double)f - 1.0;
    for (hsize_t i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) xyz[f][i][k] = (double)f + 0.5 * (double)i + 0.25 * k;
  }
  double packed[4 * 3 * 3];
  for (hsize_t f = 0; f < F; f++)
    for (hsize_t i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) packed[(f * n + i) * 3 + (hsize_t)k] = xyz[f][i][k];
  hid_t m = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t cd[3] = {F, n, 3};
  put(m, "coordinates", H5T_IEEE_F32LE, 3, cd, packed);
  if (with_energies) put(m, "energies", H5T_IEEE_F64LE, 1, &F, e);
  put_species(m, "species", sym, n, 1);
  H5Gclose(m);
}

static const char *const water[3] = {"O", "H", "H"};

/* Group "g" with molecule "m" whose member `broken` is replaced by what
 * `make` writes (or left out when make is NULL). */
typedef void (*member_fn)(hid_t m);

static const char *make_broken(const char *file, const char *broken, member_fn make) {
  const char *path = harness_tmp(file);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t m = H5Gcreate2(g, "m", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double xyz[2 * 3 * 3] = {0}, e[2] = {-1, -2};
  hsize_t cd[3] = {2, 3, 3}, ed = 2;
  if (strcmp(broken, "coordinates") != 0) put(m, "coordinates", H5T_IEEE_F64LE, 3, cd, xyz);
  if (strcmp(broken, "energies") != 0) put(m, "energies", H5T_IEEE_F64LE, 1, &ed, e);
  if (strcmp(broken, "species") != 0) put_species(m, "species", water, 3, 2);
  if (make) make(m);
  H5Gclose(m);
  H5Gclose(g);
  H5Fclose(f);
  return path;
}

static void expect_fail(const char *path, tn_status want, const char *needle) {
  tn_dataset *ds = tn_dataset_create();
  tn_status st = tn_dataset_read(ds, path, &ani_default);
  CHECK(st == want);
  CHECK(strstr(tn_dataset_errmsg(ds), needle) != NULL);
  CHECK(strstr(tn_dataset_errmsg(ds), path) != NULL);
  if (st != want || !strstr(tn_dataset_errmsg(ds), needle))
    fprintf(stderr, "  status %s, message: %s\n", tn_status_str(st), tn_dataset_errmsg(ds));
  CHECK(ds->n_frames == 0 && ds->n_columns == 0);
  CHECK(open_handles() == 0);
  tn_dataset_free(ds);
}

/* Name order, root-level molecules, variable-length and integer species,
 * missing energies, float32 -> double and the length unit. */
static void test_written_layouts(void) {
  const char *path = harness_tmp("layouts.h5");
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "set", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  put_molecule(g, "b", 2, 3, water, 1); /* written first, read second */
  put_molecule(g, "a", 1, 2, water + 1, 1);
  H5Gclose(g);
  hid_t m = H5Gcreate2(f, "root_mol", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double xyz[3] = {1.0, 2.0, 3.0};
  hsize_t cd[3] = {1, 1, 3};
  put(m, "coordinates", H5T_IEEE_F64LE, 3, cd, xyz);
  static const char *const ar[1] = {"Ar"};
  put_species_vlen(m, ar, 1);
  H5Gclose(m);
  m = H5Gcreate2(f, "ani2x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int z[2] = {6, 8};
  hsize_t zd = 2, cd2[3] = {1, 2, 3};
  double xyz2[6] = {0, 0, 0, 0, 0, 1.128};
  put(m, "atomic_numbers", H5T_STD_I64LE, 1, &zd, z);
  put(m, "coordinates", H5T_IEEE_F64LE, 3, cd2, xyz2);
  H5Gclose(m);
  hsize_t one = 1;
  double stray = 1.0;
  put(f, "stray_dataset", H5T_IEEE_F64LE, 1, &one, &stray); /* ignored */
  H5Fclose(f);

  tn_dataset *ds = tn_dataset_create();
  double bohr = tn_length_unit("Bohr");
  tn_read_options opt = {TN_FORMAT_ANI_HDF5, 1.0, bohr};
  CHECK_OK(tn_dataset_read(ds, path, &opt));
  /* Root links in name order: ani2x, root_mol, set (a, then b). */
  CHECK(ds->n_frames == 1 + 1 + 1 + 2);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *mol = tn_dataset_column(ds, "molecule");
  CHECK(e && mol);
  if (!e || !mol) goto done;
  CHECK(strcmp(tn_column_text(mol, 0), "ani2x") == 0);
  CHECK(strcmp(tn_column_text(mol, 1), "root_mol") == 0);
  CHECK(strcmp(tn_column_text(mol, 2), "set/a") == 0);
  CHECK(strcmp(tn_column_text(mol, 4), "set/b") == 0);
  CHECK(ds->species[0] == 6 && ds->species[1] == 8 && ds->species[2] == 18);
  CHECK(ds->pos[1][2] == 1.128 * bohr && ds->pos[2][1] == 2.0 * bohr);
  CHECK(!e->present[0] && !e->present[1] && e->present[2]);
  CHECK(e->values[2] == -1.0 && e->values[3] == -1.0 && e->values[4] == -2.0);
  CHECK(open_handles() == 0);
  /* set/b conformer f = 1, atom i = 2: x = f + 0.5 i = 2, z = x + 0.5 = 2.5 */
  int64_t a = ds->atom_start[4] + 2;
  CHECK(ds->species[a] == 1 && ds->pos[a][0] == 2.0 * bohr && ds->pos[a][2] == 2.5 * bohr);
done:
  tn_dataset_free(ds);
}

static void species_bad_symbol(hid_t m) {
  static const char *const s[3] = {"O", "Xx", "H"};
  put_species(m, "species", s, 3, 2);
}
static void species_long(hid_t m) { put_species(m, "species", water, 3, 20); }
static void species_float(hid_t m) {
  double z[3] = {8, 1, 1};
  hsize_t n = 3;
  put(m, "species", H5T_IEEE_F64LE, 1, &n, z);
}
static void species_zero(hid_t m) {
  int z[3] = {8, 0, 1};
  hsize_t n = 3;
  put(m, "species", H5T_STD_I32LE, 1, &n, z);
}
static void species_empty(hid_t m) { put_species(m, "species", water, 0, 1); }
static void species_group(hid_t m) {
  H5Gclose(H5Gcreate2(m, "species", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
}
static void species_vlen_bad(hid_t m) {
  static const char *const s[3] = {"O", "H", "Hydrogen"};
  put_species_vlen(m, s, 3);
}
static void coords_wrong_n(hid_t m) {
  hsize_t d[3] = {2, 4, 3};
  put(m, "coordinates", H5T_IEEE_F64LE, 3, d, NULL);
}
static void coords_wrong_last(hid_t m) {
  hsize_t d[3] = {2, 3, 2};
  put(m, "coordinates", H5T_IEEE_F64LE, 3, d, NULL);
}
static void coords_rank2(hid_t m) {
  hsize_t d[2] = {3, 3};
  put(m, "coordinates", H5T_IEEE_F64LE, 2, d, NULL);
}
static void coords_int(hid_t m) {
  hsize_t d[3] = {2, 3, 3};
  int v[18] = {0};
  put(m, "coordinates", H5T_STD_I32LE, 3, d, v);
}
static void coords_nan(hid_t m) {
  hsize_t d[3] = {2, 3, 3};
  double v[18] = {0};
  v[13] = NAN; /* conformer 1, atom 1, z */
  put(m, "coordinates", H5T_IEEE_F64LE, 3, d, v);
}
static void energies_wrong_f(hid_t m) {
  hsize_t n = 3;
  double e[3] = {0, 0, 0};
  put(m, "energies", H5T_IEEE_F64LE, 1, &n, e);
}
static void energies_int(hid_t m) {
  hsize_t n = 2;
  int e[2] = {1, 2};
  put(m, "energies", H5T_STD_I32LE, 1, &n, e);
}
static void energies_inf(hid_t m) {
  hsize_t n = 2;
  double e[2] = {-1.0, INFINITY};
  put(m, "energies", H5T_IEEE_F64LE, 1, &n, e);
}
static void nested_group(hid_t m) {
  H5Gclose(H5Gcreate2(m, "deeper", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
}

static void test_bad_members(void) {
  expect_fail(make_broken("nc.h5", "coordinates", NULL), TN_STATUS_NOT_FOUND,
              "/g/m: no 'coordinates' dataset");
  expect_fail(make_broken("ns.h5", "species", NULL), TN_STATUS_NOT_FOUND,
              "/g/m: no 'species' dataset");
  expect_fail(make_broken("bs.h5", "species", species_bad_symbol), TN_STATUS_BAD_INPUT,
              "/g/m/species[1]: unknown element 'Xx'");
  expect_fail(make_broken("bv.h5", "species", species_vlen_bad), TN_STATUS_BAD_INPUT,
              "/g/m/species[2]: unknown element 'Hydrogen'");
  expect_fail(make_broken("ls.h5", "species", species_long), TN_STATUS_BAD_INPUT,
              "/g/m/species: strings of 20 bytes");
  expect_fail(make_broken("fs.h5", "species", species_float), TN_STATUS_UNSUPPORTED,
              "/g/m/species: element symbols must be strings or atomic numbers");
  expect_fail(make_broken("zs.h5", "species", species_zero), TN_STATUS_BAD_INPUT,
              "/g/m/species[1]: 0 is not an atomic number");
  expect_fail(make_broken("es.h5", "species", species_empty), TN_STATUS_BAD_INPUT,
              "/g/m/species: 0 atoms");
  expect_fail(make_broken("gs.h5", "species", species_group), TN_STATUS_BAD_INPUT,
              "/g/m/species: not a readable dataset");
  expect_fail(make_broken("cn.h5", "coordinates", coords_wrong_n), TN_STATUS_BAD_INPUT,
              "/g/m/coordinates: shape (2, 4, 3), expected (F, 3, 3)");
  expect_fail(make_broken("cl.h5", "coordinates", coords_wrong_last), TN_STATUS_BAD_INPUT,
              "/g/m/coordinates: shape (2, 3, 2)");
  expect_fail(make_broken("cr.h5", "coordinates", coords_rank2), TN_STATUS_BAD_INPUT,
              "/g/m/coordinates: 2 dimensions, expected 3");
  expect_fail(make_broken("ci.h5", "coordinates", coords_int), TN_STATUS_UNSUPPORTED,
              "/g/m/coordinates: not floating point");
  expect_fail(make_broken("cx.h5", "coordinates", coords_nan), TN_STATUS_BAD_INPUT,
              "/g/m/coordinates[1][1][1]: not a finite number");
  expect_fail(make_broken("ef.h5", "energies", energies_wrong_f), TN_STATUS_BAD_INPUT,
              "/g/m/energies: 3 values, but coordinates has 2 conformers");
  expect_fail(make_broken("ei.h5", "energies", energies_int), TN_STATUS_UNSUPPORTED,
              "/g/m/energies: not floating point");
  expect_fail(make_broken("ex.h5", "energies", energies_inf), TN_STATUS_BAD_INPUT,
              "/g/m/energies[1]: not a finite number");
  /* A group two levels down that is not a molecule: /g/m holds datasets, so
   * build /g/x/deeper instead, where x has no molecule members. */
  const char *path = harness_tmp("deep.h5");
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t x = H5Gcreate2(g, "x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  nested_group(x);
  H5Gclose(x);
  H5Gclose(g);
  H5Fclose(f);
  expect_fail(path, TN_STATUS_NOT_FOUND, "/g/x: no 'coordinates' dataset");
}

/* Not HDF5, absent, empty, dangling links; a failed read changes nothing;
 * HDF5's error printing is off during the call and restored after it. */
static int hdf5_prints;
static herr_t count_prints(hid_t stack, void *data) {
  (void)stack, (void)data;
  hdf5_prints++;
  return 0;
}

static void test_bad_files(void) {
  const char *text = harness_tmp("text.h5");
  FILE *t = fopen(text, "w");
  fprintf(t, "not hdf5\n");
  fclose(t);
  expect_fail(text, TN_STATUS_BAD_INPUT, "not an HDF5 file");
  expect_fail(harness_tmp("absent.h5"), TN_STATUS_IO, "cannot open");

  const char *empty = harness_tmp("empty.h5");
  hid_t f = H5Fcreate(empty, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(H5Gcreate2(f, "just_a_group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose(f);
  expect_fail(empty, TN_STATUS_NOT_FOUND, "no molecule groups");

  const char *dangling = harness_tmp("dangling.h5");
  f = H5Fcreate(dangling, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_soft("/nowhere", f, "link", H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);

  H5E_auto2_t after_fn = NULL;
  void *after_data = NULL;
  H5Eset_auto2(H5E_DEFAULT, count_prints, &hdf5_prints);
  expect_fail(dangling, TN_STATUS_BAD_INPUT, "/link: cannot open (a dangling link?)");
  H5Eget_auto2(H5E_DEFAULT, &after_fn, &after_data);
  CHECK(hdf5_prints == 0);
  CHECK(after_fn == count_prints && after_data == &hdf5_prints);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* keep this test binary quiet */

  /* A good molecule read before a broken one is undone by the dispatcher. */
  const char *partial = harness_tmp("partial.h5");
  f = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  put_molecule(g, "a", 2, 3, water, 1);
  hid_t m = H5Gcreate2(g, "b", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  put_species(m, "species", water, 3, 1);
  H5Gclose(m);
  H5Gclose(g);
  H5Fclose(f);
  tn_dataset *ds = tn_dataset_create();
  const char *good = harness_tmp("good.h5");
  f = H5Fcreate(good, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  put_molecule(f, "solo", 3, 1, water, 0);
  H5Fclose(f);
  CHECK_OK(tn_dataset_read(ds, good, &ani_default));
  CHECK(ds->n_frames == 3 && tn_dataset_column(ds, TN_LABEL_ENERGY) == NULL);
  CHECK(tn_dataset_read(ds, partial, &ani_default) == TN_STATUS_NOT_FOUND);
  CHECK(strstr(tn_dataset_errmsg(ds), "/g/b: no 'coordinates'") != NULL);
  CHECK(ds->n_frames == 3 && ds->n_atoms == 3 && tn_dataset_column(ds, TN_LABEL_ENERGY) == NULL);
  tn_dataset_free(ds);
}

int main(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the test's own HDF5 calls stay quiet */
  RUN(test_gdb_s01);
  RUN(test_gdb_s02);
  RUN(test_written_layouts);
  RUN(test_bad_members);
  RUN(test_bad_files);
  return harness_finish();
}
