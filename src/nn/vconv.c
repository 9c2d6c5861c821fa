/* PaiNN's message (Schütt, Unke & Gastegger, ICML 2021, eq. 7-8) as one
 * fused op: gather from senders, filter product, and scatter of scalar and
 * vector messages at the receiver, so no [edges][3][F] message array is
 * stored.
 *
 * Layouts (nn.h): x and W are [rows][3F] with blocks (vv, s, vs); vector
 * features [n][3][F]. Every output element is owned by one loop iteration
 * (an atom or an edge) and sums its terms in edge order, so results do not
 * depend on the thread count; sums over senders go over the owner's own
 * edges through rev[] (as in graph.c). */
#include "nn_internal.h"

/* --------------------------------------------------------------- message */

/* Parallel regions only where there is enough work to split. */
static int vconv_big(const nn_graph *g, int f) {
  return (g->n_edges + g->n_atoms) * (int64_t)(3 * f) >= NN_OMP_MIN;
}

/* ys [n][f], yv [n][3][f] from x [n][3f], W [E][3f], v [n][3][f], u [E][3];
 * m_k = x[j_k] ⊙ W[k] = (m_vv, m_s, m_vs):
 *   ys[a] = Σ_k m_s;   yv[a][c] = Σ_k m_vv ⊙ v[j_k][c] + m_vs u[k][c] */
void nn_vconv_forward(tn_real *ys, tn_real *yv, const tn_real *x, const tn_real *filt,
                      const tn_real *v, const tn_real *u, const nn_graph *g, int f) {
  int n_atoms = g->n_atoms;
  size_t w3 = 3 * (size_t)f;
#pragma omp parallel for schedule(static) if (vconv_big(g, f))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *s = ys + (size_t)a * f, *y = yv + (size_t)a * w3;
    for (int q = 0; q < f; q++) s[q] = 0;
    for (size_t q = 0; q < w3; q++) y[q] = 0;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      size_t j = (size_t)g->j[k] * w3, e = (size_t)k * w3;
      const tn_real *uk = u + 3 * (size_t)k;
      for (int q = 0; q < f; q++) {
        tn_real mvv = x[j + q] * filt[e + q], ms = x[j + f + q] * filt[e + f + q];
        tn_real mvs = x[j + 2 * f + q] * filt[e + 2 * f + q];
        s[q] += ms;
        for (int c = 0; c < 3; c++) y[c * f + q] += mvv * v[j + c * f + q] + mvs * uk[c];
      }
    }
  }
}

/* dm = dx[j] ⊙ W + x[j] ⊙ dW;
 * dys[a] = Σ_k dm_s;
 * dyv[a][c] = Σ_k dm_vv ⊙ v[j][c] + m_vv ⊙ dv[j][c] + dm_vs u_c + m_vs du_c */
void nn_vconv_tangent(tn_real *ys, tn_real *yv, const tn_real *x, const tn_real *filt,
                      const tn_real *v, const tn_real *u, const nn_graph *g, int f) {
  int n_atoms = g->n_atoms;
  size_t w3 = 3 * (size_t)f, ab = (size_t)n_atoms * w3, eb = (size_t)g->n_edges * w3;
  const tn_real *dx = x + ab, *dfilt = filt + eb, *dv = v + ab, *du = u + 3 * (size_t)g->n_edges;
  tn_real *dys = ys + (size_t)n_atoms * f, *dyv = yv + ab;
#pragma omp parallel for schedule(static) if (vconv_big(g, f))
  for (int a = 0; a < n_atoms; a++) {
    tn_real *s = dys + (size_t)a * f, *y = dyv + (size_t)a * w3;
    for (int q = 0; q < f; q++) s[q] = 0;
    for (size_t q = 0; q < w3; q++) y[q] = 0;
    for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
      size_t j = (size_t)g->j[k] * w3, e = (size_t)k * w3;
      const tn_real *uk = u + 3 * (size_t)k, *duk = du + 3 * (size_t)k;
      for (int q = 0; q < f; q++) {
        size_t qvv = q, qs = f + q, qvs = 2 * (size_t)f + q;
        tn_real mvv = x[j + qvv] * filt[e + qvv], mvs = x[j + qvs] * filt[e + qvs];
        tn_real dmvv = dx[j + qvv] * filt[e + qvv] + x[j + qvv] * dfilt[e + qvv];
        tn_real dms = dx[j + qs] * filt[e + qs] + x[j + qs] * dfilt[e + qs];
        tn_real dmvs = dx[j + qvs] * filt[e + qvs] + x[j + qvs] * dfilt[e + qvs];
        s[q] += dms;
        for (int c = 0; c < 3; c++) {
          size_t vc = j + (size_t)c * f + q;
          y[c * f + q] += dmvv * v[vc] + mvv * dv[vc] + dmvs * uk[c] + mvs * duk[c];
        }
      }
    }
  }
}

