/* tanne predict MODEL... IN... -o OUT.xyz: a model's (or an ensemble's mean)
 * energies, forces, atomic energies and stress written beside the input
 * frames, with the ensemble's spread when there are several models. */
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "cli.h"
#include "ensemble.h"
#include "report.h"

static const char help[] =
    "usage: tanne predict [options] MODEL.tnm [MODEL.tnm...] IN... -o OUT.xyz\n\n"
    "Evaluates the model on every frame of the inputs and writes them to OUT as\n"
    "extended XYZ with the predicted 'energy' (eV), 'forces' (eV/Angstrom),\n"
    "atomic energies 'energies' (eV) and, for frames with a periodic cell,\n"
    "'stress' (eV/Angstrom^3, ASE's sign). Input columns of those names are kept\n"
    "as 'ref_energy', 'ref_forces', 'ref_energies' and 'ref_stress'; other\n"
    "columns pass through. OUT is written to a temporary file and renamed.\n\n"
    "Ensembles: the leading arguments that are tanne model files (told apart by\n"
    "their content, not their names) are the models; the rest are inputs. With\n"
    "M > 1 models, every model must know the elements of every frame; the\n"
    "columns above hold the mean over the models, and the spread across them is\n"
    "written as (sample standard deviations, M - 1 denominator):\n"
    "  energy_std    per frame (eV), of the total energies\n"
    "  forces_std    per atom (eV/Angstrom), sqrt(1/(M-1) sum_m |F_m - F_mean|^2):\n"
    "                one number per atom, from the length of each model's\n"
    "                deviation from the mean force vector\n"
    "  energies_std  per atom (eV), of the atomic energies\n"
    "  stress_std    per frame with a periodic cell (eV/Angstrom^3), per\n"
    "                component: 9 values in the order the file lists 'stress'\n"
    "Input columns of those names are kept as 'ref_<name>'. With one model no\n"
    "*_std column is written.\n\n"
    "options:\n"
    "  -o, --output FILE   output extxyz (required)\n"
    "  --member-columns    also write each model's total energy (eV) as\n"
    "                      'energy_m0', 'energy_m1', ... in the order given\n";

/* The columns predict writes: the (mean) prediction, then, for ensembles,
 * the spread. */
static const char *const predicted[] = {TN_LABEL_ENERGY, TN_LABEL_FORCES, TN_LABEL_ENERGIES,
                                        TN_LABEL_STRESS};
static const char *const spread[] = {"energy_std", "forces_std", "energies_std", "stress_std"};
#define N_PREDICTED  4
#define NAME_MAX_LEN 32

/* One model's prediction of a frame of n atoms, packed into one vector for
 * ens_acc: [0] energy (eV), [1, 10) stress row by row (eV/Å³, zeros for an
 * open cell), [10, 10 + 3n) forces [n][3] (eV/Å), [10 + 3n, 10 + 4n)
 * atomic energies [n] (eV). */
#define AT_ENERGY     0
#define AT_STRESS     1
#define AT_FORCES     10
#define PACKED_LEN(n) (AT_FORCES + 4 * (int64_t)(n))

/* Names of the columns this run writes: labels[n_labels], and the names
 * input columns of those names are kept under, kept[k] = "ref_" labels[k]. */
typedef struct written {
  int n_labels;
  char (*labels)[NAME_MAX_LEN];
  char (*kept)[NAME_MAX_LEN + 4];
} written;

/* The labels of a run of n_models models (member_columns: one energy
 * column per model). 0 when out of memory. */
static int written_init(written *w, int n_models, int member_columns) {
  int n = N_PREDICTED + (n_models > 1 ? N_PREDICTED : 0) + (member_columns ? n_models : 0);
  w->n_labels = n;
  w->labels = malloc((size_t)n * sizeof *w->labels);
  w->kept = malloc((size_t)n * sizeof *w->kept);
  if (!w->labels || !w->kept) return 0;
  int k = 0;
  for (int q = 0; q < N_PREDICTED; q++) snprintf(w->labels[k++], NAME_MAX_LEN, "%s", predicted[q]);
  if (n_models > 1)
    for (int q = 0; q < N_PREDICTED; q++) snprintf(w->labels[k++], NAME_MAX_LEN, "%s", spread[q]);
  if (member_columns)
    for (int q = 0; q < n_models; q++) snprintf(w->labels[k++], NAME_MAX_LEN, "energy_m%d", q);
  for (k = 0; k < n; k++) snprintf(w->kept[k], NAME_MAX_LEN + 4, "ref_%s", w->labels[k]);
  return 1;
}

/* The name input column `name` is written under. */
static const char *output_name(const written *w, const char *name) {
  for (int k = 0; k < w->n_labels; k++)
    if (strcmp(name, w->labels[k]) == 0) return w->kept[k];
  return name;
}

/* Output names of the input columns: "ref_<name>" for written labels.
 * Fails (0, message printed) when a renamed column would meet one that
 * already has that name. names must hold ds->n_columns entries. */
