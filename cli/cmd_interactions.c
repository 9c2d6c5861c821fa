/* tanne interactions MODEL DATA...: sensitivities, many-body expansion,
 * decay fits and effective range of a trained model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interactions.h"
#include "report.h"

static const char help[] =
    "usage: tanne interactions [options] MODEL.tnm DATA... [-o DIR]\n\n"
    "What the model learned about interactions (Esders et al., 2024/25):\n"
    "- sensitivities: |dE_i/dR_j| (eV/Angstrom) of the atomic energy E_i to the\n"
    "  position of atom j, exact (one backward pass per atom), binned by r_ij per\n"
    "  species pair (minimum image in periodic cells); the effective range (the\n"
    "  distance beyond which every bin stays below --threshold times the pair's\n"
    "  peak) against the nominal range, cutoff x interactions;\n"
    "- the many-body expansion of the model's own energy: the model evaluated on\n"
    "  single atoms, pairs within --pair-cutoff and triples within\n"
    "  --triple-cutoff (sampled above --max-triples, and said so); 2-body energies\n"
    "  against distance, 3-body ones against perimeter, and the share of the\n"
    "  energy at each body order;\n"
    "- decay fits, exponential and power law, of the sensitivities and of |E2|\n"
    "  per species pair, from each curve's peak on, in log space.\n\n"
    "Writes to DIR: interactions.md (also printed), sensitivity.csv, decay.csv,\n"
    "mbe_pairs.csv, mbe_triples.csv, sensitivity.svg, mbe_pairs.svg,\n"
    "mbe_triples.svg.\n\n"
    "options:\n"
    "  -o, --out DIR        output folder  [interactions]\n"
    "  --frames N           frames for the sensitivities (the first N)  [20]\n"
    "  --mbe-frames N       frames for the many-body expansion  [3]\n"
    "  --bin W              distance bin, Angstrom  [0.1]\n"
    "  --r-max R            farthest distance binned, Angstrom  [12]\n"
    "  --threshold T        effective range threshold, relative to the peak  [1e-3]\n"
    "  --pair-cutoff R      pairs of the expansion, Angstrom  [6]\n"
    "  --triple-cutoff R    triples (every side), Angstrom; 0 = none  [4]\n"
    "  --max-triples N      triples per frame at most (a seeded sample)  [2000]\n"
    "  --seed S             seed of the triple sample  [1]\n";

static void parse(ia_args *p, int argc, char **argv, tn_read_options *ropt) {
  cli_args a;
  cli_args_init(&a, IA_CMD, argc, argv);
  memset(p, 0, sizeof *p);
  p->out = "interactions";
  p->frames = 20;
  p->mbe_frames = 3;
  p->sens = (sens_options){0.1, 12.0, 1e-3};
  p->mb = mb_options_default();
  p->mb.r2 = 6.0;
  p->mb.r3 = 4.0;
  p->mb.max_triples = 2000;
  const char **paths = (const char **)argv, *arg;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_output_opt(&a, arg) || cli_opt(&a, arg, "out")) {
      if (!a.value[0]) cli_usage_error(IA_CMD, "option --out: empty folder name");
      p->out = a.value;
    } else if (cli_opt(&a, arg, "frames"))
      p->frames = cli_long(&a, "frames", a.value, 1, 1000000);
    else if (cli_opt(&a, arg, "mbe-frames"))
      p->mbe_frames = cli_long(&a, "mbe-frames", a.value, 0, 1000000);
    else if (cli_opt(&a, arg, "bin"))
      p->sens.bin_width = cli_double(&a, "bin", a.value);
    else if (cli_opt(&a, arg, "r-max"))
      p->sens.r_max = cli_double(&a, "r-max", a.value);
    else if (cli_opt(&a, arg, "threshold"))
      p->sens.threshold = cli_double(&a, "threshold", a.value);
    else if (cli_opt(&a, arg, "pair-cutoff"))
      p->mb.r2 = cli_double(&a, "pair-cutoff", a.value);
    else if (cli_opt(&a, arg, "triple-cutoff"))
      p->mb.r3 = cli_double(&a, "triple-cutoff", a.value);
    else if (cli_opt(&a, arg, "max-triples"))
      p->mb.max_triples = cli_long(&a, "max-triples", a.value, 0, 100000000);
    else if (cli_opt(&a, arg, "seed"))
      p->mb.seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 0x7fffffffffffffffL);
    else
      cli_input_arg(&a, arg, help, ropt, paths, &n);
  }
  if (n < 2) cli_usage_error(IA_CMD, "need a model file and at least one data file");
  if (!(p->sens.bin_width > 0 && p->sens.r_max > p->sens.bin_width))
    cli_usage_error(IA_CMD, "--bin must be > 0 and below --r-max");
  if (!(p->sens.threshold > 0 && p->sens.threshold < 1))
    cli_usage_error(IA_CMD, "--threshold must be in (0, 1)");
  if (!(p->mb.r2 > 0 && p->mb.r3 >= 0 && p->mb.r3 <= p->mb.r2))
    cli_usage_error(IA_CMD, "need --pair-cutoff > 0 and 0 <= --triple-cutoff <= --pair-cutoff");
  p->model = paths[0];
  p->data = paths + 1;
  p->n_data = n - 1;
}

ia_fit ia_fit_bins(const sens_stat *bins, int n_bins, double w) {
  ia_fit f;
  memset(&f, 0, sizeof f);
  int peak = -1;
  for (int b = 0; b < n_bins; b++)
    if (bins[b].count > 0 && (peak < 0 || bins[b].mean > bins[peak].mean)) peak = b;
  f.r_from = peak < 0 ? NAN : peak * w;
  if (peak < 0) return f;
  double *r = malloc((size_t)n_bins * 3 * sizeof *r), *y = r ? r + n_bins : NULL,
         *wt = r ? r + 2 * n_bins : NULL;
  if (!r) return f;
  int m = 0;
  for (int b = peak; b < n_bins; b++) {
    if (bins[b].count == 0) continue;
    r[m] = (b + 0.5) * w;
    y[m] = bins[b].mean;
    wt[m++] = (double)bins[b].count;
  }
  char err[256];
  f.ok_exp = decay_fit_exp(&f.exp, r, y, wt, m, err, sizeof err) == TN_STATUS_OK;
  f.ok_power = decay_fit_power(&f.power, r, y, wt, m, err, sizeof err) == TN_STATUS_OK;
  free(r);
  return f;
}

/* Appends the pairs and triples of one expansion to the run's lists. */
static int keep_expansion(ia_mbe *e, const mb_result *x, const tn_frame *fr) {
  if (tn_grow((void **)&e->pairs, &e->pair_cap, e->n_pairs + x->n_pairs + 1, sizeof *e->pairs) ||
      tn_grow((void **)&e->triples, &e->tri_cap, e->n_triples + x->n_triples + 1,
              sizeof *e->triples))
    return 0;
  for (int64_t k = 0; k < x->n_pairs; k++) {
    const mb_pair *p = &x->pairs[k];
    e->pairs[e->n_pairs++] = (ia_pair){p->r, p->e2, {fr->species[p->i], fr->species[p->j]}};
  }
  for (int64_t k = 0; k < x->n_triples; k++)
    e->triples[e->n_triples++] = (ia_triple){x->triples[k].perimeter, x->triples[k].e3};
  e->n_frames++;
  e->sum_energy += x->energy;
  e->sum1 += x->sum1;
  e->sum2 += x->sum2;
  e->share3 += x->share3;
  e->remainder += x->remainder;
  e->n_triples_total += x->n_triples_total;
  e->n_evals += x->n_evals;
  e->any_sampled |= x->triples_sampled;
  e->any_small_cell |= x->cell_too_small;
  return 1;
}

