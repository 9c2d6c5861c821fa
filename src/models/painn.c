/* PaiNN: polarizable atom interaction neural network (Schütt, Unke &
 * Gastegger, "Equivariant message passing for the prediction of tensorial
 * properties and molecular spectra", ICML 2021), in the form of
 * schnetpack's PaiNN:
 *
 *   s⁰_i = A[Z_i],  v⁰_i = 0                  scalars [F], vectors [3][F]
 *   W^t_ij = (e(r_ij) W_rbf + b) · f_c(r_ij)    filter, [3F] (eq. 7-8)
 *   x_ij = φ^t(s_j) ⊙ W^t_ij = (x_vv, x_s, x_vs),  φ(s) = SiLU(s W₁ + b₁) W₂ + b₂
 *   s_i += Σ_j x_s;  v_i += Σ_j x_vv ⊙ v_j + x_vs ⊗ r̂_ij        message
 *   a = SiLU([s_i ; ‖V v_i‖] W₃ + b₃) W₄ + b₄ = (a_vv, a_sv, a_ss)  (eq. 9-10)
 *   v_i += a_vv ⊙ U v_i;  s_i += a_sv ⊙ ⟨U v_i, V v_i⟩ + a_ss    update
 *   y_i = SiLU(s^T_i R1 + d1) R2 + d2                            readout
 *
 * e is the sinc basis sin(nπr/r_c)/r (n = 1..K), f_c the cosine cutoff,
 * U and V act on the feature index (shared over x, y, z), ‖·‖ is per
 * feature over x, y, z with PAINN_NORM_EPS inside the root. Edge k carries
 * d_k = R_j + shift·cell − R_i (i receives, j sends), and r̂_ij = d_k / |d_k|
 * points from the receiver to the sender, as schnetpack's r_ij = R_j − R_i;
 * equivariance holds for either sign. With model.shared_filters one filter
 * network serves every interaction (schnetpack's shared_filters). Every
 * stage runs primal, tangent and backward (painn_backward.c) with src/nn. */
#include <math.h>
#include <string.h>

#include "painn.h"

size_t painn_ws_map(painn_ws *w, const painn_layout *L, void *base, int n, int64_t e, int tangent) {
  size_t s = tangent ? 2 : 1, used = 0;
  char *p = base;
#define TAKE(ptr, count)                                                                           \
  do {                                                                                             \
    (ptr) = base ? (tn_real *)(p + used) : NULL;                                                   \
    used += (((size_t)(count)*s * sizeof(tn_real)) + 63) / 64 * 64;                                \
  } while (0)
  size_t nf = (size_t)n * L->F, nv = 3 * nf, ef3 = (size_t)e * 3 * L->F, nh = (size_t)n * L->H;
  TAKE(w->r, e);
  TAKE(w->u, 3 * (size_t)e);
  TAKE(w->rbf, (size_t)e * L->K);
  TAKE(w->fc, e);
  for (int f = 0; f < L->n_filters; f++) {
    TAKE(w->wr[f], ef3);
    TAKE(w->wf[f], ef3);
  }
  for (int t = 0; t < L->T; t++) {
    TAKE(w->t[t].s, nf);
    TAKE(w->t[t].v, nv);
    TAKE(w->t[t].h1, nf);
    TAKE(w->t[t].a1, nf);
    TAKE(w->t[t].phi, nv);
    TAKE(w->t[t].s_mid, nf);
    TAKE(w->t[t].v_mid, nv);
    TAKE(w->t[t].uv, nv);
    TAKE(w->t[t].vv, nv);
    TAKE(w->t[t].nrm, nf);
    TAKE(w->t[t].ctx, 2 * nf);
    TAKE(w->t[t].h3, nf);
    TAKE(w->t[t].a3, nf);
    TAKE(w->t[t].av, nv);
  }
  TAKE(w->s_out, nf);
  TAKE(w->v_out, nv);
  TAKE(w->h, nh);
  TAKE(w->ha, nh);
  TAKE(w->gs, nf);
  TAKE(w->gs_next, nf);
  TAKE(w->gs_mid, nf);
  TAKE(w->gnrm, nf);
  TAKE(w->ga1, nf);
  TAKE(w->gh1, nf);
  TAKE(w->ga3, nf);
  TAKE(w->gh3, nf);
  TAKE(w->gv, nv);
  TAKE(w->gv_next, nv);
  TAKE(w->gv_mid, nv);
  TAKE(w->guv, nv);
  TAKE(w->gvv, nv);
  TAKE(w->gphi, nv);
  TAKE(w->gav, nv);
  TAKE(w->gctx, 2 * nf);
  TAKE(w->gwf, ef3);
  TAKE(w->gwr, ef3);
  TAKE(w->grbf, (size_t)e * L->K);
  TAKE(w->gfc, e);
  TAKE(w->gr, e);
  TAKE(w->gu, 3 * (size_t)e);
  TAKE(w->gh, nh);
  TAKE(w->gha, nh);
#undef TAKE
  return used;
}

