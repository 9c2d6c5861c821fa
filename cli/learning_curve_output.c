/* The outputs of `tanne learning-curve` besides the runs: the folder
 * --out, learning_curve.csv, learning_curve.md (the same table goes to
 * stdout) and the two log-log SVG plots of the test MAEs against size. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/core/core.h"
#include "cli.h"
#include "learning_curve.h"
#include "train_run.h"

/* results[v * n_sizes + s] */
int lc_write_csv(const lc_args *a, const lc_result *res) {
  cli_out o;
  FILE *f = cli_out_open(&o, LC_CMD, a->out, "learning_curve.csv");
  if (!f) return 0;
  fprintf(f, "variant,size,n_train,n_val,epochs,minutes,energy_mae_meV,energy_rmse_meV,"
             "forces_mae_meV_per_A,forces_rmse_meV_per_A\n");
  for (int v = 0; v < a->n_configs; v++)
    for (int s = 0; s < a->n_sizes; s++) {
      const lc_result *r = &res[v * a->n_sizes + s];
      fprintf(f, "%s,%lld,%lld,%lld,%d,%.4f,%.10g,%.10g,%.10g,%.10g\n", a->names[v],
              (long long)a->sizes[s], (long long)r->n_train, (long long)r->n_val, r->epochs,
              r->minutes, r->e_mae, r->e_rmse, r->f_mae, r->f_rmse);
    }
  return cli_out_close(&o, f, 1);
}

static void md_value(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, " %.4g |", v);
  else
    fprintf(f, " - |");
}

/* Rows: sizes; columns: E and F test MAE of each variant. */
void lc_md_table(FILE *f, const lc_args *a, const lc_result *res) {
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

int lc_write_markdown(const lc_args *a, const lc_result *res, const lc_data *d,
                      const tn_train_config *c0) {
  cli_out o;
  FILE *f = cli_out_open(&o, LC_CMD, a->out, "learning_curve.md");
  if (!f) return 0;
  fprintf(f, "# Learning curve\n\n");
  fprintf(f,
          "Test errors (MAE) of the best model of each run on the same %lld test frames (%s). "
          "E: energy, meV per frame (total energy); F: force components, meV/Å. Size N counts "
          "the labelled frames of a run: %lld pool frames of %s, shuffled with seed %llu, the "
          "first N of them, the first ceil(%g·N) validating.\n\n",
          (long long)d->test->n_frames, d->test_from_file ? c0->data.test : "split off data.train",
          (long long)d->n_pool, d->all_name, (unsigned long long)a->seed, a->val_fraction);
  lc_md_table(f, a, res);
  fprintf(f, "\nVariants:");
  for (int v = 0; v < a->n_configs; v++)
    fprintf(f, "%s %s (%s)", v ? "," : "", a->names[v], a->configs[v]);
  fprintf(f, ". Runs: %s/VARIANT/nN/.\n", a->out);
  return cli_out_close(&o, f, 1);
}

/* One log-log plot of an error against size, a series per variant. */
int lc_write_plot(const lc_args *a, const lc_result *res, int forces) {
  const char *name = forces ? "learning_curve_forces.svg" : "learning_curve_energy.svg";
  char *path = run_path(LC_CMD, a->out, name), err[1024];
  double *x = malloc((size_t)a->n_sizes * sizeof *x);
  double *y = malloc((size_t)(a->n_configs * a->n_sizes) * sizeof *y);
  tn_plot_series *series = malloc((size_t)a->n_configs * sizeof *series);
  int ok = 0;
  if (!path || !x || !y || !series) {
    fprintf(stderr, LC_CMD ": out of memory\n");
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
    fprintf(stderr, LC_CMD ": %s (%s)\n", err, tn_status_str(st));
    goto done;
  }
  fprintf(stderr, LC_CMD ": wrote %s\n", path);
  ok = 1;
done:
  free(path);
  free(x);
  free(y);
  free(series);
  return ok;
}
