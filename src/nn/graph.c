/* Edge ops over a batch graph: gather sender features onto edges, scatter
 * edge messages onto receivers, and the fused continuous-filter convolution.
 *
 * Every loop is parallel over the atoms or edges that own its outputs, and
 * each owner sums its terms in edge order: there are no atomics and no
 * reductions across threads, so the result does not depend on the thread
 * count. Sums over senders (the adjoint of a gather) become sums over the
 * owner's own edges through rev[] (nn.h): the edges k with j_k = a are
 * exactly rev[k'] for k' in the edges of a. */
#include "nn_internal.h"

/* Parallel regions only where there is enough work to split (NN_OMP_MIN). */
static int graph_big(const nn_graph *g, int w) {
  return (g->n_edges + g->n_atoms) * (int64_t)w >= NN_OMP_MIN;
}

/* ---------------------------------------------------------------- gather */

static void gather_block(tn_real *e, const tn_real *x, const nn_graph *g, int w) {
  int64_t n_edges = g->n_edges;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int64_t k = 0; k < n_edges; k++) {
    const tn_real *src = x + (size_t)g->j[k] * w;
    tn_real *dst = e + (size_t)k * w;
    for (int c = 0; c < w; c++) dst[c] = src[c];
  }
}

/* e [n_edges][w] = x [n_atoms][w] at j_k */
void nn_gather_forward(tn_real *e, const tn_real *x, const nn_graph *g, int w) {
  gather_block(e, x, g, w);
}

/* de[k] = dx[j_k]: the same gather on the tangent blocks */
void nn_gather_tangent(tn_real *e, const tn_real *x, const nn_graph *g, int w) {
  gather_block(e + (size_t)g->n_edges * w, x + (size_t)g->n_atoms * w, g, w);
}

/* gx[a] += Σ_{k in edges of a} ge[rev[k]] */
static void gather_adjoint_block(tn_real *gx, const tn_real *ge, const nn_graph *g, int w) {
  int n_atoms = g->n_atoms;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *dst = gx + (size_t)a * w;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      const tn_real *src = ge + (size_t)g->rev[k] * w;
      for (int c = 0; c < w; c++) dst[c] += src[c];
    }
  }
}

/* Adjoint of   e[k] = x[j_k]   (and de[k] = dx[j_k], the same map on the
 * tangent blocks): gx[a] += Σ_{k: j_k = a} ge[k]. */
void nn_gather_backward(tn_real *gx, const tn_real *ge, const nn_graph *g, int w, int tangent) {
  gather_adjoint_block(gx, ge, g, w);
  if (tangent) gather_adjoint_block(gx + (size_t)g->n_atoms * w, ge + (size_t)g->n_edges * w, g, w);
}

/* --------------------------------------------------------------- scatter */

static void scatter_block(tn_real *y, const tn_real *m, const nn_graph *g, int w) {
  int n_atoms = g->n_atoms;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *dst = y + (size_t)a * w;
    for (int c = 0; c < w; c++) dst[c] = 0;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      const tn_real *src = m + (size_t)k * w;
      for (int c = 0; c < w; c++) dst[c] += src[c];
    }
  }
}

/* y [n_atoms][w] = Σ_{k in edges of a} m [n_edges][w] */
void nn_scatter_forward(tn_real *y, const tn_real *m, const nn_graph *g, int w) {
  scatter_block(y, m, g, w);
}

/* dy[a] = Σ_{k in edges of a} dm[k] */
void nn_scatter_tangent(tn_real *y, const tn_real *m, const nn_graph *g, int w) {
  scatter_block(y + (size_t)g->n_atoms * w, m + (size_t)g->n_edges * w, g, w);
}

/* gm[k] += gy[i_k], with the receiver a = i_k known from the loop */
static void scatter_adjoint_block(tn_real *gm, const tn_real *gy, const nn_graph *g, int w) {
  int n_atoms = g->n_atoms;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int a = 0; a < n_atoms; a++) {
    const tn_real *src = gy + (size_t)a * w;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      tn_real *dst = gm + (size_t)k * w;
      for (int c = 0; c < w; c++) dst[c] += src[c];
    }
  }
}

/* Adjoint of   y[a] = Σ_{k in edges of a} m[k]   (and the same sum on the
 * tangent blocks): gm[k] += gy[i_k]. */
void nn_scatter_backward(tn_real *gm, const tn_real *gy, const nn_graph *g, int w, int tangent) {
  scatter_adjoint_block(gm, gy, g, w);
  if (tangent)
    scatter_adjoint_block(gm + (size_t)g->n_edges * w, gy + (size_t)g->n_atoms * w, g, w);
}

