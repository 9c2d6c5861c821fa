/* SchNet: continuous-filter convolutional network (Schütt, Sauceda,
 * Kindermans, Tkatchenko & Müller, J. Chem. Phys. 148, 241722 (2018)), in
 * the form of schnetpack's reference implementation:
 *
 *   x⁰_i   = A[Z_i]                                         embedding
 *   W^t_ij = (ssp(e(r_ij) F1 + b1) F2 + b2) · f_c(r_ij)      filter network
 *   v_i    = ssp((Σ_j (x^t_j Win) ⊙ W^t_ij) O1 + c1) O2 + c2   interaction
 *   x^{t+1} = x^t + v                                       residual update
 *   y_i    = ssp(x^T_i R1 + d1) R2 + d2                     atomwise readout
 *
 * e(r) is a radial basis (Gaussians by default), f_c the cosine cutoff, and
 * ssp the shifted softplus (any activation may be chosen). Every stage runs
 * primal, tangent and backward, with the ops of src/nn. */
#include <string.h>

#include "model.h"

#define SCHNET_MAX_INTERACTIONS 16

typedef struct schnet_block {
  nn_dense filt1, filt2; /* filter network: K -> F -> F */
  nn_dense in2f;         /* atom-wise, no bias: F -> F */
  nn_dense out1, out2;   /* F -> F -> F */
} schnet_block;

typedef struct schnet_layout {
  int F, K, T, H; /* features, basis size, interactions, readout width (F/2) */
  nn_act act;
  nn_basis basis;
  size_t embed; /* [n_elements][F] */
  schnet_block block[SCHNET_MAX_INTERACTIONS];
  nn_dense read1, read2; /* F -> H -> 1 */
} schnet_layout;

/* Workspace views for one batch; every array is stacked (primal, then the
 * tangent block when the batch carries tangents). */
typedef struct schnet_ws {
  tn_real *r, *rbf, *fc; /* [E], [E][K], [E] */
  struct {
    tn_real *h1, *a1, *w, *wc;         /* [E][F] filter stages */
    tn_real *x, *xin, *agg, *o1, *o1a; /* [N][F] atom stages; x is the block's input */
  } t[SCHNET_MAX_INTERACTIONS];
  tn_real *x_out;  /* [N][F] after the last block */
  tn_real *h, *ha; /* [N][H] readout */
  /* gradient scratch */
  tn_real *gcur, *gnext, *gxin, *gagg, *go1, *go1a; /* [N][F] */
  tn_real *gwc, *gw, *ga1, *gh1;                    /* [E][F] */
  tn_real *grbf, *gfc, *gr;                         /* [E][K], [E], [E] */
  tn_real *gh, *gha;                                /* [N][H] */
} schnet_ws;

/* Lays out the views from base (NULL just counts) and returns the bytes. */
static size_t ws_map(schnet_ws *w, const schnet_layout *L, void *base, int n, int64_t e,
                     int tangent) {
  size_t s = tangent ? 2 : 1, used = 0;
  char *p = base;
#define TAKE(ptr, count)                                                                           \
  do {                                                                                             \
    (ptr) = base ? (tn_real *)(p + used) : NULL;                                                   \
    used += (((size_t)(count)*s * sizeof(tn_real)) + 63) / 64 * 64;                                \
  } while (0)
  size_t nf = (size_t)n * L->F, ef = (size_t)e * L->F, nh = (size_t)n * L->H;
  TAKE(w->r, e);
  TAKE(w->rbf, (size_t)e * L->K);
  TAKE(w->fc, e);
  for (int t = 0; t < L->T; t++) {
    TAKE(w->t[t].h1, ef);
    TAKE(w->t[t].a1, ef);
    TAKE(w->t[t].w, ef);
    TAKE(w->t[t].wc, ef);
    TAKE(w->t[t].x, nf);
    TAKE(w->t[t].xin, nf);
    TAKE(w->t[t].agg, nf);
    TAKE(w->t[t].o1, nf);
    TAKE(w->t[t].o1a, nf);
  }
  TAKE(w->x_out, nf);
  TAKE(w->h, nh);
  TAKE(w->ha, nh);
  TAKE(w->gcur, nf);
  TAKE(w->gnext, nf);
  TAKE(w->gxin, nf);
  TAKE(w->gagg, nf);
  TAKE(w->go1, nf);
  TAKE(w->go1a, nf);
  TAKE(w->gwc, ef);
  TAKE(w->gw, ef);
  TAKE(w->ga1, ef);
  TAKE(w->gh1, ef);
  TAKE(w->grbf, (size_t)e * L->K);
  TAKE(w->gfc, e);
  TAKE(w->gr, e);
  TAKE(w->gh, nh);
  TAKE(w->gha, nh);
#undef TAKE
  return used;
}

