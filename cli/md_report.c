/* What a tanne md run reports at its end: the RDF as CSV and SVG, the
 * diffusion coefficient from the MSD, and summary.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "md_run.h"

double md_diffusion(const double *time, const double *msd, int n) {
  /* Einstein: MSD = 6 D t at long times. The fit skips the first half,
   * where the motion is still ballistic or caged. */
  int from = n / 2;
  if (n - from < 4) return NAN;
  double st = 0, sm = 0, stt = 0, stm = 0;
  int k = n - from;
  for (int i = from; i < n; i++) {
    st += time[i];
    sm += msd[i];
    stt += time[i] * time[i];
    stm += time[i] * msd[i];
  }
  double den = k * stt - st * st;
  return den > 0.0 ? (k * stm - st * sm) / den / 6.0 : NAN;
}

/* The perpendicular height of the cell along each axis, V / |a_j × a_k|:
 * a sphere of radius min/2 fits in the cell. */
double md_half_min_height(const double cell[3][3]) {
  double v = fabs(tn_cell_volume(cell)), best = INFINITY;
  for (int k = 0; k < 3; k++) {
    const double *a = cell[(k + 1) % 3], *b = cell[(k + 2) % 3];
    double c[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    double area = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    if (area > 0.0) best = fmin(best, v / area);
  }
  return 0.5 * best;
}

int md_write_rdf(const md_run *r) {
  int bins = r->rdf_bins, ok = 1;
  double *x = malloc((size_t)bins * sizeof *x), *g = malloc((size_t)bins * sizeof *g);
  if (!x || !g) {
    fprintf(stderr, "%s: out of memory\n", MD_CMD);
    free(x);
    free(g);
    return 0;
  }
  int64_t frames = tn_rdf_result(r->rdf, x, g);
  cli_out o;
  FILE *f = cli_out_open(&o, MD_CMD, r->dir, "rdf.csv");
  if (f) {
    fprintf(f, "# g(r) over %lld frames\nr_A,g\n", (long long)frames);
    for (int k = 0; k < bins; k++) fprintf(f, "%.6g,%.8g\n", x[k], g[k]);
    ok = cli_out_close(&o, f, !ferror(f));
  } else {
    ok = 0;
  }
  tn_plot_series s = {.label = "g(r)", .x = x, .y = g, .n = bins, .style = TN_PLOT_LINE};
  tn_plot plot = {.title = "Radial distribution function",
                  .x_label = "r (Å)",
                  .y_label = "g(r)",
                  .n_series = 1,
                  .series = &s};
  if (ok) ok = cli_out_plot(MD_CMD, r->dir, "rdf.svg", &plot);
  free(x);
  free(g);
  return ok;
}

int md_write_summary(const md_run *r, const tn_md *md, const char *outcome) {
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  cli_out o;
  FILE *f = cli_out_open(&o, MD_CMD, r->dir, "summary.md");
  if (!f) return 0;
  const tn_md_options *opt = &r->settings.opt;
  double n = r->n_samples > 0 ? r->n_samples : 1;
  double t_mean = r->t_sum / n, t_sd = sqrt(fmax(r->t_sq / n - t_mean * t_mean, 0.0));
  fprintf(f, "# tanne md\n\n`%s`\n\n", cli_command_line());
  fprintf(f, "| | |\n|---|---|\n");
  fprintf(f, "| potential | %s |\n| start | %s, frame %ld, %d atoms |\n", r->potential_name,
          r->start_path, r->frame + 1, r->n_atoms);
  fprintf(f, "| ensemble | %s, dt %g fs", opt->ensemble == TN_MD_NVE ? "NVE" : "Langevin",
          opt->timestep);
  if (opt->ensemble == TN_MD_LANGEVIN)
    fprintf(f, ", %g K, friction %g/fs", opt->temperature, opt->friction);
  fprintf(f, " |\n| start velocities | %g K, seed %llu |\n", opt->init_temperature,
          (unsigned long long)opt->seed);
  fprintf(f, "| steps | %lld of %lld (%.6g ps) |\n", (long long)th.step, (long long)r->steps,
          th.time / 1000.0);
  fprintf(f, "| outcome | %s |\n", outcome);
  fprintf(f, "| temperature | %.2f ± %.2f K (mean ± sd over %d samples) |\n", t_mean, t_sd,
          r->n_samples);
  fprintf(f, "| energy drift | final %.3e eV/atom, largest %.3e eV/atom%s |\n", th.drift,
          r->max_drift, opt->ensemble == TN_MD_LANGEVIN ? " (thermostat heat removed)" : "");
  fprintf(f, "| closest pair | %.3f Å |\n| start bonds | %d (%d broken at the end) |\n",
          r->min_distance, th.bonds, th.bonds_broken);
  fprintf(f, "| neighbor-list builds | %lld |\n", (long long)th.rebuilds);
  double d = md_diffusion(r->msd_time, r->msd, r->n_msd);
  if (r->rdf && isfinite(d))
    fprintf(f, "| diffusion (MSD = 6 D t, second half) | %.4g Å²/ps = %.4g × 10⁻⁵ cm²/s |\n",
            d * 1e3, d * 1e4);
  fprintf(f, "\nFiles: thermo.csv%s%s.\n", r->traj_every > 0 ? ", trajectory.xyz" : "",
          r->rdf ? ", rdf.csv, rdf.svg" : "");
  return cli_out_close(&o, f, !ferror(f));
}
