/* The files of `tanne advval` besides the report (advval_report.c):
 * structures.csv, environments.csv, A_scored.xyz and B_scored.xyz, roc.svg
 * and split.txt. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advval.h"

static double sigmoid(double t) { return 1.0 / (1.0 + exp(-t)); }

/* rank_in_a[g] = position of A's structure g in r->a_order; NULL if no memory. */
static int64_t *a_ranks(const advval_run *r) {
  int64_t *rank = malloc((size_t)r->feat.n_a * sizeof *rank);
  if (!rank) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    return NULL;
  }
  for (int64_t q = 0; q < r->feat.n_a; q++) rank[r->a_order[q]] = q;
  return rank;
}

int advval_write_structures(const advval_args *a, const advval_run *r) {
  int64_t *rank = a_ranks(r);
  if (!rank) return 0;
  cli_out o;
  FILE *f = cli_out_open(&o, AV_CMD, a->out, "structures.csv");
  if (!f) {
    free(rank);
    return 0;
  }
  /* score: mean log-odds of the atoms; p_b = sigmoid(score); rank_in_a:
   * 0 = the A structure most like B; adv_val: in split.txt's validation set */
  fprintf(f, "set,frame,n_atoms,fold,score,p_b,rank_in_a,adv_val\n");
  const tn_dataset *sets[2] = {r->a, r->b};
  int64_t g = 0;
  for (int s = 0; s < 2; s++)
    for (int64_t fr = 0; fr < sets[s]->n_frames; fr++, g++) {
      fprintf(f, "%s,%lld,%lld,%d,%.9g,%.9g,", s ? "B" : "A", (long long)fr + 1,
              (long long)(sets[s]->atom_start[fr + 1] - sets[s]->atom_start[fr]),
              r->real.fold_of_group[g], r->real.score[g], sigmoid(r->real.score[g]));
      if (s == 0)
        fprintf(f, "%lld,%d\n", (long long)rank[g], rank[g] < r->n_val);
      else
        fprintf(f, ",\n");
    }
  free(rank);
  return cli_out_close(&o, f, !ferror(f));
}

/* Environments by mean P(B), highest first (ties by key). */
static int by_mean_p(const void *pa, const void *pb) {
  const av_env *x = pa, *y = pb;
  if (x->mean_p != y->mean_p) return x->mean_p > y->mean_p ? -1 : 1;
  return strcmp(x->key, y->key);
}

void advval_sort_environments(advval_run *r) {
  qsort(r->envs, (size_t)r->n_envs, sizeof *r->envs, by_mean_p);
}

int advval_write_environments(const advval_args *a, const advval_run *r) {
  cli_out o;
  FILE *f = cli_out_open(&o, AV_CMD, a->out, "environments.csv");
  if (!f) return 0;
  fprintf(f, "environment,element,n_a,n_b,b_share,mean_p_b\n");
  for (int64_t e = 0; e < r->n_envs; e++) {
    const av_env *v = &r->envs[e];
    fprintf(f, "\"%s\",%s,%lld,%lld,%.6f,%.6f\n", v->key, tn_element_symbol(v->z),
            (long long)v->n_a, (long long)v->n_b, (double)v->n_b / (double)(v->n_a + v->n_b),
            v->mean_p);
  }
  return cli_out_close(&o, f, !ferror(f));
}

/* One set's frames with p_b per atom and the structure's score. */
static int write_scored(const advval_args *a, const advval_run *r, int s) {
  const tn_dataset *ds = s ? r->b : r->a;
  const char *name = s ? "B_scored.xyz" : "A_scored.xyz";
  int64_t atom0 = s ? r->feat.n_atoms_a : 0, g0 = s ? r->feat.n_a : 0;
  tn_dataset *res = tn_dataset_create();
  tn_frame_column *cols = malloc((size_t)(ds->n_columns + 3) * sizeof *cols);
  int ok = 0;
  if (!res || !cols) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  for (const char *const *c = (const char *const[]){"p_b", "adv_score", "adv_p_b", NULL}; *c; c++)
    if (tn_dataset_column(ds, *c)) {
      fprintf(stderr, AV_CMD ": %s: the input already has a column '%s'; not writing %s\n",
              s ? a->path_b : a->path_a, *c, name);
      goto done;
    }
  for (int64_t fr = 0; fr < ds->n_frames; fr++) {
    tn_frame frame;
    tn_dataset_frame(ds, fr, &frame);
    int nc = cli_frame_columns(cols, ds, fr, NULL);
    double score = r->real.score[g0 + fr], p = sigmoid(score);
    const double *pb = r->real.p_b + atom0 + ds->atom_start[fr];
    cols[nc++] = (tn_frame_column){"p_b", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, pb, NULL};
    cols[nc++] =
        (tn_frame_column){"adv_score", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &score, NULL};
    cols[nc++] =
        (tn_frame_column){"adv_p_b", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &p, NULL};
    frame.n_columns = nc;
    frame.columns = cols;
    if (tn_dataset_append(res, &frame) != TN_STATUS_OK) {
      fprintf(stderr, AV_CMD ": %s, frame %lld: %s\n", s ? a->path_b : a->path_a, (long long)fr + 1,
              tn_dataset_errmsg(res));
      goto done;
    }
  }
  size_t len = strlen(a->out) + strlen(name) + 2;
  char *path = malloc(len);
  if (!path) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  snprintf(path, len, "%s/%s", a->out, name);
  if (tn_dataset_write_extxyz(res, path) != TN_STATUS_OK)
    fprintf(stderr, AV_CMD ": %s\n", tn_dataset_errmsg(res));
  else {
    fprintf(stderr, AV_CMD ": wrote %s\n", path);
    ok = 1;
  }
  free(path);
done:
  tn_dataset_free(res);
  free(cols);
  return ok;
}

