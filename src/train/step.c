/* The training loss of one batch and its parameter gradient.
 *
 *   L = w_E mean_f ((E_f − E_f^ref)/N_f)² + w_F mean_{a,c} (F_ac − F_ac^ref)²
 *     + w_A mean_a (E_a − E_a^ref)²       + w_S mean_{f,ab} (S_fab − S_fab^ref)²
 *
 * Energy terms: E_a = σ y_a + μ_{Z_a}, so their gradient is one backward
 * pass seeded with σ ∂L/∂E_a.
 *
 * Force and stress terms (DESIGN.md "Derivatives"). With u = F − F_ref held
 * fixed, ∂L_F/∂θ = (2 w_F / n_F) Σ u·∂F/∂θ = −(2 w_F / n_F) ∂/∂θ D_u E, and
 * D_u E = Σ_k g_k · (u_{j_k} − u_{i_k}) in terms of the edge gradient g_k =
 * ∂E/∂d_k. Likewise ∂L_S/∂θ = Σ_f c_f ∂/∂θ Σ_ab ε_ab W_ab with ε = S − S_ref,
 * c_f = 2 w_S / (n_S V_f), and Σ_ab ε_ab W_ab = Σ_k g_k · (εᵀ d_k). So both
 * are the parameter gradient of the derivative of E along one edge
 * direction ḋ_k = −(2w_F/n_F)(u_j − u_i) + c_f εᵀ d_k: a tangent pass along
 * ḋ, then one backward pass through primal and tangent, seeded with σ on
 * every tangent output. */
#include <math.h>
#include <string.h>

#include "train.h"

void train_labels_find(train_labels *lab, const tn_dataset *ds, const char *atoms_column) {
  lab->energy = tn_dataset_column(ds, TN_LABEL_ENERGY);
  lab->forces = tn_dataset_column(ds, TN_LABEL_FORCES);
  lab->stress = tn_dataset_column(ds, TN_LABEL_STRESS);
  lab->atoms = atoms_column && atoms_column[0] ? tn_dataset_column(ds, atoms_column) : NULL;
  /* A column of the right name but the wrong shape is not a label. */
  if (lab->energy && (lab->energy->scope != TN_COLUMN_SCOPE_FRAME || lab->energy->width != 1))
    lab->energy = NULL;
  if (lab->forces && (lab->forces->scope != TN_COLUMN_SCOPE_ATOM || lab->forces->width != 3))
    lab->forces = NULL;
  if (lab->stress && (lab->stress->scope != TN_COLUMN_SCOPE_FRAME || lab->stress->width != 9))
    lab->stress = NULL;
  if (lab->atoms && (lab->atoms->scope != TN_COLUMN_SCOPE_ATOM || lab->atoms->width != 1))
    lab->atoms = NULL;
}

void train_sums_add(train_sums *into, const train_sums *from) {
  into->sq_e += from->sq_e;
  into->sq_f += from->sq_f;
  into->sq_a += from->sq_a;
  into->sq_s += from->sq_s;
  into->ab_e += from->ab_e;
  into->ab_f += from->ab_f;
  into->ab_a += from->ab_a;
  into->ab_s += from->ab_s;
  into->n_e += from->n_e;
  into->n_f += from->n_f;
  into->n_a += from->n_a;
  into->n_s += from->n_s;
}

double train_sums_loss(const train_sums *s, const train_weights *w) {
  double loss = 0.0;
  if (s->n_e && w->energy > 0) loss += w->energy * s->sq_e / (double)s->n_e;
  if (s->n_f && w->forces > 0) loss += w->forces * s->sq_f / (double)s->n_f;
  if (s->n_a && w->atoms > 0) loss += w->atoms * s->sq_a / (double)s->n_a;
  if (s->n_s && w->stress > 0) loss += w->stress * s->sq_s / (double)s->n_s;
  return loss;
}

void train_batch_counts(train_sums *counts, const tn_dataset *ds, const int64_t *which, int n,
                        const train_labels *lab) {
  memset(counts, 0, sizeof *counts);
  for (int f = 0; f < n; f++) {
    int64_t fr = which[f], na = ds->atom_start[fr + 1] - ds->atom_start[fr];
    if (lab->energy && lab->energy->present[fr]) counts->n_e++;
    if (lab->forces && lab->forces->present[fr]) counts->n_f += 3 * na;
    if (lab->atoms && lab->atoms->present[fr]) counts->n_a += na;
    if (lab->stress && lab->stress->present[fr] &&
        tn_cell_periodic((const double(*)[3])ds->cell[fr], ds->pbc[fr]))
      counts->n_s += 9;
  }
}

void train_scratch_free(train_scratch *s) {
  free(s->atom_energy);
  free(s->force);
  free(s->virial);
  free(s->g_energy);
  memset(s, 0, sizeof *s);
}

