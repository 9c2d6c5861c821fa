/* Ops on vector (equivariant) features for PaiNN (Schütt, Unke & Gastegger,
 * "Equivariant message passing for the prediction of tensorial properties
 * and molecular spectra", ICML 2021): unit edge vectors, per-feature norms
 * of 3-vectors and the update products (eq. 9-10); the message (eq. 7-8) is
 * in vconv.c.
 *
 * Layouts (nn.h): a vector array v [n][3][F] is 3n rows of width F, its
 * tangent block after 3nF values. Every output element is owned by one loop
 * iteration (an edge or a row) and sums its terms in a fixed order, so
 * results do not depend on the thread count. */
#include "nn_internal.h"

/* ------------------------------------------------------------ unit vectors */

static double unit_of(double u[3], const tn_real *d) {
  double len = sqrt((double)d[0] * d[0] + (double)d[1] * d[1] + (double)d[2] * d[2]);
  for (int c = 0; c < 3; c++) u[c] = d[c] / len;
  return len;
}

/* u [rows][3] = d / |d| (Å / Å: dimensionless). d ≠ 0 as for nn_distance. */
void nn_unit_forward(tn_real *u, const tn_real *d, int rows) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    double e[3];
    unit_of(e, d + 3 * (size_t)k);
    for (int c = 0; c < 3; c++) u[3 * (size_t)k + c] = (tn_real)e[c];
  }
}

/* du = (dd - u (u·dd)) / r: the projection of dd off u, over r = |d| */
void nn_unit_tangent(tn_real *u, const tn_real *d, int rows) {
  const tn_real *dd = d + 3 * (size_t)rows;
  tn_real *du = u + 3 * (size_t)rows;
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    double e[3];
    double len = unit_of(e, d + 3 * (size_t)k);
    const tn_real *t = dd + 3 * (size_t)k;
    double along = e[0] * t[0] + e[1] * t[1] + e[2] * t[2];
    for (int c = 0; c < 3; c++) du[3 * (size_t)k + c] = (tn_real)((t[c] - e[c] * along) / len);
  }
}

/* Adjoint of   u = d / r   and, with tangent,   du = (dd - u s) / r with
 * s = u·dd. With P = 1 - u uᵀ (∂u/∂d = P / r, ∂r/∂d = u, ∂s/∂d = du):
 *   gd  += P gu / r
 *   gd  += -(s / r²) P gdu - (u·gdu / r) du - (du·gdu / r) u
 *   gdd += P gdu / r */
void nn_unit_backward(tn_real *gd, const tn_real *gu, const tn_real *d, int rows, int tangent) {
  const tn_real *dd = d + 3 * (size_t)rows, *gdu = gu + 3 * (size_t)rows;
  tn_real *gdd = gd + 3 * (size_t)rows;
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    size_t o = 3 * (size_t)k;
    double e[3];
    double len = unit_of(e, d + o);
    double along = e[0] * gu[o] + e[1] * gu[o + 1] + e[2] * gu[o + 2];
    for (int c = 0; c < 3; c++) gd[o + c] += (tn_real)((gu[o + c] - e[c] * along) / len);
    if (!tangent) continue;
    double s = e[0] * dd[o] + e[1] * dd[o + 1] + e[2] * dd[o + 2], du[3];
    for (int c = 0; c < 3; c++) du[c] = (dd[o + c] - e[c] * s) / len;
    double t = e[0] * gdu[o] + e[1] * gdu[o + 1] + e[2] * gdu[o + 2];
    double q = du[0] * gdu[o] + du[1] * gdu[o + 1] + du[2] * gdu[o + 2];
    for (int c = 0; c < 3; c++) {
      double proj = (gdu[o + c] - e[c] * t) / len;
      gd[o + c] += (tn_real)(-s / len * proj - t / len * du[c] - q / len * e[c]);
      gdd[o + c] += (tn_real)proj;
    }
  }
}

/* ------------------------------------------------------------------ norms */

