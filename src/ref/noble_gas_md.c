/* Liquid noble-gas frames by Langevin dynamics on the reference potential.
 *
 * Integrator: BAOAB splitting (Leimkuhler & Matthews, Appl. Math. Res. Express
 * 2013, 34-56, "Rational construction of stochastic numerical methods for
 * molecular sampling"): half kick B, half drift A, exact Ornstein-Uhlenbeck
 * step O over the full timestep, half drift A, new forces, half kick B. Its
 * configurational averages are accurate to second order in the timestep.
 *
 * Units: amu, Å, fs, eV, K. An acceleration F/m in eV/(Å amu) is
 * 9.64853321e-3 Å/fs^2, and a thermal speed sqrt(k_B T / m) is
 * sqrt(9.64853321e-3 k_B T / m) Å/fs with k_B T in eV.
 */
#include <math.h>
#include <string.h>

#include "ref.h"

#define MD_KB            8.617333262e-5 /* eV/K, CODATA 2018 */
#define MD_ACCEL         9.64853321e-3  /* Å/fs^2 per eV/(Å amu) */
#define MD_MAX_STEP_DISP 1.0            /* Å per step: more means the timestep is too long */
#define MD_JITTER        0.05           /* lattice jitter as a fraction of the fcc cube edge */
#define MD_SKIN          1.0            /* Å, Verlet-list skin */

tn_noble_gas_sample tn_noble_gas_sample_default(void) {
  /* Liquid argon near its normal boiling point (87.3 K, 1.40 g/cm^3, i.e.
   * 0.0210 atoms/Å^3). 108 atoms fill a 3x3x3 fcc lattice exactly. The LJ
   * time unit sigma sqrt(m/eps) is 2.16 ps for Ar, so 8 fs is 0.0037 of it
   * (0.005 is the usual LJ timestep). 100 steps (0.8 ps) between frames are
   * a few velocity-correlation times of the liquid; 1/friction = 100 fs, so
   * the 12 ps of equilibration melt the lattice and thermalize it many times
   * over. 5500 steps in all: a few seconds. */
  tn_noble_gas_sample s;
  memset(&s, 0, sizeof s);
  s.species[0] = 18;
  s.species[1] = 0;
  s.fraction = 0.0;
  s.n_atoms = 108;
  s.temperature = 90.0;
  s.density = 0.0210;
  s.n_frames = 40;
  s.equilibration_steps = 1500;
  s.steps_between = 100;
  s.timestep = 8.0;
  s.friction = 0.01;
  s.seed = 1;
  return s;
}

static int is_noble(int32_t z) { return z == 18 || z == 36; }

static tn_status check_sample(const tn_noble_gas_sample *s, char *err, size_t len) {
  if (!is_noble(s->species[0]))
    return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                   "noble gas sample: field 'species[0]': %d is not Ar (18) or Kr (36)",
                   (int)s->species[0]);
  if (s->species[1] != 0 && !is_noble(s->species[1]))
    return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                   "noble gas sample: field 'species[1]': %d is not 0, Ar (18) or Kr (36)",
                   (int)s->species[1]);
  if (s->species[1] != 0 && !(s->fraction >= 0.0 && s->fraction <= 1.0))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'fraction': %g is not in [0, 1]", s->fraction);
  if (s->n_atoms < 2)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'n_atoms': %d, need at least 2", s->n_atoms);
  if (!(s->density > 0.0 && isfinite(s->density)))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'density': %g atoms/Å^3, need > 0", s->density);
  if (!(s->temperature >= 0.0 && isfinite(s->temperature)))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'temperature': %g K, need >= 0", s->temperature);
  if (!(s->timestep > 0.0 && isfinite(s->timestep)))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'timestep': %g fs, need > 0", s->timestep);
  if (!(s->friction >= 0.0 && isfinite(s->friction)))
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: field 'friction': %g 1/fs, need >= 0", s->friction);
  if (s->n_frames < 0 || s->equilibration_steps < 0 || s->steps_between < 1)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                   "noble gas sample: fields 'n_frames' %d, 'equilibration_steps' %d, "
                   "'steps_between' %d: need >= 0, >= 0, >= 1",
                   s->n_frames, s->equilibration_steps, s->steps_between);
  return TN_STATUS_OK;
}

