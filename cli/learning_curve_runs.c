/* The runs of `tanne learning-curve`: the variants' configs, the shared
 * data (test set and shuffled pool), the split of each size, the check of
 * a run folder that already exists, one run (trained or collected, never
 * by two processes at once), and its results read back from the folder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/core.h"
#include "cli.h"
#include "learning_curve.h"
#include "run_lock.h"
#include "train_run.h"

/* ---------------------------------------------------------------- configs */

int lc_load_configs(tn_train_config *cfgs, const lc_args *a) {
  char err[1024];
  for (int v = 0; v < a->n_configs; v++) {
    cfgs[v] = tn_train_config_default();
    tn_status st = tn_train_config_load(&cfgs[v], a->configs[v], err, sizeof err);
    for (int k = 0; k < a->n_sets && st == TN_STATUS_OK; k++)
      st = tn_train_config_set(&cfgs[v], a->sets[k], err, sizeof err);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, LC_CMD ": %s (%s)\n", err, tn_status_str(st));
      return 0;
    }
    if (cfgs[v].data.validation[0] || cfgs[v].data.split[0]) {
      fprintf(stderr,
              LC_CMD ": %s: %s is set, but learning-curve makes the validation frames of each run "
                     "itself (--val-fraction): leave it empty\n",
              a->configs[v], cfgs[v].data.validation[0] ? "data.validation" : "data.split");
      return 0;
    }
  }
  const tn_train_config *c0 = &cfgs[0];
  if (!c0->data.test[0] && c0->data.n_test <= 0) {
    fprintf(stderr,
            LC_CMD ": %s: no test set: set data.test (a file) or data.n_test (frames split off "
                   "data.train)\n",
            a->configs[0]);
    return 0;
  }
  /* Every variant must see the same frames, or the curves do not compare. */
  for (int v = 1; v < a->n_configs; v++) {
    const tn_train_config *c = &cfgs[v];
    struct {
      const char *key, *first, *here;
    } keys[] = {{"data.train", c0->data.train, c->data.train},
                {"data.test", c0->data.test, c->data.test},
                {"data.format", c0->data.format, c->data.format},
                {"data.energy_unit", c0->data.energy_unit, c->data.energy_unit},
                {"data.length_unit", c0->data.length_unit, c->data.length_unit}};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
      if (strcmp(keys[k].first, keys[k].here) == 0) continue;
      fprintf(stderr,
              LC_CMD ": %s differs between variants: '%s' in %s, '%s' in %s; every variant must "
                     "use the same data (the test set is fixed)\n",
              keys[k].key, keys[k].first, a->configs[0], keys[k].here, a->configs[v]);
      return 0;
    }
    if (!c0->data.test[0] && c->data.n_test != c0->data.n_test) {
      fprintf(stderr,
              LC_CMD ": data.n_test differs between variants: %lld in %s, %lld in %s; every "
                     "variant must use the same test set\n",
              (long long)c0->data.n_test, a->configs[0], (long long)c->data.n_test, a->configs[v]);
      return 0;
    }
  }
  return 1;
}
/* ------------------------------------------------------------------- data */

void lc_data_free(lc_data *d) {
  tn_dataset_free(d->all);
  tn_dataset_free(d->test);
  free(d->test_idx);
  free(d->order);
  memset(d, 0, sizeof *d);
}

/* Reads data.train of the first config, cuts off the test set and shuffles
 * the pool; then checks that the largest size fits into it. */
