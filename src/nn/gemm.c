/* nn_gemm: the one matrix-product entry point, over OpenBLAS's CBLAS in the
 * precision of tn_real (sgemm, or dgemm under TN_DOUBLE).
 *
 * OpenBLAS is kept on one thread and the product is split across OpenMP's
 * threads here instead. Two thread pools on one machine fight: OpenMP's
 * workers spin between regions while OpenBLAS's pthreads spin waiting for
 * work, and on a loaded 2-core machine that made training 10x slower. With
 * one pool, the threads that run the edge loops also run the GEMMs. */
#include <cblas.h>
#include <pthread.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nn_internal.h"

/* Below this many multiply-adds a parallel region costs more than it saves. */
#define NN_GEMM_OMP_MIN (1 << 17)

#ifdef TN_GEMM_STATS
/* Flop and time counters for bench/bench_models, which links its own copy of
 * this file built with -DTN_GEMM_STATS; the library never has them (they are
 * mutable global state). Every product counts 2 m n k flops and the wall
 * time of its call, so flops / seconds is the rate the dense layers get.
 * Calls from inside a parallel region would count overlapping times. */
#include <time.h>

static double gemm_stats_flops, gemm_stats_seconds;
static int64_t gemm_stats_calls;

void nn_gemm_stats_reset(void);
void nn_gemm_stats_get(double *flops, double *seconds, int64_t *calls);

void nn_gemm_stats_reset(void) {
  gemm_stats_flops = gemm_stats_seconds = 0;
  gemm_stats_calls = 0;
}

void nn_gemm_stats_get(double *flops, double *seconds, int64_t *calls) {
  *flops = gemm_stats_flops;
  *seconds = gemm_stats_seconds;
  *calls = gemm_stats_calls;
}

static double gemm_stats_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define GEMM_STATS_START() double gemm_stats_t0 = gemm_stats_now()
#define GEMM_STATS_STOP(m, n, k)                                                                   \
  do {                                                                                             \
    double dt_ = gemm_stats_now() - gemm_stats_t0;                                                 \
    _Pragma("omp critical(nn_gemm_stats)") {                                                       \
      gemm_stats_flops += 2.0 * (double)(m) * (double)(n) * (double)(k);                           \
      gemm_stats_seconds += dt_;                                                                   \
      gemm_stats_calls++;                                                                          \
    }                                                                                              \
  } while (0)
#else
#define GEMM_STATS_START()       ((void)0)
#define GEMM_STATS_STOP(m, n, k) ((void)0)
#endif

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

static void blas_single_thread(void) { openblas_set_num_threads(1); }

static void blas_gemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                      tn_real alpha, const tn_real *a, int lda, const tn_real *b, int ldb,
                      tn_real beta, tn_real *c, int ldc) {
#ifdef TN_DOUBLE
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

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
  pthread_once(&blas_threads_once, blas_single_thread);
  GEMM_STATS_START();
  enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  double work = (double)m * n * k;
  /* Each thread takes a block of C's rows (or of its columns when C is wide)
   * and computes it whole, with the full sum over k: no element is shared,
   * so the split needs no reduction. */
  int by_rows = m >= n;
#pragma omp parallel if (work >= NN_GEMM_OMP_MIN)
  {
    int t = 0, nt = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nt = omp_get_num_threads();
#endif
    int len = by_rows ? m : n;
    int lo = (int)((long long)len * t / nt), hi = (int)((long long)len * (t + 1) / nt);
    if (hi > lo) {
      if (by_rows) {
        const tn_real *a_block = trans_a ? a + lo : a + (size_t)lo * lda;
        blas_gemm(ta, tb, hi - lo, n, k, alpha, a_block, lda, b, ldb, beta, c + (size_t)lo * ldc,
                  ldc);
      } else {
        const tn_real *b_block = trans_b ? b + (size_t)lo * ldb : b + lo;
        blas_gemm(ta, tb, m, hi - lo, k, alpha, a, lda, b_block, ldb, beta, c + lo, ldc);
      }
    }
  }
  GEMM_STATS_STOP(m, n, k);
}
