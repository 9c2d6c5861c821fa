/* tanne demo: the main job on the built-in default data. Until models exist
 * it generates the default noble-gas data set, writes it, reads it back and
 * prints its summary. */
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne demo [-o OUT.xyz]\n\n"
    "Generates the built-in default data set (liquid argon from the Lennard-Jones\n"
    "+ Axilrod-Teller-Muto reference, with exact atomic energies), writes it to\n"
    "OUT.xyz [tanne-demo.xyz], reads it back and prints its summary.\n";

int cmd_demo(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne demo", argc, argv);
  const char *out = "tanne-demo.xyz", *arg;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s", help);
      return 0;
    }
    if (cli_output_opt(&a, arg))
      out = a.value;
    else
      cli_usage_error(a.command, "unknown argument '%s'", arg);
  }
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  tn_dataset *ds = tn_dataset_create(), *back = tn_dataset_create();
  int status = 1;
  if (!ds || !back) goto done;
  printf("tanne %s demo: default data set, %d frames of %d-atom liquid %s at %g K (seed %llu)\n",
         TN_VERSION_STRING, s.n_frames, s.n_atoms, tn_element_symbol(s.species[0]), s.temperature,
         (unsigned long long)s.seed);
  tn_status st = tn_noble_gas_generate(ds, &pot, &s, cli_progress, "frames");
  if (st == TN_STATUS_OK) st = tn_dataset_write_extxyz(ds, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne demo: %s (%s)\n", tn_dataset_errmsg(ds), tn_status_str(st));
    goto done;
  }
  tn_read_options opt = tn_read_options_default();
  if (!cli_read_all(back, &out, 1, &opt)) goto done;
  printf("%s\n", out);
  cli_print_summary(stdout, back);
  status = 0;
done:
  tn_dataset_free(ds);
  tn_dataset_free(back);
  return status;
}
