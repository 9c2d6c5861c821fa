/* tanne import-n2p2 DIR -o MODEL.tnm: an n2p2 potential as a tanne model. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne import-n2p2 [options] DIR -o MODEL.tnm\n\n"
    "Reads an n2p2 Behler-Parrinello potential from DIR (input.nn, scaling.data,\n"
    "weights.NNN.data with NNN the atomic number) and writes it as a tanne model\n"
    "that predicts in eV and Angstrom. n2p2's normalization (mean_energy,\n"
    "conv_energy, conv_length) and atom_energy offsets are folded into the\n"
    "model's per-element shifts and scale. n2p2 files do not record their units:\n"
    "give them when they are not eV and Angstrom (e.g. Hartree and Bohr).\n\n"
    "options:\n"
    "  -o, --output PATH   model file to write (required)\n"
    "  --energy-unit U     energy unit of the files: eV meV kcal/mol kJ/mol Hartree Ry\n"
    "                      (default eV)\n"
    "  --length-unit U     length unit of the files: Angstrom Bohr nm (default Angstrom)\n"
    "  -h, --help          this help\n";

int cmd_import_n2p2(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne import-n2p2", argc, argv);
  const char *dir = NULL, *out = NULL, *arg;
  double eu = 1.0, lu = 1.0;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s", help);
      return 0;
    } else if (cli_output_opt(&a, arg)) {
      out = a.value;
    } else if (cli_opt(&a, arg, "energy-unit")) {
      if (!(eu = tn_energy_unit(a.value)))
        cli_usage_error(a.command, "option --energy-unit: unknown unit '%s'", a.value);
    } else if (cli_opt(&a, arg, "length-unit")) {
      if (!(lu = tn_length_unit(a.value)))
        cli_usage_error(a.command, "option --length-unit: unknown unit '%s'", a.value);
    } else if (arg[0] == '-' && arg[1]) {
      cli_usage_error(a.command, "unknown option '%s'", arg);
    } else if (dir) {
      cli_usage_error(a.command, "one directory only ('%s' and '%s')", dir, arg);
    } else {
      dir = arg;
    }
  }
  if (!dir) cli_usage_error(a.command, "no directory given");
  if (!out) cli_usage_error(a.command, "no output file given (-o MODEL.tnm)");
  char err[1024];
  tn_model *m = NULL;
  tn_status st = tn_model_import_n2p2(&m, dir, eu, lu, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne import-n2p2: %s (%s)\n", err, tn_status_str(st));
    return 1;
  }
  st = tn_model_save(m, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne import-n2p2: %s (%s)\n", tn_model_errmsg(m), tn_status_str(st));
    tn_model_free(m);
    return 1;
  }
  int32_t el[16];
  int ne = tn_model_elements(m, el);
  fprintf(stderr, "wrote %s: Behler-Parrinello, %d elements (", out, ne);
  for (int q = 0; q < ne; q++) fprintf(stderr, "%s%s", q ? " " : "", tn_element_symbol(el[q]));
  fprintf(stderr, "), %lld parameters, cutoff %.4g Angstrom\n", (long long)tn_model_param_count(m),
          tn_model_cutoff(m));
  tn_model_free(m);
  return 0;
}
