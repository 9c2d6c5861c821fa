/* A small multilayer perceptron classifier for adversarial validation: the
 * model, objective and training are described in classify.h (clf_mlp).
 *
 * Forward pass over a chunk of `count` rows (h = hidden width):
 *   z [count][d]          standardised features, tn_real
 *   a_l [count][h]        = h_{l−1} W_l + b_l          (pre-activation)
 *   h_l [count][h]        = silu(a_l)
 *   t [count]             = h_L W_out + b_out           (log-odds)
 * and the loss per row, in double, c_i [softplus(t_i) − y_i t_i], whose
 * derivative in t_i is c_i (σ(t_i) − y_i). The backward pass runs the same
 * layers in reverse with nn_dense_backward and nn_act_backward, which
 * accumulate, into one gradient block laid out like the parameters. */
#include <math.h>
#include <string.h>

#include "classify.h"

enum {
  MLP_MAX_D = 4096,
  MLP_MAX_HIDDEN = 1024,
  MLP_MAX_LAYERS = 8,
  MLP_MAX_BATCH = 65536,
  MLP_MAX_EPOCHS = 1000000,
  MLP_DEF_HIDDEN = 32,
  MLP_DEF_LAYERS = 2,
  MLP_DEF_EPOCHS = 40,
  MLP_DEF_BATCH = 256,
  /* With the default epochs, at least this many Adam steps: a few thousand
   * rows give only a dozen minibatches per epoch, too few steps in 40
   * epochs for the net to bend its boundary. */
  MLP_MIN_STEPS = 3000,
  /* Rows per chunk when predicting or evaluating L: large enough for the
   * GEMMs to run at speed, small enough to stay in cache. */
  MLP_CHUNK = 512,
};
#define MLP_DEF_LR 3e-3
/* |z| cap in units of the training std, so no float overflows to inf. */
#define MLP_Z_MAX 1e6
/* A fit whose parameters leave [-1e6, 1e6] has diverged: Adam moves each
 * by about lr per step, so sane settings stay orders of magnitude below. */
#define MLP_PARAM_MAX 1e6
/* Pre-activations are clamped to this (NaN to its negative): no inf or NaN
 * ever reaches an activation, whose float kernels assume finite input. Far
 * above any value a working fit produces, so the gradient is unchanged. */
#define MLP_A_MAX 1e30f
#define MLP_ACT   NN_ACT_SILU

/* Adam moments (Kingma & Ba 2015, Algorithm 1, the defaults there). */
#define ADAM_B1  0.9
#define ADAM_B2  0.999
#define ADAM_EPS 1e-8

/* The layers of m: lay [layers + 1], the hidden ones then the output, placed
 * in order in one block whose size is returned. */
static size_t mlp_layout(nn_dense *lay, int d, int hidden, int layers) {
  size_t off = 0;
  for (int l = 0; l < layers; l++) lay[l] = nn_dense_make(l ? hidden : d, hidden, 1, &off);
  lay[layers] = nn_dense_make(hidden, 1, 1, &off);
  return off;
}

/* Buffers for a chunk of up to cap rows; see the top of the file. */
typedef struct mlp_work {
  int cap;
  int64_t *idx;  /* [cap] rows of x in the chunk (predict only) */
  tn_real *z;    /* [cap][d] */
  tn_real *pre;  /* [layers][cap][h] a_l */
  tn_real *post; /* [layers][cap][h] h_l */
  tn_real *t;    /* [cap] */
  tn_real *gt;   /* [cap] ∂(loss)/∂t */
  tn_real *gh;   /* [cap][h] ∂/∂h_l */
  tn_real *ga;   /* [cap][h] ∂/∂a_l */
} mlp_work;

static void mlp_work_free(mlp_work *w) {
  free(w->idx);
  free(w->z);
  free(w->pre);
  free(w->post);
  free(w->t);
  free(w->gt);
  free(w->gh);
  free(w->ga);
  memset(w, 0, sizeof *w);
}

