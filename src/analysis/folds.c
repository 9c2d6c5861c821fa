/* Grouped, stratified k-fold assignment. Whole groups (structures) go to a
 * fold, so that no structure has atoms in training and test at once: its
 * atoms are strongly correlated, and a classifier could otherwise recognise
 * the structure rather than the data set it comes from. */
#include <string.h>

#include "classify.h"

/* Fisher–Yates shuffle of idx [n] with draws from rng. */
static void folds_shuffle(int64_t *idx, int64_t n, tn_rng *rng) {
  for (int64_t i = n - 1; i > 0; i--) {
    /* The modulo bias is below n/2^64, far below anything a fold sees. */
    int64_t j = (int64_t)(tn_rng_next(rng) % (uint64_t)(i + 1));
    int64_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

tn_status clf_folds(int *fold_of_group, const uint8_t *group_is_b, int64_t n_groups, int k,
                    uint64_t seed, char *err, size_t err_len) {
  if (!fold_of_group || !group_is_b)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "folds: %s is NULL",
                   !fold_of_group ? "fold_of_group" : "group_is_b");
  if (k < 2)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "folds: k = %d: need at least 2 folds", k);
  if (n_groups < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "folds: n_groups = %lld: need groups",
                   (long long)n_groups);
  int64_t count[2] = {0, 0};
  for (int64_t g = 0; g < n_groups; g++) {
    if (group_is_b[g] > 1)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "folds: group_is_b[%lld] = %d: labels are 0 or 1", (long long)g,
                     group_is_b[g]);
    count[group_is_b[g]]++;
  }
  for (int c = 0; c < 2; c++)
    if (count[c] < k)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "folds: data set %c has %lld structures, fewer than the %d folds: every "
                     "fold needs both data sets",
                     c ? 'B' : 'A', (long long)count[c], k);
  if ((uint64_t)n_groups > SIZE_MAX / sizeof(int64_t))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "folds: n_groups = %lld: too many",
                   (long long)n_groups);
  int64_t *idx = malloc((size_t)n_groups * sizeof *idx);
  if (!idx)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "folds: n_groups = %lld: out of memory",
                   (long long)n_groups);
  /* A's groups, then B's, each in ascending order before its shuffle, so the
   * result depends on the labels and the seed only. */
  int64_t start[2] = {0, count[0]}, fill[2] = {0, 0};
  for (int64_t g = 0; g < n_groups; g++) {
    int c = group_is_b[g];
    idx[start[c] + fill[c]++] = g;
  }
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  /* B is dealt from the fold after A's last one, so that the folds short of
   * an A group are the first to get a B group: total counts differ by ≤ 1. */
  int next = 0;
  for (int c = 0; c < 2; c++) {
    folds_shuffle(idx + start[c], count[c], &rng);
    for (int64_t r = 0; r < count[c]; r++) {
      fold_of_group[idx[start[c] + r]] = next;
      next = next + 1 == k ? 0 : next + 1;
    }
  }
  free(idx);
  return TN_STATUS_OK;
}
