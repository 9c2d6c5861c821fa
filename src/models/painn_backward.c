/* PaiNN's backward pass (the forward is in painn.c): the edge-vector
 * gradient gd and, when grad is not NULL, the parameter gradient, from gy;
 * with tangent through the primal and tangent graphs at once (nn.h). Each
 * step quotes the forward line it differentiates. */
#include <string.h>

#include "painn.h"

static void copy(tn_real *y, const tn_real *x, size_t n) { memcpy(y, x, n * sizeof *y); }

/* wf = wr · fc;  wr = rbf W_rbf + b   (gwf holds the filter's gradient) */
static void filter_backward(const painn_layout *L, painn_ws *w, const tn_real *p, tn_real *grad,
                            int f, int e, int tg) {
  size_t s = tg ? 2 : 1, ef3 = (size_t)e * 3 * L->F;
  nn_zero(w->gwr, s * ef3);
  nn_scale_rows_backward(w->gwr, w->gfc, w->gwf, w->wr[f], w->fc, e, 3 * L->F, tg);
  nn_dense_backward(w->grbf, grad, w->gwr, w->rbf, p, &L->filter[f], e, tg);
}

void painn_backward(const tn_model *m, const tn_real *p, void *ws, int stacked,
                    const model_batch *b, const tn_real *gy, tn_real *gd, tn_real *grad, int tg) {
  const painn_layout *L = m->layout;
  painn_ws w;
  painn_ws_map(&w, L, ws, b->n_atoms, b->n_edges, stacked);
  int n = b->n_atoms, e = (int)b->n_edges, F = L->F, shared = L->n_filters == 1 && L->T > 1;
  size_t s = tg ? 2 : 1;
  size_t nf = s * n * F, nv = 3 * nf, nh = s * n * L->H, ef3 = s * e * 3 * F;
  double rc = m->opt.cutoff;
  /* y = ha R2 + d2; ha = act(h); h = s_out R1 + d1 */
  nn_zero(w.gha, nh);
  nn_dense_backward(w.gha, grad, gy, w.ha, p, &L->read2, n, tg);
  nn_zero(w.gh, nh);
  nn_act_backward(w.gh, w.gha, w.h, (size_t)n * L->H, L->act, tg);
  nn_zero(w.gs, nf);
  nn_dense_backward(w.gs, grad, w.gh, w.s_out, p, &L->read1, n, tg);
  nn_zero(w.gv, nv); /* the readout does not see v_out */
  nn_zero(w.grbf, s * e * L->K);
  nn_zero(w.gfc, s * e);
  nn_zero(w.gu, s * 3 * e);
  if (shared) nn_zero(w.gwf, ef3);
  for (int t = L->T - 1; t >= 0; t--) {
    const painn_block *k = &L->block[t];
    const tn_real *wf = w.wf[L->n_filters > 1 ? t : 0];
    /* s_next = s_mid + ys, v_next = v_mid + yv; (ys, yv) = vmix(av, uv, vv) */
    copy(w.gs_mid, w.gs, nf);
    copy(w.gv_mid, w.gv, nv);
    nn_zero(w.gav, nv);
    nn_zero(w.guv, nv);
    nn_zero(w.gvv, nv);
    nn_vmix_backward(w.gav, w.guv, w.gvv, w.gs, w.gv, w.t[t].av, w.t[t].uv, w.t[t].vv, n, F, tg);
    /* av = a3 W₄ + b₄; a3 = act(h3); h3 = ctx W₃ + b₃ */
    nn_zero(w.ga3, nf);
    nn_dense_backward(w.ga3, grad, w.gav, w.t[t].a3, p, &k->upd2, n, tg);
    nn_zero(w.gh3, nf);
    nn_act_backward(w.gh3, w.ga3, w.t[t].h3, (size_t)n * F, L->act, tg);
    nn_zero(w.gctx, 2 * nf);
    nn_dense_backward(w.gctx, grad, w.gh3, w.t[t].ctx, p, &k->upd1, n, tg);
    /* ctx = [s_mid, nrm]; nrm = ‖vv‖; uv = v_mid U; vv = v_mid V */
    nn_zero(w.gnrm, nf);
    nn_concat_backward(w.gs_mid, w.gnrm, w.gctx, n, F, F, tg);
    nn_vnorm_backward(w.gvv, w.gnrm, w.t[t].vv, w.t[t].nrm, n, F, tg);
    nn_dense_backward(w.gv_mid, grad, w.guv, w.t[t].v_mid, p, &k->mix_u, 3 * n, tg);
    nn_dense_backward(w.gv_mid, grad, w.gvv, w.t[t].v_mid, p, &k->mix_v, 3 * n, tg);
    /* s_mid = s + ys, v_mid = v + yv; (ys, yv) = vconv(phi, wf, v, u) */
    copy(w.gs_next, w.gs_mid, nf);
    copy(w.gv_next, w.gv_mid, nv);
    nn_zero(w.gphi, nv);
    if (!shared) nn_zero(w.gwf, ef3);
    /* v⁰ = 0 is a constant: no gradient for it */
    nn_vconv_backward(w.gphi, w.gwf, t > 0 ? w.gv_next : NULL, w.gu, w.gs_mid, w.gv_mid, w.t[t].phi,
                      wf, w.t[t].v, w.u, &b->graph, F, tg);
    /* phi = a1 W₂ + b₂; a1 = act(h1); h1 = s W₁ + b₁ */
    nn_zero(w.ga1, nf);
    nn_dense_backward(w.ga1, grad, w.gphi, w.t[t].a1, p, &k->phi2, n, tg);
    nn_zero(w.gh1, nf);
    nn_act_backward(w.gh1, w.ga1, w.t[t].h1, (size_t)n * F, L->act, tg);
    nn_dense_backward(w.gs_next, grad, w.gh1, w.t[t].s, p, &k->phi1, n, tg);
    if (!shared) filter_backward(L, &w, p, grad, t, e, tg);
    tn_real *swap = w.gs;
    w.gs = w.gs_next;
    w.gs_next = swap;
    swap = w.gv;
    w.gv = w.gv_next;
    w.gv_next = swap;
  }
  if (shared) filter_backward(L, &w, p, grad, 0, e, tg);
  /* s⁰ = A[Z] */
  if (grad) nn_embed_backward(grad, w.gs, b->type, L->embed, n, F);
  /* rbf = e(r), fc = f_c(r), r = |d|, u = d / r */
  nn_zero(w.gr, s * e);
  nn_basis_backward(w.gr, w.grbf, w.r, e, L->K, rc, L->basis, tg);
  nn_cutoff_backward(w.gr, w.gfc, w.r, e, rc, tg);
  nn_distance_backward(gd, w.gr, b->d, e, tg);
  nn_unit_backward(gd, w.gu, b->d, e, tg);
}