/* Everything the backward pass of the message reads. */
typedef struct vconv_in {
  const tn_real *gys, *gyv, *x, *filt, *v, *u;
  const tn_real *gdys, *gdyv, *dx, *dfilt, *dv, *du; /* tangent blocks */
  int f, tangent;
} vconv_in;

/* Adjoints of the message m_k and its tangent dm_k at feature q of edge k
 * (receiver i, sender j): gm = (gm_vv, gm_s, gm_vs), gdm likewise.
 *   gm_s  = gys[i]            gm_vv = Σ_c gyv[i][c] v[j][c] + gdyv[i][c] dv[j][c]
 *                             gm_vs = Σ_c gyv[i][c] u_c + gdyv[i][c] du_c
 *   gdm_s = gdys[i]           gdm_vv = Σ_c gdyv[i][c] v[j][c]
 *                             gdm_vs = Σ_c gdyv[i][c] u_c */
static void vconv_gm(double gm[3], double gdm[3], const vconv_in *A, int64_t k, size_t i, size_t j,
                     int q) {
  int f = A->f;
  size_t w3 = 3 * (size_t)f;
  const tn_real *uk = A->u + 3 * (size_t)k;
  gm[1] = A->gys[i * f + q];
  gm[0] = gm[2] = 0;
  for (int c = 0; c < 3; c++) {
    double gy = A->gyv[i * w3 + (size_t)c * f + q];
    gm[0] += gy * A->v[j * w3 + (size_t)c * f + q];
    gm[2] += gy * uk[c];
  }
  gdm[0] = gdm[1] = gdm[2] = 0;
  if (!A->tangent) return;
  const tn_real *duk = A->du + 3 * (size_t)k;
  gdm[1] = A->gdys[i * f + q];
  for (int c = 0; c < 3; c++) {
    double gdy = A->gdyv[i * w3 + (size_t)c * f + q];
    gm[0] += gdy * A->dv[j * w3 + (size_t)c * f + q];
    gm[2] += gdy * duk[c];
    gdm[0] += gdy * A->v[j * w3 + (size_t)c * f + q];
    gdm[2] += gdy * uk[c];
  }
}

/* Adjoint of the forward and (with tangent) the tangent lines above:
 *   m = x[j] ⊙ W:              gx[j] += gm ⊙ W,  gW += gm ⊙ x[j]
 *   dm = dx[j] ⊙ W + x[j] ⊙ dW: gdx[j] += gdm ⊙ W,  gW += gdm ⊙ dx[j],
 *                               gx[j] += gdm ⊙ dW,  gdW += gdm ⊙ x[j]
 *   yv ∋ m_vv v[j], dm_vv v[j] + m_vv dv[j]:
 *       gv[j][c] += gyv[i][c] m_vv + gdyv[i][c] dm_vv,  gdv[j][c] += gdyv[i][c] m_vv
 *   yv ∋ m_vs u, dm_vs u + m_vs du:
 *       gu[k][c] += Σ_q gyv[i][c] m_vs + gdyv[i][c] dm_vs,  gdu[k][c] += Σ_q gdyv[i][c] m_vs
 * Edge-owned gradients (gW, gu) loop over receivers' edges; atom-owned ones
 * (gx, gv) over each sender b's own edges kk, with k = rev[kk] (j_k = b,
 * i_k = j_kk). */