static tn_status painn_setup(tn_model *m, char *err, size_t err_len) {
  const tn_model_options *o = &m->opt;
  nn_act act;
  nn_basis basis;
  tn_status st = model_check_mp_options(m, PAINN_MAX_INTERACTIONS, &act, &basis, err, err_len);
  if (st != TN_STATUS_OK) return st;
  if (o->shared_filters != 0 && o->shared_filters != 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "painn: model.shared_filters must be 0 or 1, got %d", o->shared_filters);
  painn_layout *L = calloc(1, sizeof *L);
  if (!L) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "painn: out of memory");
  L->F = o->features;
  L->K = o->n_basis;
  L->T = o->interactions;
  L->H = o->features / 2;
  L->n_filters = o->shared_filters ? 1 : L->T;
  L->act = act;
  L->basis = basis;
  int F = L->F;
  size_t off = 0;
  L->embed = off;
  off += (size_t)m->n_elements * F;
  for (int f = 0; f < L->n_filters; f++) L->filter[f] = nn_dense_make(L->K, 3 * F, 1, &off);
  for (int t = 0; t < L->T; t++) {
    painn_block *b = &L->block[t];
    b->phi1 = nn_dense_make(F, F, 1, &off);
    b->phi2 = nn_dense_make(F, 3 * F, 1, &off);
    b->mix_u = nn_dense_make(F, F, 0, &off);
    b->mix_v = nn_dense_make(F, F, 0, &off);
    b->upd1 = nn_dense_make(2 * F, F, 1, &off);
    b->upd2 = nn_dense_make(F, 3 * F, 1, &off);
  }
  L->read1 = nn_dense_make(F, L->H, 1, &off);
  L->read2 = nn_dense_make(L->H, 1, 1, &off);
  free(m->layout);
  m->layout = L;
  m->n_params = off;
  return TN_STATUS_OK;
}

static void painn_init_params(tn_model *m, tn_real *params, tn_rng *rng) {
  const painn_layout *L = m->layout;
  /* Embeddings N(0, 1) as torch.nn.Embedding; dense layers Glorot-uniform
   * with zero bias as schnetpack's Dense. */
  for (size_t q = 0; q < (size_t)m->n_elements * L->F; q++)
    params[L->embed + q] = (tn_real)tn_rng_normal(rng);
  for (int f = 0; f < L->n_filters; f++) nn_dense_init(params, &L->filter[f], rng);
  for (int t = 0; t < L->T; t++) {
    const painn_block *b = &L->block[t];
    nn_dense_init(params, &b->phi1, rng);
    nn_dense_init(params, &b->phi2, rng);
    nn_dense_init(params, &b->mix_u, rng);
    nn_dense_init(params, &b->mix_v, rng);
    nn_dense_init(params, &b->upd1, rng);
    nn_dense_init(params, &b->upd2, rng);
  }
  nn_dense_init(params, &L->read1, rng);
  nn_dense_init(params, &L->read2, rng);
}

static size_t painn_workspace_size(const tn_model *m, int n_atoms, int64_t n_edges, int stacked) {
  painn_ws w;
  return painn_ws_map(&w, m->layout, NULL, n_atoms, n_edges, stacked);
}

