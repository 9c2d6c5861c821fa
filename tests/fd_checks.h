/* Finite-difference checks of the nn ops, shared by test_nn.c (dense layers,
 * activations, radial and edge ops) and test_nn_vector.c (PaiNN's vector
 * ops), with the random graphs their edge ops run on. float64 builds only.
 *
 * fd_check_op proves, for one op with inputs x (each with a tangent block)
 * and parameters p, that:
 *  1. tangent: dy equals (y(x + h dx) - y(x - h dx)) / 2h;
 *  2. backward, tangent = 0: the increments of the input and parameter
 *     gradients equal the gradient of L = Σ_o <a_o, y_o> by central
 *     differences; the tangent block of gy holds NaN (a pass that reads it
 *     fails) and the tangent blocks of the input gradients must come back
 *     untouched;
 *  3. backward, tangent = 1: the same for L = Σ_o <a_o, y_o> + <b_o, dy_o>,
 *     with respect to the primal and the tangent block of every input and
 *     the parameters.
 * a_o and b_o are fixed random linear forms. Gradient buffers start from
 * random values and the increment is compared, so a pass that assigns
 * instead of accumulating fails.
 *
 * Tolerance: step h = 1e-5 on inputs of order one gives a truncation error
 * ~h² |f'''| ~ 1e-10 and a rounding error ~1e-16 |L| / h ~ 1e-10, far below
 * it: the 2-norm of (analytic - finite difference) over one input must be at
 * most 1e-6 times the 2-norm of the finite difference (an all-zero finite
 * difference needs an all-zero analytic value). */
#ifndef TN_FD_CHECKS_H
#define TN_FD_CHECKS_H

#include "../src/nn/nn.h"
#include "harness.h"

#define FD_STEP    1e-5
#define FD_TOL     1e-6
#define FD_MAX_IN  4
#define FD_MAX_OUT 2

/* n zeroed reals (at least one); aborts when out of memory (test code). */
tn_real *fd_alloc(size_t n);
/* v[q] = scale · N(0, 1) draws, in order. */
void fd_fill_normal(tn_real *v, size_t n, double scale, tn_rng *rng);

/* ---- the op under test */

typedef struct fd_op fd_op;

/* Inputs x[i] hold in_len[i] primal values then as many tangent values;
 * outputs y[o] hold out_len[o] primal then tangent values; p[n_param]
 * parameters carry no tangent. forward writes the primal blocks of y,
 * tangent the tangent blocks (after forward at the same x), backward
 * accumulates into gx (both blocks when tangent, else the primal ones) and
 * gp[n_param], with y holding the forward (and tangent) outputs at x. ctx is
 * the test's own description of the op. */
struct fd_op {
  const char *name;
  int n_in, n_out;
  size_t in_len[FD_MAX_IN], out_len[FD_MAX_OUT];
  size_t n_param;
  int has_tangent; /* 0: checks 1 and 3 are skipped */
  void (*forward)(const fd_op *op, tn_real *const y[], tn_real *const x[], const tn_real *p);
  void (*tangent)(const fd_op *op, tn_real *const y[], tn_real *const x[], const tn_real *p);
  void (*backward)(const fd_op *op, tn_real *const gx[], tn_real *gp, tn_real *const gy[],
                   tn_real *const x[], const tn_real *p, tn_real *const y[], int tangent);
  const void *ctx;
};

/* The three checks of the header comment. x and p are perturbed and
 * restored; rng draws the linear forms and the starting gradients. */
void fd_check_op(const fd_op *op, tn_real *const x[], tn_real *p, tn_rng *rng);

#ifdef _OPENMP
/* Calls run(out, ctx) with 1 OpenMP thread, then with 2 and with 3, each
 * time on out[total] zeroed, and checks that the values it wrote (it returns
 * how many, at most total) are bitwise the same: static schedules and
 * reductions in a fixed order make the ops independent of the thread count.
 * The thread count is restored. */
void fd_check_threads_bitwise(size_t (*run)(tn_real *out, const void *ctx), const void *ctx,
                              size_t total);
#endif

/* ---- graphs for the edge ops */

typedef struct fd_graph {
  nn_graph g; /* views of the arrays below */
  int32_t *i, *j;
  int64_t *first, *rev;
} fd_graph;

/* Directed edges from undirected bonds: each pair a < b of n_atoms is kept
 * with probability p_pair, as two bonds (two periodic images of the pair)
 * one time in five; then `self` bonds of a random atom with its own image.
 * Bond (a, b) gives edges a -> b and b -> a, each the other's reverse, and
 * edges are ordered by receiver, stably, as tn_neighbors lists them. */
void fd_graph_make(fd_graph *t, int n_atoms, double p_pair, int self, tn_rng *rng);
void fd_graph_free(fd_graph *t);
/* 1 when g has the invariants nn.h asks of a graph: first[] brackets each
 * atom's edges, i matches, rev is an involution that swaps i and j. */
int fd_graph_valid(const nn_graph *g);

#endif
