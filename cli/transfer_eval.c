/* The errors of a model, or the mean of an ensemble, on one test set,
 * frame by frame, with the ensemble spread beside them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ensemble.h"
#include "report.h"
#include "transfer.h"

void transfer_set_free(transfer_set *s) {
  tn_dataset_free(s->ds);
  free(s->e_err);
  free(s->f_rmse);
  free(s->e_std);
  free(s->f_std);
  free(s->score);
  free(s->err);
  s->ds = NULL;
  s->e_err = s->f_rmse = s->e_std = s->f_std = s->score = s->err = NULL;
  s->spread = NULL;
}

/* Per-element sums of atomic-energy errors, for the offset-removed MAE:
 * the totals fix atomic energies only up to a constant per element. */
typedef struct atomic_acc {
  double *err;     /* [n_atoms of the set] predicted − reference, eV */
  int64_t n;       /* atoms with a reference */
  double sum[119]; /* Σ err per atomic number */
  int64_t count[119];
} atomic_acc;

static void summarize(transfer_set *s, const atomic_acc *aa, double f_abs, double f_sq) {
  double ea = 0, eq = 0;
  s->n_energy = 0;
  for (int64_t f = 0; f < s->n; f++)
    if (isfinite(s->e_err[f])) {
      ea += fabs(s->e_err[f]);
      eq += s->e_err[f] * s->e_err[f];
      s->n_energy++;
    }
  s->e_mae = s->n_energy ? ea / (double)s->n_energy : NAN;
  s->e_rmse = s->n_energy ? sqrt(eq / (double)s->n_energy) : NAN;
  s->f_mae = s->n_force_components ? f_abs / (double)s->n_force_components : NAN;
  s->f_rmse_all = s->n_force_components ? sqrt(f_sq / (double)s->n_force_components) : NAN;
  s->n_atomic = aa->n;
  s->a_mae = s->a_mae_offset = NAN;
  if (!aa->n) return;
  double raw = 0, off = 0;
  int64_t k = 0;
  for (int64_t i = 0; i < s->ds->n_atoms; i++) {
    if (!isfinite(aa->err[i])) continue;
    int z = s->ds->species[i];
    raw += fabs(aa->err[i]);
    off += fabs(aa->err[i] - aa->sum[z] / (double)aa->count[z]);
    k++;
  }
  s->a_mae = raw / (double)k;
  s->a_mae_offset = off / (double)k;
}

int transfer_evaluate(transfer_set *s, tn_model *const *models, const char *const *model_paths,
                      int n_models, const char *atomic) {
  const tn_dataset *ds = s->ds;
  int64_t n = ds->n_frames, max_atoms = 1;
  for (int64_t f = 0; f < n; f++)
    if (ds->atom_start[f + 1] - ds->atom_start[f] > max_atoms)
      max_atoms = ds->atom_start[f + 1] - ds->atom_start[f];
  s->n = n;
  const tn_column *ref_e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *ref_f = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *ref_a = atomic && atomic[0] ? tn_dataset_column(ds, atomic) : NULL;
  if (atomic && atomic[0] && !ref_a)
    fprintf(stderr, TR_CMD ": %s: no column '%s'; atomic energies are not compared\n", s->path,
            atomic);
  int64_t len = 1 + 4 * max_atoms; /* E, F [n][3], E_i [n] */
  ens_acc acc;
  memset(&acc, 0, sizeof acc);
  atomic_acc aa;
  memset(&aa, 0, sizeof aa);
  double *x = malloc((size_t)len * sizeof *x), *spread = malloc((size_t)max_atoms * sizeof *spread);
  s->e_err = malloc((size_t)n * sizeof *s->e_err);
  s->f_rmse = malloc((size_t)n * sizeof *s->f_rmse);
  s->e_std = malloc((size_t)n * sizeof *s->e_std);
  s->f_std = malloc((size_t)n * sizeof *s->f_std);
  s->err = malloc((size_t)n * sizeof *s->err);
  aa.err = malloc((size_t)(ds->n_atoms > 0 ? ds->n_atoms : 1) * sizeof *aa.err);
  int ok = 0;
  if (!x || !spread || !s->e_err || !s->f_rmse || !s->e_std || !s->f_std || !s->err || !aa.err ||
      !ens_acc_init(&acc, len)) {
    fprintf(stderr, TR_CMD ": out of memory\n");
    goto done;
  }
  double f_abs = 0, f_sq = 0;
  s->n_force_components = 0;
  char why[512];
  for (int64_t f = 0; f < n; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    int na = fr.n_atoms;
    ens_acc_reset(&acc, 1 + 4 * (int64_t)na);
    for (int m = 0; m < n_models; m++) {
      if (!report_check_elements(models[m], &fr, why, sizeof why)) {
        fprintf(stderr, TR_CMD ": %s, frame %lld: %s (model %s)\n", s->path, (long long)f + 1, why,
                model_paths[m]);
        goto done;
      }
      tn_status st =
          tn_model_eval(models[m], &fr, &x[0], (double(*)[3])(x + 1), NULL, x + 1 + 3 * na);
      if (st != TN_STATUS_OK) {
        fprintf(stderr, TR_CMD ": %s, frame %lld: %s (model %s)\n", s->path, (long long)f + 1,
                tn_model_errmsg(models[m]), model_paths[m]);
        goto done;
      }
      ens_acc_add(&acc, x);
    }
    const double *mean = acc.mean;
    s->e_err[f] = ref_e && ref_e->present[f] ? (mean[0] - tn_column_row(ref_e, f)[0]) / na : NAN;
    s->f_rmse[f] = NAN;
    if (ref_f && ref_f->present[f]) {
      const double *rf = tn_column_row(ref_f, ds->atom_start[f]);
      double q = 0;
      for (int c = 0; c < 3 * na; c++) {
        double d = mean[1 + c] - rf[c];
        q += d * d;
        f_abs += fabs(d);
      }
      f_sq += q;
      s->n_force_components += 3 * na;
      s->f_rmse[f] = sqrt(q / (3.0 * na));
    }
    for (int i = 0; i < na; i++) aa.err[ds->atom_start[f] + i] = NAN;
    if (ref_a && ref_a->present[f]) {
      const double *ra = tn_column_row(ref_a, ds->atom_start[f]);
      for (int i = 0; i < na; i++) {
        double d = mean[1 + 3 * na + i] - ra[i];
        int z = fr.species[i];
        aa.err[ds->atom_start[f] + i] = d;
        aa.sum[z] += d; /* species are checked elements, 1..118 */
        aa.count[z]++;
        aa.n++;
      }
    }
    s->e_std[f] = s->f_std[f] = NAN;
    if (n_models >= 2) {
      ens_acc_std(&acc, 0, 1, 1, &s->e_std[f]);
      s->e_std[f] /= na;
      ens_acc_std(&acc, 1, na, 3, spread);
      double sum = 0;
      for (int i = 0; i < na; i++) sum += spread[i];
      s->f_std[f] = sum / na;
    }
    int64_t every = n / 100 > 0 ? n / 100 : 1;
    if ((f + 1) % every == 0 || f + 1 == n) cli_progress((void *)"frames", (int)(f + 1), (int)n);
  }
  summarize(s, &aa, f_abs, f_sq);
  s->by_forces = s->n_force_components > 0;
  for (int64_t f = 0; f < n; f++) s->err[f] = s->by_forces ? s->f_rmse[f] : fabs(s->e_err[f]);
  s->spread = s->by_forces ? s->f_std : s->e_std;
  ok = 1;
done:
  free(x);
  free(spread);
  free(aa.err);
  ens_acc_free(&acc);
  return ok;
}
