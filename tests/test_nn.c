/* The nn ops (src/nn): every tangent and backward pass against central
 * finite differences of the forward pass, in float64 (fd_checks.h: step
 * 1e-5, relative 2-norm error at most 1e-6; tangent = 0 and 1; gradients
 * must accumulate); forward values against independent formulas and naive
 * loops; GEMM against a triple loop; edge ops bitwise equal under 1, 2 and
 * 3 OpenMP threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fd_checks.h"

#define IN_MAX 2
#define CUTOFF 5.0

/* ------------------------------------------------- the ops under test */

typedef enum op_kind {
  OP_DENSE,
  OP_ACT,
  OP_DISTANCE,
  OP_BASIS,
  OP_CUTOFF,
  OP_SCALE_ROWS,
  OP_EMBED,
  OP_GATHER,
  OP_SCATTER,
  OP_CFCONV,
} op_kind;

/* One op with its sizes. Inputs x[0..n_in) carry tangents (stacked, 2 len
 * elements each); parameters p[n_param] do not. */
typedef struct fd_case {
  const char *name;
  op_kind kind;
  int n_in;
  size_t in_len[IN_MAX]; /* primal elements of each input */
  size_t out_len;        /* primal elements of the output */
  size_t n_param;
  int has_tangent;
  int rows, w, k; /* k: basis functions */
  nn_act act;
  nn_basis basis;
  nn_dense dense;
  const nn_graph *g;
  const int32_t *type;
} fd_case;

static void op_forward(const fd_op *o, tn_real *const ys[], tn_real *const x[], const tn_real *p) {
  const fd_case *op = o->ctx;
  tn_real *y = ys[0];
  switch (op->kind) {
  case OP_DENSE: nn_dense_forward(y, x[0], p, &op->dense, op->rows); break;
  case OP_ACT: nn_act_forward(y, x[0], op->in_len[0], op->act); break;
  case OP_DISTANCE: nn_distance_forward(y, x[0], op->rows); break;
  case OP_BASIS: nn_basis_forward(y, x[0], op->rows, op->k, CUTOFF, op->basis); break;
  case OP_CUTOFF: nn_cutoff_forward(y, x[0], op->rows, CUTOFF); break;
  case OP_SCALE_ROWS: nn_scale_rows_forward(y, x[0], x[1], op->rows, op->w); break;
  case OP_EMBED: nn_embed_forward(y, op->type, p, 0, op->rows, op->w); break;
  case OP_GATHER: nn_gather_forward(y, x[0], op->g, op->w); break;
  case OP_SCATTER: nn_scatter_forward(y, x[0], op->g, op->w); break;
  case OP_CFCONV: nn_cfconv_forward(y, x[0], x[1], op->g, op->w); break;
  }
}

static void op_tangent(const fd_op *o, tn_real *const ys[], tn_real *const x[], const tn_real *p) {
  const fd_case *op = o->ctx;
  tn_real *y = ys[0];
  switch (op->kind) {
  case OP_DENSE: nn_dense_tangent(y, x[0], p, &op->dense, op->rows); break;
  case OP_ACT: nn_act_tangent(y, x[0], op->in_len[0], op->act); break;
  case OP_DISTANCE: nn_distance_tangent(y, x[0], op->rows); break;
  case OP_BASIS: nn_basis_tangent(y, x[0], op->rows, op->k, CUTOFF, op->basis); break;
  case OP_CUTOFF: nn_cutoff_tangent(y, x[0], op->rows, CUTOFF); break;
  case OP_SCALE_ROWS: nn_scale_rows_tangent(y, x[0], x[1], op->rows, op->w); break;
  case OP_EMBED: break; /* no tangent: types do not move */
  case OP_GATHER: nn_gather_tangent(y, x[0], op->g, op->w); break;
  case OP_SCATTER: nn_scatter_tangent(y, x[0], op->g, op->w); break;
  case OP_CFCONV: nn_cfconv_tangent(y, x[0], x[1], op->g, op->w); break;
  }
}

