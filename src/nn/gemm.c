/* nn_gemm: the one matrix-product entry point, over OpenBLAS's CBLAS in the
 * precision of tn_real (sgemm, or dgemm under TN_DOUBLE). */
#include <cblas.h>

#include "nn_internal.h"

void nn_gemm(int trans_a, int trans_b, int m, int n, int k, tn_real alpha, const tn_real *a,
             int lda, const tn_real *b, int ldb, tn_real beta, tn_real *c, int ldc) {
  TN_ASSERT(m >= 0 && n >= 0 && k >= 0);
  if (m == 0 || n == 0) return;
  /* Leading dimensions as BLAS requires them (row-major: the row length of
   * the stored matrix). A violation would make OpenBLAS print and return
   * without a result, so it is caught here as the programmer error it is. */
  TN_ASSERT(ldc >= n);
  TN_ASSERT(lda >= (trans_a ? m : (k > 0 ? k : 1)));
  TN_ASSERT(ldb >= (trans_b ? (k > 0 ? k : 1) : n));
  if (k == 0) {
    /* An empty sum: C = beta C. Done here because BLAS may not scale C when
     * k == 0 with alpha != 0 in every implementation. */
    for (int r = 0; r < m; r++)
      for (int s = 0; s < n; s++)
        c[(size_t)r * ldc + s] = beta == 0 ? 0 : beta * c[(size_t)r * ldc + s];
    return;
  }
  enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
#ifdef TN_DOUBLE
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}