static tn_status schnet_setup(tn_model *m, char *err, size_t err_len) {
  const tn_model_options *o = &m->opt;
  nn_act act;
  nn_basis basis;
  tn_status st = model_check_mp_options(m, SCHNET_MAX_INTERACTIONS, &act, &basis, err, err_len);
  if (st != TN_STATUS_OK) return st;
  schnet_layout *L = calloc(1, sizeof *L);
  if (!L) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "schnet: out of memory");
  L->F = o->features;
  L->K = o->n_basis;
  L->T = o->interactions;
  L->H = o->features / 2;
  L->act = act;
  L->basis = basis;
  size_t off = 0;
  L->embed = off;
  off += (size_t)m->n_elements * L->F;
  for (int t = 0; t < L->T; t++) {
    schnet_block *b = &L->block[t];
    b->filt1 = nn_dense_make(L->K, L->F, 1, &off);
    b->filt2 = nn_dense_make(L->F, L->F, 1, &off);
    b->in2f = nn_dense_make(L->F, L->F, 0, &off);
    b->out1 = nn_dense_make(L->F, L->F, 1, &off);
    b->out2 = nn_dense_make(L->F, L->F, 1, &off);
  }
  L->read1 = nn_dense_make(L->F, L->H, 1, &off);
  L->read2 = nn_dense_make(L->H, 1, 1, &off);
  free(m->layout);
  m->layout = L;
  m->n_params = off;
  return TN_STATUS_OK;
}

static void schnet_init_params(tn_model *m, tn_real *params, tn_rng *rng) {
  const schnet_layout *L = m->layout;
  /* Embeddings N(0, 1), as torch.nn.Embedding. */
  for (size_t q = 0; q < (size_t)m->n_elements * L->F; q++)
    params[L->embed + q] = (tn_real)tn_rng_normal(rng);
  for (int t = 0; t < L->T; t++) {
    const schnet_block *b = &L->block[t];
    nn_dense_init(params, &b->filt1, rng);
    nn_dense_init(params, &b->filt2, rng);
    nn_dense_init(params, &b->in2f, rng);
    nn_dense_init(params, &b->out1, rng);
    nn_dense_init(params, &b->out2, rng);
  }
  nn_dense_init(params, &L->read1, rng);
  nn_dense_init(params, &L->read2, rng);
}

static size_t schnet_workspace_size(const tn_model *m, int n_atoms, int64_t n_edges, int stacked) {
  schnet_ws w;
  return ws_map(&w, m->layout, NULL, n_atoms, n_edges, stacked);
}

static void schnet_forward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                           const model_batch *b, tn_real *y) {
  const schnet_layout *L = m->layout;
  schnet_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  int n = b->n_atoms, e = (int)b->n_edges;
  double rc = m->opt.cutoff;
  nn_distance_forward(w.r, b->d, e);
  nn_basis_forward(w.rbf, w.r, e, L->K, rc, L->basis);
  nn_cutoff_forward(w.fc, w.r, e, rc);
  nn_embed_forward(w.t[0].x, b->type, p, L->embed, n, L->F);
  for (int t = 0; t < L->T; t++) {
    const schnet_block *k = &L->block[t];
    tn_real *x_next = t + 1 < L->T ? w.t[t + 1].x : w.x_out;
    nn_dense_forward(w.t[t].h1, w.rbf, p, &k->filt1, e);
    nn_act_forward(w.t[t].a1, w.t[t].h1, (size_t)e * L->F, L->act);
    nn_dense_forward(w.t[t].w, w.t[t].a1, p, &k->filt2, e);
    nn_scale_rows_forward(w.t[t].wc, w.t[t].w, w.fc, e, L->F);
    nn_dense_forward(w.t[t].xin, w.t[t].x, p, &k->in2f, n);
    nn_cfconv_forward(w.t[t].agg, w.t[t].xin, w.t[t].wc, &b->graph, L->F);
    nn_dense_forward(w.t[t].o1, w.t[t].agg, p, &k->out1, n);
    nn_act_forward(w.t[t].o1a, w.t[t].o1, (size_t)n * L->F, L->act);
    nn_dense_forward(x_next, w.t[t].o1a, p, &k->out2, n);
    nn_add(x_next, w.t[t].x, (size_t)n * L->F);
  }
  nn_dense_forward(w.h, w.x_out, p, &L->read1, n);
  nn_act_forward(w.ha, w.h, (size_t)n * L->H, L->act);
  nn_dense_forward(y, w.ha, p, &L->read2, n);
}