void nn_vconv_backward(tn_real *gx, tn_real *gfilt, tn_real *gv, tn_real *gu, const tn_real *gys,
                       const tn_real *gyv, const tn_real *x, const tn_real *filt, const tn_real *v,
                       const tn_real *u, const nn_graph *g, int f, int tangent) {
  int n_atoms = g->n_atoms;
  size_t w3 = 3 * (size_t)f, ab = (size_t)n_atoms * w3, eb = (size_t)g->n_edges * w3;
  vconv_in A = {gys,
                gyv,
                x,
                filt,
                v,
                u,
                gys + (size_t)n_atoms * f,
                gyv + ab,
                x + ab,
                filt + eb,
                v + ab,
                u + 3 * (size_t)g->n_edges,
                f,
                tangent};
  if (gfilt || gu) {
#pragma omp parallel for schedule(static) if (vconv_big(g, f))
    for (int a = 0; a < n_atoms; a++) {
      size_t i = (size_t)a;
      for (int64_t k = g->first[a]; k < g->first[a + 1]; k++) {
        size_t j = (size_t)g->j[k], xj = j * w3, e = (size_t)k * w3;
        double su[3] = {0, 0, 0}, sdu[3] = {0, 0, 0};
        for (int q = 0; q < f; q++) {
          double gm[3], gdm[3];
          vconv_gm(gm, gdm, &A, k, i, j, q);
          for (int b = 0; gfilt && b < 3; b++) {
            size_t p = (size_t)b * f + q;
            double add = gm[b] * x[xj + p];
            if (tangent) {
              add += gdm[b] * A.dx[xj + p];
              gfilt[eb + e + p] += (tn_real)(gdm[b] * x[xj + p]);
            }
            gfilt[e + p] += (tn_real)add;
          }
          if (!gu) continue;
          size_t pvs = 2 * (size_t)f + q;
          double mvs = (double)x[xj + pvs] * filt[e + pvs];
          double dmvs = tangent ? (double)A.dx[xj + pvs] * filt[e + pvs] +
                                      (double)x[xj + pvs] * A.dfilt[e + pvs]
                                : 0;
          for (int c = 0; c < 3; c++) {
            double gy = gyv[i * w3 + (size_t)c * f + q];
            su[c] += gy * mvs;
            if (!tangent) continue;
            double gdy = A.gdyv[i * w3 + (size_t)c * f + q];
            su[c] += gdy * dmvs;
            sdu[c] += gdy * mvs;
          }
        }
        if (!gu) continue;
        for (int c = 0; c < 3; c++) {
          gu[3 * (size_t)k + c] += (tn_real)su[c];
          if (tangent) gu[3 * (size_t)g->n_edges + 3 * (size_t)k + c] += (tn_real)sdu[c];
        }
      }
    }
  }
  if (gx || gv) {
#pragma omp parallel for schedule(static) if (vconv_big(g, f))
    for (int b = 0; b < n_atoms; b++) {
      size_t j = (size_t)b, xj = j * w3;
      for (int64_t kk = g->first[b]; kk < g->first[b + 1]; kk++) {
        int64_t k = g->rev[kk];
        size_t i = (size_t)g->j[kk], e = (size_t)k * w3;
        for (int q = 0; q < f; q++) {
          double gm[3], gdm[3];
          vconv_gm(gm, gdm, &A, k, i, j, q);
          if (gx)
            for (int blk = 0; blk < 3; blk++) {
              size_t p = (size_t)blk * f + q;
              double add = gm[blk] * filt[e + p];
              if (tangent) {
                add += gdm[blk] * A.dfilt[e + p];
                gx[ab + xj + p] += (tn_real)(gdm[blk] * filt[e + p]);
              }
              gx[xj + p] += (tn_real)add;
            }
          if (!gv) continue;
          double mvv = (double)x[xj + q] * filt[e + q];
          double dmvv =
              tangent ? (double)A.dx[xj + q] * filt[e + q] + (double)x[xj + q] * A.dfilt[e + q] : 0;
          for (int c = 0; c < 3; c++) {
            size_t p = (size_t)c * f + q;
            double add = gyv[i * w3 + p] * mvv;
            if (tangent) {
              double gdy = A.gdyv[i * w3 + p];
              add += gdy * dmvv;
              gv[ab + xj + p] += (tn_real)(gdy * mvv);
            }
            gv[xj + p] += (tn_real)add;
          }
        }
      }
    }
  }
}
