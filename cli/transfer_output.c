/* The output folder of `tanne transfer`: transfer.md (also printed),
 * transfer.csv, structures_K.csv and the plots. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "transfer.h"

static double sigmoid(double t) { return 1.0 / (1.0 + exp(-t)); }

/* meV (or meV/atom, meV/Å) from eV, with "-" for NaN. */
static void md_mev(FILE *f, double v, const char *fmt) {
  if (isfinite(v))
    fprintf(f, fmt, 1000.0 * v);
  else
    fprintf(f, " - |");
}

static void md_num(FILE *f, double v, double sd) {
  if (!isfinite(v))
    fprintf(f, " - |");
  else if (isfinite(sd))
    fprintf(f, " %.3f ± %.3f |", v, sd);
  else
    fprintf(f, " %.3f |", v);
}

static const char *trend_words(double rho) {
  if (!isfinite(rho)) return "cannot be compared (too few structures, or no variation) with";
  if (rho >= 0.5) return "grows strongly with";
  if (rho >= 0.3) return "grows with";
  if (rho >= 0.1) return "grows weakly with";
  if (rho > -0.1) return "does not track";
  return "falls with";
}

static void write_report(FILE *f, const transfer_args *a, const transfer_set *sets) {
  fprintf(f, "# Transfer report\n\n");
  if (a->n_models == 1)
    fprintf(f, "- Model: %s\n", a->models[0]);
  else {
    fprintf(f,
            "- Ensemble of %d models (predictions are the mean; spread is the sample std "
            "across models):",
            a->n_models);
    for (int m = 0; m < a->n_models; m++) fprintf(f, " %s", a->models[m]);
    fprintf(f, "\n");
  }
  if (a->train)
    fprintf(f,
            "- Training set: %s%s. AUC: adversarial validation of the training set against "
            "each test set (ACSF, cutoff %g Å; %s; %d folds; seed %llu), mean ± std over "
            "folds. The score of a structure is its mean log-odds of being from the test "
            "set, P(B) = σ(score).\n",
            a->train,
            a->train_from_lineage ? " (the data file of the model's lineage: frames the run set "
                                    "aside for validation and test are in it too)"
                                  : "",
            a->av.cutoff, a->av.classifier, a->av.folds, (unsigned long long)a->av.seed);
  if (a->train && isfinite(a->control_auc))
    fprintf(f,
            "- The classifier's control, the training set against random halves of itself: "
            "AUC %.3f ± %.3f per structure (0.5 expected).\n",
            a->control_auc, a->control_auc_std);
  if (!a->train)
    fprintf(f, "- No training set (--train, or a data file in the model's lineage): no AUC and "
               "no scores.\n");
  fprintf(f,
          "- Errors: E per atom (meV/atom), force components (meV/Å), atomic energies "
          "against '%s' (meV; raw, and after removing a per-element mean offset, which "
          "totals leave free).\n\n",
          a->atomic);
  fprintf(f, "| test set | frames | in training set | AUC per structure | AUC per atom | E MAE | E "
             "RMSE | F MAE | "
             "F RMSE | atomic MAE | atomic MAE −offset | ρ(score, error) | ρ(spread, error) | "
             "ρ(score, spread) "
             "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int k = 0; k < a->n_tests; k++) {
    const transfer_set *s = &sets[k];
    fprintf(f, "| %d: %s | %lld |", k + 1, s->path, (long long)s->n);
    if (s->n_shared >= 0)
      fprintf(f, " %lld |", (long long)s->n_shared);
    else
      fprintf(f, " - |");
    md_num(f, s->auc_struct, s->auc_struct_std);
    md_num(f, s->auc_atom, s->auc_atom_std);
    md_mev(f, s->e_mae, " %.2f |");
    md_mev(f, s->e_rmse, " %.2f |");
    md_mev(f, s->f_mae, " %.1f |");
    md_mev(f, s->f_rmse_all, " %.1f |");
    md_mev(f, s->a_mae, " %.1f |");
    md_mev(f, s->a_mae_offset, " %.1f |");
    md_num(f, s->rho_score_err, NAN);
    md_num(f, s->rho_spread_err, NAN);
    md_num(f, s->rho_score_spread, NAN);
    fprintf(f, "\n");
  }
  fprintf(f, "\nρ: Spearman's rank correlation over the structures of a set. The error of a "
             "structure is its force RMSE when the set has forces, else its |energy error| "
             "per atom; the spread is the matching ensemble spread (mean over atoms of the "
             "force spread, else the energy spread per atom). 'In training set': test "
             "structures that also occur in the training set; they pull the AUC towards or "
             "below 0.5 (each one's twin, labelled the other way, sits in the training folds).\n");
  for (int k = 0; k < a->n_tests; k++) {
    const transfer_set *s = &sets[k];
    const char *unit = s->by_forces ? "F RMSE (meV/Å)" : "|E error| (meV/atom)";
    fprintf(f, "\n## Set %d: %s\n\n", k + 1, s->path);
    if (a->train && isfinite(s->rho_score_err)) {
      fprintf(f, "The error %s the score (ρ = %.3f).", trend_words(s->rho_score_err),
              s->rho_score_err);
      if (a->n_models > 1)
        fprintf(f, " It %s the ensemble spread (ρ = %.3f); spread and score: ρ = %.3f.",
                trend_words(s->rho_spread_err), s->rho_spread_err, s->rho_score_spread);
      fprintf(f,
              "\n\n| score quantile | structures | mean score | P(B) at it | mean %s ± "
              "s.e. |\n|---:|---:|---:|---:|---:|\n",
              unit);
      for (int b = 0; b < s->n_bins; b++) {
        const trend_bin *t = &s->bins[b];
        if (!t->count) continue;
        fprintf(f, "| %d/%d | %lld | %.3f | %.3f | %.2f ± %.2f |\n", b + 1, s->n_bins,
                (long long)t->count, t->x_mean, sigmoid(t->x_mean), 1000.0 * t->y_mean,
                1000.0 * t->y_sem);
      }
    } else if (a->n_models > 1) {
      fprintf(f, "The error %s the ensemble spread (ρ = %.3f).\n", trend_words(s->rho_spread_err),
              s->rho_spread_err);
    } else {
      fprintf(f, "No score and no spread: give --train, or several models.\n");
    }
  }
  fprintf(f, "\nFiles: transfer.csv, structures_K.csv per set%s%s.\n\nCommand: `",
          a->train ? ", error_vs_score.svg, error_vs_score_points.svg" : "",
          a->n_models > 1 ? ", error_vs_spread.svg" : "");
  fprintf(f, "%s`\n", cli_command_line());
}

