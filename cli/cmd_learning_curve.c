/* tanne learning-curve --sizes 25,50,... CONFIG.yaml...: one training run
 * per variant (config) and training-set size, each tested on one fixed test
 * set, with a table and log-log plots of the test errors against size. Runs
 * that are already complete, with the same config and frames, are collected
 * rather than trained again, so the command resumes after an interruption
 * and several invocations on disjoint variants can share one --out. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/core/core.h"
#include "cli.h"
#include "train_run.h"

#define CMD "tanne learning-curve"

static const char help[] =
    "usage: tanne learning-curve --sizes N1,N2,... [options] CONFIG.yaml [CONFIG2.yaml ...]\n\n"
    "Trains one model per variant and training-set size and tests each on the same\n"
    "frames, to show how the test errors fall with the amount of data.\n\n"
    "Variants: each CONFIG is one (say scratch.yaml, and finetune_all.yaml with\n"
    "finetune.init_from set), named after its file without .yaml/.yml. All must\n"
    "train on the same data (data.train, data.test, data.n_test, data.format and\n"
    "the units); data.validation and data.split must be empty (the command makes\n"
    "the splits), and data.n_train and data.n_val are set per run.\n\n"
    "Test set: fixed for every variant and size, from the FIRST config: the file\n"
    "data.test if set, else data.n_test frames split off data.train by a shuffle\n"
    "seeded with that config's seed. The other frames of data.train are the pool.\n\n"
    "Sizes: one shuffle of the pool, seeded by --seed; size N takes its first N\n"
    "frames, so the subsets are nested (25 in 50 in 100 ...). Of those N frames\n"
    "the first ceil(F*N) (at least 1, at most N-1; F = --val-fraction) are the\n"
    "validation frames (early stopping, learning-rate plateau, best model) and\n"
    "the rest train: size N counts every labelled frame a run uses.\n\n"
    "Each run writes DIR/VARIANT/nN/ as 'tanne train' does (output.dir is set\n"
    "there): best.tnm, checkpoint.tnc, metrics.csv, config.yaml (with data.split\n"
    "pointing at the run's split.txt, so 'tanne train' on it redoes the run) and\n"
    "split.txt, which indexes data.train (train, validation and, unless the test\n"
    "set is a file, test frames; for 'tanne eval --split'). The best model is then\n"
    "tested: test_metrics.csv.\n\n"
    "A run folder that already holds best.tnm and test_metrics.csv, whose\n"
    "config.yaml and split.txt equal what the run would use now, is not trained\n"
    "again: its results are read back (train.threads, output.dir,\n"
    "output.checkpoint_every and the data keys the command sets may differ). So after an "
    "interruption the same\n"
    "command carries on, and processes on disjoint variants (each with, say,\n"
    "--set train.threads=1) can share DIR; a last one with every variant collects\n"
    "them. A folder with another config or other frames is an error (nothing is\n"
    "overwritten); an unfinished run (no test_metrics.csv) is started afresh.\n\n"
    "Writes, besides the runs:\n"
    "  DIR/learning_curve.csv   variant,size,n_train,n_val,epochs,minutes and the\n"
    "                           test MAE and RMSE of the energy (meV per frame,\n"
    "                           total energy) and forces (meV/Angstrom, components)\n"
    "  DIR/learning_curve.md    the MAEs as a Markdown table (rows: sizes)\n"
    "  DIR/learning_curve_energy.svg, DIR/learning_curve_forces.svg\n"
    "                           log-log plots of the MAEs against size\n\n"
    "options:\n"
    "  --sizes N1,N2,...   training-set sizes in frames, increasing (required)\n"
    "  --out DIR           output folder [learning-curve]\n"
    "  --val-fraction F    validation share of each size, 0 <= F < 1 [0.1]\n"
    "  --seed S            seed of the pool's shuffle (the subsets) [1]\n"
    "  --names A,B,...     variant names instead of the file names\n"
    "  --set KEY=VALUE     override one config key in every variant (repeatable,\n"
    "                      applied in order after each file)\n";

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

/* ------------------------------------------------------------ arguments */

/* "25,50,100": positive, strictly increasing, each at least 2 (a validation
 * frame and a training frame). */
