/* tanne generate noble-gas ...: liquid Ar, Kr or Ar/Kr frames from the
 * built-in reference potential, with exact atomic energies. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne generate noble-gas [options] -o OUT.xyz\n\n"
    "Samples decorrelated liquid frames by Langevin MD on Lennard-Jones +\n"
    "Axilrod-Teller-Muto (src/ref/noble_gas.c) after equilibration, and writes\n"
    "energy, forces, stress and exact per-atom energies ('energies') as extxyz.\n\n"
    "options (defaults in brackets):\n"
    "  --species S         Ar | Kr | Ar,Kr  [%s]\n"
    "  --fraction X        number fraction of the second species  [%g]\n"
    "  --atoms N           atoms per frame  [%d]\n"
    "  --temperature T     K  [%g]\n"
    "  --density RHO       atoms per cubic Angstrom  [%g]\n"
    "  --frames K          frames to write  [%d]\n"
    "  --equilibration N   MD steps before the first frame  [%d]\n"
    "  --interval N        MD steps between frames  [%d]\n"
    "  --timestep DT       fs  [%g]\n"
    "  --friction G        Langevin friction, 1/fs  [%g]\n"
    "  --seed S            random seed  [%llu]\n"
    "  -o, --output FILE   output extxyz (required)\n";

static void parse_species(const cli_args *a, const char *text, tn_noble_gas_sample *s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%s", text);
  char *comma = strchr(buf, ',');
  if (comma) *comma = '\0';
  s->species[0] = tn_element_number(buf);
  s->species[1] = comma ? tn_element_number(comma + 1) : 0;
  int ok =
      (s->species[0] == 18 || s->species[0] == 36) &&
      (!comma || ((s->species[1] == 18 || s->species[1] == 36) && s->species[1] != s->species[0]));
  if (!ok) cli_usage_error(a->command, "option --species: '%s' is not Ar, Kr or Ar,Kr", text);
}

static void species_name(const tn_noble_gas_sample *s, char *out, size_t len) {
  if (s->species[1])
    snprintf(out, len, "%s,%s", tn_element_symbol(s->species[0]), tn_element_symbol(s->species[1]));
  else
    snprintf(out, len, "%s", tn_element_symbol(s->species[0]));
}

int cmd_generate(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne generate", argc, argv);
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  const char *out = NULL, *arg, *kind = NULL;
  int fraction_given = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      char sp[16];
      species_name(&s, sp, sizeof sp);
      printf(help, sp, s.fraction, s.n_atoms, s.temperature, s.density, s.n_frames,
             s.equilibration_steps, s.steps_between, s.timestep, s.friction,
             (unsigned long long)s.seed);
      return 0;
    }
    if (cli_opt(&a, arg, "species"))
      parse_species(&a, a.value, &s);
    else if (cli_opt(&a, arg, "fraction")) {
      s.fraction = cli_double(&a, "fraction", a.value);
      fraction_given = 1;
    } else if (cli_opt(&a, arg, "atoms"))
      s.n_atoms = (int)cli_long(&a, "atoms", a.value, 2, 10000000);
    else if (cli_opt(&a, arg, "temperature"))
      s.temperature = cli_double(&a, "temperature", a.value);
    else if (cli_opt(&a, arg, "density"))
      s.density = cli_double(&a, "density", a.value);
    else if (cli_opt(&a, arg, "frames"))
      s.n_frames = (int)cli_long(&a, "frames", a.value, 1, 100000000);
    else if (cli_opt(&a, arg, "equilibration"))
      s.equilibration_steps = (int)cli_long(&a, "equilibration", a.value, 0, 1000000000);
    else if (cli_opt(&a, arg, "interval"))
      s.steps_between = (int)cli_long(&a, "interval", a.value, 1, 1000000000);
    else if (cli_opt(&a, arg, "timestep"))
      s.timestep = cli_double(&a, "timestep", a.value);
    else if (cli_opt(&a, arg, "friction"))
      s.friction = cli_double(&a, "friction", a.value);
    else if (cli_opt(&a, arg, "seed"))
      s.seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 0x7fffffffffffffffL);
    else if (cli_output_opt(&a, arg))
      out = a.value;
    else if (arg[0] != '-' && !kind)
      kind = arg;
    else
      cli_usage_error(a.command, "unknown argument '%s'", arg);
  }
  if (!kind || strcmp(kind, "noble-gas") != 0)
    cli_usage_error(a.command, "say what to generate: 'noble-gas'");
  if (!out) cli_usage_error(a.command, "no output file (-o OUT.xyz)");
  if (fraction_given && !s.species[1])
    cli_usage_error(a.command, "--fraction needs two species (--species Ar,Kr)");
  if (!(s.fraction >= 0 && s.fraction <= 1))
    cli_usage_error(a.command, "option --fraction: must lie in [0, 1]");
  if (!(s.temperature > 0) || !(s.density > 0) || !(s.timestep > 0) || !(s.friction >= 0))
    cli_usage_error(a.command, "temperature, density and timestep must be > 0, friction >= 0");

  tn_dataset *ds = tn_dataset_create();
  if (!ds) return 1;
  char sp[16];
  species_name(&s, sp, sizeof sp);
  fprintf(stderr, "generating %d frames of %d-atom liquid %s at %g K, %g atoms/A^3, seed %llu\n",
          s.n_frames, s.n_atoms, sp, s.temperature, s.density, (unsigned long long)s.seed);
  tn_status st = tn_noble_gas_generate(ds, &pot, &s, cli_progress, "frames");
  if (st == TN_STATUS_OK) st = tn_dataset_write_extxyz(ds, out);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "tanne generate: %s (%s)\n", tn_dataset_errmsg(ds), tn_status_str(st));
    tn_dataset_free(ds);
    return 1;
  }
  fprintf(stderr, "wrote %lld frames to %s\n", (long long)ds->n_frames, out);
  tn_dataset_free(ds);
  return 0;
}