/* Everything the run needs, allocated once before the first step. */
typedef struct md_state {
  int n;
  double box;           /* Å, cubic cell edge */
  double cell[3][3];    /* Å */
  int32_t *species;     /* [n] */
  double *mass;         /* [n] amu */
  double (*pos)[3];     /* [n][3] Å */
  double (*vel)[3];     /* [n][3] Å/fs */
  double (*force)[3];   /* [n][3] eV/Å */
  double *energies;     /* [n] eV */
  double energy;        /* eV */
  double stress[3][3];  /* eV/Å^3 */
  double (*pos_ref)[3]; /* [n][3] Å, positions when nl was last built */
  double (*pos_out)[3]; /* [n][3] Å, positions wrapped into the box for output */
  int stale;            /* nl must be rebuilt before the next evaluation */
  tn_neighbors *nl;
  ng_work work;
} md_state;

static void md_release(md_state *m) {
  free(m->species);
  free(m->mass);
  free(m->pos);
  free(m->vel);
  free(m->force);
  free(m->energies);
  free(m->pos_ref);
  free(m->pos_out);
  tn_neighbors_free(m->nl);
  ng_work_release(&m->work);
}

static int md_alloc(md_state *m, int n) {
  size_t un = (size_t)n;
  m->n = n;
  m->species = malloc(un * sizeof *m->species);
  m->mass = malloc(un * sizeof *m->mass);
  m->pos = malloc(un * sizeof *m->pos);
  m->vel = malloc(un * sizeof *m->vel);
  m->force = malloc(un * sizeof *m->force);
  m->energies = malloc(un * sizeof *m->energies);
  m->pos_ref = malloc(un * sizeof *m->pos_ref);
  m->pos_out = malloc(un * sizeof *m->pos_out);
  m->nl = tn_neighbors_create();
  m->stale = 1;
  return m->species && m->mass && m->pos && m->vel && m->force && m->energies && m->pos_ref &&
                 m->pos_out && m->nl
             ? 0
             : -1;
}

/* Species: exactly round(fraction n) atoms of species[1], placed by a
 * Fisher-Yates shuffle, the rest species[0]. */
static void md_species(md_state *m, const tn_noble_gas_sample *s, tn_rng *rng) {
  int n1 = s->species[1] ? (int)floor(s->fraction * m->n + 0.5) : 0;
  for (int i = 0; i < m->n; i++) m->species[i] = i < n1 ? s->species[1] : s->species[0];
  for (int i = m->n - 1; i > 0; i--) {
    int k = (int)(tn_rng_uniform(rng) * (i + 1));
    int32_t t = m->species[i];
    m->species[i] = m->species[k];
    m->species[k] = t;
  }
  for (int i = 0; i < m->n; i++) m->mass[i] = tn_element_mass(m->species[i]);
}

/* A jittered fcc lattice of c^3 cubes with 4 sites each, c the smallest with
 * 4 c^3 >= n; the n atoms take n distinct sites chosen at random (a partial
 * Fisher-Yates over site numbers, so no array of sites is needed). */
static int md_lattice(md_state *m, tn_rng *rng) {
  static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  int64_t c = 1; /* 64-bit: 4 c^3 may pass INT_MAX for n near it */
  while (4 * c * c * c < m->n) c++;
  int64_t n_sites = 4 * c * c * c;
  int64_t *site = malloc((size_t)n_sites * sizeof *site);
  if (!site) return -1;
  for (int64_t k = 0; k < n_sites; k++) site[k] = k;
  double a = m->box / (double)c;
  for (int i = 0; i < m->n; i++) {
    int64_t k = i + (int64_t)(tn_rng_uniform(rng) * (double)(n_sites - i));
    int64_t t = site[i];
    site[i] = site[k];
    site[k] = t;
    int64_t q = site[i], b = q % 4, cube = q / 4;
    int64_t ix = cube % c, iy = (cube / c) % c, iz = cube / (c * c);
    double frac[3] = {(double)ix + basis[b][0], (double)iy + basis[b][1], (double)iz + basis[b][2]};
    for (int d = 0; d < 3; d++)
      m->pos[i][d] = a * (frac[d] + MD_JITTER * (2.0 * tn_rng_uniform(rng) - 1.0));
  }
  free(site);
  return 0;
}

