/* Many-body expansion (MBE) of a model's own energy, evaluated on fragments
 * of one frame (issue 7; Esders et al., "Analyzing atomic interactions in
 * molecules as learned by neural networks", 2024/25):
 *
 *   E1(i)     = E({i})
 *   E2(i,j)   = E({i,j}) - E1(i) - E1(j)
 *   E3(i,j,k) = E({i,j,k}) - E2(i,j) - E2(i,k) - E2(j,k) - E1(i) - E1(j) - E1(k)
 *
 * and the share of the total energy at each body order: sum E1 over atoms,
 * sum E2 over pairs within r2, sum E3 over triples within r3, and the
 * remainder E_total - (those sums), the four-body and higher part (plus
 * whatever pairs and triples beyond the cutoffs carry).
 *
 * Fragments. An open frame's fragment keeps its atoms' positions. A periodic
 * frame's fragment is an isolated cluster (zero cell, pbc off): its first
 * atom (the lowest index) keeps its position and every other atom takes the
 * minimum image relative to it, p_first + mic(p_a - p_first). That is what
 * "the model evaluated on a subset of the atoms" means for a liquid. The
 * minimum image is exact for cells whose lattice vectors are not far from
 * reduced (rounding in fractional coordinates, then a search over the 27
 * neighbouring shifts).
 *
 * Which fragments. Pairs (i < j) whose minimum-image distance is < r2 (Å).
 * Triples (i < j < k) whose three sides, measured in the triple's fragment,
 * are all < r3 (Å); r3 <= r2, so every side of a triple is a listed pair.
 * When r2 or r3 is at least half the perpendicular width of a periodic
 * axis, an atom can meet two images of another within the cutoff: the
 * fragments see only the nearest, the remainder absorbs the rest, and
 * mb_result.cell_too_small says so. A triple whose side in the fragment is
 * not the pair's minimum image (possible only then) gets that side's E2
 * from an extra evaluation of the two atoms as placed in the triple.
 *
 * Cost: 1 (the whole frame) + N singles + n_pairs + n_triples evaluations of
 * the model (mb_result.n_evals counts them; a cell_too_small frame may add
 * a few for the sides above), each on 1 to 3 atoms, plus an
 * O(N^2) search for pairs. Triples grow as N k^2 (k neighbours within r3),
 * hence the cap mb_options.max_triples.
 *
 * Sampling. With more triples than max_triples (> 0), a uniform random
 * sample of max_triples of them, without replacement (selection sampling,
 * Knuth TAOCP vol. 2, 3.4.2, Algorithm S, driven by tn_rng seeded with
 * mb_options.seed), is evaluated; reproducible for a seed. The triple
 * share is then the sample's sum scaled by n_triples_total / n_triples, an
 * unbiased estimate, and triples_sampled is 1: reports must say so.
 */
#ifndef TN_MANYBODY_H
#define TN_MANYBODY_H

#include "../core/core.h"

/* Energy (eV) of one fragment, an isolated cluster of 1..3 atoms (or, once,
 * the whole frame). Returns a status and, on failure, a message in err. */
typedef tn_status (*mb_energy_fn)(void *ctx, const tn_frame *fragment, double *energy, char *err,
                                  size_t err_len);

/* Adapter over a model: ctx is a tn_model * (tn_model_eval, energy only;
 * the model's own message on failure). */
tn_status mb_model_energy(void *ctx, const tn_frame *fragment, double *energy, char *err,
                          size_t err_len);

/* Adapter over the built-in noble-gas reference (tn_noble_gas_eval): ctx is
 * an mb_noble_gas_ctx whose neighbour list the caller creates and frees. */
typedef struct mb_noble_gas_ctx {
  tn_noble_gas pot;
  tn_neighbors *nl;
} mb_noble_gas_ctx;
tn_status mb_noble_gas_energy(void *ctx, const tn_frame *fragment, double *energy, char *err,
                              size_t err_len);

