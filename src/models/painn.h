/* Internal to the PaiNN architecture (painn.c, painn_backward.c) and its
 * tests: the parameter layout, the workspace views and a hook that returns
 * the features of the last interaction. Not part of the public interface. */
#ifndef TN_PAINN_H
#define TN_PAINN_H

#include "model.h"

#define PAINN_MAX_INTERACTIONS 16
/* Inside the norm ‖V v‖ = sqrt(Σ_xyz (V v)² + ε), as schnetpack's
 * PaiNNMixing, so that the norm has a derivative at v = 0 (Å⁰: features are
 * dimensionless). */
#define PAINN_NORM_EPS 1e-8

typedef struct painn_block {
  nn_dense phi1, phi2;   /* message context φ(s): F -> F -> 3F */
  nn_dense mix_u, mix_v; /* U, V: F -> F on the feature index, no bias */
  nn_dense upd1, upd2;   /* update network a([s; ‖V v‖]): 2F -> F -> 3F */
} painn_block;

typedef struct painn_layout {
  int F, K, T, H; /* features, basis size, interactions, readout width (F/2) */
  int n_filters;  /* T, or 1 with shared filters */
  nn_act act;
  nn_basis basis;
  size_t embed;                            /* [n_elements][F] */
  nn_dense filter[PAINN_MAX_INTERACTIONS]; /* W_rbf, b: K -> 3F */
  painn_block block[PAINN_MAX_INTERACTIONS];
  nn_dense read1, read2; /* F -> H -> 1 */
} painn_layout;

/* Workspace views for one batch; every array is stacked (primal, then the
 * tangent block when the batch carries tangents). N atoms, E edges; vector
 * features are [N][3][F]. */
typedef struct painn_ws {
  tn_real *r, *u, *rbf, *fc;           /* [E], [E][3], [E][K], [E] */
  tn_real *wr[PAINN_MAX_INTERACTIONS]; /* [E][3F] filters before the cutoff */
  tn_real *wf[PAINN_MAX_INTERACTIONS]; /* [E][3F] filters times f_c */
  struct {
    tn_real *s, *v;         /* [N][F], [N][3][F]: the interaction's input */
    tn_real *h1, *a1, *phi; /* [N][F], [N][F], [N][3F] */
    tn_real *s_mid, *v_mid; /* after the message */
    tn_real *uv, *vv, *nrm; /* [N][3][F] U v, V v; [N][F] ‖V v‖ */
    tn_real *ctx, *h3, *a3; /* [N][2F], [N][F], [N][F] */
    tn_real *av;            /* [N][3F] (a_vv, a_sv, a_ss) */
  } t[PAINN_MAX_INTERACTIONS];
  tn_real *s_out, *v_out; /* after the last interaction */
  tn_real *h, *ha;        /* [N][H] readout */
  /* gradient scratch */
  tn_real *gs, *gs_next, *gs_mid, *gnrm, *ga1, *gh1, *ga3, *gh3; /* [N][F] */
  tn_real *gv, *gv_next, *gv_mid, *guv, *gvv;                    /* [N][3][F] */
  tn_real *gphi, *gav, *gctx;                                    /* [N][3F], [N][3F], [N][2F] */
  tn_real *gwf, *gwr;                                            /* [E][3F] */
  tn_real *grbf, *gfc, *gr, *gu;                                 /* [E][K], [E], [E], [E][3] */
  tn_real *gh, *gha;                                             /* [N][H] */
} painn_ws;

/* Lays out the views from base (NULL just counts) and returns the bytes. */
size_t painn_ws_map(painn_ws *w, const painn_layout *L, void *base, int n, int64_t e, int tangent);

void painn_backward(const tn_model *m, const tn_real *params, void *ws, int stacked,
                    const model_batch *b, const tn_real *gy, tn_real *gd, tn_real *grad,
                    int tangent);

/* The features after the last interaction for one frame: scalars s
 * [n_atoms][F] and vectors v [n_atoms][3][F] (x, y, z rows per atom), F =
 * model.features. For tests of invariance and equivariance. INVALID_ARG when
 * m is not a PaiNN model; otherwise the errors of tn_model_eval. */
tn_status painn_features(const tn_model *m, const tn_frame *frame, double *s, double *v, char *err,
                         size_t err_len);

#endif
