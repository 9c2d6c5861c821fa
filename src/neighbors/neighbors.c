/* Public neighbor-list API: argument checks, the grid and search of
 * nbr_grid.c / nbr_search.c, and the final list sorted by receiving atom.
 *
 * Cost O(N) at fixed density: atoms are binned into cells at least one
 * cutoff wide (measured along the lattice-plane spacings, so skewed cells
 * work), and each atom is compared only with atoms of nearby bins. The
 * search runs in bin order for locality and writes each atom's pairs as one
 * block; the blocks are then copied into atom order.
 *
 * Contract details beyond tanne.h:
 *  - A pair is listed exactly when r_ij, evaluated in double as
 *    (pos[j] - pos[i]) + (s0 a + s1 b + s2 c) per component, has |r|² <
 *    cutoff². Pairs far from the cutoff are decided on wrapped positions;
 *    those within rounding distance of it by this formula, so the list is
 *    symmetric ((i, j, s) with (j, i, -s)) and matches a brute force.
 *  - Any non-zero pbc[k] is periodic. Rows of open axes are never read.
 *  - Within an atom, pairs come in a deterministic order (neighbouring bins,
 *    then bin order); it depends only on the input.
 *  - On failure the list is empty (n_pairs 0) and errmsg names the field. */
#include <math.h>
#include <string.h>

#include "nbr.h"

#if defined(__GNUC__)
#define NBR_PREFETCH(p) __builtin_prefetch(p)
#else
#define NBR_PREFETCH(p) ((void)(p))
#endif
#define NBR_PREFETCH_AHEAD 8

tn_neighbors *tn_neighbors_create(void) {
  tn_neighbors *nl = calloc(1, sizeof *nl);
  nbr_work *w = calloc(1, sizeof *w);
  int64_t cap = 0;
  if (!nl || !w || tn_grow((void **)&nl->first, &cap, 1, sizeof *nl->first)) {
    free(nl ? nl->first : NULL);
    free(nl);
    free(w);
    return NULL;
  }
  nl->work = w;
  nl->atoms_cap = (int)cap - 1;
  return nl;
}

void tn_neighbors_free(tn_neighbors *nl) {
  if (!nl) return;
  nbr_work_free(nl->work);
  free(nl->i);
  free(nl->j);
  free(nl->shift);
  free(nl->first);
  free(nl);
}

/* Capacities of the public arrays, kept apart so that a failed growth of one
 * does not misstate another. */
typedef struct nbr_caps {
  int64_t i, j, shift, first;
} nbr_caps;

static nbr_caps public_caps(const tn_neighbors *nl) {
  /* pairs_cap covers i, j and shift; atoms_cap + 1 is the size of first. */
  nbr_caps c = {nl->pairs_cap, nl->pairs_cap, nl->pairs_cap, (int64_t)nl->atoms_cap + 1};
  return c;
}

static tn_status check_args(tn_neighbors *nl, const double (*pos)[3], int n_atoms,
                            const double cell[3][3], const uint8_t pbc[3], double cutoff) {
  char *err = nl->errmsg;
  size_t len = sizeof nl->errmsg;
  if (n_atoms < 0)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG, "neighbors: field 'n_atoms': %d is negative",
                   n_atoms);
  if (!(cutoff > 0) || !isfinite(cutoff))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "neighbors: field 'cutoff': %g Å is not a positive finite length", cutoff);
  if (!pbc) return tn_fail(err, len, TN_STATUS_INVALID_ARG, "neighbors: field 'pbc': NULL");
  if (n_atoms > 0 && !pos)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG, "neighbors: field 'pos': NULL");
  if ((pbc[0] || pbc[1] || pbc[2]) && !cell)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "neighbors: field 'cell': NULL with a periodic axis");
  for (int i = 0; i < n_atoms; i++)
    for (int k = 0; k < 3; k++)
      if (!(fabs(pos[i][k]) <= NBR_MAX_COORD))
        return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                       "neighbors: field 'pos': atom %d, component %d is %g Å (not finite or "
                       "beyond %g Å)",
                       i, k, pos[i][k], NBR_MAX_COORD);
  return TN_STATUS_OK;
}

/* Records the smallest capacity of the pair arrays, so that the recorded one
 * never overstates any of them (understating only costs a realloc). */
