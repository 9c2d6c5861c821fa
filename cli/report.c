/* Error tables and parity plots of a model against labelled frames (see
 * report.h). Statistics are kept in meV-based units so that the table reads
 * without exponents for typical potentials; plot points stay in eV. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "cli.h"
#include "report.h"

#define Z_MAX 118

enum {
  ROW_ENERGY,
  ROW_ENERGY_ATOM,
  ROW_FORCES,
  ROW_ATOMS,
  ROW_ATOMS_SHIFTED,
  ROW_STRESS,
  ROW_COUNT
};

/* (reference, prediction) pairs of one parity-plot series. */
typedef struct points {
  double *ref, *pred; /* [n] */
  int64_t n, cap;
} points;

struct report {
  int keep_points;
  int failed_memory;             /* a point could not be stored */
  tn_error_stats all[ROW_COUNT]; /* meV, meV/atom, meV/Å, meV, meV, meV/Å³ */
  tn_error_stats forces_el[Z_MAX + 1], atoms_el[Z_MAX + 1], atoms_shifted_el[Z_MAX + 1];
  points energy;                                      /* eV/atom */
  points forces_pts[Z_MAX + 1], atoms_pts[Z_MAX + 1]; /* eV/Å components; eV */
};

report *report_create(int keep_points) {
  report *r = calloc(1, sizeof *r);
  if (r) r->keep_points = keep_points;
  return r;
}

static void points_free(points *p) {
  free(p->ref);
  free(p->pred);
}

void report_free(report *r) {
  if (!r) return;
  points_free(&r->energy);
  for (int z = 0; z <= Z_MAX; z++) {
    points_free(&r->forces_pts[z]);
    points_free(&r->atoms_pts[z]);
  }
  free(r);
}

static int points_add(points *p, double ref, double pred) {
  if (p->n == p->cap) {
    int64_t cap_ref = p->cap, cap_pred = p->cap;
    if (tn_grow((void **)&p->ref, &cap_ref, p->n + 1, sizeof *p->ref) ||
        tn_grow((void **)&p->pred, &cap_pred, p->n + 1, sizeof *p->pred))
      return -1;
    p->cap = cap_ref < cap_pred ? cap_ref : cap_pred;
  }
  p->ref[p->n] = ref;
  p->pred[p->n] = pred;
  p->n++;
  return 0;
}

/* Adds one compared value (eV-based) to the statistics, scaled to meV, and
 * to the plot points when they are kept or must be. */
static void add_value(report *r, tn_error_stats *total, tn_error_stats *per_el, points *pts,
                      int must_keep, double pred, double ref) {
  tn_error_stats_add(total, 1e3 * pred, 1e3 * ref);
  if (per_el) tn_error_stats_add(per_el, 1e3 * pred, 1e3 * ref);
  if ((r->keep_points || must_keep) && pts && points_add(pts, ref, pred)) r->failed_memory = 1;
}

/* The atomic-energy errors once each element's mean error is removed. A model
 * trained on totals alone is free to move energy between elements by a
 * constant per element (only the totals are fixed), so the raw errors mix
 * that gauge with the shape of the partition; these rows show the shape. */
static void shift_atomic_energies(report *r) {
  memset(&r->all[ROW_ATOMS_SHIFTED], 0, sizeof r->all[ROW_ATOMS_SHIFTED]);
  for (int z = 1; z <= Z_MAX; z++) {
    const points *p = &r->atoms_pts[z];
    tn_error_stats *el = &r->atoms_shifted_el[z];
    memset(el, 0, sizeof *el);
    if (p->n == 0) continue;
    double offset = 0.0;
    for (int64_t k = 0; k < p->n; k++) offset += p->pred[k] - p->ref[k];
    offset /= (double)p->n;
    for (int64_t k = 0; k < p->n; k++) {
      tn_error_stats_add(el, 1e3 * (p->pred[k] - offset), 1e3 * p->ref[k]);
      tn_error_stats_add(&r->all[ROW_ATOMS_SHIFTED], 1e3 * (p->pred[k] - offset), 1e3 * p->ref[k]);
    }
  }
}

/* The label columns of the expected shapes, or NULL. */
static const tn_column *label(const tn_dataset *ds, const char *name, tn_column_scope scope,
                              int width) {
  const tn_column *c = tn_dataset_column(ds, name);
  if (!c || c->type == TN_COLUMN_TYPE_STRING || c->scope != scope || c->width != width) return NULL;
  return c;
}

