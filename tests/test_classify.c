/* The classifier core of adversarial validation: rank AUC and ROC curves,
 * grouped stratified folds, class-weighted logistic regression, out-of-fold
 * predictions and per-structure scores. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../src/analysis/classify.h"
#include "harness.h"

/* ---- ROC and AUC -------------------------------------------------------- */

/* A = {0.1, 0.4, 0.4, 0.8}, B = {0.4, 0.5, 0.8, 0.9}. Counting the 16 (A, B)
 * pairs by hand, B's 0.4 beats one A and ties two (2), 0.5 beats three (3),
 * 0.8 beats three and ties one (3.5), 0.9 beats all four (4): 12.5/16. */
static const double hand_score[8] = {0.1, 0.4, 0.4, 0.8, 0.4, 0.5, 0.8, 0.9};
static const uint8_t hand_b[8] = {0, 0, 0, 0, 1, 1, 1, 1};

static void test_auc_hand(void) {
  char err[256];
  double auc;
  CHECK_OK(clf_auc(&auc, hand_score, hand_b, NULL, 8, err, sizeof err));
  CHECK(auc == 0.78125);
  /* Order of the items does not matter. */
  double s[8];
  uint8_t b[8];
  for (int i = 0; i < 8; i++) s[i] = hand_score[7 - i], b[i] = hand_b[7 - i];
  CHECK_OK(clf_auc(&auc, s, b, NULL, 8, err, sizeof err));
  CHECK(auc == 0.78125);

  /* The curve by hand, thresholds from the top: 0.9 (B), 0.8 (A, B),
   * 0.5 (B), 0.4 (A, A, B), 0.1 (A). */
  clf_roc roc;
  CHECK_OK(clf_roc_make(&roc, hand_score, hand_b, NULL, 8, err, sizeof err));
  static const double fpr[6] = {0, 0, 0.25, 0.25, 0.75, 1}, tpr[6] = {0, 0.25, 0.5, 0.75, 1, 1};
  static const double thr[6] = {INFINITY, 0.9, 0.8, 0.5, 0.4, 0.1};
  CHECK(roc.n_points == 6);
  if (roc.n_points == 6)
    for (int j = 0; j < 6; j++)
      CHECK(roc.fpr[j] == fpr[j] && roc.tpr[j] == tpr[j] && roc.threshold[j] == thr[j]);
  CHECK(roc.auc == 0.78125);
  clf_roc_free(&roc);
}

static void test_auc_separated(void) {
  char err[256];
  double s[10], auc;
  uint8_t b[10];
  for (int i = 0; i < 10; i++) s[i] = i, b[i] = i >= 6; /* every B above every A */
  CHECK_OK(clf_auc(&auc, s, b, NULL, 10, err, sizeof err));
  CHECK(auc == 1.0);
  for (int i = 0; i < 10; i++) s[i] = -s[i];
  CHECK_OK(clf_auc(&auc, s, b, NULL, 10, err, sizeof err));
  CHECK(auc == 0.0);
  for (int i = 0; i < 10; i++) s[i] = 3.0; /* all tied: no information */
  CHECK_OK(clf_auc(&auc, s, b, NULL, 10, err, sizeof err));
  CHECK(auc == 0.5);
  /* Infinite scores are ordered: B's +inf beats all 6 A (6), each of the
   * three tied B beats A's -inf and ties five (3 × 3.5): 16.5/24. */
  s[0] = -INFINITY, s[9] = INFINITY;
  CHECK_OK(clf_auc(&auc, s, b, NULL, 10, err, sizeof err));
  CHECK(auc == 0.6875);
}