/* The nn ops' backward passes do not read their outputs: ys is unused. */
static void op_backward(const fd_op *o, tn_real *const gx[], tn_real *gp, tn_real *const gys[],
                        tn_real *const x[], const tn_real *p, tn_real *const ys[], int tangent) {
  const fd_case *op = o->ctx;
  const tn_real *gy = gys[0];
  (void)ys;
  switch (op->kind) {
  case OP_DENSE: nn_dense_backward(gx[0], gp, gy, x[0], p, &op->dense, op->rows, tangent); break;
  case OP_ACT: nn_act_backward(gx[0], gy, x[0], op->in_len[0], op->act, tangent); break;
  case OP_DISTANCE: nn_distance_backward(gx[0], gy, x[0], op->rows, tangent); break;
  case OP_BASIS:
    nn_basis_backward(gx[0], gy, x[0], op->rows, op->k, CUTOFF, op->basis, tangent);
    break;
  case OP_CUTOFF: nn_cutoff_backward(gx[0], gy, x[0], op->rows, CUTOFF, tangent); break;
  case OP_SCALE_ROWS:
    nn_scale_rows_backward(gx[0], gx[1], gy, x[0], x[1], op->rows, op->w, tangent);
    break;
  case OP_EMBED: nn_embed_backward(gp, gy, op->type, 0, op->rows, op->w); break;
  case OP_GATHER: nn_gather_backward(gx[0], gy, op->g, op->w, tangent); break;
  case OP_SCATTER: nn_scatter_backward(gx[0], gy, op->g, op->w, tangent); break;
  case OP_CFCONV: nn_cfconv_backward(gx[0], gx[1], gy, x[0], x[1], op->g, op->w, tangent); break;
  }
}

/* The three finite-difference checks of fd_checks.h on one case, for
 * inputs x (stacked, tangent blocks filled) and parameters p. */
static void check_case(const fd_case *c, tn_real *const x[], tn_real *p, tn_rng *rng) {
  fd_op op = {.name = c->name, .n_in = c->n_in, .n_out = 1, .n_param = c->n_param};
  op.has_tangent = c->has_tangent, op.out_len[0] = c->out_len;
  for (int i = 0; i < c->n_in; i++) op.in_len[i] = c->in_len[i];
  op.forward = op_forward, op.tangent = op_tangent, op.backward = op_backward, op.ctx = c;
  fd_check_op(&op, x, p, rng);
}

/* r uniform in (0.5, r_c - 0.1): away from 0 and from the cutoff's kink */
static void fill_radii(tn_real *r, int rows, tn_rng *rng) {
  for (int q = 0; q < rows; q++) r[q] = 0.5 + (CUTOFF - 0.6) * tn_rng_uniform(rng);
}

/* --------------------------------------------------------------- tests */

static void test_precision(void) {
  if (sizeof(tn_real) != sizeof(double))
    fprintf(stderr, "  test_nn checks derivatives in float64: build it with DOUBLE=1\n");
  CHECK(sizeof(tn_real) == sizeof(double));
}

static void naive_gemm(int ta, int tb, int m, int n, int k, double alpha, const tn_real *a, int lda,
                       const tn_real *b, int ldb, double beta, tn_real *c, int ldc) {
  for (int r = 0; r < m; r++)
    for (int s = 0; s < n; s++) {
      double sum = 0;
      for (int q = 0; q < k; q++)
        sum += (ta ? a[q * lda + r] : a[r * lda + q]) * (tb ? b[s * ldb + q] : b[q * ldb + s]);
      c[r * ldc + s] = alpha * sum + beta * c[r * ldc + s];
    }
}

/* All four transpose combinations, with padded leading dimensions whose
 * padding must stay untouched, against a triple loop. */
