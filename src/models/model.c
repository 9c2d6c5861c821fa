/* The model handle: creation, element bookkeeping, per-element shifts and
 * evaluation of one frame. Architectures live in their own files behind
 * model_arch (model.h). */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "model.h"

static const model_arch *const archs[] = {&model_schnet, &model_painn, &model_bpnn};

const model_arch *model_arch_find(const char *name) {
  for (size_t q = 0; q < sizeof archs / sizeof archs[0]; q++)
    if (strcmp(archs[q]->name, name) == 0) return archs[q];
  return NULL;
}

tn_model_options tn_model_options_default(void) {
  tn_model_options o;
  memset(&o, 0, sizeof o);
  snprintf(o.type, sizeof o.type, "schnet");
  o.features = 128;
  o.interactions = 3;
  o.n_basis = 20;
  snprintf(o.basis, sizeof o.basis, "auto");
  o.cutoff = 5.0;
  snprintf(o.activation, sizeof o.activation, "auto");
  o.acsf_radial = 8;
  o.acsf_angular = 4;
  snprintf(o.acsf_angular_kind, sizeof o.acsf_angular_kind, "wide");
  snprintf(o.acsf_cutoff, sizeof o.acsf_cutoff, "cos");
  snprintf(o.acsf_scaling, sizeof o.acsf_scaling, "sigma");
  return o;
}

tn_status model_check_mp_options(const tn_model *m, int max_interactions, nn_act *act,
                                 nn_basis *basis, char *err, size_t err_len) {
  const tn_model_options *o = &m->opt;
  const char *name = m->arch->name;
  int a = nn_act_from_name(o->activation), b = nn_basis_from_name(o->basis);
  if (o->features < 2 || o->features > 4096)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "%s: model.features must be in 2..4096, got %d", name, o->features);
  if (o->interactions < 1 || o->interactions > max_interactions)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "%s: model.interactions must be in 1..%d, got %d", name, max_interactions,
                   o->interactions);
  if (a < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: unknown model.activation '%s'", name,
                   o->activation);
  if (b < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: unknown model.basis '%s'", name,
                   o->basis);
  /* Gaussians are spaced between their first and last centre: two at least. */
  int min_basis = b == NN_BASIS_GAUSSIAN ? 2 : 1;
  if (o->n_basis < min_basis || o->n_basis > 1024)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "%s: model.n_basis must be in %d..1024 for %s, got %d", name, min_basis,
                   o->basis, o->n_basis);
  *act = (nn_act)a;
  *basis = (nn_basis)b;
  return TN_STATUS_OK;
}

int tn_real_size(void) { return (int)sizeof(tn_real); }

int model_element_index(const tn_model *m, int z) {
  for (int q = 0; q < m->n_elements; q++)
    if (m->elements[q] == z) return q;
  return -1;
}

static int compare_int32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

tn_status tn_model_create(tn_model **out, const tn_model_options *opt, const int32_t *elements,
                          int n_elements, uint64_t seed, char *err, size_t err_len) {
  *out = NULL;
  const model_arch *arch = model_arch_find(opt->type);
  if (!arch)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "model.type: unknown architecture '%s'",
                   opt->type);
  if (n_elements < 1 || n_elements > MODEL_MAX_ELEMENTS)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "a model needs 1 to %d elements, got %d",
                   MODEL_MAX_ELEMENTS, n_elements);
  if (!(opt->cutoff > 0.0 && opt->cutoff <= 100.0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "model.cutoff must be in (0, 100] Å, got %g", opt->cutoff);
  tn_model *m = calloc(1, sizeof *m);
  if (!m) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for a model");
  m->arch = arch;
  m->opt = *opt;
  if (!strcmp(m->opt.basis, "auto")) snprintf(m->opt.basis, sizeof m->opt.basis, "%s", arch->basis);
  if (!strcmp(m->opt.activation, "auto"))
    snprintf(m->opt.activation, sizeof m->opt.activation, "%s", arch->activation);
  m->scale = 1.0;
  m->n_elements = n_elements;
  memcpy(m->elements, elements, (size_t)n_elements * sizeof *elements);
  qsort(m->elements, (size_t)n_elements, sizeof *m->elements, compare_int32);
  tn_status st = TN_STATUS_OK;
  for (int q = 0; q < n_elements; q++) {
    if (!tn_element_symbol(m->elements[q])) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "unknown atomic number %d",
                   (int)m->elements[q]);
      goto fail;
    }
    if (q > 0 && m->elements[q] == m->elements[q - 1]) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "element %s listed twice",
                   tn_element_symbol(m->elements[q]));
      goto fail;
    }
  }
  st = arch->setup(m, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  m->params = calloc(m->n_params ? m->n_params : 1, sizeof *m->params);
  if (!m->params) {
    st =
        tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for %zu parameters", m->n_params);
    goto fail;
  }
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  arch->init_params(m, m->params, &rng);
  *out = m;
  return TN_STATUS_OK;
fail:
  tn_model_free(m);
  return st;
}

