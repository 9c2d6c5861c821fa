/* tanne predict MODEL IN... -o OUT.xyz: a model's energies, forces, atomic
 * energies and stress written beside the input frames. */
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "cli.h"
#include "report.h"

static const char help[] =
    "usage: tanne predict [options] MODEL.tnm IN... -o OUT.xyz\n\n"
    "Evaluates the model on every frame of the inputs and writes them to OUT as\n"
    "extended XYZ with the predicted 'energy' (eV), 'forces' (eV/Angstrom),\n"
    "atomic energies 'energies' (eV) and, for frames with a periodic cell,\n"
    "'stress' (eV/Angstrom^3, ASE's sign). Input columns of those names are kept\n"
    "as 'ref_energy', 'ref_forces', 'ref_energies' and 'ref_stress'; other\n"
    "columns pass through. OUT is written to a temporary file and renamed.\n\n"
    "options:\n"
    "  -o, --output FILE   output extxyz (required)\n";

/* The predicted labels, and the names input columns of those names are kept
 * under. */
static const char *const predicted[] = {TN_LABEL_ENERGY, TN_LABEL_FORCES, TN_LABEL_ENERGIES,
                                        TN_LABEL_STRESS};
static const char *const kept_as[] = {"ref_" TN_LABEL_ENERGY, "ref_" TN_LABEL_FORCES,
                                      "ref_" TN_LABEL_ENERGIES, "ref_" TN_LABEL_STRESS};
#define N_PREDICTED 4

/* The name column `name` is written under. */
static const char *output_name(const char *name) {
  for (int k = 0; k < N_PREDICTED; k++)
    if (strcmp(name, predicted[k]) == 0) return kept_as[k];
  return name;
}

/* Output names of the input columns: "ref_<name>" for predicted labels.
 * Fails (0, message printed) when a renamed column would meet one that
 * already has that name. names must hold ds->n_columns entries. */
static int output_names(const tn_dataset *ds, const char **names) {
  for (int c = 0; c < ds->n_columns; c++) {
    const char *name = ds->columns[c].name;
    names[c] = output_name(name);
    if (names[c] != name && tn_dataset_column(ds, names[c])) {
      fprintf(stderr,
              "tanne predict: the input column '%s' would be kept as '%s', but the input "
              "already has a column of that name\n",
              name, names[c]);
      return 0;
    }
  }
  return 1;
}

int cmd_predict(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne predict", argc, argv);
  tn_read_options opt = tn_read_options_default();
  const char *out = NULL, *arg;
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_output_opt(&a, arg))
      out = a.value;
    else
      cli_input_arg(&a, arg, help, &opt, paths, &n);
  }
  if (n < 2) cli_usage_error(a.command, "need a model file and at least one input file");
  if (!out || !out[0]) cli_usage_error(a.command, "no output file (-o OUT.xyz)");
  for (int k = 0; k < n; k++)
    if (strcmp(paths[k], out) == 0) cli_usage_error(a.command, "output '%s' is also an input", out);
  const char *model_path = paths[0];
  const char *const *files = paths + 1;
  int n_files = n - 1;

  int status = 1;
  tn_model *m = NULL;
  tn_dataset *ds = tn_dataset_create(), *res = tn_dataset_create();
  const char **names = NULL;
  tn_frame_column *cols = NULL;
  double(*frc)[3] = NULL;
  double *ea = NULL;
  int64_t *start = malloc((size_t)(n_files + 1) * sizeof *start);
  if (!ds || !res || !start) goto no_memory;
  tn_status st = TN_STATUS_OK;
  if (!report_load(&m, ds, start, model_path, files, n_files, &opt, "tanne predict")) goto done;

  int64_t max_atoms = 1;
  for (int64_t f = 0; f < ds->n_frames; f++)
    if (ds->atom_start[f + 1] - ds->atom_start[f] > max_atoms)
      max_atoms = ds->atom_start[f + 1] - ds->atom_start[f];
  names = malloc((size_t)(ds->n_columns + 1) * sizeof *names);
  cols = malloc((size_t)(ds->n_columns + N_PREDICTED) * sizeof *cols);
  frc = malloc((size_t)max_atoms * sizeof *frc);
  ea = malloc((size_t)max_atoms * sizeof *ea);
  if (!names || !cols || !frc || !ea) goto no_memory;
  if (!output_names(ds, names)) goto done;

  report_sources src = {n_files, files, start};
  char where[TN_PATH_MAX + 64], why[512];
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    if (!report_check_elements(m, &fr, why, sizeof why)) {
      report_frame_name(where, sizeof where, &src, f);
      fprintf(stderr, "tanne predict: %s: %s\n", where, why);
      goto done;
    }
    int periodic = tn_cell_periodic((const double(*)[3])fr.cell, fr.pbc);
    double e = 0.0, s[3][3];
    st = tn_model_eval(m, &fr, &e, frc, periodic ? s : NULL, ea);
    if (st != TN_STATUS_OK) {
      report_frame_name(where, sizeof where, &src, f);
      fprintf(stderr, "tanne predict: %s: %s (%s)\n", where, tn_model_errmsg(m), tn_status_str(st));
      goto done;
    }
    int nc = 0;
    for (int c = 0; c < ds->n_columns; c++) {
      const tn_column *col = &ds->columns[c];
      if (!col->present[f]) continue;
      tn_frame_column *fc = &cols[nc++];
      *fc = (tn_frame_column){
          .name = names[c], .scope = col->scope, .type = col->type, .width = col->width};
      if (col->type == TN_COLUMN_TYPE_STRING)
        fc->text = tn_column_text(col, f);
      else
        fc->values =
            tn_column_row(col, col->scope == TN_COLUMN_SCOPE_FRAME ? f : ds->atom_start[f]);
    }
    cols[nc++] =
        (tn_frame_column){TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &e, NULL};
    cols[nc++] = (tn_frame_column){
        TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &frc[0][0], NULL};
    cols[nc++] = (tn_frame_column){
        TN_LABEL_ENERGIES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, ea, NULL};
    if (periodic)
      cols[nc++] = (tn_frame_column){
          TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 9, &s[0][0], NULL};
    fr.n_columns = nc;
    fr.columns = cols;
    st = tn_dataset_append(res, &fr);
    if (st != TN_STATUS_OK) {
      report_frame_name(where, sizeof where, &src, f);
      fprintf(stderr, "tanne predict: %s: %s (%s)\n", where, tn_dataset_errmsg(res),
              tn_status_str(st));
      goto done;
    }
    int64_t every = ds->n_frames / 200 > 0 ? ds->n_frames / 200 : 1;
    if ((f + 1) % every == 0 || f + 1 == ds->n_frames)
      cli_progress("frames", (int)(f + 1), (int)ds->n_frames);
  }
  st = tn_dataset_write_extxyz(res, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne predict: %s (%s)\n", tn_dataset_errmsg(res), tn_status_str(st));
    goto done;
  }
  fprintf(stderr, "wrote %lld frames (%lld atoms) with predictions of %s to %s\n",
          (long long)res->n_frames, (long long)res->n_atoms, model_path, out);
  status = 0;
  goto done;
no_memory:
  fprintf(stderr, "tanne predict: out of memory\n");
done:
  tn_model_free(m);
  tn_dataset_free(ds);
  tn_dataset_free(res);
  free(names);
  free(cols);
  free(frc);
  free(ea);
  free(start);
  return status;
}
