/* tanne advval: the command (cmd_advval.c) and its outputs
 * (advval_output.c). */
#ifndef TN_CLI_ADVVAL_H
#define TN_CLI_ADVVAL_H

#include "../src/analysis/advval.h"
#include "cli.h"

#define AV_CMD "tanne advval"

typedef struct advval_args {
  const char *path_a, *path_b; /* the two data files */
  const char *model;           /* features from this model; NULL: ACSF */
  const char *out;             /* output folder */
  double cutoff;               /* ACSF cutoff, Å */
  int radial, angular;         /* ACSF functions per element / element pair */
  clf_options opt;
  const char *classifier; /* "logreg" | "mlp", for the report */
  int folds;
  uint64_t seed;
  double env_cutoff;   /* Å; 0: covalent bonds */
  double val_fraction; /* of A's frames in the adversarial validation split */
  int control;         /* run the self-split control */
  int64_t min_env;     /* atoms an environment needs to be listed in the report */
} advval_args;

/* The atoms of one element: how well the classifier tells them apart. */
typedef struct advval_element {
  int32_t z;
  int64_t n_a, n_b;
  double auc;                /* of the element's atoms' out-of-fold P(B); NaN if one set lacks it */
  double mean_p_a, mean_p_b; /* mean P(B) of its atoms in A and in B */
} advval_element;

/* Everything one run computed. */
typedef struct advval_run {
  tn_dataset *a, *b;
  av_features feat;
  av_result real;
  av_result control;      /* A against itself; k = 0 when not run */
  uint8_t *control_is_b;  /* [n_a] the control's labels */
  char control_note[256]; /* why the control was not run, if so */
  av_env *envs;
  int64_t n_envs;
  int64_t *a_order; /* [n_a] A's frames, most B-like first */
  int64_t n_val;    /* the head of a_order that is the validation set */
  int64_t n_shared; /* B's structures that also occur in A */
  advval_element elements[16];
  int n_elements;
  double seconds_features, seconds_real, seconds_control;
} advval_run;

/* The defaults of every option (ACSF, logreg, 5 folds, seed 1, control). */
void advval_defaults(advval_args *p);

/* Features of r->a and r->b (read by the caller), the cross-validated
 * classifier, and the control when p->control. Progress lines on stderr
 * start with label. Returns 0 after printing why on failure. */
int advval_compute(const advval_args *p, advval_run *r, const char *label);
/* Frees what r holds, the data sets included. */
void advval_run_free(advval_run *r);

/* Fills r->elements from the atoms' out-of-fold P(B). 0 after printing
 * why (out of memory). */
int advval_element_aucs(advval_run *r);

/* Sorts r->envs by mean P(B), highest first, as the outputs expect. */
void advval_sort_environments(advval_run *r);

/* The files of the output folder; each returns 1 when written (else the
 * reason is printed). */
int advval_write_structures(const advval_args *a, const advval_run *r);
int advval_write_environments(const advval_args *a, const advval_run *r);
int advval_write_scored_xyz(const advval_args *a, const advval_run *r);
int advval_write_roc(const advval_args *a, const advval_run *r);
int advval_write_split(const advval_args *a, const advval_run *r);
/* The summary: report.md in the folder and the same text on stdout. */
int advval_write_report(const advval_args *a, const advval_run *r);

#endif
