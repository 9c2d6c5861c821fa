/* Argument scanning shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see '%s --help')\n", command);
  va_end(ap);
  exit(2);
}

void cli_args_init(cli_args *a, const char *command, int argc, char **argv) {
  memset(a, 0, sizeof *a);
  a->command = command;
  a->argc = argc;
  a->argv = argv;
  a->at = 1; /* argv[0] is the subcommand itself */
}

int cli_args_next(cli_args *a, const char **arg) {
  if (a->at >= a->argc) return 0;
  *arg = a->argv[a->at++];
  return 1;
}

int cli_flag(const char *arg, const char *name) {
  return arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, name) == 0;
}

int cli_opt(cli_args *a, const char *arg, const char *name) {
  if (arg[0] != '-' || arg[1] != '-') return 0;
  size_t n = strlen(name);
  if (strncmp(arg + 2, name, n) != 0) return 0;
  if (arg[2 + n] == '=') {
    a->value = arg + 3 + n;
    return 1;
  }
  if (arg[2 + n] != '\0') return 0;
  if (a->at >= a->argc) cli_usage_error(a->command, "option --%s needs a value", name);
  a->value = a->argv[a->at++];
  return 1;
}

int cli_output_opt(cli_args *a, const char *arg) {
  if (strcmp(arg, "-o") == 0) arg = "--output";
  return cli_opt(a, arg, "output");
}

int cli_subset_opt(cli_args *a, const char *arg, cli_subset *s) {
  if (cli_opt(a, arg, "split")) {
    s->split = a->value;
    return 1;
  }
  if (!cli_opt(a, arg, "subset")) return 0;
  s->subset = a->value;
  if (strcmp(s->subset, "train") && strcmp(s->subset, "val") && strcmp(s->subset, "test"))
    cli_usage_error(a->command, "option --subset: expected train, val or test");
  return 1;
}

void cli_subset_finish(const cli_args *a, cli_subset *s) {
  if (s->subset && !s->split) cli_usage_error(a->command, "option --subset needs --split");
  if (s->split && !s->subset) s->subset = "test";
}

double cli_double(const cli_args *a, const char *name, const char *text) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno || !isfinite(v))
    cli_usage_error(a->command, "option --%s: '%s' is not a number", name, text);
  return v;
}

long cli_long(const cli_args *a, const char *name, const char *text, long min, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end || errno || v < min || v > max)
    cli_usage_error(a->command, "option --%s: '%s' is not an integer in %ld..%ld", name, text, min,
                    max);
  return v;
}

const char cli_read_options_help[] =
    "  --format F          extxyz | npz | n2p2 | ani (default: from the file)\n"
    "  --energy-unit U     energy unit of the file: eV meV kcal/mol kJ/mol Hartree Ry\n"
    "                      (default: extxyz eV, npz kcal/mol, n2p2 as given, ani Hartree)\n"
    "  --length-unit U     length unit of the file: Angstrom Bohr nm (default Angstrom)\n";

int cli_read_option(cli_args *a, const char *arg, tn_read_options *opt) {
  if (cli_opt(a, arg, "format")) {
    opt->format = tn_format_from_name(a->value);
    if (opt->format == TN_FORMAT_AUTO)
      cli_usage_error(a->command, "option --format: unknown format '%s'", a->value);
    return 1;
  }
  if (cli_opt(a, arg, "energy-unit")) {
    opt->energy_unit = tn_energy_unit(a->value);
    if (opt->energy_unit == 0.0)
      cli_usage_error(a->command, "option --energy-unit: unknown unit '%s'", a->value);
    return 1;
  }
  if (cli_opt(a, arg, "length-unit")) {
    opt->length_unit = tn_length_unit(a->value);
    if (opt->length_unit == 0.0)
      cli_usage_error(a->command, "option --length-unit: unknown unit '%s'", a->value);
    return 1;
  }
  return 0;
}

void cli_input_arg(cli_args *a, const char *arg, const char *help, tn_read_options *opt,
                   const char **paths, int *n) {
  if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
    printf("%s%s", help, cli_read_options_help);
    exit(0);
  }
  if (cli_read_option(a, arg, opt)) return;
  if (arg[0] == '-' && arg[1] != '\0') cli_usage_error(a->command, "unknown option '%s'", arg);
  paths[(*n)++] = arg;
}

int cli_read_all(tn_dataset *ds, const char *const *paths, int n, const tn_read_options *opt) {
  for (int k = 0; k < n; k++) {
    tn_status st = tn_dataset_read(ds, paths[k], opt);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "tanne: %s (%s)\n", tn_dataset_errmsg(ds), tn_status_str(st));
      return 0;
    }
  }
  return 1;
}

/* Reachable until main frees it, so a usage error's exit() leaks nothing. */
static char *recorded_line;

const char *cli_command_line(void) { return recorded_line ? recorded_line : "tanne"; }

void cli_forget_command_line(void) {
  free(recorded_line);
  recorded_line = NULL;
}

void cli_record_command_line(int argc, char **argv) {
  size_t len = 6; /* "tanne" and the terminator */
  for (int k = 0; k < argc; k++) {
    len += 3 + strlen(argv[k]);                                     /* a space and two quotes */
    for (const char *c = argv[k]; *c; c++) len += 3 * (*c == '\''); /* ' becomes '\'' */
  }
  char *line = malloc(len), *at = line;
  if (!line) return;
  at += sprintf(at, "tanne");
  for (int k = 0; k < argc; k++) {
    const char *s = argv[k];
    int plain = s[0] != '\0';
    for (const char *c = s; *c; c++)
      if (!(isalnum((unsigned char)*c) || strchr("-_./=,:+@%", *c))) plain = 0;
    if (plain) {
      at += sprintf(at, " %s", s);
      continue;
    }
    /* in single quotes, as a shell reads it back */
    *at++ = ' ';
    *at++ = '\'';
    for (const char *c = s; *c; c++) {
      if (*c == '\'') {
        memcpy(at, "'\\''", 4);
        at += 4;
      } else
        *at++ = *c;
    }
    *at++ = '\'';
    *at = '\0';
  }
  recorded_line = line;
}
