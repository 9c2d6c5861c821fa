/* Internal to src/neighbors: the cell-list grid (nbr_grid.c) and the pair
 * search over it (nbr_search.c). neighbors.c owns the public API, checks
 * arguments and assembles the final list.
 *
 * The grid lives in the fractional coordinates of a "binning basis": the
 * cell rows along periodic axes, and unit vectors normal to everything else
 * along open axes (so a frac coordinate there is a length in Å). A pair at
 * distance r differs by at most r / h_k in frac coordinate k, where h_k is
 * the spacing of the lattice planes normal to the reciprocal vector k; that
 * bounds how many bins the search must look across, however skewed the cell.
 */
#ifndef TN_NBR_H
#define TN_NBR_H

#include "../core/core.h"

/* Upper bound on the bins the search visits around one bin (the stencil):
 * a cutoff that needs more images of the cell than this is refused. */
#define NBR_MAX_STENCIL (1 << 20)
/* Positions beyond this (Å) are refused: they make frac coordinates and
 * image counts overflow long before they make physical sense. */
#define NBR_MAX_COORD 1e10

/* One neighbouring bin as seen from a given bin: which bin, through which
 * periodic image, and that image's Cartesian offset (Å). */
typedef struct nbr_image {
  int32_t bin;
  int32_t img[3];
  double off[3]; /* img · basis, Å */
} nbr_image;

/* Growable array bookkeeping: every buffer has its own capacity so that a
 * failed growth leaves the others consistent. */
typedef struct nbr_work {
  /* geometry of the current build */
  double basis[3][3]; /* rows; periodic rows are cell rows */
  double inv[3][3];   /* basis^-1: frac = pos · inv */
  double cellz[3][3]; /* cell with open rows zeroed, for r_ij = pos[j] + s·cellz - pos[i] */
  int periodic[3];
  double height[3]; /* plane spacing per unit frac, Å */
  double origin[3]; /* open axes: lowest frac coordinate of any atom */
  double width[3];  /* bin width in frac units */
  int nb[3];        /* bins per axis */
  int reach[3];     /* stencil half-width in bins */
  int64_t n_bins;
  double cut2;     /* cutoff², Å² */
  double lo2, hi2; /* fast-path window: below lo2 accept, from hi2 reject, else recheck */

  /* per atom, original order: [n] */
  double (*frac)[3];
  int32_t (*wrap)[3]; /* whole cells subtracted along periodic axes */
  int32_t *bin_of;
  int64_t frac_cap, wrap_cap, bin_of_cap;
  int64_t *tstart, *tcount; /* pairs of atom i in the bin-ordered buffer */
  int64_t tstart_cap, tcount_cap;

  /* per atom, bin order: [n] */
  int32_t *order;    /* original index */
  double (*spos)[3]; /* wrapped position, Å: pos - wrap · cell */
  int32_t (*swrap)[3];
  int64_t order_cap, spos_cap, swrap_cap;

  int32_t *bin_start; /* [n_bins + 1] */
  int64_t bin_start_cap;
  nbr_image *stencil; /* [prod(2 reach + 1)] */
  int64_t stencil_cap;

  /* pairs in bin order */
  int64_t t_pairs;
  int32_t *tj;
  int32_t (*tshift)[3];
  int64_t tj_cap, tshift_cap;
} nbr_work;

void nbr_work_free(nbr_work *w);

/* Sets up the basis, wraps and bins the atoms and sorts them by bin.
 * pos [n][3] Å (finite, checked by the caller), n >= 1. */
tn_status nbr_grid_build(nbr_work *w, const double (*pos)[3], int n, const double cell[3][3],
                         const uint8_t pbc[3], double cutoff, char *err, size_t err_len);

/* Finds all pairs with atoms in bins [bin_lo, bin_hi), appending them to
 * w->tj / w->tshift and recording each atom's block in tstart / tcount.
 * Bins are independent: to run ranges on separate threads, give each its
 * own tj / tshift buffer (tstart is then relative to that buffer). */
tn_status nbr_search_bins(nbr_work *w, const double (*pos)[3], int64_t bin_lo, int64_t bin_hi,
                          char *err, size_t err_len);

#endif