int lc_load_data(lc_data *d, const tn_train_config *c0, const lc_args *a) {
  tn_read_options opt;
  tn_split cut = {0}, perm = {0};
  int64_t *pool = NULL;
  int ok = 0;
  if (!run_read_options(LC_CMD, c0, &opt)) return 0;
  d->all = tn_dataset_create();
  d->test = tn_dataset_create();
  if (!d->all || !d->test) goto oom;
  if (!run_read_train(LC_CMD, c0, &opt, d->all, &d->all_name)) goto done;
  int64_t n = d->all->n_frames;
  d->test_from_file = c0->data.test[0] != '\0';
  if (d->test_from_file) {
    const char *path = c0->data.test;
    if (!cli_read_all(d->test, &path, 1, &opt)) goto done;
  } else {
    if (c0->data.n_test >= n) {
      fprintf(stderr,
              LC_CMD ": %s: data.n_test (%lld) leaves no frames to train on of the %lld in %s\n",
              a->configs[0], (long long)c0->data.n_test, (long long)n, d->all_name);
      goto done;
    }
    /* k/n·n rounds back to k exactly in tn_split_make. */
    tn_status st = tn_split_make(&cut, n, 0.0, 0.0, (double)c0->data.n_test / (double)n, c0->seed);
    if (st != TN_STATUS_OK) goto oom;
    d->n_test = cut.n_test;
    d->test_idx = malloc((size_t)d->n_test * sizeof *d->test_idx);
    if (!d->test_idx) goto oom;
    memcpy(d->test_idx, cut.test, (size_t)d->n_test * sizeof *d->test_idx);
    if (!run_subset(LC_CMD, d->test, d->all, d->test_idx, d->n_test)) goto done;
  }
  /* The pool: every other frame, in file order, then shuffled by --seed. */
  uint8_t *is_test = calloc((size_t)(n > 0 ? n : 1), 1);
  pool = malloc((size_t)(n > 0 ? n : 1) * sizeof *pool);
  if (!is_test || !pool) {
    free(is_test);
    goto oom;
  }
  for (int64_t k = 0; k < d->n_test; k++) is_test[d->test_idx[k]] = 1;
  for (int64_t f = 0; f < n; f++)
    if (!is_test[f]) pool[d->n_pool++] = f;
  free(is_test);
  int64_t largest = a->sizes[a->n_sizes - 1];
  if (largest > d->n_pool) {
    fprintf(stderr,
            LC_CMD ": option --sizes: size %lld is more than the %lld frames of the pool (%s: %lld "
                   "frames, less %lld test frames)\n",
            (long long)largest, (long long)d->n_pool, d->all_name, (long long)n,
            (long long)d->n_test);
    goto done;
  }
  if (tn_split_make(&perm, d->n_pool, 1.0, 0.0, 0.0, a->seed) != TN_STATUS_OK ||
      perm.n_train != d->n_pool)
    goto oom;
  d->order = malloc((size_t)(d->n_pool > 0 ? d->n_pool : 1) * sizeof *d->order);
  if (!d->order) goto oom;
  for (int64_t k = 0; k < d->n_pool; k++) d->order[k] = pool[perm.train[k]];
  ok = 1;
  goto done;
oom:
  fprintf(stderr, LC_CMD ": out of memory\n");
done:
  tn_split_free(&cut);
  tn_split_free(&perm);
  free(pool);
  return ok;
}

/* The split of one size, indexing data.train: validation = the first n_val
 * frames of the shuffled pool, train = the next n - n_val, test = the fixed
 * test frames (none when they come from a file). */
static int make_split(tn_split *s, const lc_data *d, int64_t n, int64_t n_val, uint64_t seed) {
  int64_t total = n + d->n_test;
  int64_t *all = malloc((size_t)total * sizeof *all);
  if (!all) {
    fprintf(stderr, LC_CMD ": out of memory\n");
    return 0;
  }
  memset(s, 0, sizeof *s);
  s->n_frames = d->all->n_frames;
  s->seed = seed;
  /* One allocation starting at train, as tn_split_free expects. */
  s->train = all;
  s->n_train = n - n_val;
  s->val = all + s->n_train;
  s->n_val = n_val;
  s->test = all + n;
  s->n_test = d->n_test;
  memcpy(s->train, d->order + n_val, (size_t)s->n_train * sizeof *all);
  memcpy(s->val, d->order, (size_t)n_val * sizeof *all);
  if (d->n_test) memcpy(s->test, d->test_idx, (size_t)d->n_test * sizeof *all);
  return 1;
}

static int same_split(const tn_split *a, const tn_split *b) {
  if (a->n_frames != b->n_frames || a->seed != b->seed || a->n_train != b->n_train ||
      a->n_val != b->n_val || a->n_test != b->n_test)
    return 0;
  size_t n = (size_t)(a->n_train + a->n_val + a->n_test);
  return n == 0 || memcmp(a->train, b->train, n * sizeof *a->train) == 0;
}
/* ------------------------------------------------------- existing folders */

