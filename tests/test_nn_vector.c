/* The vector-feature ops of PaiNN (src/nn/vector.c, concat.c), in float64:
 * every tangent and backward pass (both with and without the tangent block)
 * against central finite differences of the forward pass (fd_checks.h: step
 * 1e-5, relative 2-norm error at most 1e-6, L = Σ_o <a_o, y_o> (+ <b_o,
 * dy_o>) over every output; gradients must accumulate); forward values
 * against naive loops over edges; NULL gradients; results bitwise equal
 * under 1, 2 and 3 OpenMP threads; rotation equivariance of the message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fd_checks.h"

/* ------------------------------------------------------ the ops under test */

typedef enum vop_kind { VOP_UNIT, VOP_VNORM, VOP_CONCAT, VOP_VCONV, VOP_VMIX } vop_kind;

typedef struct vcase {
  const char *name;
  vop_kind kind;
  int n_in, n_out;
  size_t in_len[FD_MAX_IN], out_len[FD_MAX_OUT]; /* primal elements */
  int rows, f, wb;                               /* wb: second width of concat */
  double eps;
  const nn_graph *g;
} vcase;

/* The vector ops have no parameters: p is unused. */
static void op_forward(const fd_op *o, tn_real *const y[], tn_real *const x[], const tn_real *p) {
  const vcase *op = o->ctx;
  (void)p;
  switch (op->kind) {
  case VOP_UNIT: nn_unit_forward(y[0], x[0], op->rows); break;
  case VOP_VNORM: nn_vnorm_forward(y[0], x[0], op->rows, op->f, op->eps); break;
  case VOP_CONCAT: nn_concat_forward(y[0], x[0], x[1], op->rows, op->f, op->wb); break;
  case VOP_VCONV: nn_vconv_forward(y[0], y[1], x[0], x[1], x[2], x[3], op->g, op->f); break;
  case VOP_VMIX: nn_vmix_forward(y[0], y[1], x[0], x[1], x[2], op->rows, op->f); break;
  }
}

static void op_tangent(const fd_op *o, tn_real *const y[], tn_real *const x[], const tn_real *p) {
  const vcase *op = o->ctx;
  (void)p;
  switch (op->kind) {
  case VOP_UNIT: nn_unit_tangent(y[0], x[0], op->rows); break;
  case VOP_VNORM: nn_vnorm_tangent(y[0], x[0], op->rows, op->f); break;
  case VOP_CONCAT: nn_concat_tangent(y[0], x[0], x[1], op->rows, op->f, op->wb); break;
  case VOP_VCONV: nn_vconv_tangent(y[0], y[1], x[0], x[1], x[2], x[3], op->g, op->f); break;
  case VOP_VMIX: nn_vmix_tangent(y[0], y[1], x[0], x[1], x[2], op->rows, op->f); break;
  }
}

/* y holds the forward (and tangent) outputs at x: vnorm reads its norms. */
static void op_backward(const fd_op *o, tn_real *const gx[], tn_real *gp, tn_real *const gy[],
                        tn_real *const x[], const tn_real *p, tn_real *const y[], int tangent) {
  const vcase *op = o->ctx;
  (void)gp, (void)p;
  switch (op->kind) {
  case VOP_UNIT: nn_unit_backward(gx[0], gy[0], x[0], op->rows, tangent); break;
  case VOP_VNORM: nn_vnorm_backward(gx[0], gy[0], x[0], y[0], op->rows, op->f, tangent); break;
  case VOP_CONCAT: nn_concat_backward(gx[0], gx[1], gy[0], op->rows, op->f, op->wb, tangent); break;
  case VOP_VCONV:
    nn_vconv_backward(gx[0], gx[1], gx[2], gx[3], gy[0], gy[1], x[0], x[1], x[2], x[3], op->g,
                      op->f, tangent);
    break;
  case VOP_VMIX:
    nn_vmix_backward(gx[0], gx[1], gx[2], gy[0], gy[1], x[0], x[1], x[2], op->rows, op->f, tangent);
    break;
  }
}

