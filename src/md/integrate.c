/* The integrators: velocity Verlet (NVE) and Langevin BAOAB (NVT), with a
 * Verlet neighbor list reused until an atom has moved half the skin.
 *
 * BAOAB (Leimkuhler & Matthews, Appl. Math. Res. Express 2013, 34-56): half
 * kick B, half drift A, the exact Ornstein-Uhlenbeck step O over the whole
 * timestep, half drift A, new forces, half kick B. Its configurational
 * averages are second-order accurate in the timestep. Without the O step it
 * is velocity Verlet, which is symplectic and time-reversible, so its energy
 * error stays bounded (no secular drift) for a smooth potential and a small
 * enough step. */
#include <math.h>
#include <string.h>

#include "md.h"

double md_kinetic_energy(const tn_md *md) {
  double twice = 0.0; /* Σ m v², amu Å²/fs² */
  for (int i = 0; i < md->n; i++)
    twice += md->mass[i] * (md->vel[i][0] * md->vel[i][0] + md->vel[i][1] * md->vel[i][1] +
                            md->vel[i][2] * md->vel[i][2]);
  return 0.5 * twice / MD_ACCEL;
}

/* Half the skin is the most an atom may move between builds: two atoms
 * moving towards each other then close a gap of at most one skin, so no pair
 * within the potential's reach can be missing from the list. */
static int list_stale(const tn_md *md) {
  double limit = 0.25 * md->opt.skin * md->opt.skin;
  for (int i = 0; i < md->n; i++) {
    double dx = md->pos[i][0] - md->pos_nl[i][0], dy = md->pos[i][1] - md->pos_nl[i][1],
           dz = md->pos[i][2] - md->pos_nl[i][2];
    if (dx * dx + dy * dy + dz * dz > limit) return 1;
  }
  return 0;
}

tn_status md_compute_forces(tn_md *md) {
  if (md->nl_stale || list_stale(md)) {
    tn_status st = tn_neighbors_build(md->nl, (const double(*)[3])md->pos, md->n, MD_CELL(md),
                                      md->pbc, md->pot->reach(md) + md->opt.skin);
    if (st != TN_STATUS_OK)
      return tn_fail(md->errmsg, sizeof md->errmsg, st, "step %lld: neighbor list: %s",
                     (long long)md->step, md->nl->errmsg);
    memcpy(md->pos_nl, md->pos, (size_t)md->n * sizeof *md->pos);
    md->nl_stale = 0;
    md->rebuilds++;
  }
  return md->pot->eval(md, &md->e_pot, md->force);
}

static void kick(tn_md *md, double dt) {
  for (int i = 0; i < md->n; i++) {
    double a = dt * MD_ACCEL / md->mass[i];
    for (int k = 0; k < 3; k++) md->vel[i][k] += a * md->force[i][k];
  }
}

static void drift(tn_md *md, double dt) {
  for (int i = 0; i < md->n; i++)
    for (int k = 0; k < 3; k++) md->pos[i][k] += dt * md->vel[i][k];
}

/* v <- c v + sqrt((1 - c²) k_B T / m) ξ with c = exp(-γ dt): the exact
 * solution of the Ornstein-Uhlenbeck part over dt. The kinetic energy it
 * adds is the thermostat's heat, which the drift column subtracts. */
static void thermostat(tn_md *md, double dt) {
  double c = exp(-md->opt.friction * dt);
  double kt = MD_KB * md->opt.temperature * MD_ACCEL; /* amu Å²/fs² */
  double before = md_kinetic_energy(md);
  for (int i = 0; i < md->n; i++) {
    double sigma = sqrt((1.0 - c * c) * kt / md->mass[i]);
    for (int k = 0; k < 3; k++) md->vel[i][k] = c * md->vel[i][k] + sigma * tn_rng_normal(&md->rng);
  }
  md->heat += md_kinetic_energy(md) - before;
}

tn_status md_step(tn_md *md) {
  double dt = md->opt.timestep;
  kick(md, 0.5 * dt);
  if (md->opt.ensemble == TN_MD_LANGEVIN) {
    drift(md, 0.5 * dt);
    thermostat(md, dt);
    drift(md, 0.5 * dt);
  } else {
    drift(md, dt);
  }
  md->step++;
  tn_status st = md_compute_forces(md);
  if (st != TN_STATUS_OK) return st;
  kick(md, 0.5 * dt);
  return TN_STATUS_OK;
}
