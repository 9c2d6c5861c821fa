/* How interactions decay with distance: exponential and power-law fits to
 * a curve y(r) > 0 (a binned sensitivity ‖∂E_i/∂R_j‖ or |E2| against r),
 * for `tanne interactions`. Both are straight lines in log space:
 *
 *   exponential  y = A e^{−r/λ}   ⇔  ln y = ln A − r/λ
 *   power law    y = A r^{−p}     ⇔  ln y = ln A − p ln r
 *
 * fitted by weighted least squares of ln y (weights: e.g. the bin counts),
 * so each decade of y counts alike, as it should for quantities spanning
 * several orders of magnitude. */
#ifndef TN_DECAY_H
#define TN_DECAY_H

#include "../core/core.h"

typedef struct decay_fit {
  double amplitude; /* A, in the unit of y */
  double rate;      /* exponential: 1/λ (1/Å); power law: p (dimensionless) */
  double r2_log;    /* R² of ln y: 1 − SS_res/SS_tot, NaN if ln y is constant */
  double rms_log;   /* RMS residual of ln y (a factor e^rms_log typical error) */
  int64_t n_used;   /* points with y > 0, finite, and weight > 0 (and r > 0 for the power law) */
} decay_fit;

/* Fits r [n] (Å), y [n] with weights w [n] (NULL: all 1). Points with
 * y ≤ 0, a non-finite value or weight ≤ 0 are left out (a sensitivity of
 * exactly 0 beyond the range has no logarithm), and for the power law also
 * r ≤ 0. BAD_INPUT when fewer than two points with distinct r remain (the
 * fit is then not defined); INVALID_ARG for n < 0 or NULL arrays. */
tn_status decay_fit_exp(decay_fit *out, const double *r, const double *y, const double *w,
                        int64_t n, char *err, size_t err_len);
tn_status decay_fit_power(decay_fit *out, const double *r, const double *y, const double *w,
                          int64_t n, char *err, size_t err_len);

#endif
