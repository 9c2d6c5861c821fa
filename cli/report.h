/* Error tables and parity plots of a model against labelled frames: the body
 * of `tanne eval` and of the test-set report at the end of `tanne train`.
 * Only cli/ prints. */
#ifndef TN_CLI_REPORT_H
#define TN_CLI_REPORT_H

#include <stdio.h>

#include "tanne.h"

/* Where the frames of a data set came from, to name a frame in messages:
 * files[k] holds frames [start[k], start[k+1]) (start has n_files + 1
 * entries). A set split off one file has one "file" named after the set. */
typedef struct report_sources {
  int n_files;
  const char *const *files;
  const int64_t *start;
} report_sources;

/* "file, frame k" (k 1-based within its file; "frame k" when src is NULL). */
void report_frame_name(char *out, size_t len, const report_sources *src, int64_t f);

/* 1 if every atom of fr is of an element m knows; else 0 and msg says
 * "atom a: element X is not one the model was made for (it knows ...)". */
int report_check_elements(const tn_model *m, const tn_frame *fr, char *msg, size_t len);

/* Running statistics (and, with keep_points, the points of parity plots) of
 * predictions against the labels of each frame. */
typedef struct report report;

/* NULL when out of memory. keep_points: remember (reference, prediction)
 * pairs for report_write_plots. */
report *report_create(int keep_points);
void report_free(report *r);

/* Evaluates m on every frame of ds and adds it to r. Energy, forces and
 * atomic energies (from the per-atom column atomic_column, NULL or "" for
 * none) are compared where the frame carries the label; stress only for
 * frames with a periodic cell of positive volume and a stress label.
 * progress_label: draw cli_progress with it (NULL for none). On failure
 * prints "command: <file>, frame <k>: <why>" to stderr and returns 0. */
int report_evaluate(report *r, tn_model *m, const tn_dataset *ds, const char *atomic_column,
                    const report_sources *src, const char *command, const char *progress_label);

/* The table: one row per label that some frame carried (energy, energy per
 * atom, forces, forces[El]..., atomic energies, atomic energies[El]...,
 * the same after removing each element's mean atomic-energy error, stress)
 * with N, MAE, RMSE, max and R², errors in meV units. */
void report_print(const report *r, FILE *out);

/* The same table as CSV (name,unit,n,mae,rmse,max,r2), written atomically.
 * On failure prints the reason (prefixed by command) and returns 0. */
int report_write_csv(const report *r, const char *path, const char *command);

/* Parity plots PREFIX_energy.svg (energy per atom), PREFIX_forces.svg and
 * PREFIX_atomic_energies.svg (one series per element), each only if its
 * label was compared; *written counts the files written. Needs keep_points.
 * Returns 0 after printing the reason on failure. */
int report_write_plots(const report *r, const char *prefix, const char *command, int *written);

/* Replaces *ds by the frames of subset ("train", "val" or "test") of the
 * split file split_path, which must index exactly *ds's frames. Returns 0
 * after printing "command: why" on failure. */
int report_keep_subset(tn_dataset **ds, const char *split_path, const char *subset,
                       const char *command);

/* The statistics of r's energies per atom (meV/atom) and force components
 * (meV/Å); either may be NULL. Empty (n = 0) where nothing was compared. */
void report_totals(const report *r, tn_error_stats *energy_per_atom, tn_error_stats *forces);

/* The atomic energies of r, raw and after removing each element's mean
 * error (the gauge totals leave free): rows[0] all elements (z 0, offset
 * NaN), then one row per element in ascending Z. Errors in meV; offset, the
 * element's mean (predicted − reference), in eV. rows holds 119 entries;
 * returns the count (0 when no atomic energies were compared). */
typedef struct report_atomic {
  int z;
  tn_error_stats raw, shifted;
  double offset;
} report_atomic;
int report_atomic_rows(const report *r, report_atomic *rows);

/* Per-element parity plots of the atomic energies: PREFIX_atoms_raw.svg and
 * PREFIX_atoms_offset.svg (each element's mean error removed). Needs
 * keep_points or atomic energies compared; *written counts the files.
 * Returns 0 after printing why. */
int report_write_atomic_plots(const report *r, const char *prefix, const char *command,
                              int *written);

/* What eval and predict do first: load the model and read each file into
 * ds, recording in start[n_files + 1] where each file's frames begin (for
 * report_sources). Prints "command: why" and returns 0 on failure. */
int report_load(tn_model **m, tn_dataset *ds, int64_t *start, const char *model_path,
                const char *const *files, int n_files, const tn_read_options *opt,
                const char *command);

#endif
