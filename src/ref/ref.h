/* Internal interface of the reference potentials: the noble-gas evaluation
 * with caller-owned scratch memory, so that the MD loop allocates nothing per
 * step (STYLE.md: buffers are allocated once and reused). */
#ifndef TN_REF_H
#define TN_REF_H

#include "../core/core.h"

/* Scratch for the triple loop: one atom's neighbours within the triple
 * cutoff, as vectors r_ij (Å), lengths and atom indices. Grows only when an
 * atom has more such neighbours than any atom before it. */
typedef struct ng_work {
  int64_t cap;
  double (*vec)[3]; /* [cap] */
  double *len;      /* [cap] */
  int32_t *atom;    /* [cap] */
} ng_work;

void ng_work_release(ng_work *w);

/* tn_noble_gas_eval with explicit scratch memory; same contract. */
tn_status ng_eval(const tn_noble_gas *pot, tn_neighbors *nl, ng_work *w, const int32_t *species,
                  const double (*pos)[3], int n_atoms, const double cell[3][3],
                  const uint8_t pbc[3], double *energy, double (*forces)[3], double stress[3][3],
                  double *atom_energies, char *err, size_t err_len);

#endif
