/* The op-level finite-difference checks of fd_checks.h. */
#include "fd_checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/core/core.h"

tn_real *fd_alloc(size_t n) {
  tn_real *p = calloc(n ? n : 1, sizeof *p);
  if (!p) abort(); /* test code: out of memory is fatal */
  return p;
}

void fd_fill_normal(tn_real *v, size_t n, double scale, tn_rng *rng) {
  for (size_t q = 0; q < n; q++) v[q] = scale * tn_rng_normal(rng);
}

static double fd_dot(const tn_real *a, const tn_real *b, size_t n) {
  double s = 0;
  for (size_t q = 0; q < n; q++) s += a[q] * b[q];
  return s;
}

/* |an - fd|₂ <= FD_TOL |fd|₂; an all-zero fd needs an all-zero an. */
static void fd_check_rel(const fd_op *op, const char *what, const tn_real *an, const tn_real *fd,
                         size_t n) {
  double diff = 0, norm = 0;
  for (size_t q = 0; q < n; q++) {
    diff += (an[q] - fd[q]) * (an[q] - fd[q]);
    norm += fd[q] * fd[q];
  }
  diff = sqrt(diff), norm = sqrt(norm);
  int ok = norm > 0 ? diff <= FD_TOL * norm : diff == 0;
  if (!ok)
    fprintf(stderr, "  %s, %s: |analytic - fd| = %.3g, |fd| = %.3g (h = %g)\n", op->name, what,
            diff, norm, FD_STEP);
  CHECK(ok);
}

/* The forms a_o, b_o of L and the scratch outputs y_o it is evaluated in. */
typedef struct fd_forms {
  tn_real *y[FD_MAX_OUT], *a[FD_MAX_OUT], *b[FD_MAX_OUT];
} fd_forms;

/* L = Σ_o <a_o, y_o> (+ <b_o, dy_o> when with_b) at the current x and p. */
static double fd_loss(const fd_op *op, tn_real *const x[], const tn_real *p, const fd_forms *F,
                      int with_b) {
  op->forward(op, F->y, x, p);
  if (with_b) op->tangent(op, F->y, x, p);
  double loss = 0;
  for (int o = 0; o < op->n_out; o++) {
    loss += fd_dot(F->a[o], F->y[o], op->out_len[o]);
    if (with_b) loss += fd_dot(F->b[o], F->y[o] + op->out_len[o], op->out_len[o]);
  }
  return loss;
}

/* fd[q] = ∂L/∂v[q] by central differences, v[n] one of the arrays in x or p. */
static void fd_grad(tn_real *fd, tn_real *v, size_t n, const fd_op *op, tn_real *const x[],
                    const tn_real *p, const fd_forms *F, int with_b) {
  for (size_t q = 0; q < n; q++) {
    tn_real keep = v[q];
    v[q] = keep + FD_STEP;
    double up = fd_loss(op, x, p, F, with_b);
    v[q] = keep - FD_STEP;
    double down = fd_loss(op, x, p, F, with_b);
    v[q] = keep;
    fd[q] = (up - down) / (2 * FD_STEP);
  }
}

/* 1. The tangent outputs at x against central differences of the forward
 * pass along the tangent blocks of x. ys[o]: [2 out_len[o]] scratch. */
static void fd_check_tangent(const fd_op *op, tn_real *const x[], const tn_real *p,
                             const fd_forms *F, tn_real *const ys[], tn_real *fd) {
  char what[96];
  op->forward(op, F->y, x, p);
  op->tangent(op, F->y, x, p);
  tn_real *save[FD_MAX_IN] = {0};
  for (int i = 0; i < op->n_in; i++) {
    save[i] = fd_alloc(op->in_len[i]);
    memcpy(save[i], x[i], op->in_len[i] * sizeof *x[i]);
  }
  for (int sign = 1; sign >= -1; sign -= 2) {
    for (int i = 0; i < op->n_in; i++)
      for (size_t q = 0; q < op->in_len[i]; q++)
        x[i][q] = save[i][q] + sign * FD_STEP * x[i][op->in_len[i] + q];
    tn_real *dst[FD_MAX_OUT];
    for (int o = 0; o < op->n_out; o++) dst[o] = ys[o] + (sign > 0 ? 0 : op->out_len[o]);
    op->forward(op, dst, x, p);
  }
  for (int i = 0; i < op->n_in; i++) {
    memcpy(x[i], save[i], op->in_len[i] * sizeof *x[i]);
    free(save[i]);
  }
  for (int o = 0; o < op->n_out; o++) {
    size_t n = op->out_len[o];
    for (size_t q = 0; q < n; q++) fd[q] = (ys[o][q] - ys[o][n + q]) / (2 * FD_STEP);
    if (op->n_out > 1)
      snprintf(what, sizeof what, "tangent, output %d", o);
    else
      snprintf(what, sizeof what, "tangent");
    fd_check_rel(op, what, F->y[o] + n, fd, n);
  }
}

