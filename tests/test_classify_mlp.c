/* The MLP classifier of adversarial validation (src/analysis/mlp_clf.c):
 * its objective against a reference written here, its gradient by finite
 * differences (float64 builds), what it can tell apart that logistic
 * regression cannot (XOR), what it must not (random labels), class
 * weighting, determinism, and every bad input. Built from the float64 build
 * with the other finite-difference tests (Makefile FD_SRC); in a float32
 * build the finite-difference test skips and the rest runs as is. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../src/analysis/classify.h"
#include "harness.h"

/* ---- data ---------------------------------------------------------------- */

typedef struct data {
  double *x;
  int64_t *group;
  uint8_t *group_b, *item_b;
  int64_t n, n_groups;
  int d;
} data;

enum { SHAPE_CLOUDS, SHAPE_XOR, SHAPE_RANDOM };

/* n_groups groups of `size` items, d features, N(0, 1) each. A group is B
 * with probability p_b (SHAPE_RANDOM: labels unrelated to the features), or
 * every k-th group for p_b = 1/k exactly (the other shapes). SHAPE_CLOUDS
 * shifts B's features by shift/√d in every direction (the classes are
 * `shift` standard deviations apart); SHAPE_XOR flips the sign of feature 0
 * so that sign(x0 x1) is + for B and − for A, a boundary no hyperplane
 * draws: both classes have the same mean and covariance. */
static void data_make(data *s, int shape, int64_t n_groups, int size, int d, double p_b,
                      double shift, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  s->n_groups = n_groups;
  s->n = n_groups * size;
  s->d = d;
  s->x = malloc((size_t)(s->n * d) * sizeof *s->x);
  s->group = malloc((size_t)s->n * sizeof *s->group);
  s->group_b = malloc((size_t)n_groups);
  s->item_b = malloc((size_t)s->n);
  int every = (int)lround(1 / p_b);
  for (int64_t g = 0; g < n_groups; g++)
    s->group_b[g] = shape == SHAPE_RANDOM ? tn_rng_uniform(&rng) < p_b : g % every == 0;
  for (int64_t i = 0; i < s->n; i++) {
    int64_t g = i / size;
    double *xi = s->x + i * d;
    s->group[i] = g;
    s->item_b[i] = s->group_b[g];
    for (int j = 0; j < d; j++) xi[j] = tn_rng_normal(&rng);
    if (shape == SHAPE_CLOUDS && s->item_b[i])
      for (int j = 0; j < d; j++) xi[j] += shift / sqrt(d);
    if (shape == SHAPE_XOR && (xi[0] * xi[1] > 0) != s->item_b[i]) xi[0] = -xi[0];
  }
}

static void data_free(data *s) {
  free(s->x);
  free(s->group);
  free(s->group_b);
  free(s->item_b);
}

/* Out-of-fold P(B) (5 grouped folds) into p [n] and their AUC per item. */
static double cv_auc(const data *s, const clf_options *opt, double *p) {
  char err[512];
  int *fold = malloc((size_t)s->n_groups * sizeof *fold), its[5] = {0};
  clf_data cd = {s->x, s->n, s->d, s->group, s->n_groups, s->group_b};
  double auc = NAN;
  CHECK_OK(clf_folds(fold, s->group_b, s->n_groups, 5, 2024, err, sizeof err));
  tn_status st = clf_cross_predict(p, its, &cd, fold, 5, opt, err, sizeof err);
  CHECK_OK(st);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
  if (st == TN_STATUS_OK) {
    for (int f = 0; f < 5; f++) CHECK(its[f] >= 1);
    CHECK_OK(clf_auc(&auc, p, s->item_b, NULL, s->n, err, sizeof err));
  }
  free(fold);
  return auc;
}

/* ---- the objective -------------------------------------------------------- */

static double ref_softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static double ref_silu(double a) { return a / (1 + exp(-a)); }

/* L of classify.h written out from the documented layout (each layer W
 * [in][out] then b [out], the hidden layers and then the output one), in
 * double, on all n rows of x: c_y = n / (2 n_y), the mean of c_i [softplus(t_i)
 * − y_i t_i], plus (l2/2) Σ W² without the biases. */