static void parse_sizes(lc_args *a, const char *text) {
  const char *p = text;
  a->n_sizes = 0;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char tok[32];
    if (len == 0 || len >= sizeof tok)
      cli_usage_error(CMD, "option --sizes: '%s' is not a list of positive integers (25,50,100)",
                      text);
    memcpy(tok, p, len);
    tok[len] = '\0';
    char *stop;
    errno = 0;
    long long v = strtoll(tok, &stop, 10);
    if (*stop || errno || v <= 0 || tok[0] < '0' || tok[0] > '9')
      cli_usage_error(CMD, "option --sizes: '%s' is not a positive integer", tok);
    if (v < 2)
      cli_usage_error(CMD,
                      "option --sizes: size %lld is too small (a run needs a validation and a "
                      "training frame: at least 2)",
                      v);
    if (a->n_sizes > 0 && v <= a->sizes[a->n_sizes - 1])
      cli_usage_error(CMD, "option --sizes: %lld after %lld: sizes must increase strictly", v,
                      (long long)a->sizes[a->n_sizes - 1]);
    if (a->n_sizes == LC_MAX) cli_usage_error(CMD, "option --sizes: more than %d sizes", LC_MAX);
    a->sizes[a->n_sizes++] = v;
    if (!end) break;
    p = end + 1;
  }
}

/* A variant name becomes a folder and a CSV field: letters, digits, and
 * . _ + - (not first), at most LC_NAME_MAX - 1 bytes. */
static int name_ok(const char *s, size_t len) {
  if (len == 0 || len >= LC_NAME_MAX || s[0] == '.' || s[0] == '-') return 0;
  for (size_t k = 0; k < len; k++) {
    char c = s[k];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '+' || c == '-'))
      return 0;
  }
  return 1;
}

static void set_names(lc_args *a, const char *names) {
  if (names) {
    const char *p = names;
    int n = 0;
    for (;;) {
      const char *end = strchr(p, ',');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      if (n == a->n_configs)
        cli_usage_error(CMD, "option --names: more names than the %d config files", a->n_configs);
      if (!name_ok(p, len))
        cli_usage_error(CMD,
                        "option --names: '%.*s' is not a usable name (letters, digits, . _ + -)",
                        (int)len, p);
      memcpy(a->names[n], p, len);
      a->names[n++][len] = '\0';
      if (!end) break;
      p = end + 1;
    }
    if (n != a->n_configs)
      cli_usage_error(CMD, "option --names: %d names for %d config files", n, a->n_configs);
  } else {
    for (int v = 0; v < a->n_configs; v++) {
      const char *base = strrchr(a->configs[v], '/');
      base = base ? base + 1 : a->configs[v];
      size_t len = strlen(base);
      if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
      else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
      if (!name_ok(base, len))
        cli_usage_error(CMD,
                        "%s: '%.*s' is not a usable variant name (letters, digits, . _ + -): "
                        "give the names with --names",
                        a->configs[v], (int)len, base);
      memcpy(a->names[v], base, len);
      a->names[v][len] = '\0';
    }
  }
  for (int v = 0; v < a->n_configs; v++)
    for (int w = 0; w < v; w++)
      if (strcmp(a->names[v], a->names[w]) == 0)
        cli_usage_error(CMD, "two variants are named '%s' (%s and %s): give the names with --names",
                        a->names[v], a->configs[w], a->configs[v]);
}

static void parse_args(lc_args *a, int argc, char **argv) {
  cli_args c;
  cli_args_init(&c, CMD, argc, argv);
  const char *arg, *names = NULL;
  int have_sizes = 0;
  memset(a, 0, sizeof *a);
  a->out = "learning-curve";
  a->val_fraction = 0.1;
  a->seed = 1;
  while (cli_args_next(&c, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s", help);
      exit(0);
    }
    if (cli_opt(&c, arg, "sizes")) {
      parse_sizes(a, c.value);
      have_sizes = 1;
    } else if (cli_opt(&c, arg, "out")) {
      if (!c.value[0]) cli_usage_error(CMD, "option --out: empty folder name");
      a->out = c.value;
    } else if (cli_opt(&c, arg, "val-fraction")) {
      a->val_fraction = cli_double(&c, "val-fraction", c.value);
      if (!(a->val_fraction >= 0.0 && a->val_fraction < 1.0))
        cli_usage_error(CMD, "option --val-fraction: %s is not in 0 <= F < 1", c.value);
    } else if (cli_opt(&c, arg, "seed")) {
      a->seed = (uint64_t)cli_long(&c, "seed", c.value, 0, 2147483647L);
    } else if (cli_opt(&c, arg, "names")) {
      names = c.value;
    } else if (cli_opt(&c, arg, "set")) {
      if (a->n_sets == LC_MAX) cli_usage_error(CMD, "more than %d --set options", LC_MAX);
      a->sets[a->n_sets++] = c.value;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      cli_usage_error(CMD, "unknown option '%s'", arg);
    } else {
      if (a->n_configs == LC_MAX) cli_usage_error(CMD, "more than %d config files", LC_MAX);
      a->configs[a->n_configs++] = arg;
    }
  }
  if (a->n_configs == 0) cli_usage_error(CMD, "no config file given");
  if (!have_sizes) cli_usage_error(CMD, "option --sizes is required (e.g. --sizes 25,50,100)");
  set_names(a, names);
}

