/* The summary of `tanne advval`: report.md (printed too), with the AUCs
 * beside the control, per element, per local environment, and the
 * adversarial validation split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "advval.h"

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
