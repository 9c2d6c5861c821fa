/* Import of n2p2 potentials, in float64: for both fixtures (H2O in Bohr and
 * Hartree with tanhu cutoffs and tanh layers, Cu2S in Å and eV with poly2
 * cutoffs and softplus layers), total energies, forces and atomic energies
 * of all 8 structures against what n2p2's own nnp-predict computed
 * (../shared/fixtures/n2p2, README.md there); a model file round trip; and
 * bad inputs: missing files, truncated weights, unknown keywords, each
 * message with its file and line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/models/bpnn.h"
#include "harness.h"

#define FIXTURES "../shared/fixtures/n2p2"
#define TOL      1e-8 /* relative */

static int have_fixtures(void) {
  struct stat s;
  return stat(FIXTURES "/H2O_RPBE-D3/input.nn", &s) == 0 &&
         stat(FIXTURES "/Cu2S_PBE/input.nn", &s) == 0;
}

/* The value of a keyword of input.nn (first number after it), read here
 * independently of the importer. */
static double keyword_value(const char *dir, const char *key) {
  char path[600], line[512];
  snprintf(path, sizeof path, "%s/input.nn", dir);
  FILE *f = fopen(path, "r");
  double v = NAN;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\t')) v = atof(line + n);
  if (f) fclose(f);
  return v;
}

/* Reads the rows of an expected_*.txt file: the first column (structure,
 * 1-based) and the last `nv` columns of each row. */