/* 0 on success, -1 out of memory (w freed). */
static int mlp_work_alloc(mlp_work *w, int cap, int d, int hidden, int layers) {
  memset(w, 0, sizeof *w);
  size_t c = (size_t)cap, ch = c * (size_t)hidden;
  w->cap = cap;
  w->idx = malloc(c * sizeof *w->idx);
  w->z = malloc(c * (size_t)d * sizeof *w->z);
  w->pre = malloc((size_t)layers * ch * sizeof *w->pre);
  w->post = malloc((size_t)layers * ch * sizeof *w->post);
  w->t = malloc(c * sizeof *w->t);
  w->gt = malloc(c * sizeof *w->gt);
  w->gh = malloc(ch * sizeof *w->gh);
  w->ga = malloc(ch * sizeof *w->ga);
  if (w->idx && w->z && w->pre && w->post && w->t && w->gt && w->gh && w->ga) return 0;
  mlp_work_free(w);
  return -1;
}

static double mlp_softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

static double mlp_sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + exp(-t));
  double e = exp(t);
  return e / (1.0 + e);
}

/* a [n] into [−MLP_A_MAX, MLP_A_MAX], NaN to the lower end. */
static void mlp_clamp(tn_real *a, size_t n) {
  for (size_t q = 0; q < n; q++)
    a[q] = a[q] >= -MLP_A_MAX ? (a[q] <= MLP_A_MAX ? a[q] : MLP_A_MAX) : -MLP_A_MAX;
}

/* z [count][d] of the rows idx [count] of x [.][d]. */
static void mlp_standardise_rows(tn_real *z, const clf_mlp *m, const double *x, const int64_t *idx,
                                 int64_t count) {
  int d = m->d;
  for (int64_t r = 0; r < count; r++) {
    const double *xi = x + (idx ? idx[r] : r) * d;
    tn_real *zr = z + r * d;
    for (int j = 0; j < d; j++) {
      double v = (xi[j] - m->mean[j]) * m->inv_std[j];
      /* NaN (a non-finite x, predicted as NaN anyway) enters as 0 */
      zr[j] = (tn_real)(v >= MLP_Z_MAX    ? MLP_Z_MAX
                        : v >= -MLP_Z_MAX ? v
                        : v < 0           ? -MLP_Z_MAX
                                          : 0.0);
    }
  }
}

/* Forward pass of the rows idx [count], either of x [.][d] (standardised
 * here) or, when table is set, of table [.][d] (standardised already):
 * fills w->z, pre, post, t. */
static void mlp_forward(mlp_work *w, const clf_mlp *m, const nn_dense *lay, const double *x,
                        const tn_real *table, const int64_t *idx, int count) {
  int d = m->d, h = m->hidden;
  size_t ch = (size_t)w->cap * h;
  if (table)
    for (int r = 0; r < count; r++)
      memcpy(w->z + (size_t)r * d, table + idx[r] * d, (size_t)d * sizeof *w->z);
  else
    mlp_standardise_rows(w->z, m, x, idx, count);
  const tn_real *in = w->z;
  for (int l = 0; l < m->layers; l++) {
    tn_real *a = w->pre + l * ch, *hl = w->post + l * ch;
    nn_dense_forward(a, in, m->params, &lay[l], count);
    mlp_clamp(a, (size_t)count * h);
    nn_act_forward(hl, a, (size_t)count * h, MLP_ACT);
    in = hl;
  }
  nn_dense_forward(w->t, in, m->params, &lay[m->layers], count);
}

/* Adds ∂/∂θ of Σ_r gt[r] t_r (gt [count] set by the caller) into grad
 * [n_params], the adjoint of mlp_forward's layers. */
