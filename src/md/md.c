/* An MD run: options, the start (checks, velocities, the first forces and
 * the room every later step works in), the run loop and what it reports. */
#include <math.h>
#include <string.h>

#include "md.h"

tn_md_options tn_md_options_default(void) {
  tn_md_options o;
  memset(&o, 0, sizeof o);
  o.ensemble = TN_MD_NVE;
  o.timestep = 0.5;
  o.temperature = 300.0;
  o.friction = 0.01;
  o.init_temperature = 300.0;
  o.seed = 1;
  o.skin = 1.0;
  o.check_every = 10;
  o.min_distance = 0.5;
  o.max_temperature = 0.0;
  o.max_drift = 0.01;
  o.bonds = -1;
  o.bond_factor = 1.2;
  o.break_factor = 1.5;
  return o;
}

const char *tn_md_failure_name(tn_md_failure f) {
  switch (f) {
  case TN_MD_RUNNING: return "none";
  case TN_MD_NOT_FINITE: return "not-finite";
  case TN_MD_BOND_BROKEN: return "bond-broken";
  case TN_MD_TOO_CLOSE: return "too-close";
  case TN_MD_TOO_HOT: return "too-hot";
  case TN_MD_ENERGY_DRIFT: return "energy-drift";
  }
  return "unknown";
}

static int finite_at_least(double v, double min) { return isfinite(v) && v >= min; }

static tn_status check_options(const tn_md_options *o, char *err, size_t len) {
  const char *bad = NULL;
  if (o->ensemble != TN_MD_NVE && o->ensemble != TN_MD_LANGEVIN)
    bad = "ensemble";
  else if (!(isfinite(o->timestep) && o->timestep > 0.0))
    bad = "timestep";
  else if (!finite_at_least(o->temperature, 0.0))
    bad = "temperature";
  else if (!finite_at_least(o->friction, 0.0))
    bad = "friction";
  else if (!finite_at_least(o->init_temperature, 0.0))
    bad = "init_temperature";
  else if (!(isfinite(o->skin) && o->skin > 0.0))
    bad = "skin";
  else if (o->check_every < 1)
    bad = "check_every";
  else if (!isfinite(o->min_distance))
    bad = "min_distance";
  else if (!isfinite(o->max_temperature))
    bad = "max_temperature";
  else if (!isfinite(o->max_drift))
    bad = "max_drift";
  else if (o->bonds < -1 || o->bonds > 1)
    bad = "bonds";
  else if (!(isfinite(o->bond_factor) && o->bond_factor > 0.0))
    bad = "bond_factor";
  else if (!(isfinite(o->break_factor) && o->break_factor > o->bond_factor))
    bad = "break_factor";
  if (!bad) return TN_STATUS_OK;
  return tn_fail(err, len, TN_STATUS_INVALID_ARG,
                 "md options: field '%s' is out of range (timestep, skin, bond_factor > 0; "
                 "temperatures, friction >= 0; check_every >= 1; break_factor > bond_factor; "
                 "bonds -1, 0 or 1)",
                 bad);
}

void tn_md_free(tn_md *md) {
  if (!md) return;
  free(md->species);
  free(md->mass);
  free(md->pos);
  free(md->pos0);
  free(md->pos_nl);
  free(md->vel);
  free(md->force);
  free(md->bonds);
  tn_neighbors_free(md->nl);
  ng_work_release(&md->ng_work);
  free(md);
}

const char *tn_md_errmsg(const tn_md *md) { return md ? md->errmsg : "no md run"; }

static tn_status copy_start(tn_md *md, const tn_frame *start, char *err, size_t len) {
  int n = start->n_atoms;
  size_t un = (size_t)n;
  md->n = n;
  memcpy(md->cell, start->cell, sizeof md->cell);
  memcpy(md->pbc, start->pbc, sizeof md->pbc);
  md->species = malloc(un * sizeof *md->species);
  md->mass = malloc(un * sizeof *md->mass);
  md->pos = malloc(un * sizeof *md->pos);
  md->pos0 = malloc(un * sizeof *md->pos0);
  md->pos_nl = malloc(un * sizeof *md->pos_nl);
  md->vel = calloc(un, sizeof *md->vel);
  md->force = calloc(un, sizeof *md->force);
  md->nl = tn_neighbors_create();
  if (!md->species || !md->mass || !md->pos || !md->pos0 || !md->pos_nl || !md->vel || !md->force ||
      !md->nl)
    return tn_fail(err, len, TN_STATUS_NO_MEMORY, "md: out of memory for %d atoms", n);
  for (int i = 0; i < n; i++) {
    int32_t z = start->species[i];
    md->species[i] = z;
    md->mass[i] = tn_element_mass(z);
    if (!(md->mass[i] > 0.0))
      return tn_fail(err, len, TN_STATUS_BAD_INPUT, "md: atom %d: field 'species': %d has no mass",
                     i, (int)z);
    if (!md->pot->knows(md, z))
      return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                     "md: atom %d: field 'species': the %s does not know %s", i, md->pot->name,
                     tn_element_symbol(z));
    for (int k = 0; k < 3; k++) {
      if (!isfinite(start->pos[i][k]))
        return tn_fail(err, len, TN_STATUS_BAD_INPUT, "md: atom %d: field 'pos' is not finite", i);
      md->pos[i][k] = start->pos[i][k];
    }
  }
  memcpy(md->pos0, md->pos, un * sizeof *md->pos);
  return TN_STATUS_OK;
}

