/* Adversarial validation end to end on data with a known answer: liquid Ar
 * at two densities must be told apart (AUC ≥ 0.95), Ar against a random
 * split of itself must not (|AUC − 0.5| ≤ 0.05), and a seed fixes every
 * number. Also the ACSF feature rows, the environment keys and the ranking
 * behind the adversarial validation split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/analysis/advval.h"
#include "harness.h"

/* n_frames of liquid Ar with n_atoms atoms at density rho (atoms/Å³). */
static tn_dataset *argon(double rho, int n_frames, int n_atoms, uint64_t seed) {
  tn_dataset *ds = tn_dataset_create();
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  s.density = rho;
  s.n_frames = n_frames;
  s.n_atoms = n_atoms;
  s.equilibration_steps = 400;
  s.steps_between = 10;
  s.seed = seed;
  if (!ds || tn_noble_gas_generate(ds, &pot, &s, NULL, NULL) != TN_STATUS_OK) {
    tn_dataset_free(ds);
    return NULL;
  }
  return ds;
}

static clf_data data_of(const av_features *f) {
  return (clf_data){f->x, f->n_atoms, f->d, f->group_of_item, f->n_groups, f->group_is_b};
}

/* Two densities 15 % apart: the neighbour count within 5 Å differs by
 * about 15 %, which per structure (32 atoms) is far beyond its spread. */
static void test_two_densities(void) {
  tn_dataset *a = argon(0.0210, 60, 32, 1), *b = argon(0.0180, 60, 32, 2);
  CHECK(a && b);
  if (!a || !b) goto done;
  char err[512];
  av_features f;
  CHECK_OK(av_features_acsf(&f, a, b, 5.0, 8, 4, NULL, NULL, err, sizeof err));
  CHECK(f.d == 1 + 8 + 4 && f.n_atoms == 2 * 60 * 32 && f.n_a == 60);
  clf_data d = data_of(&f);
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3};
  av_result r;
  CHECK_OK(av_run(&r, &d, 5, 7, &opt, err, sizeof err));
  CHECK(r.auc_struct >= 0.95 && r.pooled_struct >= 0.95);
  CHECK(r.auc_atom > 0.7); /* one atom sees a noisy sample of the density */
  for (int k = 0; k < 5; k++) CHECK(r.fold_auc[2 * k + 1] >= 0.9);
  av_result_free(&r);
  av_features_free(&f);
done:
  tn_dataset_free(a);
  tn_dataset_free(b);
}

/* One liquid against a random split of itself. 1000 structures: the null
 * spread of a structure AUC over 500 + 500 is sqrt(1001/(12·500²)) ≈ 0.018,
 * so 0.05 is 2.7 of it. The same seed twice gives identical numbers; the
 * per-atom scores and folds of another seed differ. */
static void test_self_split_control(void) {
  tn_dataset *a = argon(0.0210, 1000, 8, 3);
  CHECK(a != NULL);
  if (!a) return;
  char err[512];
  av_features f;
  CHECK_OK(av_features_acsf(&f, a, a, 5.0, 6, 2, NULL, NULL, err, sizeof err));
  /* the control uses A's rows only, with random half labels */
  uint8_t *half = malloc((size_t)f.n_a);
  av_control_labels(half, f.n_a, 11);
  int64_t ones = 0;
  for (int64_t g = 0; g < f.n_a; g++) ones += half[g];
  CHECK(ones == f.n_a - f.n_a / 2);
  clf_data d = {f.x, f.n_atoms_a, f.d, f.group_of_item, f.n_a, half};
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3};
  av_result r, again, other;
  CHECK_OK(av_run(&r, &d, 5, 11, &opt, err, sizeof err));
  CHECK(fabs(r.pooled_struct - 0.5) <= 0.05);
  CHECK(fabs(r.auc_struct - 0.5) <= 0.05);
  CHECK(fabs(r.pooled_atom - 0.5) <= 0.05);
  CHECK_OK(av_run(&again, &d, 5, 11, &opt, err, sizeof err));
  CHECK(memcmp(r.p_b, again.p_b, (size_t)f.n_atoms_a * sizeof *r.p_b) == 0);
  CHECK(memcmp(r.fold_auc, again.fold_auc, 10 * sizeof *r.fold_auc) == 0);
  CHECK(r.auc_atom == again.auc_atom && r.auc_struct_std == again.auc_struct_std);
  CHECK_OK(av_run(&other, &d, 5, 12, &opt, err, sizeof err));
  CHECK(memcmp(r.fold_of_group, other.fold_of_group, (size_t)f.n_a * sizeof(int)) != 0);
  av_result_free(&r);
  av_result_free(&again);
  av_result_free(&other);
  free(half);
  av_features_free(&f);
  tn_dataset_free(a);
}