void report_frame_name(char *out, size_t len, const report_sources *src, int64_t f) {
  if (!src || src->n_files < 1) {
    snprintf(out, len, "frame %lld", (long long)f + 1);
    return;
  }
  int k = 0;
  while (k + 1 < src->n_files && f >= src->start[k + 1]) k++;
  snprintf(out, len, "%s, frame %lld", src->files[k], (long long)(f - src->start[k] + 1));
}

static void progress(const char *what, int64_t done, int64_t total) {
  if (!what || total <= 0) return;
  int64_t every = total / 200 > 0 ? total / 200 : 1;
  if (done % every == 0 || done == total) cli_progress((void *)what, (int)done, (int)total);
}

int report_check_elements(const tn_model *m, const tn_frame *fr, char *msg, size_t len) {
  int32_t elements[16];
  int n_elements = tn_model_elements(m, elements);
  for (int a = 0; a < fr->n_atoms; a++) {
    int z = fr->species[a], k = 0;
    while (k < n_elements && elements[k] != z) k++;
    if (k < n_elements) continue;
    const char *sym = tn_element_symbol(z);
    int w = snprintf(msg, len, "atom %d: element %s is not one the model was made for (it knows",
                     a + 1, sym ? sym : "?");
    for (int q = 0; q < n_elements && w > 0 && (size_t)w < len; q++)
      w += snprintf(msg + w, len - (size_t)w, " %s", tn_element_symbol(elements[q]));
    if (w > 0 && (size_t)w < len) snprintf(msg + w, len - (size_t)w, ")");
    return 0;
  }
  return 1;
}

int report_evaluate(report *r, tn_model *m, const tn_dataset *ds, const char *atomic_column,
                    const report_sources *src, const char *command, const char *progress_label) {
  const tn_column *energy = label(ds, TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, 1);
  const tn_column *forces = label(ds, TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, 3);
  const tn_column *stress = label(ds, TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, 9);
  const tn_column *atoms = NULL;
  if (atomic_column && atomic_column[0]) {
    atoms = label(ds, atomic_column, TN_COLUMN_SCOPE_ATOM, 1);
    if (!atoms) {
      fprintf(stderr, "%s: atomic energies: the data have no per-atom column '%s' of width 1\n",
              command, atomic_column);
      return 0;
    }
  }
  int64_t max_atoms = 1;
  for (int64_t f = 0; f < ds->n_frames; f++)
    if (ds->atom_start[f + 1] - ds->atom_start[f] > max_atoms)
      max_atoms = ds->atom_start[f + 1] - ds->atom_start[f];
  double(*frc)[3] = malloc((size_t)max_atoms * sizeof *frc);
  double *ea = malloc((size_t)max_atoms * sizeof *ea);
  int ok = 0;
  char where[TN_PATH_MAX + 64], why[512];
  if (!frc || !ea) {
    fprintf(stderr, "%s: out of memory for %lld atoms\n", command, (long long)max_atoms);
    goto done;
  }
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    int64_t a0 = ds->atom_start[f];
    int has_f = forces && forces->present[f];
    int has_s =
        stress && stress->present[f] && tn_cell_periodic((const double(*)[3])fr.cell, fr.pbc);
    if (!report_check_elements(m, &fr, why, sizeof why)) {
      report_frame_name(where, sizeof where, src, f);
      fprintf(stderr, "%s: %s: %s\n", command, where, why);
      goto done;
    }
    double e = 0.0, s[3][3];
    tn_status st = tn_model_eval(m, &fr, &e, has_f ? frc : NULL, has_s ? s : NULL, ea);
    if (st != TN_STATUS_OK) {
      report_frame_name(where, sizeof where, src, f);
      fprintf(stderr, "%s: %s: %s (%s)\n", command, where, tn_model_errmsg(m), tn_status_str(st));
      goto done;
    }
    if (energy && energy->present[f]) {
      double ref = energy->values[f];
      add_value(r, &r->all[ROW_ENERGY], NULL, NULL, 0, e, ref);
      if (fr.n_atoms > 0)
        add_value(r, &r->all[ROW_ENERGY_ATOM], NULL, &r->energy, 0, e / fr.n_atoms,
                  ref / fr.n_atoms);
    }
    for (int a = 0; a < fr.n_atoms; a++) {
      int z = fr.species[a];
      if (has_f) {
        const double *ref = tn_column_row(forces, a0 + a);
        for (int k = 0; k < 3; k++)
          add_value(r, &r->all[ROW_FORCES], &r->forces_el[z], &r->forces_pts[z], 0, frc[a][k],
                    ref[k]);
      }
      if (atoms && atoms->present[f])
        add_value(r, &r->all[ROW_ATOMS], &r->atoms_el[z], &r->atoms_pts[z], 1, ea[a],
                  atoms->values[a0 + a]);
    }
    if (has_s) {
      const double *ref = tn_column_row(stress, f);
      for (int k = 0; k < 9; k++)
        add_value(r, &r->all[ROW_STRESS], NULL, NULL, 0, s[k / 3][k % 3], ref[k]);
    }
    progress(progress_label, f + 1, ds->n_frames);
  }
  if (r->failed_memory) {
    fprintf(stderr, "%s: out of memory for the points of the parity plots\n", command);
    goto done;
  }
  shift_atomic_energies(r);
  ok = 1;
