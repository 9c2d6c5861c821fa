/* PaiNN as a model, in float64. The checks every model must pass
 * (model_checks.h): forces and stress against central finite differences of
 * the energy; rotation, translation and permutation invariance of the
 * energy; a triclinic cell against its 2×2×2 supercell; the training loss's
 * parameter gradient (energy, forces through the tangent pass, atomic
 * energies, stress) against finite differences. PaiNN's own: both bases,
 * tanh and shared filters in the force checks; equivariance of the vector
 * features (they rotate with the input) and invariance of the scalar ones;
 * the loss gradient with shared filters; parameter counts; model files; bad
 * options; isolated atoms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/models/painn.h"
#include "model_checks.h"

#define FEAT 6 /* features of the small test models */

/* A small PaiNN: every part there, few parameters. basis and activation
 * "auto" unless given. */
static tn_model *sized_model(const int32_t *el, int ne, double cutoff, int shared,
                             const char *basis, const char *activation, int features) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "painn");
  o.features = features;
  o.interactions = 2;
  o.n_basis = 5;
  o.cutoff = cutoff;
  o.shared_filters = shared;
  if (basis) snprintf(o.basis, sizeof o.basis, "%s", basis);
  if (activation) snprintf(o.activation, sizeof o.activation, "%s", activation);
  return mc_model_create(&o, el, ne);
}

static tn_model *small_model(const int32_t *el, int ne, double cutoff, int shared,
                             const char *basis, const char *activation) {
  return sized_model(el, ne, cutoff, shared, basis, activation, FEAT);
}

/* The models of the shared tests (model_checks.h): the defaults (sinc,
 * SiLU); 4 features for the loss gradient, where each parameter costs two
 * loss evaluations. */
static tn_model *model_for(mc_use use) {
  static const int32_t molecule[3] = {1, 6, 8}, crystal[2] = {18, 36};
  switch (use) {
  case MC_USE_MOLECULE: return small_model(molecule, 3, 3.0, 0, NULL, NULL);
  case MC_USE_CRYSTAL: return small_model(crystal, 2, 5.0, 0, NULL, NULL);
  case MC_USE_LOSS: return sized_model(crystal, 2, 4.5, 0, NULL, NULL, 4);
  }
  return NULL;
}

/* The sinc default, Gaussians, tanh and shared filters. */
static void test_forces_molecule(void) {
  int32_t el[3] = {1, 6, 8};
  static const char *basis[4] = {NULL, "gaussian", NULL, NULL};
  static const char *act[4] = {NULL, NULL, "tanh", NULL};
  for (int v = 0; v < 4; v++)
    mc_check_molecule_forces(small_model(el, 3, 3.0, v == 3, basis[v], act[v]), 12, 3 + v);
}

/* R applied to the positions (plus a translation) rotates every vector
 * feature of the last interaction by R and leaves the scalars unchanged;
 * a mirror image turns the vectors too (v → M v), as polar vectors do. */
