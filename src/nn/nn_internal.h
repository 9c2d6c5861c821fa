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
 * (expf, not exp with two conversions) in the elementwise hot loops. */
#ifdef TN_DOUBLE
static inline tn_real nn_exp(tn_real x) { return exp(x); }
static inline tn_real nn_log1p(tn_real x) { return log1p(x); }
static inline tn_real nn_tanh(tn_real x) { return tanh(x); }
static inline tn_real nn_sqrt(tn_real x) { return sqrt(x); }
#else
static inline tn_real nn_exp(tn_real x) { return expf(x); }
static inline tn_real nn_log1p(tn_real x) { return log1pf(x); }
static inline tn_real nn_tanh(tn_real x) { return tanhf(x); }
static inline tn_real nn_sqrt(tn_real x) { return sqrtf(x); }
#endif

#endif
