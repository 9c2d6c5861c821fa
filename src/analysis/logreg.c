/* L2-regularised, class-weighted logistic regression by Newton's method
 * (iteratively reweighted least squares; Hastie, Tibshirani & Friedman, The
 * Elements of Statistical Learning, 2nd ed., §4.4.1). The objective L is in
 * classify.h. With θ = (w, b) and z̃ = (z, 1), C = Σ c_i = n:
 *
 *   ∇L = Σ_i c_i (p_i − y_i) z̃_i / C + l2 (w, 0)
 *   H  = Σ_i c_i p_i (1 − p_i) z̃_i z̃_iᵀ / C + l2 diag(1, …, 1, 0)
 *
 * H is positive definite for l2 > 0 (the bias direction has Σ c p(1−p) > 0),
 * so the Cholesky solve of H δ = ∇L gives a descent direction; an Armijo
 * line search keeps the first steps from overshooting when the classes are
 * nearly separable. Newton converges quadratically near the optimum, so a
 * tight gradient tolerance costs only a step or two more. */
#include <math.h>
#include <string.h>

#include "classify.h"

/* Rows per block at least, and blocks at most: each block sums its rows into
 * its own H, ∇L and L, and the blocks are added in order, so the result
 * depends on n_rows only, never on the thread count. */
enum { LR_BLOCK_MIN_ROWS = 1024, LR_MAX_BLOCKS = 16 };
/* The Newton system is dense, (d+1)² doubles per block: 4096 features are
 * already 2 GB over 16 blocks, far beyond the ~256 this is meant for. */
enum { LR_MAX_D = 4096 };

typedef struct lr_problem {
  const double *x;     /* [n][d] */
  const uint8_t *y;    /* [n] */
  const int64_t *rows; /* [n_rows] or NULL */
  int64_t n_rows;
  int d, dim;  /* dim = d + 1 (the bias last) */
  double c[2]; /* class weights c_A, c_B */
  const double *mean, *inv_std;
  int n_blocks;
  double *part; /* [n_blocks][dim*dim + dim + 1]: H (upper), ∇, L per block */
  double *zbuf; /* [n_blocks][dim] */
} lr_problem;

static double lr_softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

static double lr_sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + exp(-t));
  double e = exp(t);
  return e / (1.0 + e);
}

static int64_t lr_row(const lr_problem *p, int64_t r) { return p->rows ? p->rows[r] : r; }

/* Sums over the rows of block k into its slot of p->part: the weighted
 * cross-entropy, and with full also its gradient and Hessian (upper
 * triangle), all unnormalised. theta [dim] = (w, b). */
static void lr_block(lr_problem *p, int k, const double *theta, int full) {
  int dim = p->dim, d = p->d;
  size_t stride = (size_t)dim * dim + dim + 1;
  double *h = p->part + (size_t)k * stride, *g = h + (size_t)dim * dim, *f = g + dim;
  double *z = p->zbuf + (size_t)k * dim;
  memset(h, 0, stride * sizeof *h);
  int64_t lo = p->n_rows * k / p->n_blocks, hi = p->n_rows * (k + 1) / p->n_blocks;
  for (int64_t r = lo; r < hi; r++) {
    int64_t i = lr_row(p, r);
    const double *xi = p->x + i * d;
    double t = theta[d];
    for (int j = 0; j < d; j++) {
      z[j] = (xi[j] - p->mean[j]) * p->inv_std[j];
      t += theta[j] * z[j];
    }
    z[d] = 1.0;
    int y = p->y[i];
    double c = p->c[y];
    *f += c * (lr_softplus(t) - y * t);
    if (!full) continue;
    double q = lr_sigmoid(t), s = c * q * (1.0 - q), e = c * (q - y);
    for (int j = 0; j < dim; j++) g[j] += e * z[j];
    if (s == 0) continue;
    for (int j = 0; j < dim; j++) {
      double a = s * z[j];
      double *hj = h + (size_t)j * dim;
      for (int m = j; m < dim; m++) hj[m] += a * z[m];
    }
  }
}

