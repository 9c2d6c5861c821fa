/* tanne train CONFIG.yaml [--set key=value]... [--resume]: a training run
 * from a YAML config, with a progress line per epoch and a test-set report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

static const char help[] =
    "usage: tanne train [options] CONFIG.yaml\n\n"
    "Trains a potential as CONFIG.yaml says (every key has a default; see the\n"
    "config.yaml a run writes for all of them). Paths in the config are relative\n"
    "to the current folder. With data.train empty the built-in data are used\n"
    "(40 frames of liquid argon with exact atomic energies). Validation and\n"
    "test frames come from data.validation and data.test, or are split off the\n"
    "training file (data.n_val, data.n_test, seed), or from data.split.\n\n"
    "Writes to output.dir: best.tnm (the model), checkpoint.tnc, metrics.csv\n"
    "(one row per epoch), config.yaml and split.txt (what the run used), and\n"
    "test_metrics.csv when there is a test set.\n\n"
    "options:\n"
    "  --set KEY=VALUE     override one config key, e.g. --set optimizer.lr=1e-3\n"
    "                      (repeatable, applied in order after the file)\n"
    "  --resume            continue the run in output.dir from checkpoint.tnc\n"
    "                      (same config and data; train.epochs may grow)\n";

#define CMD "tanne train"

/* ---------------------------------------------------------------- data */

/* The data of a run. all is the file the split indexes (data.train or the
 * built-in data); train, val and test are copies of the frames each set
 * uses. */
typedef struct run_data {
  tn_dataset *all, *train, *val, *test;
  tn_split split;
  int test_from_file;
} run_data;

static void run_data_free(run_data *d) {
  tn_dataset_free(d->all);
  tn_dataset_free(d->train);
  tn_dataset_free(d->val);
  tn_dataset_free(d->test);
  tn_split_free(&d->split);
}

/* Read options from data.format, data.energy_unit and data.length_unit
 * ("" or "auto" for the format's defaults). */
static int config_read_options(const tn_train_config *cfg, tn_read_options *opt) {
  *opt = tn_read_options_default();
  if (cfg->data.format[0] && strcmp(cfg->data.format, "auto") != 0) {
    opt->format = tn_format_from_name(cfg->data.format);
    if (opt->format == TN_FORMAT_AUTO) {
      fprintf(stderr, CMD ": data.format: unknown format '%s'\n", cfg->data.format);
      return 0;
    }
  }
  if (cfg->data.energy_unit[0] && (opt->energy_unit = tn_energy_unit(cfg->data.energy_unit)) == 0) {
    fprintf(stderr, CMD ": data.energy_unit: unknown unit '%s'\n", cfg->data.energy_unit);
    return 0;
  }
  if (cfg->data.length_unit[0] && (opt->length_unit = tn_length_unit(cfg->data.length_unit)) == 0) {
    fprintf(stderr, CMD ": data.length_unit: unknown unit '%s'\n", cfg->data.length_unit);
    return 0;
  }
  return 1;
}

/* The built-in data: the default liquid-argon sample of the reference
 * potential (tanne.h, tn_noble_gas_sample_default). */
static int builtin_data(tn_dataset *ds) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  fprintf(stderr,
          CMD ": data.train is empty: using the built-in data, %d frames of %d-atom liquid %s at "
              "%g K (seed %llu)\n",
          s.n_frames, s.n_atoms, tn_element_symbol(s.species[0]), s.temperature,
          (unsigned long long)s.seed);
  tn_status st = tn_noble_gas_generate(ds, &pot, &s, cli_progress, "generating frames");
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", tn_dataset_errmsg(ds), tn_status_str(st));
    return 0;
  }
  return 1;
}

/* The split of d->all: from data.split, or n_train/n_val/n_test frames cut
 * from a seeded shuffle. Sets that come from their own files take no frames
 * here. */
