/* Elementwise activations with first and second derivatives, the second for
 * the backward pass through a tangent (d/da of f'(a) da).
 *
 * Everything is written in t = exp(-|x|) <= 1, which never overflows, so the
 * values and both derivatives stay finite and accurate for any finite x:
 *   sigmoid(x)     = 1 / (1 + t) for x >= 0, t / (1 + t) for x < 0
 *   1 - sigmoid(x) = sigmoid(-x)
 *   softplus(x)    = max(x, 0) + log1p(t) */
#include <omp.h>
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

/* Each activation gets its own loops, with f a constant, so that they inline
 * to straight-line code the compiler vectorizes (a switch on f inside one
 * loop kept it scalar; so does -ftrapping-math, hence -fno-trapping-math in
 * the Makefile). Each thread of a region takes one contiguous block
 * [lo, hi); every element is computed alone, so the split never changes a
 * result. */
typedef struct act_loops {
  void (*forward)(tn_real *restrict y, const tn_real *restrict a, int64_t lo, int64_t hi);
  void (*tangent)(tn_real *restrict dy, const tn_real *restrict a, const tn_real *restrict da,
                  int64_t lo, int64_t hi);
  void (*backward)(tn_real *restrict ga, const tn_real *restrict gy, const tn_real *restrict a,
                   int64_t lo, int64_t hi);
  /* through primal and tangent: ga and gda as in nn_act_backward */
  void (*backward2)(tn_real *restrict ga, tn_real *restrict gda, const tn_real *restrict gy,
                    const tn_real *restrict gdy, const tn_real *restrict a,
                    const tn_real *restrict da, int64_t lo, int64_t hi);
} act_loops;

#define ACT_LOOPS(name, g)                                                                         \
  static void name##_forward(tn_real *restrict y, const tn_real *restrict a, int64_t lo,           \
                             int64_t hi) {                                                         \
    _Pragma("omp simd") for (int64_t q = lo; q < hi; q++) y[q] = act_value(g, a[q]);               \
  }                                                                                                \
  static void name##_tangent(tn_real *restrict dy, const tn_real *restrict a,                      \
                             const tn_real *restrict da, int64_t lo, int64_t hi) {                 \
    _Pragma("omp simd") for (int64_t q = lo; q < hi; q++) dy[q] = act_d1(g, a[q]) * da[q];         \
  }                                                                                                \
  static void name##_backward(tn_real *restrict ga, const tn_real *restrict gy,                    \
                              const tn_real *restrict a, int64_t lo, int64_t hi) {                 \
    _Pragma("omp simd") for (int64_t q = lo; q < hi; q++) ga[q] += act_d1(g, a[q]) * gy[q];        \
  }                                                                                                \
  static void name##_backward2(tn_real *restrict ga, tn_real *restrict gda,                        \
                               const tn_real *restrict gy, const tn_real *restrict gdy,            \
                               const tn_real *restrict a, const tn_real *restrict da, int64_t lo,  \
                               int64_t hi) {                                                       \
    _Pragma("omp simd") for (int64_t q = lo; q < hi; q++) {                                        \
      tn_real d1, d2;                                                                              \
      act_d12(g, a[q], &d1, &d2);                                                                  \
      ga[q] += d1 * gy[q] + d2 * da[q] * gdy[q];                                                   \
      gda[q] += d1 * gdy[q];                                                                       \
    }                                                                                              \
  }

ACT_LOOPS(identity, NN_ACT_IDENTITY)
ACT_LOOPS(ssp, NN_ACT_SSP)
ACT_LOOPS(silu, NN_ACT_SILU)
ACT_LOOPS(tanh, NN_ACT_TANH)
#undef ACT_LOOPS

/* In the order of nn_act (and act_names). */
static const act_loops loops[] = {
    {identity_forward, identity_tangent, identity_backward, identity_backward2},
    {ssp_forward, ssp_tangent, ssp_backward, ssp_backward2},
    {silu_forward, silu_tangent, silu_backward, silu_backward2},
    {tanh_forward, tanh_tangent, tanh_backward, tanh_backward2},
};

/* This thread's block [*lo, *hi) of [0, len) inside a parallel region. */
static void act_block(int64_t len, int64_t *lo, int64_t *hi) {
  int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
  *lo = len * t / threads;
  *hi = len * (t + 1) / threads;
}

/* y [n] = f(a [n]) */
void nn_act_forward(tn_real *y, const tn_real *a, size_t n, nn_act f) {
  int64_t len = (int64_t)n;
  const act_loops *l = &loops[f];
#pragma omp parallel if (len >= NN_OMP_MIN)
  {
    int64_t lo, hi;
    act_block(len, &lo, &hi);
    l->forward(y, a, lo, hi);
  }
}

/* dy [n] (tangent block of y) = f'(a) da, da the tangent block of a */
void nn_act_tangent(tn_real *y, const tn_real *a, size_t n, nn_act f) {
  int64_t len = (int64_t)n;
  const act_loops *l = &loops[f];
#pragma omp parallel if (len >= NN_OMP_MIN)
  {
    int64_t lo, hi;
    act_block(len, &lo, &hi);
    l->tangent(y + n, a, a + n, lo, hi);
  }
}

/* Adjoint of   y = f(a)   and, with tangent,   dy = f'(a) da:
 *   ga += f'(a) gy + f''(a) da gdy,   gda += f'(a) gdy */
void nn_act_backward(tn_real *ga, const tn_real *gy, const tn_real *a, size_t n, nn_act f,
                     int tangent) {
  int64_t len = (int64_t)n;
  const act_loops *l = &loops[f];
#pragma omp parallel if (len >= NN_OMP_MIN)
  {
    int64_t lo, hi;
    act_block(len, &lo, &hi);
    if (tangent)
      l->backward2(ga, ga + n, gy, gy + n, a, a + n, lo, hi);
    else
      l->backward(ga, gy, a, lo, hi);
  }
}