/* Σ_{a,b} w_a w_b ([s_b > s_a] + ½[s_b = s_a]) / (W_A W_B), the definition. */
static double brute_auc(const double *s, const uint8_t *b, const double *w, int n) {
  double pairs = 0, wa = 0, wb = 0;
  for (int i = 0; i < n; i++) {
    double wi = w ? w[i] : 1;
    if (b[i])
      wb += wi;
    else
      wa += wi;
    if (!b[i]) continue;
    for (int j = 0; j < n; j++) {
      if (b[j]) continue;
      double wj = w ? w[j] : 1;
      pairs += wi * wj * (s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return pairs / (wa * wb);
}

/* Random scores on a coarse grid (many ties), random labels and weights. */
static void random_scores(double *s, uint8_t *b, double *w, int n, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int i = 0; i < n; i++) {
    b[i] = tn_rng_uniform(&rng) < 0.4;
    s[i] = 0.25 * floor(40 * tn_rng_uniform(&rng)) - 5 + (b[i] ? 1.0 : 0.0);
    if (w) w[i] = 0.1 + tn_rng_uniform(&rng);
  }
}

static void test_auc_brute_force(void) {
  enum { N = 500 };
  double s[N], w[N], auc;
  uint8_t b[N];
  char err[256];
  random_scores(s, b, w, N, 7);
  double want = brute_auc(s, b, NULL, N);
  CHECK_OK(clf_auc(&auc, s, b, NULL, N, err, sizeof err));
  CHECK(auc == want);            /* both exact up to the final division */
  CHECK(auc > 0.5 && auc < 0.7); /* B shifted by 1 of a width of 10: about 0.6 */
  CHECK_OK(clf_auc(&auc, s, b, w, N, err, sizeof err));
  CHECK_NEAR(auc, brute_auc(s, b, w, N), 1e-13, 0);

  /* Integer weights are copies of the item. */
  double s3[3 * N], w_int[N];
  uint8_t b3[3 * N];
  int n3 = 0;
  for (int i = 0; i < N; i++) {
    w_int[i] = 1 + i % 3;
    for (int c = 0; c < 1 + i % 3; c++) s3[n3] = s[i], b3[n3++] = b[i];
  }
  double auc3;
  CHECK_OK(clf_auc(&auc, s, b, w_int, N, err, sizeof err));
  CHECK_OK(clf_auc(&auc3, s3, b3, NULL, n3, err, sizeof err));
  CHECK(auc == auc3);
  /* A zero weight removes the item. */
  w_int[0] = 0;
  CHECK_OK(clf_auc(&auc, s, b, w_int, N, err, sizeof err));
  CHECK_OK(clf_auc(&auc3, s3 + 1, b3 + 1, NULL, n3 - 1, err, sizeof err));
  CHECK(auc == auc3);
}

static void test_auc_monotone_invariance(void) {
  enum { N = 300 };
  double s[N], t[N], auc, auc_t;
  uint8_t b[N];
  char err[256];
  random_scores(s, b, NULL, N, 11);
  CHECK_OK(clf_auc(&auc, s, b, NULL, N, err, sizeof err));
  /* Strictly increasing maps keep order and ties (the grid stays distinct
   * after rounding), so the AUC is the same number, not just close. */
  for (int i = 0; i < N; i++) t[i] = exp(0.5 * s[i]);
  CHECK_OK(clf_auc(&auc_t, t, b, NULL, N, err, sizeof err));
  CHECK(auc_t == auc);
  for (int i = 0; i < N; i++) t[i] = 7 + 3 * s[i] + s[i] * s[i] * s[i];
  CHECK_OK(clf_auc(&auc_t, t, b, NULL, N, err, sizeof err));
  CHECK(auc_t == auc);
  /* A decreasing map mirrors it. */
  for (int i = 0; i < N; i++) t[i] = -atan(s[i]);
  CHECK_OK(clf_auc(&auc_t, t, b, NULL, N, err, sizeof err));
  CHECK_NEAR(auc_t, 1 - auc, 1e-15, 1e-15);
}

static void test_roc_curve(void) {
  enum { N = 400 };
  double s[N], w[N];
  uint8_t b[N];
  char err[256];
  random_scores(s, b, w, N, 5);
  for (int weighted = 0; weighted < 2; weighted++) {
    clf_roc roc;
    CHECK_OK(clf_roc_make(&roc, s, b, weighted ? w : NULL, N, err, sizeof err));
    int64_t distinct = 0;
    for (int i = 0; i < N; i++) {
      int seen = 0;
      for (int j = 0; j < i; j++) seen |= s[j] == s[i];
      distinct += !seen;
    }
    CHECK(roc.n_points == distinct + 1);
    int64_t m = roc.n_points - 1;
    CHECK(roc.fpr[0] == 0 && roc.tpr[0] == 0 && roc.fpr[m] == 1 && roc.tpr[m] == 1);
    double area = 0;
    int monotone = 1;
    for (int64_t j = 1; j <= m; j++) {
      monotone &= roc.fpr[j] >= roc.fpr[j - 1] && roc.tpr[j] >= roc.tpr[j - 1] &&
                  roc.threshold[j] < roc.threshold[j - 1];
      area += 0.5 * (roc.fpr[j] - roc.fpr[j - 1]) * (roc.tpr[j] + roc.tpr[j - 1]);
    }
    CHECK(monotone);
    CHECK_NEAR(area, roc.auc, 1e-12, 0);
    CHECK_NEAR(roc.auc, brute_auc(s, b, weighted ? w : NULL, N), 1e-13, 0);
    clf_roc_free(&roc);
  }
}

static void test_auc_bad_input(void) {
  char err[256];
  double auc, s[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1};
  uint8_t b[4] = {0, 1, 0, 1};
  clf_roc roc;
  CHECK(clf_auc(&auc, s, b, NULL, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "n = 0") != NULL);
  CHECK(clf_auc(&auc, NULL, b, NULL, 4, err, sizeof err) == TN_STATUS_INVALID_ARG);
  uint8_t b2[4] = {0, 2, 0, 1};
  CHECK(clf_auc(&auc, s, b2, NULL, 4, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "is_b[1]") != NULL);
  uint8_t a_only[4] = {0, 0, 0, 0};
  CHECK(clf_auc(&auc, s, a_only, NULL, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "class B") != NULL && isnan(auc));
  double wz[4] = {1, 0, 1, 0}; /* B present but weightless */
  CHECK(clf_roc_make(&roc, s, b, wz, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(roc.fpr == NULL && roc.n_points == 0);
  s[2] = NAN;
  CHECK(clf_auc(&auc, s, b, NULL, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "score[2]") != NULL);
  s[2] = 3;
  w[3] = -1;
  CHECK(clf_auc(&auc, s, b, w, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "weight[3]") != NULL);
  w[3] = INFINITY;
  CHECK(clf_roc_make(&roc, s, b, w, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  /* A count whose buffer cannot be sized fails before anything is read. */
  CHECK(clf_auc(&auc, s, b, NULL, INT64_MAX / 4, err, sizeof err) == TN_STATUS_NO_MEMORY);
  CHECK(clf_roc_make(&roc, s, b, NULL, INT64_MAX / 4, err, sizeof err) == TN_STATUS_NO_MEMORY);
  CHECK(clf_auc(&auc, s, b, NULL, 4, NULL, 0) == TN_STATUS_OK); /* err may be NULL */
}

/* ---- folds -------------------------------------------------------------- */

static void test_folds(void) {
  enum { G = 60, K = 5 };
  uint8_t lab[G];
  int fold[G], again[G], other[G];
  char err[256];
  int64_t n_class[2] = {0, 0};
  for (int g = 0; g < G; g++) lab[g] = (g * 7) % 13 < 5, n_class[lab[g]]++; /* 36 A : 24 B */
  CHECK(n_class[0] == 36 && n_class[1] == 24);
  CHECK_OK(clf_folds(fold, lab, G, K, 42, err, sizeof err));
  int count[K][2] = {{0}};
  int in_range = 1;
  for (int g = 0; g < G; g++) {
    in_range &= fold[g] >= 0 && fold[g] < K;
    if (fold[g] >= 0 && fold[g] < K) count[fold[g]][lab[g]]++;
  }
  CHECK(in_range); /* each group in exactly one fold, by construction of the array */
  int balanced = 1, lo = G, hi = 0, sum = 0;
  for (int f = 0; f < K; f++) {
    for (int c = 0; c < 2; c++)
      balanced &= count[f][c] == n_class[c] / K || count[f][c] == (n_class[c] + K - 1) / K;
    int t = count[f][0] + count[f][1];
    lo = t < lo ? t : lo;
    hi = t > hi ? t : hi;
    sum += t;
  }
  CHECK(balanced && hi - lo <= 1 && sum == G);
  CHECK_OK(clf_folds(again, lab, G, K, 42, err, sizeof err));
  CHECK(memcmp(fold, again, sizeof fold) == 0);
  CHECK_OK(clf_folds(other, lab, G, K, 43, err, sizeof err));
  CHECK(memcmp(fold, other, sizeof fold) != 0);
  /* The smallest legal case: k groups of each class, one of each per fold. */
  uint8_t two[4] = {0, 1, 1, 0};
  int f2[4];
  CHECK_OK(clf_folds(f2, two, 4, 2, 1, err, sizeof err));
  CHECK(f2[0] != f2[3] && f2[1] != f2[2]);
}

static void test_folds_bad_input(void) {
  uint8_t lab[6] = {0, 1, 0, 1, 0, 1};
  int fold[6];
  char err[256];
  CHECK(clf_folds(fold, lab, 6, 1, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "k = 1") != NULL);
  CHECK(clf_folds(fold, lab, 0, 2, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_folds(NULL, lab, 6, 2, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_folds(fold, lab, 6, 4, 0, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "data set A has 3") != NULL);
  lab[4] = 3;
  CHECK(clf_folds(fold, lab, 6, 2, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "group_is_b[4]") != NULL);
}

/* ---- logistic regression ------------------------------------------------ */

/* The objective of classify.h and its gradient (w, b) [d+1], computed here in
 * the original coordinates from the model's standardisation. */
static double ref_loss(const clf_logreg *m, const double *x, const uint8_t *y, int64_t n,
                       double *grad) {
  int d = m->d;
  int64_t cnt[2] = {0, 0};
  for (int64_t i = 0; i < n; i++) cnt[y[i]]++;
  double c[2] = {n / (2.0 * cnt[0]), n / (2.0 * cnt[1])}, f = 0;
  if (grad) memset(grad, 0, (size_t)(d + 1) * sizeof *grad);
  for (int64_t i = 0; i < n; i++) {
    double t = m->b, z[64];
    for (int j = 0; j < d; j++) {
      z[j] = (x[i * d + j] - m->mean[j]) * m->inv_std[j];
      t += m->w[j] * z[j];
    }
    double p = 1 / (1 + exp(-t));
    f += c[y[i]] * (y[i] ? -log(p) : -log1p(-p));
    if (!grad) continue;
    for (int j = 0; j < d; j++) grad[j] += c[y[i]] * (p - y[i]) * z[j] / n;
    grad[d] += c[y[i]] * (p - y[i]) / n;
  }
  double w2 = 0;
  for (int j = 0; j < d; j++) w2 += m->w[j] * m->w[j];
  if (grad)
    for (int j = 0; j < d; j++) grad[j] += m->l2 * m->w[j];
  return f / n + 0.5 * m->l2 * w2;
}

/* Structures of `size` atoms in d dimensions; data set B's atoms are shifted
 * by `shift` along (1, …, 1)/√d, in units of the clouds' σ = 1. With
 * random_labels the groups' labels are coin flips and nothing is shifted. */
typedef struct synth {
  double *x;
  int64_t *group;
  uint8_t *group_b, *item_b;
  int64_t n, n_groups;
  int d;
} synth;

static void synth_make(synth *s, int64_t n_groups, int size, int d, double shift, int random_labels,
                       uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  s->n_groups = n_groups;
  s->n = n_groups * size;
  s->d = d;
  s->x = malloc((size_t)(s->n * d) * sizeof *s->x);
  s->group = malloc((size_t)s->n * sizeof *s->group);
  s->group_b = malloc((size_t)n_groups);
  s->item_b = malloc((size_t)s->n);
  for (int64_t g = 0; g < n_groups; g++)
    s->group_b[g] = random_labels ? tn_rng_uniform(&rng) < 0.5 : g % 3 == 0; /* 1:2 when not */
  for (int64_t i = 0; i < s->n; i++) {
    int64_t g = i / size;
    s->group[i] = g;
    s->item_b[i] = s->group_b[g];
    for (int j = 0; j < d; j++)
      s->x[i * d + j] = tn_rng_normal(&rng) + (s->group_b[g] ? shift / sqrt(d) : 0.0);
  }
}

static void synth_free(synth *s) {
  free(s->x);
  free(s->group);
  free(s->group_b);
  free(s->item_b);
}

static clf_data synth_data(const synth *s) {
  return (clf_data){s->x, s->n, s->d, s->group, s->n_groups, s->group_b};
}

/* Out-of-fold AUC per atom and per structure. */
static void cv_auc(const synth *s, const clf_options *opt, double *auc_atom, double *auc_group,
                   double *p_b) {
  char err[256];
  int *fold = malloc((size_t)s->n_groups * sizeof *fold), its[5] = {0};
  double *gs = malloc((size_t)s->n_groups * sizeof *gs);
  clf_data data = synth_data(s);
  CHECK_OK(clf_folds(fold, s->group_b, s->n_groups, 5, 2024, err, sizeof err));
  tn_status st = clf_cross_predict(p_b, its, &data, fold, 5, opt, err, sizeof err);
  CHECK_OK(st);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
  for (int f = 0; f < 5; f++) CHECK(its[f] >= 1 && its[f] <= 30);
  CHECK_OK(clf_auc(auc_atom, p_b, s->item_b, NULL, s->n, err, sizeof err));
  CHECK_OK(clf_group_scores(gs, p_b, s->group, s->n, s->n_groups, err, sizeof err));
  CHECK_OK(clf_auc(auc_group, gs, s->group_b, NULL, s->n_groups, err, sizeof err));
  free(fold);
  free(gs);
}

static void test_logreg_separable_clouds(void) {
  synth s;
  synth_make(&s, 300, 10, 5, 3.0, 0, 99); /* 3000 atoms, 1000 of them B */
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3, .tol = 0, .max_iter = 0};
  double auc, auc_g, *p = malloc((size_t)s.n * sizeof *p), *p2 = malloc((size_t)s.n * sizeof *p2);
  cv_auc(&s, &opt, &auc, &auc_g, p);
  /* The Bayes classifier has AUC Φ(3/√2) = 0.983 for clouds 3σ apart. */
  fprintf(stderr, "  separable: AUC per atom %.4f, per structure %.4f\n", auc, auc_g);
  CHECK(auc >= 0.95 && auc <= 0.995);
  CHECK(auc_g >= 0.999); /* 10 atoms of evidence per structure */
  /* Same data, same seed: the same numbers, with one thread or two. */
  int threads = omp_get_max_threads();
  omp_set_num_threads(threads > 1 ? 1 : 2);
  double auc2, auc_g2;
  cv_auc(&s, &opt, &auc2, &auc_g2, p2);
  omp_set_num_threads(threads);
  CHECK(memcmp(p, p2, (size_t)s.n * sizeof *p) == 0 && auc == auc2);
  free(p);
  free(p2);
  synth_free(&s);
}

static void test_logreg_random_labels(void) {
  synth s;
  synth_make(&s, 400, 10, 5, 0.0, 1, 123); /* one cloud, 4000 atoms */
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3, .tol = 0, .max_iter = 0};
  double auc, auc_g, *p = malloc((size_t)s.n * sizeof *p);
  cv_auc(&s, &opt, &auc, &auc_g, p);
  fprintf(stderr, "  random labels: AUC per atom %.4f, per structure %.4f\n", auc, auc_g);
  /* The null spread of the AUC is about √((n+1)/(12 n_A n_B)) ≈ 0.009. */
  CHECK(fabs(auc - 0.5) <= 0.05);
  CHECK(fabs(auc_g - 0.5) <= 0.15); /* 400 structures: spread ≈ 0.03 */
  free(p);
  synth_free(&s);
}

static void test_logreg_optimum(void) {
  synth s;
  synth_make(&s, 200, 5, 5, 1.0, 0, 7); /* overlapping: a finite optimum */
  char err[256];
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0.01, .tol = 1e-10, .max_iter = 0};
  clf_logreg m;
  CHECK_OK(clf_logreg_fit(&m, s.x, s.item_b, s.n, s.d, NULL, 0, &opt, err, sizeof err));
  double g[6], loss = ref_loss(&m, s.x, s.item_b, s.n, g), gn = 0;
  for (int j = 0; j < 6; j++) gn += g[j] * g[j];
  CHECK(sqrt(gn) <= 1e-10);
  CHECK(m.grad_norm <= 1e-10 && m.iterations >= 2 && m.iterations < 20);
  CHECK_NEAR(m.loss, loss, 1e-13, 0);
  /* Standardisation is that of the rows. */
  double mean0 = 0;
  for (int64_t i = 0; i < s.n; i++) mean0 += s.x[i * s.d];
  CHECK_NEAR(m.mean[0], mean0 / s.n, 1e-13, 1e-15);
  /* Predictions: log-odds and P(B) agree, and a refit gives the same bits. */
  double t[10], p[10], p2[10];
  clf_logreg_predict(&m, s.x, 10, t, p);
  for (int i = 0; i < 10; i++) CHECK_NEAR(p[i], 1 / (1 + exp(-t[i])), 1e-15, 1e-16);
  clf_logreg m2;
  CHECK_OK(clf_logreg_fit(&m2, s.x, s.item_b, s.n, s.d, NULL, 0, &opt, err, sizeof err));
  clf_logreg_predict(&m2, s.x, 10, NULL, p2);
  CHECK(memcmp(p, p2, sizeof p) == 0);
  clf_logreg_free(&m2);
  /* A subset by rows equals the fit on a copy of those rows. */
  int64_t rows[300];
  double xs[300 * 5];
  uint8_t ys[300];
  for (int r = 0; r < 300; r++) {
    rows[r] = (r * 7) % s.n;
    memcpy(xs + r * 5, s.x + rows[r] * 5, 5 * sizeof *xs);
    ys[r] = s.item_b[rows[r]];
  }
  CHECK_OK(clf_logreg_fit(&m2, s.x, s.item_b, s.n, s.d, rows, 300, &opt, err, sizeof err));
  clf_logreg m3;
  CHECK_OK(clf_logreg_fit(&m3, xs, ys, 300, 5, NULL, 0, &opt, err, sizeof err));
  CHECK(m2.b == m3.b && memcmp(m2.w, m3.w, 5 * sizeof *m2.w) == 0);
  clf_logreg_free(&m2);
  clf_logreg_free(&m3);
  clf_logreg_free(&m);
  synth_free(&s);
}

/* A binary feature and l2 = 0: the model is saturated (two cells, two
 * parameters), so the weighted maximum likelihood puts P(B | x) at the
 * class-weighted fraction of B in each cell. With n_A = 50, n_B = 150,
 * c_A = 2, c_B = 2/3: cell x = 0 (30 A, 10 B) gives (20/3)/(20/3 + 60) =
 * 0.1, cell x = 1 (20 A, 140 B) gives (280/3)/(280/3 + 40) = 0.7. */
static void test_logreg_closed_form(void) {
  enum { N = 200 };
  double x[N];
  uint8_t y[N];
  int n = 0;
  for (int k = 0; k < 30; k++) x[n] = 0, y[n++] = 0;
  for (int k = 0; k < 10; k++) x[n] = 0, y[n++] = 1;
  for (int k = 0; k < 20; k++) x[n] = 1, y[n++] = 0;
  for (int k = 0; k < 140; k++) x[n] = 1, y[n++] = 1;
  char err[256];
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0, .tol = 1e-12, .max_iter = 0};
  clf_logreg m;
  CHECK_OK(clf_logreg_fit(&m, x, y, N, 1, NULL, 0, &opt, err, sizeof err));
  double cell[2] = {0, 1}, p[2];
  clf_logreg_predict(&m, cell, 2, NULL, p);
  CHECK_NEAR(p[0], 0.1, 1e-11, 0);
  CHECK_NEAR(p[1], 0.7, 1e-11, 0);
  clf_logreg_free(&m);
}

/* The 1-D objective in the original coordinates, as a function of (w, b):
 * with l2 on the standardised weight w_z = w·std. */
typedef struct oned {
  const double *x;
  const uint8_t *y;
  int n;
  double c[2], sd, l2;
} oned;

static double oned_loss(const oned *o, double w, double b) {
  double f = 0;
  for (int i = 0; i < o->n; i++) {
    double t = w * o->x[i] + b;
    double sp = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
    f += o->c[o->y[i]] * (sp - o->y[i] * t);
  }
  double wz = w * o->sd;
  return f / o->n + 0.5 * o->l2 * wz * wz;
}

/* Golden-section search on [lo, hi] of a convex function. */
static double golden(double lo, double hi, double (*fn)(const oned *, double, double),
                     const oned *o, double other, int inner, double *arg) {
  const double r = 0.5 * (sqrt(5.0) - 1);
  double a = lo, b = hi;
  for (int it = 0; it < 200 && b - a > 1e-13 * (1 + fabs(a)); it++) {
    double c = b - r * (b - a), d = a + r * (b - a), fc, fd;
    if (inner) {
      fc = fn(o, other, c), fd = fn(o, other, d);
    } else {
      double bc, bd;
      fc = golden(-20, 20, fn, o, c, 1, &bc);
      fd = golden(-20, 20, fn, o, d, 1, &bd);
    }
    if (fc < fd)
      b = d;
    else
      a = c;
  }
  *arg = 0.5 * (a + b);
  double bb;
  return inner ? fn(o, other, *arg) : golden(-20, 20, fn, o, *arg, 1, &bb);
}

static void test_logreg_brute_force_1d(void) {
  enum { N = 120 };
  double x[N];
  uint8_t y[N];
  tn_rng rng;
  tn_rng_seed(&rng, 3);
  int cnt[2] = {0, 0};
  double mean = 0, var = 0;
  for (int i = 0; i < N; i++) {
    y[i] = i % 4 == 0; /* 1:3, so the class weights matter */
    x[i] = 2.0 + 0.5 * tn_rng_normal(&rng) + (y[i] ? 0.6 : 0.0);
    cnt[y[i]]++;
    mean += x[i] / N;
  }
  for (int i = 0; i < N; i++) var += (x[i] - mean) * (x[i] - mean) / N;
  oned o = {x, y, N, {N / (2.0 * cnt[0]), N / (2.0 * cnt[1])}, sqrt(var), 0.05};
  double w_best, b_best;
  double f_best = golden(-20, 20, oned_loss, &o, 0, 0, &w_best);
  golden(-20, 20, oned_loss, &o, w_best, 1, &b_best);
  char err[256];
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0.05, .tol = 1e-12, .max_iter = 0};
  clf_logreg m;
  CHECK_OK(clf_logreg_fit(&m, x, y, N, 1, NULL, 0, &opt, err, sizeof err));
  /* Back to the original coordinates: t = w_z (x − mean)/sd + b_z. */
  double w = m.w[0] * m.inv_std[0], b = m.b - w * m.mean[0];
  CHECK_NEAR(w, w_best, 1e-6, 0);
  CHECK_NEAR(b, b_best, 1e-6, 1e-7);
  CHECK_NEAR(m.loss, f_best, 1e-12, 0);
  CHECK(m.loss <= f_best + 1e-15); /* Newton's optimum is at least as low */
  clf_logreg_free(&m);
}

/* A constant feature is harmless even with l2 = 0: its weight stays 0. */
static void test_logreg_constant_feature(void) {
  enum { N = 100 };
  double x[N * 2];
  uint8_t y[N];
  tn_rng rng;
  tn_rng_seed(&rng, 9);
  for (int i = 0; i < N; i++) {
    y[i] = i % 2;
    x[2 * i] = 0.1; /* 0.1 is not exact: the mean may differ from it by rounding */
    x[2 * i + 1] = tn_rng_normal(&rng) + y[i];
  }
  char err[256];
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0, .tol = 0, .max_iter = 0};
  clf_logreg m;
  CHECK_OK(clf_logreg_fit(&m, x, y, N, 2, NULL, 0, &opt, err, sizeof err));
  CHECK(m.inv_std[0] == 0 && m.w[0] == 0 && m.w[1] > 0.5);
  clf_logreg_free(&m);
}

static void test_logreg_bad_input(void) {
  double x[8 * 2] = {0, 1, 1, 0, 2, 1, 3, 2, 0, 0, 1, 4, 2, 2, 1, 3};
  uint8_t y[8] = {0, 1, 0, 1, 0, 1, 0, 1};
  char err[256];
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0.1, .tol = 0, .max_iter = 0};
  clf_logreg m;
  CHECK(clf_logreg_fit(&m, x, y, 0, 2, NULL, 0, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "n = 0") != NULL);
  CHECK(clf_logreg_fit(&m, x, y, 8, 0, NULL, 0, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "d = 0") != NULL && m.w == NULL);
  CHECK(clf_logreg_fit(&m, x, y, 8, 5000, NULL, 0, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_logreg_fit(&m, NULL, y, 8, 2, NULL, 0, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_logreg_fit(&m, x, y, INT64_MAX / 2 + 1, 2, NULL, 0, &opt, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "too many") != NULL);
  int64_t rows[2] = {0, 8};
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, rows, 0, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, rows, 2, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "rows[1] = 8") != NULL);
  clf_options bad = opt;
  bad.l2 = -1;
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &bad, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "l2 = -1") != NULL);
  bad.l2 = NAN;
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &bad, err, sizeof err) == TN_STATUS_INVALID_ARG);
  bad = opt, bad.tol = -1;
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &bad, err, sizeof err) == TN_STATUS_INVALID_ARG);
  bad = opt, bad.max_iter = -1;
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &bad, err, sizeof err) == TN_STATUS_INVALID_ARG);
  uint8_t y_a[8] = {0};
  CHECK(clf_logreg_fit(&m, x, y_a, 8, 2, NULL, 0, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "data set A") != NULL);
  uint8_t y_bad[8] = {0, 1, 0, 1, 0, 1, 0, 2};
  CHECK(clf_logreg_fit(&m, x, y_bad, 8, 2, NULL, 0, &opt, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "is_b[7]") != NULL);
  x[7] = NAN; /* row 3, feature 1 */
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "x[3][1]") != NULL);
  x[7] = INFINITY;
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  x[7] = 2;
  /* Too few steps. */
  clf_options short_opt = {.kind = CLF_KIND_LOGREG, .l2 = 0.1, .tol = 1e-14, .max_iter = 1};
  CHECK(clf_logreg_fit(&m, x, y, 8, 2, NULL, 0, &short_opt, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "not converged in 1 Newton steps") != NULL && m.w == NULL);
  /* Separable classes without a penalty: the weights grow until the
   * gradient, which falls as e^{−margin·|w|}, is below tol; the fit then
   * separates the classes completely. */
  double xs[8], ps[8];
  for (int i = 0; i < 8; i++) xs[i] = y[i] + 0.1 * i;
  clf_options free_opt = {.kind = CLF_KIND_LOGREG, .l2 = 0, .tol = 1e-8, .max_iter = 0};
  CHECK_OK(clf_logreg_fit(&m, xs, y, 8, 1, NULL, 0, &free_opt, err, sizeof err));
  clf_logreg_predict(&m, xs, 8, NULL, ps);
  for (int i = 0; i < 8; i++) CHECK(y[i] ? ps[i] > 0.999 : ps[i] < 0.001);
  clf_logreg_free(&m);
  /* Two identical columns without a penalty: the Newton system is singular. */
  double xc[8 * 2];
  for (int i = 0; i < 8; i++) xc[2 * i] = xc[2 * i + 1] = x[2 * i + 1];
  CHECK(clf_logreg_fit(&m, xc, y, 8, 2, NULL, 0, &free_opt, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "singular") != NULL);
}