static void test_gemm(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 11);
  enum { M = 5, N = 4, K = 3, PAD = 2 };
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      int lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
      tn_real a[(M + PAD) * (M + PAD)], b[(N + PAD) * (N + PAD)], c[M * (N + PAD)],
          want[M * (N + PAD)];
      fd_fill_normal(a, sizeof a / sizeof *a, 1, &rng);
      fd_fill_normal(b, sizeof b / sizeof *b, 1, &rng);
      fd_fill_normal(c, sizeof c / sizeof *c, 1, &rng);
      memcpy(want, c, sizeof c);
      naive_gemm(ta, tb, M, N, K, 0.7, a, lda, b, ldb, -1.3, want, ldc);
      nn_gemm(ta, tb, M, N, K, 0.7, a, lda, b, ldb, -1.3, c, ldc);
      double err = 0;
      for (size_t q = 0; q < sizeof c / sizeof *c; q++) err = fmax(err, fabs(c[q] - want[q]));
      CHECK(err < 1e-13); /* the padding columns compare equal only if untouched */
    }
  /* k = 0 is an empty sum (C = beta C); m = 0 or n = 0 touch nothing */
  tn_real c[4] = {1, 2, 3, 4}, a[1] = {0};
  nn_gemm(0, 0, 2, 2, 0, 1, a, 1, a, 2, 0.5, c, 2);
  CHECK(c[0] == 0.5 && c[3] == 2);
  nn_gemm(0, 0, 2, 2, 0, 1, a, 1, a, 2, 0, c, 2);
  CHECK(c[0] == 0 && c[3] == 0);
  c[0] = 7;
  nn_gemm(0, 0, 0, 2, 1, 1, a, 1, a, 2, 0, c, 2);
  CHECK(c[0] == 7);
}

static void test_dense_forward_and_init(void) {
  size_t offset = 3;
  nn_dense d = nn_dense_make(5, 4, 1, &offset), e = nn_dense_make(4, 2, 0, &offset);
  CHECK(d.offset == 3 && nn_dense_param_count(&d) == 24);
  CHECK(e.offset == 27 && nn_dense_param_count(&e) == 8 && offset == 35);
  tn_real p[35], x[3 * 5], y[3 * 4];
  tn_rng rng, same;
  tn_rng_seed(&rng, 5);
  fd_fill_normal(p, 35, 1, &rng);
  fd_fill_normal(x, 15, 1, &rng);
  nn_dense_forward(y, x, p, &d, 3);
  double err = 0;
  for (int r = 0; r < 3; r++)
    for (int o = 0; o < 4; o++) {
      double want = p[3 + 20 + o];
      for (int q = 0; q < 5; q++) want += x[r * 5 + q] * p[3 + q * 4 + o];
      err = fmax(err, fabs(y[r * 4 + o] - want));
    }
  CHECK(err < 1e-14);

  /* Glorot uniform, in parameter order, bias zero, nothing else touched */
  tn_real q[35];
  for (int k = 0; k < 35; k++) q[k] = -99;
  tn_rng_seed(&rng, 77);
  tn_rng_seed(&same, 77);
  nn_dense_init(q, &d, &rng);
  double limit = sqrt(6.0 / 9.0);
  int ok = q[0] == -99 && q[2] == -99 && q[27] == -99;
  for (int k = 0; k < 20; k++) ok &= q[3 + k] == (2 * tn_rng_uniform(&same) - 1) * limit;
  for (int k = 0; k < 20; k++) ok &= fabs(q[3 + k]) <= limit;
  for (int k = 0; k < 4; k++) ok &= q[23 + k] == 0;
  CHECK(ok);
  nn_dense_init(q, &e, &rng); /* no bias: exactly in * out draws */
  CHECK(q[27] != -99 && q[34] != -99 && fabs(q[34]) <= sqrt(6.0 / 6.0));
}

static void test_fd_dense(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 1);
  /* in, out, bias; 70 outputs cross the 64-column chunks of the bias sum */
  const int shapes[3][3] = {{5, 4, 0}, {5, 4, 1}, {2, 70, 1}};
  for (int c = 0; c < 3; c++) {
    size_t offset = 3; /* another layer's parameters before it: must get zero gradient */
    fd_case op = {.name = c == 0 ? "dense (no bias)" : "dense", .kind = OP_DENSE, .n_in = 1};
    op.dense = nn_dense_make(shapes[c][0], shapes[c][1], shapes[c][2], &offset);
    op.rows = 3, op.in_len[0] = 3 * (size_t)shapes[c][0], op.out_len = 3 * (size_t)shapes[c][1];
    op.n_param = offset, op.has_tangent = 1;
    tn_real *x = fd_alloc(2 * op.in_len[0]), *p = fd_alloc(offset);
    fd_fill_normal(x, 2 * op.in_len[0], 1, &rng);
    fd_fill_normal(p, offset, 0.5, &rng);
    check_case(&op, &x, p, &rng);
    free(x);
    free(p);
  }
}