void tn_model_free(tn_model *m) {
  if (!m) return;
  if (m->work) model_work_free(m->work);
  free(m->work);
  free(m->params);
  free(m->layout);
  free(m->lineage);
  free(m);
}

int model_part_add(model_part *out, int n, int depth, size_t offset, size_t count, const char *fmt,
                   ...) {
  TN_ASSERT(n >= 0 && n < MODEL_MAX_PARTS);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out[n].name, sizeof out[n].name, fmt, ap);
  va_end(ap);
  out[n].depth = depth;
  out[n].offset = offset;
  out[n].count = count;
  return n + 1;
}

const char *tn_model_lineage(const tn_model *m) { return m->lineage ? m->lineage : ""; }

tn_status tn_model_set_lineage(tn_model *m, const char *text) {
  char *copy = NULL;
  if (text && *text) {
    size_t len = strlen(text);
    if (!(copy = malloc(len + 1)))
      return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NO_MEMORY, "out of memory");
    memcpy(copy, text, len + 1);
  }
  free(m->lineage);
  m->lineage = copy;
  return TN_STATUS_OK;
}

const char *tn_model_errmsg(const tn_model *m) { return m ? m->errmsg : "no model"; }
tn_model_options tn_model_get_options(const tn_model *m) { return m->opt; }
double tn_model_cutoff(const tn_model *m) { return m->opt.cutoff; }
int tn_model_hops(const tn_model *m) { return m->arch->hops(m); }
int64_t tn_model_param_count(const tn_model *m) { return (int64_t)m->n_params; }

int tn_model_elements(const tn_model *m, int32_t *out) {
  memcpy(out, m->elements, (size_t)m->n_elements * sizeof *out);
  return m->n_elements;
}

void tn_model_get_shifts(const tn_model *m, double *shift, double *scale) {
  if (shift) memcpy(shift, m->shift, (size_t)m->n_elements * sizeof *shift);
  if (scale) *scale = m->scale;
}

void tn_model_set_shifts(tn_model *m, const double *shift, double scale) {
  memcpy(m->shift, shift, (size_t)m->n_elements * sizeof *shift);
  m->scale = scale;
}

/* Solves the symmetric positive-definite system A x = b (n ≤ 16) by
 * Cholesky, in place; 0 on success, −1 when a pivot is not above floor. */
static int cholesky_solve(double *a, double *x, int n, double floor) {
  for (int j = 0; j < n; j++) {
    double d = a[j * n + j];
    for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > floor)) return -1;
    a[j * n + j] = sqrt(d);
    for (int i = j + 1; i < n; i++) {
      double s = a[i * n + j];
      for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / a[j * n + j];
    }
  }
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < i; k++) x[i] -= a[i * n + k] * x[k];
    x[i] /= a[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    for (int k = i + 1; k < n; k++) x[i] -= a[k * n + i] * x[k];
    x[i] /= a[i * n + i];
  }
  return 0;
}

/* Least-squares shifts mu[n_elements] of the targets t_f = E_f − base[q]
 * (base NULL: 0) against the composition of frames f = which[q] (q when
 * which is NULL) that have an energy; *used counts them and *s2_out gets
 * Σ_f r_f² / N_f of the residuals r_f. */