static int read_rows(const char *dir, const char *name, int nv, int *frame, double *val, int max) {
  char path[600], line[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  int n = 0;
  while (f && n < max && fgets(line, sizeof line, f)) {
    double col[16];
    int nc = 0;
    for (char *p = strtok(line, " \t\n"); p && nc < 16; p = strtok(NULL, " \t\n"))
      col[nc++] = atof(p);
    if (nc < nv + 1) continue;
    frame[n] = (int)col[0];
    for (int q = 0; q < nv; q++) val[n * nv + q] = col[nc - nv + q];
    n++;
  }
  if (f) fclose(f);
  return n;
}

typedef struct worst {
  double energy, forces, atoms, atoms_nomean; /* max relative errors */
  double forces_scaled;                       /* max |ΔF| / max |F| of the frame */
} worst;

static double relerr(double got, double want, double scale) {
  return fabs(got - want) / fmax(fabs(want), scale);
}

static void check_fixture(const char *name, const char *eunit, const char *lunit, worst *w) {
  char dir[256], path[600], err[512];
  snprintf(dir, sizeof dir, FIXTURES "/%s", name);
  double eu = tn_energy_unit(eunit), lu = tn_length_unit(lunit);
  tn_model *m = NULL;
  CHECK_OK(tn_model_import_n2p2(&m, dir, eu, lu, err, sizeof err));
  if (!m) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  tn_dataset *ds = tn_dataset_create();
  tn_read_options ro = tn_read_options_default();
  ro.format = TN_FORMAT_N2P2;
  ro.energy_unit = eu;
  ro.length_unit = lu;
  snprintf(path, sizeof path, "%s/reference.data", dir);
  CHECK_OK(tn_dataset_read(ds, path, &ro));
  CHECK(ds->n_frames == 8);
  enum { MAXR = 4096 };
  static int fe[MAXR], ff[MAXR], fa[MAXR];
  static double ve[MAXR], vf[3 * MAXR], va[MAXR];
  int ne = read_rows(dir, "expected_energy.txt", 1, fe, ve, MAXR);
  int nf = read_rows(dir, "expected_forces.txt", 3, ff, vf, MAXR);
  int na = read_rows(dir, "expected_atomic_energies.txt", 1, fa, va, MAXR);
  CHECK(ne == 8 && nf == ds->n_atoms && na == ds->n_atoms);
  double mean = keyword_value(dir, "mean_energy");
  CHECK(isfinite(mean));
  double *f = malloc((size_t)ds->n_atoms * 3 * sizeof *f), *ea = malloc(ds->n_atoms * sizeof *ea);
  for (int64_t fr = 0; fr < ds->n_frames && fr < ne; fr++) {
    tn_frame frame;
    tn_dataset_frame(ds, fr, &frame);
    double e;
    CHECK_OK(tn_model_eval(m, &frame, &e, (double(*)[3])f, NULL, ea));
    CHECK(fe[fr] == fr + 1);
    double re = relerr(e, ve[fr] * eu, 0.0);
    if (re > w->energy) w->energy = re;
    /* forces relative to each component, floored at 1e-6 of the frame's
     * largest so that components that cancel to ~0 are not over-weighted */
    int64_t a0 = ds->atom_start[fr];
    double fbig = 0.0;
    for (int a = 0; a < 3 * frame.n_atoms; a++) fbig = fmax(fbig, fabs(vf[3 * a0 + a]));
    for (int a = 0; a < frame.n_atoms; a++) {
      CHECK(ff[a0 + a] == fr + 1 && fa[a0 + a] == fr + 1);
      for (int x = 0; x < 3; x++) {
        double r = relerr(f[3 * a + x], vf[3 * (a0 + a) + x] * eu / lu, 1e-6 * fbig * eu / lu);
        if (r > w->forces) w->forces = r;
        r = fabs(f[3 * a + x] - vf[3 * (a0 + a) + x] * eu / lu) / (fbig * eu / lu);
        if (r > w->forces_scaled) w->forces_scaled = r;
      }
      /* n2p2 writes atomic energies without the mean energy; compared
       * without it too, relative to the frame's largest */
      double r = relerr(ea[a], (va[a0 + a] + mean) * eu, 0.0);
      if (r > w->atoms) w->atoms = r;
      double abig = 0.0;
      for (int b = 0; b < frame.n_atoms; b++) abig = fmax(abig, fabs(va[a0 + b]));
      r = fabs(ea[a] / eu - mean - va[a0 + a]) / abig;
      if (r > w->atoms_nomean) w->atoms_nomean = r;
    }
  }
  free(f);
  free(ea);
  /* a model file holds it all */
  const char *tnm = harness_tmp("imported.tnm");
  CHECK_OK(tn_model_save(m, tnm));
  tn_model *r = NULL;
  CHECK_OK(tn_model_load(&r, tnm, err, sizeof err));
  if (r) {
    tn_frame frame;
    tn_dataset_frame(ds, 1, &frame);
    double e1, e2;
    CHECK_OK(tn_model_eval(m, &frame, &e1, NULL, NULL, NULL));
    CHECK_OK(tn_model_eval(r, &frame, &e2, NULL, NULL, NULL));
    CHECK(e1 == e2);
  }
  tn_model_free(r);
  tn_dataset_free(ds);
  tn_model_free(m);
}

static void test_fixtures(void) {
  if (!have_fixtures()) SKIP("no n2p2 fixtures at " FIXTURES " (run from the repository root)");
  worst h = {0}, c = {0};
  check_fixture("H2O_RPBE-D3", "Hartree", "Bohr", &h);
  check_fixture("Cu2S_PBE", "eV", "Angstrom", &c);
  fprintf(stderr,
          "  max relative error vs n2p2: H2O energy %.2g forces %.2g (%.2g of the largest) atomic "
          "%.2g (%.2g without the mean); Cu2S energy %.2g forces %.2g (%.2g) atomic %.2g (%.2g)\n",
          h.energy, h.forces, h.forces_scaled, h.atoms, h.atoms_nomean, c.energy, c.forces,
          c.forces_scaled, c.atoms, c.atoms_nomean);
  CHECK(h.energy <= TOL && h.forces <= TOL && h.atoms <= TOL && h.atoms_nomean <= TOL);
  CHECK(c.energy <= TOL && c.forces <= TOL && c.atoms <= TOL && c.atoms_nomean <= TOL);
}

/* ---- bad inputs: a copy of the Cu2S folder, damaged one way at a time */

static char *slurp(const char *path) {
  char *data = NULL, err[256];
  size_t len = 0;
  return tn_read_file(path, &data, &len, err, sizeof err) == TN_STATUS_OK ? data : NULL;
}

static void spill(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

/* A fresh copy of Cu2S_PBE's potential files in dir. */
static void copy_potential(const char *dir) {
  static const char *const files[4] = {"input.nn", "scaling.data", "weights.016.data",
                                       "weights.029.data"};
  mkdir(dir, 0755);
  for (int q = 0; q < 4; q++) {
    char src[600], dst[600];
    snprintf(src, sizeof src, FIXTURES "/Cu2S_PBE/%s", files[q]);
    snprintf(dst, sizeof dst, "%s/%s", dir, files[q]);
    char *t = slurp(src);
    if (t) spill(dst, t);
    free(t);
  }
}

/* Replaces the first occurrence of find in dir/file by put. */
static void edit(const char *dir, const char *file, const char *find, const char *put) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  char *t = slurp(path);
  char *at = t ? strstr(t, find) : NULL;
  CHECK(at != NULL);
  if (!at) {
    free(t);
    return;
  }
  size_t n = strlen(t) + strlen(put) + 1;
  char *u = malloc(n);
  snprintf(u, n, "%.*s%s%s", (int)(at - t), t, put, at + strlen(find));
  spill(path, u);
  free(u);
  free(t);
}

static void expect_refusal(const char *dir, tn_status want, const char *msg) {
  tn_model *m = NULL;
  char err[512];
  tn_status st = tn_model_import_n2p2(&m, dir, 1.0, 1.0, err, sizeof err);
  if (st != want || !strstr(err, msg))
    fprintf(stderr, "  got '%s' (%s), wanted '%s' (%s)\n", err, tn_status_str(st), msg,
            tn_status_str(want));
  CHECK(st == want && m == NULL);
  CHECK(strstr(err, msg) != NULL);
}

static void test_bad_inputs(void) {
  if (!have_fixtures()) SKIP("no n2p2 fixtures at " FIXTURES);
  const char *dir = harness_tmp("cu2s");
  char path[600];
  /* missing files */
  copy_potential(dir);
  snprintf(path, sizeof path, "%s/weights.029.data", dir);
  remove(path);
  expect_refusal(dir, TN_STATUS_IO, "weights.029.data: cannot open");
  copy_potential(dir);
  snprintf(path, sizeof path, "%s/scaling.data", dir);
  remove(path);
  expect_refusal(dir, TN_STATUS_IO, "scaling.data: cannot open");
  expect_refusal(harness_tmp("nothing-here"), TN_STATUS_IO, "input.nn: cannot open");
  /* a truncated weights file: its last lines gone */
  copy_potential(dir);
  snprintf(path, sizeof path, "%s/weights.016.data", dir);
  char *t = slurp(path);
  if (t) {
    size_t n = strlen(t);
    for (int k = 0; k < 4 && n > 0; k++)
      while (n > 0 && t[--n] != '\n') {
      }
    t[n + 1] = '\0';
    spill(path, t);
    free(t);
  }
  expect_refusal(dir, TN_STATUS_BAD_INPUT, "weights.016.data: truncated");
  /* a weights line out of place */
  copy_potential(dir);
  edit(dir, "weights.029.data", " a         2     0     1     1     2",
       " a         2     0     1     1     3");
  expect_refusal(dir, TN_STATUS_BAD_INPUT, "weights.029.data:18: expected connection 2");
  /* input.nn: an unknown keyword, an unsupported one, a bad value, a
   * missing one, an unsupported symmetry function and activation */
  copy_potential(dir);
  edit(dir, "input.nn", "random_seed 3", "random_sed 3");
  expect_refusal(dir, TN_STATUS_UNSUPPORTED, "input.nn:45: unknown keyword 'random_sed'");
  copy_potential(dir);
  edit(dir, "input.nn", "#normalize_nodes", "normalize_nodes");
  expect_refusal(dir, TN_STATUS_UNSUPPORTED, "keyword 'normalize_nodes' changes predictions");
  copy_potential(dir);
  edit(dir, "input.nn", "cutoff_type                     6 0.0",
       "cutoff_type                     6 1.5");
  expect_refusal(dir, TN_STATUS_BAD_INPUT, "input.nn:25: keyword 'cutoff_type': bad");
  copy_potential(dir);
  edit(dir, "input.nn", "global_activation_short", "#");
  expect_refusal(dir, TN_STATUS_NOT_FOUND, "keyword 'global_activation_short' missing");
  copy_potential(dir);
  edit(dir, "input.nn", "p p l", "p r l");
  expect_refusal(dir, TN_STATUS_UNSUPPORTED, "activation 'r' is not supported");
  copy_potential(dir);
  edit(dir, "input.nn", "symfunction_short S  2 S  2.000E+00 1.500E+00 6.000E+00",
       "symfunction_short S 12 S  2.000E+00 1.500E+00 6.000E+00");
  expect_refusal(dir, TN_STATUS_UNSUPPORTED, "keyword 'symfunction_short': type 12 is not");
  copy_potential(dir);
  edit(dir, "input.nn", "symfunction_short S  2 S  2.000E+00 1.500E+00 6.000E+00",
       "symfunction_short S  2 Xe 2.000E+00 1.500E+00 6.000E+00");
  expect_refusal(dir, TN_STATUS_BAD_INPUT, "an element not listed in 'elements'");
  /* scaling.data out of order */
  copy_potential(dir);
  edit(dir, "scaling.data", "         1          2 ", "         1          3 ");
  expect_refusal(dir, TN_STATUS_BAD_INPUT, "scaling.data:17: element 1 function 3 where 1 2");
  /* nine distinct cutoff radii: more than a model holds */
  copy_potential(dir);
  for (int q = 1; q <= 9; q++) {
    char put[64];
    snprintf(put, sizeof put, "5.%d00E+00\nsymfunction_short", q);
    edit(dir, "input.nn", "6.000E+00\nsymfunction_short", put);
  }
  expect_refusal(dir, TN_STATUS_UNSUPPORTED, "more than 8 distinct cutoff radii");
  tn_model *m = NULL;
  char err[256];
  CHECK(tn_model_import_n2p2(&m, dir, -1.0, 1.0, err, sizeof err) == TN_STATUS_INVALID_ARG);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_n2p2_import needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_fixtures);
  RUN(test_bad_inputs);
  return harness_finish();
}
