/* Shared pieces of the tanne command: argument scanning and read options.
 * Only cli/ prints or exits. */
#ifndef TN_CLI_H
#define TN_CLI_H

#include <stdio.h>

#include "tanne.h"

/* A cursor over argv for one subcommand. Options are "--name value" or
 * "--name=value"; anything else is positional. */
typedef struct cli_args {
  int argc, at;
  char **argv;
  const char *command; /* for messages: "tanne info" */
  const char *value;   /* value of the last matched option */
  char name_buf[64];
} cli_args;

void cli_args_init(cli_args *a, const char *command, int argc, char **argv);
/* 1 while arguments remain; *arg gets the next one (positional or option). */
int cli_args_next(cli_args *a, const char **arg);
/* 1 if arg is the option --name; then a->value holds its value (from "=v" or
 * the next argument; a missing value is a usage error and exits 2). */
int cli_opt(cli_args *a, const char *arg, const char *name);
/* 1 if arg is -o or --output; then a->value holds the path. */
int cli_output_opt(cli_args *a, const char *arg);
/* --split FILE and --subset train|val|test: evaluate one subset of a split
 * file. cli_subset_opt returns 1 if arg was one of them; cli_subset_finish
 * checks the pair (--subset needs --split, a usage error) and defaults the
 * subset to "test". split NULL: the whole data. */
typedef struct cli_subset {
  const char *split, *subset;
} cli_subset;
int cli_subset_opt(cli_args *a, const char *arg, cli_subset *s);
void cli_subset_finish(const cli_args *a, cli_subset *s);
#define CLI_SUBSET_HELP                                                                            \
  "  --split FILE        use only one subset of a split file (such as the\n"                       \
  "                      split.txt a training run writes) of the data\n"                           \
  "  --subset S          train | val | test: the subset of --split  [test]\n"

/* 1 if arg is the flag --name (no value). */
int cli_flag(const char *arg, const char *name);

/* Parsers that exit 2 with a usage message naming the option. */
double cli_double(const cli_args *a, const char *name, const char *text);
long cli_long(const cli_args *a, const char *name, const char *text, long min, long max);

/* The --format, --energy-unit, --length-unit options shared by every
 * command that reads data. Returns 1 if arg was one of them. */
int cli_read_option(cli_args *a, const char *arg, tn_read_options *opt);
extern const char cli_read_options_help[];

/* What every data-reading command accepts after its own options: --help
 * (prints help, then the read options, and exits 0), the read options, and
 * input paths, which are stored in paths[*n] (paths may be argv itself: index *n never passes the
 * scan). An
 * unknown option is a usage error. Call it last in the option chain. */
void cli_input_arg(cli_args *a, const char *arg, const char *help, tn_read_options *opt,
                   const char **paths, int *n);

/* Reads each path into ds; on failure prints the message and returns 0. */
int cli_read_all(tn_dataset *ds, const char *const *paths, int n, const tn_read_options *opt);

/* Usage errors: print "tanne CMD: message" and a hint, exit 2. */
void cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* The command line as typed ("tanne" and the arguments, quoted for a shell
 * where needed), for reports to say how they were made. main records it
 * before a subcommand's scan reorders argv (argv[0] the subcommand) and
 * forgets it after; "tanne" when none was recorded. */
void cli_record_command_line(int argc, char **argv);
const char *cli_command_line(void);
void cli_forget_command_line(void);

/* mkdir -p dir; on failure prints "command: why" and returns 0. */
int cli_make_dir(const char *command, const char *dir);

/* One file of an output folder, written atomically: cli_out_open opens a
 * temporary file beside dir/name (NULL after printing why); cli_out_close
 * renames it over dir/name and prints "wrote ..." when ok, or removes it
 * when not; returns 1 when the file was written. */
typedef struct cli_out {
  const char *command;
  char *path, *tmp;
} cli_out;
FILE *cli_out_open(cli_out *o, const char *command, const char *dir, const char *name);
int cli_out_close(cli_out *o, FILE *f, int ok);
/* plot as the SVG dir/name (written atomically by tn_plot_write_svg);
 * prints "wrote ..." or why not; returns 1 when written. */
int cli_out_plot(const char *command, const char *dir, const char *name, const tn_plot *plot);

/* The columns frame f of ds carries, as views in out (room for
 * ds->n_columns), named names[c] (NULL: their own names), so that the frame
 * can be appended elsewhere with more columns. Returns the count. */
int cli_frame_columns(tn_frame_column *out, const tn_dataset *ds, int64_t f,
                      const char *const *names);

/* Subcommands: each returns the process exit status. */
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_import_n2p2(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_learning_curve(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_checkf(int argc, char **argv);
int cmd_advval(int argc, char **argv);
int cmd_transfer(int argc, char **argv);
int cmd_atoms(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_interactions(int argc, char **argv);
int cmd_md(int argc, char **argv);
int cmd_stability(int argc, char **argv);

/* A tn_progress_fn that draws "what: done/total" on a terminal; user is the
 * label (const char *). */
void cli_progress(void *user, int done, int total);

/* A tn_train_fn printing one line per epoch to stderr (loss, validation
 * MAEs in meV, learning rate, ETA; '*' marks a new best). On a terminal,
 * epochs that do not improve are overwritten. user is this struct. */
typedef struct cli_train_progress {
  const char *command; /* prefix of messages, "tanne train" */
  int has_val;         /* show the validation loss */
  int tty;             /* stderr is a terminal */
  int pending;         /* a line without its newline is on the terminal */
} cli_train_progress;
void cli_train_progress_fn(void *user, const tn_train_epoch *e, const char *message);

/* Prints a summary of a data set (the body of `tanne info`). */
void cli_print_summary(FILE *out, const tn_dataset *ds);

#endif
