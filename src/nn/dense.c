/* Dense (fully connected) layers: y = x W + b over a block of rows, with the
 * stacked primal/tangent layout of nn.h, so that the tangent pass is one GEMM
 * and the backward pass through primal and tangent is one GEMM per gradient. */
#include <math.h>

#include "nn_internal.h"

nn_dense nn_dense_make(int in, int out, int bias, size_t *offset) {
  TN_ASSERT(in > 0 && out > 0 && offset);
  nn_dense d = {in, out, bias ? 1 : 0, *offset};
  *offset += nn_dense_param_count(&d);
  return d;
}

size_t nn_dense_param_count(const nn_dense *d) {
  return (size_t)d->in * (size_t)d->out + (d->bias ? (size_t)d->out : 0);
}

/* Glorot & Bengio (2010), uniform: W ~ U(-l, l), l = sqrt(6 / (in + out)),
 * which keeps the variance of activations and of gradients roughly equal
 * across layers. One draw per weight in storage order ([in][out]). */
void nn_dense_init(tn_real *params, const nn_dense *d, tn_rng *rng) {
  double limit = sqrt(6.0 / (d->in + d->out));
  tn_real *w = params + d->offset;
  size_t n_w = (size_t)d->in * (size_t)d->out;
  for (size_t q = 0; q < n_w; q++) w[q] = (tn_real)((2.0 * tn_rng_uniform(rng) - 1.0) * limit);
  if (d->bias)
    for (int o = 0; o < d->out; o++) w[n_w + o] = 0;
}

/* y [rows][out], x [rows][in], W [in][out], b [out] */
void nn_dense_forward(tn_real *y, const tn_real *x, const tn_real *params, const nn_dense *d,
                      int rows) {
  const tn_real *w = params + d->offset;
  tn_real beta = 0;
  if (d->bias) {
    const tn_real *b = w + (size_t)d->in * d->out;
    for (int r = 0; r < rows; r++)
      for (int o = 0; o < d->out; o++) y[(size_t)r * d->out + o] = b[o];
    beta = 1;
  }
  nn_gemm(0, 0, rows, d->out, d->in, 1, x, d->in, w, d->out, beta, y, d->out);
}

/* dy [rows][out] (tangent block of y) = dx [rows][in] (tangent block of x) W */
void nn_dense_tangent(tn_real *y, const tn_real *x, const tn_real *params, const nn_dense *d,
                      int rows) {
  const tn_real *w = params + d->offset;
  nn_gemm(0, 0, rows, d->out, d->in, 1, x + (size_t)rows * d->in, d->in, w, d->out, 0,
          y + (size_t)rows * d->out, d->out);
}

/* Adjoint of   y = x W + b   and, with tangent,   dy = dx W.
 * gx, gy and x are stacked ([rows] primal rows, then [rows] tangent rows when
 * tangent), so that
 *   [gx; gdx] += [gy; gdy] Wᵀ         (one GEMM over 2 rows blocks)
 *   gW += xᵀ gy + dxᵀ gdy = [x; dx]ᵀ [gy; gdy]   (one GEMM)
 *   gb += Σ_rows gy                    (the bias has no tangent) */
void nn_dense_backward(tn_real *gx, tn_real *grad, const tn_real *gy, const tn_real *x,
                       const tn_real *params, const nn_dense *d, int rows, int tangent) {
  const tn_real *w = params + d->offset;
  int stacked = tangent ? 2 * rows : rows;
  if (gx) nn_gemm(0, 1, stacked, d->in, d->out, 1, gy, d->out, w, d->out, 1, gx, d->in);
  if (!grad) return;
  tn_real *gw = grad + d->offset;
  nn_gemm(1, 0, d->in, d->out, stacked, 1, x, d->in, gy, d->out, 1, gw, d->out);
  if (d->bias) {
    /* Summed in double: a batch has thousands of rows, and a float sum of
     * that length loses digits the optimizer would see. The columns go in
     * chunks with their sums on the stack, so rows are read contiguously. */
    enum { CHUNK = 64 };
    tn_real *gb = gw + (size_t)d->in * d->out;
    for (int o0 = 0; o0 < d->out; o0 += CHUNK) {
      int width = d->out - o0 < CHUNK ? d->out - o0 : CHUNK;
      double sum[CHUNK] = {0};
      for (int r = 0; r < rows; r++) {
        const tn_real *g = gy + (size_t)r * d->out + o0;
        for (int o = 0; o < width; o++) sum[o] += g[o];
      }
      for (int o = 0; o < width; o++) gb[o0 + o] += (tn_real)sum[o];
    }
  }
}
