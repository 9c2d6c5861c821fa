/* tanne transfer: one model (or an ensemble) on several test sets, with each
 * set's adversarial AUC against the training set and how the error tracks
 * the per-structure score P(B) and the ensemble spread. */
#ifndef TN_CLI_TRANSFER_H
#define TN_CLI_TRANSFER_H

#include "../src/analysis/trend.h"
#include "advval.h"

#define TR_CMD      "tanne transfer"
#define TR_BINS_MAX 20

/* One test set and what the models did on it. Per-structure arrays [n]. */
typedef struct transfer_set {
  const char *path;
  tn_dataset *ds;
  int64_t n;
  double *e_err;  /* (Ê − E)/N, eV/atom; NaN without an energy label */
  double *f_rmse; /* RMSE of the force components, eV/Å; NaN without forces */
  double *e_std;  /* ensemble spread of Ê/N, eV/atom; NaN with one model */
  double *f_std;  /* mean over atoms of the force spread, eV/Å; NaN with one model */
  double *score;  /* adversarial score against the training set (mean log-odds); NaN without */
  /* what a structure is judged by: the F RMSE when the set has forces, else
   * |Ê − E|/N (err, owned); the spread beside it: f_std, else e_std (a view) */
  double *err;
  const double *spread;
  int by_forces;
  /* summary over the set (NaN when the label is absent) */
  double e_mae, e_rmse;       /* eV/atom */
  double f_mae, f_rmse_all;   /* eV/Å, over all components */
  double a_mae, a_mae_offset; /* atomic energies, eV; raw and after per-element offsets */
  int64_t n_energy, n_force_components, n_atomic;
  double auc_struct, auc_struct_std, auc_atom, auc_atom_std; /* NaN without --train */
  int64_t n_shared; /* structures also in the training set (-1 without it) */
  double rho_score_err, rho_spread_err, rho_score_spread; /* Spearman; NaN if not defined */
  int n_bins;
  trend_bin bins[TR_BINS_MAX]; /* the error (F RMSE, else |E error|) by score quantile */
} transfer_set;

/* Evaluates the models (an ensemble mean when more than one) on every
 * frame of s->ds and fills the errors and spreads of s. atomic: the
 * per-atom reference column ("" or NULL: none). Returns 0 after printing
 * why ("file, frame k: ...") on failure. */
int transfer_evaluate(transfer_set *s, tn_model *const *models, const char *const *model_paths,
                      int n_models, const char *atomic);
void transfer_set_free(transfer_set *s);

typedef struct transfer_args {
  const char *const *models; /* [n_models] paths */
  int n_models;
  const char *const *tests; /* [n_tests] paths */
  int n_tests;
  const char *train;                   /* NULL: no AUC or score */
  int train_from_lineage;              /* train is the data file of the model's lineage */
  double control_auc, control_auc_std; /* the classifier's self-split control, per structure */
  const char *atomic;
  const char *out;
  int bins;
  advval_args av; /* classifier settings for the AUC against the training set */
} transfer_args;

/* The output folder: transfer.md (also printed), transfer.csv,
 * structures_K.csv per test set, and the plots. 1 when all were written. */
int transfer_write(const transfer_args *a, transfer_set *sets);

#endif