/* A frame of molecules far apart from each other. */
static void append_molecule(tn_dataset *ds, const int32_t *z, const double (*pos)[3], int n) {
  tn_frame fr = {0};
  fr.n_atoms = n;
  fr.species = z;
  fr.pos = pos;
  CHECK_OK(tn_dataset_append(ds, &fr));
}

/* The ACSF row of an atom: the element one-hot, then the raw radial values
 * Σ_j e^{−η (r − r_s)²} f_c(r), checked by hand for a pair. */
static void test_acsf_rows(void) {
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  static const int32_t hh[2] = {1, 1}, ho[3] = {8, 1, 1};
  static const double p2[2][3] = {{0, 0, 0}, {0, 0, 1.5}};
  static const double p3[3][3] = {{0, 0, 0}, {0.96, 0, 0}, {-0.24, 0.93, 0}};
  append_molecule(a, hh, p2, 2);
  append_molecule(b, ho, p3, 3);
  char err[512];
  av_features f;
  CHECK_OK(av_features_acsf(&f, a, b, 4.0, 1, 0, NULL, NULL, err, sizeof err));
  /* elements H, O: one-hot (2), radial per neighbour element (2) */
  CHECK(f.d == 4 && f.n_atoms == 5 && f.n_atoms_a == 2 && f.n_groups == 2 && f.n_a == 1);
  CHECK(f.group_is_b[0] == 0 && f.group_is_b[1] == 1);
  CHECK(f.group_of_item[1] == 0 && f.group_of_item[2] == 1 && f.z[2] == 8);
  /* one radial function: r_s = 0, η = 2/r_c², cosine cutoff */
  double rc = 4.0, eta = 2.0 / (rc * rc), r = 1.5;
  double g = exp(-eta * r * r) * 0.5 * (cos(M_PI * r / rc) + 1.0);
  const double *h0 = f.x;
  CHECK(h0[0] == 1.0 && h0[1] == 0.0);
  CHECK_NEAR(h0[2], g, tn_real_size() == 4 ? 1e-6 : 1e-12, 0); /* computed in tn_real */
  CHECK(h0[3] == 0.0);                                         /* no O neighbour */
  const double *o = f.x + 2 * f.d;
  CHECK(o[0] == 0.0 && o[1] == 1.0 && o[3] == 0.0);
  av_features_free(&f);
  tn_dataset_free(a);
  tn_dataset_free(b);
}

/* Keys by covalent bonds and by a distance cutoff, counts per set and the
 * mean P(B) of each environment. */
static void test_environments(void) {
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  static const int32_t ch4[5] = {6, 1, 1, 1, 1}, h2o[3] = {8, 1, 1};
  static const double pm[5][3] = {{0, 0, 0},
                                  {0.63, 0.63, 0.63},
                                  {-0.63, -0.63, 0.63},
                                  {-0.63, 0.63, -0.63},
                                  {0.63, -0.63, -0.63}};
  static const double pw[3][3] = {{0, 0, 0}, {0.96, 0, 0}, {-0.24, 0.93, 0}};
  append_molecule(a, ch4, pm, 5);
  append_molecule(b, h2o, pw, 3);
  append_molecule(b, ch4, pm, 5);
  double p[13];
  for (int i = 0; i < 13; i++) p[i] = 0.1 * (i % 10);
  char err[512];
  av_env *env;
  int64_t n, which[13], bad_frame;
  int bad_set;
  CHECK_OK(av_environments(&env, &n, which, a, b, p, 0.0, &bad_set, &bad_frame, err, sizeof err));
  /* sorted keys: C(H4), H(C1), H(O1), O(H2) */
  CHECK(n == 4);
  if (n == 4) {
    CHECK(strcmp(env[0].key, "C(H4)") == 0 && env[0].n_a == 1 && env[0].n_b == 1);
    CHECK(strcmp(env[1].key, "H(C1)") == 0 && env[1].n_a == 4 && env[1].n_b == 4);
    CHECK(strcmp(env[2].key, "H(O1)") == 0 && env[2].n_a == 0 && env[2].n_b == 2);
    CHECK(strcmp(env[3].key, "O(H2)") == 0 && env[3].z == 8);
    /* C atoms are items 0 (p 0) and 8 (p 0.8) */
    CHECK_NEAR(env[0].mean_p, 0.4, 1e-15, 0);
    CHECK(which[5] == 3 && which[6] == 2 && which[0] == 0);
  }
  free(env);
  /* within 1.2 Å every H of methane (C–H 1.09 Å) sees only C; within 2 Å
   * the three other H (1.78 Å) too */
  CHECK_OK(av_environments(&env, &n, NULL, a, b, NULL, 2.0, &bad_set, &bad_frame, err, sizeof err));
  int found = 0;
  for (int64_t e = 0; e < n; e++) found += strcmp(env[e].key, "H(H3 C1)") == 0;
  CHECK(found == 1);
  CHECK(n > 0 && isnan(env[0].mean_p));
  free(env);
  tn_dataset_free(a);
  tn_dataset_free(b);
}

