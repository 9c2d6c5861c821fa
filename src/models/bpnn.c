/* Behler–Parrinello networks (Behler & Parrinello, Phys. Rev. Lett. 98,
 * 146401 (2007); Behler, J. Chem. Phys. 134, 074106 (2011)):
 *
 *   G_i   = ACSF(edges of i)                    symmetry functions (acsf.h)
 *   G̃_i   = s_min + a ⊙ (G_i − c)               fixed scaling per function
 *   y_i   = NN_{Z_i}(G̃_i)                        one dense network per element
 *
 * Atoms of a batch are grouped by element so each network runs as GEMMs on
 * one block of rows. The descriptors have no parameters, so ∂G/∂d is
 * stored in the forward pass and the tangent (Ġ = ∂G/∂d · ḋ) and the edge
 * gradient (gd += ∂G/∂dᵀ gG) are contractions with it. With a tangent the
 * backward pass gives only the parameter gradient (model.h allows it), so no
 * second derivatives of G are formed. */
#include <math.h>
#include <string.h>

#include "bpnn.h"

/* ------------------------------------------------------------ activations */

static const char *const act_names[BP_ACT_COUNT] = {"identity", "tanh", "logistic",
                                                    "softplus", "ssp",  "silu"};
static const char act_letters[BP_ACT_COUNT] = {'l', 't', 's', 'p', 0, 0};

int bp_act_from_name(const char *name) {
  for (int q = 0; q < BP_ACT_COUNT; q++)
    if (strcmp(name, act_names[q]) == 0) return q;
  return -1;
}
const char *bp_act_name(int act) {
  return act >= 0 && act < BP_ACT_COUNT ? act_names[act] : "unknown";
}
int bp_act_from_letter(char c) {
  for (int q = 0; q < BP_ACT_COUNT; q++)
    if (c && act_letters[q] == c) return q;
  return -1;
}
char bp_act_letter(int act) {
  return act >= 0 && act < BP_ACT_COUNT && act_letters[act] ? act_letters[act] : '?';
}

/* f, f' and f'' at x. Softplus ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|)
 * (n2p2's `p`, not shifted); ssp is it minus ln 2. */
static void act_eval(int f, double x, double *y, double *d1, double *d2) {
  switch (f) {
  case BP_ACT_TANH: {
    double t = tanh(x);
    *y = t;
    *d1 = 1.0 - t * t;
    *d2 = -2.0 * t * (1.0 - t * t);
    return;
  }
  case BP_ACT_LOGISTIC:
  case BP_ACT_SOFTPLUS:
  case BP_ACT_SSP:
  case BP_ACT_SILU: {
    double s = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)), ds = s * (1.0 - s);
    if (f == BP_ACT_LOGISTIC) {
      *y = s;
      *d1 = ds;
      *d2 = ds * (1.0 - 2.0 * s);
    } else if (f == BP_ACT_SILU) {
      *y = x * s;
      *d1 = s + x * ds;
      *d2 = ds * (2.0 + x * (1.0 - 2.0 * s));
    } else {
      *y = (x > 0 ? x : 0.0) + log1p(exp(-fabs(x))) - (f == BP_ACT_SSP ? M_LN2 : 0.0);
      *d1 = s;
      *d2 = ds;
    }
    return;
  }
  default:
    *y = x;
    *d1 = 1.0;
    *d2 = 0.0;
  }
}

/* y[n] = f(a[n]) */
static void act_forward(tn_real *y, const tn_real *a, size_t n, int f) {
  double v, d1, d2;
  for (size_t q = 0; q < n; q++) {
    act_eval(f, a[q], &v, &d1, &d2);
    y[q] = (tn_real)v;
  }
}

/* dy = f'(a) da (tangent blocks at offset n) */
static void act_tangent(tn_real *y, const tn_real *a, size_t n, int f) {
  double v, d1, d2;
  for (size_t q = 0; q < n; q++) {
    act_eval(f, a[q], &v, &d1, &d2);
    y[n + q] = (tn_real)(d1 * a[n + q]);
  }
}

/* Adjoint of y = f(a) (and of dy = f'(a) da with tangent):
 * ga += f'(a) gy; ga += f''(a) da gdy; gda += f'(a) gdy */
static void act_backward(tn_real *ga, const tn_real *gy, const tn_real *a, size_t n, int f,
                         int tangent) {
  double v, d1, d2;
  for (size_t q = 0; q < n; q++) {
    act_eval(f, a[q], &v, &d1, &d2);
    ga[q] += (tn_real)(d1 * gy[q]);
    if (tangent) {
      ga[q] += (tn_real)(d2 * a[n + q] * gy[n + q]);
      ga[n + q] += (tn_real)(d1 * gy[n + q]);
    }
  }
}

