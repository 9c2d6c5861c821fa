/* Decay fits against curves with known parameters, and a weighted fit
 * checked against the normal equations solved by hand. */
#include <math.h>

#include "../src/analysis/decay.h"
#include "harness.h"

static void test_exact_curves(void) {
  double r[12], ye[12], yp[12];
  for (int k = 0; k < 12; k++) {
    r[k] = 2.0 + 0.5 * k;
    ye[k] = 3.0 * exp(-r[k] / 1.7);
    yp[k] = 0.4 * pow(r[k], -6.0);
  }
  char err[256];
  decay_fit f;
  CHECK_OK(decay_fit_exp(&f, r, ye, NULL, 12, err, sizeof err));
  CHECK_NEAR(f.amplitude, 3.0, 1e-12, 0);
  CHECK_NEAR(f.rate, 1.0 / 1.7, 1e-12, 0);
  CHECK_NEAR(f.r2_log, 1.0, 1e-12, 0);
  CHECK(f.rms_log < 1e-12 && f.n_used == 12);
  CHECK_OK(decay_fit_power(&f, r, yp, NULL, 12, err, sizeof err));
  CHECK_NEAR(f.amplitude, 0.4, 1e-12, 0);
  CHECK_NEAR(f.rate, 6.0, 1e-12, 0);
  /* the wrong model fits worse: a power law is not a straight line in r */
  decay_fit g;
  CHECK_OK(decay_fit_exp(&g, r, yp, NULL, 12, err, sizeof err));
  CHECK(g.r2_log < 1.0 - 1e-3 && g.rms_log > 1e-2);
}

/* Three points (x, ln y) = (1, 0), (2, −1), (3, −3) with weights 1, 2, 1:
 * weighted means x̄ = 2, ȳ = −5/4; Sxx = 1 + 0 + 1 = 2,
 * Sxy = (−1)(5/4) + 0 + (1)(−7/4) = −3, so slope −3/2 and intercept
 * −5/4 + 3 = 7/4. Syy = 25/16 + 2·1/16 + 49/16 = 76/16; SS_res = Syy −
 * b Sxy = 76/16 − 4.5 = 1/4; R² = 1 − (1/4)/(76/16) = 1 − 1/19. */
static void test_weighted_by_hand(void) {
  double r[3] = {1, 2, 3}, y[3] = {1, exp(-1.0), exp(-3.0)}, w[3] = {1, 2, 1};
  char err[256];
  decay_fit f;
  CHECK_OK(decay_fit_exp(&f, r, y, w, 3, err, sizeof err));
  CHECK_NEAR(f.rate, 1.5, 1e-14, 0);
  CHECK_NEAR(f.amplitude, exp(1.75), 1e-14, 0);
  CHECK_NEAR(f.r2_log, 1.0 - 1.0 / 19.0, 1e-14, 0);
  CHECK_NEAR(f.rms_log, sqrt(0.25 / 4.0), 1e-14, 0);
}

static void test_left_out_and_bad_input(void) {
  /* zeros (beyond the range), a NaN and a zero weight are left out */
  double r[6] = {1, 2, 3, 4, 5, 6}, y[6] = {exp(-1.0), exp(-2.0), 0, NAN, exp(-5.0), 7};
  double w[6] = {1, 1, 1, 1, 1, 0};
  char err[256];
  decay_fit f;
  CHECK_OK(decay_fit_exp(&f, r, y, w, 6, err, sizeof err));
  CHECK(f.n_used == 3);
  CHECK_NEAR(f.rate, 1.0, 1e-14, 0);
  /* the power law also drops r <= 0 */
  double r0[3] = {0, 1, 2}, y0[3] = {1, 1, 0.25};
  CHECK_OK(decay_fit_power(&f, r0, y0, NULL, 3, err, sizeof err));
  CHECK(f.n_used == 2);
  CHECK_NEAR(f.rate, 2.0, 1e-14, 0);
  CHECK(decay_fit_exp(&f, r, y, w, 1, err, sizeof err) == TN_STATUS_BAD_INPUT);
  double same[3] = {2, 2, 2};
  CHECK(decay_fit_exp(&f, same, y0, NULL, 3, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(decay_fit_exp(&f, NULL, y, NULL, 3, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(isnan(f.rate));
}

int main(void) {
  RUN(test_exact_curves);
  RUN(test_weighted_by_hand);
  RUN(test_left_out_and_bad_input);
  return harness_finish();
}
