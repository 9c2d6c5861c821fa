/* Neural-network ops: dense layers, activations, radial bases, cutoffs and
 * edge gather/scatter, each with a forward, a tangent and a backward pass.
 *
 * Derivatives (DESIGN.md "Derivatives"). Every value carries, optionally, a
 * tangent: its directional derivative along one configuration-space direction
 * u. Force training needs the parameter gradient of D_u E, so a backward pass
 * may run through the primal and the tangent graph at once.
 *
 * Stacked layout. An activation array of `rows` rows and `width` columns
 * holds rows * width primal values; when a tangent is carried, the tangent
 * block of the same shape follows directly (offset rows * width). Gradient
 * arrays mirror their activations. So
 *   - X_forward(out, ..., in, ..., rows) fills the primal block of out;
 *   - X_tangent(out, ..., in, ..., rows) reads the primal and tangent blocks
 *     of in (and the primal block of out if it needs it) and fills the tangent
 *     block of out; the same stacked pointers are passed as to X_backward;
 *   - X_backward(g_in, ..., g_out, ..., rows, tangent) accumulates (+=) into
 *     g_in the adjoint of X_forward when tangent == 0, and when tangent == 1
 *     the adjoint of the pair (X_forward, X_tangent): both blocks of g_out are
 *     read and both blocks of g_in are written. Parameter gradients always
 *     accumulate into one block laid out like the parameters.
 * Argument order: outputs, caches, inputs, parameters, sizes. Inputs may not
 * alias outputs. No op allocates.
 *
 * Edges (k) run from a receiving atom i_k to a sending atom j_k, sorted by i
 * (tn_neighbors order): the edges of atom a are [first[a], first[a+1]). Every
 * edge has a reverse edge rev[k] (j_k -> i_k with the opposite shift), so a
 * sum over sending atoms is also a sum over the receiver's own edges, which
 * keeps every reduction owned by one atom: deterministic under OpenMP. */
#ifndef TN_NN_H
#define TN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "tanne.h"

#ifdef TN_DOUBLE
typedef double tn_real;
#else
typedef float tn_real;
#endif

/* ------------------------------------------------------------------ GEMM */

/* C[m][n] = alpha * op(A) op(B) + beta * C, row-major; op(A) is A[m][k], or
 * A[k][m] transposed when trans_a. The one GEMM entry point: BLAS (OpenBLAS)
 * for tn_real. */
void nn_gemm(int trans_a, int trans_b, int m, int n, int k, tn_real alpha, const tn_real *a,
             int lda, const tn_real *b, int ldb, tn_real beta, tn_real *c, int ldc);

/* ----------------------------------------------------------------- dense */

/* y = x W + b. W is [in][out] row-major at params[offset], followed by b
 * [out] when bias is set. */
typedef struct nn_dense {
  int in, out;
  int bias;
  size_t offset; /* into the model's parameter block */
} nn_dense;

/* Places the layer at *offset in a parameter block and advances *offset. */
nn_dense nn_dense_make(int in, int out, int bias, size_t *offset);
size_t nn_dense_param_count(const nn_dense *d);
/* Glorot-uniform weights, zero bias (the SchNet/PaiNN reference choice). */
void nn_dense_init(tn_real *params, const nn_dense *d, tn_rng *rng);

/* y[rows][out] = x[rows][in] W + b */
void nn_dense_forward(tn_real *y, const tn_real *x, const tn_real *params, const nn_dense *d,
                      int rows);
/* dy = dx W (the bias does not move) */
void nn_dense_tangent(tn_real *y, const tn_real *x, const tn_real *params, const nn_dense *d,
                      int rows);
/* gx += gy Wᵀ; gW += xᵀ gy; gb += Σ_rows gy (primal rows only). gx may be
 * NULL (input needs no gradient), grad may be NULL (parameters frozen). */
void nn_dense_backward(tn_real *gx, tn_real *grad, const tn_real *gy, const tn_real *x,
                       const tn_real *params, const nn_dense *d, int rows, int tangent);

