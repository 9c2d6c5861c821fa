/* The pieces of a training run that `tanne train`, `tanne finetune` and
 * `tanne learning-curve` share: reading the data a config names, splitting
 * it, running the trainer with a progress line per epoch, and the test-set
 * report. Each prints its own errors, prefixed by command ("tanne train"),
 * and returns 0 on failure, 1 on success. Only cli/ prints. */
#ifndef TN_CLI_TRAIN_RUN_H
#define TN_CLI_TRAIN_RUN_H

#include <stdio.h>

#include "tanne.h"

/* The data of a run. all is the file the split indexes (data.train or the
 * built-in data); train, val and test are copies of the frames each set
 * uses. A zeroed struct is empty; run_data_free frees what is set. */
typedef struct run_data {
  tn_dataset *all, *train, *val, *test;
  tn_split split;
  int test_from_file; /* test came from data.test, not from the split */
} run_data;

void run_data_free(run_data *d);

/* Read options from data.format, data.energy_unit and data.length_unit
 * ("" or "auto" for the format's defaults). */
int run_read_options(const char *command, const tn_train_config *cfg, tn_read_options *opt);

/* Appends data.train (read with opt) to ds, or the built-in liquid-argon
 * frames when data.train is "" (announced on stderr). *name gets what to
 * call the set in messages: the path or "the built-in data". */
int run_read_train(const char *command, const tn_train_config *cfg, const tn_read_options *opt,
                   tn_dataset *ds, const char **name);

/* Appends the frames which[0..n) of src to dst. */
int run_subset(const char *command, tn_dataset *dst, const tn_dataset *src, const int64_t *which,
               int64_t n);

/* What `tanne train` trains on: d->all from data.train, split by data.split
 * or by data.n_train/n_val/n_test and seed; validation and test frames from
 * data.validation and data.test when set. d must be zeroed. */
int run_load_data(const char *command, run_data *d, const tn_train_config *cfg);

/* Creates cfg->output.dir's trainer on d->train and d->val: a fresh run
 * (which saves config.yaml and split.txt, d->split, beside it) or, with
 * resume, the run of checkpoint.tnc. comm (NULL: one process) makes it one
 * rank of a parallel run (tn_trainer_set_comm); only rank 0 saves files.
 * Prints one line to log ("training DIR: 30 train, 5 validation, 5 test
 * frames; elements Ar; 1234 parameters"). *out is NULL on failure. */
int run_trainer_start(const char *command, tn_trainer **out, const tn_train_config *cfg,
                      const run_data *d, int resume, const tn_comm *comm, FILE *log);

/* Trains to the end, drawing cli_train_progress_fn on stderr. */
int run_trainer_train(const char *command, tn_trainer *t, int has_val);

/* Errors of m on d->test, saved as output.dir/test_metrics.csv (report.h's
 * CSV: name,unit,n,mae,rmse,max,r2 in meV units) and, unless table is NULL,
 * printed there. Atomic energies are compared from data.atomic_energies, or
 * from 'energies' when the test frames carry that column. */
int run_test_report(const char *command, tn_model *m, const run_data *d, const tn_train_config *cfg,
                    FILE *table);

/* dir/name in a fresh buffer (NULL, after a message, when out of memory). */
char *run_path(const char *command, const char *dir, const char *name);

#endif