/* The three finite-difference checks of fd_checks.h on one case, inputs x
 * stacked with their tangents. */
static void check_case(const vcase *c, tn_real *const x[], tn_rng *rng) {
  fd_op op = {.name = c->name, .n_in = c->n_in, .n_out = c->n_out, .has_tangent = 1};
  memcpy(op.in_len, c->in_len, sizeof op.in_len);
  memcpy(op.out_len, c->out_len, sizeof op.out_len);
  op.forward = op_forward, op.tangent = op_tangent, op.backward = op_backward, op.ctx = c;
  fd_check_op(&op, x, NULL, rng);
}

/* ------------------------------------------------------------------ tests */

static void test_precision(void) {
  if (sizeof(tn_real) != sizeof(double))
    fprintf(stderr, "  test_nn_vector checks derivatives in float64: build it with DOUBLE=1\n");
  CHECK(sizeof(tn_real) == sizeof(double));
}

static void test_fd_unit(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 1);
  enum { ROWS = 5 };
  vcase op = {.name = "unit", .kind = VOP_UNIT, .n_in = 1, .n_out = 1, .rows = ROWS};
  op.in_len[0] = op.out_len[0] = 3 * ROWS;
  tn_real d[6 * ROWS], u[6 * ROWS];
  fd_fill_normal(d, 6 * ROWS, 1.5, &rng);
  for (int k = 0; k < ROWS; k++) d[3 * k + k % 3] += 2; /* |d| away from 0 */
  tn_real *xs[1] = {d};
  check_case(&op, xs, &rng);
  nn_unit_forward(u, d, ROWS);
  for (int k = 0; k < ROWS; k++) {
    double len =
        sqrt(d[3 * k] * d[3 * k] + d[3 * k + 1] * d[3 * k + 1] + d[3 * k + 2] * d[3 * k + 2]);
    for (int c = 0; c < 3; c++) CHECK_NEAR(u[3 * k + c], d[3 * k + c] / len, 1e-15, 1e-16);
  }
}

static void test_fd_vnorm(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 2);
  enum { ROWS = 3, F = 4 };
  /* eps 1e-8 with generic v, and eps 0.3 with a zero vector (the start of
   * every PaiNN vector feature), where the derivative must exist. */
  for (int pass = 0; pass < 2; pass++) {
    vcase op = {.name = pass ? "vnorm (v = 0 rows)" : "vnorm", .kind = VOP_VNORM, .n_in = 1};
    op.n_out = 1, op.rows = ROWS, op.f = F, op.eps = pass ? 0.3 : 1e-8;
    op.in_len[0] = 3 * ROWS * F, op.out_len[0] = ROWS * F;
    tn_real v[6 * ROWS * F], n[2 * ROWS * F];
    fd_fill_normal(v, 6 * ROWS * F, 1, &rng);
    if (pass)
      for (int c = 0; c < 3; c++) v[c * F + 1] = 0; /* row 0, feature 1: v = 0 */
    tn_real *xs[1] = {v};
    check_case(&op, xs, &rng);
    nn_vnorm_forward(n, v, ROWS, F, op.eps);
    for (int r = 0; r < ROWS; r++)
      for (int q = 0; q < F; q++) {
        double s = op.eps;
        for (int c = 0; c < 3; c++) s += v[(3 * r + c) * F + q] * v[(3 * r + c) * F + q];
        CHECK_NEAR(n[r * F + q], sqrt(s), 1e-15, 0);
      }
    if (pass) {
      CHECK_NEAR(n[1], sqrt(0.3), 1e-15, 0);
      /* at v = 0 the gradient vanishes, and with the tangent stays finite */
      tn_real gn[2 * ROWS * F], gv[6 * ROWS * F] = {0};
      for (int q = 0; q < 2 * ROWS * F; q++) gn[q] = 1;
      nn_vnorm_backward(gv, gn, v, n, ROWS, F, 0);
      CHECK(gv[1] == 0 && gv[F + 1] == 0 && gv[2 * F + 1] == 0);
      nn_vnorm_tangent(n, v, ROWS, F);
      nn_vnorm_backward(gv, gn, v, n, ROWS, F, 1);
      int finite = 1;
      for (int q = 0; q < 6 * ROWS * F; q++) finite &= isfinite(gv[q]);
      CHECK(finite);
    }
  }
}

