/* tanne sweep CONFIG --width W,... --depth D,...: one model per size, on
 * totals (and forces) only, and how faithfully each recovers a reference
 * partition of the energy into atoms, in domain and on a transfer set
 * (Uhlig, Tovey & Holm 2024: smaller networks recover it more faithfully). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/core.h"
#include "cli.h"
#include "report.h"
#include "train_run.h"

#define SW_CMD "tanne sweep"
#define SW_MAX 16 /* widths, depths, --set values */

static const char help[] =
    "usage: tanne sweep [options] CONFIG.yaml --width 8,16,32 --depth 1,2,3\n\n"
    "Trains one model per (width, depth), that is per (model.features,\n"
    "model.interactions; for BPNN the hidden-layer width and count), on the\n"
    "config's data and its test split, on total energies (and forces, as the\n"
    "config weighs them) only: loss.atomic_energies is set to 0. For each size it\n"
    "reports the parameters, the test errors, and how well the model's atomic\n"
    "energies, never trained on, recover the reference partition (the per-atom\n"
    "column data.atomic_energies or --ref; 'energies' by default): MAE and R^2\n"
    "per element after removing each element's mean error (see tanne atoms).\n"
    "With --transfer FILE the same on a transfer set that no run trains on.\n\n"
    "Each run lives in DIR/wW_dD. A run that finished (best.tnm and\n"
    "test_metrics.csv) is evaluated, not retrained; one that was interrupted\n"
    "(checkpoint.tnc) is resumed.\n\n"
    "Writes DIR/sweep.csv, DIR/sweep.md (also printed), DIR/sweep_atoms.svg\n"
    "(atomic-energy MAE against parameters) and, with --transfer,\n"
    "DIR/sweep_transfer.svg (the transfer set's energy error against the\n"
    "atomic-energy MAE, one point per size).\n\n"
    "options:\n"
    "  --width LIST        model.features values, comma-separated (required)\n"
    "  --depth LIST        model.interactions values  [the config's]\n"
    "  --ref COLUMN        reference atomic energies  [data.atomic_energies, else\n"
    "                      'energies']\n"
    "  --transfer FILE     a transfer set (read like data.train)\n"
    "  --out DIR           the runs and the tables  [sweep]\n"
    "  --set KEY=VALUE     a config override for every run (repeatable)\n";

typedef struct sweep_args {
  const char *config, *ref, *transfer, *out;
  const char *sets[SW_MAX];
  int n_sets;
  int widths[SW_MAX], depths[SW_MAX];
  int n_widths, n_depths;
} sweep_args;

/* One size: what the table shows. Errors in meV units; NaN if absent. */
typedef struct sweep_row {
  int width, depth;
  int64_t params;
  int epochs;            /* rows of the run's metrics.csv */
  double e_mae, f_mae;   /* test: meV/atom, meV/Å */
  double a_mae, a_r2[4]; /* test atomic energies, offset removed; R² of up to 4 elements */
  double a_mae_raw;      /* the same before removing the offsets */
  double t_e_mae, t_f_mae, t_a_mae, t_a_mae_raw; /* transfer set */
  double t_a_r2[4];
  int z[4], n_z;
} sweep_row;

static int parse_list(int *out, const char *text, const char *name) {
  int n = 0;
  const char *at = text;
  while (*at) {
    char *end;
    long v = strtol(at, &end, 10);
    if (end == at || v < 1 || v > 4096 || (*end && *end != ','))
      cli_usage_error(SW_CMD, "option --%s: '%s' is not a list of integers in 1..4096", name, text);
    if (n == SW_MAX) cli_usage_error(SW_CMD, "option --%s: at most %d values", name, SW_MAX);
    out[n++] = (int)v;
    at = *end ? end + 1 : end;
  }
  if (n == 0) cli_usage_error(SW_CMD, "option --%s: no values", name);
  return n;
}