static void mlp_backward(mlp_work *w, tn_real *grad, const clf_mlp *m, const nn_dense *lay,
                         int count) {
  int h = m->hidden, last = m->layers - 1;
  size_t ch = (size_t)w->cap * h, n = (size_t)count * h;
  /* t = h_L W_out + b_out */
  nn_zero(w->gh, n);
  nn_dense_backward(w->gh, grad, w->gt, w->post + last * ch, m->params, &lay[m->layers], count, 0);
  for (int l = last; l >= 0; l--) {
    /* h_l = silu(a_l) */
    nn_zero(w->ga, n);
    nn_act_backward(w->ga, w->gh, w->pre + l * ch, n, MLP_ACT, 0);
    /* a_l = h_{l−1} W_l + b_l; no gradient for z */
    const tn_real *in = l ? w->post + (l - 1) * ch : w->z;
    if (l) nn_zero(w->gh, n);
    nn_dense_backward(l ? w->gh : NULL, grad, w->ga, in, m->params, &lay[l], count, 0);
  }
}

/* Σ_r c_r [softplus(t_r) − y_r t_r] over the chunk in double, and gt [r] =
 * scale · c_r (σ(t_r) − y_r), its derivative scaled to the mean. */
static double mlp_chunk_loss(mlp_work *w, const uint8_t *y, const int64_t *idx, int count,
                             const double c[2], double scale) {
  double f = 0;
  for (int r = 0; r < count; r++) {
    int yr = y[idx[r]];
    double t = (double)w->t[r], cr = c[yr];
    f += cr * (mlp_softplus(t) - yr * t);
    w->gt[r] = (tn_real)(scale * cr * (mlp_sigmoid(t) - yr));
  }
  return f;
}

/* (l2/2) Σ|W|² over the weight matrices, and with grad, grad_W += l2 W. */
static double mlp_penalty(tn_real *grad, const clf_mlp *m, const nn_dense *lay, double l2) {
  double s = 0;
  for (int l = 0; l <= m->layers; l++) {
    const tn_real *wt = m->params + lay[l].offset;
    size_t nw = (size_t)lay[l].in * lay[l].out;
    for (size_t q = 0; q < nw; q++) s += (double)wt[q] * wt[q];
    if (grad)
      for (size_t q = 0; q < nw; q++) grad[lay[l].offset + q] += (tn_real)(l2 * wt[q]);
  }
  return 0.5 * l2 * s;
}

/* Checks shared by fit and objective that need no reading of x. */
static tn_status mlp_check_args(const char *who, const double *x, const uint8_t *is_b, int64_t n,
                                int d, const int64_t *rows, int64_t n_rows, char *err,
                                size_t err_len) {
  if (!x || !is_b)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: %s is NULL", who, !x ? "x" : "is_b");
  if (n < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: n = %lld: need at least one row", who,
                   (long long)n);
  if (d < 1 || d > MLP_MAX_D)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: d = %d: need 1 to %d features", who, d,
                   MLP_MAX_D);
  if (rows && n_rows < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: n_rows = %lld: need at least one row",
                   who, (long long)n_rows);
  if (n > INT64_MAX / d)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: n = %lld rows of d = %d: too many",
                   who, (long long)n, d);
  int64_t count = rows ? n_rows : n;
  if ((uint64_t)count > SIZE_MAX / sizeof(int64_t))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: %lld rows: too many to index", who,
                   (long long)count);
  return TN_STATUS_OK;
}

/* One option: 0 means def, else it must lie in [1, max]. */
static tn_status mlp_option(int *out, int value, int def, int max, const char *field, char *err,
                            size_t err_len) {
  if (value < 0 || value > max)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "mlp: %s = %d: must be 0 (the default, %d) or 1 to %d", field, value, def, max);
  *out = value ? value : def;
  return TN_STATUS_OK;
}

/* Row indices, labels and finiteness of the rows listed (all n without
 * rows), and the class counts; with mean/lo/hi [d] also Σx, min and max. */