/* ----------------------------------------------------------- activations */

typedef enum nn_act {
  NN_ACT_IDENTITY,
  NN_ACT_SSP,  /* shifted softplus ln(1 + e^x) - ln 2 (SchNet) */
  NN_ACT_SILU, /* x sigmoid(x) (PaiNN) */
  NN_ACT_TANH,
} nn_act;

const char *nn_act_name(nn_act f); /* "unknown" outside the enum, never NULL */
/* "ssp", "silu", "tanh", "identity"; -1 if unknown. */
int nn_act_from_name(const char *name);

/* y[n] = f(a[n]), elementwise; n = rows * width. In all three, outputs must not
 * overlap inputs (the loops are compiled as restrict). */
void nn_act_forward(tn_real *y, const tn_real *a, size_t n, nn_act f);
/* dy = f'(a) da */
void nn_act_tangent(tn_real *y, const tn_real *a, size_t n, nn_act f);
/* ga += f'(a) gy; with tangent also ga += f''(a) da gdy and gda += f'(a) gdy */
void nn_act_backward(tn_real *ga, const tn_real *gy, const tn_real *a, size_t n, nn_act f,
                     int tangent);

/* --------------------------------------------------- distances from edges */

/* r[k] = |d[k]|, d[k] the vector i_k -> j_k (Å). The tangent of d (rows
 * block, [rows][3]) is the direction's displacement u_j - u_i (plus a strain
 * term for stress). Every d[k] must be non-zero (edges never join an atom to
 * itself in the same image); r = 0 is not guarded. */
void nn_distance_forward(tn_real *r, const tn_real *d, int rows);
/* dr = d̂ · dd */
void nn_distance_tangent(tn_real *r, const tn_real *d, int rows);
/* gd += gr d̂; with tangent gd += gdr (dd - d̂ (d̂·dd)) / r, gdd += gdr d̂ */
void nn_distance_backward(tn_real *gd, const tn_real *gr, const tn_real *d, int rows, int tangent);

/* ---------------------------------------------------------- radial bases */

typedef enum nn_basis {
  NN_BASIS_GAUSSIAN, /* exp(-γ (r - μ_k)²), μ_k = k r_c/(K-1), γ = 1/(2Δ²), Δ = r_c/(K-1) (SchNet)
                      */
  NN_BASIS_SINC, /* sin(k π r / r_c) / r, k = 1..K (PaiNN, "Bessel") */
} nn_basis;

const char *nn_basis_name(nn_basis b);    /* "unknown" outside the enum, never NULL */
int nn_basis_from_name(const char *name); /* "gaussian", "sinc"; -1 if unknown */

/* e[rows][K] from r[rows] (Å) */
void nn_basis_forward(tn_real *e, const tn_real *r, int rows, int k, double cutoff, nn_basis b);
void nn_basis_tangent(tn_real *e, const tn_real *r, int rows, int k, double cutoff, nn_basis b);
void nn_basis_backward(tn_real *gr, const tn_real *ge, const tn_real *r, int rows, int k,
                       double cutoff, nn_basis b, int tangent);

/* ---------------------------------------------------------------- cutoff */

/* f(r) = (cos(π r / r_c) + 1) / 2 for r < r_c, else 0 (Behler 2011) */
void nn_cutoff_forward(tn_real *f, const tn_real *r, int rows, double cutoff);
void nn_cutoff_tangent(tn_real *f, const tn_real *r, int rows, double cutoff);
void nn_cutoff_backward(tn_real *gr, const tn_real *gf, const tn_real *r, int rows, double cutoff,
                        int tangent);

/* ------------------------------------------------------ elementwise/rows */

/* z[rows][w] = x[rows][w] * s[rows] (a per-row scale, e.g. a filter times
 * its cutoff) */
/* y [n] += x [n] (residual updates), and x [n] = 0 (gradient buffers). */
void nn_add(tn_real *y, const tn_real *x, size_t n);
void nn_zero(tn_real *x, size_t n);