static double ref_objective(const clf_mlp *m, const double *x, const uint8_t *y, int64_t n) {
  int d = m->d, h = m->hidden;
  double count[2] = {0, 0}, f = 0, w2 = 0;
  for (int64_t i = 0; i < n; i++) count[y[i]]++;
  double *u = malloc((size_t)(d > h ? d : h) * sizeof *u), *v = malloc((size_t)h * sizeof *v);
  for (int64_t i = 0; i < n; i++) {
    for (int j = 0; j < d; j++) u[j] = (x[i * d + j] - m->mean[j]) * m->inv_std[j];
    size_t off = 0;
    int in = d;
    for (int l = 0; l < m->layers; l++) {
      const tn_real *w = m->params + off, *b = w + (size_t)in * h;
      for (int o = 0; o < h; o++) {
        double a = b[o];
        for (int j = 0; j < in; j++) a += u[j] * w[(size_t)j * h + o];
        v[o] = ref_silu(a);
      }
      memcpy(u, v, (size_t)h * sizeof *u);
      off += (size_t)in * h + h;
      in = h;
    }
    double t = m->params[off + (size_t)h]; /* the output bias */
    for (int j = 0; j < h; j++) t += u[j] * m->params[off + (size_t)j];
    f += 0.5 * (double)n / count[y[i]] * (ref_softplus(t) - y[i] * t);
  }
  size_t off = 0;
  for (int l = 0; l <= m->layers; l++) {
    int in = l == 0 ? d : h, out = l == m->layers ? 1 : h;
    for (size_t q = 0; q < (size_t)in * out; q++) w2 += m->params[off + q] * m->params[off + q];
    off += (size_t)in * out + out;
  }
  CHECK(off == m->n_params);
  free(u);
  free(v);
  return f / (double)n + 0.5 * m->l2 * w2;
}

/* A small net fitted a few epochs on overlapping, 1:3 unbalanced clouds,
 * so that biases and weights are away from their initial values. */
static void small_fit(clf_mlp *m, data *s, double l2) {
  char err[512];
  data_make(s, SHAPE_CLOUDS, 40, 5, 3, 0.25, 1.0, 31); /* 200 rows, 50 of them B */
  for (int64_t i = 0; i < s->n; i++) s->x[i * 3 + 2] = 10 + 3 * s->x[i * 3 + 2]; /* scaled */
  clf_options opt = {.kind = CLF_KIND_MLP,
                     .l2 = l2,
                     .hidden = 5,
                     .layers = 2,
                     .epochs = 20,
                     .batch = 32,
                     .seed = 4};
  tn_status st = clf_mlp_fit(m, s->x, s->item_b, s->n, s->d, NULL, 0, &opt, err, sizeof err);
  CHECK_OK(st);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
}