done:
  free(frc);
  free(ea);
  return ok;
}

/* ------------------------------------------------------------------ rows */

typedef struct row {
  char name[40];
  const char *unit;
  const tn_error_stats *s;
} row;

#define ROWS_MAX (ROW_COUNT + 3 * Z_MAX)

/* The rows that have at least one value, in table order. */
static int collect_rows(const report *r, row *rows) {
  static const char *const names[ROW_COUNT] = {
      "energy",          "energy per atom",          "forces",
      "atomic energies", "atomic energies - offset", "stress"};
  static const char *const units[ROW_COUNT] = {"meV", "meV/atom", "meV/Å", "meV", "meV", "meV/Å³"};
  int n = 0;
  for (int k = 0; k < ROW_COUNT; k++) {
    if (r->all[k].n == 0) continue;
    snprintf(rows[n].name, sizeof rows[n].name, "%s", names[k]);
    rows[n].unit = units[k];
    rows[n++].s = &r->all[k];
    const tn_error_stats *per_el = k == ROW_FORCES          ? r->forces_el
                                   : k == ROW_ATOMS         ? r->atoms_el
                                   : k == ROW_ATOMS_SHIFTED ? r->atoms_shifted_el
                                                            : NULL;
    if (!per_el) continue;
    for (int z = 1; z <= Z_MAX; z++) {
      if (per_el[z].n == 0) continue;
      snprintf(rows[n].name, sizeof rows[n].name, "%s[%s]", names[k], tn_element_symbol(z));
      rows[n].unit = units[k];
      rows[n++].s = &per_el[z];
    }
  }
  return n;
}

/* Columns s takes on a terminal: UTF-8 characters, not bytes, so that "Å"
 * counts once. */
static int text_columns(const char *s) {
  int cols = 0;
  for (const char *p = s; *p; p++) cols += ((unsigned char)*p & 0xC0) != 0x80;
  return cols;
}

/* Prints s in width columns, left- or right-aligned. */
static void put_padded(FILE *out, const char *s, int width, int right) {
  int pad = width - text_columns(s);
  if (!right) fputs(s, out);
  for (; pad > 0; pad--) putc(' ', out);
  if (right) fputs(s, out);
}

void report_print(const report *r, FILE *out) {
  row rows[ROWS_MAX];
  int n = collect_rows(r, rows);
  if (n == 0) {
    fprintf(out, "  (no labels to compare with)\n");
    return;
  }
  fprintf(out, "  %-30s%-10s%10s %11s %11s %11s ", "", "unit", "N", "MAE", "RMSE", "max");
  put_padded(out, "R²", 10, 1);
  fprintf(out, "\n");
  for (int k = 0; k < n; k++) {
    const tn_error_stats *s = rows[k].s;
    double r2 = tn_error_stats_r2(s);
    fprintf(out, "  ");
    put_padded(out, rows[k].name, 30, 0);
    put_padded(out, rows[k].unit, 10, 0);
    fprintf(out, "%10lld %11.4g %11.4g %11.4g ", (long long)s->n, tn_error_stats_mae(s),
            tn_error_stats_rmse(s), s->max_abs);
    if (isnan(r2))
      fprintf(out, "%10s\n", "-");
    else
      fprintf(out, "%10.5f\n", r2);
  }
  if (r->all[ROW_ATOMS_SHIFTED].n > 0)
    fprintf(out, "  (atomic energies - offset: after removing each element's mean error, the one\n"
                 "   freedom a model trained on totals alone has: totals fix only the sum)\n");
}