static void bpnn_init_params(tn_model *m, tn_real *params, tn_rng *rng) {
  const bp_layout *L = m->layout;
  for (int t = 0; t < L->n_el; t++)
    for (int l = 0; l <= L->el[t].n_hidden; l++) nn_dense_init(params, &L->el[t].dense[l], rng);
}

/* -------------------------------------------------------------- workspace */

/* One element's rows; every array is stacked (primal, then tangent). */
typedef struct bp_block {
  int n;                                        /* atoms of this element in the batch */
  tn_real *x0, *gx0;                            /* [n][n_sf] scaled descriptors */
  tn_real *z[BP_MAX_HIDDEN], *a[BP_MAX_HIDDEN]; /* [n][width] pre- and post-activation */
  tn_real *out, *gout;                          /* [n] */
  tn_real *g1, *g2;                             /* [n][max width] gradient scratch */
} bp_block;

typedef struct bp_ws {
  int32_t *pos;    /* [n_atoms] row of each atom in its element's block */
  double *scratch; /* [n_edges][1 + 2 n_radii] distances and cutoffs */
  tn_real *dg;     /* [n_edges][max_sf][3] ∂G/∂d_k of the receiving atom's functions */
  bp_block blk[MODEL_MAX_ELEMENTS];
} bp_ws;

#define BP_ARRAYS_PER_ELEMENT (2 * BP_MAX_HIDDEN + 6)

/* Threads only pay off above this much descriptor work (edges × functions):
 * on small batches their start-up costs more than the loop. */
#define BP_OMP_MIN 16384

/* Lays out the views from base (NULL only counts). With type NULL it
 * returns a bound for any batch of n atoms (element counts unknown). */
static size_t ws_map(bp_ws *w, const bp_layout *L, void *base, int n, int64_t e,
                     const int32_t *type, int stacked) {
  size_t s = stacked ? 2 : 1, used = 0;
  char *p = base;
#define TAKE(ptr, bytes)                                                                           \
  do {                                                                                             \
    (ptr) = base ? (void *)(p + used) : NULL;                                                      \
    used += ((size_t)(bytes) + 63) / 64 * 64;                                                      \
  } while (0)
  TAKE(w->pos, (size_t)n * sizeof(int32_t));
  TAKE(w->scratch, (size_t)e * acsf_scratch_per_edge(L->n_radii) * sizeof(double));
  TAKE(w->dg, (size_t)e * L->max_sf * 3 * sizeof(tn_real));
  int count[MODEL_MAX_ELEMENTS] = {0};
  if (type)
    for (int a = 0; a < n; a++) count[type[a]]++;
  size_t row_max = 0;
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    bp_block *B = &w->blk[t];
    size_t r = type ? (size_t)count[t] : 0, z = s * r * sizeof(tn_real), row = 0;
    B->n = (int)r;
    TAKE(B->x0, z * E->n_sf);
    TAKE(B->gx0, z * E->n_sf);
    row += 2 * (size_t)E->n_sf;
    for (int l = 0; l < E->n_hidden; l++) {
      TAKE(B->z[l], z * E->width[l + 1]);
      TAKE(B->a[l], z * E->width[l + 1]);
      row += 2 * (size_t)E->width[l + 1];
    }
    TAKE(B->out, z);
    TAKE(B->gout, z);
    TAKE(B->g1, z * L->max_width);
    TAKE(B->g2, z * L->max_width);
    row += 2 + 2 * (size_t)L->max_width;
    if (row > row_max) row_max = row;
  }
#undef TAKE
  if (!type) used += s * (size_t)n * row_max * sizeof(tn_real);
  return used;
}

static size_t bpnn_workspace_size(const tn_model *m, int n_atoms, int64_t n_edges, int stacked) {
  bp_ws w;
  return ws_map(&w, m->layout, NULL, n_atoms, n_edges, NULL, stacked) +
         (size_t)MODEL_MAX_ELEMENTS * BP_ARRAYS_PER_ELEMENT * 64;
}

static acsf_set set_of(const bp_layout *L, int t) {
  acsf_set set = {bp_fns(L) + L->el[t].first, L->el[t].n_sf, L->cutoff, L->radii, L->n_radii};
  return set;
}

/* ------------------------------------------------------------------ passes */