/* L at theta, and with full also grad [dim] and hess [dim][dim]. */
static double lr_eval(lr_problem *p, const double *theta, int full, double *grad, double *hess,
                      double l2) {
  int dim = p->dim, d = p->d;
#pragma omp parallel for schedule(static) if (p->n_blocks > 1)
  for (int k = 0; k < p->n_blocks; k++) lr_block(p, k, theta, full);
  size_t stride = (size_t)dim * dim + dim + 1;
  double f = 0;
  if (full) {
    memset(grad, 0, (size_t)dim * sizeof *grad);
    memset(hess, 0, (size_t)dim * dim * sizeof *hess);
  }
  for (int k = 0; k < p->n_blocks; k++) {
    const double *h = p->part + (size_t)k * stride, *g = h + (size_t)dim * dim;
    f += g[dim];
    if (!full) continue;
    for (int j = 0; j < dim; j++) grad[j] += g[j];
    for (int j = 0; j < dim; j++)
      for (int m = j; m < dim; m++) hess[(size_t)j * dim + m] += h[(size_t)j * dim + m];
  }
  double inv_c = 1.0 / (double)p->n_rows, w2 = 0;
  for (int j = 0; j < d; j++) w2 += theta[j] * theta[j];
  f = f * inv_c + 0.5 * l2 * w2;
  if (!full) return f;
  for (int j = 0; j < dim; j++) {
    grad[j] = grad[j] * inv_c + (j < d ? l2 * theta[j] : 0.0);
    for (int m = j; m < dim; m++) {
      double v = hess[(size_t)j * dim + m] * inv_c;
      hess[(size_t)j * dim + m] = hess[(size_t)m * dim + j] = v;
    }
    /* A constant feature (z = 0) has a zero row: a unit diagonal keeps H
     * invertible and its weight at 0, since its gradient is l2 w = 0. */
    if (j < d) hess[(size_t)j * dim + j] += l2 + (p->inv_std[j] == 0 ? 1.0 : 0.0);
  }
  return f;
}

/* In-place Cholesky a = L Lᵀ (lower triangle) of a [n][n]; 0 if a is not
 * numerically positive definite. */
static int lr_cholesky(double *a, int n) {
  for (int j = 0; j < n; j++) {
    double *aj = a + (size_t)j * n;
    double s = aj[j];
    for (int m = 0; m < j; m++) s -= aj[m] * aj[m];
    /* Relative to the diagonal: rounding can leave a tiny positive pivot
     * for an exactly singular matrix. */
    if (!(s > 1e-13 * fabs(aj[j])) || !(s > 0)) return 0;
    double ljj = sqrt(s);
    aj[j] = ljj;
    for (int i = j + 1; i < n; i++) {
      double *ai = a + (size_t)i * n;
      double t = ai[j];
      for (int m = 0; m < j; m++) t -= ai[m] * aj[m];
      ai[j] = t / ljj;
    }
  }
  return 1;
}

