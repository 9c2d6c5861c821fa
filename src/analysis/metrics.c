/* Error metrics: MAE, RMSE, max error and R^2 from running sums. */
#include <math.h>

#include "../core/core.h"

void tn_error_stats_add(tn_error_stats *s, double pred, double ref) {
  TN_ASSERT(s);
  double d = pred - ref, a = fabs(d);
  s->n++;
  s->sum_abs += a;
  s->sum_sq += d * d;
  /* Written so that a NaN error replaces the maximum instead of vanishing. */
  if (!(a <= s->max_abs)) s->max_abs = a;
  /* Welford (1962): the mean moves by delta/n, and M2 gains
   * delta * (ref - new mean), which avoids the cancellation of
   * sum(ref^2) - n mean^2 when |mean| >> spread. */
  double delta = ref - s->ref_mean;
  s->ref_mean += delta / (double)s->n;
  s->ref_m2 += delta * (ref - s->ref_mean);
}

void tn_error_stats_merge(tn_error_stats *into, const tn_error_stats *from) {
  TN_ASSERT(into && from);
  if (from->n == 0) return;
  if (into->n == 0) {
    *into = *from;
    return;
  }
  /* Chan, Golub & LeVeque (1979), pairwise update of mean and M2:
   *   M2 = M2_a + M2_b + delta^2 n_a n_b / n. */
  double na = (double)into->n, nb = (double)from->n, n = na + nb;
  double delta = from->ref_mean - into->ref_mean;
  into->ref_mean += delta * (nb / n);
  into->ref_m2 += from->ref_m2 + delta * delta * (na * nb / n);
  into->n += from->n;
  into->sum_abs += from->sum_abs;
  into->sum_sq += from->sum_sq;
  if (!(from->max_abs <= into->max_abs)) into->max_abs = from->max_abs;
}

double tn_error_stats_mae(const tn_error_stats *s) {
  TN_ASSERT(s);
  return s->n > 0 ? s->sum_abs / (double)s->n : NAN;
}

double tn_error_stats_rmse(const tn_error_stats *s) {
  TN_ASSERT(s);
  return s->n > 0 ? sqrt(s->sum_sq / (double)s->n) : NAN;
}

double tn_error_stats_r2(const tn_error_stats *s) {
  TN_ASSERT(s);
  if (s->n < 2 || s->ref_m2 == 0.0) return NAN;
  return 1.0 - s->sum_sq / s->ref_m2;
}
