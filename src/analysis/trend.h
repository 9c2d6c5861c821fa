/* How one per-structure quantity tracks another (error against P(B),
 * error against ensemble spread): rank correlation and binned means. The
 * statistics of `tanne transfer`. */
#ifndef TN_TREND_H
#define TN_TREND_H

#include "../core/core.h"

/* Spearman's rank correlation of x and y [n]: the Pearson correlation of
 * their ranks, tied values taking their average rank. Robust to outliers
 * and to any monotone rescaling, which suits errors that grow faster than
 * linearly with a score. NaN when n < 2 or either side is constant; pairs
 * with a non-finite member are left out. NO_MEMORY only. */
tn_status trend_spearman(double *rho, const double *x, const double *y, int64_t n, char *err,
                         size_t err_len);

/* The pairs sorted by x and cut into n_bins bins of (nearly) equal counts
 * (quantile bins: bin b holds sorted pairs [b n / n_bins, (b + 1) n /
 * n_bins)). Per bin: x_mean, y_mean and y_sem, the standard error of the
 * mean of y (0 for a bin of one). Non-finite pairs are left out first;
 * *n_used gets the count kept. Bins stay empty (count 0, NaN means) when
 * fewer pairs than bins. INVALID_ARG for n_bins < 1, NO_MEMORY. */
typedef struct trend_bin {
  int64_t count;
  double x_mean, y_mean, y_sem;
} trend_bin;
tn_status trend_bins(trend_bin *bins, int n_bins, int64_t *n_used, const double *x, const double *y,
                     int64_t n, char *err, size_t err_len);

#endif