static void test_objective_reference(void) {
  data s;
  clf_mlp m;
  char err[512];
  small_fit(&m, &s, 0.01);
  CHECK(m.d == 3 && m.hidden == 5 && m.layers == 2 && m.epochs == 20);
  CHECK(m.n_params == 3 * 5 + 5 + 5 * 5 + 5 + 5 + 1);
  CHECK(m.steps == 20 * 7); /* ⌈200/32⌉ = 7 minibatches per epoch */
  /* The standardisation is that of the rows: mean and population std. */
  double mean = 0, var = 0;
  for (int64_t i = 0; i < s.n; i++) mean += s.x[i * 3 + 2];
  mean /= (double)s.n;
  for (int64_t i = 0; i < s.n; i++) var += (s.x[i * 3 + 2] - mean) * (s.x[i * 3 + 2] - mean);
  CHECK_NEAR(m.mean[2], mean, 1e-13, 0);
  CHECK_NEAR(m.inv_std[2], 1 / sqrt(var / (double)s.n), 1e-12, 0);

  double want = ref_objective(&m, s.x, s.item_b, s.n), got;
  tn_real *grad = malloc(m.n_params * sizeof *grad);
  CHECK_OK(clf_mlp_objective(&got, grad, &m, s.x, s.item_b, s.n, NULL, 0, err, sizeof err));
  /* float32 builds run the layers in float: agreement to its rounding */
  double rel = sizeof(tn_real) == 8 ? 1e-12 : 1e-5;
  CHECK_NEAR(got, want, rel, 0);
  CHECK_NEAR(m.loss, want, rel, 0);
  /* Training lowered L from its start near ln 2 (c-weighted, both classes
   * weigh n/2) on these 1σ-apart clouds. */
  CHECK(want < 0.69);
  /* The penalty is on weights only: adding 1 to every bias leaves it. */
  clf_mlp m0 = m;
  m0.l2 = 0;
  double l0 = ref_objective(&m0, s.x, s.item_b, s.n), got0;
  CHECK_OK(clf_mlp_objective(&got0, NULL, &m0, s.x, s.item_b, s.n, NULL, 0, err, sizeof err));
  CHECK_NEAR(got0, l0, rel, 0);
  double w2 = 0;
  size_t off = 0;
  int in = 3;
  for (int l = 0; l <= 2; l++) {
    int out = l == 2 ? 1 : 5;
    for (int q = 0; q < in * out; q++) w2 += m.params[off + q] * m.params[off + q];
    off += (size_t)in * out + out;
    in = 5;
  }
  CHECK_NEAR(got - got0, 0.5 * 0.01 * w2, rel, 1e-12);

  /* On a subset of the rows, given as a list: its own class weights. */
  int64_t rows[60];
  double *xs = malloc(60 * 3 * sizeof *xs);
  uint8_t ys[60];
  for (int r = 0; r < 60; r++) {
    rows[r] = 3 * r + 1;
    memcpy(xs + r * 3, s.x + rows[r] * 3, 3 * sizeof *xs);
    ys[r] = s.item_b[rows[r]];
  }
  CHECK_OK(clf_mlp_objective(&got, NULL, &m, s.x, s.item_b, s.n, rows, 60, err, sizeof err));
  CHECK_NEAR(got, ref_objective(&m, xs, ys, 60), rel, 0);
  free(xs);
  free(grad);
  clf_mlp_free(&m);
  data_free(&s);
}

/* ∂L/∂θ by central differences, every parameter, with l2 > 0 and 1:3
 * class weights. Step and tolerance as tests/fd_checks.h: h = 1e-5 on
 * parameters of order one, |an − fd|₂ ≤ 1e-6 |fd|₂. */
static void test_gradient_fd(void) {
  if (sizeof(tn_real) != 8)
    SKIP("finite differences need the float64 build (make DOUBLE=1 fd-tests)");
  data s;
  clf_mlp m;
  char err[512];
  small_fit(&m, &s, 0.01);
  size_t np = m.n_params;
  tn_real *grad = malloc(np * sizeof *grad);
  double *fd = malloc(np * sizeof *fd), loss, lp, lm;
  /* Fill grad with garbage: the call overwrites it. */
  for (size_t q = 0; q < np; q++) grad[q] = (tn_real)1e3;
  CHECK_OK(clf_mlp_objective(&loss, grad, &m, s.x, s.item_b, s.n, NULL, 0, err, sizeof err));
  const double h = 1e-5;
  double diff = 0, norm = 0;
  for (size_t q = 0; q < np; q++) {
    tn_real keep = m.params[q];
    m.params[q] = keep + h;
    clf_mlp_objective(&lp, NULL, &m, s.x, s.item_b, s.n, NULL, 0, err, sizeof err);
    m.params[q] = keep - h;
    clf_mlp_objective(&lm, NULL, &m, s.x, s.item_b, s.n, NULL, 0, err, sizeof err);
    m.params[q] = keep;
    fd[q] = (lp - lm) / (2 * h);
    diff += (grad[q] - fd[q]) * (grad[q] - fd[q]);
    norm += fd[q] * fd[q];
  }
  fprintf(stderr, "  |grad - fd| = %.3g, |fd| = %.3g over %zu parameters\n", sqrt(diff), sqrt(norm),
          np);
  CHECK(norm > 0 && sqrt(diff) <= 1e-6 * sqrt(norm));
  /* Also chunked: more rows than one chunk of the objective (512), the
   * chunks' gradients summed. */
  data big;
  data_make(&big, SHAPE_CLOUDS, 130, 10, 3, 0.25, 1.0, 77);
  CHECK_OK(clf_mlp_objective(&loss, grad, &m, big.x, big.item_b, big.n, NULL, 0, err, sizeof err));
  diff = norm = 0;
  for (size_t q = 0; q < np; q++) {
    tn_real keep = m.params[q];
    m.params[q] = keep + h;
    clf_mlp_objective(&lp, NULL, &m, big.x, big.item_b, big.n, NULL, 0, err, sizeof err);
    m.params[q] = keep - h;
    clf_mlp_objective(&lm, NULL, &m, big.x, big.item_b, big.n, NULL, 0, err, sizeof err);
    m.params[q] = keep;
    double f = (lp - lm) / (2 * h);
    diff += (grad[q] - f) * (grad[q] - f);
    norm += f * f;
  }
  CHECK(norm > 0 && sqrt(diff) <= 1e-6 * sqrt(norm));
  data_free(&big);
  free(grad);
  free(fd);
  clf_mlp_free(&m);
  data_free(&s);
}