static void store_caps(tn_neighbors *nl, nbr_caps c) {
  int64_t pc = c.i < c.j ? c.i : c.j;
  nl->pairs_cap = pc < c.shift ? pc : c.shift;
  nl->atoms_cap = c.first - 1 > INT32_MAX ? INT32_MAX : (int)(c.first - 1);
}

/* Copies each atom's block from the bin-ordered buffer into atom order. */
static tn_status assemble(tn_neighbors *nl, nbr_work *w, int n) {
  int64_t np = w->t_pairs;
  nbr_caps c = public_caps(nl);
  if (tn_grow((void **)&nl->i, &c.i, np, sizeof *nl->i) ||
      tn_grow((void **)&nl->j, &c.j, np, sizeof *nl->j) ||
      tn_grow((void **)&nl->shift, &c.shift, np, sizeof *nl->shift) ||
      tn_grow((void **)&nl->first, &c.first, (int64_t)n + 1, sizeof *nl->first)) {
    store_caps(nl, c);
    return tn_fail(nl->errmsg, sizeof nl->errmsg, TN_STATUS_NO_MEMORY,
                   "neighbors: out of memory for %lld pairs", (long long)np);
  }
  store_caps(nl, c);

  nl->first[0] = 0;
  for (int i = 0; i < n; i++) {
    /* The blocks are read in atom order, which is random in the buffer:
     * ask for the start of a later block early to hide the cache miss. */
    if (i + NBR_PREFETCH_AHEAD < n) {
      int64_t ahead = i + NBR_PREFETCH_AHEAD, t0 = w->tstart[ahead], cnt = w->tcount[ahead];
      const char *pj = (const char *)(w->tj + t0), *ps = (const char *)(w->tshift + t0);
      for (int64_t b = 0; b < cnt * (int64_t)sizeof *w->tj; b += 64) NBR_PREFETCH(pj + b);
      for (int64_t b = 0; b < cnt * (int64_t)sizeof *w->tshift; b += 64) NBR_PREFETCH(ps + b);
    }
    int64_t at = nl->first[i], cnt = w->tcount[i];
    nl->first[i + 1] = at + cnt;
    if (cnt == 0) continue; /* the arrays may still be NULL: memcpy needs valid pointers */
    for (int64_t p = 0; p < cnt; p++) nl->i[at + p] = i;
    memcpy(nl->j + at, w->tj + w->tstart[i], (size_t)cnt * sizeof *nl->j);
    memcpy(nl->shift + at, w->tshift + w->tstart[i], (size_t)cnt * sizeof *nl->shift);
  }
  nl->n_pairs = np;
  nl->n_atoms = n;
  return TN_STATUS_OK;
}

tn_status tn_neighbors_build(tn_neighbors *nl, const double (*pos)[3], int n_atoms,
                             const double cell[3][3], const uint8_t pbc[3], double cutoff) {
  if (!nl) return TN_STATUS_INVALID_ARG;
  nbr_work *w = nl->work;
  TN_ASSERT(w != NULL && nl->first != NULL);
  /* Until the build succeeds the list is empty, never half-filled. */
  nl->n_pairs = 0;
  nl->n_atoms = 0;
  nl->first[0] = 0;
  nl->errmsg[0] = '\0';
  w->t_pairs = 0;

  tn_status st = check_args(nl, pos, n_atoms, cell, pbc, cutoff);
  if (st != TN_STATUS_OK) goto fail;
  nl->cutoff = cutoff;
  if (n_atoms == 0) return TN_STATUS_OK;
  st = nbr_grid_build(w, pos, n_atoms, cell, pbc, cutoff, nl->errmsg, sizeof nl->errmsg);
  if (st != TN_STATUS_OK) goto fail;
  st = nbr_search_bins(w, pos, 0, w->n_bins, nl->errmsg, sizeof nl->errmsg);
  if (st != TN_STATUS_OK) goto fail;
  st = assemble(nl, w, n_atoms);
  if (st != TN_STATUS_OK) goto fail;
  return TN_STATUS_OK;
fail:
  nl->n_pairs = 0;
  nl->n_atoms = 0;
  nl->first[0] = 0;
  return st;
}
