/* Out-of-fold predictions for adversarial validation: one classifier per
 * fold, trained on the other folds' structures, predicting this fold's. */
#include <stdlib.h>
#include <string.h>

#include "classify.h"

/* Fits the classifier of opt->kind on the rows train [n_train] and writes
 * P(B) of the rows test [n_test] into p_b (indexed by item). */
static tn_status cv_fold(double *p_b, int *iterations, const clf_data *data, const uint8_t *is_b,
                         const int64_t *train, int64_t n_train, const int64_t *test, int64_t n_test,
                         const clf_options *opt, char *err, size_t err_len) {
  switch (opt->kind) {
  case CLF_KIND_LOGREG: {
    clf_logreg m;
    tn_status st = clf_logreg_fit(&m, data->x, is_b, data->n_items, data->d, train, n_train, opt,
                                  err, err_len);
    if (st != TN_STATUS_OK) return st;
    for (int64_t r = 0; r < n_test; r++)
      clf_logreg_predict(&m, data->x + test[r] * data->d, 1, NULL, &p_b[test[r]]);
    *iterations = m.iterations;
    clf_logreg_free(&m);
    return TN_STATUS_OK;
  }
  case CLF_KIND_MLP: {
    clf_mlp m;
    tn_status st =
        clf_mlp_fit(&m, data->x, is_b, data->n_items, data->d, train, n_train, opt, err, err_len);
    if (st == TN_STATUS_OK)
      st = clf_mlp_predict(&m, data->x, data->n_items, test, n_test, NULL, p_b, err, err_len);
    *iterations = m.epochs;
    clf_mlp_free(&m);
    return st;
  }
  }
  return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "kind = %d: unknown classifier",
                 (int)opt->kind);
}

/* Fold f of k: lists its training and test items (fold [n] per item) and
 * runs cv_fold, its message in err. */
static tn_status cv_run_fold(double *p_b, int *iterations, const clf_data *data,
                             const uint8_t *is_b, const int *fold, int f, int64_t n_test,
                             const clf_options *opt, char *err, size_t err_len) {
  int64_t n = data->n_items, n_train = 0, n_tested = 0;
  int64_t *train = malloc((size_t)(n - n_test) * sizeof *train);
  int64_t *test = malloc((size_t)n_test * sizeof *test);
  tn_status st;
  if (!train || !test) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  for (int64_t i = 0; i < n; i++) {
    if (fold[i] == f)
      test[n_tested++] = i;
    else
      train[n_train++] = i;
  }
  st = cv_fold(p_b, iterations, data, is_b, train, n_train, test, n_test, opt, err, err_len);
fail: /* also the way out on success */
  free(train);
  free(test);
  return st;
}

tn_status clf_cross_predict(double *p_b, int *iterations, const clf_data *data,
                            const int *fold_of_group, int k, const clf_options *opt, char *err,
                            size_t err_len) {
  if (!p_b || !data || !fold_of_group || !opt || !data->x || !data->group_of_item ||
      !data->group_is_b)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "cross-validation: a NULL argument");
  if (k < 2)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "cross-validation: k = %d: need at least 2 folds", k);
  int64_t n = data->n_items;
  if (n < 1 || data->n_groups < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "cross-validation: n_items = %lld, n_groups = %lld: need items", (long long)n,
                   (long long)data->n_groups);
  if ((uint64_t)n > SIZE_MAX / (2 * sizeof(int64_t)))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "cross-validation: n_items = %lld: too many",
                   (long long)n);
  enum { MSG = 512 };
  tn_status st = TN_STATUS_OK;
  uint8_t *is_b = malloc((size_t)n);
  int *fold = malloc((size_t)n * sizeof *fold), *its = calloc((size_t)k, sizeof *its);
  int64_t *n_test = calloc((size_t)k, sizeof *n_test);
  tn_status *fold_st = calloc((size_t)k, sizeof *fold_st);
  char *msg = calloc((size_t)k, MSG);
  if (!is_b || !fold || !its || !n_test || !fold_st || !msg) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                 "cross-validation: n_items = %lld: out of memory", (long long)n);
    goto fail;
  }
  for (int64_t g = 0; g < data->n_groups; g++)
    if (fold_of_group[g] < 0 || fold_of_group[g] >= k) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "cross-validation: fold_of_group[%lld] = %d: outside [0, %d)", (long long)g,
                   fold_of_group[g], k);
      goto fail;
    }
  for (int64_t i = 0; i < n; i++) {
    int64_t g = data->group_of_item[i];
    if (g < 0 || g >= data->n_groups) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "cross-validation: group_of_item[%lld] = %lld: outside [0, %lld)", (long long)i,
                   (long long)g, (long long)data->n_groups);
      goto fail;
    }
    is_b[i] = data->group_is_b[g];
    fold[i] = fold_of_group[g];
    n_test[fold[i]]++;
  }
  for (int f = 0; f < k; f++)
    if (n_test[f] == 0 || n_test[f] == n) {
      st =
          tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "cross-validation: fold %d of %d: no %s items",
                  f, k, n_test[f] == 0 ? "test" : "training");
      goto fail;
    }
    /* An MLP fit is thousands of small steps; threads inside each step spend
     * more on waking each other than they save (and on a loaded machine far
     * more), so the MLP's folds run side by side, each on one thread (the
     * GEMMs' nested regions stay inactive). Every fold writes only its own
     * items, and its result does not depend on which thread ran it. Newton's
     * few large steps parallelise well inside logreg instead. */
#pragma omp parallel for schedule(dynamic, 1) if (opt->kind == CLF_KIND_MLP)
  for (int f = 0; f < k; f++)
    fold_st[f] =
        cv_run_fold(p_b, &its[f], data, is_b, fold, f, n_test[f], opt, msg + (size_t)f * MSG, MSG);
  for (int f = 0; f < k; f++)
    if (fold_st[f] != TN_STATUS_OK) {
      st = tn_fail(err, err_len, fold_st[f], "cross-validation: fold %d of %d: %s", f, k,
                   msg + (size_t)f * MSG);
      goto fail;
    }
  if (iterations) memcpy(iterations, its, (size_t)k * sizeof *its);
fail: /* also the way out on success */
  free(is_b);
  free(fold);
  free(its);
  free(n_test);
  free(fold_st);
  free(msg);
  return st;
}
