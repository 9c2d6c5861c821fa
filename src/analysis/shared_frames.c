/* Structures that occur in both data sets. A structure of B that is also in
 * A is labelled B in one fold and A in another, so the classifier learns
 * the label of its twin and scores it the wrong way: shared structures
 * pull the AUC below 0.5. The report counts them so that such an AUC is
 * read for what it is. */
#include <math.h>
#include <stdlib.h>

#include "advval.h"

#define SHARED_TOL 1e-6 /* Å: positions this close are the same structure */

typedef struct frame_hash {
  uint64_t h;
  int64_t frame;
} frame_hash;

/* FNV-1a over the atom count, the species and the positions rounded to
 * 1e-4 Å: equal structures hash alike (two frames within SHARED_TOL but on
 * either side of a rounding edge are missed, which real copies never are). */
static uint64_t hash_frame(const tn_dataset *ds, int64_t f) {
  uint64_t h = 1469598103934665603ull;
  int64_t lo = ds->atom_start[f], hi = ds->atom_start[f + 1];
  uint64_t v = (uint64_t)(hi - lo);
  h = (h ^ v) * 1099511628211ull;
  for (int64_t i = lo; i < hi; i++) {
    h = (h ^ (uint64_t)ds->species[i]) * 1099511628211ull;
    for (int c = 0; c < 3; c++) h = (h ^ (uint64_t)llround(ds->pos[i][c] * 1e4)) * 1099511628211ull;
  }
  return h;
}

static int by_hash(const void *pa, const void *pb) {
  const frame_hash *a = pa, *b = pb;
  if (a->h != b->h) return a->h < b->h ? -1 : 1;
  return (a->frame > b->frame) - (a->frame < b->frame);
}

static int same_frame(const tn_dataset *a, int64_t fa, const tn_dataset *b, int64_t fb) {
  int64_t na = a->atom_start[fa + 1] - a->atom_start[fa];
  if (na != b->atom_start[fb + 1] - b->atom_start[fb]) return 0;
  for (int64_t k = 0; k < na; k++) {
    int64_t i = a->atom_start[fa] + k, j = b->atom_start[fb] + k;
    if (a->species[i] != b->species[j]) return 0;
    for (int c = 0; c < 3; c++)
      if (!(fabs(a->pos[i][c] - b->pos[j][c]) <= SHARED_TOL)) return 0;
  }
  return 1;
}

tn_status av_shared_frames(int64_t *n_shared, uint8_t *b_in_a, const tn_dataset *a,
                           const tn_dataset *b, char *err, size_t err_len) {
  *n_shared = 0;
  frame_hash *ha = malloc((size_t)(a->n_frames > 0 ? a->n_frames : 1) * sizeof *ha);
  if (!ha) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "shared structures: out of memory");
  for (int64_t f = 0; f < a->n_frames; f++) ha[f] = (frame_hash){hash_frame(a, f), f};
  qsort(ha, (size_t)a->n_frames, sizeof *ha, by_hash);
  for (int64_t f = 0; f < b->n_frames; f++) {
    uint64_t h = hash_frame(b, f);
    int64_t lo = 0, hi = a->n_frames; /* first entry with hash >= h */
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (ha[mid].h < h)
        lo = mid + 1;
      else
        hi = mid;
    }
    int found = 0;
    for (int64_t q = lo; q < a->n_frames && ha[q].h == h && !found; q++)
      found = same_frame(a, ha[q].frame, b, f);
    if (b_in_a) b_in_a[f] = (uint8_t)found;
    *n_shared += found;
  }
  free(ha);
  return TN_STATUS_OK;
}