static void test_fd_concat(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 3);
  enum { ROWS = 3, WA = 2, WB = 3 };
  vcase op = {.name = "concat", .kind = VOP_CONCAT, .n_in = 2, .n_out = 1, .rows = ROWS};
  op.f = WA, op.wb = WB, op.in_len[0] = ROWS * WA, op.in_len[1] = ROWS * WB;
  op.out_len[0] = ROWS * (WA + WB);
  tn_real a[2 * ROWS * WA], b[2 * ROWS * WB], y[2 * ROWS * (WA + WB)];
  fd_fill_normal(a, 2 * ROWS * WA, 1, &rng);
  fd_fill_normal(b, 2 * ROWS * WB, 1, &rng);
  tn_real *xs[2] = {a, b};
  check_case(&op, xs, &rng);
  nn_concat_forward(y, a, b, ROWS, WA, WB);
  nn_concat_tangent(y, a, b, ROWS, WA, WB);
  CHECK(y[0] == a[0] && y[WA] == b[0] && y[WA + WB + 1] == a[WA + 1] && y[2 * (WA + WB)] == a[4]);
  CHECK(y[ROWS * (WA + WB) + WA + 2] == b[ROWS * WB + 2]); /* tangent block */
}

/* Naive forward of the message: a loop over edges with i_k and j_k only. */
static void vconv_naive(double *ys, double *yv, const tn_real *x, const tn_real *w,
                        const tn_real *v, const tn_real *u, const fd_graph *t, int f) {
  int n = t->g.n_atoms;
  memset(ys, 0, (size_t)n * f * sizeof *ys);
  memset(yv, 0, (size_t)n * 3 * f * sizeof *yv);
  for (int64_t k = 0; k < t->g.n_edges; k++) {
    int i = t->i[k], j = t->j[k];
    for (int q = 0; q < f; q++) {
      double mvv = x[j * 3 * f + q] * w[k * 3 * f + q];
      double ms = x[j * 3 * f + f + q] * w[k * 3 * f + f + q];
      double mvs = x[j * 3 * f + 2 * f + q] * w[k * 3 * f + 2 * f + q];
      ys[i * f + q] += ms;
      for (int c = 0; c < 3; c++)
        yv[(i * 3 + c) * f + q] += mvv * v[(j * 3 + c) * f + q] + mvs * u[3 * k + c];
    }
  }
}