static void test_equivariance(void) {
  int32_t el[3] = {1, 6, 8};
  for (int shared = 0; shared < 2; shared++) {
    tn_model *m = small_model(el, 3, 3.0, shared, NULL, NULL);
    CHECK(m != NULL);
    if (!m) return;
    config c, d;
    mc_make_molecule(&c, 12, 8 + shared);
    static double s0[CONFIG_MAXN * FEAT], v0[CONFIG_MAXN * 3 * FEAT], s1[CONFIG_MAXN * FEAT],
        v1[CONFIG_MAXN * 3 * FEAT];
    char err[256];
    tn_frame fr = config_frame(&c);
    CHECK_OK(painn_features(m, &fr, s0, v0, err, sizeof err));
    double norm = 0;
    for (int q = 0; q < c.n * 3 * FEAT; q++) norm += v0[q] * v0[q];
    CHECK(norm > 1e-3); /* the vectors are not trivially zero */
    for (int pass = 0; pass < 2; pass++) {
      double rot[3][3];
      mc_rotation(rot, 1.1);
      if (pass) /* a reflection through the plane z = 0 after the rotation */
        for (int y = 0; y < 3; y++) rot[2][y] = -rot[2][y];
      d = c;
      for (int a = 0; a < c.n; a++)
        for (int x = 0; x < 3; x++) {
          d.pos[a][x] = -1.7 + 0.9 * x;
          for (int y = 0; y < 3; y++) d.pos[a][x] += rot[x][y] * c.pos[a][y];
        }
      fr = config_frame(&d);
      CHECK_OK(painn_features(m, &fr, s1, v1, err, sizeof err));
      CHECK(mc_rel_error(s1, s0, c.n * FEAT) < 1e-12);
      static double vrot[CONFIG_MAXN * 3 * FEAT];
      for (int a = 0; a < c.n; a++)
        for (int q = 0; q < FEAT; q++)
          for (int x = 0; x < 3; x++) {
            double sum = 0;
            for (int y = 0; y < 3; y++) sum += rot[x][y] * v0[(3 * a + y) * FEAT + q];
            vrot[(3 * a + x) * FEAT + q] = sum;
          }
      double rel = mc_rel_error(v1, vrot, c.n * 3 * FEAT);
      if (rel >= 1e-12) fprintf(stderr, "  vectors vs rotated vectors: rel %.3g\n", rel);
      CHECK(rel < 1e-12);
      CHECK(mc_rel_error(v1, v0, c.n * 3 * FEAT) > 1e-3); /* they did turn */
    }
    tn_model_free(m);
  }
}

/* ---- the training loss's parameter gradient with shared filters */

/* The loss model of model_for, with one filter network for all
 * interactions. */
static void check_shared_filters(mc_loss_term term, const char *what) {
  int32_t el[2] = {18, 36};
  tn_model *m = sized_model(el, 2, 4.5, 1, NULL, NULL, 4);
  CHECK(m != NULL);
  train_weights wt = mc_loss_weights(term);
  if (m) mc_check_loss_gradient(m, &wt, what);
  tn_model_free(m);
}

static void test_loss_gradient_shared_filters(void) {
  check_shared_filters(MC_LOSS_ALL, "all terms, shared filters");
  check_shared_filters(MC_LOSS_FORCES, "forces, shared filters");
}

/* ---- options, parameter counts, model files */

/* "auto" becomes sinc and SiLU; shared filters drop (T - 1) filter networks
 * of K·3F weights and 3F biases each. */
static void test_options_and_shared_filters(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "painn");
  o.features = 8;
  o.interactions = 3;
  o.n_basis = 7;
  tn_model *a = NULL, *b = NULL;
  char err[256];
  CHECK_OK(tn_model_create(&a, &o, el, 2, 1, err, sizeof err));
  o.shared_filters = 1;
  CHECK_OK(tn_model_create(&b, &o, el, 2, 1, err, sizeof err));
  if (a && b) {
    tn_model_options got = tn_model_get_options(a);
    CHECK(strcmp(got.basis, "sinc") == 0 && strcmp(got.activation, "silu") == 0);
    int64_t filter = 7 * 3 * 8 + 3 * 8;
    CHECK(tn_model_param_count(a) - tn_model_param_count(b) == 2 * filter);
    /* The full count, from the equations: embedding, filters, per
     * interaction φ (F·F+F, F·3F+3F), U, V (F·F each), the update network
     * (2F·F+F, F·3F+3F), and the readout (F·F/2+F/2, F/2+1). */
    int64_t per = (64 + 8) + (192 + 24) + 64 + 64 + (128 + 8) + (192 + 24);
    CHECK(tn_model_param_count(a) == 2 * 8 + 3 * filter + 3 * per + (32 + 4) + (4 + 1));
  }
  tn_model_free(a);
  tn_model_free(b);
}

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  for (int shared = 0; shared < 2; shared++) {
    tn_model *m = small_model(el, 3, 3.0, shared, NULL, NULL);
    CHECK(m != NULL);
    if (!m) return;
    tn_model *r = mc_check_save_load(m, harness_tmp("painn.tnm"));
    if (r) {
      tn_model_options a = tn_model_get_options(m), b = tn_model_get_options(r);
      CHECK(strcmp(b.type, "painn") == 0 && b.shared_filters == shared);
      CHECK(strcmp(a.basis, b.basis) == 0 && a.features == b.features && a.cutoff == b.cutoff);
      CHECK(tn_model_param_count(r) == tn_model_param_count(m));
      tn_model_free(r);
    }
    tn_model_free(m);
  }
}