static void schnet_tangent(const tn_model *m, const tn_real *p, void *ws, const model_batch *b,
                           tn_real *y) {
  const schnet_layout *L = m->layout;
  schnet_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, 1);
  int n = b->n_atoms, e = (int)b->n_edges;
  size_t nf = (size_t)n * L->F, ef = (size_t)e * L->F, nh = (size_t)n * L->H;
  double rc = m->opt.cutoff;
  nn_distance_tangent(w.r, b->d, e);
  nn_basis_tangent(w.rbf, w.r, e, L->K, rc, L->basis);
  nn_cutoff_tangent(w.fc, w.r, e, rc);
  nn_zero(w.t[0].x + nf, nf); /* the embedding does not move */
  for (int t = 0; t < L->T; t++) {
    const schnet_block *k = &L->block[t];
    tn_real *x_next = t + 1 < L->T ? w.t[t + 1].x : w.x_out;
    nn_dense_tangent(w.t[t].h1, w.rbf, p, &k->filt1, e);
    nn_act_tangent(w.t[t].a1, w.t[t].h1, ef, L->act);
    nn_dense_tangent(w.t[t].w, w.t[t].a1, p, &k->filt2, e);
    nn_scale_rows_tangent(w.t[t].wc, w.t[t].w, w.fc, e, L->F);
    nn_dense_tangent(w.t[t].xin, w.t[t].x, p, &k->in2f, n);
    nn_cfconv_tangent(w.t[t].agg, w.t[t].xin, w.t[t].wc, &b->graph, L->F);
    nn_dense_tangent(w.t[t].o1, w.t[t].agg, p, &k->out1, n);
    nn_act_tangent(w.t[t].o1a, w.t[t].o1, nf, L->act);
    nn_dense_tangent(x_next, w.t[t].o1a, p, &k->out2, n);
    nn_add(x_next + nf, w.t[t].x + nf, nf);
  }
  nn_dense_tangent(w.h, w.x_out, p, &L->read1, n);
  nn_act_tangent(w.ha, w.h, nh, L->act);
  nn_dense_tangent(y, w.ha, p, &L->read2, n);
}