static tn_status solve_shifts(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n,
                              const double *base, double *mu, int64_t *used, double *s2_out) {
  const tn_column *energy = tn_dataset_column(ds, TN_LABEL_ENERGY);
  if (!energy)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NOT_FOUND,
                   "fitting shifts: the data have no '%s' column", TN_LABEL_ENERGY);
  int ne = m->n_elements;
  double ata[MODEL_MAX_ELEMENTS * MODEL_MAX_ELEMENTS] = {0}, atb[MODEL_MAX_ELEMENTS] = {0};
  *used = 0;
  for (int64_t q = 0; q < n; q++) {
    int64_t f = which ? which[q] : q;
    if (!energy->present[f]) continue;
    double count[MODEL_MAX_ELEMENTS] = {0};
    for (int64_t a = ds->atom_start[f]; a < ds->atom_start[f + 1]; a++) {
      int t = model_element_index(m, ds->species[a]);
      if (t < 0)
        return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_BAD_INPUT,
                       "fitting shifts: frame %lld has element %s, which the model lacks",
                       (long long)f + 1, tn_element_symbol(ds->species[a]));
      count[t] += 1.0;
    }
    double target = energy->values[f] - (base ? base[q] : 0.0);
    for (int i = 0; i < ne; i++) {
      atb[i] += count[i] * target;
      for (int j = 0; j < ne; j++) ata[i * ne + j] += count[i] * count[j];
    }
    (*used)++;
  }
  if (*used == 0)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NOT_FOUND,
                   "fitting shifts: no frame has an energy");
  /* Plain least squares when the compositions determine every shift; else
   * a tiny ridge picks the minimum-norm solution (one molecule: only
   * Σ n_Z μ_Z is known). */
  double trace = 0.0, chol[MODEL_MAX_ELEMENTS * MODEL_MAX_ELEMENTS];
  for (int i = 0; i < ne; i++) trace += ata[i * ne + i];
  memcpy(chol, ata, sizeof chol);
  memcpy(mu, atb, (size_t)ne * sizeof *mu);
  if (cholesky_solve(chol, mu, ne, 1e-12 * trace) == 0) goto solved;
  for (int i = 0; i < ne; i++) ata[i * ne + i] += 1e-10 * trace / ne;
  memcpy(mu, atb, (size_t)ne * sizeof *mu);
  if (cholesky_solve(ata, mu, ne, 0.0))
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_BAD_INPUT,
                   "fitting shifts: the composition system is singular");
solved:;
  /* s2 = Σ_f r_f² / N_f over the frames used */
  double s2 = 0.0;
  for (int64_t q = 0; q < n; q++) {
    int64_t f = which ? which[q] : q;
    if (!energy->present[f]) continue;
    double r = energy->values[f] - (base ? base[q] : 0.0);
    int64_t na = ds->atom_start[f + 1] - ds->atom_start[f];
    for (int64_t a = ds->atom_start[f]; a < ds->atom_start[f + 1]; a++)
      r -= mu[model_element_index(m, ds->species[a])];
    if (na > 0) s2 += r * r / (double)na;
  }
  *s2_out = s2;
  return TN_STATUS_OK;
}

tn_status tn_model_fit_shifts(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n) {
  if (!which) n = ds->n_frames;
  double mu[MODEL_MAX_ELEMENTS], s2;
  int64_t used;
  tn_status st = solve_shifts(m, ds, which, n, NULL, mu, &used, &s2);
  if (st != TN_STATUS_OK) return st;
  /* σ² = mean_f r_f² / N_f: the variance of one atom's share of the
   * residual, if atoms contribute independently. */
  double sigma = sqrt(s2 / (double)used);
  /* One frame, or energies that composition alone explains, leave no
   * spread: keep the network's output in eV then. */
  memcpy(m->shift, mu, (size_t)m->n_elements * sizeof *mu);
  m->scale = sigma > 1e-6 ? sigma : 1.0;
  return TN_STATUS_OK;
}

tn_status tn_model_refit_shifts(tn_model *m, const tn_dataset *ds, const int64_t *which,
                                int64_t n) {
  const tn_column *energy = tn_dataset_column(ds, TN_LABEL_ENERGY);
  if (!energy)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NOT_FOUND,
                   "refitting shifts: the data have no '%s' column", TN_LABEL_ENERGY);
  if (!which) n = ds->n_frames;
  double *pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
  if (!pred) return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NO_MEMORY, "out of memory");
  /* The corrections δ_Z fit what the model now misses, E_f − Ê_f; where the
   * compositions leave them open (one molecule), the minimum-norm δ moves
   * the old shifts least. */
  tn_status st = TN_STATUS_OK;
  for (int64_t q = 0; q < n && st == TN_STATUS_OK; q++) {
    int64_t f = which ? which[q] : q;
    tn_frame fr;
    pred[q] = 0.0;
    if (!energy->present[f]) continue;
    tn_dataset_frame(ds, f, &fr);
    st = tn_model_eval(m, &fr, &pred[q], NULL, NULL, NULL);
    if (st != TN_STATUS_OK) {
      char why[sizeof m->errmsg];
      snprintf(why, sizeof why, "%s", m->errmsg);
      tn_fail(m->errmsg, sizeof m->errmsg, st, "refitting shifts: frame %lld: %s", (long long)f + 1,
              why);
    }
  }
  double delta[MODEL_MAX_ELEMENTS], s2;
  int64_t used;
  if (st == TN_STATUS_OK) st = solve_shifts(m, ds, which, n, pred, delta, &used, &s2);
  if (st == TN_STATUS_OK)
    for (int z = 0; z < m->n_elements; z++) m->shift[z] += delta[z];
  free(pred);
  return st;
}

