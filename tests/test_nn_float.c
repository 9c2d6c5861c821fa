/* The float32 build's own math: the inline exponential and logarithm the
 * activations use (nn_internal.h) against libm in double, and the
 * activations themselves against double-precision formulas. The
 * finite-difference tests run in float64 and never see these. */
#include <math.h>

#include "../src/nn/nn_internal.h"
#include "harness.h"

/* Largest relative error of nn_exp_neg over [-87, 0]. */
static void test_exp_neg(void) {
  double worst = 0.0;
  for (int k = 0; k <= 2000000; k++) {
    tn_real x = (tn_real)(-87.0 * k / 2000000.0);
    double want = exp((double)x), got = (double)nn_exp_neg(x);
    double rel = fabs(got - want) / want;
    if (rel > worst) worst = rel;
  }
  if (sizeof(tn_real) == sizeof(float)) fprintf(stderr, "  nn_exp_neg: max rel %.3g\n", worst);
  CHECK(worst <= 4e-7); /* about 3 float ulps */
  CHECK(nn_exp_neg(0) == 1);
  CHECK(nn_exp_neg((tn_real)-88) == 0 && nn_exp_neg((tn_real)-1e30) == 0);
  CHECK(nn_exp_neg((tn_real)-86.9) > 0);
  CHECK(isnan(nn_exp_neg((tn_real)NAN)));
}

/* Largest error of nn_log1p_unit over [0, 1], relative to log1p(t). */
static void test_log1p_unit(void) {
  double worst = 0.0;
  for (int k = 1; k <= 1000000; k++) {
    tn_real t = (tn_real)(k / 1000000.0);
    double want = log1p((double)t), got = (double)nn_log1p_unit(t);
    double rel = fabs(got - want) / want;
    if (rel > worst) worst = rel;
  }
  if (sizeof(tn_real) == sizeof(float)) fprintf(stderr, "  nn_log1p_unit: max rel %.3g\n", worst);
  CHECK(worst <= 4e-7);
  CHECK(nn_log1p_unit(0) == 0);
  CHECK(nn_log1p_unit((tn_real)1e-30) > 0);
}

/* Shifted softplus and SiLU with their derivatives, in the build's
 * precision, against double formulas, across the range training visits. */
static void test_activations(void) {
  enum { N = 4001 };
  static tn_real a[2 * N], y[2 * N], ga[2 * N], gy[2 * N];
  for (int q = 0; q < N; q++) {
    a[q] = (tn_real)(-40.0 + 80.0 * q / (N - 1));
    a[N + q] = 1; /* tangent direction */
  }
  nn_act acts[2] = {NN_ACT_SSP, NN_ACT_SILU};
  for (int k = 0; k < 2; k++) {
    nn_act_forward(y, a, N, acts[k]);
    nn_act_tangent(y, a, N, acts[k]);
    for (int q = 0; q < 2 * N; q++) {
      ga[q] = 0;
      gy[q] = q < N ? 1 : 0;
    }
    nn_act_backward(ga, gy, a, N, acts[k], 0);
    double worst_y = 0, worst_d = 0;
    for (int q = 0; q < N; q++) {
      double x = (double)a[q], s = 1.0 / (1.0 + exp(-x));
      double f = acts[k] == NN_ACT_SSP ? fmax(x, 0) + log1p(exp(-fabs(x))) - M_LN2 : x * s;
      double d = acts[k] == NN_ACT_SSP ? s : s * (1 + x * (1 - s));
      /* errors against the larger of the value and 1: both functions pass
       * through 0, where a relative error means nothing */
      worst_y = fmax(worst_y, fabs((double)y[q] - f) / fmax(fabs(f), 1.0));
      worst_d = fmax(worst_d, fabs((double)y[N + q] - d) / fmax(fabs(d), 1.0));
      worst_d = fmax(worst_d, fabs((double)ga[q] - d) / fmax(fabs(d), 1.0));
    }
    if (sizeof(tn_real) == sizeof(float))
      fprintf(stderr, "  %s: value %.3g, derivative %.3g\n", nn_act_name(acts[k]), worst_y,
              worst_d);
    CHECK(worst_y <= 1e-6 && worst_d <= 1e-6);
  }
}

int main(void) {
  RUN(test_exp_neg);
  RUN(test_log1p_unit);
  RUN(test_activations);
  return harness_finish();
}