void nn_scale_rows_forward(tn_real *z, const tn_real *x, const tn_real *s, int rows, int w);
void nn_scale_rows_tangent(tn_real *z, const tn_real *x, const tn_real *s, int rows, int w);
/* gx or gs may be NULL (that input needs no gradient). */
void nn_scale_rows_backward(tn_real *gx, tn_real *gs, const tn_real *gz, const tn_real *x,
                            const tn_real *s, int rows, int w, int tangent);

/* ------------------------------------------------------------- embedding */

/* x[n][w] = A[type[n]], A = [n_types][w] at params[offset]. No tangent
 * (types do not move); backward adds gx rows (primal block only) into gA. */
void nn_embed_forward(tn_real *x, const int32_t *type, const tn_real *params, size_t offset, int n,
                      int w);
void nn_embed_backward(tn_real *grad, const tn_real *gx, const int32_t *type, size_t offset, int n,
                       int w);

/* --------------------------------------------------------- edge graph ops */

/* Edges of a batch graph, sorted by receiver. i/j are atom indices into the
 * batch, first[n_atoms + 1] delimits each receiver's edges, rev[k] is the
 * reverse edge of k. */
typedef struct nn_graph {
  int n_atoms;
  int64_t n_edges;
  const int32_t *i, *j;
  const int64_t *first;
  const int64_t *rev;
} nn_graph;

/* e[k] = x[j_k] (rows of width w): the sender's features on each edge */
void nn_gather_forward(tn_real *e, const tn_real *x, const nn_graph *g, int w);
void nn_gather_tangent(tn_real *e, const tn_real *x, const nn_graph *g, int w);
/* gx[a] += Σ_{k: j_k = a} ge[k] = Σ_{k in edges of a} ge[rev[k]] */
void nn_gather_backward(tn_real *gx, const tn_real *ge, const nn_graph *g, int w, int tangent);

/* y[a] = Σ_{k in edges of a} m[k]: messages summed at the receiver */
void nn_scatter_forward(tn_real *y, const tn_real *m, const nn_graph *g, int w);
void nn_scatter_tangent(tn_real *y, const tn_real *m, const nn_graph *g, int w);
/* gm[k] += gy[i_k] */
void nn_scatter_backward(tn_real *gm, const tn_real *gy, const nn_graph *g, int w, int tangent);

/* Continuous-filter convolution (Schütt et al. 2018, eq. 4), gather,
 * product and scatter fused so no [edges][w] message array is stored:
 *   y[a] = Σ_{k in edges of a} x[j_k] ⊙ W[k]
 * x [n_atoms][w], W [n_edges][w] (filters), y [n_atoms][w]. */
void nn_cfconv_forward(tn_real *y, const tn_real *x, const tn_real *filt, const nn_graph *g, int w);
/* dy[a] = Σ dx[j_k] ⊙ W[k] + x[j_k] ⊙ dW[k] */
void nn_cfconv_tangent(tn_real *y, const tn_real *x, const tn_real *filt, const nn_graph *g, int w);
/* gx[b] += Σ_{k: j_k = b} gy[i_k] ⊙ W[k]; gW[k] += gy[i_k] ⊙ x[j_k]; with
 * tangent also the adjoints of the tangent line. gx or gfilt may be NULL. */
void nn_cfconv_backward(tn_real *gx, tn_real *gfilt, const tn_real *gy, const tn_real *x,
                        const tn_real *filt, const nn_graph *g, int w, int tangent);

/* ======================================================================
 * Vector (equivariant) features, for PaiNN (Schütt, Unke & Gastegger,
 * ICML 2021). Files: vector.c, vconv.c, concat.c.
 *
 * A vector feature array v [n][3][F] holds, per atom, three rows (x, y, z)
 * of F features; its tangent block follows after n*3*F values, as for any
 * array of 3n rows of width F (so nn_dense on 3n rows is a linear map on the
 * feature index, shared over x, y, z). Scalar features are [n][F]. Layer
 * outputs that PaiNN splits into three F-blocks are [n][3F], blocks in the
 * order given for each op. Conventions as above: stacked tangents, backward
 * passes accumulate, gradient pointers documented as optional may be NULL.
 * ====================================================================== */

