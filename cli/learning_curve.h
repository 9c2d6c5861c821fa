/* What the files of `tanne learning-curve` share: the checked command line,
 * the data every run uses, the result of one run, and the functions that
 * cmd_learning_curve.c (arguments, main flow) calls in
 * learning_curve_runs.c (configs, data, splits, run folders, runs) and
 * learning_curve_output.c (CSV, Markdown, plots). Each function prints its
 * own errors, prefixed by LC_CMD, and returns 0 on failure, 1 on success.
 * Only cli/ prints. */
#ifndef TN_CLI_LEARNING_CURVE_H
#define TN_CLI_LEARNING_CURVE_H

#include <stdint.h>
#include <stdio.h>

#include "tanne.h"

#define LC_CMD "tanne learning-curve"

#define LC_MAX      64 /* variants, sizes, --set values */
#define LC_NAME_MAX 64

/* The command line, checked before anything is read. */
typedef struct lc_args {
  const char *configs[LC_MAX], *sets[LC_MAX], *out;
  char names[LC_MAX][LC_NAME_MAX];
  int64_t sizes[LC_MAX];
  int n_configs, n_sets, n_sizes;
  double val_fraction;
  uint64_t seed;
} lc_args;

/* The outcome of one run, read back from its folder. Errors in meV (energy
 * per frame) and meV/Å (force components); NaN where not compared. */
typedef struct lc_result {
  int64_t n_train, n_val;
  int epochs;
  double minutes, e_mae, e_rmse, f_mae, f_rmse;
} lc_result;

/* The data every run shares: data.train, the test frames and the pool. */
typedef struct lc_data {
  tn_dataset *all, *test;
  const char *all_name;
  int test_from_file;
  int64_t *test_idx, n_test; /* frames of all in the test set (none from a file) */
  int64_t *order, n_pool;    /* the pool in --seed shuffled order */
} lc_data;

/* ------------------------------------------------ learning_curve_runs.c */

/* Loads every config of a into cfgs[0..a->n_configs) and applies the --set
 * values; checks that none sets data.validation or data.split, that the
 * first has a test set, and that all name the same data. */
int lc_load_configs(tn_train_config *cfgs, const lc_args *a);

/* Fills the zeroed *d from c0 (the first config): data.train, the test set
 * (data.test, or data.n_test frames split off by c0->seed) and the pool of
 * the other frames shuffled by a->seed; checks that the largest size fits.
 * Free with lc_data_free, also after a failure. */
int lc_load_data(lc_data *d, const tn_train_config *c0, const lc_args *a);

/* Frees what lc_load_data set and zeroes *d. */
void lc_data_free(lc_data *d);

/* Trains variant (config base) on the first n frames of the shuffled pool,
 * in a->out/VARIANT/nN, and tests it; or collects that folder's results if
 * it holds a finished run of the same config and split. Fills *r. */
int lc_run(lc_result *r, const tn_train_config *base, const char *variant, int64_t n,
           const lc_data *d, const lc_args *a);

/* ---------------------------------------------- learning_curve_output.c */

/* The MAEs as a Markdown table on f: a row per size, E and F columns per
 * variant. res[v * a->n_sizes + s] is variant v at size s. */
void lc_md_table(FILE *f, const lc_args *a, const lc_result *res);

/* a->out/learning_curve.csv: a row per variant and size (written
 * atomically). res as for lc_md_table. */
int lc_write_csv(const lc_args *a, const lc_result *res);

/* a->out/learning_curve.md: the table of lc_md_table with a paragraph on
 * the test set and pool (d, c0 = the first config) and the variants. */
int lc_write_markdown(const lc_args *a, const lc_result *res, const lc_data *d,
                      const tn_train_config *c0);

/* a->out/learning_curve_energy.svg (forces = 0) or _forces.svg (1): the
 * test MAE against size, log-log, a series per variant. */
int lc_write_plot(const lc_args *a, const lc_result *res, int forces);

#endif
