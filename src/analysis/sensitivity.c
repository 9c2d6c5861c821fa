/* Sensitivities ‖∂E_i/∂R_j‖ binned by distance per species pair, and the
 * effective range of a model's interactions (Esders et al., "Analyzing
 * atomic interactions in molecules as learned by neural networks",
 * 2024/25). Conventions in sensitivity.h. */
#include "sensitivity.h"

#include <math.h>
#include <string.h>

#include "../models/model.h"

sens_options sens_options_default(void) {
  sens_options o = {.bin_width = 0.1, .r_max = 10.0, .threshold = 1e-3};
  return o;
}

static int compare_int32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Index of the unordered pair of element indices {a, b} in a-major order
 * over a ≤ b: the rows before a hold ne + (ne − 1) + ... + (ne − a + 1). */
static int pair_index(int ne, int a, int b) {
  if (a > b) {
    int t = a;
    a = b;
    b = t;
  }
  return a * ne - a * (a - 1) / 2 + (b - a);
}

static int element_index(const sens_result *s, int32_t z) {
  for (int q = 0; q < s->n_elements; q++)
    if (s->elements[q] == z) return q;
  return -1;
}

static void stat_add(sens_stat *st, double v) {
  st->count++;
  st->sum += v;
  if (v > st->max) st->max = v;
}

static void stat_finish(sens_stat *st) { st->mean = st->count ? st->sum / (double)st->count : NAN; }

tn_status sens_create(sens_result **out, const int32_t *elements, int n_elements,
                      const sens_options *opt, char *err, size_t err_len) {
  if (!out || !elements || !opt)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: NULL argument");
  *out = NULL;
  if (n_elements < 1 || n_elements > SENS_MAX_ELEMENTS)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: 1 to %d elements, got %d",
                   SENS_MAX_ELEMENTS, n_elements);
  if (!(opt->bin_width > 0.0 && isfinite(opt->bin_width)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: field 'bin_width': must be a positive number of Å, got %g",
                   opt->bin_width);
  if (!(opt->r_max > 0.0 && isfinite(opt->r_max)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: field 'r_max': must be a positive number of Å, got %g",
                   opt->r_max);
  if (!(opt->threshold > 0.0 && opt->threshold < 1.0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: field 'threshold': must be in (0, 1), got %g", opt->threshold);
  double bins = ceil(opt->r_max / opt->bin_width);
  if (!(bins <= SENS_MAX_BINS))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: fields 'r_max' / 'bin_width': %g bins, at most %d", bins,
                   SENS_MAX_BINS);
  tn_status st = TN_STATUS_OK;
  sens_result *s = calloc(1, sizeof *s);
  if (!s) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "sensitivities: out of memory");
  s->opt = *opt;
  s->n_bins = bins < 1 ? 1 : (int)bins;
  s->n_elements = n_elements;
  memcpy(s->elements, elements, (size_t)n_elements * sizeof *elements);
  qsort(s->elements, (size_t)n_elements, sizeof *s->elements, compare_int32);
  for (int q = 0; q < n_elements; q++) {
    if (!tn_element_symbol(s->elements[q])) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: unknown atomic number %d",
                   (int)s->elements[q]);
      goto fail;
    }
    if (q > 0 && s->elements[q] == s->elements[q - 1]) {
      st = tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: element %s listed twice",
                   tn_element_symbol(s->elements[q]));
      goto fail;
    }
  }
  s->n_pairs = n_elements * (n_elements + 1) / 2;
  s->pairs = calloc((size_t)s->n_pairs, sizeof *s->pairs);
  if (!s->pairs) goto oom;
  for (int a = 0; a < n_elements; a++)
    for (int b = a; b < n_elements; b++) {
      sens_pair *p = &s->pairs[pair_index(n_elements, a, b)];
      p->z[0] = s->elements[a];
      p->z[1] = s->elements[b];
      p->bins = calloc((size_t)s->n_bins, sizeof *p->bins);
      if (!p->bins) goto oom;
    }
  sens_finish(s);
  *out = s;
  return TN_STATUS_OK;
oom:
  st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "sensitivities: out of memory for %d bins",
               s->n_bins);
fail:
  sens_free(s);
  return st;
}

void sens_free(sens_result *s) {
  if (!s) return;
  if (s->pairs)
    for (int p = 0; p < s->n_pairs; p++) free(s->pairs[p].bins);
  free(s->pairs);
  free(s->jac);
  free(s->type);
  free(s);
}

/* ------------------------------------------------------------ distances */