void fd_check_op(const fd_op *op, tn_real *const x[], tn_real *p, tn_rng *rng) {
  TN_ASSERT(op->n_in <= FD_MAX_IN && op->n_out >= 1 && op->n_out <= FD_MAX_OUT);
  size_t n_p = op->n_param, big = n_p > 1 ? n_p : 1;
  for (int i = 0; i < op->n_in; i++) big = op->in_len[i] > big ? op->in_len[i] : big;
  for (int o = 0; o < op->n_out; o++) big = op->out_len[o] > big ? op->out_len[o] : big;
  fd_forms F;
  tn_real *ys[FD_MAX_OUT] = {0}, *gy[FD_MAX_OUT] = {0}, *gx[FD_MAX_IN] = {0}, *gx0[FD_MAX_IN] = {0};
  for (int o = 0; o < op->n_out; o++) {
    size_t n = op->out_len[o];
    F.y[o] = fd_alloc(2 * n), F.a[o] = fd_alloc(n), F.b[o] = fd_alloc(n);
    ys[o] = fd_alloc(2 * n), gy[o] = fd_alloc(2 * n);
  }
  for (int i = 0; i < op->n_in; i++)
    gx[i] = fd_alloc(2 * op->in_len[i]), gx0[i] = fd_alloc(2 * op->in_len[i]);
  tn_real *fd = fd_alloc(big), *an = fd_alloc(big), *gp = fd_alloc(n_p), *gp0 = fd_alloc(n_p);
  char what[96];

  if (op->has_tangent) fd_check_tangent(op, x, p, &F, ys, fd);

  /* 2. backward, tangent = 0 */
  for (int o = 0; o < op->n_out; o++) {
    size_t n = op->out_len[o];
    fd_fill_normal(F.a[o], n, 1, rng);
    memcpy(gy[o], F.a[o], n * sizeof *gy[o]);
    for (size_t q = 0; q < n; q++) gy[o][n + q] = NAN; /* must not be read */
  }
  for (int i = 0; i < op->n_in; i++) {
    size_t n = op->in_len[i];
    fd_fill_normal(gx[i], n, 1, rng);
    for (size_t q = 0; q < n; q++) gx[i][n + q] = 12345.0;
    memcpy(gx0[i], gx[i], 2 * n * sizeof *gx[i]);
  }
  fd_fill_normal(gp, n_p, 1, rng);
  memcpy(gp0, gp, n_p * sizeof *gp);
  op->forward(op, F.y, x, p);
  op->backward(op, gx, gp, gy, x, p, F.y, 0);
  for (int i = 0; i < op->n_in; i++) {
    size_t n = op->in_len[i];
    for (size_t q = 0; q < n; q++) an[q] = gx[i][q] - gx0[i][q];
    fd_grad(fd, x[i], n, op, x, p, &F, 0);
    snprintf(what, sizeof what, "backward (tangent 0), input %d", i);
    fd_check_rel(op, what, an, fd, n);
    int untouched = 1;
    for (size_t q = 0; q < n; q++) untouched &= gx[i][n + q] == 12345.0;
    CHECK(untouched);
  }
  if (n_p) {
    for (size_t q = 0; q < n_p; q++) an[q] = gp[q] - gp0[q];
    fd_grad(fd, p, n_p, op, x, p, &F, 0);
    fd_check_rel(op, "backward (tangent 0), parameters", an, fd, n_p);
  }

  /* 3. backward, tangent = 1: L = Σ_o <a_o, y_o> + <b_o, dy_o> */
  if (op->has_tangent) {
    for (int o = 0; o < op->n_out; o++) {
      fd_fill_normal(F.b[o], op->out_len[o], 1, rng);
      memcpy(gy[o] + op->out_len[o], F.b[o], op->out_len[o] * sizeof *gy[o]);
    }
    for (int i = 0; i < op->n_in; i++) {
      fd_fill_normal(gx[i], 2 * op->in_len[i], 1, rng);
      memcpy(gx0[i], gx[i], 2 * op->in_len[i] * sizeof *gx[i]);
    }
    fd_fill_normal(gp, n_p, 1, rng);
    memcpy(gp0, gp, n_p * sizeof *gp);
    op->forward(op, F.y, x, p);
    op->tangent(op, F.y, x, p);
    op->backward(op, gx, gp, gy, x, p, F.y, 1);
    for (int i = 0; i < op->n_in; i++) {
      size_t n = op->in_len[i];
      for (int blk = 0; blk < 2; blk++) {
        for (size_t q = 0; q < n; q++) an[q] = gx[i][blk * n + q] - gx0[i][blk * n + q];
        fd_grad(fd, x[i] + blk * n, n, op, x, p, &F, 1);
        snprintf(what, sizeof what, "backward (tangent 1), input %d, %s", i,
                 blk ? "tangent" : "primal");
        fd_check_rel(op, what, an, fd, n);
      }
    }
    if (n_p) {
      for (size_t q = 0; q < n_p; q++) an[q] = gp[q] - gp0[q];
      fd_grad(fd, p, n_p, op, x, p, &F, 1);
      fd_check_rel(op, "backward (tangent 1), parameters", an, fd, n_p);
    }
  }

  for (int o = 0; o < op->n_out; o++) {
    free(F.y[o]), free(F.a[o]), free(F.b[o]);
    free(ys[o]), free(gy[o]);
  }
  for (int i = 0; i < op->n_in; i++) free(gx[i]), free(gx0[i]);
  free(fd), free(an), free(gp), free(gp0);
}

