/* Exponential and power-law decay fits by weighted least squares in log
 * space (decay.h). */
#include <math.h>

#include "decay.h"

/* Weighted straight line ln y = a + b x over the usable points; x = r or
 * ln r. */
static tn_status fit_line(decay_fit *out, const double *r, const double *y, const double *w,
                          int64_t n, int log_r, const char *what, char *err, size_t err_len) {
  out->amplitude = out->rate = out->r2_log = out->rms_log = NAN;
  out->n_used = 0;
  if (n < 0 || (n > 0 && (!r || !y)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s fit: n = %lld or NULL arrays", what,
                   (long long)n);
  /* two passes: the weighted means, then the centred sums (stable) */
  double sw = 0, sx = 0, sy = 0;
  for (int64_t k = 0; k < n; k++) {
    double wk = w ? w[k] : 1.0;
    if (!(y[k] > 0 && isfinite(y[k]) && isfinite(r[k]) && wk > 0 && isfinite(wk))) continue;
    if (log_r && !(r[k] > 0)) continue;
    double x = log_r ? log(r[k]) : r[k];
    sw += wk;
    sx += wk * x;
    sy += wk * log(y[k]);
    out->n_used++;
  }
  if (out->n_used < 2)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s fit: %lld usable points (y > 0%s), need 2", what, (long long)out->n_used,
                   log_r ? ", r > 0" : "");
  double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0, syy = 0;
  for (int64_t k = 0; k < n; k++) {
    double wk = w ? w[k] : 1.0;
    if (!(y[k] > 0 && isfinite(y[k]) && isfinite(r[k]) && wk > 0 && isfinite(wk))) continue;
    if (log_r && !(r[k] > 0)) continue;
    double dx = (log_r ? log(r[k]) : r[k]) - mx, dy = log(y[k]) - my;
    sxx += wk * dx * dx;
    sxy += wk * dx * dy;
    syy += wk * dy * dy;
  }
  if (!(sxx > 0))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s fit: every usable point has the same r",
                   what);
  double b = sxy / sxx, a = my - b * mx;
  double ss_res = syy - b * sxy; /* Σ w (dy − b dx)² */
  if (ss_res < 0) ss_res = 0;    /* round-off of an exact fit */
  out->amplitude = exp(a);
  out->rate = -b;
  out->r2_log = syy > 0 ? 1.0 - ss_res / syy : NAN;
  out->rms_log = sqrt(ss_res / sw);
  return TN_STATUS_OK;
}

tn_status decay_fit_exp(decay_fit *out, const double *r, const double *y, const double *w,
                        int64_t n, char *err, size_t err_len) {
  return fit_line(out, r, y, w, n, 0, "exponential", err, err_len);
}

tn_status decay_fit_power(decay_fit *out, const double *r, const double *y, const double *w,
                          int64_t n, char *err, size_t err_len) {
  return fit_line(out, r, y, w, n, 1, "power-law", err, err_len);
}