/* gx = NULL or grad = NULL leave the other gradient as in a full call */
static void test_dense_null_gradients(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 2);
  size_t offset = 0;
  nn_dense d = nn_dense_make(3, 2, 1, &offset);
  tn_real p[8], x[2 * 4 * 3], gy[2 * 4 * 2], gx[24] = {0}, gx1[24] = {0}, g[8] = {0}, g1[8] = {0};
  fd_fill_normal(p, 8, 1, &rng);
  fd_fill_normal(x, 24, 1, &rng);
  fd_fill_normal(gy, 16, 1, &rng);
  nn_dense_backward(gx, g, gy, x, p, &d, 4, 1);
  nn_dense_backward(NULL, g1, gy, x, p, &d, 4, 1);
  nn_dense_backward(gx1, NULL, gy, x, p, &d, 4, 1);
  CHECK(memcmp(gx, gx1, sizeof gx) == 0 && memcmp(g, g1, sizeof g) == 0);
}

static void test_fd_activations(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 3);
  enum { N = 16 };
  for (int f = NN_ACT_IDENTITY; f <= NN_ACT_TANH; f++) {
    fd_case op = {.name = nn_act_name(f), .kind = OP_ACT, .n_in = 1, .act = f};
    op.in_len[0] = op.out_len = N, op.has_tangent = 1;
    tn_real x[2 * N];
    fd_fill_normal(x, 2 * N, 1, &rng);
    for (int q = 0; q < N / 2; q++) x[q] *= 3; /* reach the tails too */
    x[0] = 8, x[1] = -8, x[2] = 0;
    tn_real *xs[1] = {x};
    check_case(&op, xs, NULL, &rng);
  }
}

/* Values against direct formulas, and the tails where naive formulas
 * overflow: ssp(x) = x - ln 2 and -ln 2, sigmoid 1 and 0, all finite. */
static void test_activation_values(void) {
  const double xs[5] = {-3, -0.5, 0, 0.7, 4};
  for (int q = 0; q < 5; q++) {
    double x = xs[q], s = 1 / (1 + exp(-x));
    tn_real a[2] = {x, 1}, y[2];
    nn_act_forward(y, a, 1, NN_ACT_SSP);
    nn_act_tangent(y, a, 1, NN_ACT_SSP);
    CHECK_NEAR(y[0], log(1 + exp(x)) - log(2.0), 1e-14, 1e-15);
    CHECK_NEAR(y[1], s, 1e-14, 0);
    nn_act_forward(y, a, 1, NN_ACT_SILU);
    nn_act_tangent(y, a, 1, NN_ACT_SILU);
    CHECK_NEAR(y[0], x * s, 1e-14, 1e-15);
    CHECK_NEAR(y[1], s + x * s * (1 - s), 1e-14, 1e-15);
    nn_act_forward(y, a, 1, NN_ACT_TANH);
    CHECK_NEAR(y[0], tanh(x), 1e-15, 1e-16);
    nn_act_forward(y, a, 1, NN_ACT_IDENTITY);
    nn_act_tangent(y, a, 1, NN_ACT_IDENTITY);
    CHECK(y[0] == x && y[1] == 1);
  }
  tn_real a[4] = {1000, -1000, 1, 1}, y[4], ga[4];
  nn_act_forward(y, a, 2, NN_ACT_SSP);
  CHECK_NEAR(y[0], 1000 - log(2.0), 1e-15, 0);
  CHECK_NEAR(y[1], -log(2.0), 1e-15, 0);
  nn_act_tangent(y, a, 2, NN_ACT_SSP);
  CHECK(y[2] == 1 && y[3] == 0);
  for (int f = NN_ACT_IDENTITY; f <= NN_ACT_TANH; f++) {
    tn_real gy[4] = {1, 1, 1, 1};
    memset(ga, 0, sizeof ga);
    nn_act_forward(y, a, 2, f);
    nn_act_tangent(y, a, 2, f);
    nn_act_backward(ga, gy, a, 2, f, 1);
    int finite = 1;
    for (int q = 0; q < 4; q++) finite &= isfinite(y[q]) && isfinite(ga[q]);
    CHECK(finite);
  }
  nn_act_forward(y, a, 2, NN_ACT_SILU);
  CHECK(y[0] == 1000 && y[1] == 0);
}