/* ---------------------------------------------------------------- cfconv */

/* y[a] = Σ_{k in edges of a} x[j_k] ⊙ W[k], y [n_atoms][w], x [n_atoms][w],
 * W [n_edges][w] */
void nn_cfconv_forward(tn_real *y, const tn_real *x, const tn_real *filt, const nn_graph *g,
                       int w) {
  int n_atoms = g->n_atoms;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *dst = y + (size_t)a * w;
    for (int c = 0; c < w; c++) dst[c] = 0;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      const tn_real *xs = x + (size_t)g->j[k] * w, *wk = filt + (size_t)k * w;
      for (int c = 0; c < w; c++) dst[c] += xs[c] * wk[c];
    }
  }
}

/* dy[a] = Σ_{k in edges of a} dx[j_k] ⊙ W[k] + x[j_k] ⊙ dW[k] */
void nn_cfconv_tangent(tn_real *y, const tn_real *x, const tn_real *filt, const nn_graph *g,
                       int w) {
  int n_atoms = g->n_atoms;
  const tn_real *dx = x + (size_t)n_atoms * w, *dfilt = filt + (size_t)g->n_edges * w;
  tn_real *dy = y + (size_t)n_atoms * w;
#pragma omp parallel for schedule(static) if (graph_big(g, w))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *dst = dy + (size_t)a * w;
    for (int c = 0; c < w; c++) dst[c] = 0;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      size_t s = (size_t)g->j[k] * w, e = (size_t)k * w;
      for (int c = 0; c < w; c++) dst[c] += dx[s + c] * filt[e + c] + x[s + c] * dfilt[e + c];
    }
  }
}

/* Adjoint of
 *   y[a] = Σ_{k in edges of a} x[j_k] ⊙ W[k]
 *   dy[a] = Σ_{k in edges of a} dx[j_k] ⊙ W[k] + x[j_k] ⊙ dW[k]   (tangent)
 * For the inputs x, dx (a sum over senders, turned into a sum over b's own
 * edges k', with k = rev[k'] and i_k = j_k'):
 *   gx[b] += Σ_{k: j_k = b} gy[i_k] ⊙ W[k] + gdy[i_k] ⊙ dW[k]
 *   gdx[b] += Σ_{k: j_k = b} gdy[i_k] ⊙ W[k]
 * For the filters (each edge owns its row):
 *   gW[k] += gy[i_k] ⊙ x[j_k] + gdy[i_k] ⊙ dx[j_k]
 *   gdW[k] += gdy[i_k] ⊙ x[j_k] */
void nn_cfconv_backward(tn_real *gx, tn_real *gfilt, const tn_real *gy, const tn_real *x,
                        const tn_real *filt, const nn_graph *g, int w, int tangent) {
  int n_atoms = g->n_atoms;
  size_t atoms_block = (size_t)n_atoms * w, edges_block = (size_t)g->n_edges * w;
  const tn_real *gdy = gy + atoms_block, *dx = x + atoms_block, *dfilt = filt + edges_block;
  if (gx) {
#pragma omp parallel for schedule(static) if (graph_big(g, w))
    for (int b = 0; b < n_atoms; b++) {
      tn_real *dst = gx + (size_t)b * w;
      for (int64_t kk = g->first[b]; kk < g->first[b + 1]; kk++) {
        int64_t k = g->rev[kk];
        size_t r = (size_t)g->j[kk] * w, e = (size_t)k * w; /* r: the row of i_k */
        for (int c = 0; c < w; c++) dst[c] += gy[r + c] * filt[e + c];
        if (!tangent) continue;
        tn_real *dst_t = dst + atoms_block;
        for (int c = 0; c < w; c++) {
          dst[c] += gdy[r + c] * dfilt[e + c];
          dst_t[c] += gdy[r + c] * filt[e + c];
        }
      }
    }
  }
  if (gfilt) {
#pragma omp parallel for schedule(static) if (graph_big(g, w))
    for (int a = 0; a < n_atoms; a++) {
      size_t r = (size_t)a * w; /* the row of i_k = a */
      for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
        size_t s = (size_t)g->j[k] * w, e = (size_t)k * w;
        tn_real *dst = gfilt + e;
        for (int c = 0; c < w; c++) dst[c] += gy[r + c] * x[s + c];
        if (!tangent) continue;
        tn_real *dst_t = gfilt + edges_block + e;
        for (int c = 0; c < w; c++) {
          dst[c] += gdy[r + c] * dx[s + c];
          dst_t[c] += gdy[r + c] * x[s + c];
        }
      }
    }
  }
}