static int make_split(run_data *d, const tn_train_config *cfg, const char *all_name) {
  int64_t n = d->all->n_frames;
  char err[1024];
  if (cfg->data.split[0]) {
    tn_status st = tn_split_load(&d->split, cfg->data.split, err, sizeof err);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
      return 0;
    }
    if (d->split.n_frames != n) {
      fprintf(stderr, CMD ": data.split: %s indexes %lld frames, but %s has %lld\n",
              cfg->data.split, (long long)d->split.n_frames, all_name, (long long)n);
      return 0;
    }
    return 1;
  }
  int64_t n_val = cfg->data.validation[0] ? 0 : cfg->data.n_val;
  int64_t n_test = cfg->data.test[0] ? 0 : cfg->data.n_test;
  if (n_val < 0 || n_test < 0 || cfg->data.n_train < 0 || n_val + n_test >= n) {
    fprintf(stderr,
            CMD ": data.n_val (%lld) and data.n_test (%lld) leave no training frames of the %lld "
                "in %s\n",
            (long long)n_val, (long long)n_test, (long long)n, all_name);
    return 0;
  }
  int64_t left = n - n_val - n_test;
  int64_t n_train = cfg->data.n_train > 0 ? cfg->data.n_train : left;
  if (n_train > left) {
    fprintf(stderr,
            CMD ": data.n_train: %lld frames asked for, but %s has only %lld left after %lld "
                "validation and %lld test frames\n",
            (long long)n_train, all_name, (long long)left, (long long)n_val, (long long)n_test);
    return 0;
  }
  /* Counts as fractions: k/n·n rounds back to k exactly in tn_split_make. */
  double dn = (double)n;
  tn_status st = tn_split_make(&d->split, n, (double)n_train / dn, (double)n_val / dn,
                               (double)n_test / dn, cfg->seed);
  if (st != TN_STATUS_OK || d->split.n_train != n_train || d->split.n_val != n_val ||
      d->split.n_test != n_test) {
    fprintf(stderr, CMD ": cannot split %lld frames (%s)\n", (long long)n, tn_status_str(st));
    return 0;
  }
  return 1;
}

static int subset(tn_dataset *dst, const tn_dataset *src, const int64_t *which, int64_t n) {
  tn_status st = tn_dataset_append_subset(dst, src, which, n);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", tn_dataset_errmsg(dst), tn_status_str(st));
    return 0;
  }
  return 1;
}

static int load_data(run_data *d, const tn_train_config *cfg) {
  tn_read_options opt;
  if (!config_read_options(cfg, &opt)) return 0;
  d->all = tn_dataset_create();
  d->train = tn_dataset_create();
  d->val = tn_dataset_create();
  d->test = tn_dataset_create();
  if (!d->all || !d->train || !d->val || !d->test) {
    fprintf(stderr, CMD ": out of memory\n");
    return 0;
  }
  const char *train_path = cfg->data.train;
  const char *all_name = train_path[0] ? train_path : "the built-in data";
  if (train_path[0] ? !cli_read_all(d->all, &train_path, 1, &opt) : !builtin_data(d->all)) return 0;
  if (!make_split(d, cfg, all_name)) return 0;
  if (!subset(d->train, d->all, d->split.train, d->split.n_train)) return 0;
  const char *val_path = cfg->data.validation, *test_path = cfg->data.test;
  if (val_path[0] ? !cli_read_all(d->val, &val_path, 1, &opt)
                  : !subset(d->val, d->all, d->split.val, d->split.n_val))
    return 0;
  d->test_from_file = test_path[0] != '\0';
  if (test_path[0] ? !cli_read_all(d->test, &test_path, 1, &opt)
                   : !subset(d->test, d->all, d->split.test, d->split.n_test))
    return 0;
  return 1;
}

/* ------------------------------------------------------------- command */

static void print_elements(FILE *out, const tn_model *m) {
  int32_t el[16];
  int n = tn_model_elements(m, el);
  for (int k = 0; k < n; k++) fprintf(out, "%s%s", k ? " " : "", tn_element_symbol(el[k]));
}

/* output.dir/name into a fresh buffer (NULL when out of memory). */
static char *out_path(const tn_train_config *cfg, const char *name) {
  size_t len = strlen(cfg->output.dir) + strlen(name) + 2;
  char *p = malloc(len);
  if (p) snprintf(p, len, "%s/%s", cfg->output.dir, name);
  if (!p) fprintf(stderr, CMD ": out of memory\n");
  return p;
}

/* Saves split.txt and config.yaml into the fresh run's folder. */
static int save_run_files(const tn_train_config *cfg, const tn_split *split) {
  char err[1024];
  char *split_path = out_path(cfg, "split.txt"), *config_path = out_path(cfg, "config.yaml");
  int ok = split_path && config_path;
  tn_status st = TN_STATUS_OK;
  if (ok && (st = tn_split_save(split, split_path, err, sizeof err)) == TN_STATUS_OK)
    st = tn_train_config_save(cfg, config_path, err, sizeof err);
  if (ok && st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
    ok = 0;
  }
  free(split_path);
  free(config_path);
  return ok;
}