/* ------------------------------------------------------------ evaluation */

tn_status model_work_init(model_work *w) {
  memset(w, 0, sizeof *w);
  w->nl = tn_neighbors_create();
  return w->nl ? TN_STATUS_OK : TN_STATUS_NO_MEMORY;
}

void model_work_free(model_work *w) {
  if (!w) return;
  model_batch_free(&w->batch);
  tn_neighbors_free(w->nl);
  free(w->ws);
  free(w->y);
  free(w->gy);
  free(w->gd);
  free(w->ea);
  memset(w, 0, sizeof *w);
}

tn_status model_work_reserve(model_work *w, const tn_model *m, int tangent, char *err,
                             size_t err_len) {
  return model_work_reserve_edges(w, m, tangent, 0, err, err_len);
}

tn_status model_work_reserve_edges(model_work *w, const tn_model *m, int tangent, int64_t min_edges,
                                   char *err, size_t err_len) {
  const model_batch *b = &w->batch;
  int64_t n_edges = b->n_edges > min_edges ? b->n_edges : min_edges;
  size_t need = m->arch->workspace_size(m, b->n_atoms, n_edges, tangent);
  w->stacked = tangent;
  if (need > w->ws_size) {
    void *p = realloc(w->ws, need);
    if (!p) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory (%zu bytes)", need);
    w->ws = p;
    w->ws_size = need;
  }
  if (tn_grow((void **)&w->y, &w->cap_y, 2 * (int64_t)b->n_atoms + 2, sizeof *w->y) ||
      tn_grow((void **)&w->gy, &w->cap_gy, 2 * (int64_t)b->n_atoms + 2, sizeof *w->gy) ||
      tn_grow((void **)&w->gd, &w->cap_gd, 6 * n_edges + 6, sizeof *w->gd) ||
      tn_grow((void **)&w->ea, &w->cap_ea, (int64_t)b->n_atoms + 1, sizeof *w->ea))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for a batch");
  return TN_STATUS_OK;
}

void model_predict(const tn_model *m, const tn_real *params, model_work *w, double *atom_energies,
                   double (*forces)[3], double (*virial)[3][3], const uint8_t *contributing) {
  const model_batch *b = &w->batch;
  m->arch->forward(m, params, w->ws, w->stacked, b, w->y);
  if (atom_energies)
    for (int a = 0; a < b->n_atoms; a++)
      atom_energies[a] = m->scale * (double)w->y[a] + m->shift[b->type[a]];
  if (!forces && !virial) return;
  /* ∂E/∂y_i = σ for every atom whose energy counts, 0 for padding atoms */
  for (int a = 0; a < b->n_atoms; a++)
    w->gy[a] = !contributing || contributing[a] ? (tn_real)m->scale : (tn_real)0;
  memset(w->gd, 0, (size_t)b->n_edges * 3 * sizeof *w->gd);
  m->arch->backward(m, params, w->ws, w->stacked, b, w->gy, w->gd, NULL, 0);
  model_batch_forces(forces, virial, b, w->gd);
}

/* m->work, made on first use (NO_MEMORY with the message otherwise). */
static tn_status model_own_work(tn_model *m) {
  if (m->work) return TN_STATUS_OK;
  m->work = calloc(1, sizeof *m->work);
  if (!m->work || model_work_init(m->work) != TN_STATUS_OK) {
    free(m->work);
    m->work = NULL;
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_NO_MEMORY, "out of memory");
  }
  return TN_STATUS_OK;
}

int tn_model_feature_count(const tn_model *m) {
  return m->arch->feature_count && m->arch->features ? m->arch->feature_count(m) : 0;
}