static void test_fd_vconv(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 4);
  fd_graph t;
  fd_graph_make(&t, 5, 0.8, 2, &rng);
  CHECK(fd_graph_valid(&t.g) && t.g.n_edges >= 16);
  enum { F = 2 };
  int n = t.g.n_atoms;
  size_t ne = (size_t)t.g.n_edges;
  vcase op = {.name = "vconv", .kind = VOP_VCONV, .n_in = 4, .n_out = 2, .f = F, .g = &t.g};
  op.in_len[0] = (size_t)n * 3 * F, op.in_len[1] = ne * 3 * F;
  op.in_len[2] = (size_t)n * 3 * F, op.in_len[3] = ne * 3;
  op.out_len[0] = (size_t)n * F, op.out_len[1] = (size_t)n * 3 * F;
  tn_real *x = fd_alloc(2 * op.in_len[0]), *w = fd_alloc(2 * op.in_len[1]);
  tn_real *v = fd_alloc(2 * op.in_len[2]), *u = fd_alloc(2 * op.in_len[3]);
  fd_fill_normal(x, 2 * op.in_len[0], 1, &rng);
  fd_fill_normal(w, 2 * op.in_len[1], 1, &rng);
  fd_fill_normal(v, 2 * op.in_len[2], 1, &rng);
  fd_fill_normal(u, 2 * op.in_len[3], 1, &rng);
  tn_real *xs[4] = {x, w, v, u};
  check_case(&op, xs, &rng);

  /* forward against the naive loop */
  tn_real *ys = fd_alloc(2 * n * F), *yv = fd_alloc(2 * n * 3 * F);
  double *want_s = calloc((size_t)n * F, sizeof *want_s);
  double *want_v = calloc((size_t)n * 3 * F, sizeof *want_v);
  nn_vconv_forward(ys, yv, x, w, v, u, &t.g, F);
  vconv_naive(want_s, want_v, x, w, v, u, &t, F);
  double err = 0;
  for (int q = 0; q < n * F; q++) err = fmax(err, fabs(ys[q] - want_s[q]));
  for (int q = 0; q < n * 3 * F; q++) err = fmax(err, fabs(yv[q] - want_v[q]));
  CHECK(err < 1e-13);

  /* NULL gradients leave the others as in a full call */
  size_t lens[4] = {op.in_len[0], op.in_len[1], op.in_len[2], op.in_len[3]};
  tn_real *full[4], *part[4], *gys = fd_alloc(2 * n * F), *gyv = fd_alloc(2 * n * 3 * F);
  fd_fill_normal(gys, 2 * n * F, 1, &rng);
  fd_fill_normal(gyv, 2 * n * 3 * F, 1, &rng);
  for (int i = 0; i < 4; i++) full[i] = fd_alloc(2 * lens[i]), part[i] = fd_alloc(2 * lens[i]);
  nn_vconv_tangent(ys, yv, x, w, v, u, &t.g, F);
  nn_vconv_backward(full[0], full[1], full[2], full[3], gys, gyv, x, w, v, u, &t.g, F, 1);
  nn_vconv_backward(part[0], NULL, part[2], NULL, gys, gyv, x, w, v, u, &t.g, F, 1);
  nn_vconv_backward(NULL, part[1], NULL, part[3], gys, gyv, x, w, v, u, &t.g, F, 1);
  int same = 1;
  for (int i = 0; i < 4; i++) same &= memcmp(full[i], part[i], 2 * lens[i] * sizeof *full[i]) == 0;
  CHECK(same);
  for (int i = 0; i < 4; i++) free(full[i]), free(part[i]);
  free(gys), free(gyv), free(ys), free(yv), free(want_s), free(want_v);
  free(x), free(w), free(v), free(u);
  fd_graph_free(&t);
}

static void test_fd_vmix(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 5);
  enum { ROWS = 3, F = 3 };
  vcase op = {.name = "vmix", .kind = VOP_VMIX, .n_in = 3, .n_out = 2, .rows = ROWS, .f = F};
  op.in_len[0] = op.in_len[1] = op.in_len[2] = 3 * ROWS * F;
  op.out_len[0] = ROWS * F, op.out_len[1] = 3 * ROWS * F;
  tn_real a[6 * ROWS * F], uv[6 * ROWS * F], vv[6 * ROWS * F];
  fd_fill_normal(a, 6 * ROWS * F, 1, &rng);
  fd_fill_normal(uv, 6 * ROWS * F, 1, &rng);
  fd_fill_normal(vv, 6 * ROWS * F, 1, &rng);
  tn_real *xs[3] = {a, uv, vv};
  check_case(&op, xs, &rng);
  tn_real ys[ROWS * F], yv[3 * ROWS * F];
  nn_vmix_forward(ys, yv, a, uv, vv, ROWS, F);
  double err = 0;
  for (int r = 0; r < ROWS; r++)
    for (int q = 0; q < F; q++) {
      double p = 0;
      for (int c = 0; c < 3; c++) {
        int e = (3 * r + c) * F + q;
        p += uv[e] * vv[e];
        err = fmax(err, fabs(yv[e] - a[3 * r * F + q] * uv[e]));
      }
      err = fmax(err, fabs(ys[r * F + q] - (a[3 * r * F + F + q] * p + a[3 * r * F + 2 * F + q])));
    }
  CHECK(err < 1e-14);
  /* NULL gradients leave the others as in a full call */
  tn_real gys[2 * ROWS * F], gyv[6 * ROWS * F], g1[3][6 * ROWS * F], g2[3][6 * ROWS * F];
  fd_fill_normal(gys, 2 * ROWS * F, 1, &rng);
  fd_fill_normal(gyv, 6 * ROWS * F, 1, &rng);
  memset(g1, 0, sizeof g1), memset(g2, 0, sizeof g2);
  nn_vmix_backward(g1[0], g1[1], g1[2], gys, gyv, a, uv, vv, ROWS, F, 1);
  nn_vmix_backward(g2[0], NULL, g2[2], gys, gyv, a, uv, vv, ROWS, F, 1);
  nn_vmix_backward(NULL, g2[1], NULL, gys, gyv, a, uv, vv, ROWS, F, 1);
  CHECK(memcmp(g1, g2, sizeof g1) == 0);
}