/* Maxwell-Boltzmann velocities with the centre-of-mass drift removed. */
static void md_velocities(md_state *m, double kt, tn_rng *rng) {
  double p[3] = {0, 0, 0}, mtot = 0;
  for (int i = 0; i < m->n; i++) {
    double sd = sqrt(MD_ACCEL * kt / m->mass[i]);
    for (int d = 0; d < 3; d++) {
      m->vel[i][d] = sd * tn_rng_normal(rng);
      p[d] += m->mass[i] * m->vel[i][d];
    }
    mtot += m->mass[i];
  }
  for (int i = 0; i < m->n; i++)
    for (int d = 0; d < 3; d++) m->vel[i][d] -= p[d] / mtot;
}

/* Wraps positions in [n][3] into [0, box) along each axis. */
static void md_wrap(double (*out)[3], const double (*in)[3], int n, double box) {
  for (int i = 0; i < n; i++)
    for (int d = 0; d < 3; d++) {
      double x = in[i][d] - box * floor(in[i][d] / box);
      out[i][d] = x < box ? x : 0.0; /* floor rounding can give exactly box */
    }
}

/* Verlet list: nl holds every pair within ng_reach + MD_SKIN of the
 * positions in pos_ref. No pair outside it can come within ng_reach before
 * some atom has moved MD_SKIN / 2, so the list is rebuilt only then (Allen &
 * Tildesley, Computer Simulation of Liquids, sec. 5.3). Positions are wrapped
 * only at a rebuild, since the list's lattice shifts refer to them. */
static tn_status md_forces(md_state *m, const tn_noble_gas *pot, char *err, size_t len) {
  static const uint8_t pbc[3] = {1, 1, 1};
  double limit = 0.25 * MD_SKIN * MD_SKIN;
  for (int i = 0; i < m->n && !m->stale; i++) {
    double r2 = 0;
    for (int d = 0; d < 3; d++) {
      double dx = m->pos[i][d] - m->pos_ref[i][d];
      r2 += dx * dx;
    }
    m->stale = !(r2 <= limit);
  }
  if (m->stale) {
    md_wrap(m->pos, (const double(*)[3])m->pos, m->n, m->box);
    tn_status st = tn_neighbors_build(m->nl, (const double(*)[3])m->pos, m->n,
                                      (const double(*)[3])m->cell, pbc, ng_reach(pot) + MD_SKIN);
    if (st != TN_STATUS_OK)
      return tn_fail(err, len, st, "noble gas MD: neighbor list: %s",
                     m->nl->errmsg[0] ? m->nl->errmsg : tn_status_str(st));
    memcpy(m->pos_ref, m->pos, (size_t)m->n * sizeof *m->pos);
    m->stale = 0;
  }
  double volume = m->box * m->box * m->box;
  return ng_compute(pot, m->nl, &m->work, m->species, (const double(*)[3])m->pos, m->n,
                    (const double(*)[3])m->cell, volume, &m->energy, m->force, m->stress,
                    m->energies, err, len);
}

static void md_kick(md_state *m, double dt) {
  for (int i = 0; i < m->n; i++) {
    double h = 0.5 * dt * MD_ACCEL / m->mass[i];
    for (int d = 0; d < 3; d++) m->vel[i][d] += h * m->force[i][d];
  }
}

/* Half drift; returns the largest displacement (Å). */
static double md_drift(md_state *m, double dt) {
  double big = 0.0;
  for (int i = 0; i < m->n; i++)
    for (int d = 0; d < 3; d++) {
      double dx = 0.5 * dt * m->vel[i][d], a = fabs(dx);
      m->pos[i][d] += dx;
      if (!(a <= big)) big = isnan(a) ? INFINITY : a;
    }
  return big;
}

/* Exact Ornstein-Uhlenbeck step: v <- c1 v + sqrt((1 - c1^2) k_B T / m) xi. */
static void md_thermostat(md_state *m, double dt, double friction, double kt, tn_rng *rng) {
  double c1 = exp(-friction * dt), c2 = sqrt(1.0 - c1 * c1);
  for (int i = 0; i < m->n; i++) {
    double sd = c2 * sqrt(MD_ACCEL * kt / m->mass[i]);
    for (int d = 0; d < 3; d++) m->vel[i][d] = c1 * m->vel[i][d] + sd * tn_rng_normal(rng);
  }
}