int advval_write_scored_xyz(const advval_args *a, const advval_run *r) {
  return write_scored(a, r, 0) && write_scored(a, r, 1);
}

/* Drops the points of a ROC curve that lie within 1/500 (in both rates) of
 * the last point kept, keeping the first and the last: a curve of 90,000
 * points draws the same at a fiftieth of the file size. The area is not
 * recomputed (roc->auc stays the exact one). */
static void roc_thin(clf_roc *roc) {
  int64_t kept = 1;
  for (int64_t j = 1; j < roc->n_points; j++) {
    double dx = fabs(roc->fpr[j] - roc->fpr[kept - 1]), dy = fabs(roc->tpr[j] - roc->tpr[kept - 1]);
    if (j < roc->n_points - 1 && dx < 0.002 && dy < 0.002) continue;
    roc->fpr[kept] = roc->fpr[j];
    roc->tpr[kept] = roc->tpr[j];
    roc->threshold[kept] = roc->threshold[j];
    kept++;
  }
  roc->n_points = kept;
}

int advval_write_roc(const advval_args *a, const advval_run *r) {
  clf_roc roc[3];
  memset(roc, 0, sizeof roc);
  uint8_t *y = malloc((size_t)r->feat.n_atoms);
  char why[512];
  int ok = 0, n = 0;
  if (!y) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  for (int64_t i = 0; i < r->feat.n_atoms; i++) y[i] = r->feat.group_is_b[r->feat.group_of_item[i]];
  tn_status st = clf_roc_make(&roc[n++], r->real.score, r->feat.group_is_b, NULL, r->feat.n_groups,
                              why, sizeof why);
  if (st == TN_STATUS_OK)
    st = clf_roc_make(&roc[n++], r->real.p_b, y, NULL, r->feat.n_atoms, why, sizeof why);
  if (st == TN_STATUS_OK && r->control.k)
    st = clf_roc_make(&roc[n++], r->control.score, r->control_is_b, NULL, r->feat.n_a, why,
                      sizeof why);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, AV_CMD ": ROC curve: %s\n", why);
    goto done;
  }
  for (int k = 0; k < n; k++) roc_thin(&roc[k]);
  char label[3][96];
  snprintf(label[0], sizeof label[0], "structures (AUC %.3f)", roc[0].auc);
  snprintf(label[1], sizeof label[1], "atoms (AUC %.3f)", roc[1].auc);
  snprintf(label[2], sizeof label[2], "control A vs A, structures (AUC %.3f)", roc[2].auc);
  static const double diag[2] = {0.0, 1.0};
  tn_plot_series series[4];
  for (int k = 0; k < n; k++)
    series[k] =
        (tn_plot_series){label[k], roc[k].fpr, roc[k].tpr, NULL, roc[k].n_points, TN_PLOT_LINE};
  series[n] = (tn_plot_series){"chance", diag, diag, NULL, 2, TN_PLOT_LINE};
  tn_plot plot = {"Adversarial validation: A vs B",
                  "false positive rate (A called B)",
                  "true positive rate (B called B)",
                  0,
                  0,
                  1,
                  n + 1,
                  series};
  ok = cli_out_plot(AV_CMD, a->out, "roc.svg", &plot);
done:
  for (int k = 0; k < 3; k++) clf_roc_free(&roc[k]);
  free(y);
  return ok;
}

static int by_index(const void *pa, const void *pb) {
  int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
  return (x > y) - (x < y);
}

int advval_write_split(const advval_args *a, const advval_run *r) {
  int64_t n = r->feat.n_a;
  int64_t *idx = malloc((size_t)n * sizeof *idx);
  if (!idx) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    return 0;
  }
  /* val: the n_val most B-like frames; train: the rest; both ascending */
  memcpy(idx, r->a_order + r->n_val, (size_t)(n - r->n_val) * sizeof *idx);
  memcpy(idx + (n - r->n_val), r->a_order, (size_t)r->n_val * sizeof *idx);
  qsort(idx, (size_t)(n - r->n_val), sizeof *idx, by_index);
  qsort(idx + (n - r->n_val), (size_t)r->n_val, sizeof *idx, by_index);
  tn_split split = {n, a->seed, n - r->n_val, r->n_val, 0, idx, idx + (n - r->n_val), idx + n};
  size_t len = strlen(a->out) + 16;
  char *path = malloc(len), why[512];
  int ok = 0;
  if (path) {
    snprintf(path, len, "%s/split.txt", a->out);
    if (tn_split_save(&split, path, why, sizeof why) != TN_STATUS_OK)
      fprintf(stderr, AV_CMD ": %s\n", why);
    else {
      fprintf(stderr, AV_CMD ": wrote %s\n", path);
      ok = 1;
    }
  } else
    fprintf(stderr, AV_CMD ": out of memory\n");
  free(path);
  free(idx);
  return ok;
}
