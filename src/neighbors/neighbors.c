/* PLACEHOLDER: replaced by the cell-list neighbor search. */
#include "../core/core.h"
tn_neighbors *tn_neighbors_create(void) { return calloc(1, sizeof(tn_neighbors)); }
void tn_neighbors_free(tn_neighbors *nl) { free(nl); }
tn_status tn_neighbors_build(tn_neighbors *nl, const double (*pos)[3], int n_atoms,
                             const double cell[3][3], const uint8_t pbc[3], double cutoff) {
  (void)nl, (void)pos, (void)n_atoms, (void)cell, (void)pbc, (void)cutoff;
  return TN_STATUS_UNSUPPORTED;
}
