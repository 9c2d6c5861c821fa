/* tanne md MODEL START.xyz: molecular dynamics on a model (or the
 * reference potential), watched by the stability monitor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "md_run.h"

static const char help[] =
    "usage: tanne md [options] MODEL.tnm START.xyz\n"
    "       tanne md [options] --reference START.xyz\n\n"
    "Runs MD from one frame of START (any readable data file): velocity Verlet\n"
    "(NVE) or Langevin dynamics (NVT), periodic or open, with a Verlet list\n"
    "rebuilt when an atom has moved half the skin. --reference runs the\n"
    "built-in LJ + ATM potential for Ar and Kr instead of a model. A stability\n"
    "monitor stops the run at the step where atoms come too close, a bond of\n"
    "the start breaks, the temperature explodes, the NVE energy drifts or a\n"
    "number stops being finite; the exit status is then 3, and everything\n"
    "written so far is kept. Files in the output folder:\n"
    "  thermo.csv       step, time, T, E_pot, E_kin, E_tot, drift per atom,\n"
    "                   closest pair, broken bonds, mean squared displacement\n"
    "  trajectory.xyz   extxyz frames (positions never wrapped, velocities in\n"
    "                   Angstrom/fs, forces)\n"
    "  rdf.csv, rdf.svg g(r) (periodic frames only)\n"
    "  summary.md       settings, outcome, mean T, drift, diffusion coefficient\n\n"
    "options:\n"
    "  -o, --output DIR    output folder  [md]\n"
    "  --steps N           MD steps  [1000]\n"
    "  --frame K           the frame of START to begin from, 1-based  [1]\n"
    "  --thermo-every N    steps between thermo.csv rows  [10]\n"
    "  --traj-every N      steps between trajectory frames, 0 = none  [100]\n"
    "  --rdf-every N       steps between RDF samples  [10]\n"
    "  --rdf-start N       first step the RDF samples  [0]\n"
    "  --rdf-range A       RDF range in Angstrom  [half the cell's smallest\n"
    "                      height, at most 10]\n"
    "  --rdf-bins N        RDF bins, 0 = no RDF  [100]\n";

static int64_t step_now(const tn_md *md) {
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  return th.step;
}

/* What the run records at step s: thermo row and statistics, trajectory
 * frame, RDF sample; last: the rows even off their intervals. Files are
 * flushed, so a killed run keeps its lines. */
static int observe(md_run *r, const tn_md *md, int64_t s, int last) {
  if (s % r->thermo_every == 0 || last) {
    tn_md_thermo th;
    tn_md_get_thermo(md, &th);
    cli_md_thermo_row(r->thermo, md);
    fflush(r->thermo);
    r->n_samples++;
    r->t_sum += th.temperature;
    r->t_sq += th.temperature * th.temperature;
    r->max_drift = fmax(r->max_drift, fabs(th.drift));
    if (th.min_distance > 0.0) r->min_distance = fmin(r->min_distance, th.min_distance);
    r->msd_time[r->n_msd] = th.time;
    r->msd[r->n_msd++] = tn_md_msd(md);
  }
  if (r->traj && (s % r->traj_every == 0 || last)) {
    cli_md_write_frame(r->traj, md);
    fflush(r->traj);
  }
  if (r->rdf && s >= r->rdf_start && s % r->rdf_every == 0 && tn_md_failed(md) == TN_MD_RUNNING) {
    tn_frame f = tn_md_frame(md);
    if (tn_rdf_add(r->rdf, &f) != TN_STATUS_OK) {
      fprintf(stderr, "%s: %s\n", MD_CMD, tn_rdf_errmsg(r->rdf));
      return 0;
    }
  }
  return 1;
}

/* Steps to the next multiple of any sampling interval. */
static int64_t next_stop(const md_run *r, int64_t s) {
  int64_t next = r->steps;
  int64_t every[3] = {r->thermo_every, r->traj ? r->traj_every : 0, r->rdf ? r->rdf_every : 0};
  for (int k = 0; k < 3; k++)
    if (every[k] > 0) {
      int64_t t = (s / every[k] + 1) * every[k];
      if (t < next) next = t;
    }
  return next - s;
}

static void progress(const md_run *r, const tn_md *md, int tty) {
  if (!tty) return;
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  fprintf(stderr, "\r%s: step %lld/%lld  T %.1f K  drift %.2e eV/atom ", MD_CMD, (long long)th.step,
          (long long)r->steps, th.temperature, th.drift);
  fflush(stderr);
}