/* n [rows][f] = sqrt(Σ_c v[rows][c][f]² + eps). The eps (schnetpack's
 * PaiNNMixing uses 1e-8) keeps the norm differentiable at v = 0, where every
 * PaiNN vector feature starts. */
void nn_vnorm_forward(tn_real *n, const tn_real *v, int rows, int f, double eps) {
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    const tn_real *x = v + 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      double s = eps;
      for (int c = 0; c < 3; c++) s += (double)x[c * f + q] * x[c * f + q];
      n[(size_t)r * f + q] = (tn_real)sqrt(s);
    }
  }
}

/* dn = Σ_c v_c dv_c / n */
void nn_vnorm_tangent(tn_real *n, const tn_real *v, int rows, int f) {
  const tn_real *dv = v + 3 * (size_t)rows * f;
  tn_real *dn = n + (size_t)rows * f;
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      double s = 0;
      for (int c = 0; c < 3; c++) s += (double)v[o + c * f + q] * dv[o + c * f + q];
      dn[(size_t)r * f + q] = (tn_real)(s / n[(size_t)r * f + q]);
    }
  }
}

/* Adjoint of   n = sqrt(Σ_c v_c² + eps)   and, with tangent,
 * dn = Σ_c v_c dv_c / n:
 *   gv_c  += gn v_c / n + gdn (dv_c - dn v_c / n) / n
 *   gdv_c += gdn v_c / n */
void nn_vnorm_backward(tn_real *gv, const tn_real *gn, const tn_real *v, const tn_real *n, int rows,
                       int f, int tangent) {
  size_t vb = 3 * (size_t)rows * f, nb = (size_t)rows * f;
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      size_t p = (size_t)r * f + q;
      double len = n[p], g = gn[p];
      for (int c = 0; c < 3; c++) gv[o + c * f + q] += (tn_real)(g * v[o + c * f + q] / len);
      if (!tangent) continue;
      double dot = 0, gdn = gn[nb + p];
      for (int c = 0; c < 3; c++) dot += (double)v[o + c * f + q] * v[vb + o + c * f + q];
      double dn = dot / len;
      for (int c = 0; c < 3; c++) {
        size_t e = o + c * f + q;
        gv[e] += (tn_real)(gdn * (v[vb + e] - dn * v[e] / len) / len);
        gv[vb + e] += (tn_real)(gdn * v[e] / len);
      }
    }
  }
}

/* ---------------------------------------------------------------- update */

/* ys [rows][f], yv [rows][3][f] from a [rows][3f] = (a_vv, a_sv, a_ss) and
 * U, V [rows][3][f]:   yv[c] = a_vv U[c];   ys = a_sv Σ_c U[c] V[c] + a_ss */
void nn_vmix_forward(tn_real *ys, tn_real *yv, const tn_real *a, const tn_real *uv,
                     const tn_real *vv, int rows, int f) {
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      double dot = 0;
      for (int c = 0; c < 3; c++) {
        size_t p = o + (size_t)c * f + q;
        yv[p] = a[o + q] * uv[p];
        dot += (double)uv[p] * vv[p];
      }
      ys[(size_t)r * f + q] = (tn_real)(a[o + f + q] * dot + a[o + 2 * (size_t)f + q]);
    }
  }
}

/* dyv[c] = da_vv U[c] + a_vv dU[c];
 * dys = da_sv p + a_sv dp + da_ss,  p = Σ_c U V,  dp = Σ_c dU V + U dV */
void nn_vmix_tangent(tn_real *ys, tn_real *yv, const tn_real *a, const tn_real *uv,
                     const tn_real *vv, int rows, int f) {
  size_t vb = 3 * (size_t)rows * f;
  const tn_real *da = a + vb, *duv = uv + vb, *dvv = vv + vb;
  tn_real *dys = ys + (size_t)rows * f, *dyv = yv + vb;
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      double dot = 0, ddot = 0;
      for (int c = 0; c < 3; c++) {
        size_t p = o + (size_t)c * f + q;
        dyv[p] = da[o + q] * uv[p] + a[o + q] * duv[p];
        dot += (double)uv[p] * vv[p];
        ddot += (double)duv[p] * vv[p] + (double)uv[p] * dvv[p];
      }
      size_t sv = o + f + q, ss = o + 2 * (size_t)f + q;
      dys[(size_t)r * f + q] = (tn_real)(da[sv] * dot + a[sv] * ddot + da[ss]);
    }
  }
}