static int exists(const char *dir, const char *name) {
  char path[TN_PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

/* cfg as the YAML tn_train_config_save writes, via a file in dir that is
 * removed again. *text is malloc'd. */
static int config_text(const tn_train_config *cfg, const char *dir, const char *tag, char **text) {
  char path[TN_PATH_MAX + 64], err[1024];
  size_t len;
  snprintf(path, sizeof path, "%s/.%s.%ld.yaml", dir, tag, (long)getpid());
  tn_status st = tn_train_config_save(cfg, path, err, sizeof err);
  if (st == TN_STATUS_OK) st = tn_read_file(path, text, &len, err, sizeof err);
  unlink(path);
  if (st != TN_STATUS_OK) fprintf(stderr, LC_CMD ": %s (%s)\n", err, tn_status_str(st));
  return st == TN_STATUS_OK;
}

/* "'epochs: 2' there, 'epochs: 3' now (in train:)": the first line where
 * two YAML texts differ, and the section it is in. */
static void first_difference(char *out, size_t len, const char *was, const char *now) {
  const char *a = was, *b = now, *section = NULL;
  int section_len = 0;
  for (;;) {
    int la = (int)strcspn(a, "\n"), lb = (int)strcspn(b, "\n");
    if (la != lb || memcmp(a, b, (size_t)la) != 0 || !a[la] || !b[lb]) break;
    if (la > 0 && a[0] != ' ' && a[0] != '#') {
      section = a;
      section_len = la;
    }
    a += la + 1;
    b += lb + 1;
  }
  int nested = *b == ' ' || *a == ' ';
  int la = (int)strcspn(a, "\n"), lb = (int)strcspn(b, "\n");
  while (la > 0 && *a == ' ') a++, la--;
  while (lb > 0 && *b == ' ') b++, lb--;
  snprintf(out, len, "'%.*s' there, '%.*s' now%s%.*s%s", la > 200 ? 200 : la, a,
           lb > 200 ? 200 : lb, b, nested && section ? " (in " : "",
           nested && section ? section_len : 0, section ? section : "",
           nested && section ? ")" : "");
}

enum { RUN_ERROR, RUN_TRAIN, RUN_DONE };

/* How often a process waiting for another's run looks again. */
#define LOCK_POLL_SECONDS 2

/* What to do with the run folder cfg->output.dir: train (nothing there, or
 * an unfinished run of this config), collect (a finished run of this config
 * and split), or stop (anything else, which is never overwritten). */
static int inspect_folder(const tn_train_config *cfg, const tn_split *split, const char *variant) {
  const char *dir = cfg->output.dir;
  char path[TN_PATH_MAX + 64], err[1024];
  snprintf(path, sizeof path, "%s/config.yaml", dir);
  if (access(path, F_OK) != 0) {
    if (!exists(dir, "best.tnm") && !exists(dir, "test_metrics.csv")) return RUN_TRAIN;
    fprintf(stderr,
            LC_CMD ": %s holds a model but no config.yaml: not a run of this command; move it away "
                   "or choose another --out\n",
            dir);
    return RUN_ERROR;
  }
  tn_train_config *old = malloc(sizeof *old);
  char *text_old = NULL, *text_now = NULL;
  tn_split saved = {0};
  int result = RUN_ERROR;
  if (!old) {
    fprintf(stderr, LC_CMD ": out of memory\n");
    goto done;
  }
  *old = tn_train_config_default();
  tn_status st = tn_train_config_load(old, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, LC_CMD ": %s holds a run whose config cannot be read: %s (%s)\n", dir, err,
            tn_status_str(st));
    goto done;
  }
  /* What does not change the result may differ. */
  memcpy(old->output.dir, cfg->output.dir, sizeof old->output.dir);
  memcpy(old->data.split, cfg->data.split, sizeof old->data.split);
  old->data.n_train = cfg->data.n_train; /* follow from --val-fraction: the split tells */
  old->data.n_val = cfg->data.n_val;
  old->train.threads = cfg->train.threads;
  old->output.checkpoint_every = cfg->output.checkpoint_every;
  /* A fine-tuning run saved its parent's model.* keys; the parent file
   * itself is compared by name (finetune.init_from). */
  if (cfg->finetune.init_from[0]) old->model = cfg->model;
  if (!config_text(old, dir, "saved", &text_old) || !config_text(cfg, dir, "now", &text_now))
    goto done;
  if (strcmp(text_old, text_now) != 0) {
    char what[512];
    first_difference(what, sizeof what, text_old, text_now);
    fprintf(stderr,
            LC_CMD ": %s holds a run with another config than variant '%s' has now (config.yaml "
                   "differs: %s): remove the folder or choose another --out\n",
            dir, variant, what);
    goto done;
  }
  snprintf(path, sizeof path, "%s/split.txt", dir);
  st = tn_split_load(&saved, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, LC_CMD ": %s holds a run whose split cannot be read: %s (%s)\n", dir, err,
            tn_status_str(st));
    goto done;
  }
  if (!same_split(&saved, split)) {
    fprintf(stderr,
            LC_CMD ": %s holds a run on other frames (split.txt differs: another --seed, "
                   "--val-fraction or data?): remove the folder or choose another --out\n",
            dir);
    goto done;
  }
  result = exists(dir, "best.tnm") && exists(dir, "test_metrics.csv") ? RUN_DONE : RUN_TRAIN;
done:
  free(old);
  free(text_old);
  free(text_now);
  tn_split_free(&saved);
  return result;
}
/* ---------------------------------------------------------------- results */

