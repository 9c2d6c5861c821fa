/* The potential and options of an MD run from the command line, and the
 * trajectory and thermo lines it writes. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "md.h"

int cli_md_potential_load(cli_md_potential *p, const char *command, const char *path) {
  memset(p, 0, sizeof *p);
  p->path = path;
  p->ref = tn_noble_gas_default();
  if (!path) return 1;
  char err[512];
  if (tn_model_load(&p->model, path, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", command, err);
    return 0;
  }
  return 1;
}

void cli_md_potential_free(cli_md_potential *p) {
  tn_model_free(p->model);
  p->model = NULL;
}

const char *cli_md_potential_name(const cli_md_potential *p) {
  return p->path ? p->path : "reference";
}

tn_status cli_md_create(tn_md **md, cli_md_potential *p, const tn_frame *start,
                        const tn_md_options *o, char *err, size_t err_len) {
  if (p->model) return tn_md_create_model(md, p->model, start, o, err, err_len);
  return tn_md_create_noble_gas(md, &p->ref, start, o, err, err_len);
}

const char cli_md_options_help[] =
    "MD options:\n"
    "  --ensemble E        nve (velocity Verlet) | langevin (NVT, BAOAB)  [nve]\n"
    "  --dt FS             timestep in fs  [0.5]\n"
    "  --temperature K     Langevin target and start temperature  [300]\n"
    "  --init-temperature K  Maxwell-Boltzmann start temperature, 0 = at rest\n"
    "                      [--temperature]\n"
    "  --friction G        Langevin friction in 1/fs  [0.01]\n"
    "  --seed S            seed of the start velocities and the noise  [1]\n"
    "  --skin A            Verlet-list skin in Angstrom  [1.0]\n"
    "  --threads N         OpenMP threads of the model  [OpenMP's default]\n"
    "stability monitor (a run stops at the step one trips; 0 turns one off):\n"
    "  --min-distance A    two atoms closer than this  [0.5]\n"
    "  --max-temperature K hotter than this  [max(3 T, T + 500 K)]\n"
    "  --max-drift E       |E_tot - E_tot(0)| per atom above E eV (NVE)  [0.01]\n"
    "  --bonds B           auto | on | off: watch the bonds of the start, pairs\n"
    "                      closer than 1.2 x their covalent radii, and stop when\n"
    "                      one stretches past 1.5 x; auto: on without periodic\n"
    "                      axes (molecules), off with them  [auto]\n"
    "  --check-every N     steps between the distance and bond checks  [10]\n";

void cli_md_settings_init(cli_md_settings *s) {
  memset(s, 0, sizeof *s);
  s->opt = tn_md_options_default();
}

static double non_negative(const cli_args *a, const char *name) {
  double v = cli_double(a, name, a->value);
  if (!(v >= 0.0)) cli_usage_error(a->command, "option --%s: need a value >= 0", name);
  return v;
}

static double positive(const cli_args *a, const char *name) {
  double v = cli_double(a, name, a->value);
  if (!(v > 0.0)) cli_usage_error(a->command, "option --%s: need a value > 0", name);
  return v;
}

/* A monitor limit: 0 turns the check off, which the library spells as a
 * negative value where 0 means "automatic". */
static double limit(const cli_args *a, const char *name) {
  double v = non_negative(a, name);
  return v == 0.0 ? -1.0 : v;
}