/* ---- cross-validation and per-structure scores --------------------------- */

static void test_cross_predict_bad_input(void) {
  synth s;
  synth_make(&s, 12, 3, 2, 1.0, 0, 5); /* groups 0, 3, 6, 9 are B */
  clf_data data = synth_data(&s);
  clf_options opt = {.kind = CLF_KIND_LOGREG, .l2 = 0.1, .tol = 0, .max_iter = 0};
  double p[36];
  int fold[12];
  char err[256];
  for (int g = 0; g < 12; g++) fold[g] = g % 2;
  CHECK_OK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err));
  CHECK(clf_cross_predict(p, NULL, &data, fold, 1, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_cross_predict(p, NULL, NULL, fold, 2, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  /* A fold left empty. */
  CHECK(clf_cross_predict(p, NULL, &data, fold, 3, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "fold 2 of 3: no test items") != NULL);
  fold[5] = 2;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "fold_of_group[5] = 2") != NULL);
  fold[5] = 1;
  s.group[7] = 12;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "group_of_item[7] = 12") != NULL);
  s.group[7] = 2;
  /* Every B group in fold 0: fold 1 trains on A alone. */
  for (int g = 0; g < 12; g++) fold[g] = g % 3 == 0 ? 0 : g % 2;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "fold 0 of 2: logreg: all 12 rows are from data set A") != NULL);
  for (int g = 0; g < 12; g++) fold[g] = g % 2;
  s.x[4] = NAN;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "x[2][0]") != NULL);
  s.x[4] = 0;
  clf_options other = opt;
  other.kind = (clf_kind)7;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &other, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "kind = 7") != NULL);
  data.n_items = 0;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  data.n_items = INT64_MAX / 2;
  CHECK(clf_cross_predict(p, NULL, &data, fold, 2, &opt, err, sizeof err) == TN_STATUS_NO_MEMORY);
  synth_free(&s);
}