static void cross(double out[3], const double a[3], const double b[3]) {
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm3(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

int sens_cell_init(sens_cell *c, const tn_frame *frame) {
  memset(c, 0, sizeof *c);
  int per[3], np = 0;
  for (int k = 0; k < 3; k++) {
    c->periodic[k] = frame->pbc[k] ? 1 : 0;
    if (c->periodic[k]) per[np++] = k;
  }
  /* Periodic rows as given; the others perpendicular to them, so that the
   * fractional offsets along periodic axes are those of the lattice. */
  double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int q = 0; q < np; q++) memcpy(c->basis[per[q]], frame->cell[per[q]], sizeof c->basis[0]);
  if (np == 0) {
    memcpy(c->basis, e, sizeof e);
  } else if (np == 1) {
    const double *a = c->basis[per[0]];
    /* the Cartesian axis least aligned with a gives a well-conditioned u */
    int least = 0;
    for (int k = 1; k < 3; k++)
      if (fabs(a[k]) < fabs(a[least])) least = k;
    double u[3], v[3];
    cross(u, a, e[least]);
    cross(v, a, u);
    int o1 = (per[0] + 1) % 3, o2 = (per[0] + 2) % 3;
    memcpy(c->basis[o1], u, sizeof u);
    memcpy(c->basis[o2], v, sizeof v);
  } else if (np == 2) {
    int other = 3 - per[0] - per[1];
    cross(c->basis[other], c->basis[per[0]], c->basis[per[1]]);
  }
  double(*m)[3] = c->basis;
  double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
               m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
               m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  double scale = norm3(m[0]) * norm3(m[1]) * norm3(m[2]);
  if (!(fabs(det) > 1e-10 * scale) || !isfinite(det)) return -1;
  /* inverse by cofactors: inv[k][l] = cof[l][k] / det */
  for (int k = 0; k < 3; k++)
    for (int l = 0; l < 3; l++) {
      int r0 = (l + 1) % 3, r1 = (l + 2) % 3, c0 = (k + 1) % 3, c1 = (k + 2) % 3;
      c->inv[k][l] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  return 0;
}

double sens_cell_distance(const sens_cell *c, const double a[3], const double b[3]) {
  double d[3];
  for (int x = 0; x < 3; x++) d[x] = b[x] - a[x];
  int any = c->periodic[0] || c->periodic[1] || c->periodic[2];
  if (!any) return norm3(d);
  /* frac = d · inv; remove the whole cells along periodic axes */
  for (int k = 0; k < 3; k++) {
    if (!c->periodic[k]) continue;
    double f = d[0] * c->inv[0][k] + d[1] * c->inv[1][k] + d[2] * c->inv[2][k];
    double nk = round(f);
    for (int x = 0; x < 3; x++) d[x] -= nk * c->basis[k][x];
  }
  int lo[3], hi[3];
  for (int k = 0; k < 3; k++) lo[k] = c->periodic[k] ? -2 : 0, hi[k] = -lo[k];
  double best = INFINITY;
  for (int i = lo[0]; i <= hi[0]; i++)
    for (int j = lo[1]; j <= hi[1]; j++)
      for (int k = lo[2]; k <= hi[2]; k++) {
        double r2 = 0.0;
        for (int x = 0; x < 3; x++) {
          double v = d[x] - i * c->basis[0][x] - j * c->basis[1][x] - k * c->basis[2][x];
          r2 += v * v;
        }
        if (r2 < best) best = r2;
      }
  return sqrt(best);
}

/* --------------------------------------------------------------- binning */

tn_status sens_add_jacobian(sens_result *s, const tn_frame *frame, const double *jac, int64_t id,
                            char *err, size_t err_len) {
  if (!s || !frame)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: NULL argument");
  long long fid = (long long)id + 1;
  int n = frame->n_atoms;
  if (n < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: frame %lld: field 'n_atoms': %d is negative", fid, n);
  if (n == 0) {
    s->n_frames++;
    return TN_STATUS_OK;
  }
  if (!jac || !frame->species || !frame->pos)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: frame %lld: NULL species, positions or Jacobian", fid);
  if (tn_grow((void **)&s->type, &s->type_cap, n, sizeof *s->type))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "sensitivities: out of memory");
  /* Everything is checked before anything is added. */
  for (int a = 0; a < n; a++) {
    int t = element_index(s, frame->species[a]);
    if (t < 0) {
      const char *sym = tn_element_symbol(frame->species[a]);
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "sensitivities: frame %lld, atom %d: field 'species': element %s (Z = %d) "
                     "is not among the elements analysed",
                     fid, a + 1, sym ? sym : "?", (int)frame->species[a]);
    }
    s->type[a] = t;
    for (int x = 0; x < 3; x++)
      if (!isfinite(frame->pos[a][x]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "sensitivities: frame %lld, atom %d: field 'pos': not finite", fid, a + 1);
  }
  size_t nn = (size_t)n * (size_t)n * 3;
  for (size_t q = 0; q < nn; q++)
    if (!isfinite(jac[q]))
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "sensitivities: frame %lld: field 'jacobian': dE_%d/dR_%d is not finite", fid,
                     (int)(q / 3 / (size_t)n) + 1, (int)(q / 3 % (size_t)n) + 1);
  sens_cell cell;
  if (sens_cell_init(&cell, frame))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "sensitivities: frame %lld: field 'cell': the periodic lattice vectors are "
                   "degenerate",
                   fid);
  int ne = s->n_elements;
  double w = s->opt.bin_width;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      const double *g = jac + ((size_t)i * (size_t)n + (size_t)j) * 3;
      double v = norm3(g);
      if (i == j) {
        stat_add(&s->self[s->type[i]], v);
        continue;
      }
      sens_pair *p = &s->pairs[pair_index(ne, s->type[i], s->type[j])];
      double r = sens_cell_distance(&cell, frame->pos[i], frame->pos[j]);
      if (r >= s->opt.r_max) {
        stat_add(&p->beyond, v);
        continue;
      }
      int b = (int)floor(r / w);
      if (b >= s->n_bins) b = s->n_bins - 1; /* r just below r_max, rounded up */
      stat_add(&p->bins[b], v);
    }
  s->n_frames++;
  return TN_STATUS_OK;
}