static void schnet_backward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                            const model_batch *b, const tn_real *gy, tn_real *gd, tn_real *grad,
                            int tg) {
  const schnet_layout *L = m->layout;
  schnet_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  int n = b->n_atoms, e = (int)b->n_edges;
  size_t s = tg ? 2 : 1;
  size_t nf = s * n * L->F, ef = s * e * L->F, nh = s * n * L->H;
  double rc = m->opt.cutoff;
  /* y = ha R2 + d2; ha = act(h); h = x_out R1 + d1 */
  nn_zero(w.gha, nh);
  nn_dense_backward(w.gha, grad, gy, w.ha, p, &L->read2, n, tg);
  nn_zero(w.gh, nh);
  nn_act_backward(w.gh, w.gha, w.h, (size_t)n * L->H, L->act, tg);
  nn_zero(w.gcur, nf);
  nn_dense_backward(w.gcur, grad, w.gh, w.x_out, p, &L->read1, n, tg);
  nn_zero(w.grbf, s * e * L->K);
  nn_zero(w.gfc, s * e);
  for (int t = L->T - 1; t >= 0; t--) {
    const schnet_block *k = &L->block[t];
    /* x_next = x + o1a O2 + c2 */
    nn_zero(w.go1a, nf);
    nn_dense_backward(w.go1a, grad, w.gcur, w.t[t].o1a, p, &k->out2, n, tg);
    nn_zero(w.go1, nf);
    nn_act_backward(w.go1, w.go1a, w.t[t].o1, (size_t)n * L->F, L->act, tg);
    nn_zero(w.gagg, nf);
    nn_dense_backward(w.gagg, grad, w.go1, w.t[t].agg, p, &k->out1, n, tg);
    nn_zero(w.gxin, nf);
    nn_zero(w.gwc, ef);
    nn_cfconv_backward(w.gxin, w.gwc, w.gagg, w.t[t].xin, w.t[t].wc, &b->graph, L->F, tg);
    memcpy(w.gnext, w.gcur, nf * sizeof *w.gnext); /* the residual path */
    nn_dense_backward(w.gnext, grad, w.gxin, w.t[t].x, p, &k->in2f, n, tg);
    /* wc = w · fc; w = a1 F2 + b2; a1 = act(h1); h1 = rbf F1 + b1 */
    nn_zero(w.gw, ef);
    nn_scale_rows_backward(w.gw, w.gfc, w.gwc, w.t[t].w, w.fc, e, L->F, tg);
    nn_zero(w.ga1, ef);
    nn_dense_backward(w.ga1, grad, w.gw, w.t[t].a1, p, &k->filt2, e, tg);
    nn_zero(w.gh1, ef);
    nn_act_backward(w.gh1, w.ga1, w.t[t].h1, (size_t)e * L->F, L->act, tg);
    nn_dense_backward(w.grbf, grad, w.gh1, w.rbf, p, &k->filt1, e, tg);
    tn_real *swap = w.gcur;
    w.gcur = w.gnext;
    w.gnext = swap;
  }
  if (grad) nn_embed_backward(grad, w.gcur, b->type, L->embed, n, L->F);
  nn_zero(w.gr, s * e);
  nn_basis_backward(w.gr, w.grbf, w.r, e, L->K, rc, L->basis, tg);
  nn_cutoff_backward(w.gr, w.gfc, w.r, e, rc, tg);
  nn_distance_backward(gd, w.gr, b->d, e, tg);
}

static int schnet_hops(const tn_model *m) { return m->opt.interactions; }

/* embedding (depth 0), interaction.1..T (depth 1..T), readout (T + 1) */
static int schnet_parts(const tn_model *m, model_part *out) {
  const schnet_layout *L = m->layout;
  int n = model_part_add(out, 0, 0, L->embed, (size_t)m->n_elements * L->F, "embedding");
  for (int t = 0; t < L->T; t++) {
    const schnet_block *b = &L->block[t];
    n = model_part_add(out, n, t + 1, b->filt1.offset,
                       b->out2.offset + nn_dense_param_count(&b->out2) - b->filt1.offset,
                       "interaction.%d", t + 1);
  }
  return model_part_add(out, n, L->T + 1, L->read1.offset,
                        L->read2.offset + nn_dense_param_count(&L->read2) - L->read1.offset,
                        "readout");
}

/* The representation the readout consumes: x^T_i after the last
 * interaction block, F = model.features per atom. */
static int schnet_feature_count(const tn_model *m) { return m->opt.features; }

/* out[N][F] = x_out (primal block), as left by schnet_forward. */
static void schnet_features(const tn_model *m, const tn_real *p, void *ws, int stacked,
                            const model_batch *b, double *out) {
  (void)p;
  const schnet_layout *L = m->layout;
  schnet_ws w;
  ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  size_t nf = (size_t)b->n_atoms * L->F;
  for (size_t q = 0; q < nf; q++) out[q] = (double)w.x_out[q];
}

const model_arch model_schnet = {
    .name = "schnet",
    .reference = "K. T. Schütt et al., J. Chem. Phys. 148, 241722 (2018)",
    .basis = "gaussian",
    .activation = "ssp",
    .setup = schnet_setup,
    .init_params = schnet_init_params,
    .workspace_size = schnet_workspace_size,
    .forward = schnet_forward,
    .tangent = schnet_tangent,
    .backward = schnet_backward,
    .hops = schnet_hops,
    .parts = schnet_parts,
    .feature_count = schnet_feature_count,
    .features = schnet_features,
};