/* The n-th comma-separated field of line (0-based) as a number; NaN when
 * absent or empty. */
static double csv_field(const char *line, int n) {
  for (int k = 0; k < n && line; k++) {
    line = strpbrk(line, ",\n");
    if (line && *line == ',')
      line++;
    else
      line = NULL;
  }
  if (!line || *line == ',' || *line == '\n' || !*line) return NAN;
  char *end;
  double v = strtod(line, &end);
  return end == line ? NAN : v;
}

/* Test MAE and RMSE of energy and forces from test_metrics.csv, epochs and
 * minutes from the last row of metrics.csv. */
static int read_results(lc_result *r, const char *dir) {
  char path[TN_PATH_MAX + 64], err[1024];
  char *text = NULL;
  size_t len;
  r->e_mae = r->e_rmse = r->f_mae = r->f_rmse = NAN;
  r->epochs = 0;
  r->minutes = NAN;
  snprintf(path, sizeof path, "%s/test_metrics.csv", dir);
  tn_status st = tn_read_file(path, &text, &len, err, sizeof err);
  if (st == TN_STATUS_OK && strncmp(text, "name,unit,n,mae,rmse,", 21) != 0)
    st = tn_fail(err, sizeof err, TN_STATUS_BAD_INPUT, "%s:1: not a table of test metrics", path);
  if (st != TN_STATUS_OK) goto fail;
  for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    const char *row = line + 1;
    if (strncmp(row, "energy,", 7) == 0) {
      r->e_mae = csv_field(row, 3);
      r->e_rmse = csv_field(row, 4);
    } else if (strncmp(row, "forces,", 7) == 0) {
      r->f_mae = csv_field(row, 3);
      r->f_rmse = csv_field(row, 4);
    }
  }
  free(text);
  text = NULL;
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  st = tn_read_file(path, &text, &len, err, sizeof err);
  if (st == TN_STATUS_OK && strncmp(text, "epoch,", 6) != 0)
    st = tn_fail(err, sizeof err, TN_STATUS_BAD_INPUT, "%s:1: not a table of epochs", path);
  if (st != TN_STATUS_OK) goto fail;
  const char *last = NULL;
  for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n'))
    last = line + 1;
  if (last) {
    r->epochs = atoi(last);
    r->minutes = csv_field(last, 8) / 60.0; /* the seconds column */
  }
  free(text);
  return 1;
fail:
  fprintf(stderr, LC_CMD ": %s (%s)\n", err, tn_status_str(st));
  free(text);
  return 0;
}
/* ------------------------------------------------------------------- runs */

/* Frames of size n that validate: ceil(F·n), at least 1, at most n - 1. The
 * small allowance keeps 0.1·50 = 5 from rounding up to 6. */
static int64_t val_count(double fraction, int64_t n) {
  int64_t v = (int64_t)ceil(fraction * (double)n - 1e-9);
  if (v < 1) v = 1;
  if (v > n - 1) v = n - 1;
  return v;
}

