/* Per-structure adversarial-validation scores from per-atom P(B): the mean
 * of the atoms' log-odds (why the mean of log-odds: classify.h). */
#include <math.h>
#include <string.h>

#include "classify.h"

/* ln 10^12: the log-odds of p = 1e-12 against 1, the clamp on each atom */
#define AGG_MAX_LOG_ODDS 27.631021115928547

tn_status clf_group_scores(double *score, const double *p_b, const int64_t *group_of_item,
                           int64_t n_items, int64_t n_groups, char *err, size_t err_len) {
  if (!score || (n_items > 0 && (!p_b || !group_of_item)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "group scores: %s is NULL",
                   !score ? "score"
                   : !p_b ? "p_b"
                          : "group_of_item");
  if (n_groups < 1 || n_items < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "group scores: n_groups = %lld, n_items = %lld: need groups",
                   (long long)n_groups, (long long)n_items);
  if ((uint64_t)n_groups > SIZE_MAX / sizeof(int64_t))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "group scores: n_groups = %lld: too many",
                   (long long)n_groups);
  int64_t *count = calloc((size_t)n_groups, sizeof *count);
  if (!count)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                   "group scores: n_groups = %lld: out of memory", (long long)n_groups);
  tn_status st = TN_STATUS_OK;
  for (int64_t g = 0; g < n_groups; g++) score[g] = 0;
  for (int64_t i = 0; i < n_items; i++) {
    int64_t g = group_of_item[i];
    if (g < 0 || g >= n_groups) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "group scores: group_of_item[%lld] = %lld: outside [0, %lld)", (long long)i,
                   (long long)g, (long long)n_groups);
      goto fail;
    }
    double p = p_b[i];
    if (!(p >= 0 && p <= 1)) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "group scores: p_b[%lld] = %g: probabilities lie in [0, 1]", (long long)i, p);
      goto fail;
    }
    /* ln p − ln(1 − p) keeps the digits of a small p; p = 0 or 1 gives
     * ∓inf, which the clamp turns into ∓ln 10^12. */
    double t = log(p) - log1p(-p);
    score[g] += fmin(fmax(t, -AGG_MAX_LOG_ODDS), AGG_MAX_LOG_ODDS);
    count[g]++;
  }
  for (int64_t g = 0; g < n_groups; g++)
    if (count[g] > 0) score[g] /= (double)count[g];
fail: /* also the way out on success */
  free(count);
  return st;
}
