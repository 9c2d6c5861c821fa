/* Rank correlation and quantile-binned means of per-structure pairs. */
#include <math.h>
#include <stdlib.h>

#include "trend.h"

typedef struct pair {
  double x, y;
  int64_t at;
} pair;

static int by_x(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  if (a->x != b->x) return a->x < b->x ? -1 : 1;
  return (a->at > b->at) - (a->at < b->at);
}

static int by_y(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  if (a->y != b->y) return a->y < b->y ? -1 : 1;
  return (a->at > b->at) - (a->at < b->at);
}

/* The finite pairs of x and y, in input order; returns how many (-1 when
 * out of memory). */
static int64_t finite_pairs(pair **out, const double *x, const double *y, int64_t n) {
  *out = malloc((size_t)(n > 0 ? n : 1) * sizeof **out);
  if (!*out) return -1;
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) (*out)[m] = (pair){x[i], y[i], m}, m++;
  return m;
}

/* rank[p[q].at] = average rank (1-based) of the sorted run holding q;
 * value(q) is x or y by `use_y`. */
static void average_ranks(double *rank, const pair *p, int64_t m, int use_y) {
  for (int64_t q = 0; q < m;) {
    int64_t end = q + 1;
    double v = use_y ? p[q].y : p[q].x;
    while (end < m && (use_y ? p[end].y : p[end].x) == v) end++;
    double r = 0.5 * (double)(q + 1 + end); /* mean of q+1 .. end */
    for (int64_t k = q; k < end; k++) rank[p[k].at] = r;
    q = end;
  }
}

tn_status trend_spearman(double *rho, const double *x, const double *y, int64_t n, char *err,
                         size_t err_len) {
  *rho = NAN;
  pair *p;
  int64_t m = finite_pairs(&p, x, y, n);
  double *rx = malloc((size_t)(m > 0 ? m : 1) * sizeof *rx);
  double *ry = malloc((size_t)(m > 0 ? m : 1) * sizeof *ry);
  if (m < 0 || !rx || !ry) {
    free(p);
    free(rx);
    free(ry);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "rank correlation: out of memory");
  }
  if (m >= 2) {
    qsort(p, (size_t)m, sizeof *p, by_x);
    average_ranks(rx, p, m, 0);
    qsort(p, (size_t)m, sizeof *p, by_y);
    average_ranks(ry, p, m, 1);
    double mean = 0.5 * (double)(m + 1), sxy = 0, sxx = 0, syy = 0;
    for (int64_t i = 0; i < m; i++) {
      sxy += (rx[i] - mean) * (ry[i] - mean);
      sxx += (rx[i] - mean) * (rx[i] - mean);
      syy += (ry[i] - mean) * (ry[i] - mean);
    }
    if (sxx > 0 && syy > 0) *rho = sxy / sqrt(sxx * syy);
  }
  free(p);
  free(rx);
  free(ry);
  return TN_STATUS_OK;
}

tn_status trend_bins(trend_bin *bins, int n_bins, int64_t *n_used, const double *x, const double *y,
                     int64_t n, char *err, size_t err_len) {
  if (n_bins < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "n_bins = %d: need at least 1", n_bins);
  pair *p;
  int64_t m = finite_pairs(&p, x, y, n);
  if (m < 0) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "binning: out of memory");
  qsort(p, (size_t)m, sizeof *p, by_x);
  *n_used = m;
  for (int b = 0; b < n_bins; b++) {
    int64_t lo = (int64_t)b * m / n_bins, hi = (int64_t)(b + 1) * m / n_bins;
    trend_bin *t = &bins[b];
    t->count = hi - lo;
    t->x_mean = t->y_mean = NAN;
    t->y_sem = 0.0;
    if (t->count == 0) continue;
    double sx = 0, sy = 0, q = 0;
    for (int64_t k = lo; k < hi; k++) sx += p[k].x, sy += p[k].y;
    t->x_mean = sx / (double)t->count;
    t->y_mean = sy / (double)t->count;
    for (int64_t k = lo; k < hi; k++) q += (p[k].y - t->y_mean) * (p[k].y - t->y_mean);
    if (t->count > 1) t->y_sem = sqrt(q / (double)(t->count - 1) / (double)t->count);
  }
  free(p);
  return TN_STATUS_OK;
}