/* |E2| binned like the sensitivities, per species pair. */
static int bin_e2(ia_run *r) {
  const sens_result *s = r->sens;
  r->e2_bins = calloc((size_t)s->n_pairs * (size_t)s->n_bins, sizeof *r->e2_bins);
  if (!r->e2_bins) return 0;
  for (int64_t k = 0; k < r->mbe.n_pairs; k++) {
    const ia_pair *q = &r->mbe.pairs[k];
    const sens_pair *p = sens_pair_find(s, q->z[0], q->z[1]);
    int b = (int)(q->r / s->opt.bin_width);
    if (!p || b >= s->n_bins) continue;
    sens_stat *st = &r->e2_bins[(size_t)(p - s->pairs) * s->n_bins + b];
    double v = fabs(q->e2);
    st->count++;
    st->sum += v;
    if (v > st->max) st->max = v;
  }
  for (size_t k = 0; k < (size_t)s->n_pairs * s->n_bins; k++)
    r->e2_bins[k].mean = r->e2_bins[k].count ? r->e2_bins[k].sum / r->e2_bins[k].count : NAN;
  return 1;
}

static void run_free(ia_run *r) {
  tn_model_free(r->m);
  tn_dataset_free(r->ds);
  sens_free(r->sens);
  free(r->sens_fits);
  free(r->e2_fits);
  free(r->e2_bins);
  free(r->mbe.pairs);
  free(r->mbe.triples);
}

