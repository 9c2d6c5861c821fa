/* The output folder of `tanne advval`: structures.csv, environments.csv,
 * A_scored.xyz and B_scored.xyz, roc.svg, split.txt and report.md. */
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

int advval_element_aucs(advval_run *r) {
  const av_features *f = &r->feat;
  double *p = malloc((size_t)f->n_atoms * sizeof *p);
  uint8_t *y = malloc((size_t)f->n_atoms);
  if (!p || !y) {
    free(p);
    free(y);
    fprintf(stderr, AV_CMD ": out of memory\n");
    return 0;
  }
  r->n_elements = 0;
  for (int64_t i = 0; i < f->n_atoms; i++) {
    int k = 0;
    while (k < r->n_elements && r->elements[k].z != f->z[i]) k++;
    if (k == r->n_elements) { /* at most 16 elements: the features allow no more */
      r->elements[k] = (advval_element){.z = f->z[i]};
      r->n_elements++;
    }
  }
  for (int k = 0; k < r->n_elements; k++) {
    advval_element *e = &r->elements[k];
    int64_t n = 0;
    double sa = 0, sb = 0;
    for (int64_t i = 0; i < f->n_atoms; i++) {
      if (f->z[i] != e->z) continue;
      int b = f->group_is_b[f->group_of_item[i]];
      p[n] = r->real.p_b[i];
      y[n++] = (uint8_t)b;
      *(b ? &sb : &sa) += r->real.p_b[i];
      *(b ? &e->n_b : &e->n_a) += 1;
    }
    e->mean_p_a = e->n_a ? sa / (double)e->n_a : NAN;
    e->mean_p_b = e->n_b ? sb / (double)e->n_b : NAN;
    e->auc = NAN;
    char why[256];
    if (e->n_a && e->n_b && clf_auc(&e->auc, p, y, NULL, n, why, sizeof why) != TN_STATUS_OK)
      e->auc = NAN;
  }
  free(p);
  free(y);
  return 1;
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
  size_t len = strlen(a->out) + 16;
  char *path = malloc(len);
  if (!path) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  snprintf(path, len, "%s/roc.svg", a->out);
  if (tn_plot_write_svg(&plot, path, why, sizeof why) != TN_STATUS_OK)
    fprintf(stderr, AV_CMD ": %s\n", why);
  else {
    fprintf(stderr, AV_CMD ": wrote %s\n", path);
    ok = 1;
  }
  free(path);
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

/* ------------------------------------------------------------ report.md */

static const char *verdict(double auc) {
  if (auc < 0.6) return "hard to tell apart";
  if (auc < 0.8) return "partly distinguishable";
  if (auc < 0.95) return "largely distinguishable";
  return "practically separable";
}

/* The environments with at least min_env atoms, from the most B-like
 * (dir = +1) or the most A-like (dir = −1); at most max rows. envs is
 * sorted by mean P(B). */
static void env_table(FILE *f, const advval_run *r, int64_t min_env, int dir, int64_t max) {
  fprintf(f, "| environment | atoms in A | atoms in B | B share | mean P(B) |\n"
             "|---|---:|---:|---:|---:|\n");
  int64_t shown = 0;
  for (int64_t q = 0; q < r->n_envs && shown < max; q++) {
    const av_env *v = &r->envs[dir > 0 ? q : r->n_envs - 1 - q];
    if (v->n_a + v->n_b < min_env) continue;
    fprintf(f, "| %s | %lld | %lld | %.3f | %.3f |\n", v->key, (long long)v->n_a, (long long)v->n_b,
            (double)v->n_b / (double)(v->n_a + v->n_b), v->mean_p);
    shown++;
  }
}

static void env_section(FILE *f, const advval_args *a, const advval_run *r, int64_t nb_atoms) {
  int64_t listed = 0, rare_a = 0, rare_b = 0;
  for (int64_t q = 0; q < r->n_envs; q++) {
    const av_env *v = &r->envs[q];
    if (v->n_a + v->n_b >= a->min_env)
      listed++;
    else
      rare_a += v->n_a, rare_b += v->n_b;
  }
  fprintf(f,
          "\n## Environments\n\nLocal environments: the element and its %s, with at least "
          "%lld atoms, by the mean out-of-fold P(B) of their atoms (B holds %.3f of all "
          "atoms). %lld kinds in all; %lld atoms of A and %lld of B sit in rarer ones. "
          "Every kind: environments.csv.\n\n",
          a->env_cutoff > 0.0 ? "neighbours within the env cutoff" : "covalently bonded neighbours",
          (long long)a->min_env, (double)nb_atoms / (double)r->feat.n_atoms, (long long)r->n_envs,
          (long long)rare_a, (long long)rare_b);
  if (listed <= 20) {
    env_table(f, r, a->min_env, +1, listed);
    return;
  }
  fprintf(f, "Most B-like:\n\n");
  env_table(f, r, a->min_env, +1, 10);
  fprintf(f, "\nMost A-like:\n\n");
  env_table(f, r, a->min_env, -1, 10);
}

static void write_report(FILE *f, const advval_args *a, const advval_run *r) {
  const av_result *R = &r->real, *C = &r->control;
  int64_t nb_atoms = r->feat.n_atoms - r->feat.n_atoms_a;
  fprintf(f, "# Adversarial validation: A vs B\n\n");
  fprintf(f, "- A: %s (%lld structures, %lld atoms)\n", a->path_a, (long long)r->feat.n_a,
          (long long)r->feat.n_atoms_a);
  fprintf(f, "- B: %s (%lld structures, %lld atoms)\n", a->path_b,
          (long long)(r->feat.n_groups - r->feat.n_a), (long long)nb_atoms);
  if (a->model)
    fprintf(f, "- Features: the atom representations of %s (%d per atom)\n", a->model, r->feat.d);
  else
    fprintf(f,
            "- Features: ACSF, cutoff %g Å, %d radial per neighbour element, %d angular per "
            "element pair, and the element one-hot (%d per atom)\n",
            a->cutoff, a->radial, a->angular, r->feat.d);
  fprintf(f,
          "- Classifier: %s, L2 %g; %d-fold cross-validation grouped by structure and "
          "stratified by set, seed %llu. Classes are weighted equally.\n\n",
          a->classifier, a->opt.l2, a->folds, (unsigned long long)a->seed);
  fprintf(f, "ROC AUC, mean ± std over the %d folds (pooled out-of-fold AUC in brackets):\n\n",
          a->folds);
  fprintf(f, "| | per atom | per structure |\n|---|---:|---:|\n");
  fprintf(f, "| **A vs B** | %.3f ± %.3f (%.3f) | %.3f ± %.3f (%.3f) |\n", R->auc_atom,
          R->auc_atom_std, R->pooled_atom, R->auc_struct, R->auc_struct_std, R->pooled_struct);
  if (C->k)
    fprintf(f, "| control: A vs A, random halves | %.3f ± %.3f (%.3f) | %.3f ± %.3f (%.3f) |\n",
            C->auc_atom, C->auc_atom_std, C->pooled_atom, C->auc_struct, C->auc_struct_std,
            C->pooled_struct);
  else
    fprintf(f, "| control: A vs A | %s | |\n", r->control_note);
  fprintf(f,
          "\nPer structure, A and B are **%s** (AUC %.3f; 0.5 = indistinguishable, 1 = "
          "separable).",
          verdict(R->auc_struct), R->auc_struct);
  if (C->k) {
    double off = fabs(C->auc_struct - 0.5), tol = 0.05 + 2.0 * C->auc_struct_std;
    if (off > tol)
      fprintf(f,
              " **Warning:** the control is %.3f away from 0.5: the classifier finds "
              "differences within A that are not there, so read the AUC above with care.",
              off);
    else
      fprintf(f, " The control is within %.3f of 0.5, as it should be.", off);
  }
  if (r->n_shared)
    fprintf(f,
            "\n\n**Shared structures:** %lld of B's %lld structures also occur in A. In "
            "cross-validation each one's twin, labelled the other way, sits in the training "
            "folds, which pulls the AUC towards or below 0.5.",
            (long long)r->n_shared, (long long)(r->feat.n_groups - r->feat.n_a));
  else if (R->auc_struct < 0.45)
    fprintf(f, "\n\nAn AUC below 0.5 means the classifier is consistently wrong, as it is when "
               "the two sets hold near-copies of each other's structures.");
  fprintf(f, "\n\n## Per element\n\nHow well the atoms of each element alone are told "
             "apart (their out-of-fold P(B)):\n\n| element | atoms in A | atoms in B | AUC | "
             "mean P(B) in A | mean P(B) in B |\n|---|---:|---:|---:|---:|---:|\n");
  for (int k = 0; k < r->n_elements; k++) {
    const advval_element *e = &r->elements[k];
    fprintf(f, "| %s | %lld | %lld | %.3f | %.3f | %.3f |\n", tn_element_symbol(e->z),
            (long long)e->n_a, (long long)e->n_b, e->auc, e->mean_p_a, e->mean_p_b);
  }
  env_section(f, a, r, nb_atoms);
  double sv = 0.0, sr = 0.0;
  for (int64_t q = 0; q < r->feat.n_a; q++)
    *(q < r->n_val ? &sv : &sr) += r->real.score[r->a_order[q]];
  fprintf(f,
          "\n## Adversarial validation split\n\nsplit.txt: the %lld A structures most like B "
          "(%.0f %%, score ≥ %.3g) validate, the other %lld train. Mean score (log-odds of B): "
          "%.3f in the validation set, %.3f in the training set. Train on A with "
          "`data.train: %s` and `data.split: %s/split.txt`, so that early stopping and model "
          "choice favour what transfers to B.\n",
          (long long)r->n_val, 100.0 * a->val_fraction,
          r->real.score[r->a_order[r->n_val > 0 ? r->n_val - 1 : 0]],
          (long long)(r->feat.n_a - r->n_val), r->n_val ? sv / (double)r->n_val : NAN,
          sr / (double)(r->feat.n_a - r->n_val), a->path_a, a->out);
  fprintf(f, "\n## Files\n\nroc.svg, structures.csv, environments.csv, A_scored.xyz and "
             "B_scored.xyz (per-atom column p_b, info adv_score and adv_p_b), split.txt.\n");
  fprintf(f, "\nTime: features %.1f s, classifier %.1f s, control %.1f s.\n\nCommand: `",
          r->seconds_features, r->seconds_real, r->seconds_control);
  fprintf(f, "%s`\n", cli_command_line());
}

int advval_write_report(const advval_args *a, const advval_run *r) {
  cli_out o;
  FILE *f = cli_out_open(&o, AV_CMD, a->out, "report.md");
  if (!f) return 0;
  write_report(f, a, r);
  write_report(stdout, a, r);
  return cli_out_close(&o, f, !ferror(f));
}
