/* Row-wise concatenation: PaiNN's update network reads [s_i ; ‖V v_i‖]
 * (Schütt et al. 2021, eq. 9), two [rows][F] arrays side by side. */
#include <string.h>

#include "nn_internal.h"

static void concat_block(tn_real *y, const tn_real *a, const tn_real *b, int rows, int wa, int wb) {
  size_t w = (size_t)wa + wb;
#pragma omp parallel for schedule(static) if ((int64_t)rows * (wa + wb) >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    memcpy(y + r * w, a + (size_t)r * wa, (size_t)wa * sizeof *y);
    memcpy(y + r * w + wa, b + (size_t)r * wb, (size_t)wb * sizeof *y);
  }
}

/* y [rows][wa + wb] = [a [rows][wa], b [rows][wb]] */
void nn_concat_forward(tn_real *y, const tn_real *a, const tn_real *b, int rows, int wa, int wb) {
  concat_block(y, a, b, rows, wa, wb);
}

/* dy = [da, db]: the same on the tangent blocks */
void nn_concat_tangent(tn_real *y, const tn_real *a, const tn_real *b, int rows, int wa, int wb) {
  size_t n = (size_t)rows;
  concat_block(y + n * (wa + wb), a + n * wa, b + n * wb, rows, wa, wb);
}

/* ga += gy[:, :wa], gb += gy[:, wa:]   (rows of both blocks when tangent) */
static void split_add(tn_real *ga, tn_real *gb, const tn_real *gy, int rows, int wa, int wb) {
  size_t w = (size_t)wa + wb;
#pragma omp parallel for schedule(static) if ((int64_t)rows * (wa + wb) >= NN_OMP_MIN)
  for (int r = 0; r < rows; r++) {
    const tn_real *src = gy + r * w;
    if (ga)
      for (int c = 0; c < wa; c++) ga[(size_t)r * wa + c] += src[c];
    if (gb)
      for (int c = 0; c < wb; c++) gb[(size_t)r * wb + c] += src[wa + c];
  }
}

/* Adjoint of   y = [a, b]   (and dy = [da, db]): ga, gb may be NULL. */
void nn_concat_backward(tn_real *ga, tn_real *gb, const tn_real *gy, int rows, int wa, int wb,
                        int tangent) {
  split_add(ga, gb, gy, tangent ? 2 * rows : rows, wa, wb);
}
