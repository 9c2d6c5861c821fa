/* The shared body of the training commands (see train_run.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "train_run.h"

void run_data_free(run_data *d) {
  tn_dataset_free(d->all);
  tn_dataset_free(d->train);
  tn_dataset_free(d->val);
  tn_dataset_free(d->test);
  tn_split_free(&d->split);
  memset(d, 0, sizeof *d);
}

char *run_path(const char *command, const char *dir, const char *name) {
  size_t len = strlen(dir) + strlen(name) + 2;
  char *p = malloc(len);
  if (p) snprintf(p, len, "%s/%s", dir, name);
  if (!p) fprintf(stderr, "%s: out of memory\n", command);
  return p;
}

/* ---------------------------------------------------------------- data */

int run_read_options(const char *command, const tn_train_config *cfg, tn_read_options *opt) {
  *opt = tn_read_options_default();
  if (cfg->data.format[0] && strcmp(cfg->data.format, "auto") != 0) {
    opt->format = tn_format_from_name(cfg->data.format);
    if (opt->format == TN_FORMAT_AUTO) {
      fprintf(stderr, "%s: data.format: unknown format '%s'\n", command, cfg->data.format);
      return 0;
    }
  }
  if (cfg->data.energy_unit[0] && (opt->energy_unit = tn_energy_unit(cfg->data.energy_unit)) == 0) {
    fprintf(stderr, "%s: data.energy_unit: unknown unit '%s'\n", command, cfg->data.energy_unit);
    return 0;
  }
  if (cfg->data.length_unit[0] && (opt->length_unit = tn_length_unit(cfg->data.length_unit)) == 0) {
    fprintf(stderr, "%s: data.length_unit: unknown unit '%s'\n", command, cfg->data.length_unit);
    return 0;
  }
  return 1;
}

/* The built-in data: the default liquid-argon sample of the reference
 * potential (tanne.h, tn_noble_gas_sample_default). */
static int builtin_data(const char *command, tn_dataset *ds) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  fprintf(stderr,
          "%s: data.train is empty: using the built-in data, %d frames of %d-atom liquid %s at "
          "%g K (seed %llu)\n",
          command, s.n_frames, s.n_atoms, tn_element_symbol(s.species[0]), s.temperature,
          (unsigned long long)s.seed);
  tn_status st = tn_noble_gas_generate(ds, &pot, &s, cli_progress, "generating frames");
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, tn_dataset_errmsg(ds), tn_status_str(st));
    return 0;
  }
  return 1;
}

int run_read_train(const char *command, const tn_train_config *cfg, const tn_read_options *opt,
                   tn_dataset *ds, const char **name) {
  const char *path = cfg->data.train;
  *name = path[0] ? path : "the built-in data";
  return path[0] ? cli_read_all(ds, &path, 1, opt) : builtin_data(command, ds);
}

/* The split of d->all: from data.split, or n_train/n_val/n_test frames cut
 * from a seeded shuffle. Sets that come from their own files take no frames
 * here. */
static int make_split(const char *command, run_data *d, const tn_train_config *cfg,
                      const char *all_name) {
  int64_t n = d->all->n_frames;
  char err[1024];
  if (cfg->data.split[0]) {
    tn_status st = tn_split_load(&d->split, cfg->data.split, err, sizeof err);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
      return 0;
    }
    if (d->split.n_frames != n) {
      fprintf(stderr, "%s: data.split: %s indexes %lld frames, but %s has %lld\n", command,
              cfg->data.split, (long long)d->split.n_frames, all_name, (long long)n);
      return 0;
    }
    return 1;
  }
  int64_t n_val = cfg->data.validation[0] ? 0 : cfg->data.n_val;
  int64_t n_test = cfg->data.test[0] ? 0 : cfg->data.n_test;
  if (n_val < 0 || n_test < 0 || cfg->data.n_train < 0 || n_val + n_test >= n) {
    fprintf(stderr,
            "%s: data.n_val (%lld) and data.n_test (%lld) leave no training frames of the %lld "
            "in %s\n",
            command, (long long)n_val, (long long)n_test, (long long)n, all_name);
    return 0;
  }
  int64_t left = n - n_val - n_test;
  int64_t n_train = cfg->data.n_train > 0 ? cfg->data.n_train : left;
  if (n_train > left) {
    fprintf(stderr,
            "%s: data.n_train: %lld frames asked for, but %s has only %lld left after %lld "
            "validation and %lld test frames\n",
            command, (long long)n_train, all_name, (long long)left, (long long)n_val,
            (long long)n_test);
    return 0;
  }
  /* Counts as fractions: k/n·n rounds back to k exactly in tn_split_make. */
  double dn = (double)n;
  tn_status st = tn_split_make(&d->split, n, (double)n_train / dn, (double)n_val / dn,
                               (double)n_test / dn, cfg->seed);
  if (st != TN_STATUS_OK || d->split.n_train != n_train || d->split.n_val != n_val ||
      d->split.n_test != n_test) {
    fprintf(stderr, "%s: cannot split %lld frames (%s)\n", command, (long long)n,
            tn_status_str(st));
    return 0;
  }
  return 1;
}

int run_subset(const char *command, tn_dataset *dst, const tn_dataset *src, const int64_t *which,
               int64_t n) {
  tn_status st = tn_dataset_append_subset(dst, src, which, n);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, tn_dataset_errmsg(dst), tn_status_str(st));
    return 0;
  }
  return 1;
}