static void bpnn_forward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                         const model_batch *b, tn_real *y) {
  const bp_layout *L = m->layout;
  bp_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, b->type, stacked);
  int n = b->n_atoms, count[MODEL_MAX_ELEMENTS] = {0};
  for (int a = 0; a < n; a++) w.pos[a] = count[b->type[a]]++;
  const double(*sc)[3] = (const double(*)[3])bp_scales(L);
  int per_edge = acsf_scratch_per_edge(L->n_radii);
#pragma omp parallel for schedule(static) if (b->n_edges * L->max_sf >= BP_OMP_MIN)
  for (int a = 0; a < n; a++) {
    int t = b->type[a], ns = L->el[t].n_sf;
    acsf_set set = set_of(L, t);
    int64_t k0 = b->first[a];
    tn_real *g = w.blk[t].x0 + (size_t)w.pos[a] * ns;
    acsf_compute(g, w.dg + (size_t)k0 * L->max_sf * 3, L->max_sf, &set, b->d + 3 * k0, b->ej + k0,
                 b->type, (int)(b->first[a + 1] - k0), w.scratch + (size_t)k0 * per_edge);
    const double(*s)[3] = sc + L->el[t].first;
    for (int q = 0; q < ns; q++) g[q] = (tn_real)(s[q][2] + s[q][1] * ((double)g[q] - s[q][0]));
  }
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    bp_block *B = &w.blk[t];
    if (!B->n) continue;
    const tn_real *in = B->x0;
    for (int l = 0; l < E->n_hidden; l++) {
      nn_dense_forward(B->z[l], in, p, &E->dense[l], B->n);
      act_forward(B->a[l], B->z[l], (size_t)B->n * E->width[l + 1], E->act[l]);
      in = B->a[l];
    }
    nn_dense_forward(B->out, in, p, &E->dense[E->n_hidden], B->n);
  }
  for (int a = 0; a < n; a++) y[a] = w.blk[b->type[a]].out[w.pos[a]];
}

static void bpnn_tangent(const tn_model *m, const tn_real *p, void *ws, const model_batch *b,
                         tn_real *y) {
  const bp_layout *L = m->layout;
  bp_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, b->type, 1);
  int n = b->n_atoms;
  const double(*sc)[3] = (const double(*)[3])bp_scales(L);
  const tn_real *dd = b->d + 3 * b->n_edges; /* tangent block of the edge vectors */
#pragma omp parallel for schedule(static) if (b->n_edges * L->max_sf >= BP_OMP_MIN)
  for (int a = 0; a < n; a++) {
    int t = b->type[a], ns = L->el[t].n_sf;
    const bp_block *B = &w.blk[t];
    int64_t k0 = b->first[a];
    tn_real *gdot = B->x0 + (size_t)B->n * ns + (size_t)w.pos[a] * ns;
    acsf_tangent(gdot, w.dg + (size_t)k0 * L->max_sf * 3, L->max_sf, ns, dd + 3 * k0,
                 (int)(b->first[a + 1] - k0));
    const double(*s)[3] = sc + L->el[t].first;
    for (int q = 0; q < ns; q++) gdot[q] = (tn_real)(s[q][1] * (double)gdot[q]);
  }
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    bp_block *B = &w.blk[t];
    if (!B->n) continue;
    const tn_real *in = B->x0;
    for (int l = 0; l < E->n_hidden; l++) {
      nn_dense_tangent(B->z[l], in, p, &E->dense[l], B->n);
      act_tangent(B->a[l], B->z[l], (size_t)B->n * E->width[l + 1], E->act[l]);
      in = B->a[l];
    }
    nn_dense_tangent(B->out, in, p, &E->dense[E->n_hidden], B->n);
  }
  for (int a = 0; a < n; a++) {
    const bp_block *B = &w.blk[b->type[a]];
    y[n + a] = B->out[B->n + w.pos[a]];
  }
}