static tn_status mlp_scan(int64_t count[2], double *sum, double *lo, double *hi, const double *x,
                          const uint8_t *y, int64_t n, int d, const int64_t *rows, int64_t n_rows,
                          char *err, size_t err_len) {
  count[0] = count[1] = 0;
  if (sum)
    for (int j = 0; j < d; j++) sum[j] = 0, lo[j] = INFINITY, hi[j] = -INFINITY;
  for (int64_t r = 0; r < n_rows; r++) {
    int64_t i = rows ? rows[r] : r;
    if (i < 0 || i >= n)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "mlp: rows[%lld] = %lld: outside [0, %lld)", (long long)r, (long long)i,
                     (long long)n);
    if (y[i] > 1)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "mlp: is_b[%lld] = %d: labels are 0 or 1",
                     (long long)i, y[i]);
    count[y[i]]++;
    const double *xi = x + i * d;
    for (int j = 0; j < d; j++) {
      if (!isfinite(xi[j]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "mlp: x[%lld][%d] = %g: features must be finite", (long long)i, j, xi[j]);
      if (!sum) continue;
      sum[j] += xi[j];
      if (xi[j] < lo[j]) lo[j] = xi[j];
      if (xi[j] > hi[j]) hi[j] = xi[j];
    }
  }
  if (count[0] == 0 || count[1] == 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "mlp: all %lld rows are from data set %c: need both A and B", (long long)n_rows,
                   count[0] ? 'A' : 'B');
  return TN_STATUS_OK;
}

/* Mean and 1/std of the rows into m (two passes, as logreg: no cancellation
 * of Σx² − n mean²; a constant feature gets inv_std 0 and enters as z = 0).
 * var [d] is scratch. */
static void mlp_standardise(clf_mlp *m, double *var, const double *lo, const double *hi,
                            const double *x, const int64_t *rows, int64_t n_rows) {
  int d = m->d;
  double inv_n = 1.0 / (double)n_rows;
  for (int j = 0; j < d; j++) m->mean[j] *= inv_n, var[j] = 0;
  for (int64_t r = 0; r < n_rows; r++) {
    const double *xi = x + (rows ? rows[r] : r) * d;
    for (int j = 0; j < d; j++) {
      double e = xi[j] - m->mean[j];
      var[j] += e * e;
    }
  }
  for (int j = 0; j < d; j++) {
    double sd = sqrt(var[j] * inv_n);
    m->inv_std[j] = lo[j] == hi[j] || !(sd > 0) || !isfinite(sd) ? 0.0 : 1.0 / sd;
  }
}

/* L over the rows perm [n_rows] (of x, or of table; labels y) in chunks of
 * w->cap (c the class weights), and with grad its gradient (overwritten).
 * The chunks are summed in order. */
static double mlp_full_loss(tn_real *grad, mlp_work *w, const clf_mlp *m, const nn_dense *lay,
                            const double *x, const tn_real *table, const uint8_t *y,
                            const int64_t *perm, int64_t n_rows, const double c[2]) {
  double f = 0, inv_n = 1.0 / (double)n_rows;
  if (grad) nn_zero(grad, m->n_params);
  for (int64_t r0 = 0; r0 < n_rows; r0 += w->cap) {
    int count = (int)(n_rows - r0 < w->cap ? n_rows - r0 : w->cap);
    mlp_forward(w, m, lay, x, table, perm + r0, count);
    f += mlp_chunk_loss(w, y, perm + r0, count, c, inv_n);
    if (grad) mlp_backward(w, grad, m, lay, count);
  }
  return f * inv_n + mlp_penalty(grad, m, lay, m->l2);
}

void clf_mlp_free(clf_mlp *m) {
  if (!m) return;
  free(m->mean);
  free(m->inv_std);
  free(m->params);
  memset(m, 0, sizeof *m);
}

