/* SchNet as a model, in float64. The checks every model must pass
 * (model_checks.h): forces and stress against central finite differences of
 * the energy; rotation, translation and permutation invariance; a periodic
 * cell against its 2×2×2 supercell; the training loss's parameter gradient
 * (energy, forces through the tangent pass, atomic energies, stress) against
 * finite differences. SchNet's own: both radial bases, tn_model_check_forces
 * (`tanne checkf`), model files (truncated, corrupted, the "arch" keys) and
 * bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_checks.h"

/* A small model: everything SchNet has, few parameters. */
static tn_model *small_model(const int32_t *el, int ne, double cutoff, const char *basis) {
  tn_model_options o = tn_model_options_default();
  o.features = 6;
  o.interactions = 2;
  o.n_basis = 5;
  o.cutoff = cutoff;
  snprintf(o.basis, sizeof o.basis, "%s", basis);
  return mc_model_create(&o, el, ne);
}

/* The models of the shared tests (model_checks.h), with Gaussian bases. */
static tn_model *model_for(mc_use use) {
  static const int32_t molecule[3] = {1, 6, 8}, crystal[2] = {18, 36};
  switch (use) {
  case MC_USE_MOLECULE: return small_model(molecule, 3, 3.0, "gaussian");
  case MC_USE_CRYSTAL: return small_model(crystal, 2, 5.0, "gaussian");
  case MC_USE_LOSS: return small_model(crystal, 2, 4.5, "gaussian");
  }
  return NULL;
}

static void test_forces_molecule(void) {
  int32_t el[3] = {1, 6, 8};
  for (int b = 0; b < 2; b++)
    mc_check_molecule_forces(small_model(el, 3, 3.0, b ? "sinc" : "gaussian"), 12, 3 + b);
}

/* tn_model_check_forces (the body of `tanne checkf`) finds forces and
 * stress consistent in float64 to near round-off. */
static void test_check_forces(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, "gaussian");
  CHECK(m != NULL);
  if (!m) return;
  config c;
  mc_make_crystal(&c, 5);
  tn_frame fr = config_frame(&c);
  tn_force_check chk;
  int32_t atoms[2] = {3, 0};
  CHECK_OK(tn_model_check_forces(m, &fr, 1e-4, atoms, 2, &chk));
  CHECK(chk.n_components == 6 && chk.rms_force > 1e-3);
  CHECK(chk.max_err <= 1e-8 * chk.rms_force);
  CHECK(chk.worst_atom == 3 || chk.worst_atom == 0);
  CHECK(!isnan(chk.stress_max_err) && chk.stress_max_err <= 1e-8 * chk.stress_max);
  tn_model_free(m);
}

/* ---- model files */

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = small_model(el, 3, 3.0, "sinc");
  CHECK(m != NULL);
  if (!m) return;
  const char *path = harness_tmp("model.tnm");
  tn_model *r = mc_check_save_load(m, path);
  if (r) {
    tn_model_options a = tn_model_get_options(m), b = tn_model_get_options(r);
    CHECK(strcmp(a.basis, b.basis) == 0 && a.features == b.features && a.cutoff == b.cutoff);
    tn_model_free(r);
    r = NULL;
  }
  /* Truncated and corrupted files are refused with a message naming them. */
  char err[512];
  char *data = NULL;
  size_t len = 0;
  CHECK_OK(tn_read_file(path, &data, &len, err, sizeof err));
  const char *bad = harness_tmp("bad.tnm");
  FILE *f = fopen(bad, "wb");
  fwrite(data, 1, len / 2, f);
  fclose(f);
  CHECK(tn_model_load(&r, bad, err, sizeof err) == TN_STATUS_BAD_INPUT && r == NULL);
  CHECK(strstr(err, "truncated") != NULL);
  data[len / 2] ^= 0x10;
  f = fopen(bad, "wb");
  fwrite(data, 1, len, f);
  fclose(f);
  CHECK(tn_model_load(&r, bad, err, sizeof err) == TN_STATUS_BAD_INPUT && r == NULL);
  CHECK(strstr(err, "checksum") != NULL);
  free(data);
  tn_model_free(m);
}

/* The "arch" section: "auto" choices are stored resolved; a key added later
 * (shared_filters) may be absent and takes its old meaning; unknown,
 * repeated and missing required keys are refused. */
static void test_model_file_arch_keys(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  o.features = 8;
  o.interactions = 1;
  o.n_basis = 6;
  tn_model *m = NULL, *r = NULL;
  char err[512];
  CHECK_OK(tn_model_create(&m, &o, el, 2, 3, err, sizeof err));
  if (!m) return;
  tn_model_options got = tn_model_get_options(m);
  CHECK(strcmp(got.basis, "gaussian") == 0 && strcmp(got.activation, "ssp") == 0);
  const char *path = harness_tmp("arch_src.tnm");
  CHECK_OK(tn_model_save(m, path));
  const char *base = "type schnet\nfeatures 8\ninteractions 1\nn_basis 6\nbasis gaussian\n"
                     "cutoff 5\nactivation ssp\n";
  CHECK_OK(mc_load_edited(path, "arch", base, &r, err, sizeof err));
  if (r) CHECK(tn_model_get_options(r).shared_filters == 0);
  tn_model_free(r);
  char text[512];
  snprintf(text, sizeof text, "%scolour red\n", base);
  CHECK(mc_load_edited(path, "arch", text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "line 8: unknown key 'colour'") != NULL);
  snprintf(text, sizeof text, "%sfeatures 8\n", base);
  CHECK(mc_load_edited(path, "arch", text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "repeated key 'features'") != NULL);
  CHECK(mc_load_edited(path, "arch", base + strlen("type schnet\n"), &r, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "key 'type' missing") != NULL);
  snprintf(text, sizeof text, "%sshared_filters x\n", base);
  CHECK(mc_load_edited(path, "arch", text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "key 'shared_filters': bad value 'x'") != NULL);
  CHECK(r == NULL);
  tn_model_free(m);
}

static void test_bad_input(void) {
  int32_t el[2] = {1, 8};
  tn_model *m = small_model(el, 2, 3.0, "gaussian");
  CHECK(m != NULL);
  if (!m) return;
  config c;
  mc_make_molecule(&c, 6, 1); /* has carbon, which the model lacks */
  tn_frame fr = config_frame(&c);
  double e;
  CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "element C") != NULL);
  for (int a = 0; a < c.n; a++) c.z[a] = a % 2 ? 1 : 8;
  memcpy(c.pos[1], c.pos[0], sizeof c.pos[0]);
  fr = config_frame(&c);
  CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "same place") != NULL);
  double s[3][3];
  CHECK(tn_model_eval(m, &fr, &e, NULL, s, NULL) == TN_STATUS_INVALID_ARG);
  tn_model_options o = tn_model_options_default();
  o.features = 0;
  tn_model *bad = NULL;
  char err[256];
  CHECK(tn_model_create(&bad, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
  o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "transformer");
  CHECK(tn_model_create(&bad, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(bad == NULL);
  tn_model_free(m);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_schnet needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  mc_run_model_tests(model_for);
  RUN(test_check_forces);
  RUN(test_model_file);
  RUN(test_model_file_arch_keys);
  RUN(test_bad_input);
  return harness_finish();
}