/* ---- what it can and cannot tell apart ------------------------------------ */

static void test_xor(void) {
  data s;
  data_make(&s, SHAPE_XOR, 400, 10, 3, 0.5, 0, 11); /* 4000 items, feature 2 is noise */
  double *p = malloc((size_t)s.n * sizeof *p);
  clf_options lr = {.kind = CLF_KIND_LOGREG, .l2 = 1e-3};
  double auc_lr = cv_auc(&s, &lr, p);
  clf_options mlp = {.kind = CLF_KIND_MLP, .l2 = 1e-4, .seed = 1};
  double auc_mlp = cv_auc(&s, &mlp, p);
  fprintf(stderr, "  XOR: AUC logistic regression %.4f, MLP %.4f\n", auc_lr, auc_mlp);
  CHECK(fabs(auc_lr - 0.5) <= 0.05);
  CHECK(auc_mlp >= 0.95);
  free(p);
  data_free(&s);
}

static void test_random_labels(void) {
  data s;
  data_make(&s, SHAPE_RANDOM, 400, 10, 5, 0.5, 0, 123); /* one cloud, 4000 items */
  double *p = malloc((size_t)s.n * sizeof *p);
  clf_options opt = {.kind = CLF_KIND_MLP, .l2 = 1e-4, .seed = 2};
  double auc = cv_auc(&s, &opt, p);
  fprintf(stderr, "  random labels: AUC %.4f\n", auc);
  /* The null spread of the AUC is about √((n+1)/(12 n_A n_B)) ≈ 0.009. */
  CHECK(fabs(auc - 0.5) <= 0.05);
  free(p);
  data_free(&s);
}

/* 9 A structures for each B, 3σ apart: B still gets P(B) > 1/2 on average
 * and as much confidence as A (both classes weigh n/2 in L). Unweighted,
 * the prior 1:9 would pull every P(B) down, by a factor near 9 in odds. */
static void test_unbalanced(void) {
  data s;
  data_make(&s, SHAPE_CLOUDS, 500, 8, 4, 0.1, 3.0, 5); /* 4000 items, 400 B */
  double *p = malloc((size_t)s.n * sizeof *p);
  clf_options opt = {.kind = CLF_KIND_MLP, .l2 = 1e-4, .seed = 3};
  double auc = cv_auc(&s, &opt, p), pb = 0, pa = 0;
  int64_t nb = 0;
  for (int64_t i = 0; i < s.n; i++) {
    if (s.item_b[i])
      pb += p[i], nb++;
    else
      pa += 1 - p[i];
  }
  pb /= (double)nb;
  pa /= (double)(s.n - nb);
  fprintf(stderr, "  9:1: AUC %.4f, mean P(B) of B %.3f, mean P(A) of A %.3f\n", auc, pb, pa);
  CHECK(nb == 400);
  CHECK(auc >= 0.95);
  CHECK(pb > 0.5);
  CHECK(fabs(pb - pa) <= 0.05);
  free(p);
  data_free(&s);
}

/* ---- determinism ----------------------------------------------------------- */