tn_status train_batch_loss(const tn_model *m, const tn_real *params, model_work *w,
                           train_scratch *s, const tn_dataset *ds, const int64_t *which,
                           const train_labels *lab, const train_weights *wt, const train_sums *norm,
                           tn_real *grad, train_sums *sums, char *err, size_t err_len) {
  const model_batch *b = &w->batch;
  int n = b->n_atoms, nf = b->n_frames;
  if (tn_grow((void **)&s->atom_energy, &s->cap_atoms, n + 1, sizeof *s->atom_energy) ||
      tn_grow((void **)&s->force, &s->cap_forces, n + 1, sizeof *s->force) ||
      tn_grow((void **)&s->g_energy, &s->cap_g, n + 1, sizeof *s->g_energy) ||
      tn_grow((void **)&s->virial, &s->cap_frames, nf + 1, sizeof *s->virial))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for the loss");

  /* Which terms this batch has. Stress only for periodic frames. */
  int want_f = lab->forces && wt->forces > 0.0, want_s = lab->stress && wt->stress > 0.0;
  int want_e = lab->energy && wt->energy > 0.0, want_a = lab->atoms && wt->atoms > 0.0;
  /* Errors of unweighted labels are still reported, so compute forces when
   * the data have them. */
  int need_forces = lab->forces != NULL, need_virial = lab->stress != NULL;

  model_predict(m, params, w, s->atom_energy, need_forces ? s->force : NULL,
                need_virial ? s->virial : NULL, NULL);

  /* Counts of this batch; the means divide by those of *norm. */
  train_sums t;
  train_batch_counts(&t, ds, which, nf, lab);
  const train_sums *nc = norm ? norm : &t;

  memset(s->g_energy, 0, (size_t)n * sizeof *s->g_energy);
  int any_tangent = 0;
  tn_real *dd = b->d + 3 * b->n_edges; /* tangent block of the edge vectors */
  if (grad && (want_f || want_s)) memset(dd, 0, (size_t)b->n_edges * 3 * sizeof *dd);

  for (int f = 0; f < nf; f++) {
    int64_t fr = which[f], a0 = b->atom_start[f], a1 = b->atom_start[f + 1];
    int64_t d0 = ds->atom_start[fr];
    double na = (double)(a1 - a0);
    if (lab->energy && lab->energy->present[fr]) {
      double e = 0.0;
      for (int64_t a = a0; a < a1; a++) e += s->atom_energy[a];
      double r = (e - lab->energy->values[fr]) / na;
      t.sq_e += r * r;
      t.ab_e += fabs(r);
      if (want_e)
        for (int64_t a = a0; a < a1; a++)
          s->g_energy[a] += 2.0 * wt->energy * r / (na * (double)nc->n_e);
    }
    if (lab->atoms && lab->atoms->present[fr]) {
      for (int64_t a = a0; a < a1; a++) {
        double r = s->atom_energy[a] - lab->atoms->values[d0 + (a - a0)];
        t.sq_a += r * r;
        t.ab_a += fabs(r);
        if (want_a) s->g_energy[a] += 2.0 * wt->atoms * r / (double)nc->n_a;
      }
    }
    if (lab->forces && lab->forces->present[fr]) {
      double c = -2.0 * wt->forces / (double)nc->n_f;
      for (int64_t a = a0; a < a1; a++) {
        const double *ref = &lab->forces->values[3 * (d0 + (a - a0))];
        for (int x = 0; x < 3; x++) {
          double u = s->force[a][x] - ref[x];
          t.sq_f += u * u;
          t.ab_f += fabs(u);
        }
        if (!(grad && want_f)) continue;
        /* ḋ_k += c (u_{j_k} − u_{i_k}) on a's own edges (i_k = a) */
        for (int64_t k = b->first[a]; k < b->first[a + 1]; k++) {
          const double *ref_j = &lab->forces->values[3 * (d0 + (b->ej[k] - a0))];
          for (int x = 0; x < 3; x++) {
            double uj = s->force[b->ej[k]][x] - ref_j[x], ui = s->force[a][x] - ref[x];
            dd[3 * k + x] += (tn_real)(c * (uj - ui));
          }
        }
      }
      any_tangent |= grad && want_f;
    }
    if (lab->stress && lab->stress->present[fr] &&
        tn_cell_periodic((const double(*)[3])ds->cell[fr], ds->pbc[fr])) {
      double v = tn_cell_volume((const double(*)[3])ds->cell[fr]), eps[3][3];
      for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++) {
          eps[x][y] = s->virial[f][x][y] / v - lab->stress->values[9 * fr + 3 * x + y];
          t.sq_s += eps[x][y] * eps[x][y];
          t.ab_s += fabs(eps[x][y]);
        }
      if (grad && want_s) {
        double c = 2.0 * wt->stress / ((double)nc->n_s * v);
        for (int64_t a = a0; a < a1; a++)
          for (int64_t k = b->first[a]; k < b->first[a + 1]; k++)
            for (int y = 0; y < 3; y++) {
              double sum = 0.0;
              for (int x = 0; x < 3; x++) sum += eps[x][y] * (double)b->d[3 * k + x];
              dd[3 * k + y] += (tn_real)(c * sum);
            }
        any_tangent = 1;
      }
    }
  }
  if (sums) train_sums_add(sums, &t);
  if (!grad) return TN_STATUS_OK;

  /* Seeds: σ ∂L/∂E_a on the primal outputs, σ on the tangent outputs. */
  for (int a = 0; a < n; a++) {
    w->gy[a] = (tn_real)(m->scale * s->g_energy[a]);
    w->gy[n + a] = any_tangent ? (tn_real)m->scale : 0;
  }
  if (any_tangent) m->arch->tangent(m, params, w->ws, b, w->y);
  memset(w->gd, 0, (size_t)b->n_edges * (any_tangent ? 6 : 3) * sizeof *w->gd);
  m->arch->backward(m, params, w->ws, w->stacked, b, w->gy, w->gd, grad, any_tangent);
  return TN_STATUS_OK;
}
