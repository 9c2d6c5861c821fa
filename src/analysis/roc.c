/* ROC curves and the AUC by rank sums (Mann & Whitney, Ann. Math. Stat. 18,
 * 50 (1947); Hanley & McNeil, Radiology 143, 29 (1982)):
 *
 *   AUC = Σ_{a∈A} Σ_{b∈B} w_a w_b [s_b > s_a] + ½ [s_b = s_a]  /  (W_A W_B).
 *
 * Sorting the scores once and walking the groups of tied scores from the
 * lowest up gives, for each group g, its A and B weights a_g, b_g and the A
 * weight below it, A_<g; the pair sum is Σ_g b_g (A_<g + a_g/2). With unit
 * weights every term is an integer or half-integer, so the sum is exact. */
#include <math.h>
#include <string.h>

#include "classify.h"

typedef struct roc_item {
  double score;
  double weight;
  uint8_t is_b;
} roc_item;

/* Ascending score; ties by label, then weight, so that the order, and with
 * it every sum, does not depend on how qsort breaks ties. */
static int roc_item_cmp(const void *pa, const void *pb) {
  const roc_item *a = pa, *b = pb;
  if (a->score != b->score) return a->score < b->score ? -1 : 1;
  if (a->is_b != b->is_b) return a->is_b < b->is_b ? -1 : 1;
  if (a->weight != b->weight) return a->weight < b->weight ? -1 : 1;
  return 0;
}

/* Checks the inputs and returns them sorted in *out (caller frees), with the
 * class weight totals. */
static tn_status roc_sorted(roc_item **out, double *w_a, double *w_b, const double *score,
                            const uint8_t *is_b, const double *weight, int64_t n, const char *who,
                            char *err, size_t err_len) {
  *out = NULL;
  if (n < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: n = %lld: need at least one score",
                   who, (long long)n);
  if (!score || !is_b)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: %s is NULL", who,
                   !score ? "score" : "is_b");
  /* Sized before reading, so an absurd n fails here and not in the loop. */
  if ((uint64_t)n > SIZE_MAX / sizeof(roc_item))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: n = %lld: too many scores", who,
                   (long long)n);
  roc_item *it = malloc((size_t)n * sizeof *it);
  if (!it)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: n = %lld: out of memory", who,
                   (long long)n);
  double sum_a = 0, sum_b = 0;
  tn_status st = TN_STATUS_OK;
  for (int64_t i = 0; i < n; i++) {
    double w = weight ? weight[i] : 1.0;
    if (is_b[i] > 1) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: is_b[%lld] = %d: labels are 0 or 1",
                   who, (long long)i, is_b[i]);
      goto fail;
    }
    if (isnan(score[i])) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: score[%lld] is NaN", who, (long long)i);
      goto fail;
    }
    if (!(isfinite(w) && w >= 0)) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: weight[%lld] = %g: weights are finite and >= 0", who, (long long)i, w);
      goto fail;
    }
    it[i] = (roc_item){score[i], w, is_b[i]};
    if (is_b[i])
      sum_b += w;
    else
      sum_a += w;
  }
  if (!(sum_a > 0) || !(sum_b > 0)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "%s: class %s has no items (or zero weight): the AUC needs both A and B", who,
                 sum_a > 0 ? "B" : "A");
    goto fail;
  }
  qsort(it, (size_t)n, sizeof *it, roc_item_cmp);
  *out = it;
  *w_a = sum_a;
  *w_b = sum_b;
  return TN_STATUS_OK;
fail:
  free(it);
  return st;
}

/* The pair sum Σ_g b_g (A_<g + a_g/2) over the groups of tied scores. */
static double roc_pair_sum(const roc_item *it, int64_t n) {
  double below_a = 0, pairs = 0;
  for (int64_t lo = 0, hi; lo < n; lo = hi) {
    double a = 0, b = 0;
    for (hi = lo; hi < n && it[hi].score == it[lo].score; hi++) {
      if (it[hi].is_b)
        b += it[hi].weight;
      else
        a += it[hi].weight;
    }
    pairs += b * (below_a + 0.5 * a);
    below_a += a;
  }
  return pairs;
}

tn_status clf_auc(double *auc, const double *score, const uint8_t *is_b, const double *weight,
                  int64_t n, char *err, size_t err_len) {
  TN_ASSERT(auc);
  *auc = NAN;
  roc_item *it;
  double w_a, w_b;
  tn_status st = roc_sorted(&it, &w_a, &w_b, score, is_b, weight, n, "auc", err, err_len);
  if (st != TN_STATUS_OK) return st;
  *auc = roc_pair_sum(it, n) / (w_a * w_b);
  free(it);
  return TN_STATUS_OK;
}

void clf_roc_free(clf_roc *roc) {
  if (!roc) return;
  free(roc->fpr);
  free(roc->tpr);
  free(roc->threshold);
  memset(roc, 0, sizeof *roc);
}

tn_status clf_roc_make(clf_roc *roc, const double *score, const uint8_t *is_b, const double *weight,
                       int64_t n, char *err, size_t err_len) {
  TN_ASSERT(roc);
  memset(roc, 0, sizeof *roc);
  roc->auc = NAN;
  roc_item *it;
  double w_a, w_b;
  tn_status st = roc_sorted(&it, &w_a, &w_b, score, is_b, weight, n, "roc", err, err_len);
  if (st != TN_STATUS_OK) return st;
  int64_t distinct = 1;
  for (int64_t i = 1; i < n; i++) distinct += it[i].score != it[i - 1].score;
  size_t bytes = (size_t)(distinct + 1) * sizeof(double);
  roc->fpr = malloc(bytes);
  roc->tpr = malloc(bytes);
  roc->threshold = malloc(bytes);
  if (!roc->fpr || !roc->tpr || !roc->threshold) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "roc: %lld points: out of memory",
                 (long long)(distinct + 1));
    goto fail;
  }
  /* Walk from the highest score down: lowering the threshold past a group
   * of ties calls all of it B at once. */
  roc->fpr[0] = roc->tpr[0] = 0;
  roc->threshold[0] = INFINITY;
  double cum_a = 0, cum_b = 0;
  int64_t j = 0;
  for (int64_t hi = n, lo; hi > 0; hi = lo) {
    for (lo = hi - 1; lo > 0 && it[lo - 1].score == it[hi - 1].score; lo--) {
    }
    for (int64_t i = lo; i < hi; i++) {
      if (it[i].is_b)
        cum_b += it[i].weight;
      else
        cum_a += it[i].weight;
    }
    j++;
    roc->threshold[j] = it[lo].score;
    roc->fpr[j] = cum_a / w_a;
    roc->tpr[j] = cum_b / w_b;
  }
  TN_ASSERT(j == distinct);
  /* Rounding of the running sums must not leave the last point short of
   * (1, 1): every item is called B there. */
  roc->fpr[j] = roc->tpr[j] = 1;
  roc->n_points = distinct + 1;
  roc->auc = roc_pair_sum(it, n) / (w_a * w_b);
  free(it);
  return TN_STATUS_OK;
fail:
  free(it);
  clf_roc_free(roc);
  return st;
}