/* u [rows][3] = d / |d|, d [rows][3] non-zero (the edge directions) */
void nn_unit_forward(tn_real *u, const tn_real *d, int rows);
/* du = (dd - u (u·dd)) / |d| */
void nn_unit_tangent(tn_real *u, const tn_real *d, int rows);
void nn_unit_backward(tn_real *gd, const tn_real *gu, const tn_real *d, int rows, int tangent);

/* n [rows][F] = sqrt(Σ_c v[rows][c][F]² + eps): the norm of each feature's
 * 3-vector; eps > 0 makes it differentiable at v = 0 (schnetpack: 1e-8). */
void nn_vnorm_forward(tn_real *n, const tn_real *v, int rows, int f, double eps);
void nn_vnorm_tangent(tn_real *n, const tn_real *v, int rows, int f);
/* needs the primal block of n from the forward pass */
void nn_vnorm_backward(tn_real *gv, const tn_real *gn, const tn_real *v, const tn_real *n, int rows,
                       int f, int tangent);

/* y [rows][wa + wb] = [a [rows][wa], b [rows][wb]] */
void nn_concat_forward(tn_real *y, const tn_real *a, const tn_real *b, int rows, int wa, int wb);
void nn_concat_tangent(tn_real *y, const tn_real *a, const tn_real *b, int rows, int wa, int wb);
/* ga or gb may be NULL */
void nn_concat_backward(tn_real *ga, tn_real *gb, const tn_real *gy, int rows, int wa, int wb,
                        int tangent);

/* PaiNN message (eq. 7-8), gather, product and scatter fused: with
 * m_k = x[j_k] ⊙ W[k] split into (m_vv, m_s, m_vs),
 *   ys[a]    = Σ_{k in edges of a} m_s
 *   yv[a][c] = Σ_{k in edges of a} m_vv ⊙ v[j_k][c] + m_vs u[k][c]
 * x [n_atoms][3F] (the context φ(s)), W [n_edges][3F] (filters), v
 * [n_atoms][3][F], u [n_edges][3] (unit edge vectors); ys [n_atoms][F], yv
 * [n_atoms][3][F] are overwritten. */
void nn_vconv_forward(tn_real *ys, tn_real *yv, const tn_real *x, const tn_real *filt,
                      const tn_real *v, const tn_real *u, const nn_graph *g, int f);
void nn_vconv_tangent(tn_real *ys, tn_real *yv, const tn_real *x, const tn_real *filt,
                      const tn_real *v, const tn_real *u, const nn_graph *g, int f);
/* gx, gfilt, gv, gu may each be NULL. */
void nn_vconv_backward(tn_real *gx, tn_real *gfilt, tn_real *gv, tn_real *gu, const tn_real *gys,
                       const tn_real *gyv, const tn_real *x, const tn_real *filt, const tn_real *v,
                       const tn_real *u, const nn_graph *g, int f, int tangent);

/* PaiNN update products (eq. 9-10): a [rows][3F] split (a_vv, a_sv, a_ss),
 * U, V [rows][3][F] (the two linear maps of v);
 *   yv[c] = a_vv ⊙ U[c]
 *   ys    = a_sv ⊙ Σ_c U[c] ⊙ V[c] + a_ss
 * ys [rows][F], yv [rows][3][F] are overwritten. */
void nn_vmix_forward(tn_real *ys, tn_real *yv, const tn_real *a, const tn_real *uv,
                     const tn_real *vv, int rows, int f);
void nn_vmix_tangent(tn_real *ys, tn_real *yv, const tn_real *a, const tn_real *uv,
                     const tn_real *vv, int rows, int f);
/* ga, guv, gvv may each be NULL. */
void nn_vmix_backward(tn_real *ga, tn_real *guv, tn_real *gvv, const tn_real *gys,
                      const tn_real *gyv, const tn_real *a, const tn_real *uv, const tn_real *vv,
                      int rows, int f, int tangent);

#endif