/* Frames of size n that validate: ceil(F·n), at least 1, at most n - 1. The
 * small allowance keeps 0.1·50 = 5 from rounding up to 6. */
static int64_t val_count(double fraction, int64_t n) {
  int64_t v = (int64_t)ceil(fraction * (double)n - 1e-9);
  if (v < 1) v = 1;
  if (v > n - 1) v = n - 1;
  return v;
}

/* ---------------------------------------------------------------- configs */

static int load_configs(tn_train_config *cfgs, const lc_args *a) {
  char err[1024];
  for (int v = 0; v < a->n_configs; v++) {
    cfgs[v] = tn_train_config_default();
    tn_status st = tn_train_config_load(&cfgs[v], a->configs[v], err, sizeof err);
    for (int k = 0; k < a->n_sets && st == TN_STATUS_OK; k++)
      st = tn_train_config_set(&cfgs[v], a->sets[k], err, sizeof err);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
      return 0;
    }
    if (cfgs[v].data.validation[0] || cfgs[v].data.split[0]) {
      fprintf(stderr,
              CMD ": %s: %s is set, but learning-curve makes the validation frames of each run "
                  "itself (--val-fraction): leave it empty\n",
              a->configs[v], cfgs[v].data.validation[0] ? "data.validation" : "data.split");
      return 0;
    }
  }
  const tn_train_config *c0 = &cfgs[0];
  if (!c0->data.test[0] && c0->data.n_test <= 0) {
    fprintf(stderr,
            CMD ": %s: no test set: set data.test (a file) or data.n_test (frames split off "
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
              CMD ": %s differs between variants: '%s' in %s, '%s' in %s; every variant must "
                  "use the same data (the test set is fixed)\n",
              keys[k].key, keys[k].first, a->configs[0], keys[k].here, a->configs[v]);
      return 0;
    }
    if (!c0->data.test[0] && c->data.n_test != c0->data.n_test) {
      fprintf(stderr,
              CMD ": data.n_test differs between variants: %lld in %s, %lld in %s; every "
                  "variant must use the same test set\n",
              (long long)c0->data.n_test, a->configs[0], (long long)c->data.n_test, a->configs[v]);
      return 0;
    }
  }
  return 1;
}

/* ------------------------------------------------------------------- data */

static void lc_data_free(lc_data *d) {
  tn_dataset_free(d->all);
  tn_dataset_free(d->test);
  free(d->test_idx);
  free(d->order);
  memset(d, 0, sizeof *d);
}

/* Reads data.train of the first config, cuts off the test set and shuffles
 * the pool; then checks that the largest size fits into it. */
