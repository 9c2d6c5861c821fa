/* Internal interface of the MD module: the run's state, the potentials it
 * can drive, and the pieces of a step (integrate.c), the monitor (monitor.c)
 * and the start (md.c).
 *
 * Units: Å, fs, amu, eV, K. An acceleration F/m in eV/(Å amu) is
 * MD_ACCEL Å/fs², and k_B T / m in eV/amu is MD_ACCEL (k_B T / m) Å²/fs². */
#ifndef TN_MD_H
#define TN_MD_H

#include "../core/core.h"
#include "../ref/ref.h"

#define MD_KB    8.617333262e-5 /* eV/K, CODATA 2018 */
#define MD_ACCEL 9.64853321e-3  /* Å/fs² per eV/(Å amu) */

/* The cell as the const rows the library's functions take. */
#define MD_CELL(md) ((const double(*)[3])(md)->cell)

/* What drives the atoms: a model or the reference potential. eval fills
 * energy (eV) and forces [n][3] (eV/Å) for the run's current positions with
 * its neighbor list, which holds every pair within reach() + skin of the
 * positions at its last build. */
typedef struct md_potential {
  const char *name;
  double (*reach)(const tn_md *md); /* Å, the cutoff the potential needs */
  tn_status (*eval)(tn_md *md, double *energy, double (*forces)[3]);
  int (*knows)(const tn_md *md, int32_t z); /* 1 if the potential handles element z */
} md_potential;

/* One bond of the start topology: atoms i, j and the lattice shift that
 * joins them, so that pos[j] + shift · cell - pos[i] is the bond vector for
 * all time (positions are never wrapped). */
typedef struct md_bond {
  int32_t i, j;
  int32_t shift[3];
  double max_len; /* Å, broken beyond this */
} md_bond;

struct tn_md {
  tn_md_options opt;
  const md_potential *pot;
  tn_model *model;   /* borrowed; NULL for the reference potential */
  tn_noble_gas ng;   /* the reference potential's parameters */
  ng_work ng_work;   /* its scratch */
  int n;             /* atoms */
  int dof;           /* degrees of freedom for the temperature */
  double cell[3][3]; /* Å, rows are lattice vectors */
  uint8_t pbc[3];
  int32_t *species;    /* [n] */
  double *mass;        /* [n] amu */
  double (*pos)[3];    /* [n][3] Å, never wrapped */
  double (*pos0)[3];   /* [n][3] Å, at the start (for the MSD) */
  double (*pos_nl)[3]; /* [n][3] Å, at the last neighbor-list build */
  double (*vel)[3];    /* [n][3] Å/fs */
  double (*force)[3];  /* [n][3] eV/Å */
  tn_neighbors *nl;    /* Verlet list, radius reach + skin */
  int nl_stale;        /* rebuild before the next evaluation */
  md_bond *bonds;      /* [n_bonds] */
  int n_bonds;
  tn_rng rng; /* Langevin noise */
  int64_t step;
  int64_t rebuilds;
  double e_pot;     /* eV */
  double e_tot0;    /* eV, at the start */
  double heat;      /* eV, kinetic energy the thermostat has added */
  double min_dist;  /* Å, at the last check */
  int bonds_broken; /* at the last check */
  tn_md_failure failure;
  char errmsg[512];
};

extern const md_potential md_model_potential;
extern const md_potential md_noble_gas_potential;

/* The neighbor list for the current positions if an atom has moved more
 * than half the skin since the last build (or none was built), then the
 * forces and potential energy. */
tn_status md_compute_forces(tn_md *md);
/* One step of the run's ensemble; forces are current on return. */
tn_status md_step(tn_md *md);
double md_kinetic_energy(const tn_md *md); /* eV */

/* The start topology (md->bonds) from the current positions and the list. */
tn_status md_find_bonds(tn_md *md);
/* Checks the monitor's limits; sets md->failure and the message on a
 * failure and returns UNSTABLE, else OK. distances: also the (costlier)
 * minimum distance and bond checks. */
tn_status md_check(tn_md *md, int distances);
/* 1 if the energy, positions, velocities and forces are all finite. */
int md_all_finite(const tn_md *md);

#endif