static void test_act_names(void) {
  for (int f = NN_ACT_IDENTITY; f <= NN_ACT_TANH; f++) CHECK(nn_act_from_name(nn_act_name(f)) == f);
  CHECK(nn_act_from_name("ssp") == NN_ACT_SSP && nn_act_from_name("silu") == NN_ACT_SILU);
  CHECK(nn_act_from_name("relu") == -1 && nn_act_from_name("") == -1);
  CHECK(nn_act_from_name(NULL) == -1 && strcmp(nn_act_name((nn_act)99), "unknown") == 0);
  CHECK(nn_basis_from_name("gaussian") == NN_BASIS_GAUSSIAN);
  CHECK(nn_basis_from_name(nn_basis_name(NN_BASIS_SINC)) == NN_BASIS_SINC);
  CHECK(nn_basis_from_name("bessel") == -1 && nn_basis_from_name(NULL) == -1);
  CHECK(strcmp(nn_basis_name((nn_basis)-1), "unknown") == 0);
}

static void test_fd_distance(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 4);
  enum { ROWS = 4 };
  fd_case op = {.name = "distance", .kind = OP_DISTANCE, .n_in = 1, .rows = ROWS};
  op.in_len[0] = 3 * ROWS, op.out_len = ROWS, op.has_tangent = 1;
  tn_real d[6 * ROWS], r[2 * ROWS];
  fd_fill_normal(d, 6 * ROWS, 1.5, &rng);
  d[0] += 2; /* keep |d| away from 0 */
  d[4] -= 2, d[8] += 1, d[9] -= 2;
  tn_real *xs[1] = {d};
  check_case(&op, xs, NULL, &rng);
  nn_distance_forward(r, d, ROWS);
  for (int k = 0; k < ROWS; k++)
    CHECK_NEAR(
        r[k], sqrt(d[3 * k] * d[3 * k] + d[3 * k + 1] * d[3 * k + 1] + d[3 * k + 2] * d[3 * k + 2]),
        1e-15, 0);
}

static void test_fd_bases(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 5);
  enum { ROWS = 4 };
  for (int b = NN_BASIS_GAUSSIAN; b <= NN_BASIS_SINC; b++) {
    int k = b == NN_BASIS_GAUSSIAN ? 6 : 5;
    fd_case op = {.name = nn_basis_name(b), .kind = OP_BASIS, .n_in = 1, .rows = ROWS, .k = k};
    op.basis = b, op.in_len[0] = ROWS, op.out_len = (size_t)ROWS * k, op.has_tangent = 1;
    tn_real r[2 * ROWS];
    fill_radii(r, ROWS, &rng);
    fd_fill_normal(r + ROWS, ROWS, 1, &rng);
    tn_real *xs[1] = {r};
    check_case(&op, xs, NULL, &rng);
  }
}

/* The SchNet spacing and the PaiNN sinc, from their formulas. */
static void test_basis_values(void) {
  tn_real r[2] = {1.3, 4.2}, e[2 * 20];
  nn_basis_forward(e, r, 2, 20, CUTOFF, NN_BASIS_GAUSSIAN);
  double delta = CUTOFF / 19;
  for (int n = 0; n < 2; n++)
    for (int k = 0; k < 20; k++) {
      double t = r[n] - k * delta;
      CHECK_NEAR(e[n * 20 + k], exp(-t * t / (2 * delta * delta)), 1e-12, 1e-300);
    }
  nn_basis_forward(e, r, 2, 7, CUTOFF, NN_BASIS_SINC);
  for (int n = 0; n < 2; n++)
    for (int k = 1; k <= 7; k++)
      CHECK_NEAR(e[n * 7 + k - 1], sin(k * M_PI * r[n] / CUTOFF) / r[n], 1e-13, 1e-15);
}

