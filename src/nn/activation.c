/* Elementwise activations with first and second derivatives, the second for
 * the backward pass through a tangent (d/da of f'(a) da).
 *
 * Everything is written in t = exp(-|x|) <= 1, which never overflows, so the
 * values and both derivatives stay finite and accurate for any finite x:
 *   sigmoid(x)     = 1 / (1 + t) for x >= 0, t / (1 + t) for x < 0
 *   1 - sigmoid(x) = sigmoid(-x)
 *   softplus(x)    = max(x, 0) + log1p(t) */
#include <string.h>

#include "nn_internal.h"

static const char *const act_names[] = {"identity", "ssp", "silu", "tanh"};
#define ACT_COUNT ((int)(sizeof act_names / sizeof act_names[0]))

/* "unknown" (never NULL) for a value outside the enum, so it can be printed. */
const char *nn_act_name(nn_act f) {
  return (int)f >= 0 && (int)f < ACT_COUNT ? act_names[f] : "unknown";
}

int nn_act_from_name(const char *name) {
  if (!name) return -1;
  for (int q = 0; q < ACT_COUNT; q++)
    if (strcmp(name, act_names[q]) == 0) return q;
  return -1;
}

/* sigmoid(x) in *s and 1 - sigmoid(x) in *c, both without cancellation */
static inline void act_sigmoid(tn_real x, tn_real *s, tn_real *c) {
  tn_real t = nn_exp_neg(-(x < 0 ? -x : x));
  tn_real inv = 1 / (1 + t);
  *s = x >= 0 ? inv : t * inv;
  *c = x >= 0 ? t * inv : inv;
}

static inline tn_real act_value(nn_act f, tn_real x) {
  tn_real s, c;
  switch (f) {
  case NN_ACT_SSP: {
    /* Schütt et al. (2018), SchNet: ln(1 + e^x) - ln 2, so that ssp(0) = 0 */
    tn_real t = nn_exp_neg(-(x < 0 ? -x : x));
    return (x > 0 ? x : 0) + nn_log1p_unit(t) - (tn_real)M_LN2;
  }
  case NN_ACT_SILU: /* Elfwing et al. (2018); Schütt et al. (2021), PaiNN */
    act_sigmoid(x, &s, &c);
    return x * s;
  case NN_ACT_TANH: return nn_tanh(x);
  case NN_ACT_IDENTITY: break;
  }
  return x;
}

/* f'(x) and f''(x), with one exponential for both */
static inline void act_d12(nn_act f, tn_real x, tn_real *d1, tn_real *d2) {
  tn_real s, c, y;
  switch (f) {
  case NN_ACT_SSP: /* softplus' = sigmoid = s, sigmoid' = s (1 - s) */
    act_sigmoid(x, &s, &c);
    *d1 = s;
    *d2 = s * c;
    return;
  case NN_ACT_SILU:
    /* (x s)' = s + x s (1 - s); (s + x s (1 - s))' = s (1 - s) (2 + x (1 - 2 s)) */
    act_sigmoid(x, &s, &c);
    *d1 = s * (1 + x * c);
    *d2 = s * c * (2 + x * (c - s));
    return;
  case NN_ACT_TANH: /* (1 - y²)' = -2 y (1 - y²) */
    y = nn_tanh(x);
    *d1 = 1 - y * y;
    *d2 = -2 * y * (1 - y * y);
    return;
  case NN_ACT_IDENTITY: break;
  }
  *d1 = 1;
  *d2 = 0;
}

/* f'(x) alone; after inlining the compiler drops the unused f'' */
static inline tn_real act_d1(nn_act f, tn_real x) {
  tn_real d1, d2;
  act_d12(f, x, &d1, &d2);
  return d1;
}

/* y [n] = f(a [n]) */
void nn_act_forward(tn_real *y, const tn_real *a, size_t n, nn_act f) {
  int64_t len = (int64_t)n;
#pragma omp parallel for simd schedule(static) if (len >= NN_OMP_MIN)
  for (int64_t q = 0; q < len; q++) y[q] = act_value(f, a[q]);
}

/* dy [n] (tangent block of y) = f'(a) da, da the tangent block of a */
void nn_act_tangent(tn_real *y, const tn_real *a, size_t n, nn_act f) {
  int64_t len = (int64_t)n;
  const tn_real *da = a + n;
  tn_real *dy = y + n;
#pragma omp parallel for simd schedule(static) if (len >= NN_OMP_MIN)
  for (int64_t q = 0; q < len; q++) dy[q] = act_d1(f, a[q]) * da[q];
}

/* Adjoint of   y = f(a)   and, with tangent,   dy = f'(a) da:
 *   ga += f'(a) gy + f''(a) da gdy,   gda += f'(a) gdy */
void nn_act_backward(tn_real *ga, const tn_real *gy, const tn_real *a, size_t n, nn_act f,
                     int tangent) {
  int64_t len = (int64_t)n;
  if (!tangent) {
#pragma omp parallel for simd schedule(static) if (len >= NN_OMP_MIN)
    for (int64_t q = 0; q < len; q++) ga[q] += act_d1(f, a[q]) * gy[q];
    return;
  }
  const tn_real *da = a + n, *gdy = gy + n;
  tn_real *gda = ga + n;
#pragma omp parallel for simd schedule(static) if (len >= NN_OMP_MIN)
  for (int64_t q = 0; q < len; q++) {
    tn_real d1, d2;
    act_d12(f, a[q], &d1, &d2);
    ga[q] += d1 * gy[q] + d2 * da[q] * gdy[q];
    gda[q] += d1 * gdy[q];
  }
}
