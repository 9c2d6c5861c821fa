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

/* INVALID_ARG with a message unless the cutoffs and switches make sense. */
tn_status ng_check_params(const tn_noble_gas *pot, char *err, size_t err_len);

/* The neighbor-list radius the potential needs: the larger cutoff (Å). */
double ng_reach(const tn_noble_gas *pot);

/* The evaluation behind tn_noble_gas_eval, without its checks: parameters
 * valid, species 18 or 36, positions finite, and nl built for these atoms
 * with a radius of at least ng_reach(pot) (a larger one, as with a Verlet
 * skin, is fine: pairs beyond the cutoffs are skipped, as long as no pair
 * missing from nl has come within ng_reach). volume (Å^3) is used only for
 * stress. Outputs as in tn_noble_gas_eval; fails only on coinciding atoms
 * (BAD_INPUT) or when work cannot grow (NO_MEMORY). */
tn_status ng_compute(const tn_noble_gas *pot, const tn_neighbors *nl, ng_work *work,
                     const int32_t *species, const double (*pos)[3], int n_atoms,
                     const double cell[3][3], double volume, double *energy, double (*forces)[3],
                     double stress[3][3], double *atom_energies, char *err, size_t err_len);

#endif