/* Adjoint of the forward and (with tangent) the tangent lines above:
 *   yv = a_vv U:             ga_vv += Σ_c gyv U,      gU += gyv a_vv
 *   ys = a_sv p + a_ss:      ga_sv += gys p,  ga_ss += gys,  gU += gys a_sv V,  gV += gys a_sv U
 *   dyv = da_vv U + a_vv dU: gda_vv += Σ_c gdyv U,  gU += gdyv da_vv,
 *                            ga_vv += Σ_c gdyv dU,  gdU += gdyv a_vv
 *   dys = da_sv p + a_sv dp + da_ss:
 *       gda_sv += gdys p,  gda_ss += gdys,  ga_sv += gdys dp,
 *       gU += gdys (da_sv V + a_sv dV),  gV += gdys (da_sv U + a_sv dU),
 *       gdU += gdys a_sv V,  gdV += gdys a_sv U */
void nn_vmix_backward(tn_real *ga, tn_real *guv, tn_real *gvv, const tn_real *gys,
                      const tn_real *gyv, const tn_real *a, const tn_real *uv, const tn_real *vv,
                      int rows, int f, int tangent) {
  size_t vb = 3 * (size_t)rows * f, sb = (size_t)rows * f;
  const tn_real *da = a + vb, *duv = uv + vb, *dvv = vv + vb, *gdys = gys + sb, *gdyv = gyv + vb;
#pragma omp parallel for schedule(static) if ((int64_t)rows * f >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = 3 * (size_t)r * f;
    for (int q = 0; q < f; q++) {
      size_t vv_ = o + q, sv = o + f + q, ss = o + 2 * (size_t)f + q, s = (size_t)r * f + q;
      double gs = gys[s], gds = tangent ? gdys[s] : 0;
      double dot = 0, ddot = 0, g_avv = 0, gd_avv = 0;
      for (int c = 0; c < 3; c++) {
        size_t p = o + (size_t)c * f + q;
        dot += (double)uv[p] * vv[p];
        g_avv += (double)gyv[p] * uv[p];
        if (!tangent) continue;
        ddot += (double)duv[p] * vv[p] + (double)uv[p] * dvv[p];
        g_avv += (double)gdyv[p] * duv[p];
        gd_avv += (double)gdyv[p] * uv[p];
      }
      if (ga) {
        ga[vv_] += (tn_real)g_avv;
        ga[sv] += (tn_real)(gs * dot + gds * ddot);
        ga[ss] += (tn_real)gs;
        if (tangent) {
          ga[vb + vv_] += (tn_real)gd_avv;
          ga[vb + sv] += (tn_real)(gds * dot);
          ga[vb + ss] += (tn_real)gds;
        }
      }
      for (int c = 0; c < 3; c++) {
        size_t p = o + (size_t)c * f + q;
        double gu = gyv[p] * (double)a[vv_] + gs * a[sv] * vv[p];
        double gw = gs * (double)a[sv] * uv[p];
        if (tangent) {
          gu += gdyv[p] * (double)da[vv_] + gds * ((double)da[sv] * vv[p] + (double)a[sv] * dvv[p]);
          gw += gds * ((double)da[sv] * uv[p] + (double)a[sv] * duv[p]);
          if (guv) guv[vb + p] += (tn_real)(gdyv[p] * (double)a[vv_] + gds * a[sv] * vv[p]);
          if (gvv) gvv[vb + p] += (tn_real)(gds * (double)a[sv] * uv[p]);
        }
        if (guv) guv[p] += (tn_real)gu;
        if (gvv) gvv[p] += (tn_real)gw;
      }
    }
  }
}