static void painn_forward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                          const model_batch *b, tn_real *y) {
  const painn_layout *L = m->layout;
  painn_ws w;
  painn_ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  int n = b->n_atoms, e = (int)b->n_edges, F = L->F;
  size_t nf = (size_t)n * F, nv = 3 * nf;
  double rc = m->opt.cutoff;
  nn_distance_forward(w.r, b->d, e);
  nn_unit_forward(w.u, b->d, e);
  nn_basis_forward(w.rbf, w.r, e, L->K, rc, L->basis);
  nn_cutoff_forward(w.fc, w.r, e, rc);
  for (int f = 0; f < L->n_filters; f++) {
    nn_dense_forward(w.wr[f], w.rbf, p, &L->filter[f], e);
    nn_scale_rows_forward(w.wf[f], w.wr[f], w.fc, e, 3 * F);
  }
  nn_embed_forward(w.t[0].s, b->type, p, L->embed, n, F);
  if (nv) memset(w.t[0].v, 0, nv * sizeof *w.t[0].v); /* no workspace for a frame without atoms */
  for (int t = 0; t < L->T; t++) {
    const painn_block *k = &L->block[t];
    const tn_real *wf = w.wf[L->n_filters > 1 ? t : 0];
    tn_real *s_next = t + 1 < L->T ? w.t[t + 1].s : w.s_out;
    tn_real *v_next = t + 1 < L->T ? w.t[t + 1].v : w.v_out;
    /* message */
    nn_dense_forward(w.t[t].h1, w.t[t].s, p, &k->phi1, n);
    nn_act_forward(w.t[t].a1, w.t[t].h1, nf, L->act);
    nn_dense_forward(w.t[t].phi, w.t[t].a1, p, &k->phi2, n);
    nn_vconv_forward(w.t[t].s_mid, w.t[t].v_mid, w.t[t].phi, wf, w.t[t].v, w.u, &b->graph, F);
    nn_add(w.t[t].s_mid, w.t[t].s, nf);
    nn_add(w.t[t].v_mid, w.t[t].v, nv);
    /* update */
    nn_dense_forward(w.t[t].uv, w.t[t].v_mid, p, &k->mix_u, 3 * n);
    nn_dense_forward(w.t[t].vv, w.t[t].v_mid, p, &k->mix_v, 3 * n);
    nn_vnorm_forward(w.t[t].nrm, w.t[t].vv, n, F, PAINN_NORM_EPS);
    nn_concat_forward(w.t[t].ctx, w.t[t].s_mid, w.t[t].nrm, n, F, F);
    nn_dense_forward(w.t[t].h3, w.t[t].ctx, p, &k->upd1, n);
    nn_act_forward(w.t[t].a3, w.t[t].h3, nf, L->act);
    nn_dense_forward(w.t[t].av, w.t[t].a3, p, &k->upd2, n);
    nn_vmix_forward(s_next, v_next, w.t[t].av, w.t[t].uv, w.t[t].vv, n, F);
    nn_add(s_next, w.t[t].s_mid, nf);
    nn_add(v_next, w.t[t].v_mid, nv);
  }
  nn_dense_forward(w.h, w.s_out, p, &L->read1, n);
  nn_act_forward(w.ha, w.h, (size_t)n * L->H, L->act);
  nn_dense_forward(y, w.ha, p, &L->read2, n);
}

static void painn_tangent(const tn_model *m, const tn_real *p, void *ws, const model_batch *b,
                          tn_real *y) {
  const painn_layout *L = m->layout;
  painn_ws w;
  painn_ws_map(&w, L, ws, b->n_atoms, b->n_edges, 1);
  int n = b->n_atoms, e = (int)b->n_edges, F = L->F;
  size_t nf = (size_t)n * F, nv = 3 * nf;
  double rc = m->opt.cutoff;
  nn_distance_tangent(w.r, b->d, e);
  nn_unit_tangent(w.u, b->d, e);
  nn_basis_tangent(w.rbf, w.r, e, L->K, rc, L->basis);
  nn_cutoff_tangent(w.fc, w.r, e, rc);
  for (int f = 0; f < L->n_filters; f++) {
    nn_dense_tangent(w.wr[f], w.rbf, p, &L->filter[f], e);
    nn_scale_rows_tangent(w.wf[f], w.wr[f], w.fc, e, 3 * F);
  }
  /* the embedding and the zero start of v do not move */
  memset(w.t[0].s + nf, 0, nf * sizeof *w.t[0].s);
  memset(w.t[0].v + nv, 0, nv * sizeof *w.t[0].v);
  for (int t = 0; t < L->T; t++) {
    const painn_block *k = &L->block[t];
    const tn_real *wf = w.wf[L->n_filters > 1 ? t : 0];
    tn_real *s_next = t + 1 < L->T ? w.t[t + 1].s : w.s_out;
    tn_real *v_next = t + 1 < L->T ? w.t[t + 1].v : w.v_out;
    nn_dense_tangent(w.t[t].h1, w.t[t].s, p, &k->phi1, n);
    nn_act_tangent(w.t[t].a1, w.t[t].h1, nf, L->act);
    nn_dense_tangent(w.t[t].phi, w.t[t].a1, p, &k->phi2, n);
    nn_vconv_tangent(w.t[t].s_mid, w.t[t].v_mid, w.t[t].phi, wf, w.t[t].v, w.u, &b->graph, F);
    nn_add(w.t[t].s_mid + nf, w.t[t].s + nf, nf);
    nn_add(w.t[t].v_mid + nv, w.t[t].v + nv, nv);
    nn_dense_tangent(w.t[t].uv, w.t[t].v_mid, p, &k->mix_u, 3 * n);
    nn_dense_tangent(w.t[t].vv, w.t[t].v_mid, p, &k->mix_v, 3 * n);
    nn_vnorm_tangent(w.t[t].nrm, w.t[t].vv, n, F);
    nn_concat_tangent(w.t[t].ctx, w.t[t].s_mid, w.t[t].nrm, n, F, F);
    nn_dense_tangent(w.t[t].h3, w.t[t].ctx, p, &k->upd1, n);
    nn_act_tangent(w.t[t].a3, w.t[t].h3, nf, L->act);
    nn_dense_tangent(w.t[t].av, w.t[t].a3, p, &k->upd2, n);
    nn_vmix_tangent(s_next, v_next, w.t[t].av, w.t[t].uv, w.t[t].vv, n, F);
    nn_add(s_next + nf, w.t[t].s_mid + nf, nf);
    nn_add(v_next + nv, w.t[t].v_mid + nv, nv);
  }
  nn_dense_tangent(w.h, w.s_out, p, &L->read1, n);
  nn_act_tangent(w.ha, w.h, (size_t)n * L->H, L->act);
  nn_dense_tangent(y, w.ha, p, &L->read2, n);
}