/* Errors of the best model on the test set, printed and saved. */
static int test_report(tn_model *m, const run_data *d, const tn_train_config *cfg) {
  const char *atomic = cfg->data.atomic_energies[0] ? cfg->data.atomic_energies : NULL;
  const tn_column *c = tn_dataset_column(d->test, TN_LABEL_ENERGIES);
  if (!atomic && c && c->scope == TN_COLUMN_SCOPE_ATOM && c->width == 1 &&
      c->type != TN_COLUMN_TYPE_STRING)
    atomic = TN_LABEL_ENERGIES;
  const char *name = d->test_from_file ? cfg->data.test : "test set";
  int64_t start[2] = {0, d->test->n_frames};
  report_sources src = {1, &name, start};
  report *r = report_create(0);
  char *csv = out_path(cfg, "test_metrics.csv");
  int ok = r && csv;
  if (!r) fprintf(stderr, CMD ": out of memory\n");
  if (ok) ok = report_evaluate(r, m, d->test, atomic, &src, CMD, NULL);
  if (ok) {
    printf("best model on the %lld test frames:\n", (long long)d->test->n_frames);
    report_print(r, stdout);
    ok = report_write_csv(r, csv, CMD);
  }
  if (ok) printf("test metrics: %s\n", csv);
  free(csv);
  report_free(r);
  return ok;
}

int cmd_train(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, CMD, argc, argv);
  const char *config = NULL, *arg;
  int resume = 0;
  /* --set values are gathered in place over argv (never ahead of the scan),
   * so a usage error that exits leaves nothing allocated. */
  const char **sets = (const char **)argv;
  int n_sets = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s", help);
      return 0;
    }
    if (cli_opt(&a, arg, "set"))
      sets[n_sets++] = a.value;
    else if (cli_flag(arg, "resume"))
      resume = 1;
    else if (arg[0] == '-' && arg[1] != '\0')
      cli_usage_error(a.command, "unknown option '%s'", arg);
    else if (config)
      cli_usage_error(a.command, "more than one config file ('%s', '%s')", config, arg);
    else
      config = arg;
  }
  if (!config) cli_usage_error(a.command, "no config file given");

  int status = 1;
  char err[1024];
  run_data d;
  memset(&d, 0, sizeof d);
  tn_trainer *t = NULL;
  tn_train_config cfg = tn_train_config_default();
  tn_status st = tn_train_config_load(&cfg, config, err, sizeof err);
  for (int k = 0; k < n_sets && st == TN_STATUS_OK; k++)
    st = tn_train_config_set(&cfg, sets[k], err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
    goto done;
  }
  if (!load_data(&d, &cfg)) goto done;

  if (resume) {
    st = tn_trainer_resume(&t, &cfg, d.train, d.val, err, sizeof err);
  } else {
    char *ckpt = out_path(&cfg, "checkpoint.tnc");
    if (!ckpt) goto done;
    if (access(ckpt, F_OK) == 0)
      fprintf(stderr,
              CMD ": %s already holds a run; starting afresh over it (--resume continues it)\n",
              cfg.output.dir);
    free(ckpt);
    st = tn_trainer_create(&t, &cfg, d.train, d.val, err, sizeof err);
  }
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
    goto done;
  }
  if (!resume && !save_run_files(&cfg, &d.split)) goto done;

  tn_model *m = tn_trainer_model(t);
  printf("%s %s: %lld train, %lld validation, %lld test frames; elements ",
         resume ? "resuming" : "training", cfg.output.dir, (long long)d.train->n_frames,
         (long long)d.val->n_frames, (long long)d.test->n_frames);
  print_elements(stdout, m);
  printf("; %lld parameters\n", (long long)tn_model_param_count(m));
  fflush(stdout);

  cli_train_progress ps = {CMD, d.val->n_frames > 0, isatty(fileno(stderr)), 0};
  st = tn_trainer_run(t, cli_train_progress_fn, &ps);
  if (ps.pending) fputc('\n', stderr);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", tn_trainer_errmsg(t), tn_status_str(st));
    goto done;
  }
  m = tn_trainer_model(t);
  int ok = d.test->n_frames == 0 || test_report(m, &d, &cfg);
  printf("model: %s/best.tnm\n", cfg.output.dir);
  if (ok) status = 0;
done:
  tn_trainer_free(t);
  run_data_free(&d);
  return status;
}
