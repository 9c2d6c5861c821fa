/* tanne eval MODEL DATA...: errors of a model against labelled data. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const char help[] =
    "usage: tanne eval [options] MODEL.tnm DATA...\n\n"
    "Evaluates the model on every frame of the data files (read in order, as one\n"
    "data set) and prints N, MAE, RMSE, max and R^2 for each label the data carry:\n"
    "energy (meV), energy per atom (meV/atom), force components (meV/Angstrom),\n"
    "atomic energies (meV) and stress (meV/Angstrom^3, periodic frames only);\n"
    "forces and atomic energies also per element. A frame with an element the\n"
    "model does not know is an error.\n\n"
    "options:\n"
    "  --atomic COLUMN     per-atom column of reference atomic energies\n"
    "                      (default: 'energies' when the data have it)\n" CLI_SUBSET_HELP
    "  -o, --output PREFIX write PREFIX_metrics.csv and the parity plots\n"
    "                      PREFIX_energy.svg, PREFIX_forces.svg and\n"
    "                      PREFIX_atomic_energies.svg (default: no files)\n";

int cmd_eval(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne eval", argc, argv);
  tn_read_options opt = tn_read_options_default();
  const char *prefix = NULL, *atomic = NULL, *arg;
  cli_subset sub = {0};
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_subset_opt(&a, arg, &sub)) continue;
    if (cli_opt(&a, arg, "atomic")) {
      atomic = a.value;
      if (!atomic[0]) cli_usage_error(a.command, "option --atomic: empty column name");
    } else if (cli_output_opt(&a, arg)) {
      prefix = a.value;
      if (!prefix[0]) cli_usage_error(a.command, "option --output: empty prefix");
    } else {
      cli_input_arg(&a, arg, help, &opt, paths, &n);
    }
  }
  if (n < 2) cli_usage_error(a.command, "need a model file and at least one data file");
  cli_subset_finish(&a, &sub);
  const char *split = sub.split, *subset = sub.subset;
  const char *model_path = paths[0];
  const char *const *files = paths + 1;
  int n_files = n - 1;

  int status = 1;
  tn_model *m = NULL;
  tn_dataset *ds = tn_dataset_create();
  report *r = NULL;
  int64_t *start = malloc((size_t)(n_files + 1) * sizeof *start);
  if (!ds || !start) {
    fprintf(stderr, "tanne eval: out of memory\n");
    goto done;
  }
  if (!report_load(&m, ds, start, model_path, files, n_files, &opt, "tanne eval")) goto done;
  if (split && !report_keep_subset(&ds, split, subset, "tanne eval")) goto done;
  if (!atomic) {
    const tn_column *c = tn_dataset_column(ds, TN_LABEL_ENERGIES);
    if (c && c->scope == TN_COLUMN_SCOPE_ATOM && c->width == 1 && c->type != TN_COLUMN_TYPE_STRING)
      atomic = TN_LABEL_ENERGIES;
  }
  r = report_create(prefix != NULL);
  if (!r) {
    fprintf(stderr, "tanne eval: out of memory\n");
    goto done;
  }
  /* Frames of a subset are named by their place in it ("test frames of
   * SPLIT, frame k"), not by the file they came from. */
  char subset_name[TN_PATH_MAX + 32];
  const char *subset_files[1] = {subset_name};
  int64_t subset_start[2] = {0, ds->n_frames};
  report_sources src = {n_files, files, start};
  if (split) {
    snprintf(subset_name, sizeof subset_name, "%s frames of %s", subset, split);
    src = (report_sources){1, subset_files, subset_start};
  }
  if (!report_evaluate(r, m, ds, atomic, &src, a.command, "frames")) goto done;
  printf("%s on %lld frames (%lld atoms)", model_path, (long long)ds->n_frames,
         (long long)ds->n_atoms);
  if (split) printf(", the %s frames of %s", subset, split);
  if (atomic) printf(", atomic energies from '%s'", atomic);
  printf("\n");
  report_print(r, stdout);
  if (prefix) {
    size_t len = strlen(prefix) + 32;
    char *csv = malloc(len);
    if (!csv) {
      fprintf(stderr, "tanne eval: out of memory\n");
      goto done;
    }
    snprintf(csv, len, "%s_metrics.csv", prefix);
    int plots = 0;
    int ok =
        report_write_csv(r, csv, a.command) && report_write_plots(r, prefix, a.command, &plots);
    if (ok) fprintf(stderr, "wrote %s and %d parity plots (%s_*.svg)\n", csv, plots, prefix);
    free(csv);
    if (!ok) goto done;
  }
  status = 0;
done:
  report_free(r);
  tn_model_free(m);
  tn_dataset_free(ds);
  free(start);
  return status;
}