/* Solves L Lᵀ x = b in place (b [n] becomes x). */
static void lr_cholesky_solve(const double *l, int n, double *b) {
  for (int i = 0; i < n; i++) {
    double t = b[i];
    for (int m = 0; m < i; m++) t -= l[(size_t)i * n + m] * b[m];
    b[i] = t / l[(size_t)i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double t = b[i];
    for (int m = i + 1; m < n; m++) t -= l[(size_t)m * n + i] * b[m];
    b[i] = t / l[(size_t)i * n + i];
  }
}

void clf_logreg_free(clf_logreg *m) {
  if (!m) return;
  free(m->mean);
  free(m->inv_std);
  free(m->w);
  memset(m, 0, sizeof *m);
}

/* Argument checks that need no reading of x. */
static tn_status lr_check_args(const double *x, const uint8_t *is_b, int64_t n, int d,
                               const int64_t *rows, int64_t n_rows, const clf_options *opt,
                               char *err, size_t err_len) {
  if (!x || !is_b || !opt)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: %s is NULL",
                   !x      ? "x"
                   : !is_b ? "is_b"
                           : "opt");
  if (n < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: n = %lld: need at least one row",
                   (long long)n);
  if (d < 1 || d > LR_MAX_D)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: d = %d: need 1 to %d features", d,
                   LR_MAX_D);
  if (rows && n_rows < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "logreg: n_rows = %lld: need at least one row", (long long)n_rows);
  if (!(isfinite(opt->l2) && opt->l2 >= 0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: l2 = %g: must be finite and >= 0",
                   opt->l2);
  if (!(opt->tol >= 0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: tol = %g: must be >= 0", opt->tol);
  if (opt->max_iter < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: max_iter = %d: must be >= 0",
                   opt->max_iter);
  if (n > INT64_MAX / d)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "logreg: n = %lld rows of d = %d: too many",
                   (long long)n, d);
  return TN_STATUS_OK;
}

/* Labels, finiteness, class counts and the standardisation of the rows. */
static tn_status lr_standardise(clf_logreg *m, lr_problem *p, int64_t n, char *err,
                                size_t err_len) {
  int d = p->d;
  int64_t count[2] = {0, 0};
  double *lo = m->w, *hi = m->inv_std; /* scratch until the std pass */
  for (int j = 0; j < d; j++) m->mean[j] = 0, lo[j] = INFINITY, hi[j] = -INFINITY;
  for (int64_t r = 0; r < p->n_rows; r++) {
    int64_t i = lr_row(p, r);
    if (i < 0 || i >= n)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "logreg: rows[%lld] = %lld: outside [0, %lld)", (long long)r, (long long)i,
                     (long long)n);
    if (p->y[i] > 1)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "logreg: is_b[%lld] = %d: labels are 0 or 1", (long long)i, p->y[i]);
    count[p->y[i]]++;
    const double *xi = p->x + i * d;
    for (int j = 0; j < d; j++) {
      if (!isfinite(xi[j]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "logreg: x[%lld][%d] = %g: features must be finite", (long long)i, j, xi[j]);
      m->mean[j] += xi[j];
      if (xi[j] < lo[j]) lo[j] = xi[j];
      if (xi[j] > hi[j]) hi[j] = xi[j];
    }
  }
  if (count[0] == 0 || count[1] == 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "logreg: all %lld rows are from data set %c: need both A and B",
                   (long long)p->n_rows, count[0] ? 'A' : 'B');
  double inv_n = 1.0 / (double)p->n_rows;
  for (int j = 0; j < d; j++) m->mean[j] *= inv_n;
  /* Two passes (mean, then squared deviations) to avoid the cancellation of
   * Σx² − n mean². A feature whose rows are all equal is constant: its
   * inv_std is 0, so that it enters as z = 0 and its weight stays 0. */
  double *var = p->zbuf; /* [dim] ≥ [d], free until the fit */
  for (int j = 0; j < d; j++) var[j] = 0;
  for (int64_t r = 0; r < p->n_rows; r++) {
    const double *xi = p->x + lr_row(p, r) * d;
    for (int j = 0; j < d; j++) {
      double e = xi[j] - m->mean[j];
      var[j] += e * e;
    }
  }
  for (int j = 0; j < d; j++) {
    int constant = lo[j] == hi[j];
    double sd = sqrt(var[j] * inv_n);
    m->inv_std[j] = constant || !(sd > 0) || !isfinite(sd) ? 0.0 : 1.0 / sd;
  }
  /* c_A n_A = c_B n_B = n/2, so Σ c_i = n_rows. */
  p->c[0] = 0.5 * (double)p->n_rows / (double)count[0];
  p->c[1] = 0.5 * (double)p->n_rows / (double)count[1];
  return TN_STATUS_OK;
}

