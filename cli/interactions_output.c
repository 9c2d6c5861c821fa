/* The output folder of `tanne interactions`: sensitivity.csv, decay.csv,
 * mbe_pairs.csv, mbe_triples.csv, the three plots and interactions.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interactions.h"

static const char *pair_name(char *buf, size_t len, const sens_pair *p) {
  snprintf(buf, len, "%s-%s", tn_element_symbol(p->z[0]), tn_element_symbol(p->z[1]));
  return buf;
}

static int write_sensitivity_csv(const ia_args *a, const ia_run *r) {
  cli_out o;
  FILE *f = cli_out_open(&o, IA_CMD, a->out, "sensitivity.csv");
  if (!f) return 0;
  const sens_result *s = r->sens;
  fprintf(f, "pair,r_lo_A,r_hi_A,count,mean_eV_per_A,max_eV_per_A,e2_count,e2_mean_abs_eV\n");
  char name[16];
  for (int k = 0; k < s->n_pairs; k++)
    for (int b = 0; b < s->n_bins; b++) {
      const sens_stat *st = &s->pairs[k].bins[b], *e2 = &r->e2_bins[(size_t)k * s->n_bins + b];
      if (!st->count && !e2->count) continue;
      fprintf(f, "%s,%.4f,%.4f,%lld,%.6g,%.6g,%lld,%.6g\n",
              pair_name(name, sizeof name, &s->pairs[k]), b * s->opt.bin_width,
              (b + 1) * s->opt.bin_width, (long long)st->count, st->mean, st->max,
              (long long)e2->count, e2->mean);
    }
  return cli_out_close(&o, f, !ferror(f));
}

static void fit_row(FILE *f, const char *quantity, const char *pair, const ia_fit *x) {
  fprintf(f, "%s,%s,exponential,%.4f,%.6g,%.6g,%.6g,%.6g,%lld\n", quantity, pair, x->r_from,
          x->exp.amplitude, x->exp.rate, x->exp.r2_log, x->exp.rms_log, (long long)x->exp.n_used);
  fprintf(f, "%s,%s,power,%.4f,%.6g,%.6g,%.6g,%.6g,%lld\n", quantity, pair, x->r_from,
          x->power.amplitude, x->power.rate, x->power.r2_log, x->power.rms_log,
          (long long)x->power.n_used);
}

static int write_decay_csv(const ia_args *a, const ia_run *r) {
  cli_out o;
  FILE *f = cli_out_open(&o, IA_CMD, a->out, "decay.csv");
  if (!f) return 0;
  /* exponential: y = A exp(-rate r), rate in 1/Å; power: y = A r^-rate */
  fprintf(f, "quantity,pair,model,from_A,amplitude,rate,r2_log,rms_log,points\n");
  char name[16];
  for (int k = 0; k < r->sens->n_pairs; k++) {
    pair_name(name, sizeof name, &r->sens->pairs[k]);
    fit_row(f, "sensitivity_eV_per_A", name, &r->sens_fits[k]);
    fit_row(f, "abs_e2_eV", name, &r->e2_fits[k]);
  }
  return cli_out_close(&o, f, !ferror(f));
}

static int write_mbe_csvs(const ia_args *a, const ia_run *r) {
  cli_out o;
  FILE *f = cli_out_open(&o, IA_CMD, a->out, "mbe_pairs.csv");
  if (!f) return 0;
  fprintf(f, "z_i,z_j,r_A,e2_eV\n");
  for (int64_t k = 0; k < r->mbe.n_pairs; k++) {
    const ia_pair *p = &r->mbe.pairs[k];
    fprintf(f, "%s,%s,%.6f,%.9g\n", tn_element_symbol(p->z[0]), tn_element_symbol(p->z[1]), p->r,
            p->e2);
  }
  if (!cli_out_close(&o, f, !ferror(f))) return 0;
  f = cli_out_open(&o, IA_CMD, a->out, "mbe_triples.csv");
  if (!f) return 0;
  fprintf(f, "perimeter_A,e3_eV\n");
  for (int64_t k = 0; k < r->mbe.n_triples; k++)
    fprintf(f, "%.6f,%.9g\n", r->mbe.triples[k].perimeter, r->mbe.triples[k].e3);
  return cli_out_close(&o, f, !ferror(f));
}

/* sensitivity.svg: bin means per pair (log y); mbe_pairs.svg: |E2| of
 * every pair against r (log y), a series per species pair; mbe_triples.svg:
 * |E3| against the perimeter. */