int report_write_csv(const report *r, const char *path, const char *command) {
  row rows[ROWS_MAX];
  int n = collect_rows(r, rows);
  size_t tmp_len = strlen(path) + 32;
  char *tmp = malloc(tmp_len);
  char err[512];
  if (!tmp) {
    fprintf(stderr, "%s: %s: out of memory\n", command, path);
    return 0;
  }
  FILE *f = tn_open_temp(path, tmp, tmp_len);
  if (!f) {
    fprintf(stderr, "%s: %s: cannot write: %s\n", command, path, strerror(errno));
    free(tmp);
    return 0;
  }
  fprintf(f, "name,unit,n,mae,rmse,max,r2\n");
  for (int k = 0; k < n; k++) {
    const tn_error_stats *s = rows[k].s;
    fprintf(f, "%s,%s,%lld,%.10g,%.10g,%.10g,%.10g\n", rows[k].name, rows[k].unit, (long long)s->n,
            tn_error_stats_mae(s), tn_error_stats_rmse(s), s->max_abs, tn_error_stats_r2(s));
  }
  tn_status st = tn_commit_file(f, tmp, path, err, sizeof err);
  free(tmp);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", command, err);
    return 0;
  }
  return 1;
}

/* Replaces *ds by the frames of one subset of the split file split_path.
 * Returns 0 after printing why on failure. */
int report_keep_subset(tn_dataset **ds, const char *split_path, const char *subset,
                       const char *command) {
  char err[512];
  tn_split split = {0};
  tn_status st = tn_split_load(&split, split_path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
    return 0;
  }
  int ok = 0;
  tn_dataset *part = NULL;
  if (split.n_frames != (*ds)->n_frames) {
    fprintf(stderr, "%s: %s indexes %lld frames, but the data have %lld\n", command, split_path,
            (long long)split.n_frames, (long long)(*ds)->n_frames);
    goto done;
  }
  const int64_t *which = !strcmp(subset, "train") ? split.train
                         : !strcmp(subset, "val") ? split.val
                                                  : split.test;
  int64_t n = !strcmp(subset, "train") ? split.n_train
              : !strcmp(subset, "val") ? split.n_val
                                       : split.n_test;
  if (n == 0) {
    fprintf(stderr, "%s: %s has no %s frames\n", command, split_path, subset);
    goto done;
  }
  part = tn_dataset_create();
  st = part ? tn_dataset_append_subset(part, *ds, which, n) : TN_STATUS_NO_MEMORY;
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s frames of %s: %s\n", command, subset, split_path, tn_status_str(st));
    goto done;
  }
  tn_dataset_free(*ds);
  *ds = part;
  part = NULL;
  ok = 1;
done:
  tn_dataset_free(part);
  tn_split_free(&split);
  return ok;
}

void report_totals(const report *r, tn_error_stats *energy_per_atom, tn_error_stats *forces) {
  if (energy_per_atom) *energy_per_atom = r->all[ROW_ENERGY_ATOM];
  if (forces) *forces = r->all[ROW_FORCES];
}

/* --------------------------------------------------------- atomic energies */

int report_atomic_rows(const report *r, report_atomic *rows) {
  int n = 0;
  if (r->all[ROW_ATOMS].n == 0) return 0;
  rows[n++] = (report_atomic){0, r->all[ROW_ATOMS], r->all[ROW_ATOMS_SHIFTED], NAN};
  for (int z = 1; z <= Z_MAX; z++) {
    const points *p = &r->atoms_pts[z];
    if (p->n == 0) continue;
    double offset = 0.0;
    for (int64_t k = 0; k < p->n; k++) offset += p->pred[k] - p->ref[k];
    rows[n++] = (report_atomic){z, r->atoms_el[z], r->atoms_shifted_el[z], offset / (double)p->n};
  }
  return n;
}

/* ----------------------------------------------------------------- plots */

