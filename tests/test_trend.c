/* Rank correlation and quantile bins against values worked out by hand. */
#include <math.h>

#include "../src/analysis/trend.h"
#include "harness.h"

static void test_spearman(void) {
  char err[128];
  double rho;
  /* any increasing function: +1; decreasing: -1 */
  static const double x[6] = {1, 2, 3, 4, 5, 6}, up[6] = {0.1, 1, 8, 27, 64, 1e6};
  static const double down[6] = {6, 5, 4, 3, 2, 1};
  CHECK_OK(trend_spearman(&rho, x, up, 6, err, sizeof err));
  CHECK(rho == 1.0);
  CHECK_OK(trend_spearman(&rho, x, down, 6, err, sizeof err));
  CHECK(rho == -1.0);
  /* By hand: y = {1, 3, 2, 4}, ranks of y {1, 3, 2, 4} against {1, 2, 3, 4}:
   * Σd² = 2, ρ = 1 − 6·2/(4·15) = 0.8 (no ties, so the formula holds). */
  static const double x4[4] = {10, 20, 30, 40}, y4[4] = {1, 3, 2, 4};
  CHECK_OK(trend_spearman(&rho, x4, y4, 4, err, sizeof err));
  CHECK_NEAR(rho, 0.8, 1e-15, 0);
  /* Ties: y = {1, 1, 2}: ranks {1.5, 1.5, 3}; x ranks {1, 2, 3}. Centered:
   * x {-1, 0, 1}, y {-0.5, -0.5, 1}: Σxy = 1.5, Σxx = 2, Σyy = 1.5,
   * ρ = 1.5/sqrt(3) = 0.8660... */
  static const double x3[3] = {1, 2, 3}, y3[3] = {1, 1, 2};
  CHECK_OK(trend_spearman(&rho, x3, y3, 3, err, sizeof err));
  CHECK_NEAR(rho, 1.5 / sqrt(3.0), 1e-15, 0);
  /* a NaN pair is left out; a constant side gives NaN */
  static const double xn[5] = {10, 20, NAN, 30, 40}, yn[5] = {1, 3, 5, 2, 4};
  CHECK_OK(trend_spearman(&rho, xn, yn, 5, err, sizeof err));
  CHECK_NEAR(rho, 0.8, 1e-15, 0);
  static const double c[4] = {2, 2, 2, 2};
  CHECK_OK(trend_spearman(&rho, x4, c, 4, err, sizeof err));
  CHECK(isnan(rho));
  CHECK_OK(trend_spearman(&rho, x4, y4, 1, err, sizeof err));
  CHECK(isnan(rho));
}

static void test_bins(void) {
  char err[128];
  /* 7 pairs, 3 bins: [0, 2), [2, 4), [4, 7) of the x-sorted pairs */
  static const double x[7] = {7, 1, 6, 2, 5, 3, 4}, y[7] = {70, 10, 60, 20, 50, 30, 40};
  trend_bin b[3];
  int64_t used;
  CHECK_OK(trend_bins(b, 3, &used, x, y, 7, err, sizeof err));
  CHECK(used == 7);
  CHECK(b[0].count == 2 && b[1].count == 2 && b[2].count == 3);
  CHECK(b[0].x_mean == 1.5 && b[0].y_mean == 15.0);
  CHECK(b[2].x_mean == 6.0 && b[2].y_mean == 60.0);
  /* y 50, 60, 70: sample std 10, sem 10/sqrt(3) */
  CHECK_NEAR(b[2].y_sem, 10.0 / sqrt(3.0), 1e-14, 0);
  /* more bins than pairs: empty bins */
  trend_bin many[9];
  CHECK_OK(trend_bins(many, 9, &used, x, y, 7, err, sizeof err));
  int64_t total = 0, empty = 0;
  for (int k = 0; k < 9; k++) total += many[k].count, empty += many[k].count == 0;
  CHECK(total == 7 && empty == 2 && isnan(many[0].x_mean));
  CHECK(trend_bins(b, 0, &used, x, y, 7, err, sizeof err) == TN_STATUS_INVALID_ARG);
}

int main(void) {
  RUN(test_spearman);
  RUN(test_bins);
  return harness_finish();
}
