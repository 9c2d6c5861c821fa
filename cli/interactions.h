/* tanne interactions: the command (cmd_interactions.c) and its outputs
 * (interactions_output.c). What a model learned about interactions
 * (Esders et al., 2024/25): sensitivities ‖∂E_i/∂R_j‖ against distance per
 * species pair, the many-body expansion of the model's own energy, decay
 * fits, and the effective range against the nominal one. */
#ifndef TN_CLI_INTERACTIONS_H
#define TN_CLI_INTERACTIONS_H

#include "../src/analysis/decay.h"
#include "../src/analysis/manybody.h"
#include "../src/analysis/sensitivity.h"
#include "cli.h"

#define IA_CMD "tanne interactions"

typedef struct ia_args {
  const char *model, *out;
  const char **data;
  int n_data;
  int64_t frames;     /* frames for the sensitivities */
  int64_t mbe_frames; /* frames for the many-body expansion */
  sens_options sens;
  mb_options mb;
} ia_args;

/* A decay fit of one curve: exponential and power law. ok_* say whether
 * the fit was defined (two usable points or more). */
typedef struct ia_fit {
  decay_fit exp, power;
  int ok_exp, ok_power;
  double r_from; /* Å: the fit uses the bins from the curve's peak on */
} ia_fit;

/* One pair or triple of the expansion, for the CSVs and plots. */
typedef struct ia_pair {
  double r, e2; /* Å, eV */
  int32_t z[2];
} ia_pair;
typedef struct ia_triple {
  double perimeter, e3; /* Å, eV */
} ia_triple;

/* The many-body data of all expanded frames. */
typedef struct ia_mbe {
  int64_t n_frames;
  double sum_energy, sum1, sum2, share3, remainder; /* eV, summed over the frames */
  int64_t n_pairs, n_triples, n_triples_total, n_evals;
  int any_sampled, any_small_cell;
  ia_pair *pairs;     /* [n_pairs] */
  ia_triple *triples; /* [n_triples] */
  int64_t pair_cap, tri_cap;
} ia_mbe;

typedef struct ia_run {
  tn_model *m;
  tn_dataset *ds;
  sens_result *sens;
  ia_fit *sens_fits;  /* [sens->n_pairs] */
  ia_fit *e2_fits;    /* [sens->n_pairs]: |E2| binned like the sensitivities */
  sens_stat *e2_bins; /* [n_pairs][n_bins]: |E2| per distance bin (mean, max) */
  ia_mbe mbe;
  double nominal_range;
} ia_run;

/* The fits of one binned curve (bins of width w from 0), from its peak on:
 * the first-neighbour shell rises before it decays, and only the decay is
 * fitted. Weights: the bin counts. */
ia_fit ia_fit_bins(const sens_stat *bins, int n_bins, double w);

/* CSVs, plots and interactions.md (also printed). 1 when all were written. */
int ia_write(const ia_args *a, const ia_run *r);

#endif