typedef struct mb_options {
  double r2;           /* Å, pair cutoff, > 0 */
  double r3;           /* Å, triple cutoff, 0 <= r3 <= r2; 0 = no triples */
  int64_t max_triples; /* evaluate at most this many triples (sampled); 0 = all */
  uint64_t seed;       /* of the triple sample */
} mb_options;

/* r2 5, r3 4 (Å), max_triples 0 (all), seed 1. */
mb_options mb_options_default(void);

typedef struct mb_pair {
  int32_t i, j; /* i < j, frame atom indices */
  double r;     /* Å, minimum-image distance */
  double e2;    /* eV */
} mb_pair;

typedef struct mb_triple {
  int32_t i, j, k;         /* i < j < k */
  double r_ij, r_ik, r_jk; /* Å, sides in the fragment */
  double perimeter;        /* Å, r_ij + r_ik + r_jk */
  double e3;               /* eV */
} mb_triple;

/* Everything in eV. Arrays are allocated by mb_expand and released by
 * mb_result_free; a zeroed result is empty and may be freed. */
typedef struct mb_result {
  int n_atoms;
  double energy; /* E_total, the model on the whole frame */
  double *e1;    /* [n_atoms] E1(i) */
  int64_t n_pairs;
  mb_pair *pairs;          /* [n_pairs], ordered by (i, j) */
  int64_t n_triples_total; /* triples within r3 */
  int64_t n_triples;       /* evaluated: all, or the sample */
  mb_triple *triples;      /* [n_triples], ordered by (i, j, k) */
  int triples_sampled;     /* 1 when n_triples < n_triples_total */
  double sum1, sum2;       /* sum E1, sum E2 */
  double sum3;             /* sum E3 over the evaluated triples */
  double share3;           /* sum3 * n_triples_total / n_triples (sum3 when all, 0 when none) */
  double remainder;        /* energy - sum1 - sum2 - share3 */
  int64_t n_evals;         /* energy evaluations made (the cost) */
  int cell_too_small;      /* max(r2, r3) >= half a periodic width: see above */
} mb_result;

/* Expands the energy of frame by fn(ctx, .). On success *out holds the
 * result (whatever it held is overwritten, not freed); on failure it is
 * empty. Errors: INVALID_ARG (NULL arguments, r2 <= 0, r3 < 0, r3 > r2,
 * max_triples < 0, non-finite options), BAD_INPUT (non-finite positions, a
 * periodic axis with a degenerate cell, a non-finite fragment energy),
 * NO_MEMORY, or the callback's status, with err naming the fragment
 * ("fragment (atoms 3, 5, 7): ..."). */
tn_status mb_expand(mb_result *out, mb_energy_fn fn, void *ctx, const tn_frame *frame,
                    const mb_options *opt, char *err, size_t err_len);
void mb_result_free(mb_result *r);

/* Fragment geometry, shared with tests and the CLI. */

/* The frame's periodic lattice, ready for minimum images. */
typedef struct mb_lattice {
  int periodic; /* any periodic axis */
  uint8_t pbc[3];
  double cell[3][3]; /* rows; non-periodic rows replaced by orthogonal completions */
  double inv[3][3];  /* inverse of cell: frac = d · inv */
  double half_width; /* Å, half the smallest perpendicular width of a periodic axis */
} mb_lattice;

/* BAD_INPUT when a periodic row is not finite or the periodic rows are
 * degenerate (zero area or volume). */
tn_status mb_lattice_init(mb_lattice *lat, const tn_frame *frame, char *err, size_t err_len);
/* The shortest image of the vector d (Å) over periodic lattice shifts. */
void mb_min_image(const mb_lattice *lat, const double d[3], double out[3]);
/* Positions of the fragment atoms[0..n) by the convention above:
 * pos[0] = frame pos of atoms[0], pos[a] = pos[0] + mic(p_a - pos[0]). */
void mb_fragment_positions(const mb_lattice *lat, const tn_frame *frame, const int32_t *atoms,
                           int n, double (*pos)[3]);

#endif