static void test_fd_cutoff(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 6);
  enum { ROWS = 6 };
  fd_case op = {.name = "cutoff", .kind = OP_CUTOFF, .n_in = 1, .rows = ROWS};
  op.in_len[0] = op.out_len = ROWS, op.has_tangent = 1;
  tn_real r[2 * ROWS];
  fill_radii(r, ROWS, &rng);
  r[ROWS - 1] = CUTOFF + 0.4; /* beyond the cutoff: everything zero */
  fd_fill_normal(r + ROWS, ROWS, 1, &rng);
  tn_real *xs[1] = {r};
  check_case(&op, xs, NULL, &rng);

  tn_real f[2 * ROWS], gr[2 * ROWS] = {0}, gf[2 * ROWS];
  for (int q = 0; q < 2 * ROWS; q++) gf[q] = 1;
  nn_cutoff_forward(f, r, ROWS, CUTOFF);
  nn_cutoff_tangent(f, r, ROWS, CUTOFF);
  nn_cutoff_backward(gr, gf, r, ROWS, CUTOFF, 1);
  int k = ROWS - 1;
  CHECK(f[k] == 0 && f[ROWS + k] == 0 && gr[k] == 0 && gr[ROWS + k] == 0);
  CHECK(gr[0] != 0 && gr[ROWS] != 0);
  tn_real known[4] = {0, CUTOFF / 2, CUTOFF, 2 * CUTOFF}, fk[4];
  nn_cutoff_forward(fk, known, 4, CUTOFF);
  CHECK(fk[0] == 1 && fk[2] == 0 && fk[3] == 0);
  CHECK_NEAR(fk[1], 0.5, 1e-15, 0);
}

static void test_fd_scale_rows(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 7);
  enum { ROWS = 3, W = 4 };
  fd_case op = {.name = "scale_rows", .kind = OP_SCALE_ROWS, .n_in = 2, .rows = ROWS, .w = W};
  op.in_len[0] = ROWS * W, op.in_len[1] = ROWS, op.out_len = ROWS * W, op.has_tangent = 1;
  tn_real x[2 * ROWS * W], s[2 * ROWS], z[ROWS * W];
  fd_fill_normal(x, 2 * ROWS * W, 1, &rng);
  fd_fill_normal(s, 2 * ROWS, 1, &rng);
  tn_real *xs[2] = {x, s};
  check_case(&op, xs, NULL, &rng);
  nn_scale_rows_forward(z, x, s, ROWS, W);
  CHECK(z[0] == x[0] * s[0] && z[ROWS * W - 1] == x[ROWS * W - 1] * s[ROWS - 1]);
  /* a NULL gradient leaves the other one as in a full call */
  tn_real gz[2 * ROWS * W], gx[2 * ROWS * W] = {0}, gs[2 * ROWS] = {0};
  tn_real gx1[2 * ROWS * W] = {0}, gs1[2 * ROWS] = {0};
  fd_fill_normal(gz, 2 * ROWS * W, 1, &rng);
  nn_scale_rows_backward(gx, gs, gz, x, s, ROWS, W, 1);
  nn_scale_rows_backward(gx1, NULL, gz, x, s, ROWS, W, 1);
  nn_scale_rows_backward(NULL, gs1, gz, x, s, ROWS, W, 1);
  CHECK(memcmp(gx, gx1, sizeof gx) == 0 && memcmp(gs, gs1, sizeof gs) == 0);
}

static void test_fd_embed(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 8);
  enum { N = 5, W = 3, TYPES = 3 };
  const int32_t type[N] = {2, 0, 2, 1, 2};
  fd_case op = {.name = "embed", .kind = OP_EMBED, .rows = N, .w = W, .type = type};
  op.out_len = N * W, op.n_param = TYPES * W;
  tn_real p[TYPES * W], x[N * W];
  fd_fill_normal(p, TYPES * W, 1, &rng);
  check_case(&op, NULL, p, &rng);
  nn_embed_forward(x, type, p, 0, N, W);
  CHECK(x[0] == p[6] && x[5] == p[2] && x[14] == p[8]);
  /* an offset into a larger block */
  tn_real big[4 + TYPES * W], g[4 + TYPES * W] = {0}, gx[N * W];
  memcpy(big + 4, p, sizeof p);
  nn_embed_forward(x, type, big, 4, N, W);
  CHECK(x[3] == p[0]);
  for (int q = 0; q < N * W; q++) gx[q] = 1;
  nn_embed_backward(g, gx, type, 4, N, W);
  CHECK(g[3] == 0 && g[4] == 1 && g[4 + 3] == 1 && g[4 + 6] == 3);
}