/* One BAOAB step, forces in m valid on entry and on return. */
static tn_status md_step(md_state *m, const tn_noble_gas *pot, const tn_noble_gas_sample *s,
                         double kt, tn_rng *rng, long step, char *err, size_t len) {
  double dt = s->timestep;
  md_kick(m, dt);
  double moved = md_drift(m, dt);
  md_thermostat(m, dt, s->friction, kt, rng);
  moved += md_drift(m, dt);
  if (!(moved <= MD_MAX_STEP_DISP))
    return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                   "noble gas MD: step %ld: an atom moved %g Å in one step (limit %g); the "
                   "run is unstable, lower the field 'timestep' (%g fs)",
                   step, moved, MD_MAX_STEP_DISP, dt);
  tn_status st = md_forces(m, pot, err, len);
  if (st != TN_STATUS_OK) return st;
  if (!isfinite(m->energy))
    return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                   "noble gas MD: step %ld: energy not finite; the run is unstable, lower "
                   "the field 'timestep' (%g fs)",
                   step, dt);
  md_kick(m, dt);
  return TN_STATUS_OK;
}

static tn_status md_append(tn_dataset *ds, md_state *m) {
  tn_frame_column cols[4] = {
      {TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &m->energy, NULL},
      {TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &m->force[0][0], NULL},
      {TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 9, &m->stress[0][0], NULL},
      {TN_LABEL_ENERGIES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, m->energies, NULL},
  };
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = m->n;
  f.species = m->species;
  md_wrap(m->pos_out, (const double(*)[3])m->pos, m->n, m->box);
  f.pos = (const double(*)[3])m->pos_out;
  memcpy(f.cell, m->cell, sizeof f.cell);
  f.pbc[0] = f.pbc[1] = f.pbc[2] = 1;
  f.n_columns = 4;
  f.columns = cols;
  return tn_dataset_append(ds, &f);
}

tn_status tn_noble_gas_generate(tn_dataset *ds, const tn_noble_gas *pot,
                                const tn_noble_gas_sample *s, tn_progress_fn progress, void *user) {
  TN_ASSERT(ds != NULL);
  char *err = ds->errmsg;
  size_t len = sizeof ds->errmsg;
  if (!pot || !s)
    return tn_fail(err, len, TN_STATUS_INVALID_ARG, "noble gas sample: no potential or settings");
  tn_status st = check_sample(s, err, len);
  if (st == TN_STATUS_OK) st = ng_check_params(pot, err, len);
  if (st != TN_STATUS_OK) return st;

  int64_t start = ds->n_frames;
  md_state m;
  memset(&m, 0, sizeof m);
  if (md_alloc(&m, s->n_atoms)) goto no_memory;
  m.box = cbrt(s->n_atoms / s->density);
  for (int d = 0; d < 3; d++) m.cell[d][d] = m.box;
  double kt = MD_KB * s->temperature; /* eV */
  tn_rng rng;
  tn_rng_seed(&rng, s->seed);
  md_species(&m, s, &rng);
  if (md_lattice(&m, &rng)) goto no_memory;
  md_velocities(&m, kt, &rng);
  st = md_forces(&m, pot, err, len);
  if (st != TN_STATUS_OK) goto fail;

  long step = 0;
  for (int k = 0; k < s->equilibration_steps; k++)
    if ((st = md_step(&m, pot, s, kt, &rng, ++step, err, len)) != TN_STATUS_OK) goto fail;
  for (int f = 0; f < s->n_frames; f++) {
    for (int k = 0; k < s->steps_between; k++)
      if ((st = md_step(&m, pot, s, kt, &rng, ++step, err, len)) != TN_STATUS_OK) goto fail;
    if ((st = md_append(ds, &m)) != TN_STATUS_OK) goto fail;
    if (progress) progress(user, f + 1, s->n_frames);
  }
  md_release(&m);
  return TN_STATUS_OK;

no_memory:
  st = tn_fail(err, len, TN_STATUS_NO_MEMORY, "noble gas sample: out of memory for %d atoms",
               s->n_atoms);
fail:
  md_release(&m);
  {
    /* Leave ds as it was; truncation must not lose the message. */
    char keep[sizeof ds->errmsg];
    memcpy(keep, ds->errmsg, sizeof keep);
    tn_dataset_truncate(ds, start);
    memcpy(ds->errmsg, keep, sizeof keep);
  }
  return st;
}