static void test_deterministic(void) {
  data s;
  data_make(&s, SHAPE_CLOUDS, 300, 10, 20, 1.0 / 3, 1.0, 17); /* 3000 items */
  size_t bytes = (size_t)s.n * sizeof(double);
  double *p1 = malloc(bytes), *p2 = malloc(bytes), *p3 = malloc(bytes), *p4 = malloc(bytes);
  clf_options opt = {.kind = CLF_KIND_MLP, .l2 = 1e-4, .epochs = 3, .seed = 9};
  int threads = omp_get_max_threads();
  cv_auc(&s, &opt, p1);
  cv_auc(&s, &opt, p2);
  CHECK(memcmp(p1, p2, bytes) == 0);
  omp_set_num_threads(threads > 1 ? 1 : 2);
  cv_auc(&s, &opt, p3);
  omp_set_num_threads(threads);
  CHECK(memcmp(p1, p3, bytes) == 0);
  opt.seed = 10;
  cv_auc(&s, &opt, p4);
  int64_t differ = 0;
  for (int64_t i = 0; i < s.n; i++) differ += p1[i] != p4[i];
  CHECK(differ > s.n / 2);

  /* A fit on its own runs the GEMMs on the threads (d = 20, 32 units and
   * 256 rows are above nn_gemm's threshold): the same bits with one or two. */
  char err[512];
  clf_mlp a, b;
  opt.seed = 9;
  CHECK_OK(clf_mlp_fit(&a, s.x, s.item_b, s.n, s.d, NULL, 0, &opt, err, sizeof err));
  omp_set_num_threads(threads > 1 ? 1 : 2);
  CHECK_OK(clf_mlp_fit(&b, s.x, s.item_b, s.n, s.d, NULL, 0, &opt, err, sizeof err));
  omp_set_num_threads(threads);
  CHECK(a.n_params == b.n_params && memcmp(a.params, b.params, a.n_params * sizeof *a.params) == 0);
  clf_mlp_free(&b);

  /* A fit on a list of rows is the fit on those rows copied out. */
  int64_t n_sub = s.n / 2, *rows = malloc((size_t)n_sub * sizeof *rows);
  double *xs = malloc((size_t)(n_sub * s.d) * sizeof *xs);
  uint8_t *ys = malloc((size_t)n_sub);
  for (int64_t r = 0; r < n_sub; r++) {
    rows[r] = (r * 7) % s.n;
    memcpy(xs + r * s.d, s.x + rows[r] * s.d, (size_t)s.d * sizeof *xs);
    ys[r] = s.item_b[rows[r]];
  }
  clf_mlp c;
  clf_mlp_free(&a);
  CHECK_OK(clf_mlp_fit(&a, s.x, s.item_b, s.n, s.d, rows, n_sub, &opt, err, sizeof err));
  CHECK_OK(clf_mlp_fit(&c, xs, ys, n_sub, s.d, NULL, 0, &opt, err, sizeof err));
  CHECK(memcmp(a.params, c.params, a.n_params * sizeof *a.params) == 0);
  CHECK(memcmp(a.mean, c.mean, (size_t)s.d * sizeof *a.mean) == 0);
  clf_mlp_free(&a);
  clf_mlp_free(&c);
  free(rows);
  free(xs);
  free(ys);
  free(p1);
  free(p2);
  free(p3);
  free(p4);
  data_free(&s);
}

/* ---- prediction ------------------------------------------------------------ */