/* The small graph of the edge-op checks: 5 atoms, all ordered pairs, some
 * pairs twice (two images), two self-image pairs. */
static void small_graph(fd_graph *t, tn_rng *rng) {
  fd_graph_make(t, 5, 1.0, 2, rng);
  CHECK(fd_graph_valid(&t->g) && t->g.n_edges >= 24);
}

static void test_fd_graph_ops(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 9);
  fd_graph t;
  small_graph(&t, &rng);
  enum { W = 3 };
  size_t na = (size_t)t.g.n_atoms * W, ne = (size_t)t.g.n_edges * W;
  tn_real *x = fd_alloc(2 * na), *m = fd_alloc(2 * ne);
  fd_fill_normal(x, 2 * na, 1, &rng);
  fd_fill_normal(m, 2 * ne, 1, &rng);

  fd_case gather = {.name = "gather", .kind = OP_GATHER, .n_in = 1, .w = W, .g = &t.g};
  gather.in_len[0] = na, gather.out_len = ne, gather.has_tangent = 1;
  check_case(&gather, &x, NULL, &rng);

  fd_case scatter = {.name = "scatter", .kind = OP_SCATTER, .n_in = 1, .w = W, .g = &t.g};
  scatter.in_len[0] = ne, scatter.out_len = na, scatter.has_tangent = 1;
  check_case(&scatter, &m, NULL, &rng);

  fd_case conv = {.name = "cfconv", .kind = OP_CFCONV, .n_in = 2, .w = W, .g = &t.g};
  conv.in_len[0] = na, conv.in_len[1] = ne, conv.out_len = na, conv.has_tangent = 1;
  tn_real *xs[2] = {x, m};
  check_case(&conv, xs, NULL, &rng);
  free(x);
  free(m);
  fd_graph_free(&t);
}

/* Forward values of the edge ops against loops over edges that use i_k and
 * j_k only (not first[] or rev[]). */
static void fd_graph_values(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 10);
  fd_graph t;
  small_graph(&t, &rng);
  enum { W = 2 };
  int n = t.g.n_atoms;
  int64_t ne = t.g.n_edges;
  tn_real *x = fd_alloc(2 * n * W), *f = fd_alloc(2 * ne * W), *e = fd_alloc(ne * W);
  tn_real *y = fd_alloc(n * W), *want = fd_alloc(n * W), *yc = fd_alloc(n * W);
  fd_fill_normal(x, n * W, 1, &rng);
  fd_fill_normal(f, ne * W, 1, &rng);
  nn_gather_forward(e, x, &t.g, W);
  nn_scatter_forward(y, f, &t.g, W);
  nn_cfconv_forward(yc, x, f, &t.g, W);
  int ok = 1;
  for (int64_t k = 0; k < ne; k++)
    for (int c = 0; c < W; c++) ok &= e[k * W + c] == x[t.j[k] * W + c];
  CHECK(ok);
  for (int pass = 0; pass < 2; pass++) {
    memset(want, 0, (size_t)n * W * sizeof *want);
    for (int64_t k = 0; k < ne; k++)
      for (int c = 0; c < W; c++)
        want[t.i[k] * W + c] += f[k * W + c] * (pass ? x[t.j[k] * W + c] : 1);
    double err = 0;
    for (int q = 0; q < n * W; q++) err = fmax(err, fabs((pass ? yc : y)[q] - want[q]));
    CHECK(err < 1e-14);
  }
  free(x), free(f), free(e), free(y), free(want), free(yc);
  fd_graph_free(&t);
}

#ifdef _OPENMP
/* The inputs of edge_ops_run: features x [n_atoms w], filters f [n_edges w],
 * edge vectors d [n_edges 3], output gradients gy [n_atoms w] and ge
 * [n_edges w], each with its tangent block. */
typedef struct edge_inputs {
  const nn_graph *g;
  const tn_real *x, *f, *d, *gy, *ge;
  int w;
} edge_inputs;

/* All outputs of the edge ops (and the radial ops on the same edges),
 * concatenated into out; returns how many. */