static int load_data(lc_data *d, const tn_train_config *c0, const lc_args *a) {
  tn_read_options opt;
  tn_split cut = {0}, perm = {0};
  int64_t *pool = NULL;
  int ok = 0;
  if (!run_read_options(CMD, c0, &opt)) return 0;
  d->all = tn_dataset_create();
  d->test = tn_dataset_create();
  if (!d->all || !d->test) goto oom;
  if (!run_read_train(CMD, c0, &opt, d->all, &d->all_name)) goto done;
  int64_t n = d->all->n_frames;
  d->test_from_file = c0->data.test[0] != '\0';
  if (d->test_from_file) {
    const char *path = c0->data.test;
    if (!cli_read_all(d->test, &path, 1, &opt)) goto done;
  } else {
    if (c0->data.n_test >= n) {
      fprintf(stderr,
              CMD ": %s: data.n_test (%lld) leaves no frames to train on of the %lld in %s\n",
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
    if (!run_subset(CMD, d->test, d->all, d->test_idx, d->n_test)) goto done;
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
            CMD ": option --sizes: size %lld is more than the %lld frames of the pool (%s: %lld "
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
  fprintf(stderr, CMD ": out of memory\n");
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
    fprintf(stderr, CMD ": out of memory\n");
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
  if (st != TN_STATUS_OK) fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
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
            CMD ": %s holds a model but no config.yaml: not a run of this command; move it away "
                "or choose another --out\n",
            dir);
    return RUN_ERROR;
  }
  tn_train_config *old = malloc(sizeof *old);
  char *text_old = NULL, *text_now = NULL;
  tn_split saved = {0};
  int result = RUN_ERROR;
  if (!old) {
    fprintf(stderr, CMD ": out of memory\n");
    goto done;
  }
  *old = tn_train_config_default();
  tn_status st = tn_train_config_load(old, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s holds a run whose config cannot be read: %s (%s)\n", dir, err,
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
            CMD ": %s holds a run with another config than variant '%s' has now (config.yaml "
                "differs: %s): remove the folder or choose another --out\n",
            dir, variant, what);
    goto done;
  }
  snprintf(path, sizeof path, "%s/split.txt", dir);
  st = tn_split_load(&saved, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s holds a run whose split cannot be read: %s (%s)\n", dir, err,
            tn_status_str(st));
    goto done;
  }
  if (!same_split(&saved, split)) {
    fprintf(stderr,
            CMD ": %s holds a run on other frames (split.txt differs: another --seed, "
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
  fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
  free(text);
  return 0;
}

/* ------------------------------------------------------------------- runs */

/* Trains (or collects) one variant at one size and fills *r. */
static int do_run(lc_result *r, const tn_train_config *base, const char *variant, int64_t n,
                  const lc_data *d, const lc_args *a) {
  tn_train_config *cfg = malloc(sizeof *cfg);
  tn_split split = {0};
  run_data rd;
  tn_trainer *t = NULL;
  int ok = 0;
  memset(&rd, 0, sizeof rd);
  if (!cfg) {
    fprintf(stderr, CMD ": out of memory\n");
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
    fprintf(stderr, CMD ": option --out: the folder name '%s' is too long\n", a->out);
    goto done;
  }
  cfg->data.n_train = r->n_train;
  cfg->data.n_val = n_val;
  if (!make_split(&split, d, n, n_val, a->seed)) goto done;
  int what = inspect_folder(cfg, &split, variant);
  if (what == RUN_ERROR) goto done;
  if (what == RUN_TRAIN) {
    fprintf(stderr, CMD ": variant %s, size %lld (%lld train, %lld validation)%s\n", variant,
            (long long)n, (long long)r->n_train, (long long)n_val,
            exists(cfg->output.dir, "checkpoint.tnc") ? ": an unfinished run, started afresh" : "");
    rd.all = d->all;
    rd.test = d->test;
    rd.test_from_file = d->test_from_file;
    rd.split = split;
    rd.train = tn_dataset_create();
    rd.val = tn_dataset_create();
    if (!rd.train || !rd.val) {
      fprintf(stderr, CMD ": out of memory\n");
      goto done;
    }
    if (!run_subset(CMD, rd.train, d->all, split.train, split.n_train) ||
        !run_subset(CMD, rd.val, d->all, split.val, split.n_val) ||
        !run_trainer_start(CMD, &t, cfg, &rd, 0, stderr) || !run_trainer_train(CMD, t, 1) ||
        !run_test_report(CMD, tn_trainer_model(t), &rd, cfg, NULL))
      goto done;
  }
  /* Both fresh and collected runs are read back, so a second invocation
   * gives the same numbers. */
  if (!read_results(r, cfg->output.dir)) goto done;
  fprintf(stderr,
          CMD ": variant %s, size %lld: test MAE E %.4g meV, F %.4g meV/Å (%d epochs, %.2f "
              "min)%s\n",
          variant, (long long)n, r->e_mae, r->f_mae, r->epochs, r->minutes,
          what == RUN_DONE ? ", collected from an earlier run" : "");
  ok = 1;
done:
  tn_trainer_free(t);
  tn_dataset_free(rd.train);
  tn_dataset_free(rd.val);
  tn_split_free(&split);
  free(cfg);
  return ok;
}

/* ----------------------------------------------------------------- output */

/* mkdir -p. */
static int make_dir(const char *dir) {
  char path[TN_PATH_MAX];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
    fprintf(stderr, CMD ": option --out: the folder name '%s' is too long\n", dir);
    return 0;
  }
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char keep = *p;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, CMD ": %s: cannot create the folder: %s\n", path, strerror(errno));
      return 0;
    }
    *p = keep;
    if (!keep) return 1;
  }
}