/* Rotating the vector inputs (v and u) rotates yv and leaves ys unchanged:
 * the equivariance the PaiNN message is built for. */
static void test_vconv_equivariance(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 6);
  fd_graph t;
  fd_graph_make(&t, 6, 0.7, 1, &rng);
  enum { F = 3 };
  int n = t.g.n_atoms;
  size_t ne = (size_t)t.g.n_edges;
  tn_real *x = fd_alloc(n * 3 * F), *w = fd_alloc(ne * 3 * F), *v = fd_alloc(n * 3 * F);
  tn_real *u = fd_alloc(ne * 3), *v2 = fd_alloc(n * 3 * F), *u2 = fd_alloc(ne * 3);
  tn_real *ys = fd_alloc(n * F), *yv = fd_alloc(n * 3 * F);
  tn_real *ys2 = fd_alloc(n * F), *yv2 = fd_alloc(n * 3 * F);
  fd_fill_normal(x, n * 3 * F, 1, &rng);
  fd_fill_normal(w, ne * 3 * F, 1, &rng);
  fd_fill_normal(v, n * 3 * F, 1, &rng);
  fd_fill_normal(u, ne * 3, 1, &rng);
  const double c = cos(0.9), s = sin(0.9);
  const double rot[3][3] = {{c, -s, 0}, {s * 0.6, c * 0.6, -0.8}, {s * 0.8, c * 0.8, 0.6}};
  for (int a = 0; a < n; a++)
    for (int q = 0; q < F; q++)
      for (int r = 0; r < 3; r++) {
        double sum = 0;
        for (int k = 0; k < 3; k++) sum += rot[r][k] * v[(3 * a + k) * F + q];
        v2[(3 * a + r) * F + q] = sum;
      }
  for (size_t k = 0; k < ne; k++)
    for (int r = 0; r < 3; r++)
      u2[3 * k + r] = rot[r][0] * u[3 * k] + rot[r][1] * u[3 * k + 1] + rot[r][2] * u[3 * k + 2];
  nn_vconv_forward(ys, yv, x, w, v, u, &t.g, F);
  nn_vconv_forward(ys2, yv2, x, w, v2, u2, &t.g, F);
  double err = 0;
  for (int q = 0; q < n * F; q++) err = fmax(err, fabs(ys2[q] - ys[q]));
  for (int a = 0; a < n; a++)
    for (int q = 0; q < F; q++)
      for (int r = 0; r < 3; r++) {
        double want = 0;
        for (int k = 0; k < 3; k++) want += rot[r][k] * yv[(3 * a + k) * F + q];
        err = fmax(err, fabs(yv2[(3 * a + r) * F + q] - want));
      }
  CHECK(err < 1e-12);
  free(x), free(w), free(v), free(u), free(v2), free(u2), free(ys), free(yv), free(ys2), free(yv2);
  fd_graph_free(&t);
}

#ifdef _OPENMP
/* The inputs of ops_run: x, w, v, d, gys, gyv (see test_threads_bitwise). */
typedef struct vop_inputs {
  const nn_graph *g;
  tn_real *const *in;
  int f;
} vop_inputs;