static void test_predict(void) {
  data s;
  clf_mlp m;
  char err[512];
  small_fit(&m, &s, 1e-3);
  enum { N = 200 };
  double t[N], p[N], p2[N], t2[N];
  CHECK_OK(clf_mlp_predict(&m, s.x, N, NULL, 0, t, p, err, sizeof err));
  for (int i = 0; i < N; i++) CHECK_NEAR(p[i], 1 / (1 + exp(-t[i])), 1e-15, 1e-16);
  /* A list of rows writes those rows only, with the same values. */
  int64_t rows[3] = {7, 150, 3};
  for (int i = 0; i < N; i++) p2[i] = t2[i] = -1;
  CHECK_OK(clf_mlp_predict(&m, s.x, N, rows, 3, t2, p2, err, sizeof err));
  int untouched = 1;
  for (int i = 0; i < N; i++)
    if (i != 7 && i != 150 && i != 3) untouched &= p2[i] == -1 && t2[i] == -1;
  CHECK(untouched);
  CHECK(p2[7] == p[7] && p2[150] == p[150] && p2[3] == p[3] && t2[150] == t[150]);
  /* Either output may be NULL; no rows is nothing to do. */
  CHECK_OK(clf_mlp_predict(&m, s.x, N, NULL, 0, NULL, p2, err, sizeof err));
  CHECK(memcmp(p, p2, sizeof p) == 0);
  CHECK_OK(clf_mlp_predict(&m, s.x, N, rows, 0, t2, p2, err, sizeof err));
  /* More rows than one chunk (512) agree with the rows one by one. */
  data big;
  data_make(&big, SHAPE_CLOUDS, 130, 10, 3, 0.25, 1.0, 77);
  double *pb = malloc((size_t)big.n * sizeof *pb), one;
  CHECK_OK(clf_mlp_predict(&m, big.x, big.n, NULL, 0, NULL, pb, err, sizeof err));
  CHECK_OK(clf_mlp_predict(&m, big.x + 1000 * 3, 1, NULL, 0, NULL, &one, err, sizeof err));
  CHECK(fabs(one - pb[1000]) <= (sizeof(tn_real) == 8 ? 1e-14 : 1e-6));
  free(pb);
  data_free(&big);
  /* A non-finite feature gives NaN; a huge one a finite, saturated P(B). */
  double x[2][3] = {{NAN, 0, 10}, {1e300, -1e300, 10}};
  CHECK_OK(clf_mlp_predict(&m, &x[0][0], 2, NULL, 0, t, p, err, sizeof err));
  CHECK(isnan(t[0]) && isnan(p[0]));
  CHECK(isfinite(t[1]) && p[1] >= 0 && p[1] <= 1);
  clf_mlp_free(&m);
  data_free(&s);
}

/* ---- bad input ------------------------------------------------------------- */

static void test_bad_input(void) {
  data s;
  data_make(&s, SHAPE_CLOUDS, 20, 5, 2, 0.5, 2.0, 3); /* 100 rows */
  char err[512];
  clf_mlp m;
  clf_options ok = {.kind = CLF_KIND_MLP, .l2 = 1e-4, .epochs = 2, .hidden = 4, .layers = 1};
  clf_options o;
#define FIT(opt_, x_, y_, n_, d_, rows_, nr_)                                                      \
  clf_mlp_fit(&m, x_, y_, n_, d_, rows_, nr_, opt_, err, sizeof err)
  /* arguments */
  CHECK(FIT(&ok, NULL, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "x is NULL") != NULL);
  CHECK(FIT(&ok, s.x, NULL, s.n, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(FIT(NULL, s.x, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "opt") != NULL);
  CHECK(FIT(&ok, s.x, s.item_b, 0, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 0, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 4097, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "d = 4097") != NULL);
  CHECK(FIT(&ok, s.x, s.item_b, INT64_MAX / 2 + 1, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  int64_t rows[3] = {0, 5, 100};
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, rows, 0) == TN_STATUS_INVALID_ARG);
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, rows, 3) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "rows[2] = 100") != NULL);
  /* a row count no buffer can hold, caught before a row is read */
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, rows, INT64_MAX / 2) == TN_STATUS_NO_MEMORY);
  s.item_b[7] = 2;
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "is_b[7] = 2") != NULL);
  s.item_b[7] = 0;
  /* options: each names its field */
  static const struct {
    const char *field;
    int hidden, layers, epochs, batch;
    double l2, lr;
  } bad[] = {
      {"hidden", -1, 0, 0, 0, 0, 0},   {"hidden", 1025, 0, 0, 0, 0, 0},
      {"layers", 0, -1, 0, 0, 0, 0},   {"layers", 0, 9, 0, 0, 0, 0},
      {"epochs", 0, 0, -1, 0, 0, 0},   {"batch", 0, 0, 0, -1, 0, 0},
      {"batch", 0, 0, 0, 65537, 0, 0}, {"l2", 0, 0, 0, 0, -1e-3, 0},
      {"l2", 0, 0, 0, 0, NAN, 0},      {"lr", 0, 0, 0, 0, 0, -1},
      {"lr", 0, 0, 0, 0, 0, INFINITY},
  };
  for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
    o = (clf_options){.kind = CLF_KIND_MLP,
                      .hidden = bad[q].hidden,
                      .layers = bad[q].layers,
                      .epochs = bad[q].epochs,
                      .batch = bad[q].batch,
                      .l2 = bad[q].l2,
                      .lr = bad[q].lr};
    CHECK(FIT(&o, s.x, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_INVALID_ARG);
    char want[32];
    snprintf(want, sizeof want, "mlp: %s = ", bad[q].field);
    CHECK(strstr(err, want) != NULL);
    CHECK(m.params == NULL && m.mean == NULL); /* nothing to free after a failure */
  }
  /* data */
  s.x[13] = INFINITY;
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "x[6][1] = inf") != NULL);
  s.x[13] = 0.5;
  int64_t one_class[2] = {1, 2}; /* both in group 0, a B group */
  CHECK(s.item_b[1] == 1 && s.item_b[2] == 1);
  CHECK(FIT(&ok, s.x, s.item_b, s.n, 2, one_class, 2) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "need both A and B") != NULL);
  /* a step size that sends the loss to infinity */
  o = ok;
  o.lr = 1e300;
  o.epochs = 50;
  CHECK(FIT(&o, s.x, s.item_b, s.n, 2, NULL, 0) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "diverged at epoch 1, step 0") != NULL);