tn_status clf_mlp_fit(clf_mlp *m, const double *x, const uint8_t *is_b, int64_t n, int d,
                      const int64_t *rows, int64_t n_rows, const clf_options *opt, char *err,
                      size_t err_len) {
  TN_ASSERT(m);
  memset(m, 0, sizeof *m);
  if (!opt) return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "mlp: opt is NULL");
  tn_status st = mlp_check_args("mlp", x, is_b, n, d, rows, n_rows, err, err_len);
  if (st != TN_STATUS_OK) return st;
  int hidden = 0, layers = 0, epochs = 0, batch = 0;
  if ((st = mlp_option(&hidden, opt->hidden, MLP_DEF_HIDDEN, MLP_MAX_HIDDEN, "hidden", err,
                       err_len)) != TN_STATUS_OK ||
      (st = mlp_option(&layers, opt->layers, MLP_DEF_LAYERS, MLP_MAX_LAYERS, "layers", err,
                       err_len)) != TN_STATUS_OK ||
      (st = mlp_option(&epochs, opt->epochs, MLP_DEF_EPOCHS, MLP_MAX_EPOCHS, "epochs", err,
                       err_len)) != TN_STATUS_OK ||
      (st = mlp_option(&batch, opt->batch, MLP_DEF_BATCH, MLP_MAX_BATCH, "batch", err, err_len)) !=
          TN_STATUS_OK)
    return st;
  if (!(isfinite(opt->l2) && opt->l2 >= 0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "mlp: l2 = %g: must be finite and >= 0",
                   opt->l2);
  if (!(isfinite(opt->lr) && opt->lr >= 0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "mlp: lr = %g: must be finite and >= 0 (0: the default, %g)", opt->lr,
                   MLP_DEF_LR);
  double lr = opt->lr > 0 ? opt->lr : MLP_DEF_LR;
  if (!rows) n_rows = n;
  int cap = n_rows < batch ? (int)n_rows : batch;
  int64_t per_epoch = (n_rows + batch - 1) / batch;
  if (opt->epochs == 0 && per_epoch * epochs < MLP_MIN_STEPS)
    epochs = (int)((MLP_MIN_STEPS + per_epoch - 1) / per_epoch);

  nn_dense lay[MLP_MAX_LAYERS + 1];
  size_t n_params = mlp_layout(lay, d, hidden, layers);
  mlp_work w = {0};
  int64_t *perm = NULL;
  uint8_t *label = NULL;
  tn_real *table = NULL, *grad = NULL, *mom1 = NULL, *mom2 = NULL;
  double *lo = NULL, *hi = NULL, *var = NULL;
  m->d = d;
  m->hidden = hidden;
  m->layers = layers;
  m->l2 = opt->l2;
  m->n_params = n_params;
  m->mean = malloc((size_t)d * sizeof *m->mean);
  m->inv_std = malloc((size_t)d * sizeof *m->inv_std);
  m->params = malloc(n_params * sizeof *m->params);
  lo = malloc((size_t)d * sizeof *lo);
  hi = malloc((size_t)d * sizeof *hi);
  var = malloc((size_t)d * sizeof *var);
  perm = malloc((size_t)n_rows * sizeof *perm);
  label = malloc((size_t)n_rows);
  table = (uint64_t)n_rows <= SIZE_MAX / sizeof *table / (size_t)d
              ? malloc((size_t)n_rows * (size_t)d * sizeof *table)
              : NULL;
  grad = malloc(n_params * sizeof *grad);
  mom1 = calloc(n_params, sizeof *mom1);
  mom2 = calloc(n_params, sizeof *mom2);
  if (!m->mean || !m->inv_std || !m->params || !lo || !hi || !var || !perm || !label || !table ||
      !grad || !mom1 || !mom2 || mlp_work_alloc(&w, cap, d, hidden, layers) != 0) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                 "mlp: %lld rows, d = %d, hidden = %d, batch = %d: out of memory",
                 (long long)n_rows, d, hidden, batch);
    goto fail;
  }
  int64_t count[2];
  st = mlp_scan(count, m->mean, lo, hi, x, is_b, n, d, rows, n_rows, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  mlp_standardise(m, var, lo, hi, x, rows, n_rows);
  /* c_A n_A = c_B n_B = n/2, as logreg */
  double c[2] = {0.5 * (double)n_rows / (double)count[0], 0.5 * (double)n_rows / (double)count[1]};

  tn_rng rng;
  tn_rng_seed(&rng, opt->seed);
  for (int l = 0; l <= layers; l++) nn_dense_init(m->params, &lay[l], &rng);
  /* The training rows standardised once, in the order of rows, with their
   * labels: the minibatches then copy compact rows of tn_real instead of
   * gathering and standardising scattered rows of x each epoch (which took
   * half the time). perm indexes the table. */
  mlp_standardise_rows(table, m, x, rows, n_rows);
  for (int64_t r = 0; r < n_rows; r++) perm[r] = r, label[r] = is_b[rows ? rows[r] : r];
  int64_t total = per_epoch * epochs, step = 0;
  double b1t = 1, b2t = 1;
  for (int e = 0; e < epochs; e++) {
    /* Fisher–Yates with the fit's one stream */
    for (int64_t r = n_rows - 1; r > 0; r--) {
      int64_t q = (int64_t)(tn_rng_uniform(&rng) * (double)(r + 1));
      int64_t tmp = perm[r];
      perm[r] = perm[q];
      perm[q] = tmp;
    }
    for (int64_t r0 = 0; r0 < n_rows; r0 += batch, step++) {
      int cnt = (int)(n_rows - r0 < batch ? n_rows - r0 : batch);
      nn_zero(grad, n_params);
      mlp_forward(&w, m, lay, NULL, table, perm + r0, cnt);
      double f = mlp_chunk_loss(&w, label, perm + r0, cnt, c, 1.0 / cnt);
      if (!isfinite(f)) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "mlp: the loss turned non-finite at epoch %d, step %lld: lr = %g is too "
                     "large",
                     e + 1, (long long)step, lr);
        goto fail;
      }
      mlp_backward(&w, grad, m, lay, cnt);
      mlp_penalty(grad, m, lay, opt->l2);
      /* Adam, with the step size falling linearly from lr to lr/10. */
      b1t *= ADAM_B1;
      b2t *= ADAM_B2;
      double frac = total > 1 ? (double)step / (double)(total - 1) : 0.0;
      double alpha = lr * (1.0 - 0.9 * frac);
      double k1 = alpha / (1.0 - b1t), k2 = 1.0 / (1.0 - b2t);
      int diverged = 0;
      for (size_t q = 0; q < n_params; q++) {
        double g = grad[q];
        double v1 = ADAM_B1 * mom1[q] + (1 - ADAM_B1) * g;
        double v2 = ADAM_B2 * mom2[q] + (1 - ADAM_B2) * g * g;
        mom1[q] = (tn_real)v1;
        mom2[q] = (tn_real)v2;
        double next = m->params[q] - k1 * v1 / (sqrt(k2 * v2) + ADAM_EPS);
        if (!(fabs(next) <= MLP_PARAM_MAX)) diverged = 1;
        m->params[q] = (tn_real)(diverged ? 0.0 : next);
      }
      if (diverged) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "mlp: diverged at epoch %d, step %lld (a parameter beyond ±%g): lr = %g is "
                     "too large",
                     e + 1, (long long)step, MLP_PARAM_MAX, lr);
        goto fail;
      }
    }
  }
  m->epochs = epochs;
  m->steps = step;
  m->loss = mlp_full_loss(NULL, &w, m, lay, NULL, table, label, perm, n_rows, c);
  if (!isfinite(m->loss)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "mlp: the final loss is not finite: lr = %g is too large", lr);
    goto fail;
  }
  st = TN_STATUS_OK;