int cli_md_option(cli_args *a, const char *arg, cli_md_settings *s) {
  tn_md_options *o = &s->opt;
  if (cli_opt(a, arg, "ensemble")) {
    if (strcmp(a->value, "nve") == 0)
      o->ensemble = TN_MD_NVE;
    else if (strcmp(a->value, "langevin") == 0 || strcmp(a->value, "nvt") == 0)
      o->ensemble = TN_MD_LANGEVIN;
    else
      cli_usage_error(a->command, "option --ensemble: '%s' is not nve or langevin", a->value);
  } else if (cli_opt(a, arg, "dt")) {
    o->timestep = positive(a, "dt");
  } else if (cli_opt(a, arg, "temperature")) {
    o->temperature = non_negative(a, "temperature");
  } else if (cli_opt(a, arg, "init-temperature")) {
    o->init_temperature = non_negative(a, "init-temperature");
    s->init_given = 1;
  } else if (cli_opt(a, arg, "friction")) {
    o->friction = non_negative(a, "friction");
  } else if (cli_opt(a, arg, "seed")) {
    o->seed = (uint64_t)cli_long(a, "seed", a->value, 0, 1L << 62);
  } else if (cli_opt(a, arg, "skin")) {
    o->skin = positive(a, "skin");
  } else if (cli_opt(a, arg, "threads")) {
    s->threads = (int)cli_long(a, "threads", a->value, 1, 4096);
  } else if (cli_opt(a, arg, "min-distance")) {
    o->min_distance = non_negative(a, "min-distance");
  } else if (cli_opt(a, arg, "max-temperature")) {
    o->max_temperature = limit(a, "max-temperature");
  } else if (cli_opt(a, arg, "max-drift")) {
    o->max_drift = non_negative(a, "max-drift");
  } else if (cli_opt(a, arg, "bonds")) {
    if (strcmp(a->value, "auto") == 0)
      o->bonds = -1;
    else if (strcmp(a->value, "on") == 0)
      o->bonds = 1;
    else if (strcmp(a->value, "off") == 0)
      o->bonds = 0;
    else
      cli_usage_error(a->command, "option --bonds: '%s' is not auto, on or off", a->value);
  } else if (cli_opt(a, arg, "check-every")) {
    o->check_every = (int)cli_long(a, "check-every", a->value, 1, 1L << 30);
  } else {
    return 0;
  }
  return 1;
}

void cli_md_settings_finish(cli_md_settings *s) {
  if (!s->init_given) s->opt.init_temperature = s->opt.temperature;
  if (s->threads > 0) omp_set_num_threads(s->threads);
}

void cli_md_write_frame(FILE *f, const tn_md *md) {
  tn_frame fr = tn_md_frame(md);
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  const double(*vel)[3] = tn_md_velocities(md);
  const double(*force)[3] = tn_md_forces(md);
  fprintf(f, "%d\n", fr.n_atoms);
  if (fr.pbc[0] || fr.pbc[1] || fr.pbc[2]) {
    fputs("Lattice=\"", f);
    for (int k = 0; k < 9; k++) fprintf(f, "%s%.10g", k ? " " : "", fr.cell[k / 3][k % 3]);
    fputs("\" ", f);
  }
  fprintf(f,
          "Properties=species:S:1:pos:R:3:velocities:R:3:forces:R:3 energy=%.10g step=%lld "
          "time=%.10g temperature=%.6g pbc=\"%c %c %c\"\n",
          th.e_pot, (long long)th.step, th.time, th.temperature, fr.pbc[0] ? 'T' : 'F',
          fr.pbc[1] ? 'T' : 'F', fr.pbc[2] ? 'T' : 'F');
  for (int i = 0; i < fr.n_atoms; i++) {
    fputs(tn_element_symbol(fr.species[i]), f);
    for (int k = 0; k < 3; k++) fprintf(f, " %.10g", fr.pos[i][k]);
    for (int k = 0; k < 3; k++) fprintf(f, " %.10g", vel[i][k]);
    for (int k = 0; k < 3; k++) fprintf(f, " %.10g", force[i][k]);
    putc('\n', f);
  }
}

void cli_md_thermo_header(FILE *f) {
  fputs("step,time_fs,temperature_K,e_pot_eV,e_kin_eV,e_tot_eV,drift_eV_per_atom,"
        "min_distance_A,bonds_broken,msd_A2\n",
        f);
}

void cli_md_thermo_row(FILE *f, const tn_md *md) {
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  fprintf(f, "%lld,%.10g,%.8g,%.12g,%.12g,%.12g,%.6e,%.6g,%d,%.8g\n", (long long)th.step, th.time,
          th.temperature, th.e_pot, th.e_kin, th.e_tot, th.drift, th.min_distance, th.bonds_broken,
          tn_md_msd(md));
}