static int write_summary_csv(const transfer_args *a, const transfer_set *sets) {
  cli_out o;
  FILE *f = cli_out_open(&o, TR_CMD, a->out, "transfer.csv");
  if (!f) return 0;
  fprintf(f, "set,path,frames,auc_struct,auc_struct_std,auc_atom,auc_atom_std,"
             "e_mae_meV_per_atom,e_rmse_meV_per_atom,f_mae_meV_per_A,f_rmse_meV_per_A,"
             "atomic_mae_meV,atomic_mae_offset_meV,rho_score_error,rho_spread_error,"
             "rho_score_spread,in_training_set\n");
  for (int k = 0; k < a->n_tests; k++) {
    const transfer_set *s = &sets[k];
    fprintf(
        f, "%d,\"%s\",%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%lld\n",
        k + 1, s->path, (long long)s->n, s->auc_struct, s->auc_struct_std, s->auc_atom,
        s->auc_atom_std, 1000 * s->e_mae, 1000 * s->e_rmse, 1000 * s->f_mae, 1000 * s->f_rmse_all,
        1000 * s->a_mae, 1000 * s->a_mae_offset, s->rho_score_err, s->rho_spread_err,
        s->rho_score_spread, (long long)s->n_shared);
  }
  return cli_out_close(&o, f, !ferror(f));
}

static int write_structures_csv(const transfer_args *a, const transfer_set *s, int k) {
  char name[64];
  snprintf(name, sizeof name, "structures_%d.csv", k + 1);
  cli_out o;
  FILE *f = cli_out_open(&o, TR_CMD, a->out, name);
  if (!f) return 0;
  fprintf(f, "frame,n_atoms,e_error_meV_per_atom,f_rmse_meV_per_A,e_std_meV_per_atom,"
             "f_std_meV_per_A,score,p_b\n");
  for (int64_t fr = 0; fr < s->n; fr++)
    fprintf(f, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", (long long)fr + 1,
            (long long)(s->ds->atom_start[fr + 1] - s->ds->atom_start[fr]), 1000 * s->e_err[fr],
            1000 * s->f_rmse[fr], 1000 * s->e_std[fr], 1000 * s->f_std[fr], s->score[fr],
            sigmoid(s->score[fr]));
  return cli_out_close(&o, f, !ferror(f));
}

