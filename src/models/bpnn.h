/* Internal to src/models: the layout of a Behler–Parrinello network, shared
 * by bpnn.c (the architecture), bpnn_layout.c (checks and the default grid),
 * bpnn_extra.c (model-file sections and the fit of scaling statistics) and
 * n2p2_import.c.
 *
 * A BPNN is, per element Z, a list of symmetry functions G (acsf.h), an
 * affine scaling of each, G̃ = s_min + a (G − c), and a dense network
 * y_i = NN_Z(G̃_i) with n_hidden hidden layers and one linear output. All of
 * that but the weights is fixed data (the layout); the weights are params. */
#ifndef TN_BPNN_H
#define TN_BPNN_H

#include "acsf.h"
#include "model.h"

#define BP_MAX_HIDDEN 8
#define BP_MAX_SF     1024 /* per element */
#define BP_MAX_WIDTH  4096

/* Activations by n2p2's letters: l identity, t tanh, s logistic 1/(1+e^−x),
 * p softplus ln(1+e^x); and tanne's ssp (softplus − ln 2) and silu x/(1+e^−x). */
typedef enum bp_act {
  BP_ACT_IDENTITY,
  BP_ACT_TANH,
  BP_ACT_LOGISTIC,
  BP_ACT_SOFTPLUS,
  BP_ACT_SSP,
  BP_ACT_SILU,
  BP_ACT_COUNT
} bp_act;

/* "identity", "tanh", "logistic", "softplus", "ssp", "silu"; -1 if unknown. */
int bp_act_from_name(const char *name);
const char *bp_act_name(int act);
/* The n2p2 letter ('l', 't', 's', 'p'), or -1 for none; and back. */
int bp_act_from_letter(char c);
char bp_act_letter(int act); /* '?' for none */

/* Scaling kinds, with n2p2's keyword combinations:
 *   none          G̃ = G
 *   minmax        G̃ = s_min + (s_max − s_min)(G − G_min)/(G_max − G_min)   scale
 *   center        G̃ = G − ⟨G⟩                                             center
 *   minmax_center G̃ = s_min + (s_max − s_min)(G − ⟨G⟩)/(G_max − G_min)   scale + center
 *   sigma         G̃ = s_min + (s_max − s_min)(G − ⟨G⟩)/σ_G               scale_..._sigma */
typedef enum bp_scaling {
  BP_SCALE_NONE,
  BP_SCALE_MINMAX,
  BP_SCALE_CENTER,
  BP_SCALE_MINMAX_CENTER,
  BP_SCALE_SIGMA,
  BP_SCALE_COUNT
} bp_scaling;
int bp_scaling_from_name(const char *name);
const char *bp_scaling_name(int kind);

/* Statistics of one symmetry function over a data set, and the scaling
 * (center c, factor a, offset s_min) they give for a kind: G̃ = s_min + a (G − c).
 * A function without spread gets a = 1. */
typedef struct bp_stats {
  double min, max, mean, sigma;
} bp_stats;
void bp_scale_from_stats(double out[3], const bp_stats *st, int kind, double smin, double smax);

typedef struct bp_element {
  int first, n_sf; /* its symmetry functions: [first, first + n_sf) */
  int n_hidden;
  int width[BP_MAX_HIDDEN + 2]; /* input (= n_sf), hidden..., output (1) */
  int act[BP_MAX_HIDDEN + 1];   /* activation of each non-input layer (bp_act) */
  nn_dense dense[BP_MAX_HIDDEN + 1];
} bp_element;

/* One allocation (freed by tn_model_free's free(m->layout)), copyable with
 * memcpy of `bytes`: the arrays follow the header, found by offset. */
typedef struct bp_layout {
  size_t bytes;
  acsf_cutoff cutoff;
  int n_el;
  int n_sf; /* total over elements */
  int n_radii;
  double radii[ACSF_MAX_RADII]; /* distinct cutoff radii, Å */
  int max_sf, max_width;        /* over elements and layers */
  bp_element el[MODEL_MAX_ELEMENTS];
  size_t fn_off, scale_off; /* acsf_fn [n_sf]; double [n_sf][3] (c, a, s_min) */
} bp_layout;

static inline acsf_fn *bp_fns(const bp_layout *L) { return (acsf_fn *)((char *)L + L->fn_off); }
static inline double (*bp_scales(const bp_layout *L))[3] {
  return (double(*)[3])((char *)L + L->scale_off);
}

/* A zeroed layout with room for n_sf functions (scales set to identity), or
 * NULL when out of memory. */
bp_layout *bp_layout_alloc(int n_sf);
/* Checks a filled layout (element blocks, functions, widths, activations),
 * assigns the radius slots, lays out the dense layers, and makes it m's
 * layout: m->n_params changes and m->params, when already allocated, is
 * reallocated to zeros. Takes ownership of L (freed on failure). */
tn_status bp_layout_install(tn_model *m, bp_layout *L, char *err, size_t err_len);

/* model_arch.setup: the grid of the options (bpnn_layout.c). */
tn_status bpnn_setup(tn_model *m, char *err, size_t err_len);

/* model-file sections and fit_data (bpnn_extra.c) */
tn_status bpnn_save_extra(struct tf_writer *w, const tn_model *m);
tn_status bpnn_load_extra(tn_model *m, const struct tf_file *f, char *err, size_t err_len);
tn_status bpnn_fit_data(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n,
                        char *err, size_t err_len);
tn_status bpnn_copy_extra(tn_model *dst, const tn_model *src, char *err, size_t err_len);

/* The symmetry functions of every atom of one frame (scaled when `scaled`),
 * for fitting statistics and for tests: g[n_atoms][layout max_sf], row a
 * holding the n_sf of a's element. nl is rebuilt. */
tn_status bpnn_descriptors(const tn_model *m, tn_neighbors *nl, const tn_frame *frame, int scaled,
                           double *g, char *err, size_t err_len);

#endif