tn_status clf_logreg_fit(clf_logreg *m, const double *x, const uint8_t *is_b, int64_t n, int d,
                         const int64_t *rows, int64_t n_rows, const clf_options *opt, char *err,
                         size_t err_len) {
  TN_ASSERT(m);
  memset(m, 0, sizeof *m);
  tn_status st = lr_check_args(x, is_b, n, d, rows, n_rows, opt, err, err_len);
  if (st != TN_STATUS_OK) return st;
  double tol = opt->tol > 0 ? opt->tol : 1e-8;
  int max_iter = opt->max_iter > 0 ? opt->max_iter : 100;
  lr_problem p = {.x = x, .y = is_b, .rows = rows, .n_rows = rows ? n_rows : n, .d = d};
  p.dim = d + 1;
  int64_t nb = p.n_rows / LR_BLOCK_MIN_ROWS;
  p.n_blocks = nb < 1 ? 1 : nb > LR_MAX_BLOCKS ? LR_MAX_BLOCKS : (int)nb;
  size_t dim = (size_t)p.dim, stride = dim * dim + dim + 1;
  double *theta = NULL, *trial = NULL, *grad = NULL, *hess = NULL, *delta = NULL;
  m->d = d;
  m->l2 = opt->l2;
  m->mean = malloc((size_t)d * sizeof *m->mean);
  m->inv_std = malloc((size_t)d * sizeof *m->inv_std);
  m->w = malloc((size_t)d * sizeof *m->w);
  p.part = malloc((size_t)p.n_blocks * stride * sizeof *p.part);
  p.zbuf = malloc((size_t)p.n_blocks * dim * sizeof *p.zbuf);
  theta = calloc(dim, sizeof *theta);
  trial = malloc(dim * sizeof *trial);
  grad = malloc(dim * sizeof *grad);
  delta = malloc(dim * sizeof *delta);
  hess = malloc(dim * dim * sizeof *hess);
  if (!m->mean || !m->inv_std || !m->w || !p.part || !p.zbuf || !theta || !trial || !grad ||
      !delta || !hess) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "logreg: d = %d: out of memory", d);
    goto fail;
  }
  st = lr_standardise(m, &p, n, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  p.mean = m->mean;
  p.inv_std = m->inv_std;

  double f = lr_eval(&p, theta, 1, grad, hess, opt->l2), gnorm;
  for (int it = 0;; it++) {
    gnorm = 0;
    for (size_t j = 0; j < dim; j++) gnorm += grad[j] * grad[j];
    gnorm = sqrt(gnorm);
    m->iterations = it;
    if (gnorm <= tol) break;
    if (it == max_iter) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "logreg: not converged in %d Newton steps (gradient norm %.3g > tol %.3g); "
                   "with l2 = %g the classes may be separable: use l2 > 0",
                   max_iter, gnorm, tol, opt->l2);
      goto fail;
    }
    if (!lr_cholesky(hess, p.dim)) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "logreg: singular Newton system at step %d (collinear features with l2 = %g): "
                   "use l2 > 0",
                   it, opt->l2);
      goto fail;
    }
    memcpy(delta, grad, dim * sizeof *delta);
    lr_cholesky_solve(hess, p.dim, delta);
    double slope = 0; /* ∇L·δ > 0: −δ descends */
    for (size_t j = 0; j < dim; j++) slope += grad[j] * delta[j];
    /* Once the Newton decrement ∇L·δ is tiny the full step is safe (the
     * quadratic model is exact to far below it), while the decrease it
     * promises, about slope/2, is lost in the rounding of L: no test. */
    double step = 1;
    int accepted = slope < 1e-10;
    if (accepted)
      for (size_t j = 0; j < dim; j++) trial[j] = theta[j] - delta[j];
    for (int ls = 0; ls < 60 && !accepted; ls++, step *= 0.5) {
      for (size_t j = 0; j < dim; j++) trial[j] = theta[j] - step * delta[j];
      double f_trial = lr_eval(&p, trial, 0, NULL, NULL, opt->l2);
      accepted = f_trial <= f - 1e-4 * step * slope;
    }
    if (!accepted) {
      /* No decrease that rounding can resolve: θ is as good as double
       * allows, yet the gradient is above tol. */
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "logreg: line search stalled at step %d (gradient norm %.3g > tol %.3g): "
                   "tol is below what rounding allows, or the features are badly scaled",
                   it, gnorm, tol);
      goto fail;
    }
    memcpy(theta, trial, dim * sizeof *theta);
    f = lr_eval(&p, theta, 1, grad, hess, opt->l2);
  }
  memcpy(m->w, theta, (size_t)d * sizeof *m->w);
  m->b = theta[d];
  m->loss = f;
  m->grad_norm = gnorm;
  st = TN_STATUS_OK;
fail: /* also the way out on success */
  if (st != TN_STATUS_OK) clf_logreg_free(m);
  free(p.part);
  free(p.zbuf);
  free(theta);
  free(trial);
  free(grad);
  free(delta);
  free(hess);
  return st;
}

void clf_logreg_predict(const clf_logreg *m, const double *x, int64_t n, double *log_odds,
                        double *p_b) {
  TN_ASSERT(m && m->w && (x || n == 0));
  int d = m->d;
#pragma omp parallel for schedule(static) if (n >= 4096)
  for (int64_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    double t = m->b;
    for (int j = 0; j < d; j++) t += m->w[j] * (xi[j] - m->mean[j]) * m->inv_std[j];
    if (log_odds) log_odds[i] = t;
    if (p_b) p_b[i] = lr_sigmoid(t);
  }
}