/* error_vs_score.svg (binned means ± s.e.), error_vs_score_points.svg (every
 * structure) and error_vs_spread.svg; one series per set. */
static int write_plots(const transfer_args *a, const transfer_set *sets) {
  int n = a->n_tests, ok = 1;
  tn_plot_series *series = calloc((size_t)n, sizeof *series);
  double *bx = calloc((size_t)n * TR_BINS_MAX * 3, sizeof *bx);
  double **scaled = calloc((size_t)n * 2, sizeof *scaled);
  char(*label)[96] = calloc((size_t)n, sizeof *label);
  if (!series || !bx || !scaled || !label) {
    fprintf(stderr, TR_CMD ": out of memory\n");
    ok = 0;
    goto done;
  }
  int by_forces = 1;
  for (int k = 0; k < n; k++) by_forces &= sets[k].by_forces;
  const char *err_label =
      by_forces ? "force RMSE per structure (meV/Å)" : "|energy error| per structure (meV/atom)";
  for (int k = 0; k < n; k++) {
    const char *base = strrchr(sets[k].path, '/');
    snprintf(label[k], sizeof label[k], "%d: %s", k + 1, base ? base + 1 : sets[k].path);
    if (!(scaled[2 * k] = malloc((size_t)sets[k].n * sizeof(double))) ||
        !(scaled[2 * k + 1] = malloc((size_t)sets[k].n * sizeof(double)))) {
      fprintf(stderr, TR_CMD ": out of memory\n");
      ok = 0;
      goto done;
    }
    for (int64_t f = 0; f < sets[k].n; f++) {
      scaled[2 * k][f] = 1000.0 * sets[k].err[f];
      scaled[2 * k + 1][f] = 1000.0 * sets[k].spread[f];
    }
  }
  if (a->train) {
    for (int k = 0; k < n; k++) {
      double *x = bx + (size_t)k * TR_BINS_MAX * 3, *y = x + TR_BINS_MAX, *e = y + TR_BINS_MAX;
      for (int b = 0; b < sets[k].n_bins; b++) {
        x[b] = sets[k].bins[b].x_mean;
        y[b] = 1000.0 * sets[k].bins[b].y_mean;
        e[b] = 1000.0 * sets[k].bins[b].y_sem;
      }
      series[k] =
          (tn_plot_series){label[k], x, y, e, sets[k].n_bins, TN_PLOT_POINTS | TN_PLOT_LINE};
    }
    tn_plot plot = {"Error against the adversarial score (quantile bins)",
                    "score: mean log-odds of the test set",
                    err_label,
                    0,
                    0,
                    0,
                    n,
                    series};
    ok = cli_out_plot(TR_CMD, a->out, "error_vs_score.svg", &plot);
    for (int k = 0; k < n; k++)
      series[k] =
          (tn_plot_series){label[k], sets[k].score, scaled[2 * k], NULL, sets[k].n, TN_PLOT_POINTS};
    plot.title = "Error against the adversarial score";
    plot.log_y = 1;
    ok = ok && cli_out_plot(TR_CMD, a->out, "error_vs_score_points.svg", &plot);
  }
  if (ok && a->n_models > 1) {
    for (int k = 0; k < n; k++)
      series[k] = (tn_plot_series){label[k], scaled[2 * k + 1], scaled[2 * k],
                                   NULL,     sets[k].n,         TN_PLOT_POINTS};
    tn_plot plot = {"Error against the ensemble spread",
                    by_forces ? "force spread, mean over atoms (meV/Å)"
                              : "energy spread per atom (meV/atom)",
                    err_label,
                    1,
                    1,
                    0,
                    n,
                    series};
    ok = cli_out_plot(TR_CMD, a->out, "error_vs_spread.svg", &plot);
  }
done:
  for (int k = 0; scaled && k < 2 * n; k++) free(scaled[k]);
  free(scaled);
  free(series);
  free(bx);
  free(label);
  return ok;
}

int transfer_write(const transfer_args *a, transfer_set *sets) {
  if (!write_summary_csv(a, sets)) return 0;
  for (int k = 0; k < a->n_tests; k++)
    if (!write_structures_csv(a, &sets[k], k)) return 0;
  if (!write_plots(a, sets)) return 0;
  cli_out o;
  FILE *f = cli_out_open(&o, TR_CMD, a->out, "transfer.md");
  if (!f) return 0;
  write_report(f, a, sets);
  write_report(stdout, a, sets);
  return cli_out_close(&o, f, !ferror(f));
}