/* Opens out/name for an atomic write; *path and *tmp are malloc'd. */
static FILE *open_output(const lc_args *a, const char *name, char **path, char **tmp) {
  *path = run_path(CMD, a->out, name);
  size_t tmp_len = *path ? strlen(*path) + 32 : 0;
  *tmp = *path ? malloc(tmp_len) : NULL;
  FILE *f = *tmp ? tn_open_temp(*path, *tmp, tmp_len) : NULL;
  if (!f && *tmp) fprintf(stderr, CMD ": %s: cannot write: %s\n", *path, strerror(errno));
  return f;
}

static int close_output(FILE *f, char *path, char *tmp) {
  char err[1024];
  tn_status st = tn_commit_file(f, tmp, path, err, sizeof err);
  if (st != TN_STATUS_OK)
    fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
  else
    fprintf(stderr, CMD ": wrote %s\n", path);
  free(path);
  free(tmp);
  return st == TN_STATUS_OK;
}

/* results[v * n_sizes + s] */
static int write_csv(const lc_args *a, const lc_result *res) {
  char *path, *tmp;
  FILE *f = open_output(a, "learning_curve.csv", &path, &tmp);
  if (!f) {
    free(path);
    free(tmp);
    return 0;
  }
  fprintf(f, "variant,size,n_train,n_val,epochs,minutes,energy_mae_meV,energy_rmse_meV,"
             "forces_mae_meV_per_A,forces_rmse_meV_per_A\n");
  for (int v = 0; v < a->n_configs; v++)
    for (int s = 0; s < a->n_sizes; s++) {
      const lc_result *r = &res[v * a->n_sizes + s];
      fprintf(f, "%s,%lld,%lld,%lld,%d,%.4f,%.10g,%.10g,%.10g,%.10g\n", a->names[v],
              (long long)a->sizes[s], (long long)r->n_train, (long long)r->n_val, r->epochs,
              r->minutes, r->e_mae, r->e_rmse, r->f_mae, r->f_rmse);
    }
  return close_output(f, path, tmp);
}

static void md_value(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, " %.4g |", v);
  else
    fprintf(f, " - |");
}

/* Rows: sizes; columns: E and F test MAE of each variant. */
static void md_table(FILE *f, const lc_args *a, const lc_result *res) {
  fprintf(f, "| size | train | val |");
  for (int v = 0; v < a->n_configs; v++)
    fprintf(f, " %s E (meV) | %s F (meV/Å) |", a->names[v], a->names[v]);
  fprintf(f, "\n|---:|---:|---:|");
  for (int v = 0; v < a->n_configs; v++) fprintf(f, "---:|---:|");
  fprintf(f, "\n");
  for (int s = 0; s < a->n_sizes; s++) {
    const lc_result *r0 = &res[s];
    fprintf(f, "| %lld | %lld | %lld |", (long long)a->sizes[s], (long long)r0->n_train,
            (long long)r0->n_val);
    for (int v = 0; v < a->n_configs; v++) {
      md_value(f, res[v * a->n_sizes + s].e_mae);
      md_value(f, res[v * a->n_sizes + s].f_mae);
    }
    fprintf(f, "\n");
  }
}

static int write_markdown(const lc_args *a, const lc_result *res, const lc_data *d,
                          const tn_train_config *c0) {
  char *path, *tmp;
  FILE *f = open_output(a, "learning_curve.md", &path, &tmp);
  if (!f) {
    free(path);
    free(tmp);
    return 0;
  }
  fprintf(f, "# Learning curve\n\n");
  fprintf(f,
          "Test errors (MAE) of the best model of each run on the same %lld test frames (%s). "
          "E: energy, meV per frame (total energy); F: force components, meV/Å. Size N counts "
          "the labelled frames of a run: %lld pool frames of %s, shuffled with seed %llu, the "
          "first N of them, the first ceil(%g·N) validating.\n\n",
          (long long)d->test->n_frames, d->test_from_file ? c0->data.test : "split off data.train",
          (long long)d->n_pool, d->all_name, (unsigned long long)a->seed, a->val_fraction);
  md_table(f, a, res);
  fprintf(f, "\nVariants:");
  for (int v = 0; v < a->n_configs; v++)
    fprintf(f, "%s %s (%s)", v ? "," : "", a->names[v], a->configs[v]);
  fprintf(f, ". Runs: %s/VARIANT/nN/.\n", a->out);
  return close_output(f, path, tmp);
}