static void parse(sweep_args *s, int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, SW_CMD, argc, argv);
  memset(s, 0, sizeof *s);
  s->out = "sweep";
  const char *arg;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s", help);
      exit(0);
    } else if (cli_opt(&a, arg, "width"))
      s->n_widths = parse_list(s->widths, a.value, "width");
    else if (cli_opt(&a, arg, "depth"))
      s->n_depths = parse_list(s->depths, a.value, "depth");
    else if (cli_opt(&a, arg, "ref"))
      s->ref = a.value;
    else if (cli_opt(&a, arg, "transfer"))
      s->transfer = a.value;
    else if (cli_opt(&a, arg, "out") || cli_output_opt(&a, arg)) {
      if (!a.value[0]) cli_usage_error(SW_CMD, "option --out: empty folder name");
      s->out = a.value;
    } else if (cli_opt(&a, arg, "set")) {
      if (s->n_sets == SW_MAX) cli_usage_error(SW_CMD, "at most %d --set values", SW_MAX);
      s->sets[s->n_sets++] = a.value;
    } else if (arg[0] == '-' && arg[1] != '\0')
      cli_usage_error(SW_CMD, "unknown option '%s'", arg);
    else if (s->config)
      cli_usage_error(SW_CMD, "more than one config file ('%s', '%s')", s->config, arg);
    else
      s->config = arg;
  }
  if (!s->config) cli_usage_error(SW_CMD, "no config file given");
  if (!s->n_widths) cli_usage_error(SW_CMD, "no --width values");
}

/* The config of one size: the file, the --set values, then the size, the
 * run folder and no atomic-energy loss. */
static int size_config(tn_train_config *cfg, const sweep_args *s, int width, int depth) {
  char err[1024], set[TN_PATH_MAX + 64];
  *cfg = tn_train_config_default();
  tn_status st = tn_train_config_load(cfg, s->config, err, sizeof err);
  for (int k = 0; k < s->n_sets && st == TN_STATUS_OK; k++)
    st = tn_train_config_set(cfg, s->sets[k], err, sizeof err);
  if (st == TN_STATUS_OK && depth > 0) {
    snprintf(set, sizeof set, "model.interactions=%d", depth);
    st = tn_train_config_set(cfg, set, err, sizeof err);
  }
  if (st == TN_STATUS_OK) {
    snprintf(set, sizeof set, "model.features=%d", width);
    st = tn_train_config_set(cfg, set, err, sizeof err);
  }
  if (st == TN_STATUS_OK) st = tn_train_config_set(cfg, "loss.atomic_energies=0", err, sizeof err);
  if (st == TN_STATUS_OK && s->ref) {
    snprintf(set, sizeof set, "data.atomic_energies=%s", s->ref);
    st = tn_train_config_set(cfg, set, err, sizeof err);
  }
  if (st == TN_STATUS_OK) {
    snprintf(set, sizeof set, "output.dir=%s/w%d_d%d", s->out, width, cfg->model.interactions);
    st = tn_train_config_set(cfg, set, err, sizeof err);
  }
  if (st != TN_STATUS_OK) fprintf(stderr, SW_CMD ": %s (%s)\n", err, tn_status_str(st));
  return st == TN_STATUS_OK;
}