fail: /* also the way out on success */
  if (st != TN_STATUS_OK) clf_mlp_free(m);
  mlp_work_free(&w);
  free(perm);
  free(label);
  free(table);
  free(grad);
  free(mom1);
  free(mom2);
  free(lo);
  free(hi);
  free(var);
  return st;
}

tn_status clf_mlp_objective(double *loss, tn_real *grad, const clf_mlp *m, const double *x,
                            const uint8_t *is_b, int64_t n, const int64_t *rows, int64_t n_rows,
                            char *err, size_t err_len) {
  if (!loss || !m || !m->params)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "mlp objective: %s",
                   !loss ? "loss is NULL" : "the model is not fitted");
  tn_status st = mlp_check_args("mlp objective", x, is_b, n, m->d, rows, n_rows, err, err_len);
  if (st != TN_STATUS_OK) return st;
  if (!rows) n_rows = n;
  nn_dense lay[MLP_MAX_LAYERS + 1];
  mlp_layout(lay, m->d, m->hidden, m->layers);
  int cap = n_rows < MLP_CHUNK ? (int)n_rows : MLP_CHUNK;
  mlp_work w = {0};
  int64_t *perm = malloc((size_t)n_rows * sizeof *perm);
  if (!perm || mlp_work_alloc(&w, cap, m->d, m->hidden, m->layers) != 0) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "mlp objective: %lld rows: out of memory",
                 (long long)n_rows);
    goto fail;
  }
  int64_t count[2];
  st = mlp_scan(count, NULL, NULL, NULL, x, is_b, n, m->d, rows, n_rows, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  double c[2] = {0.5 * (double)n_rows / (double)count[0], 0.5 * (double)n_rows / (double)count[1]};
  for (int64_t r = 0; r < n_rows; r++) perm[r] = rows ? rows[r] : r;
  *loss = mlp_full_loss(grad, &w, m, lay, x, NULL, is_b, perm, n_rows, c);
fail: /* also the way out on success */
  mlp_work_free(&w);
  free(perm);
  return st;
}