/* One log-log plot of an error against size, a series per variant. */
static int write_plot(const lc_args *a, const lc_result *res, int forces) {
  const char *name = forces ? "learning_curve_forces.svg" : "learning_curve_energy.svg";
  char *path = run_path(CMD, a->out, name), err[1024];
  double *x = malloc((size_t)a->n_sizes * sizeof *x);
  double *y = malloc((size_t)(a->n_configs * a->n_sizes) * sizeof *y);
  tn_plot_series *series = malloc((size_t)a->n_configs * sizeof *series);
  int ok = 0;
  if (!path || !x || !y || !series) {
    fprintf(stderr, CMD ": out of memory\n");
    goto done;
  }
  for (int s = 0; s < a->n_sizes; s++) x[s] = (double)a->sizes[s];
  for (int v = 0; v < a->n_configs; v++) {
    for (int s = 0; s < a->n_sizes; s++) {
      const lc_result *r = &res[v * a->n_sizes + s];
      y[v * a->n_sizes + s] = forces ? r->f_mae : r->e_mae;
    }
    series[v] = (tn_plot_series){.label = a->names[v],
                                 .x = x,
                                 .y = y + v * a->n_sizes,
                                 .n = a->n_sizes,
                                 .style = TN_PLOT_POINTS | TN_PLOT_LINE};
  }
  tn_plot plot = {.title = forces ? "Learning curve: forces" : "Learning curve: energy",
                  .x_label = "training-set size N (frames, training + validation)",
                  .y_label = forces ? "test MAE of force components (meV/Å)"
                                    : "test MAE of energy (meV/frame)",
                  .log_x = 1,
                  .log_y = 1,
                  .n_series = a->n_configs,
                  .series = series};
  tn_status st = tn_plot_write_svg(&plot, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, CMD ": %s (%s)\n", err, tn_status_str(st));
    goto done;
  }
  fprintf(stderr, CMD ": wrote %s\n", path);
  ok = 1;
done:
  free(path);
  free(x);
  free(y);
  free(series);
  return ok;
}

/* ---------------------------------------------------------------- command */

int cmd_learning_curve(int argc, char **argv) {
  lc_args a;
  parse_args(&a, argc, argv);
  int status = 1;
  lc_data d;
  memset(&d, 0, sizeof d);
  tn_train_config *cfgs = malloc((size_t)a.n_configs * sizeof *cfgs);
  lc_result *res = calloc((size_t)(a.n_configs * a.n_sizes), sizeof *res);
  if (!cfgs || !res) {
    fprintf(stderr, CMD ": out of memory\n");
    goto done;
  }
  if (!load_configs(cfgs, &a) || !load_data(&d, &cfgs[0], &a) || !make_dir(a.out)) goto done;
  fprintf(stderr,
          CMD ": %d variant(s) x %d size(s); test set: %lld frames (%s); pool: %lld frames of %s, "
              "shuffled with seed %llu\n",
          a.n_configs, a.n_sizes, (long long)d.test->n_frames,
          d.test_from_file ? cfgs[0].data.test : "split off data.train", (long long)d.n_pool,
          d.all_name, (unsigned long long)a.seed);
  /* Size-major: every variant's small runs come first. */
  for (int s = 0; s < a.n_sizes; s++)
    for (int v = 0; v < a.n_configs; v++)
      if (!do_run(&res[v * a.n_sizes + s], &cfgs[v], a.names[v], a.sizes[s], &d, &a)) goto done;
  if (!write_csv(&a, res) || !write_markdown(&a, res, &d, &cfgs[0]) || !write_plot(&a, res, 0) ||
      !write_plot(&a, res, 1))
    goto done;
  printf("test MAE of the best model of each run on %lld frames (E: meV per frame, F: meV/Å):\n\n",
         (long long)d.test->n_frames);
  md_table(stdout, &a, res);
  printf("\ntable: %s/learning_curve.csv, %s/learning_curve.md; plots: "
         "%s/learning_curve_energy.svg, %s/learning_curve_forces.svg\n",
         a.out, a.out, a.out, a.out);
  status = 0;
done:
  lc_data_free(&d);
  free(cfgs);
  free(res);
  return status;
}