static void parse(md_run *r, int argc, char **argv, const char **model, tn_read_options *ropt) {
  cli_args a;
  cli_args_init(&a, MD_CMD, argc, argv);
  const char **paths = (const char **)argv, *arg;
  int n = 0, reference = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_md_option(&a, arg, &r->settings)) continue;
    if (cli_output_opt(&a, arg))
      r->dir = a.value;
    else if (cli_flag(arg, "reference"))
      reference = 1;
    else if (cli_opt(&a, arg, "steps"))
      r->steps = cli_long(&a, "steps", a.value, 0, 1L << 40);
    else if (cli_opt(&a, arg, "frame"))
      r->frame = cli_long(&a, "frame", a.value, 1, 1L << 40) - 1;
    else if (cli_opt(&a, arg, "thermo-every"))
      r->thermo_every = cli_long(&a, "thermo-every", a.value, 1, 1L << 40);
    else if (cli_opt(&a, arg, "traj-every"))
      r->traj_every = cli_long(&a, "traj-every", a.value, 0, 1L << 40);
    else if (cli_opt(&a, arg, "rdf-every"))
      r->rdf_every = cli_long(&a, "rdf-every", a.value, 1, 1L << 40);
    else if (cli_opt(&a, arg, "rdf-start"))
      r->rdf_start = cli_long(&a, "rdf-start", a.value, 0, 1L << 40);
    else if (cli_opt(&a, arg, "rdf-bins"))
      r->rdf_bins = (int)cli_long(&a, "rdf-bins", a.value, 0, 1L << 20);
    else if (cli_opt(&a, arg, "rdf-range")) {
      r->rdf_range = cli_double(&a, "rdf-range", a.value);
      if (!(r->rdf_range > 0.0)) cli_usage_error(MD_CMD, "option --rdf-range: need A > 0");
    } else if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s%s%s", help, cli_md_options_help, cli_read_options_help);
      exit(0);
    } else {
      cli_input_arg(&a, arg, help, ropt, paths, &n);
    }
  }
  if (n != 2 - reference)
    cli_usage_error(MD_CMD, reference ? "--reference takes one START file"
                                      : "need a model file and a START file");
  *model = reference ? NULL : paths[0];
  r->start_path = paths[n - 1];
  cli_md_settings_finish(&r->settings);
}

static int open_outputs(md_run *r, const tn_frame *f, cli_out *thermo_out, cli_out *traj_out) {
  if (!cli_make_dir(MD_CMD, r->dir)) return 0;
  if (!(r->thermo = cli_out_open(thermo_out, MD_CMD, r->dir, "thermo.csv"))) return 0;
  cli_md_thermo_header(r->thermo);
  if (r->traj_every > 0 && !(r->traj = cli_out_open(traj_out, MD_CMD, r->dir, "trajectory.xyz")))
    return 0;
  int periodic = f->pbc[0] && f->pbc[1] && f->pbc[2];
  if (periodic && r->rdf_bins > 0) {
    if (r->rdf_range == 0.0) r->rdf_range = fmin(10.0, md_half_min_height(f->cell));
    char err[256];
    if (tn_rdf_create(&r->rdf, r->rdf_range, r->rdf_bins, err, sizeof err) != TN_STATUS_OK) {
      fprintf(stderr, "%s: %s\n", MD_CMD, err);
      return 0;
    }
  }
  size_t samples = (size_t)(r->steps / r->thermo_every + 2);
  r->msd_time = malloc(samples * sizeof *r->msd_time);
  r->msd = malloc(samples * sizeof *r->msd);
  if (!r->msd_time || !r->msd) {
    fprintf(stderr, "%s: out of memory\n", MD_CMD);
    return 0;
  }
  return 1;
}

