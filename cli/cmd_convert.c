/* tanne convert IN... OUT.xyz: any readable format to extended XYZ. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne convert [options] IN... OUT.xyz\n\n"
    "Reads every IN (any supported format), converts to eV and Angstrom, and\n"
    "writes all frames to OUT as extended XYZ (ASE conventions). OUT is written\n"
    "to a temporary file first and renamed, so a failure leaves no partial file.\n\n"
    "options:\n";

int cmd_convert(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne convert", argc, argv);
  tn_read_options opt = tn_read_options_default();
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0;
  const char *arg;
  while (cli_args_next(&a, &arg)) cli_input_arg(&a, arg, help, &opt, paths, &n);
  if (n < 2) cli_usage_error(a.command, "need at least one input and one output file");
  const char *out = paths[n - 1];
  for (int k = 0; k < n - 1; k++)
    if (strcmp(paths[k], out) == 0) cli_usage_error(a.command, "output '%s' is also an input", out);
  int status = 1;
  tn_dataset *ds = tn_dataset_create();
  if (!ds) goto done;
  if (!cli_read_all(ds, paths, n - 1, &opt)) goto done;
  tn_status st = tn_dataset_write_extxyz(ds, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne convert: %s (%s)\n", tn_dataset_errmsg(ds), tn_status_str(st));
    goto done;
  }
  fprintf(stderr, "wrote %lld frames (%lld atoms) to %s\n", (long long)ds->n_frames,
          (long long)ds->n_atoms, out);
  status = 0;
done:
  tn_dataset_free(ds);
  return status;
}
