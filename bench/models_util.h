/* Helpers of bench_models: repeated timing with GEMM counters, .npy output
 * for the PyTorch side, the liquid-argon box and the GEMM peak. */
#ifndef TN_BENCH_MODELS_UTIL_H
#define TN_BENCH_MODELS_UTIL_H

#include <stdint.h>

#include "../src/core/core.h"

/* Counters of the nn_gemm copy built with -DTN_GEMM_STATS (src/nn/gemm.c). */
void nn_gemm_stats_reset(void);
void nn_gemm_stats_get(double *flops, double *seconds, int64_t *calls);

double bench_now(void); /* CLOCK_MONOTONIC, s */

/* One run of a workload; 0 on success, else err holds why. */
typedef int (*bench_fn)(void *ctx);

/* Wall time of repeated runs: after `warmup` untimed runs, at least
 * min_samples and until min_seconds have passed (at most max_samples).
 * The GEMM figures are totals over the timed samples. */
typedef struct bench_timing {
  int samples;
  double median, min, max; /* s per run */
  double total;            /* s, all timed runs */
  double gemm_flops;       /* 2 m n k summed over nn_gemm calls */
  double gemm_seconds;     /* wall time inside nn_gemm */
  int64_t gemm_calls;
} bench_timing;

int bench_time(bench_timing *t, bench_fn fn, void *ctx, int warmup, int min_samples,
               int max_samples, double min_seconds);

/* Writes a little-endian .npy file dir/name (format 1.0, C order),
 * atomically. descr is "<f8" (double) or "<i8" (int64_t); shape has ndim
 * entries (ndim 0: a scalar). IO with err set on failure. */
tn_status bench_npy_write(const char *dir, const char *name, const char *descr,
                          const int64_t *shape, int ndim, const void *data, char *err,
                          size_t err_len);

/* n atoms of one element at number density rho (atoms/Å³) in a periodic
 * cubic box: a simple cubic lattice of ceil(n^(1/3))³ sites, n of them taken
 * in random order, each moved by up to ±a/4 per axis (a the spacing), so
 * that no two atoms come closer than a/2 and the input order carries no
 * locality. Appends one frame to ds. */
tn_status bench_liquid_box(tn_dataset *ds, int z, int n, double rho, uint64_t seed);

/* GEMM rate (flop/s) of nn_gemm on square n×n matrices with the OpenMP
 * threads in force: the best of `reps` products (peak, not typical). */
double bench_gemm_peak(int n, int reps);

#endif