static int output_names(const tn_dataset *ds, const written *w, const char **names) {
  for (int c = 0; c < ds->n_columns; c++) {
    const char *name = ds->columns[c].name;
    names[c] = output_name(w, name);
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

/* Loads models[k] from paths[k]; 0 after printing tn_model_load's message. */
static int load_models(tn_model **models, const char *const *paths, int n_models) {
  char err[1024];
  for (int k = 0; k < n_models; k++) {
    tn_status st = tn_model_load(&models[k], paths[k], err, sizeof err);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "tanne predict: %s (%s)\n", err, tn_status_str(st));
      return 0;
    }
  }
  return 1;
}

static tn_frame_column real_column(const char *name, tn_column_scope scope, int width,
                                   const double *values) {
  return (tn_frame_column){name, scope, TN_COLUMN_TYPE_REAL, width, values, NULL};
}

/* The spread of a frame of na atoms over the members in acc (packed as
 * PACKED_LEN), into sd[AT_FORCES + 2 na] ([0] energy, [1, 10) stress,
 * [10, 10 + na) forces, [10 + na, 10 + 2 na) atomic energies), and its
 * columns; returns their count. */
static int spread_columns(const ens_acc *acc, int64_t na, int periodic, double *sd,
                          tn_frame_column *cols) {
  ens_acc_std(acc, AT_ENERGY, 1, 1, sd + AT_ENERGY);
  ens_acc_std(acc, AT_STRESS, 9, 1, sd + AT_STRESS);
  /* Transposed, so that the file lists stress_std in the order it lists
   * stress (which the writer transposes to ASE's column order). */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < i; j++) {
      double t = sd[AT_STRESS + 3 * i + j];
      sd[AT_STRESS + 3 * i + j] = sd[AT_STRESS + 3 * j + i];
      sd[AT_STRESS + 3 * j + i] = t;
    }
  ens_acc_std(acc, AT_FORCES, na, 3, sd + AT_FORCES);
  ens_acc_std(acc, AT_FORCES + 3 * na, na, 1, sd + AT_FORCES + na);
  int nc = 0;
  cols[nc++] = real_column(spread[0], TN_COLUMN_SCOPE_FRAME, 1, sd + AT_ENERGY);
  cols[nc++] = real_column(spread[1], TN_COLUMN_SCOPE_ATOM, 1, sd + AT_FORCES);
  cols[nc++] = real_column(spread[2], TN_COLUMN_SCOPE_ATOM, 1, sd + AT_FORCES + na);
  if (periodic) cols[nc++] = real_column(spread[3], TN_COLUMN_SCOPE_FRAME, 9, sd + AT_STRESS);
  return nc;
}

