/* What tanne md and tanne stability share: the potential that drives a run
 * (a model file or the built-in reference), the MD options on the command
 * line, and the files a run writes. */
#ifndef TN_CLI_MD_H
#define TN_CLI_MD_H

#include <stdio.h>

#include "cli.h"

/* A model file, or the LJ + ATM reference potential when path is NULL. */
typedef struct cli_md_potential {
  const char *path; /* NULL: the reference */
  tn_model *model;
  tn_noble_gas ref;
} cli_md_potential;

/* Loads path (NULL: the reference); 0 after printing "command: why". */
int cli_md_potential_load(cli_md_potential *p, const char *command, const char *path);
void cli_md_potential_free(cli_md_potential *p);
const char *cli_md_potential_name(const cli_md_potential *p); /* path or "reference" */
tn_status cli_md_create(tn_md **md, cli_md_potential *p, const tn_frame *start,
                        const tn_md_options *o, char *err, size_t err_len);

/* The MD options both commands take. */
typedef struct cli_md_settings {
  tn_md_options opt;
  int init_given; /* --init-temperature was given (else it follows --temperature) */
  int threads;    /* --threads, 0: OpenMP's default */
} cli_md_settings;

void cli_md_settings_init(cli_md_settings *s);
/* 1 if arg was one of the MD options (then parsed, or a usage error). */
int cli_md_option(cli_args *a, const char *arg, cli_md_settings *s);
/* Settles what follows from the others (the start temperature, threads). */
void cli_md_settings_finish(cli_md_settings *s);
extern const char cli_md_options_help[];

/* One extxyz frame of a run: species, positions, velocities (Å/fs) and
 * forces, with energy, time, step and temperature in the header. */
void cli_md_write_frame(FILE *f, const tn_md *md);
/* thermo.csv's header and one row. */
void cli_md_thermo_header(FILE *f);
void cli_md_thermo_row(FILE *f, const tn_md *md);

#endif
