/* tanne info FILE...: what is in a data file, in internal units. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne info [options] FILE...\n\n"
    "Prints, for each file: frames, atoms per frame (min/max), elements, the\n"
    "labels present, and energy, force, atomic-energy and stress statistics in\n"
    "eV and Angstrom.\n\noptions:\n";

int cmd_info(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne info", argc, argv);
  tn_read_options opt = tn_read_options_default();
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0, status = 0;
  const char *arg;
  while (cli_args_next(&a, &arg)) cli_input_arg(&a, arg, help, &opt, paths, &n);
  if (n == 0) cli_usage_error(a.command, "no file given");
  for (int k = 0; k < n && status == 0; k++) {
    tn_dataset *ds = tn_dataset_create();
    if (!ds) {
      fprintf(stderr, "tanne info: out of memory\n");
      status = 1;
      break;
    }
    if (cli_read_all(ds, &paths[k], 1, &opt)) {
      printf("%s\n", paths[k]);
      cli_print_summary(stdout, ds);
    } else {
      status = 1;
    }
    tn_dataset_free(ds);
  }
  return status;
}
