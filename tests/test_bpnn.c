/* Behler–Parrinello networks as models, in float64. The checks every model
 * must pass (model_checks.h): forces and stress against central finite
 * differences of the energy; rotation, translation and permutation
 * invariance; a periodic cell against its 2×2×2 supercell; the training
 * loss's parameter gradient for each loss term. BPNN's own: angular kinds,
 * cutoff functions and activations in the force checks; model files with the
 * "bpnn" section, and corrupted sections refused; the fit of scaling
 * statistics; copies of the fixed data; bad options. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/tagfile.h"
#include "../src/models/bpnn.h"
#include "model_checks.h"

/* The models of the shared tests (model_checks.h): narrow angular
 * functions, each use with its own cutoff function and activation. */
static tn_model *model_for(mc_use use) {
  static const int32_t molecule[3] = {1, 6, 8}, crystal[2] = {18, 36};
  switch (use) {
  case MC_USE_MOLECULE: return mc_bpnn_small(molecule, 3, 3.0, "narrow", "poly2", "softplus");
  case MC_USE_CRYSTAL: return mc_bpnn_small(crystal, 2, 5.0, "narrow", "cos", "tanh");
  case MC_USE_LOSS: return mc_bpnn_small(crystal, 2, 4.5, "narrow", "cos", "softplus");
  }
  return NULL;
}

static void test_forces_molecule(void) {
  int32_t el[3] = {1, 6, 8};
  static const char *const kinds[3] = {"wide", "narrow", "narrow"};
  static const char *const cuts[3] = {"cos", "poly2", "tanhu"};
  static const char *const acts[3] = {"tanh", "softplus", "logistic"};
  for (int b = 0; b < 3; b++)
    mc_check_molecule_forces(mc_bpnn_small(el, 3, 3.0, kinds[b], cuts[b], acts[b]), 12, 3 + b);
}

/* ---- model files */

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = mc_bpnn_small(el, 3, 3.0, "narrow", "poly2", "softplus");
  CHECK(m != NULL);
  if (!m) return;
  const char *path = harness_tmp("model.tnm");
  tn_model *r = mc_check_save_load(m, path);
  char err[512];
  if (r) {
    CHECK(r->n_params == m->n_params);
    const bp_layout *a = m->layout, *b = r->layout;
    CHECK(a->n_sf == b->n_sf && memcmp(bp_fns(a), bp_fns(b), a->n_sf * sizeof(acsf_fn)) == 0);
    CHECK(memcmp(bp_scales(a), bp_scales(b), a->n_sf * 3 * sizeof(double)) == 0);
    tn_model_options oa = tn_model_get_options(m), ob = tn_model_get_options(r);
    CHECK(strcmp(oa.acsf_cutoff, ob.acsf_cutoff) == 0 && oa.acsf_angular == ob.acsf_angular);
    tn_model_free(r);
    r = NULL;
  }
  /* The "bpnn" section, edited: each damage is refused with file, line and field. */
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err));
  const char *text = tf_get_text(&f, "bpnn", err, sizeof err);
  CHECK(text != NULL);
  if (!text) {
    tf_free(&f);
    tn_model_free(m);
    return;
  }
  size_t len = strlen(text);
  char *bad = malloc(len + 64);
  const char *sf2 = strstr(text, "\nsf ");
  CHECK(sf2 != NULL);
  struct {
    const char *find, *put, *msg;
  } cases[] = {
      {"bpnn 1", "bpnn 2", "line 1: field 'bpnn'"},
      {"cutoff poly2", "cutoff poly9", "line 2: field 'cutoff'"},
      {"element H sf", "element He sf", "line 3: field 'element'"},
      {"hidden 2", "hidden x", "line 3: field 'hidden'"},
      {"act softplus", "act swish", "line 3: field 'act'"},
      {"\nsf 2 H - ", "\nsf 2 Xx - ", "line 4: field 'e1'"},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    const char *at = strstr(text, cases[q].find);
    CHECK(at != NULL);
    if (!at) continue;
    size_t pre = (size_t)(at - text);
    snprintf(bad, len + 64, "%.*s%s%s", (int)pre, text, cases[q].put, at + strlen(cases[q].find));
    CHECK(mc_load_edited(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT &&
          r == NULL);
    if (!strstr(err, cases[q].msg)) fprintf(stderr, "  case %zu: %s\n", q, err);
    CHECK(strstr(err, cases[q].msg) != NULL);
  }
  /* A number that is not one, and a truncated section. */
  const char *num = strstr(sf2 + 1, " ");
  for (int k = 0; k < 3 && num; k++) num = strchr(num + 1, ' '); /* after type, e1, e2: eta */
  if (num) {
    size_t pre = (size_t)(num - text) + 1;
    const char *end = strchr(num + 1, ' ');
    snprintf(bad, len + 64, "%.*snan%s", (int)pre, text, end);
    CHECK(mc_load_edited(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "field 'eta': not a finite number") != NULL);
  }
  snprintf(bad, len + 64, "%.*s", (int)(sf2 - text + 1), text);
  CHECK(mc_load_edited(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "fewer elements or symmetry functions") != NULL);
  /* Well-formed but inconsistent: a cutoff radius beyond the model's. */
  const char *rc = strstr(text, " 3 0 0 ");
  if (rc) {
    size_t pre = (size_t)(rc - text);
    snprintf(bad, len + 64, "%.*s 30 0 0 %s", (int)pre, text, rc + 7);
    CHECK(mc_load_edited(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "rc must be in (0, model cutoff]") != NULL);
  }
  CHECK(r == NULL);
  free(bad);
  tf_free(&f);
  tn_model_free(m);
}

/* ---- scaling statistics and copies */