tn_status sens_add_frame(sens_result *s, tn_model *m, const tn_frame *frame, int64_t id, char *err,
                         size_t err_len) {
  if (!s || !m || !frame)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "sensitivities: NULL argument");
  int n = frame->n_atoms;
  if (n < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "sensitivities: frame %lld: field 'n_atoms': %d is negative", (long long)id + 1,
                   n);
  int64_t need = (int64_t)n * n * 3 + 1;
  if (tn_grow((void **)&s->jac, &s->jac_cap, need, sizeof *s->jac))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                   "sensitivities: frame %lld: out of memory for the Jacobian of %d atoms",
                   (long long)id + 1, n);
  tn_status st = tn_model_energy_jacobian(m, frame, s->jac);
  if (st != TN_STATUS_OK)
    return tn_fail(err, err_len, st, "sensitivities: frame %lld: %s", (long long)id + 1,
                   tn_model_errmsg(m));
  return sens_add_jacobian(s, frame, s->jac, id, err, err_len);
}

/* -------------------------------------------------------------- summary */

double sens_effective_range(const sens_stat *bins, int n_bins, double bin_width, double threshold) {
  double peak = -1.0;
  for (int b = 0; b < n_bins; b++)
    if (bins[b].count > 0 && bins[b].mean > peak) peak = bins[b].mean;
  if (peak < 0.0) return NAN;
  for (int b = n_bins - 1; b >= 0; b--)
    if (bins[b].count > 0 && bins[b].mean > threshold * peak) return (b + 1) * bin_width;
  return 0.0;
}

void sens_finish(sens_result *s) {
  for (int e = 0; e < s->n_elements; e++) stat_finish(&s->self[e]);
  for (int q = 0; q < s->n_pairs; q++) {
    sens_pair *p = &s->pairs[q];
    p->peak_mean = NAN;
    for (int b = 0; b < s->n_bins; b++) {
      stat_finish(&p->bins[b]);
      if (p->bins[b].count > 0 && !(p->bins[b].mean <= p->peak_mean))
        p->peak_mean = p->bins[b].mean;
    }
    stat_finish(&p->beyond);
    double range = sens_effective_range(p->bins, s->n_bins, s->opt.bin_width, s->opt.threshold);
    /* the last bin may end beyond r_max (a partial bin): r_max then; NaN stays */
    p->effective_range = range > s->opt.r_max ? s->opt.r_max : range;
  }
}

const sens_pair *sens_pair_find(const sens_result *s, int32_t za, int32_t zb) {
  int a = element_index(s, za), b = element_index(s, zb);
  if (a < 0 || b < 0) return NULL;
  return &s->pairs[pair_index(s->n_elements, a, b)];
}

double sens_nominal_range(const tn_model *m) { return tn_model_cutoff(m) * tn_model_hops(m); }
