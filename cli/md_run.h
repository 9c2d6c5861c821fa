/* The state of one tanne md command: its settings, output files and the
 * statistics it gathers while the run goes (cmd_md.c), and the report
 * written at the end (md_report.c). */
#ifndef TN_CLI_MD_RUN_H
#define TN_CLI_MD_RUN_H

#include "md.h"

#define MD_CMD "tanne md"

typedef struct md_run {
  cli_md_settings settings;
  const char *potential_name, *start_path, *dir;
  long frame; /* 0-based, of the start file */
  int n_atoms;
  int64_t steps, thermo_every, traj_every, rdf_every, rdf_start;
  double rdf_range;
  int rdf_bins;
  tn_rdf *rdf; /* NULL: no RDF (frame not periodic, or --rdf-bins 0) */
  FILE *thermo, *traj;
  /* statistics over the thermo samples */
  int n_samples;
  double t_sum, t_sq, max_drift, min_distance;
  double *msd_time, *msd; /* [n_msd] fs, Å² */
  int n_msd;
} md_run;

double md_diffusion(const double *time, const double *msd, int n); /* Å²/fs, NaN if too short */
double md_half_min_height(const double cell[3][3]);                /* Å */
int md_write_rdf(const md_run *r);
int md_write_summary(const md_run *r, const tn_md *md, const char *outcome);

#endif
