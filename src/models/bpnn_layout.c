/* The layout of a Behler–Parrinello model (bpnn.h): allocation, checks and
 * installation into a model, and the symmetry-function grid that
 * tn_model_options describe (tanne.h, "BPNN"). */
#include <math.h>
#include <string.h>

#include "bpnn.h"

/* ----------------------------------------------------------------- layout */

bp_layout *bp_layout_alloc(int n_sf) {
  size_t head = (sizeof(bp_layout) + 15) / 16 * 16;
  size_t fns = ((size_t)n_sf * sizeof(acsf_fn) + 15) / 16 * 16;
  size_t bytes = head + fns + (size_t)n_sf * 3 * sizeof(double);
  bp_layout *L = calloc(1, bytes);
  if (!L) return NULL;
  L->bytes = bytes;
  L->n_sf = n_sf;
  L->fn_off = head;
  L->scale_off = head + fns;
  double(*sc)[3] = bp_scales(L);
  for (int s = 0; s < n_sf; s++) sc[s][1] = 1.0; /* c = 0, a = 1, s_min = 0 */
  return L;
}

static tn_status check_fn(const acsf_fn *f, int n_el, double cutoff, int t, int s, char *err,
                          size_t err_len) {
  const char *bad = NULL;
  if (f->kind != ACSF_RADIAL && f->kind != ACSF_NARROW && f->kind != ACSF_WIDE)
    bad = "type is not 2, 3 or 9";
  else if (f->e1 < 0 || f->e1 >= n_el)
    bad = "neighbour element out of range";
  else if (f->kind == ACSF_RADIAL ? f->e2 != -1 : (f->e2 < f->e1 || f->e2 >= n_el))
    bad = "second neighbour element out of range";
  else if (!(isfinite(f->eta) && f->eta >= 0.0))
    bad = "eta must be finite and >= 0";
  else if (!isfinite(f->rs))
    bad = "rs must be finite";
  else if (!(f->rc > 0.0 && f->rc <= cutoff * (1.0 + 1e-12)))
    bad = "rc must be in (0, model cutoff]";
  else if (f->kind != ACSF_RADIAL && !(isfinite(f->lambda) && isfinite(f->zeta) && f->zeta >= 1.0))
    bad = "lambda must be finite and zeta >= 1";
  if (bad)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "bpnn: element %d, symmetry function %d: %s",
                   t + 1, s + 1, bad);
  return TN_STATUS_OK;
}

tn_status bp_layout_install(tn_model *m, bp_layout *L, char *err, size_t err_len) {
  tn_status st = TN_STATUS_OK;
  if (L->n_el != m->n_elements) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "bpnn: %d element networks for %d elements",
                 L->n_el, m->n_elements);
    goto fail;
  }
  if (L->cutoff.type < 0 || L->cutoff.type >= ACSF_CUT_COUNT ||
      !(L->cutoff.alpha >= 0.0 && L->cutoff.alpha < 1.0)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "bpnn: cutoff type %d or alpha %g out of range (0..8, 0 <= alpha < 1)",
                 L->cutoff.type, L->cutoff.alpha);
    goto fail;
  }
  acsf_fn *fn = bp_fns(L);
  double(*sc)[3] = bp_scales(L);
  L->n_radii = 0;
  L->max_sf = 1;
  L->max_width = 1;
  size_t off = 0;
  int next = 0;
  for (int t = 0; t < L->n_el; t++) {
    bp_element *E = &L->el[t];
    if (E->first != next || E->n_sf < 1 || E->n_sf > BP_MAX_SF || E->first + E->n_sf > L->n_sf ||
        E->n_hidden < 0 || E->n_hidden > BP_MAX_HIDDEN) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "bpnn: element %s: %d symmetry functions (1..%d) or %d hidden layers (0..%d)",
                   tn_element_symbol(m->elements[t]), E->n_sf, BP_MAX_SF, E->n_hidden,
                   BP_MAX_HIDDEN);
      goto fail;
    }
    next += E->n_sf;
    E->width[0] = E->n_sf;
    E->width[E->n_hidden + 1] = 1;
    for (int l = 0; l <= E->n_hidden; l++) {
      int w = E->width[l + 1], last = l == E->n_hidden;
      if (w < 1 || w > BP_MAX_WIDTH || E->act[l] < 0 || E->act[l] >= BP_ACT_COUNT ||
          (last && E->act[l] != BP_ACT_IDENTITY)) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "bpnn: element %s, layer %d: width %d (1..%d) or activation %d invalid "
                     "(the output layer must be linear)",
                     tn_element_symbol(m->elements[t]), l + 1, w, BP_MAX_WIDTH, E->act[l]);
        goto fail;
      }
      if (w > L->max_width) L->max_width = w;
      E->dense[l] = nn_dense_make(E->width[l], w, 1, &off);
    }
    if (E->n_sf > L->max_sf) L->max_sf = E->n_sf;
    if (E->n_sf > L->max_width) L->max_width = E->n_sf;
    for (int s = E->first; s < E->first + E->n_sf; s++) {
      if ((st = check_fn(&fn[s], L->n_el, m->opt.cutoff, t, s - E->first, err, err_len))) goto fail;
      if (!(isfinite(sc[s][0]) && isfinite(sc[s][1]) && isfinite(sc[s][2]))) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "bpnn: element %s, symmetry function %d: scaling is not finite",
                     tn_element_symbol(m->elements[t]), s - E->first + 1);
        goto fail;
      }
      int q = 0;
      while (q < L->n_radii && L->radii[q] != fn[s].rc) q++;
      if (q == L->n_radii) {
        if (q == ACSF_MAX_RADII) {
          st = tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                       "bpnn: more than %d distinct cutoff radii", ACSF_MAX_RADII);
          goto fail;
        }
        L->radii[L->n_radii++] = fn[s].rc;
      }
      fn[s].slot = q;
    }
  }
  if (next != L->n_sf) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "bpnn: %d symmetry functions, %d used", L->n_sf,
                 next);
    goto fail;
  }
  /* A model being set up (tn_model_create) has no params yet and allocates
   * them after setup; a complete one gets a zeroed block of the new size. */
  if (m->params) {
    tn_real *p = calloc(off ? off : 1, sizeof *p);
    if (!p) {
      st =
          tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory for %zu parameters", off);
      goto fail;
    }
    free(m->params);
    m->params = p;
  }
  m->n_params = off;
  free(m->layout);
  m->layout = L;
  return TN_STATUS_OK;
