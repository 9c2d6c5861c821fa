/* Row-wise ops: a per-row scale (a filter times its edge's cutoff) and the
 * embedding lookup that turns atom types into feature rows. */
#include <string.h>

#include "nn_internal.h"

/* z [rows][w] = x [rows][w] * s [rows] */
void nn_scale_rows_forward(tn_real *z, const tn_real *x, const tn_real *s, int rows, int w) {
#pragma omp parallel for schedule(static) if ((int64_t)rows * w >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < w; c++) z[(size_t)r * w + c] = x[(size_t)r * w + c] * s[r];
}

/* dz = dx s + x ds (tangent blocks of z, x and s after their primals) */
void nn_scale_rows_tangent(tn_real *z, const tn_real *x, const tn_real *s, int rows, int w) {
  size_t n = (size_t)rows * w;
  const tn_real *dx = x + n, *ds = s + rows;
  tn_real *dz = z + n;
#pragma omp parallel for schedule(static) if ((int64_t)rows * w >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < w; c++) {
      size_t q = (size_t)r * w + c;
      dz[q] = dx[q] * s[r] + x[q] * ds[r];
    }
}

/* Adjoint of   z = x s   and, with tangent,   dz = dx s + x ds:
 *   gx += gz s + gdz ds,   gdx += gdz s
 *   gs += Σ_c gz x + gdz dx,   gds += Σ_c gdz x
 * gx or gs may be NULL when that input needs no gradient. */
void nn_scale_rows_backward(tn_real *gx, tn_real *gs, const tn_real *gz, const tn_real *x,
                            const tn_real *s, int rows, int w, int tangent) {
  size_t n = (size_t)rows * w;
  const tn_real *dx = x + n, *ds = s + rows, *gdz = gz + n;
/* Branch-free inner loops, so that they vectorize; the row sums are
 * SIMD reductions in double. */
#pragma omp parallel for schedule(static) if ((int64_t)rows * w >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    size_t o = (size_t)r * w;
    const tn_real *gzr = gz + o, *xr = x + o;
    const tn_real *gdzr = tangent ? gdz + o : NULL, *dxr = tangent ? dx + o : NULL;
    tn_real sr = s[r], dsr = tangent ? ds[r] : 0;
    if (gx && !tangent) {
      tn_real *gxr = gx + o;
#pragma omp simd
      for (int c = 0; c < w; c++) gxr[c] += gzr[c] * sr;
    } else if (gx) {
      tn_real *gxr = gx + o, *gdxr = gx + n + o;
#pragma omp simd
      for (int c = 0; c < w; c++) {
        gxr[c] += gzr[c] * sr;
        gxr[c] += gdzr[c] * dsr;
        gdxr[c] += gdzr[c] * sr;
      }
    }
    if (!gs) continue;
    double sum = 0, sum_t = 0;
    if (!tangent) {
#pragma omp simd reduction(+ : sum)
      for (int c = 0; c < w; c++) sum += (double)gzr[c] * xr[c];
    } else {
#pragma omp simd reduction(+ : sum, sum_t)
      for (int c = 0; c < w; c++) {
        sum += (double)gzr[c] * xr[c] + (double)gdzr[c] * dxr[c];
        sum_t += (double)gdzr[c] * xr[c];
      }
    }
    gs[r] += (tn_real)sum;
    if (tangent) gs[rows + r] += (tn_real)sum_t;
  }
}

/* x [n][w] = A [type[n]], A [n_types][w] at params[offset]. Types are
 * indices the caller has already mapped and checked (0 <= type < n_types). */
void nn_embed_forward(tn_real *x, const int32_t *type, const tn_real *params, size_t offset, int n,
                      int w) {
  const tn_real *table = params + offset;
#pragma omp parallel for schedule(static) if ((int64_t)n * w >= NN_OMP_MIN)
  for (int a = 0; a < n; a++) {
    TN_ASSERT(type[a] >= 0);
    memcpy(x + (size_t)a * w, table + (size_t)type[a] * w, (size_t)w * sizeof *x);
  }
}

/* Adjoint of   x[a] = A[type[a]]:   gA[type[a]] += gx[a] (primal rows only:
 * the table does not move along a configuration-space direction). Serial,
 * because many atoms share a row of gA and the sum must keep atom order. */
void nn_embed_backward(tn_real *grad, const tn_real *gx, const int32_t *type, size_t offset, int n,
                       int w) {
  tn_real *gtable = grad + offset;
  for (int a = 0; a < n; a++) {
    TN_ASSERT(type[a] >= 0);
    tn_real *g = gtable + (size_t)type[a] * w;
    const tn_real *src = gx + (size_t)a * w;
    for (int c = 0; c < w; c++) g[c] += src[c];
  }
}

void nn_add(tn_real *y, const tn_real *x, size_t n) {
  for (size_t q = 0; q < n; q++) y[q] += x[q];
}

void nn_zero(tn_real *x, size_t n) { memset(x, 0, n * sizeof *x); }