static int write_plots(const ia_args *a, const ia_run *r) {
  const sens_result *s = r->sens;
  int np = s->n_pairs, ok = 0;
  size_t nb = (size_t)s->n_bins;
  double *x = malloc(nb * sizeof *x), *y = malloc((size_t)np * nb * sizeof *y);
  double *pr = malloc((size_t)(r->mbe.n_pairs + 1) * 2 * sizeof *pr);
  double *tr = malloc((size_t)(r->mbe.n_triples + 1) * 2 * sizeof *tr);
  tn_plot_series *series = calloc((size_t)np, sizeof *series);
  char(*label)[16] = calloc((size_t)np, sizeof *label);
  if (!x || !y || !pr || !tr || !series || !label) {
    fprintf(stderr, IA_CMD ": out of memory\n");
    goto done;
  }
  for (size_t b = 0; b < nb; b++) x[b] = (b + 0.5) * s->opt.bin_width;
  for (int k = 0; k < np; k++) {
    pair_name(label[k], sizeof label[k], &s->pairs[k]);
    for (size_t b = 0; b < nb; b++)
      y[k * nb + b] = s->pairs[k].bins[b].count ? s->pairs[k].bins[b].mean : NAN;
    series[k] =
        (tn_plot_series){label[k], x, y + k * nb, NULL, (int64_t)nb, TN_PLOT_POINTS | TN_PLOT_LINE};
  }
  tn_plot plot = {.title = "Sensitivity of atomic energies to other atoms",
                  .x_label = "r_ij (Å)",
                  .y_label = "mean |∂E_i/∂R_j| (eV/Å)",
                  .log_y = 1,
                  .n_series = np,
                  .series = series};
  if (!cli_out_plot(IA_CMD, a->out, "sensitivity.svg", &plot)) goto done;
  /* |E2| per species pair: the pairs of each series are gathered in turn */
  int64_t at = 0;
  int n_series = 0;
  for (int k = 0; k < np; k++) {
    int64_t first = at;
    for (int64_t q = 0; q < r->mbe.n_pairs; q++) {
      const ia_pair *p = &r->mbe.pairs[q];
      if (sens_pair_find(s, p->z[0], p->z[1]) != &s->pairs[k]) continue;
      pr[at] = p->r;
      pr[r->mbe.n_pairs + 1 + at] = fabs(p->e2);
      at++;
    }
    if (at > first)
      series[n_series++] = (tn_plot_series){label[k], pr + first, pr + r->mbe.n_pairs + 1 + first,
                                            NULL,     at - first, TN_PLOT_POINTS};
  }
  if (n_series) {
    tn_plot p2 = {.title = "2-body energies of the model's many-body expansion",
                  .x_label = "r (Å)",
                  .y_label = "|E2| (eV)",
                  .log_y = 1,
                  .n_series = n_series,
                  .series = series};
    if (!cli_out_plot(IA_CMD, a->out, "mbe_pairs.svg", &p2)) goto done;
  }
  if (r->mbe.n_triples) {
    for (int64_t q = 0; q < r->mbe.n_triples; q++) {
      tr[q] = r->mbe.triples[q].perimeter;
      tr[r->mbe.n_triples + 1 + q] = fabs(r->mbe.triples[q].e3);
    }
    tn_plot_series t = {"triples",     tr, tr + r->mbe.n_triples + 1, NULL, r->mbe.n_triples,
                        TN_PLOT_POINTS};
    tn_plot p3 = {.title = "3-body energies of the model's many-body expansion",
                  .x_label = "perimeter (Å)",
                  .y_label = "|E3| (eV)",
                  .log_y = 1,
                  .n_series = 1,
                  .series = &t};
    if (!cli_out_plot(IA_CMD, a->out, "mbe_triples.svg", &p3)) goto done;
  }
  ok = 1;
done:
  free(x);
  free(y);
  free(pr);
  free(tr);
  free(series);
  free(label);
  return ok;
}

static void md_fit(FILE *f, const decay_fit *d, int ok, const char *unit) {
  if (ok)
    fprintf(f, " %.3g%s (R² %.3f) |", d->rate, unit, d->r2_log);
  else
    fprintf(f, " - |");
}