/* Maxwell-Boltzmann velocities, v_k ~ N(0, k_B T / m), without the centre
 * of mass motion, then scaled so that the temperature is exactly T: a short
 * run then starts where it was asked to, not within the sampling noise of
 * a few atoms. */
static void draw_velocities(tn_md *md, tn_rng *rng) {
  double t = md->opt.init_temperature;
  if (t <= 0.0) return;
  double p[3] = {0.0, 0.0, 0.0}, m_sum = 0.0;
  for (int i = 0; i < md->n; i++) {
    double sigma = sqrt(MD_KB * t * MD_ACCEL / md->mass[i]);
    for (int k = 0; k < 3; k++) {
      md->vel[i][k] = sigma * tn_rng_normal(rng);
      p[k] += md->mass[i] * md->vel[i][k];
    }
    m_sum += md->mass[i];
  }
  if (md->n > 1)
    for (int i = 0; i < md->n; i++)
      for (int k = 0; k < 3; k++) md->vel[i][k] -= p[k] / m_sum;
  double now = 2.0 * md_kinetic_energy(md) / (md->dof * MD_KB);
  if (now > 0.0) {
    double s = sqrt(t / now);
    for (int i = 0; i < md->n; i++)
      for (int k = 0; k < 3; k++) md->vel[i][k] *= s;
  }
}

/* Room for the whole run: a list built once at reach + 2 skins holds more
 * pairs than any list at reach + 1 skin will unless the density rises
 * sharply (which the monitor stops), and evaluating with it sizes the
 * potential's scratch for that many pairs. */
static tn_status reserve(tn_md *md) {
  double wide = md->pot->reach(md) + 2.0 * md->opt.skin;
  tn_status st =
      tn_neighbors_build(md->nl, (const double(*)[3])md->pos, md->n, MD_CELL(md), md->pbc, wide);
  if (st != TN_STATUS_OK)
    return tn_fail(md->errmsg, sizeof md->errmsg, st, "md: neighbor list: %s", md->nl->errmsg);
  if (!md->model) {
    int64_t most = 1;
    for (int i = 0; i < md->n; i++)
      if (md->nl->first[i + 1] - md->nl->first[i] > most)
        most = md->nl->first[i + 1] - md->nl->first[i];
    ng_work *w = &md->ng_work;
    int64_t c0 = w->cap, c1 = w->cap;
    if (tn_grow((void **)&w->vec, &c0, most, sizeof *w->vec) ||
        tn_grow((void **)&w->len, &c1, most, sizeof *w->len) ||
        tn_grow((void **)&w->atom, &w->cap, most, sizeof *w->atom))
      return tn_fail(md->errmsg, sizeof md->errmsg, TN_STATUS_NO_MEMORY, "md: out of memory");
  }
  st = md->pot->eval(md, &md->e_pot, md->force);
  md->nl_stale = 1;
  return st;
}

static tn_status md_start(tn_md **out, tn_md *md, const tn_frame *start, const tn_md_options *opt,
                          char *err, size_t len) {
  *out = NULL;
  tn_status st = check_options(opt, err, len);
  if (st == TN_STATUS_OK && (!start || start->n_atoms < 1))
    st = tn_fail(err, len, TN_STATUS_INVALID_ARG, "md: the start frame has no atoms");
  if (st != TN_STATUS_OK) goto fail;
  md->opt = *opt;
  if ((st = copy_start(md, start, err, len)) != TN_STATUS_OK) goto fail;
  md->dof = opt->ensemble == TN_MD_NVE && md->n > 1 ? 3 * md->n - 3 : 3 * md->n;
  if (md->opt.max_temperature == 0.0) {
    double t = opt->init_temperature;
    if (opt->ensemble == TN_MD_LANGEVIN && opt->temperature > t) t = opt->temperature;
    md->opt.max_temperature = fmax(3.0 * t, t + 500.0);
  }
  tn_rng_seed(&md->rng, opt->seed);
  draw_velocities(md, &md->rng);
  if ((st = reserve(md)) != TN_STATUS_OK || (st = md_compute_forces(md)) != TN_STATUS_OK ||
      (st = md_find_bonds(md)) != TN_STATUS_OK) {
    tn_fail(err, len, st, "%s", md->errmsg);
    goto fail;
  }
  md->e_tot0 = md->e_pot + md_kinetic_energy(md);
  md->errmsg[0] = '\0';
  md_check(md, 1); /* a start that already fails is reported by the first tn_md_run */
  *out = md;
  return TN_STATUS_OK;
fail:
  tn_md_free(md);
  return st;
}

