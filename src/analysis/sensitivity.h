/* How strongly, and how far, a trained model lets atoms interact: the exact
 * sensitivities s_ij = ‖∂E_i/∂R_j‖ (eV/Å) of atomic energies to positions
 * (tn_model_energy_jacobian), binned by distance r_ij per unordered species
 * pair, after Esders et al., "Analyzing atomic interactions in molecules as
 * learned by neural networks" (2024/25). Part of `tanne interactions`.
 *
 * Conventions:
 *  - r_ij is the minimum-image distance in a periodic frame (over the
 *    periodic axes only), the plain distance otherwise. The sensitivity
 *    itself moves every image of j together (forces' convention), so when
 *    the receptive field exceeds half the cell, s_ij sums the influence of
 *    several images and is reported at the nearest one.
 *  - Both directions are kept and pooled: an ordered pair (i, j), i ≠ j,
 *    adds one sample to the bins of the unordered species pair {Z_i, Z_j},
 *    so a pair of atoms adds s_ij and s_ji (which differ in general).
 *  - The self term s_ii (how E_i moves with its own atom) is not binned but
 *    summarized per element.
 *  - Bin b holds bin_width · [b, b + 1) Å; samples at r ≥ r_max are counted
 *    apart (beyond_count, beyond_max), which is where a model of finite range
 *    must show zeros.
 *
 * Usage: sens_create, sens_add_frame (or sens_add_jacobian with a Jacobian
 * from elsewhere) for each frame, sens_finish, read s->pairs, sens_free. */
#ifndef TN_SENSITIVITY_H
#define TN_SENSITIVITY_H

#include "../core/core.h"

#define SENS_MAX_ELEMENTS 16 /* as many as a model holds */
#define SENS_MAX_BINS     1000000

typedef struct sens_options {
  double bin_width; /* Å, > 0; default 0.1 */
  double r_max;     /* Å, > 0; default 10; the bins cover [0, r_max) */
  double threshold; /* in (0, 1), relative to a pair's largest bin mean; default 1e-3 */
} sens_options;

sens_options sens_options_default(void);

/* Running statistics of s over a set of samples: the mean is filled in by
 * sens_finish (NaN when count is 0); max is 0 when empty. eV/Å. */
typedef struct sens_stat {
  int64_t count;
  double sum, mean, max;
} sens_stat;

/* One unordered species pair z[0] ≤ z[1]. */
typedef struct sens_pair {
  int32_t z[2];
  sens_stat *bins;        /* [n_bins] */
  sens_stat beyond;       /* samples at r ≥ r_max (mean filled in too) */
  double peak_mean;       /* the largest bin mean (eV/Å); NaN without samples in range */
  double effective_range; /* Å, sens_effective_range of the bins (at most r_max); NaN
                             without samples */
} sens_pair;

typedef struct sens_result {
  sens_options opt;
  int n_bins; /* ceil(r_max / bin_width) */
  int n_elements;
  int32_t elements[SENS_MAX_ELEMENTS]; /* ascending */
  sens_stat self[SENS_MAX_ELEMENTS];   /* s_ii per element of i */
  int n_pairs;                         /* n_elements (n_elements + 1) / 2 */
  sens_pair *pairs; /* [n_pairs], (z_a, z_b) for a ≤ b in element order, a-major */
  int64_t n_frames; /* frames added */
  /* internal, reused between frames: the Jacobian of sens_add_frame */
  double *jac;
  int64_t jac_cap;
  int32_t *type; /* element index of each atom of the frame being added */
  int64_t type_cap;
} sens_result;

/* A result for the given elements (atomic numbers, any order, 1 to 16, no
 * repeats) and options, all statistics empty. INVALID_ARG for NULL out or
 * elements, a bad element list, or options out of range (also more than
 * SENS_MAX_BINS bins); NO_MEMORY. err gets the details. */
tn_status sens_create(sens_result **out, const int32_t *elements, int n_elements,
                      const sens_options *opt, char *err, size_t err_len);
void sens_free(sens_result *s);

/* Adds one frame whose Jacobian jac[(i n + j) 3 + c] = ∂E_i/∂R_{j,c}
 * (eV/Å) is given. id numbers the frame in messages (0-based). BAD_INPUT
 * (nothing added) for an atom whose element the result lacks, a non-finite
 * position or Jacobian entry, or periodic lattice vectors that are
 * degenerate; INVALID_ARG for NULL arguments or a negative atom count. */
tn_status sens_add_jacobian(sens_result *s, const tn_frame *frame, const double *jac, int64_t id,
                            char *err, size_t err_len);

/* tn_model_energy_jacobian of the frame, then sens_add_jacobian. The
 * model's errors come back with their status and its message, prefixed by
 * this frame's number (the model numbers the single frame it sees 1):
 * "sensitivities: frame 3: frame 1, atom 2: element Xe is not one the model
 * was made for". INVALID_ARG for NULL arguments or a negative atom count;
 * NO_MEMORY for the Jacobian (n² · 3 doubles, kept in s and reused). */
tn_status sens_add_frame(sens_result *s, tn_model *m, const tn_frame *frame, int64_t id, char *err,
                         size_t err_len);

/* Fills in means, peaks and effective ranges from the sums. Idempotent;
 * more frames may be added and sens_finish called again. */
void sens_finish(sens_result *s);

/* The pair {za, zb} (either order), or NULL when either is not an element
 * of s. */
const sens_pair *sens_pair_find(const sens_result *s, int32_t za, int32_t zb);

/* The effective range of a profile: the upper edge (b + 1) · bin_width of
 * the farthest bin b whose mean exceeds threshold × the largest bin mean,
 * i.e. the distance beyond which every bin stays at or below the threshold.
 * Empty bins (count 0) are skipped. 0 when every mean is zero, NaN when no
 * bin has a sample. Reads count and mean only. */
double sens_effective_range(const sens_stat *bins, int n_bins, double bin_width, double threshold);

/* The nominal range of a model's atomic energies: cutoff × the number of
 * message-passing steps (model_arch.hops: the interactions of SchNet and
 * PaiNN, 1 for BPNN). Å. */
double sens_nominal_range(const tn_model *m);

/* Minimum images over the periodic axes of a frame. The lattice vectors of
 * the periodic axes, completed to a basis by vectors perpendicular to them
 * (which are never shifted), and its inverse. */
typedef struct sens_cell {
  uint8_t periodic[3];
  double basis[3][3]; /* rows */
  double inv[3][3];   /* basis⁻¹: frac = d · inv */
} sens_cell;

/* 0 on success, −1 when the periodic lattice vectors are degenerate (zero,
 * parallel or coplanar, relative to 1e-10 of their lengths' product). */
int sens_cell_init(sens_cell *c, const tn_frame *frame);

/* |b − a| at the nearest image of b (Å): the rounded fractional offset,
 * then a search of ±2 cells along each periodic axis, which finds the
 * minimum unless the cell is extremely skewed. */
double sens_cell_distance(const sens_cell *c, const double a[3], const double b[3]);

#endif