static size_t edge_ops_run(tn_real *out, const void *ctx) {
  const edge_inputs *in = ctx;
  const nn_graph *g = in->g;
  const tn_real *x = in->x, *f = in->f, *d = in->d, *gy = in->gy, *ge = in->ge;
  int w = in->w;
  size_t na = (size_t)g->n_atoms * w, ne = (size_t)g->n_edges * w, at = 0;
  int rows = (int)g->n_edges;
  nn_gather_forward(out + at, x, g, w);
  nn_gather_tangent(out + at, x, g, w);
  at += 2 * ne;
  nn_gather_backward(out + at, ge, g, w, 1);
  at += 2 * na;
  nn_scatter_forward(out + at, f, g, w);
  nn_scatter_tangent(out + at, f, g, w);
  at += 2 * na;
  nn_scatter_backward(out + at, gy, g, w, 1);
  at += 2 * ne;
  nn_cfconv_forward(out + at, x, f, g, w);
  nn_cfconv_tangent(out + at, x, f, g, w);
  at += 2 * na;
  nn_cfconv_backward(out + at, out + at + 2 * na, gy, x, f, g, w, 1);
  at += 2 * na + 2 * ne;
  tn_real *r = out + at;
  nn_distance_forward(r, d, rows);
  nn_distance_tangent(r, d, rows);
  at += 2 * (size_t)rows;
  nn_basis_forward(out + at, r, rows, w, CUTOFF, NN_BASIS_GAUSSIAN);
  nn_basis_tangent(out + at, r, rows, w, CUTOFF, NN_BASIS_GAUSSIAN);
  nn_basis_backward(out + at + 2 * ne, ge, r, rows, w, CUTOFF, NN_BASIS_SINC, 1);
  at += 2 * ne + 2 * (size_t)rows;
  return at;
}
#endif

static void test_threads_bitwise(void) {
#ifndef _OPENMP
  SKIP("built without OpenMP");
#else
  tn_rng rng;
  tn_rng_seed(&rng, 12);
  fd_graph t;
  fd_graph_make(&t, 300, 0.06, 20, &rng);
  CHECK(fd_graph_valid(&t.g));
  enum { W = 16 };
  size_t na = (size_t)t.g.n_atoms * W, ne = (size_t)t.g.n_edges * W, rows = t.g.n_edges;
  size_t total = 10 * na + 10 * ne + 8 * rows;
  tn_real *x = fd_alloc(2 * na), *f = fd_alloc(2 * ne), *d = fd_alloc(6 * rows);
  tn_real *gy = fd_alloc(2 * na), *ge = fd_alloc(2 * ne);
  fd_fill_normal(x, 2 * na, 1, &rng);
  fd_fill_normal(f, 2 * ne, 1, &rng);
  fd_fill_normal(d, 6 * rows, 1.5, &rng);
  for (size_t k = 0; k < rows; k++) d[3 * k] += 3; /* |d| > 0 */
  fd_fill_normal(gy, 2 * na, 1, &rng);
  fd_fill_normal(ge, 2 * ne, 1, &rng);
  CHECK((t.g.n_edges + t.g.n_atoms) * W >= 4096); /* the parallel path runs */
  edge_inputs in = {&t.g, x, f, d, gy, ge, W};
  fd_check_threads_bitwise(edge_ops_run, &in, total);
  free(x), free(f), free(d), free(gy), free(ge);
  fd_graph_free(&t);
#endif
}

int main(void) {
  RUN(test_precision);
  if (sizeof(tn_real) != sizeof(double)) return harness_finish();
  RUN(test_gemm);
  RUN(test_dense_forward_and_init);
  RUN(test_fd_dense);
  RUN(test_dense_null_gradients);
  RUN(test_fd_activations);
  RUN(test_activation_values);
  RUN(test_act_names);
  RUN(test_fd_distance);
  RUN(test_fd_bases);
  RUN(test_basis_values);
  RUN(test_fd_cutoff);
  RUN(test_fd_scale_rows);
  RUN(test_fd_embed);
  RUN(test_fd_graph_ops);
  RUN(fd_graph_values);
  RUN(test_threads_bitwise);
  return harness_finish();
}
