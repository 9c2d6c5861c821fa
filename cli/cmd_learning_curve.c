/* tanne learning-curve --sizes 25,50,... CONFIG.yaml...: one training run
 * per variant (config) and training-set size, each tested on one fixed test
 * set, with a table and log-log plots of the test errors against size. Runs
 * that are already complete, with the same config and frames, are collected
 * rather than trained again, so the command resumes after an interruption
 * and several invocations on disjoint variants can share one --out.
 *
 * This file holds the help text, the arguments and the command's main
 * flow; the runs are in learning_curve_runs.c, the table and plots in
 * learning_curve_output.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "learning_curve.h"

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
    "output.checkpoint_every and the data keys the command sets may differ). So\n"
    "after an interruption the same command carries on, and processes on disjoint\n"
    "variants (each with, say, --set train.threads=1) can share DIR; a last one\n"
    "with every variant collects them. A run that another process is training\n"
    "(it holds DIR/VARIANT/nN.lock) is waited for, then collected; a lock whose\n"
    "process is gone is taken over. A folder with another config or other frames\n"
    "is an error (nothing is overwritten); an unfinished run (no\n"
    "test_metrics.csv) is started afresh.\n\n"
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
      cli_usage_error(LC_CMD, "option --sizes: '%s' is not a list of positive integers (25,50,100)",
                      text);
    memcpy(tok, p, len);
    tok[len] = '\0';
    char *stop;
    errno = 0;
    long long v = strtoll(tok, &stop, 10);
    if (*stop || errno || v <= 0 || tok[0] < '0' || tok[0] > '9')
      cli_usage_error(LC_CMD, "option --sizes: '%s' is not a positive integer", tok);
    if (v < 2)
      cli_usage_error(LC_CMD,
                      "option --sizes: size %lld is too small (a run needs a validation and a "
                      "training frame: at least 2)",
                      v);
    if (a->n_sizes > 0 && v <= a->sizes[a->n_sizes - 1])
      cli_usage_error(LC_CMD, "option --sizes: %lld after %lld: sizes must increase strictly", v,
                      (long long)a->sizes[a->n_sizes - 1]);
    if (a->n_sizes == LC_MAX) cli_usage_error(LC_CMD, "option --sizes: more than %d sizes", LC_MAX);
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
        cli_usage_error(LC_CMD, "option --names: more names than the %d config files",
                        a->n_configs);
      if (!name_ok(p, len))
        cli_usage_error(LC_CMD,
                        "option --names: '%.*s' is not a usable name (letters, digits, . _ + -)",
                        (int)len, p);
      memcpy(a->names[n], p, len);
      a->names[n++][len] = '\0';
      if (!end) break;
      p = end + 1;
    }
    if (n != a->n_configs)
      cli_usage_error(LC_CMD, "option --names: %d names for %d config files", n, a->n_configs);
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
        cli_usage_error(LC_CMD,
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
        cli_usage_error(LC_CMD,
                        "two variants are named '%s' (%s and %s): give the names with --names",
                        a->names[v], a->configs[w], a->configs[v]);
}

static void parse_args(lc_args *a, int argc, char **argv) {
  cli_args c;
  cli_args_init(&c, LC_CMD, argc, argv);
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
      if (!c.value[0]) cli_usage_error(LC_CMD, "option --out: empty folder name");
      a->out = c.value;
    } else if (cli_opt(&c, arg, "val-fraction")) {
      a->val_fraction = cli_double(&c, "val-fraction", c.value);
      if (!(a->val_fraction >= 0.0 && a->val_fraction < 1.0))
        cli_usage_error(LC_CMD, "option --val-fraction: %s is not in 0 <= F < 1", c.value);
    } else if (cli_opt(&c, arg, "seed")) {
      a->seed = (uint64_t)cli_long(&c, "seed", c.value, 0, 2147483647L);
    } else if (cli_opt(&c, arg, "names")) {
      names = c.value;
    } else if (cli_opt(&c, arg, "set")) {
      if (a->n_sets == LC_MAX) cli_usage_error(LC_CMD, "more than %d --set options", LC_MAX);
      a->sets[a->n_sets++] = c.value;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      cli_usage_error(LC_CMD, "unknown option '%s'", arg);
    } else {
      if (a->n_configs == LC_MAX) cli_usage_error(LC_CMD, "more than %d config files", LC_MAX);
      a->configs[a->n_configs++] = arg;
    }
  }
  if (a->n_configs == 0) cli_usage_error(LC_CMD, "no config file given");
  if (!have_sizes) cli_usage_error(LC_CMD, "option --sizes is required (e.g. --sizes 25,50,100)");
  set_names(a, names);
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
    fprintf(stderr, LC_CMD ": out of memory\n");
    goto done;
  }
  if (!lc_load_configs(cfgs, &a) || !lc_load_data(&d, &cfgs[0], &a) || !cli_make_dir(LC_CMD, a.out))
    goto done;
  fprintf(stderr,
          LC_CMD
          ": %d variant(s) x %d size(s); test set: %lld frames (%s); pool: %lld frames of %s, "
          "shuffled with seed %llu\n",
          a.n_configs, a.n_sizes, (long long)d.test->n_frames,
          d.test_from_file ? cfgs[0].data.test : "split off data.train", (long long)d.n_pool,
          d.all_name, (unsigned long long)a.seed);
  /* Size-major: every variant's small runs come first. */
  for (int s = 0; s < a.n_sizes; s++)
    for (int v = 0; v < a.n_configs; v++)
      if (!lc_run(&res[v * a.n_sizes + s], &cfgs[v], a.names[v], a.sizes[s], &d, &a)) goto done;
  if (!lc_write_csv(&a, res) || !lc_write_markdown(&a, res, &d, &cfgs[0]) ||
      !lc_write_plot(&a, res, 0) || !lc_write_plot(&a, res, 1))
    goto done;
  printf("test MAE of the best model of each run on %lld frames (E: meV per frame, F: meV/Å):\n\n",
         (long long)d.test->n_frames);
  lc_md_table(stdout, &a, res);
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