int cmd_predict(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne predict", argc, argv);
  tn_read_options opt = tn_read_options_default();
  const char *out = NULL, *arg;
  int member_columns = 0;
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_output_opt(&a, arg))
      out = a.value;
    else if (cli_flag(arg, "member-columns"))
      member_columns = 1;
    else
      cli_input_arg(&a, arg, help, &opt, paths, &n);
  }
  if (n < 2) cli_usage_error(a.command, "need a model file and at least one input file");
  if (!out || !out[0]) cli_usage_error(a.command, "no output file (-o OUT.xyz)");
  for (int k = 0; k < n; k++)
    if (strcmp(paths[k], out) == 0) cli_usage_error(a.command, "output '%s' is also an input", out);
  /* The models are the leading paths with tanne's magic; without any, the
   * first path is the model whatever it holds (tn_model_load says what is
   * wrong with it). */
  int n_models = 0;
  while (n_models < n && ens_is_model_file(paths[n_models])) n_models++;
  if (n_models == 0) n_models = 1;
  if (n_models == n)
    cli_usage_error(a.command, "no input files after the %d model files", n_models);
  for (int k = n_models; k < n; k++)
    if (ens_is_model_file(paths[k]))
      cli_usage_error(a.command, "'%s' is a tanne model file after the inputs (models come first)",
                      paths[k]);
  const char *const *model_paths = paths;
  const char *const *files = paths + n_models;
  int n_files = n - n_models;
  int ensemble = n_models > 1;

  int status = 1;
  tn_model **models = calloc((size_t)n_models, sizeof *models);
  tn_dataset *ds = tn_dataset_create(), *res = tn_dataset_create();
  written w = {0, NULL, NULL};
  ens_acc acc = {0, 0, 0, NULL, NULL};
  const char **names = NULL;
  tn_frame_column *cols = NULL;
  double *x = NULL, *sd = NULL, *member_e = NULL;
  int64_t *start = malloc((size_t)(n_files + 1) * sizeof *start);
  if (!models || !ds || !res || !start || !written_init(&w, n_models, member_columns))
    goto no_memory;
  if (ensemble) {
    fprintf(stderr, "tanne predict: an ensemble of %d models:", n_models);
    for (int k = 0; k < n_models; k++) fprintf(stderr, " %s", model_paths[k]);
    fprintf(stderr, "\n");
  }
  if (!load_models(models, model_paths, n_models)) goto done;
  for (int k = 0; k < n_files; k++) {
    start[k] = ds->n_frames;
    if (!cli_read_all(ds, &files[k], 1, &opt)) goto done;
  }
  start[n_files] = ds->n_frames;

  int64_t max_atoms = 1;
  for (int64_t f = 0; f < ds->n_frames; f++)
    if (ds->atom_start[f + 1] - ds->atom_start[f] > max_atoms)
      max_atoms = ds->atom_start[f + 1] - ds->atom_start[f];
  int n_out = ds->n_columns + 2 * N_PREDICTED + (member_columns ? n_models : 0);
  names = malloc((size_t)(ds->n_columns + 1) * sizeof *names);
  cols = malloc((size_t)n_out * sizeof *cols);
  x = malloc((size_t)PACKED_LEN(max_atoms) * sizeof *x);
  /* The spread (spread_columns). */
  sd = malloc((size_t)(AT_FORCES + 2 * max_atoms) * sizeof *sd);
  member_e = malloc((size_t)n_models * sizeof *member_e);
  if (!names || !cols || !x || !sd || !member_e || !ens_acc_init(&acc, PACKED_LEN(max_atoms)))
    goto no_memory;
  if (!output_names(ds, &w, names)) goto done;

  report_sources src = {n_files, files, start};
  char where[TN_PATH_MAX + 64], why[512];
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    int64_t na = fr.n_atoms;
    int periodic = tn_cell_periodic((const double(*)[3])fr.cell, fr.pbc);
    ens_acc_reset(&acc, PACKED_LEN(na));
    for (int m = 0; m < n_models; m++) {
      if (!report_check_elements(models[m], &fr, why, sizeof why)) {
        report_frame_name(where, sizeof where, &src, f);
        if (ensemble)
          fprintf(stderr, "tanne predict: %s: model %s: %s\n", where, model_paths[m], why);
        else
          fprintf(stderr, "tanne predict: %s: %s\n", where, why);
        goto done;
      }
      if (!periodic) memset(x + AT_STRESS, 0, 9 * sizeof *x);
      tn_status st =
          tn_model_eval(models[m], &fr, x + AT_ENERGY, (double(*)[3])(x + AT_FORCES),
                        periodic ? (double(*)[3])(x + AT_STRESS) : NULL, x + AT_FORCES + 3 * na);
      if (st != TN_STATUS_OK) {
        report_frame_name(where, sizeof where, &src, f);
        fprintf(stderr, "tanne predict: %s: %s%s%s (%s)\n", where, ensemble ? model_paths[m] : "",
                ensemble ? ": " : "", tn_model_errmsg(models[m]), tn_status_str(st));
        goto done;
      }
      member_e[m] = x[AT_ENERGY];
      ens_acc_add(&acc, x);
    }
    int nc = cli_frame_columns(cols, ds, f, names);
    const double *mean = acc.mean;
    cols[nc++] = real_column(TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, 1, mean + AT_ENERGY);
    cols[nc++] = real_column(TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, 3, mean + AT_FORCES);
    cols[nc++] = real_column(TN_LABEL_ENERGIES, TN_COLUMN_SCOPE_ATOM, 1, mean + AT_FORCES + 3 * na);
    if (periodic)
      cols[nc++] = real_column(TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, 9, mean + AT_STRESS);
    if (ensemble) nc += spread_columns(&acc, na, periodic, sd, cols + nc);
    if (member_columns)
      for (int m = 0; m < n_models; m++)
        cols[nc++] = real_column(w.labels[N_PREDICTED * (1 + ensemble) + m], TN_COLUMN_SCOPE_FRAME,
                                 1, &member_e[m]);
    fr.n_columns = nc;
    fr.columns = cols;
    tn_status st = tn_dataset_append(res, &fr);
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
  tn_status st = tn_dataset_write_extxyz(res, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne predict: %s (%s)\n", tn_dataset_errmsg(res), tn_status_str(st));
    goto done;
  }
  if (ensemble)
    fprintf(stderr,
            "wrote %lld frames (%lld atoms) with the mean and spread of %d models' predictions "
            "to %s\n",
            (long long)res->n_frames, (long long)res->n_atoms, n_models, out);
  else
    fprintf(stderr, "wrote %lld frames (%lld atoms) with predictions of %s to %s\n",
            (long long)res->n_frames, (long long)res->n_atoms, model_paths[0], out);
  status = 0;
  goto done;
no_memory:
  fprintf(stderr, "tanne predict: out of memory\n");
done:
  for (int m = 0; models && m < n_models; m++) tn_model_free(models[m]);
  free(models);
  tn_dataset_free(ds);
  tn_dataset_free(res);
  free(w.labels);
  free(w.kept);
  ens_acc_free(&acc);
  free(names);
  free(cols);
  free(x);
  free(sd);
  free(member_e);
  free(start);
  return status;
}