int cmd_md(int argc, char **argv) {
  md_run r;
  memset(&r, 0, sizeof r);
  cli_md_settings_init(&r.settings);
  r.dir = "md";
  r.steps = 1000;
  r.thermo_every = 10;
  r.traj_every = 100;
  r.rdf_every = 10;
  r.rdf_bins = 100;
  r.min_distance = INFINITY;
  const char *model_path;
  tn_read_options ropt = tn_read_options_default();
  parse(&r, argc, argv, &model_path, &ropt);

  int status = 1;
  cli_md_potential pot;
  cli_out thermo_out, traj_out;
  tn_md *md = NULL;
  tn_dataset *ds = tn_dataset_create();
  if (!ds) goto done;
  if (!cli_md_potential_load(&pot, MD_CMD, model_path)) goto done_ds;
  r.potential_name = cli_md_potential_name(&pot);
  if (!cli_read_all(ds, &r.start_path, 1, &ropt)) goto done_pot;
  if (r.frame >= ds->n_frames) {
    fprintf(stderr, "%s: %s: option --frame: %ld, but the file has %lld frames\n", MD_CMD,
            r.start_path, r.frame + 1, (long long)ds->n_frames);
    goto done_pot;
  }
  tn_frame start;
  tn_dataset_frame(ds, r.frame, &start);
  r.n_atoms = start.n_atoms;
  char err[512];
  tn_status st = cli_md_create(&md, &pot, &start, &r.settings.opt, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s, frame %ld: %s\n", MD_CMD, r.start_path, r.frame + 1, err);
    goto done_pot;
  }
  if (!open_outputs(&r, &start, &thermo_out, &traj_out)) goto done_files;

  int tty = isatty(fileno(stderr)), ok = observe(&r, md, 0, 0);
  st = tn_md_failed(md) != TN_MD_RUNNING ? TN_STATUS_UNSTABLE : TN_STATUS_OK;
  while (ok && st == TN_STATUS_OK && step_now(md) < r.steps) {
    st = tn_md_run(md, next_stop(&r, step_now(md)));
    int64_t s = step_now(md);
    if (st == TN_STATUS_OK) ok = observe(&r, md, s, s == r.steps);
    progress(&r, md, tty);
  }
  if (tty) fputc('\n', stderr);
  char outcome[640];
  if (st == TN_STATUS_UNSTABLE) {
    if (step_now(md) > 0) observe(&r, md, step_now(md), 1); /* the failing step, for the record */
    snprintf(outcome, sizeof outcome, "unstable (%s): %s", tn_md_failure_name(tn_md_failed(md)),
             tn_md_errmsg(md));
    fprintf(stderr, "%s: %s\n", MD_CMD, outcome);
  } else if (st != TN_STATUS_OK) {
    snprintf(outcome, sizeof outcome, "error: %s", tn_md_errmsg(md));
    fprintf(stderr, "%s: %s (%s)\n", MD_CMD, tn_md_errmsg(md), tn_status_str(st));
    ok = 0;
  } else {
    snprintf(outcome, sizeof outcome, "stable");
  }
  /* Whatever happened, what was written is kept (ok = 1 commits). */
  ok &= cli_out_close(&thermo_out, r.thermo, !ferror(r.thermo));
  r.thermo = NULL;
  if (r.traj) ok &= cli_out_close(&traj_out, r.traj, !ferror(r.traj));
  r.traj = NULL;
  if (r.rdf && tn_rdf_result(r.rdf, NULL, NULL) > 0) ok &= md_write_rdf(&r);
  ok &= md_write_summary(&r, md, outcome);
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  printf("%s: %lld steps (%.6g ps), %s; T %.2f K mean, drift %.3e eV/atom (largest %.3e)\n",
         r.potential_name, (long long)th.step, th.time / 1000.0,
         st == TN_STATUS_UNSTABLE ? "UNSTABLE" : "stable",
         r.t_sum / (r.n_samples ? r.n_samples : 1), th.drift, r.max_drift);
  double d = md_diffusion(r.msd_time, r.msd, r.n_msd);
  if (r.rdf && isfinite(d)) printf("diffusion coefficient %.4g x 1e-5 cm^2/s\n", d * 1e4);
  status = !ok ? 1 : st == TN_STATUS_UNSTABLE ? 3 : 0;
done_files:
  if (r.thermo) cli_out_close(&thermo_out, r.thermo, 0);
  if (r.traj) cli_out_close(&traj_out, r.traj, 0);
  tn_rdf_free(r.rdf);
  free(r.msd_time);
  free(r.msd);
  tn_md_free(md);
done_pot:
  cli_md_potential_free(&pot);
done_ds:
  tn_dataset_free(ds);
done:
  if (!ds) fprintf(stderr, "%s: out of memory\n", MD_CMD);
  return status;
}
