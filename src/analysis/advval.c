/* Cross-validated adversarial validation: folds, out-of-fold P(B), the
 * per-structure scores and the AUCs per fold; the control labels and the
 * ranking behind the adversarial validation split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advval.h"

void av_result_free(av_result *r) {
  free(r->fold_of_group);
  free(r->p_b);
  free(r->score);
  free(r->fold_auc);
  free(r->iterations);
  memset(r, 0, sizeof *r);
}

/* Mean and sample standard deviation of v[0], v[stride], ... (n values;
 * std 0 for n = 1). */
static void mean_std(const double *v, int n, int stride, double *mean, double *std) {
  double s = 0.0, q = 0.0;
  for (int i = 0; i < n; i++) s += v[i * stride];
  *mean = s / n;
  for (int i = 0; i < n; i++) q += (v[i * stride] - *mean) * (v[i * stride] - *mean);
  *std = n > 1 ? sqrt(q / (n - 1)) : 0.0;
}

/* The AUCs of fold f: its atoms' P(B) and its structures' scores. The
 * scratch arrays hold n_items and n_groups entries. */
static tn_status fold_aucs(double *auc_atom, double *auc_struct, const av_result *r,
                           const clf_data *data, int f, double *s, uint8_t *y, char *err,
                           size_t err_len) {
  int64_t n = 0;
  for (int64_t i = 0; i < data->n_items; i++) {
    int64_t g = data->group_of_item[i];
    if (r->fold_of_group[g] != f) continue;
    s[n] = r->p_b[i];
    y[n++] = data->group_is_b[g];
  }
  tn_status st = clf_auc(auc_atom, s, y, NULL, n, err, err_len);
  if (st != TN_STATUS_OK) return st;
  n = 0;
  for (int64_t g = 0; g < data->n_groups; g++) {
    if (r->fold_of_group[g] != f) continue;
    s[n] = r->score[g];
    y[n++] = data->group_is_b[g];
  }
  return clf_auc(auc_struct, s, y, NULL, n, err, err_len);
}

tn_status av_run(av_result *r, const clf_data *data, int k, uint64_t seed, const clf_options *opt,
                 char *err, size_t err_len) {
  memset(r, 0, sizeof *r);
  if (!data || !opt || k < 2 || data->n_items < 1 || data->n_groups < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "adversarial validation: need data, options and k >= 2 folds");
  r->k = k;
  size_t ni = (size_t)data->n_items, ng = (size_t)data->n_groups;
  double *s = malloc((ni > ng ? ni : ng) * sizeof *s);
  uint8_t *y = malloc(ni > ng ? ni : ng);
  r->fold_of_group = malloc(ng * sizeof *r->fold_of_group);
  r->p_b = malloc(ni * sizeof *r->p_b);
  r->score = malloc(ng * sizeof *r->score);
  r->fold_auc = malloc(2 * (size_t)k * sizeof *r->fold_auc);
  r->iterations = calloc((size_t)k, sizeof *r->iterations);
  tn_status st = TN_STATUS_OK;
  if (!s || !y || !r->fold_of_group || !r->p_b || !r->score || !r->fold_auc || !r->iterations) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "adversarial validation: out of memory");
    goto done;
  }
  st = clf_folds(r->fold_of_group, data->group_is_b, data->n_groups, k, seed, err, err_len);
  if (st != TN_STATUS_OK) goto done;
  st = clf_cross_predict(r->p_b, r->iterations, data, r->fold_of_group, k, opt, err, err_len);
  if (st != TN_STATUS_OK) goto done;
  st = clf_group_scores(r->score, r->p_b, data->group_of_item, data->n_items, data->n_groups, err,
                        err_len);
  if (st != TN_STATUS_OK) goto done;
  for (int f = 0; f < k; f++) {
    st = fold_aucs(&r->fold_auc[2 * f], &r->fold_auc[2 * f + 1], r, data, f, s, y, err, err_len);
    if (st != TN_STATUS_OK) goto done;
  }
  mean_std(r->fold_auc, k, 2, &r->auc_atom, &r->auc_atom_std);
  mean_std(r->fold_auc + 1, k, 2, &r->auc_struct, &r->auc_struct_std);
  for (int64_t i = 0; i < data->n_items; i++) y[i] = data->group_is_b[data->group_of_item[i]];
  st = clf_auc(&r->pooled_atom, r->p_b, y, NULL, data->n_items, err, err_len);
  if (st != TN_STATUS_OK) goto done;
  st = clf_auc(&r->pooled_struct, r->score, data->group_is_b, NULL, data->n_groups, err, err_len);
done:
  free(s);
  free(y);
  return st;
}

void av_control_labels(uint8_t *is_b, int64_t n, uint64_t seed) {
  for (int64_t i = 0; i < n; i++) is_b[i] = (uint8_t)(i >= n / 2);
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int64_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
    int64_t j = (int64_t)(tn_rng_next(&rng) % (uint64_t)(i + 1));
    uint8_t t = is_b[i];
    is_b[i] = is_b[j];
    is_b[j] = t;
  }
}

typedef struct ranked {
  double score;
  int64_t index;
} ranked;

static int by_score_desc(const void *pa, const void *pb) {
  const ranked *a = pa, *b = pb;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

tn_status av_rank(int64_t *order, const double *score, int64_t n, char *err, size_t err_len) {
  ranked *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
  if (!r)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "ranking %lld scores: out of memory",
                   (long long)n);
  for (int64_t i = 0; i < n; i++) r[i] = (ranked){score[i], i};
  qsort(r, (size_t)n, sizeof *r, by_score_desc);
  for (int64_t i = 0; i < n; i++) order[i] = r[i].index;
  free(r);
  return TN_STATUS_OK;
}