static void write_report(FILE *f, const ia_args *a, const ia_run *r) {
  const sens_result *s = r->sens;
  const ia_mbe *e = &r->mbe;
  tn_model_options o = tn_model_get_options(r->m);
  fprintf(f, "# Interactions learned by %s\n\n", a->model);
  fprintf(f,
          "- Model: %s, %d features, %d interactions, cutoff %g Å: nominal range %.2f Å "
          "(cutoff × interactions).\n",
          o.type, o.features, o.interactions, o.cutoff, r->nominal_range);
  fprintf(f, "- Sensitivities from %lld frames; many-body expansion of %lld frames.\n\n",
          (long long)s->n_frames, (long long)e->n_frames);
  fprintf(f,
          "## Sensitivities and their range\n\nmean |∂E_i/∂R_j| per species pair, binned by "
          "r_ij (%g Å bins up to %g Å). The effective range is where every farther bin "
          "stays below %g of the pair's peak. Decay fits from the peak on, in log space: "
          "exponential rate (1/Å) and power-law exponent.\n\n",
          s->opt.bin_width, s->opt.r_max, s->opt.threshold);
  fprintf(f, "| pair | samples | peak (eV/Å) at | effective range (Å) | beyond r_max | "
             "exponential | power law |\n|---|---:|---:|---:|---:|---:|---:|\n");
  char name[16];
  for (int k = 0; k < s->n_pairs; k++) {
    const sens_pair *p = &s->pairs[k];
    int64_t n = p->beyond.count;
    for (int b = 0; b < s->n_bins; b++) n += p->bins[b].count;
    if (!n) continue;
    fprintf(f, "| %s | %lld | %.3g at %.2f | %.2f | %lld |", pair_name(name, sizeof name, p),
            (long long)n, p->peak_mean, r->sens_fits[k].r_from + 0.5 * s->opt.bin_width,
            p->effective_range, (long long)p->beyond.count);
    md_fit(f, &r->sens_fits[k].exp, r->sens_fits[k].ok_exp, " /Å");
    md_fit(f, &r->sens_fits[k].power, r->sens_fits[k].ok_power, "");
    fprintf(f, "\n");
  }
  fprintf(f, "\nSelf terms |∂E_i/∂R_i| (eV/Å), mean per element:");
  for (int k = 0; k < s->n_elements; k++)
    if (s->self[k].count)
      fprintf(f, " %s %.3g", tn_element_symbol(s->elements[k]), s->self[k].mean);
  fprintf(f, ".\n\n## Many-body expansion\n\n");
  if (!e->n_frames) {
    fprintf(f, "Not run (--mbe-frames 0).\n");
  } else {
    double E = e->sum_energy, I = E - e->sum1; /* I: the interaction energy */
    fprintf(f,
            "The model evaluated on single atoms, on pairs within %g Å and on triples with "
            "every side within %g Å (%lld evaluations). Sums over %lld frames (eV), as shares "
            "of the total and of the interaction energy E − ΣE1:\n\n| order | energy (eV) | "
            "share of E | share of E − ΣE1 |\n|---|---:|---:|---:|\n",
            a->mb.r2, a->mb.r3, (long long)e->n_evals, (long long)e->n_frames);
    fprintf(f, "| total E | %.6g | 1 | |\n| 1-body | %.6g | %.4f | |\n", E, e->sum1, e->sum1 / E);
    fprintf(f, "| 2-body | %.6g | %.4f | %.3f |\n| 3-body | %.6g | %.4f | %.3f |\n", e->sum2,
            e->sum2 / E, e->sum2 / I, e->share3, e->share3 / E, e->share3 / I);
    fprintf(f, "| rest (4-body and up, and beyond the cutoffs) | %.6g | %.4f | %.3f |\n",
            e->remainder, e->remainder / E, e->remainder / I);
    fprintf(f, "\n%lld pairs; %lld triples evaluated of %lld within the cutoff%s.",
            (long long)e->n_pairs, (long long)e->n_triples, (long long)e->n_triples_total,
            e->any_sampled ? " (a seeded random sample: the 3-body sum is scaled up by total / "
                             "sampled)"
                           : "");
    if (e->any_small_cell)
      fprintf(f, " **Note:** a cutoff reaches past half a periodic cell width, so a fragment "
                 "cannot hold every image of an atom; what it misses is in the rest.");
    fprintf(f, "\n\n|E2| against distance, decay fits from the peak on:\n\n| pair | "
               "exponential | power law |\n|---|---:|---:|\n");
    for (int k = 0; k < s->n_pairs; k++) {
      if (!r->e2_fits[k].ok_exp && !r->e2_fits[k].ok_power) continue;
      fprintf(f, "| %s |", pair_name(name, sizeof name, &s->pairs[k]));
      md_fit(f, &r->e2_fits[k].exp, r->e2_fits[k].ok_exp, " /Å");
      md_fit(f, &r->e2_fits[k].power, r->e2_fits[k].ok_power, "");
      fprintf(f, "\n");
    }
  }
  fprintf(f,
          "\nFiles: sensitivity.csv, decay.csv, mbe_pairs.csv, mbe_triples.csv, "
          "sensitivity.svg, mbe_pairs.svg, mbe_triples.svg.\n\nCommand: `%s`\n",
          cli_command_line());
}

int ia_write(const ia_args *a, const ia_run *r) {
  if (!write_sensitivity_csv(a, r) || !write_decay_csv(a, r) || !write_mbe_csvs(a, r) ||
      !write_plots(a, r))
    return 0;
  cli_out o;
  FILE *f = cli_out_open(&o, IA_CMD, a->out, "interactions.md");
  if (!f) return 0;
  write_report(f, a, r);
  write_report(stdout, a, r);
  return cli_out_close(&o, f, !ferror(f));
}