static int painn_hops(const tn_model *m) { return m->opt.interactions; }

/* embedding (depth 0), interaction.1..T (depth 1..T: the filter of the
 * step, or the shared filter with interaction.1, and its message and update
 * layers), readout (T + 1) */
static int painn_parts(const tn_model *m, model_part *out) {
  const painn_layout *L = m->layout;
  int n = model_part_add(out, 0, 0, L->embed, (size_t)m->n_elements * L->F, "embedding");
  for (int t = 0; t < L->T; t++) {
    const painn_block *b = &L->block[t];
    if (t < L->n_filters)
      n = model_part_add(out, n, t + 1, L->filter[t].offset, nn_dense_param_count(&L->filter[t]),
                         "interaction.%d", t + 1);
    n = model_part_add(out, n, t + 1, b->phi1.offset,
                       b->upd2.offset + nn_dense_param_count(&b->upd2) - b->phi1.offset,
                       "interaction.%d", t + 1);
  }
  return model_part_add(out, n, L->T + 1, L->read1.offset,
                        L->read2.offset + nn_dense_param_count(&L->read2) - L->read1.offset,
                        "readout");
}

/* The invariant representation: the scalars s^T_i after the last update
 * block (the readout's only input), then the norms |v^T_i,f| =
 * sqrt(Σ_xyz v²) of the F vector channels, which the readout does not see
 * but which carry the angular information of the environment; both are
 * invariant under rotations and reflections. Width 2F. */
static int painn_feature_count(const tn_model *m) { return 2 * m->opt.features; }

/* out[N][2F] = [s_out | ‖v_out‖] (primal blocks), as left by painn_forward;
 * the norm has no ε here: it is a value, never differentiated. */
static void painn_atom_features(const tn_model *m, const tn_real *p, void *ws, int stacked,
                                const model_batch *b, double *out) {
  (void)p;
  const painn_layout *L = m->layout;
  painn_ws w;
  painn_ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  int F = L->F;
  for (int a = 0; a < b->n_atoms; a++) {
    const tn_real *s = w.s_out + (size_t)a * F, *v = w.v_out + (size_t)a * 3 * F;
    double *o = out + (size_t)a * 2 * F;
    for (int f = 0; f < F; f++) {
      double x = v[f], y = v[F + f], z = v[2 * F + f];
      o[f] = (double)s[f];
      o[F + f] = sqrt(x * x + y * y + z * z);
    }
  }
}

const model_arch model_painn = {
    .name = "painn",
    .reference = "K. T. Schütt, O. T. Unke & M. Gastegger, ICML 2021, PMLR 139, 9377",
    .basis = "sinc",
    .activation = "silu",
    .setup = painn_setup,
    .init_params = painn_init_params,
    .workspace_size = painn_workspace_size,
    .forward = painn_forward,
    .tangent = painn_tangent,
    .backward = painn_backward,
    .hops = painn_hops,
    .parts = painn_parts,
    .feature_count = painn_feature_count,
    .features = painn_atom_features,
};

tn_status painn_features(const tn_model *m, const tn_frame *frame, double *s, double *v, char *err,
                         size_t err_len) {
  if (m->arch != &model_painn)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "painn_features: the model is '%s', not 'painn'", m->arch->name);
  model_work w;
  if (model_work_init(&w) != TN_STATUS_OK) {
    model_work_free(&w);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "painn_features: out of memory");
  }
  model_batch_begin(&w.batch);
  tn_status st = model_batch_add(&w.batch, m, w.nl, frame, 0, err, err_len);
  if (st == TN_STATUS_OK) st = model_work_reserve(&w, m, 0, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  painn_forward(m, m->params, w.ws, 0, &w.batch, w.y);
  const painn_layout *L = m->layout;
  painn_ws views;
  painn_ws_map(&views, L, w.ws, w.batch.n_atoms, w.batch.n_edges, 0);
  size_t nf = (size_t)w.batch.n_atoms * L->F;
  for (size_t q = 0; q < nf; q++) s[q] = views.s_out[q];
  for (size_t q = 0; q < 3 * nf; q++) v[q] = views.v_out[q];
fail:
  model_work_free(&w);
  return st;
}