tn_status tn_md_create_model(tn_md **out, tn_model *model, const tn_frame *start,
                             const tn_md_options *opt, char *err, size_t err_len) {
  if (!out || !model || !opt)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "md: no output, model or options given");
  tn_md *md = calloc(1, sizeof *md);
  if (!md) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "md: out of memory");
  md->pot = &md_model_potential;
  md->model = model;
  return md_start(out, md, start, opt, err, err_len);
}

tn_status tn_md_create_noble_gas(tn_md **out, const tn_noble_gas *pot, const tn_frame *start,
                                 const tn_md_options *opt, char *err, size_t err_len) {
  if (!out || !pot || !opt)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "md: no output, potential or options given");
  tn_status st = ng_check_params(pot, err, err_len);
  if (st != TN_STATUS_OK) return st;
  tn_md *md = calloc(1, sizeof *md);
  if (!md) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "md: out of memory");
  md->pot = &md_noble_gas_potential;
  md->ng = *pot;
  return md_start(out, md, start, opt, err, err_len);
}

/* A potential that fails mid-run on data it accepted at the start has met
 * atoms on top of each other or numbers that overflowed: the run is
 * unstable, and the potential's message says how. */
static tn_status failed_step(tn_md *md, tn_status st) {
  if (st != TN_STATUS_BAD_INPUT) return st;
  char why[sizeof md->errmsg];
  snprintf(why, sizeof why, "%s", md->errmsg);
  md->failure = md_all_finite(md) ? TN_MD_TOO_CLOSE : TN_MD_NOT_FINITE;
  snprintf(md->errmsg, sizeof md->errmsg, "unstable at step %lld (%.4g fs): %.400s",
           (long long)md->step, (double)md->step * md->opt.timestep, why);
  return TN_STATUS_UNSTABLE;
}

tn_status tn_md_run(tn_md *md, int64_t steps) {
  if (!md) return TN_STATUS_INVALID_ARG;
  if (md->failure != TN_MD_RUNNING) return TN_STATUS_UNSTABLE;
  for (int64_t s = 0; s < steps; s++) {
    tn_status st = md_step(md);
    if (st != TN_STATUS_OK) return failed_step(md, st);
    if ((st = md_check(md, md->step % md->opt.check_every == 0)) != TN_STATUS_OK) return st;
  }
  return TN_STATUS_OK;
}

tn_md_failure tn_md_failed(const tn_md *md) { return md->failure; }

void tn_md_get_thermo(const tn_md *md, tn_md_thermo *out) {
  memset(out, 0, sizeof *out);
  double e_kin = md_kinetic_energy(md);
  out->step = md->step;
  out->time = (double)md->step * md->opt.timestep;
  out->temperature = 2.0 * e_kin / (md->dof * MD_KB);
  out->e_pot = md->e_pot;
  out->e_kin = e_kin;
  out->e_tot = md->e_pot + e_kin;
  out->drift = (out->e_tot - md->heat - md->e_tot0) / md->n;
  out->min_distance = md->min_dist;
  out->bonds = md->n_bonds;
  out->bonds_broken = md->bonds_broken;
  out->rebuilds = md->rebuilds;
}

tn_frame tn_md_frame(const tn_md *md) {
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = md->n;
  f.species = md->species;
  f.pos = (const double(*)[3])md->pos;
  memcpy(f.cell, md->cell, sizeof f.cell);
  memcpy(f.pbc, md->pbc, sizeof f.pbc);
  return f;
}

const double (*tn_md_velocities(const tn_md *md))[3] { return (const double(*)[3])md->vel; }
const double (*tn_md_forces(const tn_md *md))[3] { return (const double(*)[3])md->force; }

double tn_md_msd(const tn_md *md) {
  double s = 0.0;
  for (int i = 0; i < md->n; i++)
    for (int k = 0; k < 3; k++) {
      double d = md->pos[i][k] - md->pos0[i][k];
      s += d * d;
    }
  return s / md->n;
}
