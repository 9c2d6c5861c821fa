/* Reading a tn_neighbors list: the vector of one entry, and which of the
 * two entries of an unordered pair to keep. Shared by the reference
 * potential and the MD module, which walk the list themselves. */
#ifndef TN_NBR_PAIRS_H
#define TN_NBR_PAIRS_H

#include <stdint.h>

/* d = pos[j] + s · cell - pos[i], the vector of the list entry i -> j (Å). */
static inline void nbr_pair_vector(const double (*pos)[3], const double cell[3][3], int i, int j,
                                   const int32_t s[3], double d[3]) {
  for (int a = 0; a < 3; a++)
    d[a] = pos[j][a] - pos[i][a] + s[0] * cell[0][a] + s[1] * cell[1][a] + s[2] * cell[2][a];
}

/* Whether the entry i -> j (shift s) is the one of its unordered pair that
 * is kept: the full list holds each pair in both directions, the reverse
 * having i and j swapped and the shift negated. */
static inline int nbr_pair_owner(int i, int j, const int32_t s[3]) {
  if (i != j) return i < j;
  return s[0] > 0 || (s[0] == 0 && (s[1] > 0 || (s[1] == 0 && s[2] > 0)));
}

#endif