int run_load_data(const char *command, run_data *d, const tn_train_config *cfg) {
  tn_read_options opt;
  const char *all_name;
  if (!run_read_options(command, cfg, &opt)) return 0;
  d->all = tn_dataset_create();
  d->train = tn_dataset_create();
  d->val = tn_dataset_create();
  d->test = tn_dataset_create();
  if (!d->all || !d->train || !d->val || !d->test) {
    fprintf(stderr, "%s: out of memory\n", command);
    return 0;
  }
  if (!run_read_train(command, cfg, &opt, d->all, &all_name)) return 0;
  if (!make_split(command, d, cfg, all_name)) return 0;
  if (!run_subset(command, d->train, d->all, d->split.train, d->split.n_train)) return 0;
  const char *val_path = cfg->data.validation, *test_path = cfg->data.test;
  if (val_path[0] ? !cli_read_all(d->val, &val_path, 1, &opt)
                  : !run_subset(command, d->val, d->all, d->split.val, d->split.n_val))
    return 0;
  d->test_from_file = test_path[0] != '\0';
  if (test_path[0] ? !cli_read_all(d->test, &test_path, 1, &opt)
                   : !run_subset(command, d->test, d->all, d->split.test, d->split.n_test))
    return 0;
  return 1;
}

/* ------------------------------------------------------------ training */

static void print_elements(FILE *out, const tn_model *m) {
  int32_t el[16];
  int n = tn_model_elements(m, el);
  for (int k = 0; k < n; k++) fprintf(out, "%s%s", k ? " " : "", tn_element_symbol(el[k]));
}

/* Saves split.txt and config.yaml into the fresh run's folder. */
static int save_run_files(const char *command, const tn_train_config *cfg, const tn_split *split) {
  char err[1024];
  char *split_path = run_path(command, cfg->output.dir, "split.txt");
  char *config_path = run_path(command, cfg->output.dir, "config.yaml");
  int ok = split_path && config_path;
  tn_status st = TN_STATUS_OK;
  if (ok && (st = tn_split_save(split, split_path, err, sizeof err)) == TN_STATUS_OK)
    st = tn_train_config_save(cfg, config_path, err, sizeof err);
  if (ok && st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
    ok = 0;
  }
  free(split_path);
  free(config_path);
  return ok;
}

int run_trainer_start(const char *command, tn_trainer **out, const tn_train_config *cfg,
                      const run_data *d, int resume, const tn_comm *comm, FILE *log) {
  char err[1024];
  tn_status st = resume ? tn_trainer_resume(out, cfg, d->train, d->val, err, sizeof err)
                        : tn_trainer_create(out, cfg, d->train, d->val, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
    *out = NULL;
    return 0;
  }
  if (comm && (st = tn_trainer_set_comm(*out, comm)) != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, tn_trainer_errmsg(*out), tn_status_str(st));
    tn_trainer_free(*out);
    *out = NULL;
    return 0;
  }
  /* The config the run uses: a fine-tuning run's model.* are its parent's.
   * Only rank 0 writes. */
  int writer = !comm || comm->rank == 0;
  if (!resume && writer && !save_run_files(command, tn_trainer_config(*out), &d->split)) {
    tn_trainer_free(*out);
    *out = NULL;
    return 0;
  }
  tn_model *m = tn_trainer_model(*out);
  fprintf(log, "%s %s: %lld train, %lld validation, %lld test frames; elements ",
          resume ? "resuming" : "training", cfg->output.dir, (long long)d->train->n_frames,
          (long long)d->val->n_frames, (long long)d->test->n_frames);
  print_elements(log, m);
  fprintf(log, "; %lld parameters\n", (long long)tn_model_param_count(m));
  fflush(log);
  return 1;
}

int run_trainer_train(const char *command, tn_trainer *t, int has_val) {
  cli_train_progress ps = {command, has_val, isatty(fileno(stderr)), 0};
  tn_status st = tn_trainer_run(t, cli_train_progress_fn, &ps);
  if (ps.pending) fputc('\n', stderr);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, tn_trainer_errmsg(t), tn_status_str(st));
    return 0;
  }
  return 1;
}

/* -------------------------------------------------------------- report */

int run_test_report(const char *command, tn_model *m, const run_data *d, const tn_train_config *cfg,
                    FILE *table) {
  const char *atomic = cfg->data.atomic_energies[0] ? cfg->data.atomic_energies : NULL;
  const tn_column *c = tn_dataset_column(d->test, TN_LABEL_ENERGIES);
  if (!atomic && c && c->scope == TN_COLUMN_SCOPE_ATOM && c->width == 1 &&
      c->type != TN_COLUMN_TYPE_STRING)
    atomic = TN_LABEL_ENERGIES;
  const char *name = d->test_from_file ? cfg->data.test : "test set";
  int64_t start[2] = {0, d->test->n_frames};
  report_sources src = {1, &name, start};
  report *r = report_create(0);
  char *csv = run_path(command, cfg->output.dir, "test_metrics.csv");
  int ok = r && csv;
  if (!r) fprintf(stderr, "%s: out of memory\n", command);
  if (ok) ok = report_evaluate(r, m, d->test, atomic, &src, command, NULL);
  if (ok && table) {
    fprintf(table, "best model on the %lld test frames:\n", (long long)d->test->n_frames);
    report_print(r, table);
  }
  if (ok) ok = report_write_csv(r, csv, command);
  if (ok && table) fprintf(table, "test metrics: %s\n", csv);
  free(csv);
  report_free(r);
  return ok;
}