#ifdef _OPENMP
void fd_check_threads_bitwise(size_t (*run)(tn_real *out, const void *ctx), const void *ctx,
                              size_t total) {
  tn_real *one = fd_alloc(total), *other = fd_alloc(total);
  int before = omp_get_max_threads();
  omp_set_num_threads(1);
  size_t used = run(one, ctx);
  CHECK(used <= total);
  if (used > total) used = total;
  for (int threads = 2; threads <= 3; threads++) {
    omp_set_num_threads(threads);
    memset(other, 0, total * sizeof *other);
    run(other, ctx);
    CHECK(memcmp(one, other, used * sizeof *one) == 0);
  }
  omp_set_num_threads(before);
  free(one);
  free(other);
}
#endif

/* ---- graphs */

void fd_graph_make(fd_graph *t, int n_atoms, double p_pair, int self, tn_rng *rng) {
  int64_t cap = 2 * ((int64_t)n_atoms * n_atoms + self) + 2, n_bonds = 0;
  int32_t(*bond)[2] = malloc((size_t)cap * sizeof *bond);
  if (!bond) abort();
  for (int a = 0; a < n_atoms; a++)
    for (int b = a + 1; b < n_atoms; b++) {
      if (tn_rng_uniform(rng) >= p_pair) continue;
      int copies = tn_rng_uniform(rng) < 0.2 ? 2 : 1;
      for (int c = 0; c < copies; c++) bond[n_bonds][0] = a, bond[n_bonds++][1] = b;
    }
  for (int s = 0; s < self; s++) {
    int a = (int)(tn_rng_uniform(rng) * n_atoms);
    bond[n_bonds][0] = a, bond[n_bonds++][1] = a;
  }
  int64_t n_edges = 2 * n_bonds;
  /* + 8: malloc(0) may return NULL, which would read as out of memory */
  t->i = malloc((size_t)n_edges * sizeof *t->i + 8);
  t->j = malloc((size_t)n_edges * sizeof *t->j + 8);
  t->rev = malloc((size_t)n_edges * sizeof *t->rev + 8);
  t->first = calloc((size_t)n_atoms + 1, sizeof *t->first);
  int64_t *slot = malloc((size_t)n_edges * sizeof *slot + 8);
  int64_t *used = calloc((size_t)n_atoms + 1, sizeof *used);
  if (!t->i || !t->j || !t->rev || !t->first || !slot || !used) abort();
  /* Directed edge q = 2 bond + dir runs from bond[dir] to bond[1 - dir]:
   * count each receiver's edges, prefix-sum, then place them in order. */
  for (int64_t q = 0; q < n_edges; q++) t->first[bond[q / 2][q % 2] + 1]++;
  for (int a = 0; a < n_atoms; a++) t->first[a + 1] += t->first[a];
  for (int64_t q = 0; q < n_edges; q++) {
    int32_t from = bond[q / 2][q % 2];
    slot[q] = t->first[from] + used[from]++;
    t->i[slot[q]] = from;
    t->j[slot[q]] = bond[q / 2][1 - q % 2];
  }
  for (int64_t q = 0; q < n_edges; q++) t->rev[slot[q]] = slot[q ^ 1];
  t->g = (nn_graph){n_atoms, n_edges, t->i, t->j, t->first, t->rev};
  free(slot);
  free(used);
  free(bond);
}

void fd_graph_free(fd_graph *t) {
  free(t->i);
  free(t->j);
  free(t->first);
  free(t->rev);
}

int fd_graph_valid(const nn_graph *g) {
  int ok = g->first[0] == 0 && g->first[g->n_atoms] == g->n_edges;
  for (int a = 0; a < g->n_atoms; a++)
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) ok &= g->i[k] == a;
  for (int64_t k = 0; k < g->n_edges; k++) {
    int64_t r = g->rev[k];
    ok &= r >= 0 && r < g->n_edges && g->rev[r] == k && g->i[r] == g->j[k] && g->j[r] == g->i[k];
  }
  return ok;
}
