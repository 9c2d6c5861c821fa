/* tanne atoms MODEL DATA... --ref COLUMN: how well a model's atomic
 * energies recover a reference partition (Uhlig, Tovey & Holm 2024), per
 * element, raw and in the gauge the data leave free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "cli.h"
#include "report.h"

#define ATOMS_CMD "tanne atoms"

static const char help[] =
    "usage: tanne atoms [options] MODEL.tnm DATA... --ref COLUMN\n\n"
    "Compares the model's atomic energies with a reference partition, the per-atom\n"
    "column COLUMN of the data (eV): N, MAE, RMSE and R^2 per element and for all\n"
    "atoms, raw and after removing each element's mean error (listed as the\n"
    "offset).\n\n"
    "Which one is reported: total energies fix only sums of atomic energies. A\n"
    "constant per element can move between the model's partition and the\n"
    "reference's without changing any total (for one composition exactly;\n"
    "in any case the reference's own convention sets such constants). The\n"
    "gauge-free numbers, after the offsets are removed, are the headline; the raw\n"
    "ones show how large the offsets are.\n\n"
    "options:\n"
    "  --ref COLUMN        per-atom column of reference atomic energies "
    "(required)\n" CLI_SUBSET_HELP
    "  -o, --output PREFIX write PREFIX_atoms.csv and the parity plots\n"
    "                      PREFIX_atoms_raw.svg and PREFIX_atoms_offset.svg\n";

static void print_stats(FILE *f, const tn_error_stats *s) {
  fprintf(f, " %9.2f %9.2f %8.4f", tn_error_stats_mae(s), tn_error_stats_rmse(s),
          tn_error_stats_r2(s));
}

static void print_table(FILE *f, const report_atomic *rows, int n) {
  fprintf(f, "%-8s %8s | %-28s | %-9s | %s\n", "", "", "   raw (meV)", "offset",
          "   each element's mean error removed (meV)");
  fprintf(f, "%-8s %8s | %9s %9s %8s | %9s | %9s %9s %8s\n", "element", "atoms", "MAE", "RMSE",
          "R2", "(meV)", "MAE", "RMSE", "R2");
  for (int k = 0; k < n; k++) {
    const report_atomic *r = &rows[k];
    fprintf(f, "%-8s %8lld |", r->z ? tn_element_symbol(r->z) : "all", (long long)r->raw.n);
    print_stats(f, &r->raw);
    if (isfinite(r->offset))
      fprintf(f, " | %9.2f |", 1e3 * r->offset);
    else
      fprintf(f, " | %9s |", "");
    print_stats(f, &r->shifted);
    fprintf(f, "\n");
  }
}

static int write_csv(const char *prefix, const report_atomic *rows, int n) {
  size_t len = strlen(prefix) + 16;
  char *path = malloc(len), *tmp = malloc(len + 32), err[1024];
  int ok = 0;
  FILE *f = NULL;
  if (!path || !tmp) {
    fprintf(stderr, ATOMS_CMD ": out of memory\n");
    goto done;
  }
  snprintf(path, len, "%s_atoms.csv", prefix);
  if (!(f = tn_open_temp(path, tmp, len + 32))) {
    fprintf(stderr, ATOMS_CMD ": %s: cannot write\n", path);
    goto done;
  }
  fprintf(f, "element,n,mae_raw_meV,rmse_raw_meV,r2_raw,offset_meV,mae_meV,rmse_meV,r2\n");
  for (int k = 0; k < n; k++) {
    const report_atomic *r = &rows[k];
    fprintf(f, "%s,%lld,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n",
            r->z ? tn_element_symbol(r->z) : "all", (long long)r->raw.n,
            tn_error_stats_mae(&r->raw), tn_error_stats_rmse(&r->raw), tn_error_stats_r2(&r->raw),
            1e3 * r->offset, tn_error_stats_mae(&r->shifted), tn_error_stats_rmse(&r->shifted),
            tn_error_stats_r2(&r->shifted));
  }
  tn_status st = tn_commit_file(f, tmp, path, err, sizeof err);
  f = NULL;
  if (st != TN_STATUS_OK)
    fprintf(stderr, ATOMS_CMD ": %s\n", err);
  else
    ok = 1;
done:
  if (f) tn_abort_file(f, tmp);
  free(path);
  free(tmp);
  return ok;
}

int cmd_atoms(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, ATOMS_CMD, argc, argv);
  tn_read_options opt = tn_read_options_default();
  const char *prefix = NULL, *ref = NULL, *arg;
  cli_subset sub = {0};
  /* Inputs are gathered in place over argv (never ahead of the scan). */
  const char **paths = (const char **)argv;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_subset_opt(&a, arg, &sub)) continue;
    if (cli_opt(&a, arg, "ref")) {
      ref = a.value;
      if (!ref[0]) cli_usage_error(a.command, "option --ref: empty column name");
    } else if (cli_output_opt(&a, arg)) {
      prefix = a.value;
      if (!prefix[0]) cli_usage_error(a.command, "option --output: empty prefix");
    } else {
      cli_input_arg(&a, arg, help, &opt, paths, &n);
    }
  }
  if (n < 2) cli_usage_error(a.command, "need a model file and at least one data file");
  if (!ref) cli_usage_error(a.command, "no reference column (--ref COLUMN)");
  cli_subset_finish(&a, &sub);
  const char *split = sub.split, *subset = sub.subset;
  const char *model_path = paths[0];
  const char *const *files = paths + 1;
  int n_files = n - 1;

  int status = 1;
  tn_model *m = NULL;
  tn_dataset *ds = tn_dataset_create();
  report *r = NULL;
  report_atomic *rows = NULL;
  int64_t *start = malloc((size_t)(n_files + 1) * sizeof *start);
  if (!ds || !start) {
    fprintf(stderr, ATOMS_CMD ": out of memory\n");
    goto done;
  }
  if (!report_load(&m, ds, start, model_path, files, n_files, &opt, ATOMS_CMD)) goto done;
  if (split && !report_keep_subset(&ds, split, subset, ATOMS_CMD)) goto done;
  const tn_column *c = tn_dataset_column(ds, ref);
  if (!c || c->scope != TN_COLUMN_SCOPE_ATOM || c->width != 1 || c->type == TN_COLUMN_TYPE_STRING) {
    fprintf(stderr, ATOMS_CMD ": the data have no per-atom real column '%s' of width 1\n", ref);
    goto done;
  }
  r = report_create(1);
  rows = malloc(119 * sizeof *rows);
  if (!r || !rows) {
    fprintf(stderr, ATOMS_CMD ": out of memory\n");
    goto done;
  }
  report_sources src = {n_files, files, start};
  if (!report_evaluate(r, m, ds, ref, split ? NULL : &src, ATOMS_CMD, "frames")) goto done;
  int n_rows = report_atomic_rows(r, rows);
  if (n_rows == 0) {
    fprintf(stderr, ATOMS_CMD ": no frame carries '%s'\n", ref);
    goto done;
  }
  printf("atomic energies of %s against '%s' on %lld frames (%lld atoms)%s%s%s\n\n", model_path,
         ref, (long long)ds->n_frames, (long long)rows[0].raw.n, split ? ", the " : "",
         split ? subset : "", split ? " frames of the split" : "");
  print_table(stdout, rows, n_rows);
  printf("\nReported: the errors after removing each element's mean error (the offset). "
         "Totals fix only sums of atomic energies, so a constant per element is a gauge. All "
         "atoms: MAE %.2f meV (raw %.2f meV). R2 per element (the all-atom R2 is near 1 "
         "whenever elements differ by far more than the errors):",
         tn_error_stats_mae(&rows[0].shifted), tn_error_stats_mae(&rows[0].raw));
  for (int k = 1; k < n_rows; k++)
    printf(" %s %.3f", tn_element_symbol(rows[k].z), tn_error_stats_r2(&rows[k].shifted));
  printf(".\n");
  if (prefix) {
    int plots = 0;
    if (!write_csv(prefix, rows, n_rows) ||
        !report_write_atomic_plots(r, prefix, ATOMS_CMD, &plots))
      goto done;
    fprintf(stderr, "wrote %s_atoms.csv and %d parity plots (%s_atoms_*.svg)\n", prefix, plots,
            prefix);
  }
  status = 0;
done:
  free(rows);
  report_free(r);
  tn_model_free(m);
  tn_dataset_free(ds);
  free(start);
  return status;
}
