/* Atom-centred symmetry functions (Behler, J. Chem. Phys. 134, 074106
 * (2011)) in the conventions of n2p2 (Singraber et al., J. Chem. Theory
 * Comput. 15, 1827 (2019)), computed from the edge vectors of one central
 * atom i: d_k = R_j + shift·cell − R_i (Å), k over the edges of i.
 *
 *   radial  (n2p2 type 2): G = Σ_j e^{−η(r_ij − r_s)²} f_c(r_ij)
 *   narrow  (n2p2 type 3): G = 2^{1−ζ} Σ_{j<k} (1 + λ cos θ_ijk)^ζ
 *                            e^{−η[(r_ij−r_s)² + (r_ik−r_s)² + (r_jk−r_s)²]}
 *                            f_c(r_ij) f_c(r_ik) f_c(r_jk)
 *   wide    (n2p2 type 9): the same without the r_jk terms and f_c(r_jk)
 *
 * Radial functions count neighbours of one element e1; angular functions
 * count unordered pairs {j, k} whose elements are {e1, e2}. Every factor is
 * taken only where its distance is below r_c (as n2p2 does, which matters for
 * the hard cutoff), and a pair with 1 + λ cos θ ≤ 0 contributes nothing.
 * r_jk = |d_ik − d_ij| uses only edges of i, so each G of atom i depends on
 * the edge vectors of i alone: ∂G/∂d_k is stored per edge, and forces and
 * tangents follow by chain rule (bpnn.c). */
#ifndef TN_ACSF_H
#define TN_ACSF_H

#include "../nn/nn.h"

/* Cutoff functions, numbered as n2p2's `cutoff_type`. With the inner radius
 * r_ci = α r_c and x = (r − r_ci)/(r_c − r_ci), f_c = 1 below r_ci, f(x)
 * between, 0 from r_c on (the tanh types ignore α):
 *   0 hard  f = 1                      5 poly1 f = (2x − 3)x² + 1
 *   1 cos   f = (cos(πx) + 1)/2        6 poly2 f = ((15 − 6x)x − 10)x³ + 1
 *   2 tanhu f_c = tanh³(1 − r/r_c)     7 poly3 f = (x(x(20x − 70) + 84) − 35)x⁴ + 1
 *   3 tanh  f_c = c tanh³(1 − r/r_c), c so that f_c(0) = 1
 *   4 exp   f = e^{1 − 1/(1 − x²)}     8 poly4 f = (x(x((315 − 70x)x − 540) + 420) − 126)x⁵ + 1 */
typedef enum acsf_cut_type {
  ACSF_CUT_HARD = 0,
  ACSF_CUT_COS,
  ACSF_CUT_TANHU,
  ACSF_CUT_TANH,
  ACSF_CUT_EXP,
  ACSF_CUT_POLY1,
  ACSF_CUT_POLY2,
  ACSF_CUT_POLY3,
  ACSF_CUT_POLY4,
  ACSF_CUT_COUNT
} acsf_cut_type;

typedef struct acsf_cutoff {
  int type;     /* acsf_cut_type */
  double alpha; /* inner cutoff r_ci = α r_c, 0 ≤ α < 1 */
} acsf_cutoff;

/* "hard", "cos", "tanhu", "tanh", "exp", "poly1".."poly4"; -1 if unknown. */
int acsf_cut_from_name(const char *name);
const char *acsf_cut_name(int type); /* "unknown" outside the enum */

/* f_c(r) and df_c/dr (1/Å) for cutoff radius rc (Å). */
void acsf_cutoff_eval(const acsf_cutoff *c, double rc, double r, double *f, double *df);

/* The kinds, numbered as n2p2's symfunction_short types. */
typedef enum acsf_kind { ACSF_RADIAL = 2, ACSF_NARROW = 3, ACSF_WIDE = 9 } acsf_kind;

#define ACSF_MAX_RADII 8 /* distinct cutoff radii in one model */

typedef struct acsf_fn {
  int kind;            /* acsf_kind */
  int e1, e2;          /* neighbour element indices; angular: e1 ≤ e2; radial: e2 = -1 */
  double eta;          /* 1/Å² */
  double rs;           /* Å */
  double rc;           /* Å */
  double lambda, zeta; /* angular only */
  int slot;            /* index of rc in the model's table of distinct radii */
} acsf_fn;

/* The functions of one central element and what they share. */
typedef struct acsf_set {
  const acsf_fn *fn; /* [n] */
  int n;
  acsf_cutoff cutoff;
  const double *radii; /* [n_radii] distinct cutoff radii, Å */
  int n_radii;
} acsf_set;

/* Doubles of scratch per edge that acsf_compute needs. */
static inline int acsf_scratch_per_edge(int n_radii) { return 1 + 2 * n_radii; }

/* Values g[s] (s < set->n) of one central atom from its deg edges:
 * d[deg][3] the edge vectors (Å); the neighbour of edge k has element index
 * type[nbr[k]]. When dg is not NULL it also gets ∂G_s/∂d_k in
 * dg[k * ld * 3 + 3 s + c] (ld ≥ set->n). scratch holds
 * deg * acsf_scratch_per_edge(n_radii) doubles. No allocation. */
void acsf_compute(tn_real *g, tn_real *dg, int ld, const acsf_set *set, const tn_real *d,
                  const int32_t *nbr, const int32_t *type, int deg, double *scratch);

/* Tangent: ġ[s] = Σ_k ∂G_s/∂d_k · ḋ_k, from dg (layout above) and the
 * edge-vector tangents dd[deg][3]. */
void acsf_tangent(tn_real *gdot, const tn_real *dg, int ld, int n, const tn_real *dd, int deg);

/* Adjoint of acsf_compute's values: gd[k] += Σ_s gg[s] ∂G_s/∂d_k. */
void acsf_backward(tn_real *gd, const tn_real *gg, const tn_real *dg, int ld, int n, int deg);

#endif