tn_status model_one_frame_batch(tn_model *m, const tn_frame *frame) {
  tn_status st = model_own_work(m);
  if (st != TN_STATUS_OK) return st;
  model_work *w = m->work;
  model_batch_begin(&w->batch);
  st = model_batch_add(&w->batch, m, w->nl, frame, 0, m->errmsg, sizeof m->errmsg);
  if (st == TN_STATUS_OK) st = model_work_reserve(w, m, 0, m->errmsg, sizeof m->errmsg);
  return st;
}

tn_status tn_model_atom_features(tn_model *m, const tn_frame *frame, double *features) {
  if (!m->arch->feature_count || !m->arch->features)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_UNSUPPORTED,
                   "atom features: architecture '%s' does not provide them", m->arch->name);
  if (!frame)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "atom features: no frame given");
  if (!features && frame->n_atoms > 0)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "atom features: no output array for %d atoms", frame->n_atoms);
  /* The batch path of tn_model_eval: one frame, no tangents; the forward
   * pass leaves the representation in the workspace for the hook to read. */
  tn_status st = model_one_frame_batch(m, frame);
  if (st != TN_STATUS_OK) return st;
  model_work *w = m->work;
  m->arch->forward(m, m->params, w->ws, w->stacked, &w->batch, w->y);
  m->arch->features(m, m->params, w->ws, w->stacked, &w->batch, features);
  return TN_STATUS_OK;
}

/* The frame's batch from the caller's neighbor list (see tn_eval_options):
 * model_one_frame_batch without building a list. */
static tn_status one_frame_batch_list(tn_model *m, const tn_frame *frame, const tn_neighbors *nl) {
  tn_status st = model_own_work(m);
  if (st != TN_STATUS_OK) return st;
  model_work *w = m->work;
  if (nl->cutoff < m->opt.cutoff)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "the neighbor list's cutoff %g Å is below the model's %g Å", nl->cutoff,
                   m->opt.cutoff);
  model_batch_begin(&w->batch);
  st = model_batch_add_list(&w->batch, m, nl, frame, 0, m->errmsg, sizeof m->errmsg);
  if (st == TN_STATUS_OK)
    st = model_work_reserve_edges(w, m, 0, nl->n_pairs, m->errmsg, sizeof m->errmsg);
  return st;
}

tn_status tn_model_eval_with(tn_model *m, const tn_frame *frame, const tn_eval_options *opt,
                             double *energy, double (*forces)[3], double virial[3][3],
                             double *atom_energies) {
  if (!frame || frame->n_atoms < 0)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "evaluation: no frame, or a negative atom count");
  const tn_neighbors *nl = opt ? opt->neighbors : NULL;
  const uint8_t *contributing = opt ? opt->contributing : NULL;
  tn_status st = nl ? one_frame_batch_list(m, frame, nl) : model_one_frame_batch(m, frame);
  if (st != TN_STATUS_OK) return st;
  model_work *w = m->work;
  int n = frame->n_atoms;
  /* Atomic energies go to the work buffer when the caller wants only the
   * total: no allocation once the work has seen a frame this large (MD). */
  double *ea = atom_energies ? atom_energies : energy ? w->ea : NULL;
  double w_frame[1][3][3];
  model_predict(m, m->params, w, ea, forces, virial ? w_frame : NULL, contributing);
  if (energy) {
    double e = 0.0;
    for (int a = 0; a < n; a++)
      if (!contributing || contributing[a]) e += ea[a];
    *energy = e;
  }
  if (virial) memcpy(virial, w_frame[0], sizeof w_frame[0]);
  return TN_STATUS_OK;
}

tn_status tn_model_eval(tn_model *m, const tn_frame *frame, double *energy, double (*forces)[3],
                        double stress[3][3], double *atom_energies) {
  double volume = tn_cell_volume((const double(*)[3])frame->cell);
  if (stress && !tn_cell_periodic((const double(*)[3])frame->cell, frame->pbc))
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "stress needs a periodic cell of positive volume");
  double virial[3][3];
  tn_status st =
      tn_model_eval_with(m, frame, NULL, energy, forces, stress ? virial : NULL, atom_energies);
  if (st == TN_STATUS_OK && stress)
    for (int x = 0; x < 3; x++)
      for (int y = 0; y < 3; y++) stress[x][y] = virial[x][y] / volume;
  return st;
}
