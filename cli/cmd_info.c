/* tanne info FILE...: what is in a data file, in internal units, or in a
 * model file (its architecture, shifts and lineage). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ensemble.h"

static const char help[] =
    "usage: tanne info [options] FILE...\n\n"
    "Prints, for each file: frames, atoms per frame (min/max), elements, the\n"
    "labels present, and energy, force, atomic-energy and stress statistics in\n"
    "eV and Angstrom. For a model file (.tnm): its architecture, elements,\n"
    "parameter count, per-element shifts and lineage (the data, level of theory\n"
    "and parent model of each generation).\n\noptions:\n";

static int print_model(const char *path) {
  tn_model *m = NULL;
  char err[1024];
  tn_status st = tn_model_load(&m, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne info: %s (%s)\n", err, tn_status_str(st));
    return 0;
  }
  tn_model_options o = tn_model_get_options(m);
  int32_t el[16];
  double shift[16], scale;
  int n = tn_model_elements(m, el);
  tn_model_get_shifts(m, shift, &scale);
  printf("%s\n  model                  %s, %d features, %d interactions, %d %s functions, "
         "cutoff %g A, %s\n  parameters             %lld\n  shifts (eV)           ",
         path, o.type, o.features, o.interactions, o.n_basis, o.basis, o.cutoff, o.activation,
         (long long)tn_model_param_count(m));
  for (int k = 0; k < n; k++) printf(" %s %.10g", tn_element_symbol(el[k]), shift[k]);
  printf("\n  scale (eV)             %.10g\n  lineage\n", scale);
  const char *lineage = tn_model_lineage(m);
  if (!*lineage) printf("    (not recorded)\n");
  for (const char *p = lineage; *p;) {
    const char *end = strchr(p, '\n');
    int len = end ? (int)(end - p) : (int)strlen(p);
    printf("    %.*s\n", len, p);
    p += len + (end ? 1 : 0);
  }
  tn_model_free(m);
  return 1;
}

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
    if (ens_is_model_file(paths[k])) {
      status = print_model(paths[k]) ? 0 : 1;
      continue;
    }
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