int cmd_interactions(int argc, char **argv) {
  ia_args p;
  tn_read_options ropt = tn_read_options_default();
  parse(&p, argc, argv, &ropt);
  ia_run r;
  memset(&r, 0, sizeof r);
  int status = 1;
  char why[1024];
  int64_t *start = malloc((size_t)(p.n_data + 1) * sizeof *start);
  if (!start || !(r.ds = tn_dataset_create())) {
    fprintf(stderr, IA_CMD ": out of memory\n");
    goto done;
  }
  if (!report_load(&r.m, r.ds, start, p.model, p.data, p.n_data, &ropt, IA_CMD)) goto done;
  if (!cli_make_dir(IA_CMD, p.out)) goto done;
  int32_t el[16];
  int ne = tn_model_elements(r.m, el);
  if (sens_create(&r.sens, el, ne, &p.sens, why, sizeof why) != TN_STATUS_OK) {
    fprintf(stderr, IA_CMD ": %s\n", why);
    goto done;
  }
  report_sources src = {p.n_data, p.data, start};
  char where[TN_PATH_MAX + 64];
  int64_t n_sens = p.frames < r.ds->n_frames ? p.frames : r.ds->n_frames;
  for (int64_t f = 0; f < n_sens; f++) {
    tn_frame fr;
    tn_dataset_frame(r.ds, f, &fr);
    if (sens_add_frame(r.sens, r.m, &fr, f, why, sizeof why) != TN_STATUS_OK) {
      report_frame_name(where, sizeof where, &src, f);
      fprintf(stderr, IA_CMD ": %s: %s\n", where, why);
      goto done;
    }
    cli_progress((void *)"sensitivities", (int)(f + 1), (int)n_sens);
  }
  sens_finish(r.sens);
  r.nominal_range = sens_nominal_range(r.m);
  int64_t n_mbe = p.mbe_frames < r.ds->n_frames ? p.mbe_frames : r.ds->n_frames;
  for (int64_t f = 0; f < n_mbe; f++) {
    tn_frame fr;
    tn_dataset_frame(r.ds, f, &fr);
    mb_result x;
    tn_status st = mb_expand(&x, mb_model_energy, r.m, &fr, &p.mb, why, sizeof why);
    int kept = st == TN_STATUS_OK && keep_expansion(&r.mbe, &x, &fr);
    mb_result_free(&x);
    if (st != TN_STATUS_OK) {
      report_frame_name(where, sizeof where, &src, f);
      fprintf(stderr, IA_CMD ": %s: many-body expansion: %s\n", where, why);
      goto done;
    }
    if (!kept) {
      fprintf(stderr, IA_CMD ": out of memory\n");
      goto done;
    }
    cli_progress((void *)"many-body expansion", (int)(f + 1), (int)n_mbe);
  }
  r.sens_fits = calloc((size_t)r.sens->n_pairs, sizeof *r.sens_fits);
  r.e2_fits = calloc((size_t)r.sens->n_pairs, sizeof *r.e2_fits);
  if (!r.sens_fits || !r.e2_fits || !bin_e2(&r)) {
    fprintf(stderr, IA_CMD ": out of memory\n");
    goto done;
  }
  for (int k = 0; k < r.sens->n_pairs; k++) {
    r.sens_fits[k] = ia_fit_bins(r.sens->pairs[k].bins, r.sens->n_bins, p.sens.bin_width);
    r.e2_fits[k] =
        ia_fit_bins(r.e2_bins + (size_t)k * r.sens->n_bins, r.sens->n_bins, p.sens.bin_width);
  }
  if (ia_write(&p, &r)) status = 0;
done:
  run_free(&r);
  free(start);
  return status;
}
