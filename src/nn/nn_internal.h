/* Helpers shared by the nn op files: tn_real math and the OpenMP threshold.
 * Not part of the interface; nn.h is. */
#ifndef TN_NN_INTERNAL_H
#define TN_NN_INTERNAL_H

#include <math.h>

#include "../core/core.h"
#include "nn.h"

/* Below this many output elements a parallel region costs more than the loop
 * it splits. The threshold only decides whether threads are used: every
 * output element is owned by one iteration and summed in a fixed order, so
 * results are the same either way. */
#define NN_OMP_MIN 4096

/* Math in the precision of tn_real, so that the float build stays in float
 * (expf, not exp with two conversions) in the elementwise hot loops.
 *
 * The activations need e^x only for x <= 0 and log(1 + t) only for t in
 * [0, 1] (they are written in t = e^{-|x|}). The float build computes those
 * two inline, branch-free, so that the loops vectorize: libm's scalar
 * log1pf and expf were more than half of SchNet's inference time. Both are
 * within a few float ulps (tests/test_nn_float.c); the float64 build keeps
 * libm, which the finite-difference tests rely on. */
#ifdef TN_DOUBLE
static inline tn_real nn_exp(tn_real x) { return exp(x); }
static inline tn_real nn_exp_neg(tn_real x) { return exp(x); }
static inline tn_real nn_log1p(tn_real x) { return log1p(x); }
static inline tn_real nn_log1p_unit(tn_real t) { return log1p(t); }
static inline tn_real nn_tanh(tn_real x) { return tanh(x); }
static inline tn_real nn_sqrt(tn_real x) { return sqrt(x); }
#else
static inline tn_real nn_exp(tn_real x) { return expf(x); }
static inline tn_real nn_log1p(tn_real x) { return log1pf(x); }
static inline tn_real nn_tanh(tn_real x) { return tanhf(x); }
static inline tn_real nn_sqrt(tn_real x) { return sqrtf(x); }

/* e^x for x <= 0: x = n ln2 + r with |r| <= ln2/2 (ln2 split in a part
 * exact in float and a correction), e^r by its Taylor polynomial to r⁶
 * (truncation < 1.3e-7 relative), times 2^n built in the exponent bits.
 * Below -87 (near where 2^n turns subnormal) it returns 0: e^x < 1.7e-38.
 * NaN gives NaN. */
static inline float nn_exp_neg(float x) {
  /* NaN fails the comparison and is clamped too: converting it to int32_t
   * below would be undefined (UBSan); it comes back NaN at the end */
  float xc = x >= -87.0f ? x : -87.0f;
  /* round(xc log2 e) by truncation toward zero of a value <= 0 (which
   * vectorizes, unlike floorf without SSE4.1) */
  int32_t n = (int32_t)(xc * 1.44269504f - 0.5f);
  float r = (xc - (float)n * 0.693145752f) - (float)n * 1.42860682e-6f;
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    float f;
    int32_t i;
  } scale;
  scale.i = (n + 127) * (1 << 23);
  return x >= -87.0f ? p * scale.f : (x == x ? 0.0f : x);
}

/* log(1 + t) for t in [0, 1]: 2 atanh(z) with z = t / (2 + t) <= 1/3, by
 * its odd series to z¹³ (truncation < 1e-8 relative). */
static inline float nn_log1p_unit(float t) {
  float z = t / (2.0f + t), z2 = z * z;
  float p = 1.0f / 13;
  p = p * z2 + 1.0f / 11;
  p = p * z2 + 1.0f / 9;
  p = p * z2 + 1.0f / 7;
  p = p * z2 + 1.0f / 5;
  p = p * z2 + 1.0f / 3;
  p = p * z2 + 1.0f;
  return 2.0f * z * p;
}
#endif

#endif