static int exists(const char *dir, const char *name) {
  char path[TN_PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

/* Epochs the run trained: the rows of its metrics.csv under the header (a
 * resumed run appends to it). -1 when it cannot be read. */
static int count_epochs(const char *dir) {
  char path[TN_PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int lines = 0, c, last = '\n';
  while ((c = getc(f)) != EOF) {
    if (c == '\n') lines++;
    last = c;
  }
  if (last != '\n') lines++;
  fclose(f);
  return lines > 0 ? lines - 1 : 0;
}

/* Errors of m on ds into the row's fields (transfer: the t_ ones). */
static int evaluate(sweep_row *row, tn_model *m, const tn_dataset *ds, const char *column,
                    int transfer) {
  report *r = report_create(1);
  report_atomic *rows = malloc(119 * sizeof *rows);
  int ok = 0;
  if (!r || !rows) {
    fprintf(stderr, SW_CMD ": out of memory\n");
    goto done;
  }
  if (!report_evaluate(r, m, ds, column, NULL, SW_CMD, NULL)) goto done;
  tn_error_stats e, f;
  report_totals(r, &e, &f);
  int n = report_atomic_rows(r, rows);
  double a_mae = n ? tn_error_stats_mae(&rows[0].shifted) : NAN;
  double a_mae_raw = n ? tn_error_stats_mae(&rows[0].raw) : NAN;
  /* R² per element, in the test set's element order (the table's columns);
   * a transfer set's other elements have no column. */
  double *r2 = transfer ? row->t_a_r2 : row->a_r2;
  for (int k = 0; k < 4; k++) r2[k] = NAN;
  if (!transfer) {
    row->n_z = n > 5 ? 4 : (n ? n - 1 : 0);
    for (int q = 0; q < row->n_z; q++) row->z[q] = rows[q + 1].z;
  }
  for (int k = 1; k < n; k++)
    for (int q = 0; q < row->n_z; q++)
      if (row->z[q] == rows[k].z) r2[q] = tn_error_stats_r2(&rows[k].shifted);
  *(transfer ? &row->t_e_mae : &row->e_mae) = tn_error_stats_mae(&e);
  *(transfer ? &row->t_f_mae : &row->f_mae) = tn_error_stats_mae(&f);
  *(transfer ? &row->t_a_mae : &row->a_mae) = a_mae;
  *(transfer ? &row->t_a_mae_raw : &row->a_mae_raw) = a_mae_raw;
  ok = 1;
done:
  free(rows);
  report_free(r);
  return ok;
}

/* Trains (or collects) one size and evaluates its best model. */
static int run_size(sweep_row *row, const sweep_args *s, int width, int depth,
                    const tn_dataset *transfer) {
  tn_train_config cfg;
  run_data d;
  memset(&d, 0, sizeof d);
  tn_trainer *t = NULL;
  tn_model *m = NULL;
  int ok = 0;
  if (!size_config(&cfg, s, width, depth) || !run_load_data(SW_CMD, &d, &cfg)) goto done;
  if (d.test->n_frames == 0) {
    fprintf(stderr, SW_CMD ": the config has no test set (data.test or data.n_test)\n");
    goto done;
  }
  row->width = width;
  row->depth = cfg.model.interactions;
  const char *dir = cfg.output.dir;
  if (exists(dir, "best.tnm") && exists(dir, "test_metrics.csv")) {
    fprintf(stderr, SW_CMD ": %s has finished: evaluating it\n", dir);
  } else {
    int resume = exists(dir, "checkpoint.tnc");
    if (!run_trainer_start(SW_CMD, &t, &cfg, &d, resume, NULL, stderr) ||
        !run_trainer_train(SW_CMD, t, d.val->n_frames > 0) ||
        !run_test_report(SW_CMD, tn_trainer_model(t), &d, &cfg, NULL))
      goto done;
  }
  char *best = run_path(SW_CMD, dir, "best.tnm"), err[1024];
  if (!best) goto done;
  tn_status st = tn_model_load(&m, best, err, sizeof err);
  free(best);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, SW_CMD ": %s\n", err);
    goto done;
  }
  row->params = tn_model_param_count(m);
  row->epochs = count_epochs(dir);
  const char *column = cfg.data.atomic_energies[0] ? cfg.data.atomic_energies : TN_LABEL_ENERGIES;
  ok = evaluate(row, m, d.test, column, 0) && (!transfer || evaluate(row, m, transfer, column, 1));
done:
  tn_model_free(m);
  tn_trainer_free(t);
  run_data_free(&d);
  return ok;
}

static void md_num(FILE *f, double v, const char *fmt) {
  if (isfinite(v))
    fprintf(f, fmt, v);
  else
    fprintf(f, " - |");
}

/* "shifted (raw) |" */
static void md_atomic(FILE *f, double shifted, double raw) {
  if (isfinite(shifted) && isfinite(raw))
    fprintf(f, " %.2f (%.2f) |", shifted, raw);
  else
    fprintf(f, " - |");
}

static void write_table(FILE *f, const sweep_args *s, const sweep_row *rows, int n) {
  fprintf(f,
          "# Size sweep: %s\n\nTrained on totals%s only (loss.atomic_energies = 0). "
          "Atomic energies against the reference partition: MAE in meV after removing each "
          "element's mean error (raw, before removing it, in brackets) and R² per element "
          "after removing it.\n\n",
          s->config, " (and forces, as the config weighs them)");
  fprintf(f, "| width | depth | parameters | epochs | test E MAE (meV/atom) | test F MAE (meV/Å) | "
             "atomic MAE (meV) | R²");
  for (int k = 0; k < rows[0].n_z; k++) fprintf(f, " %s", tn_element_symbol(rows[0].z[k]));
  fprintf(f, " |");
  if (s->transfer)
    fprintf(f, " transfer E MAE (meV/atom) | transfer F MAE (meV/Å) | transfer atomic MAE (meV) | "
               "transfer R² |");
  fprintf(f, "\n|---:|---:|---:|---:|---:|---:|---:|---|%s\n",
          s->transfer ? "---:|---:|---:|---|" : "");
  for (int k = 0; k < n; k++) {
    const sweep_row *r = &rows[k];
    fprintf(f, "| %d | %d | %lld | %d |", r->width, r->depth, (long long)r->params, r->epochs);
    md_num(f, r->e_mae, " %.3f |");
    md_num(f, r->f_mae, " %.2f |");
    md_atomic(f, r->a_mae, r->a_mae_raw);
    for (int q = 0; q < r->n_z; q++) fprintf(f, "%s%.3f", q ? " / " : " ", r->a_r2[q]);
    fprintf(f, " |");
    if (s->transfer) {
      md_num(f, r->t_e_mae, " %.3f |");
      md_num(f, r->t_f_mae, " %.2f |");
      md_atomic(f, r->t_a_mae, r->t_a_mae_raw);
      for (int q = 0; q < r->n_z; q++) fprintf(f, "%s%.3f", q ? " / " : " ", r->t_a_r2[q]);
      fprintf(f, " |");
    }
    fprintf(f, "\n");
  }
  fprintf(f, "\nCommand: `%s`\n", cli_command_line());
}

static int write_csv(const sweep_args *s, const sweep_row *rows, int n) {
  cli_out o;
  FILE *f = cli_out_open(&o, SW_CMD, s->out, "sweep.csv");
  if (!f) return 0;
  fprintf(f, "width,depth,parameters,epochs,test_e_mae_meV_per_atom,test_f_mae_meV_per_A,"
             "test_atomic_mae_meV,test_atomic_mae_raw_meV,transfer_e_mae_meV_per_atom,"
             "transfer_f_mae_meV_per_A,transfer_atomic_mae_meV,transfer_atomic_mae_raw_meV");
  for (int q = 0; q < rows[0].n_z; q++) fprintf(f, ",test_r2_%s", tn_element_symbol(rows[0].z[q]));
  for (int q = 0; q < rows[0].n_z; q++)
    fprintf(f, ",transfer_r2_%s", tn_element_symbol(rows[0].z[q]));
  fprintf(f, "\n");
  for (int k = 0; k < n; k++) {
    const sweep_row *r = &rows[k];
    fprintf(f, "%d,%d,%lld,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g", r->width, r->depth,
            (long long)r->params, r->epochs, r->e_mae, r->f_mae, r->a_mae, r->a_mae_raw, r->t_e_mae,
            r->t_f_mae, r->t_a_mae, r->t_a_mae_raw);
    for (int q = 0; q < r->n_z; q++) fprintf(f, ",%.6g", r->a_r2[q]);
    for (int q = 0; q < r->n_z; q++) fprintf(f, ",%.6g", r->t_a_r2[q]);
    fprintf(f, "\n");
  }
  return cli_out_close(&o, f, !ferror(f));
}

/* sweep_atoms.svg: the atomic-energy MAE (offset removed) against the
 * parameter count, test and transfer frames as two series. With a transfer
 * set, also sweep_transfer.svg: the transfer set's energy error against the
 * test frames' atomic-energy MAE, one point per size (do the models that
 * recover the partition better transfer better?). */
static int write_plots(const sweep_args *s, const sweep_row *rows, int n) {
  double *x = malloc((size_t)n * 5 * sizeof *x), *yt = x ? x + n : NULL, *yx = x ? x + 2 * n : NULL;
  double *recovery = x ? x + 3 * n : NULL, *transfer_e = x ? x + 4 * n : NULL;
  if (!x) {
    fprintf(stderr, SW_CMD ": out of memory\n");
    return 0;
  }
  for (int k = 0; k < n; k++) {
    x[k] = (double)rows[k].params;
    yt[k] = recovery[k] = rows[k].a_mae;
    yx[k] = rows[k].t_a_mae;
    transfer_e[k] = rows[k].t_e_mae;
  }
  tn_plot_series series[2] = {{"test frames", x, yt, NULL, n, TN_PLOT_POINTS},
                              {"transfer set", x, yx, NULL, n, TN_PLOT_POINTS}};
  tn_plot plot = {.title = "Atomic-energy recovery against model size",
                  .x_label = "parameters",
                  .y_label = "atomic-energy MAE, offsets removed (meV)",
                  .log_x = 1,
                  .n_series = s->transfer ? 2 : 1,
                  .series = series};
  int ok = cli_out_plot(SW_CMD, s->out, "sweep_atoms.svg", &plot);
  if (ok && s->transfer) {
    tn_plot_series sizes = {"one point per size", recovery, transfer_e, NULL, n, TN_PLOT_POINTS};
    tn_plot against = {.title = "Transfer error against atomic-energy recovery",
                       .x_label = "test atomic-energy MAE, offsets removed (meV)",
                       .y_label = "transfer energy MAE (meV/atom)",
                       .n_series = 1,
                       .series = &sizes};
    ok = cli_out_plot(SW_CMD, s->out, "sweep_transfer.svg", &against);
  }
  free(x);
  return ok;
}

int cmd_sweep(int argc, char **argv) {
  sweep_args s;
  parse(&s, argc, argv);
  int n_depths = s.n_depths ? s.n_depths : 1, n = s.n_widths * n_depths, status = 1;
  sweep_row *rows = calloc((size_t)n, sizeof *rows);
  tn_dataset *transfer = NULL;
  if (!rows) {
    fprintf(stderr, SW_CMD ": out of memory\n");
    goto done;
  }
  if (s.transfer) {
    tn_train_config cfg;
    tn_read_options ropt;
    if (!size_config(&cfg, &s, s.widths[0], s.n_depths ? s.depths[0] : 0) ||
        !run_read_options(SW_CMD, &cfg, &ropt) || !(transfer = tn_dataset_create()) ||
        !cli_read_all(transfer, &s.transfer, 1, &ropt))
      goto done;
  }
  if (!cli_make_dir(SW_CMD, s.out)) goto done;
  for (int k = 0; k < n; k++) {
    sweep_row *r = &rows[k];
    for (int q = 0; q < 4; q++) r->a_r2[q] = r->t_a_r2[q] = NAN;
    r->t_e_mae = r->t_f_mae = r->t_a_mae = r->t_a_mae_raw = NAN;
    int w = s.widths[k / n_depths], d = s.n_depths ? s.depths[k % n_depths] : 0;
    fprintf(stderr, SW_CMD ": size %d of %d: width %d%s\n", k + 1, n, w,
            d ? "" : ", the config's depth");
    if (!run_size(r, &s, w, d, transfer)) goto done;
  }
  if (!write_csv(&s, rows, n) || !write_plots(&s, rows, n)) goto done;
  cli_out o;
  FILE *f = cli_out_open(&o, SW_CMD, s.out, "sweep.md");
  if (!f) goto done;
  write_table(f, &s, rows, n);
  write_table(stdout, &s, rows, n);
  if (cli_out_close(&o, f, !ferror(f))) status = 0;
done:
  tn_dataset_free(transfer);
  free(rows);
  return status;
}