tn_status clf_mlp_predict(const clf_mlp *m, const double *x, int64_t n, const int64_t *rows,
                          int64_t n_rows, double *log_odds, double *p_b, char *err,
                          size_t err_len) {
  if (!m || !m->params || !x)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "mlp predict: %s",
                   !x ? "x is NULL" : "the model is not fitted");
  if (n < 0 || (rows && n_rows < 0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "mlp predict: n = %lld, n_rows = %lld: must be >= 0", (long long)n,
                   (long long)n_rows);
  int d = m->d;
  if (n > INT64_MAX / d)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "mlp predict: n = %lld rows of d = %d: too many", (long long)n, d);
  if (!rows) n_rows = n;
  for (int64_t r = 0; rows && r < n_rows; r++)
    if (rows[r] < 0 || rows[r] >= n)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "mlp predict: rows[%lld] = %lld: outside [0, %lld)", (long long)r,
                     (long long)rows[r], (long long)n);
  if (n_rows == 0 || (!log_odds && !p_b)) return TN_STATUS_OK;
  nn_dense lay[MLP_MAX_LAYERS + 1];
  mlp_layout(lay, d, m->hidden, m->layers);
  mlp_work w;
  if (mlp_work_alloc(&w, n_rows < MLP_CHUNK ? (int)n_rows : MLP_CHUNK, d, m->hidden, m->layers))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "mlp predict: out of memory");
  for (int64_t r0 = 0; r0 < n_rows; r0 += w.cap) {
    int count = (int)(n_rows - r0 < w.cap ? n_rows - r0 : w.cap);
    for (int r = 0; r < count; r++) w.idx[r] = rows ? rows[r0 + r] : r0 + r;
    mlp_forward(&w, m, lay, x, NULL, w.idx, count);
    for (int r = 0; r < count; r++) {
      int64_t i = w.idx[r];
      double t = (double)w.t[r];
      for (int j = 0; j < d; j++)
        if (!isfinite(x[i * d + j])) t = NAN;
      if (log_odds) log_odds[i] = t;
      if (p_b) p_b[i] = mlp_sigmoid(t);
    }
  }
  mlp_work_free(&w);
  return TN_STATUS_OK;
}