fail:
  free(L);
  return st;
}

/* The grid of tn_model_options (tanne.h, "BPNN"). */
tn_status bpnn_setup(tn_model *m, char *err, size_t err_len) {
  const tn_model_options *o = &m->opt;
  int ne = m->n_elements, nr = o->acsf_radial, na = o->acsf_angular;
  int act = bp_act_from_name(o->activation), cut = acsf_cut_from_name(o->acsf_cutoff);
  int narrow = strcmp(o->acsf_angular_kind, "narrow") == 0;
  if (o->features < 1 || o->features > BP_MAX_WIDTH)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "bpnn: model.features (hidden-layer width) must be in 1..%d, got %d",
                   BP_MAX_WIDTH, o->features);
  if (o->interactions < 1 || o->interactions > BP_MAX_HIDDEN)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "bpnn: model.interactions (hidden layers) must be in 1..%d, got %d",
                   BP_MAX_HIDDEN, o->interactions);
  if (act < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "bpnn: unknown model.activation '%s'",
                   o->activation);
  if (cut < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "bpnn: unknown model.acsf_cutoff '%s'",
                   o->acsf_cutoff);
  if (!narrow && strcmp(o->acsf_angular_kind, "wide") != 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "bpnn: model.acsf_angular_kind must be 'wide' or 'narrow', got '%s'",
                   o->acsf_angular_kind);
  if (bp_scaling_from_name(o->acsf_scaling) < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "bpnn: unknown model.acsf_scaling '%s'",
                   o->acsf_scaling);
  if (nr < 1 || nr > 64 || na < 0 || na > 32 || na % 2)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "bpnn: model.acsf_radial must be in 1..64 and model.acsf_angular even in "
                   "0..32, got %d and %d",
                   nr, na);
  int per_el = ne * nr + ne * (ne + 1) / 2 * na;
  if (per_el > BP_MAX_SF)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "bpnn: %d symmetry functions per element, at most %d", per_el, BP_MAX_SF);
  bp_layout *L = bp_layout_alloc(ne * per_el);
  if (!L) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory");
  L->cutoff.type = cut;
  L->cutoff.alpha = 0.0;
  L->n_el = ne;
  acsf_fn *fn = bp_fns(L);
  double rc = o->cutoff;
  int s = 0;
  for (int t = 0; t < ne; t++) {
    bp_element *E = &L->el[t];
    E->first = s;
    E->n_sf = per_el;
    E->n_hidden = o->interactions;
    for (int l = 0; l < E->n_hidden; l++) {
      E->width[l + 1] = o->features;
      E->act[l] = act;
    }
    E->act[E->n_hidden] = BP_ACT_IDENTITY;
    for (int e = 0; e < ne; e++)
      for (int q = 0; q < nr; q++, s++) {
        double step = 0.8 * rc / (nr > 1 ? nr - 1 : 1);
        fn[s] = (acsf_fn){.kind = ACSF_RADIAL, .e1 = e, .e2 = -1, .rc = rc};
        fn[s].rs = nr > 1 ? rc * 0.1 + q * step : 0.0;
        fn[s].eta = nr > 1 ? 1.0 / (2.0 * step * step) : 2.0 / (rc * rc);
      }
    for (int e1 = 0; e1 < ne; e1++)
      for (int e2 = e1; e2 < ne; e2++)
        for (int q = 0; q < na; q++, s++) {
          fn[s] = (acsf_fn){.kind = narrow ? ACSF_NARROW : ACSF_WIDE, .e1 = e1, .e2 = e2, .rc = rc};
          fn[s].eta = 2.0 / (rc * rc);
          fn[s].zeta = (double)(1 << (q / 2));
          fn[s].lambda = q % 2 ? 1.0 : -1.0;
        }
  }
  return bp_layout_install(m, L, err, err_len);
}