/* Trains (or collects) one variant at one size and fills *r. */
int lc_run(lc_result *r, const tn_train_config *base, const char *variant, int64_t n,
           const lc_data *d, const lc_args *a) {
  tn_train_config *cfg = malloc(sizeof *cfg);
  tn_split split = {0};
  run_data rd;
  tn_trainer *t = NULL;
  char lock[TN_PATH_MAX + 8], variant_dir[TN_PATH_MAX + LC_NAME_MAX + 2];
  int ok = 0, locked = 0;
  memset(&rd, 0, sizeof rd);
  if (!cfg) {
    fprintf(stderr, LC_CMD ": out of memory\n");
    return 0;
  }
  *cfg = *base;
  int64_t n_val = val_count(a->val_fraction, n);
  r->n_train = n - n_val;
  r->n_val = n_val;
  int w1 = snprintf(cfg->output.dir, sizeof cfg->output.dir, "%s/%s/n%lld", a->out, variant,
                    (long long)n);
  int w2 = snprintf(cfg->data.split, sizeof cfg->data.split, "%s/split.txt", cfg->output.dir);
  if (w1 < 0 || w2 < 0 || (size_t)w2 >= sizeof cfg->data.split) {
    fprintf(stderr, LC_CMD ": option --out: the folder name '%s' is too long\n", a->out);
    goto done;
  }
  cfg->data.n_train = r->n_train;
  cfg->data.n_val = n_val;
  if (!make_split(&split, d, n, n_val, a->seed)) goto done;
  /* The lock sits beside the run folder, in the variant's folder. */
  w1 = snprintf(lock, sizeof lock, "%s.lock", cfg->output.dir);
  if (w1 < 0 || (size_t)w1 >= sizeof lock || !cli_make_dir(LC_CMD, a->out)) goto done;
  snprintf(variant_dir, sizeof variant_dir, "%s/%s", a->out, variant);
  if (!cli_make_dir(LC_CMD, variant_dir)) goto done;
  int what = RUN_ERROR, waiting = 0;
  for (;;) {
    long owner = 0;
    locked = run_lock_claim(LC_CMD, lock, &owner);
    if (locked == 0) goto done;
    if (locked == 1) break;
    /* Another process trains this run: wait for it, then collect it. */
    if (!waiting++)
      fprintf(stderr, LC_CMD ": process %ld is training %s; waiting for it (lock %s)\n", owner,
              cfg->output.dir, lock);
    sleep(LOCK_POLL_SECONDS);
  }
  what = inspect_folder(cfg, &split, variant);
  if (what == RUN_ERROR) goto done;
  if (what == RUN_TRAIN) {
    fprintf(stderr, LC_CMD ": variant %s, size %lld (%lld train, %lld validation)%s\n", variant,
            (long long)n, (long long)r->n_train, (long long)n_val,
            exists(cfg->output.dir, "checkpoint.tnc") ? ": an unfinished run, started afresh" : "");
    rd.all = d->all;
    rd.test = d->test;
    rd.test_from_file = d->test_from_file;
    rd.split = split;
    rd.train = tn_dataset_create();
    rd.val = tn_dataset_create();
    if (!rd.train || !rd.val) {
      fprintf(stderr, LC_CMD ": out of memory\n");
      goto done;
    }
    if (!run_subset(LC_CMD, rd.train, d->all, split.train, split.n_train) ||
        !run_subset(LC_CMD, rd.val, d->all, split.val, split.n_val) ||
        !run_trainer_start(LC_CMD, &t, cfg, &rd, 0, NULL, stderr) ||
        !run_trainer_train(LC_CMD, t, 1) ||
        !run_test_report(LC_CMD, tn_trainer_model(t), &rd, cfg, NULL))
      goto done;
  }
  /* Both fresh and collected runs are read back, so a second invocation
   * gives the same numbers. */
  if (!read_results(r, cfg->output.dir)) goto done;
  fprintf(stderr,
          LC_CMD ": variant %s, size %lld: test MAE E %.4g meV, F %.4g meV/Å (%d epochs, %.2f "
                 "min)%s\n",
          variant, (long long)n, r->e_mae, r->f_mae, r->epochs, r->minutes,
          what == RUN_DONE ? ", collected from an earlier run" : "");
  ok = 1;
done:
  if (locked == 1) run_lock_release(lock);
  tn_trainer_free(t);
  tn_dataset_free(rd.train);
  tn_dataset_free(rd.val);
  tn_split_free(&split);
  free(cfg);
  return ok;
}
