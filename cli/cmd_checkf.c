/* tanne checkf MODEL DATA...: analytic forces against finite differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* float32 energies carry ~1e-7 relative round-off, which finite differences
 * divide by the step: larger steps there, smaller in a float64 build. */
#define DEFAULT_STEP (tn_real_size() == 8 ? 1e-4 : 1e-2)

/* Scales below which errors are judged absolutely: round-off in the energy
 * does not shrink with the forces. eV/Å and eV/Å³. */
#define FORCE_FLOOR  0.1
#define STRESS_FLOOR 1e-4

static const char help[] =
    "usage: tanne checkf [options] MODEL.tnm DATA...\n\n"
    "Compares the model's analytic forces with finite differences of its own\n"
    "energy (fourth-order central differences), atom by atom, and for periodic\n"
    "frames its stress with strain derivatives. Any architecture, trained or\n"
    "imported. A frame passes when its largest force error is at most TOL times\n"
    "its RMS force (at least 0.1 eV/Angstrom, so that near-zero forces are not\n"
    "judged on round-off), and its largest stress error at most TOL times its\n"
    "largest stress component (at least 1e-4 eV/Angstrom^3). The exit status is\n"
    "1 if any frame fails.\n\n"
    "options:\n"
    "  --frames N          check the first N frames (default 3; 0 = all)\n"
    "  --atoms K           check K atoms per frame, drawn with --seed (default all)\n"
    "  --seed S            seed for the atoms drawn (default 1)\n"
    "  --step H            displacement in Angstrom (and strain) (default 1e-2,\n"
    "                      1e-4 in a DOUBLE=1 build)\n"
    "  --tol T             relative tolerance (default 1e-3; 1e-6 in a DOUBLE=1 build)\n";

/* Atoms to check in a frame of n: all, or k drawn without replacement. */
static int pick_atoms(int32_t *atoms, int n, int k, tn_rng *rng) {
  for (int a = 0; a < n; a++) atoms[a] = a;
  if (k <= 0 || k >= n) return n;
  for (int q = 0; q < k; q++) { /* partial Fisher–Yates */
    int r = q + (int)(tn_rng_uniform(rng) * (n - q));
    int32_t t = atoms[q];
    atoms[q] = atoms[r];
    atoms[r] = t;
  }
  return k;
}

int cmd_checkf(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne checkf", argc, argv);
  tn_read_options opt = tn_read_options_default();
  const char **paths = (const char **)argv, *arg;
  int n = 0;
  long max_frames = 3, max_atoms = 0;
  uint64_t seed = 1;
  double step = DEFAULT_STEP, tol = tn_real_size() == 8 ? 1e-6 : 1e-3;
  while (cli_args_next(&a, &arg)) {
    if (cli_opt(&a, arg, "frames"))
      max_frames = cli_long(&a, "frames", a.value, 0, 1L << 30);
    else if (cli_opt(&a, arg, "atoms"))
      max_atoms = cli_long(&a, "atoms", a.value, 1, 1L << 30);
    else if (cli_opt(&a, arg, "seed"))
      seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 1L << 62);
    else if (cli_opt(&a, arg, "step")) {
      step = cli_double(&a, "step", a.value);
      if (!(step > 0.0 && step <= 0.1))
        cli_usage_error(a.command, "option --step: need 0 < H <= 0.1");
    } else if (cli_opt(&a, arg, "tol")) {
      tol = cli_double(&a, "tol", a.value);
      if (!(tol >= 0.0)) cli_usage_error(a.command, "option --tol: need T >= 0");
    } else {
      cli_input_arg(&a, arg, help, &opt, paths, &n);
    }
  }
  if (n < 2) cli_usage_error(a.command, "need a model file and at least one data file");
  const char *model_path = paths[0];
  const char *const *files = paths + 1;
  int n_files = n - 1;

  int status = 1, failed = 0;
  tn_model *m = NULL;
  tn_dataset *ds = tn_dataset_create();
  int64_t *start = malloc((size_t)(n_files + 1) * sizeof *start);
  int32_t *atoms = NULL;
  if (!ds || !start) {
    fprintf(stderr, "tanne checkf: out of memory\n");
    goto done;
  }
  if (!report_load(&m, ds, start, model_path, files, n_files, &opt, a.command)) goto done;
  int64_t n_frames = max_frames > 0 && max_frames < ds->n_frames ? max_frames : ds->n_frames;
  int64_t most = 1;
  for (int64_t f = 0; f < n_frames; f++)
    if (ds->atom_start[f + 1] - ds->atom_start[f] > most)
      most = ds->atom_start[f + 1] - ds->atom_start[f];
  atoms = malloc((size_t)most * sizeof *atoms);
  if (!atoms) {
    fprintf(stderr, "tanne checkf: out of memory for %lld atoms\n", (long long)most);
    goto done;
  }
  printf("%s: step %g Å, tolerance %g (relative)\n", model_path, step, tol);
  printf("  %-36s %6s %11s %11s %11s %9s  %s\n", "frame", "comps", "RMS |F|", "max err", "RMS err",
         "max/RMS", "worst component (analytic, numeric)");
  /* Frames are named by file name and number; the folders were given. */
  const char **names = (const char **)files; /* reused in place: argv outlives this */
  for (int k = 0; k < n_files; k++) {
    const char *slash = strrchr(files[k], '/');
    if (slash && slash[1]) names[k] = slash + 1;
  }
  report_sources src = {n_files, names, start};
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  char where[TN_PATH_MAX + 64], why[512];
  for (int64_t f = 0; f < n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    report_frame_name(where, sizeof where, &src, f);
    if (!report_check_elements(m, &fr, why, sizeof why)) {
      fprintf(stderr, "tanne checkf: %s: %s\n", where, why);
      goto done;
    }
    int k = pick_atoms(atoms, fr.n_atoms, (int)max_atoms, &rng);
    tn_force_check c;
    tn_status st = tn_model_check_forces(m, &fr, step, atoms, k, &c);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "tanne checkf: %s: %s (%s)\n", where, tn_model_errmsg(m), tn_status_str(st));
      goto done;
    }
    double rel = c.max_err / fmax(c.rms_force, FORCE_FLOOR);
    int bad = !(rel <= tol);
    char worst[128] = "-";
    if (c.worst_atom >= 0)
      snprintf(worst, sizeof worst, "atom %d (%s) %c: %.6g, %.6g", c.worst_atom + 1,
               tn_element_symbol(fr.species[c.worst_atom]), "xyz"[c.worst_axis], c.worst_analytic,
               c.worst_numeric);
    printf("  %-36.36s %6d %11.4g %11.4g %11.4g %9.2g  %s%s\n", where, c.n_components, c.rms_force,
           c.max_err, c.rms_err, rel, worst, bad ? "  FAIL" : "");
    if (!isnan(c.stress_max_err)) {
      double srel = c.stress_max_err / fmax(c.stress_max, STRESS_FLOOR);
      int sbad = !(srel <= tol);
      printf("  %-36s %6d %11.4g %11.4g %11s %9.2g  (stress, eV/Å³)%s\n", "", 9, c.stress_max,
             c.stress_max_err, "", srel, sbad ? "  FAIL" : "");
      bad |= sbad;
    }
    failed += bad;
  }
  printf("%lld frames checked, %d failed\n", (long long)n_frames, failed);
  status = failed ? 1 : 0;
done:
  free(atoms);
  tn_model_free(m);
  tn_dataset_free(ds);
  free(start);
  return status;
}