static int write_plot(const char *prefix, const char *suffix, const char *title, const char *unit,
                      tn_plot_series *series, int n_series, const char *command, int *written) {
  if (n_series == 0) return 1;
  size_t len = strlen(prefix) + strlen(suffix) + 1;
  char *path = malloc(len);
  char x_label[96], y_label[96], err[512];
  if (!path) {
    fprintf(stderr, "%s: out of memory\n", command);
    return 0;
  }
  snprintf(path, len, "%s%s", prefix, suffix);
  snprintf(x_label, sizeof x_label, "reference (%s)", unit);
  snprintf(y_label, sizeof y_label, "predicted (%s)", unit);
  tn_plot plot = {.title = title,
                  .x_label = x_label,
                  .y_label = y_label,
                  .parity = 1,
                  .n_series = n_series,
                  .series = series};
  tn_status st = tn_plot_write_svg(&plot, path, err, sizeof err);
  if (st != TN_STATUS_OK) fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
  if (st == TN_STATUS_OK) (*written)++;
  free(path);
  return st == TN_STATUS_OK;
}

/* One series per element with points. */
static int element_series(const points *pts, tn_plot_series *out) {
  int n = 0;
  for (int z = 1; z <= Z_MAX; z++) {
    if (pts[z].n == 0) continue;
    out[n++] = (tn_plot_series){.label = tn_element_symbol(z),
                                .x = pts[z].ref,
                                .y = pts[z].pred,
                                .n = pts[z].n,
                                .style = TN_PLOT_POINTS};
  }
  return n;
}

int report_write_plots(const report *r, const char *prefix, const char *command, int *written) {
  tn_plot_series series[Z_MAX];
  int n = 0;
  *written = 0;
  if (r->energy.n > 0)
    series[n++] = (tn_plot_series){
        .x = r->energy.ref, .y = r->energy.pred, .n = r->energy.n, .style = TN_PLOT_POINTS};
  if (!write_plot(prefix, "_energy.svg", "energy per atom", "eV/atom", series, n, command, written))
    return 0;
  n = element_series(r->forces_pts, series);
  if (!write_plot(prefix, "_forces.svg", "force components", "eV/Å", series, n, command, written))
    return 0;
  n = element_series(r->atoms_pts, series);
  return write_plot(prefix, "_atomic_energies.svg", "atomic energies", "eV", series, n, command,
                    written);
}

int report_write_atomic_plots(const report *r, const char *prefix, const char *command,
                              int *written) {
  tn_plot_series series[Z_MAX];
  double *shifted[Z_MAX + 1] = {0};
  *written = 0;
  int n = element_series(r->atoms_pts, series), ok = 0;
  if (!write_plot(prefix, "_atoms_raw.svg", "atomic energies, raw", "eV", series, n, command,
                  written))
    return 0;
  /* the same points with each element's mean error taken off the predictions */
  n = 0;
  for (int z = 1; z <= Z_MAX; z++) {
    const points *p = &r->atoms_pts[z];
    if (p->n == 0) continue;
    if (!(shifted[z] = malloc((size_t)p->n * sizeof *shifted[z]))) {
      fprintf(stderr, "%s: out of memory\n", command);
      goto done;
    }
    double offset = 0.0;
    for (int64_t k = 0; k < p->n; k++) offset += p->pred[k] - p->ref[k];
    offset /= (double)p->n;
    for (int64_t k = 0; k < p->n; k++) shifted[z][k] = p->pred[k] - offset;
    series[n++] = (tn_plot_series){.label = tn_element_symbol(z),
                                   .x = p->ref,
                                   .y = shifted[z],
                                   .n = p->n,
                                   .style = TN_PLOT_POINTS};
  }
  ok = write_plot(prefix, "_atoms_offset.svg", "atomic energies, each element's mean error removed",
                  "eV", series, n, command, written);
done:
  for (int z = 0; z <= Z_MAX; z++) free(shifted[z]);
  return ok;
}

int report_load(tn_model **m, tn_dataset *ds, int64_t *start, const char *model_path,
                const char *const *files, int n_files, const tn_read_options *opt,
                const char *command) {
  char err[1024];
  tn_status st = tn_model_load(m, model_path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
    return 0;
  }
  for (int k = 0; k < n_files; k++) {
    start[k] = ds->n_frames;
    if (!cli_read_all(ds, &files[k], 1, opt)) return 0;
  }
  start[n_files] = ds->n_frames;
  return 1;
}