static void test_fit_data_and_copy(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = mc_bpnn_small(el, 2, 4.5, "wide", "cos", "tanh"), *c2 = NULL;
  tn_dataset *ds = mc_labelled_set();
  CHECK(m && ds);
  if (!m || !ds) return;
  char err[256];
  CHECK_OK(m->arch->fit_data(m, ds, NULL, 0, err, sizeof err)); /* sigma by default */
  /* Over the data, every scaled function with spread has mean 0 and σ 1. */
  const bp_layout *L = m->layout;
  double sum[256] = {0}, sum2[256] = {0};
  int cnt[256] = {0};
  tn_neighbors *nl = tn_neighbors_create();
  double g[8 * 64];
  CHECK(L->n_sf <= 256 && L->max_sf <= 64);
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    CHECK_OK(bpnn_descriptors(m, nl, &fr, 1, g, err, sizeof err));
    for (int a = 0; a < fr.n_atoms; a++) {
      const bp_element *E = &L->el[model_element_index(m, fr.species[a])];
      for (int s = 0; s < E->n_sf; s++) {
        double v = g[a * L->max_sf + s];
        sum[E->first + s] += v;
        sum2[E->first + s] += v * v;
        cnt[E->first + s]++;
      }
    }
  }
  int spread = 0;
  for (int s = 0; s < L->n_sf; s++) {
    double mean = sum[s] / cnt[s], var = sum2[s] / cnt[s] - mean * mean;
    CHECK_NEAR(mean, 0.0, 0, 1e-12);
    if (bp_scales(L)[s][1] != 1.0) {
      CHECK_NEAR(var, 1.0, 1e-10, 0);
      spread++;
    }
  }
  CHECK(spread > L->n_sf / 2);
  tn_neighbors_free(nl);
  /* A model made from the options gets the fitted data by copy_extra. */
  tn_model_options o = tn_model_get_options(m);
  CHECK_OK(tn_model_create(&c2, &o, el, 2, 0, err, sizeof err));
  if (c2) {
    CHECK_OK(m->arch->copy_extra(c2, m, err, sizeof err));
    memcpy(c2->params, m->params, m->n_params * sizeof *m->params);
    tn_model_set_shifts(c2, m->shift, m->scale);
    config c;
    mc_make_crystal(&c, 5);
    CHECK(mc_energy(c2, &c) == mc_energy(m, &c));
    tn_model_free(c2);
  }
  /* minmax scaling maps the data onto [0, 1]. */
  snprintf(m->opt.acsf_scaling, sizeof m->opt.acsf_scaling, "minmax");
  CHECK_OK(m->arch->fit_data(m, ds, NULL, 0, err, sizeof err));
  double lo = 1e9, hi = -1e9;
  nl = tn_neighbors_create();
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    CHECK_OK(bpnn_descriptors(m, nl, &fr, 1, g, err, sizeof err));
    for (int a = 0; a < fr.n_atoms; a++)
      for (int s = 0; s < L->el[0].n_sf; s++) {
        double v = g[a * L->max_sf + s];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
  }
  CHECK_NEAR(lo, 0.0, 0, 1e-12);
  CHECK_NEAR(hi, 1.0, 0, 1e-12);
  tn_neighbors_free(nl);
  tn_dataset_free(ds);
  tn_model_free(m);
}

static void test_bad_options(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "bpnn");
  tn_model *m = NULL;
  char err[256];
  CHECK_OK(tn_model_create(&m, &o, el, 2, 1, err, sizeof err));
  if (m) {
    tn_model_options got = tn_model_get_options(m);
    CHECK(strcmp(got.activation, "tanh") == 0); /* "auto" */
    CHECK(m->arch->hops(m) == 1);
    tn_model_free(m);
    m = NULL;
  }
  struct {
    int field;
    const char *value, *msg;
  } cases[] = {
      {0, "5", "model.acsf_angular even in 0..32"}, {1, "cosine", "unknown model.acsf_cutoff"},
      {2, "huge", "unknown model.acsf_scaling"},    {3, "tiny", "model.acsf_angular_kind"},
      {4, "relu", "unknown model.activation"},      {5, "9", "model.interactions"},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    tn_model_options b = o;
    switch (cases[q].field) {
    case 0: b.acsf_angular = atoi(cases[q].value); break;
    case 1: snprintf(b.acsf_cutoff, sizeof b.acsf_cutoff, "%s", cases[q].value); break;
    case 2: snprintf(b.acsf_scaling, sizeof b.acsf_scaling, "%s", cases[q].value); break;
    case 3: snprintf(b.acsf_angular_kind, sizeof b.acsf_angular_kind, "%s", cases[q].value); break;
    case 4: snprintf(b.activation, sizeof b.activation, "%s", cases[q].value); break;
    case 5: b.interactions = atoi(cases[q].value); break;
    }
    CHECK(tn_model_create(&m, &b, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG && !m);
    if (!strstr(err, cases[q].msg)) fprintf(stderr, "  case %zu: %s\n", q, err);
    CHECK(strstr(err, cases[q].msg) != NULL);
  }
  /* An element the model lacks, and coinciding atoms. */
  tn_model *s = mc_bpnn_small(el, 2, 3.0, "wide", "cos", "tanh");
  if (!s) return;
  config c;
  mc_make_molecule(&c, 6, 1);
  tn_frame fr = config_frame(&c);
  double e;
  CHECK(tn_model_eval(s, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(s), "element C") != NULL);
  tn_model_free(s);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_bpnn needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  mc_run_model_tests(model_for);
  RUN(test_model_file);
  RUN(test_fit_data_and_copy);
  RUN(test_bad_options);
  return harness_finish();
}