/* Every option the architecture checks, and painn_features' own errors. */
static void test_bad_input(void) {
  int32_t el[2] = {1, 8};
  struct {
    int features, interactions, n_basis, shared;
    const char *basis, *activation, *message;
  } bad[] = {
      {1, 2, 5, 0, "auto", "auto", "model.features"},
      {8, 0, 5, 0, "auto", "auto", "model.interactions"},
      {8, 17, 5, 0, "auto", "auto", "model.interactions"},
      {8, 2, 0, 0, "auto", "auto", "model.n_basis"},
      {8, 2, 1, 0, "gaussian", "auto", "model.n_basis"},
      {8, 2, 5, 0, "bessel", "auto", "model.basis 'bessel'"},
      {8, 2, 5, 0, "auto", "relu", "model.activation 'relu'"},
      {8, 2, 5, 2, "auto", "auto", "model.shared_filters"},
  };
  for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
    tn_model_options o = tn_model_options_default();
    snprintf(o.type, sizeof o.type, "painn");
    o.features = bad[q].features;
    o.interactions = bad[q].interactions;
    o.n_basis = bad[q].n_basis;
    o.shared_filters = bad[q].shared;
    snprintf(o.basis, sizeof o.basis, "%s", bad[q].basis);
    snprintf(o.activation, sizeof o.activation, "%s", bad[q].activation);
    tn_model *m = NULL;
    char err[256] = "";
    CHECK(tn_model_create(&m, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(m == NULL && strstr(err, bad[q].message) != NULL);
    if (!strstr(err, bad[q].message)) fprintf(stderr, "  got '%s'\n", err);
  }
  /* painn_features: a SchNet model is refused; an unknown element too. */
  tn_model_options o = tn_model_options_default();
  o.features = 4;
  o.interactions = 1;
  tn_model *schnet = NULL, *m = small_model(el, 2, 3.0, 0, NULL, NULL);
  char err[256];
  CHECK_OK(tn_model_create(&schnet, &o, el, 2, 1, err, sizeof err));
  config c;
  mc_make_molecule(&c, 6, 1); /* has carbon, which the models lack */
  tn_frame fr = config_frame(&c);
  double s[6 * FEAT], v[18 * FEAT];
  if (schnet) {
    CHECK(painn_features(schnet, &fr, s, v, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(err, "schnet") != NULL);
  }
  if (m) {
    CHECK(painn_features(m, &fr, s, v, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "element C") != NULL);
    double e;
    CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  }
  tn_model_free(schnet);
  tn_model_free(m);
}

/* A lone atom (no edges) and a frame of two atoms farther apart than the
 * cutoff: the energy is the sum of the atoms' own energies, forces zero. */
static void test_isolated_atoms(void) {
  int32_t el[2] = {1, 8};
  tn_model *m = small_model(el, 2, 3.0, 0, NULL, NULL);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  memset(&c, 0, sizeof c);
  c.n = 1;
  c.z[0] = 8;
  double e1, e2, f[2][3];
  CHECK_OK(tn_model_eval(m, &(tn_frame){1, c.z, (const double(*)[3])c.pos, {{0}}, {0}, 0, NULL},
                         &e1, f, NULL, NULL));
  CHECK(isfinite(e1) && f[0][0] == 0 && f[0][1] == 0 && f[0][2] == 0);
  c.n = 2;
  c.z[1] = 8;
  c.pos[1][0] = 3.5;
  tn_frame fr = config_frame(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e2, f, NULL, NULL));
  CHECK_NEAR(e2, 2 * e1, 1e-14, 1e-14);
  CHECK(f[1][0] == 0);
  tn_model_free(m);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_painn needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  mc_run_model_tests(model_for);
  RUN(test_equivariance);
  RUN(test_loss_gradient_shared_filters);
  RUN(test_options_and_shared_filters);
  RUN(test_model_file);
  RUN(test_bad_input);
  RUN(test_isolated_atoms);
  return harness_finish();
}