/* B's first frame is A's second; its second is the same molecule moved by
 * 1e-3 Å in one coordinate (not the same); its third has the atoms of A's
 * first in another order (not the same either: atom order is kept). */
static void test_shared_frames(void) {
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  static const int32_t ho[3] = {8, 1, 1}, oh[3] = {1, 8, 1};
  static const double w1[3][3] = {{0, 0, 0}, {0.96, 0, 0}, {-0.24, 0.93, 0}};
  static const double w2[3][3] = {{0, 0, 0}, {0.97, 0, 0}, {-0.25, 0.92, 0}};
  static const double moved[3][3] = {{0, 0, 0}, {0.97, 0, 0.001}, {-0.25, 0.92, 0}};
  static const double swapped[3][3] = {{0.96, 0, 0}, {0, 0, 0}, {-0.24, 0.93, 0}};
  append_molecule(a, ho, w1, 3);
  append_molecule(a, ho, w2, 3);
  append_molecule(b, ho, w2, 3);
  append_molecule(b, ho, moved, 3);
  append_molecule(b, oh, swapped, 3);
  char err[256];
  int64_t n;
  uint8_t in_a[3];
  CHECK_OK(av_shared_frames(&n, in_a, a, b, err, sizeof err));
  CHECK(n == 1 && in_a[0] == 1 && in_a[1] == 0 && in_a[2] == 0);
  CHECK_OK(av_shared_frames(&n, NULL, a, a, err, sizeof err));
  CHECK(n == 2);
  tn_dataset_free(a);
  tn_dataset_free(b);
}

static void test_rank(void) {
  static const double s[6] = {0.5, 2.0, -1.0, 2.0, 0.0, 3.0};
  int64_t order[6];
  char err[256];
  CHECK_OK(av_rank(order, s, 6, err, sizeof err));
  static const int64_t want[6] = {5, 1, 3, 0, 4, 2}; /* ties by index */
  CHECK(memcmp(order, want, sizeof want) == 0);
}

static void test_bad_input(void) {
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  static const int32_t hh[2] = {1, 1};
  static const double same[2][3] = {{0, 0, 0}, {0, 0, 0}};
  char err[512];
  av_features f;
  /* an empty set */
  CHECK(av_features_acsf(&f, a, b, 5.0, 8, 4, NULL, NULL, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  av_features_free(&f);
  append_molecule(a, hh, same, 2);
  append_molecule(b, hh, same, 2);
  /* coinciding atoms: named by set and frame */
  tn_status st = av_features_acsf(&f, a, b, 5.0, 8, 4, NULL, NULL, err, sizeof err);
  CHECK(st == TN_STATUS_BAD_INPUT && f.bad_set == 0 && f.bad_frame == 0);
  av_features_free(&f);
  /* bad ACSF options */
  CHECK(av_features_acsf(&f, a, b, 5.0, 8, 3, NULL, NULL, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "acsf_angular") != NULL);
  av_features_free(&f);
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3};
  av_result r;
  CHECK(av_run(&r, NULL, 5, 1, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  av_result_free(&r);
  tn_dataset_free(a);
  tn_dataset_free(b);
}

int main(void) {
  RUN(test_acsf_rows);
  RUN(test_environments);
  RUN(test_shared_frames);
  RUN(test_rank);
  RUN(test_bad_input);
  RUN(test_two_densities);
  RUN(test_self_split_control);
  return harness_finish();
}