static void bpnn_backward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                          const model_batch *b, const tn_real *gy, tn_real *gd, tn_real *grad,
                          int tg) {
  const bp_layout *L = m->layout;
  bp_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, b->type, stacked);
  int n = b->n_atoms;
  size_t s = tg ? 2 : 1;
  int want_gd = !tg && gd; /* with a tangent only grad is wanted (model.h) */
  if (!want_gd && !grad) return;
  for (int a = 0; a < n; a++) {
    bp_block *B = &w.blk[b->type[a]];
    B->gout[w.pos[a]] = gy[a];
    if (tg) B->gout[B->n + w.pos[a]] = gy[n + a];
  }
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    bp_block *B = &w.blk[t];
    if (!B->n) continue;
    /* out = a_H W_H + b_H; a_l = f(z_l); z_l = a_{l−1} W_l + b_l; a_{−1} = x0 */
    const tn_real *g = B->gout;
    for (int l = E->n_hidden; l >= 0; l--) {
      const tn_real *in = l ? B->a[l - 1] : B->x0;
      size_t len = (size_t)B->n * E->width[l];
      tn_real *gin = l ? B->g1 : want_gd ? B->gx0 : NULL;
      if (gin) nn_zero(gin, s * len);
      if (gin || grad) nn_dense_backward(gin, grad, g, in, p, &E->dense[l], B->n, tg);
      if (!l) break;
      nn_zero(B->g2, s * len);
      act_backward(B->g2, B->g1, B->z[l - 1], len, E->act[l - 1], tg);
      g = B->g2;
    }
  }
  if (!want_gd) return;
  const double(*sc)[3] = (const double(*)[3])bp_scales(L);
#pragma omp parallel for schedule(static) if (b->n_edges * L->max_sf >= BP_OMP_MIN)
  for (int a = 0; a < n; a++) {
    int t = b->type[a], ns = L->el[t].n_sf;
    tn_real *gg = w.blk[t].gx0 + (size_t)w.pos[a] * ns;
    const double(*sa)[3] = sc + L->el[t].first;
    /* x0 = s_min + a (G − c) */
    for (int q = 0; q < ns; q++) gg[q] = (tn_real)(sa[q][1] * (double)gg[q]);
    int64_t k0 = b->first[a];
    acsf_backward(gd + 3 * k0, gg, w.dg + (size_t)k0 * L->max_sf * 3, L->max_sf, ns,
                  (int)(b->first[a + 1] - k0));
  }
}

static int bpnn_hops(const tn_model *m) {
  (void)m;
  return 1;
}

/* Per element: hidden layers layer.1..H (depth 0..H−1) and the linear
 * output layer, readout (depth H_max, the deepest of any element). */
static int bpnn_parts(const tn_model *m, model_part *out) {
  const bp_layout *L = m->layout;
  int n = 0, deepest = 0;
  for (int t = 0; t < L->n_el; t++)
    if (L->el[t].n_hidden > deepest) deepest = L->el[t].n_hidden;
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    for (int l = 0; l <= E->n_hidden; l++) {
      size_t count = nn_dense_param_count(&E->dense[l]);
      if (l < E->n_hidden)
        n = model_part_add(out, n, l, E->dense[l].offset, count, "layer.%d", l + 1);
      else
        n = model_part_add(out, n, deepest, E->dense[l].offset, count, "readout");
    }
  }
  return n;
}

/* The network input: the scaled symmetry functions G̃_i of the atom.
 * Elements may have different numbers of functions, so the width is the
 * largest count over the elements (layout max_sf) and an atom's row is its
 * element's n_sf values (in the order of its function list), then zeros. */
static int bpnn_feature_count(const tn_model *m) {
  const bp_layout *L = m->layout;
  return L->max_sf;
}

/* out[N][max_sf] = x0 rows (primal block), as left by bpnn_forward (which
 * also filled pos, each atom's row in its element's block). */
static void bpnn_features(const tn_model *m, const tn_real *p, void *ws, int stacked,
                          const model_batch *b, double *out) {
  (void)p;
  const bp_layout *L = m->layout;
  bp_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, b->type, stacked);
  for (int a = 0; a < b->n_atoms; a++) {
    int t = b->type[a], ns = L->el[t].n_sf;
    const tn_real *g = w.blk[t].x0 + (size_t)w.pos[a] * ns;
    double *o = out + (size_t)a * L->max_sf;
    for (int q = 0; q < ns; q++) o[q] = (double)g[q];
    for (int q = ns; q < L->max_sf; q++) o[q] = 0.0;
  }
}

const model_arch model_bpnn = {
    .name = "bpnn",
    .reference = "J. Behler, J. Chem. Phys. 134, 074106 (2011)",
    .basis = "gaussian", /* unused: the symmetry functions are the basis */
    .activation = "tanh",
    .setup = bpnn_setup,
    .init_params = bpnn_init_params,
    .workspace_size = bpnn_workspace_size,
    .forward = bpnn_forward,
    .tangent = bpnn_tangent,
    .backward = bpnn_backward,
    .hops = bpnn_hops,
    .parts = bpnn_parts,
    .save_extra = bpnn_save_extra,
    .load_extra = bpnn_load_extra,
    .fit_data = bpnn_fit_data,
    .copy_extra = bpnn_copy_extra,
    .feature_count = bpnn_feature_count,
    .features = bpnn_features,
};