#undef FIT

  /* predict and objective */
  clf_mlp none = {0};
  double p[4], loss;
  CHECK(clf_mlp_predict(&none, s.x, 4, NULL, 0, NULL, p, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "not fitted") != NULL);
  CHECK_OK(clf_mlp_fit(&m, s.x, s.item_b, s.n, 2, NULL, 0, &ok, err, sizeof err));
  CHECK(clf_mlp_predict(&m, NULL, 4, NULL, 0, NULL, p, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_mlp_predict(&m, s.x, -1, NULL, 0, NULL, p, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(clf_mlp_predict(&m, s.x, s.n, rows, 3, NULL, p, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "rows[2] = 100") != NULL);
  CHECK(clf_mlp_objective(NULL, NULL, &m, s.x, s.item_b, s.n, NULL, 0, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(clf_mlp_objective(&loss, NULL, &none, s.x, s.item_b, s.n, NULL, 0, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(clf_mlp_objective(&loss, NULL, &m, s.x, s.item_b, s.n, one_class, 2, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(clf_mlp_objective(&loss, NULL, &m, s.x, s.item_b, s.n, rows, INT64_MAX / 2, err,
                          sizeof err) == TN_STATUS_NO_MEMORY);
  clf_mlp_free(&m);
  clf_mlp_free(&m); /* twice is harmless */
  clf_mlp_free(NULL);

  /* through cross-validation: the fold named, and an unknown kind */
  int fold[20];
  clf_data cd = {s.x, s.n, 2, s.group, s.n_groups, s.group_b};
  double *pb = malloc((size_t)s.n * sizeof *pb);
  CHECK_OK(clf_folds(fold, s.group_b, s.n_groups, 5, 1, err, sizeof err));
  o = ok;
  o.hidden = -3;
  CHECK(clf_cross_predict(pb, NULL, &cd, fold, 5, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "fold 0 of 5: mlp: hidden = -3") != NULL);
  o.hidden = 0;
  o.kind = (clf_kind)7;
  CHECK(clf_cross_predict(pb, NULL, &cd, fold, 5, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "kind = 7") != NULL);
  free(pb);
  data_free(&s);
}

int main(void) {
  RUN(test_objective_reference);
  RUN(test_gradient_fd);
  RUN(test_predict);
  RUN(test_bad_input);
  RUN(test_deterministic);
  RUN(test_xor);
  RUN(test_random_labels);
  RUN(test_unbalanced);
  return harness_finish();
}