/* Every output of the ops on a big graph, concatenated into out; returns
 * how many. */
static size_t ops_run(tn_real *out, const void *ctx) {
  const vop_inputs *I = ctx;
  const nn_graph *g = I->g;
  tn_real *const *in = I->in;
  int f = I->f;
  int n = g->n_atoms, e = (int)g->n_edges;
  size_t at = 0, nf = (size_t)n * f, n3 = 3 * nf, e3 = 3 * (size_t)e * f;
  const tn_real *x = in[0], *w = in[1], *v = in[2], *d = in[3], *gys = in[4], *gyv = in[5];
  tn_real *u = out + at;
  nn_unit_forward(u, d, e);
  nn_unit_tangent(u, d, e);
  at += 6 * (size_t)e;
  nn_unit_backward(out + at, gyv, d, e, 1);
  at += 6 * (size_t)e;
  nn_vconv_forward(out + at, out + at + 2 * nf, x, w, v, u, g, f);
  nn_vconv_tangent(out + at, out + at + 2 * nf, x, w, v, u, g, f);
  at += 2 * nf + 2 * n3;
  nn_vconv_backward(out + at, out + at + 2 * n3, out + at + 2 * n3 + 2 * e3,
                    out + at + 4 * n3 + 2 * e3, gys, gyv, x, w, v, u, g, f, 1);
  at += 4 * n3 + 2 * e3 + 6 * (size_t)e;
  nn_vnorm_forward(out + at, v, n, f, 1e-8);
  nn_vnorm_tangent(out + at, v, n, f);
  nn_vnorm_backward(out + at + 2 * nf, gys, v, out + at, n, f, 1);
  at += 2 * nf + 2 * n3;
  nn_vmix_forward(out + at, out + at + 2 * nf, x, v, v + 1, n, f);
  nn_vmix_tangent(out + at, out + at + 2 * nf, x, v, v + 1, n, f);
  at += 2 * nf + 2 * n3;
  nn_vmix_backward(out + at, out + at + 2 * n3, out + at + 4 * n3, gys, gyv, x, v, v + 1, n, f, 1);
  at += 6 * n3;
  return at;
}
#endif

static void test_threads_bitwise(void) {
#ifndef _OPENMP
  SKIP("built without OpenMP");
#else
  tn_rng rng;
  tn_rng_seed(&rng, 7);
  fd_graph t;
  fd_graph_make(&t, 200, 0.05, 10, &rng);
  CHECK(fd_graph_valid(&t.g));
  enum { F = 16 };
  size_t n3 = (size_t)t.g.n_atoms * 3 * F, e3 = (size_t)t.g.n_edges * 3 * F;
  size_t lens[6] = {2 * n3 + 1, 2 * e3, 2 * n3 + 1, 6 * (size_t)t.g.n_edges, 2 * n3, 2 * n3};
  tn_real *in[6];
  for (int i = 0; i < 6; i++) {
    in[i] = fd_alloc(lens[i]);
    fd_fill_normal(in[i], lens[i], 1, &rng);
  }
  for (int64_t k = 0; k < t.g.n_edges; k++) in[3][3 * k] += 3; /* |d| > 0 */
  size_t total = 40 * n3 + 10 * e3 + 40 * (size_t)t.g.n_edges;
  CHECK((int64_t)t.g.n_edges * 3 * F >= 4096); /* the parallel path runs */
  vop_inputs ops = {&t.g, in, F};
  fd_check_threads_bitwise(ops_run, &ops, total);
  for (int i = 0; i < 6; i++) free(in[i]);
  fd_graph_free(&t);
#endif
}

int main(void) {
  RUN(test_precision);
  RUN(test_fd_unit);
  RUN(test_fd_vnorm);
  RUN(test_fd_concat);
  RUN(test_fd_vconv);
  RUN(test_fd_vmix);
  RUN(test_vconv_equivariance);
  RUN(test_threads_bitwise);
  return harness_finish();
}