static void test_group_scores(void) {
  double p[5] = {0.5, 0.8, 0.2, 1.0, 0.0};
  int64_t grp[5] = {0, 0, 1, 3, 4};
  double sc[5];
  char err[256];
  CHECK_OK(clf_group_scores(sc, p, grp, 5, 5, err, sizeof err));
  CHECK_NEAR(sc[0], log(2.0), 1e-15, 0); /* (ln 1 + ln 4)/2 */
  CHECK_NEAR(sc[1], -log(4.0), 1e-15, 0);
  CHECK(sc[2] == 0);                     /* no atoms: no evidence */
  CHECK_NEAR(sc[3], log(1e12), 1e-9, 0); /* clamped, finite */
  CHECK_NEAR(sc[4], -log(1e12), 1e-9, 0);
  CHECK(clf_group_scores(sc, p, grp, 5, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_group_scores(sc, NULL, grp, 5, 5, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_group_scores(sc, p, grp, 5, INT64_MAX, err, sizeof err) == TN_STATUS_NO_MEMORY);
  grp[2] = 5;
  CHECK(clf_group_scores(sc, p, grp, 5, 5, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "group_of_item[2] = 5") != NULL);
  grp[2] = 1;
  p[1] = 1.5;
  CHECK(clf_group_scores(sc, p, grp, 5, 5, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "p_b[1]") != NULL);
  p[1] = NAN;
  CHECK(clf_group_scores(sc, p, grp, 5, 5, err, sizeof err) == TN_STATUS_BAD_INPUT);
}

int main(void) {
  RUN(test_auc_hand);
  RUN(test_auc_separated);
  RUN(test_auc_brute_force);
  RUN(test_auc_monotone_invariance);
  RUN(test_roc_curve);
  RUN(test_auc_bad_input);
  RUN(test_folds);
  RUN(test_folds_bad_input);
  RUN(test_logreg_separable_clouds);
  RUN(test_logreg_random_labels);
  RUN(test_logreg_optimum);
  RUN(test_logreg_closed_form);
  RUN(test_logreg_brute_force_1d);
  RUN(test_logreg_constant_feature);
  RUN(test_logreg_bad_input);
  RUN(test_cross_predict_bad_input);
  RUN(test_group_scores);
  return harness_finish();
}
