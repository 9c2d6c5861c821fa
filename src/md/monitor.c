/* The stability monitor: what an MD run checks as it goes, so that a run on
 * a model that has left its training data stops at the step it breaks, with
 * the reason, rather than producing a trajectory of nonsense. Following
 * Fu et al. ("Forces are not enough", TMLR 2023) and Esders et al. (2024/25),
 * a run is unstable when bonds of the start topology break, atoms come
 * unphysically close, the temperature explodes or (NVE) the energy drifts;
 * non-finite numbers end it at once. */
#include <math.h>
#include <string.h>

#include "../neighbors/pairs.h"
#include "md.h"

static double pair_distance(const tn_md *md, int32_t i, int32_t j, const int32_t shift[3]) {
  double d[3];
  nbr_pair_vector((const double(*)[3])md->pos, MD_CELL(md), i, j, shift, d);
  return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

static double covalent_sum(const tn_md *md, int32_t i, int32_t j) {
  return tn_element_covalent_radius(md->species[i]) + tn_element_covalent_radius(md->species[j]);
}

tn_status md_find_bonds(tn_md *md) {
  free(md->bonds);
  md->bonds = NULL;
  md->n_bonds = 0;
  int on = md->opt.bonds > 0 || (md->opt.bonds < 0 && !md->pbc[0] && !md->pbc[1] && !md->pbc[2]);
  if (!on) return TN_STATUS_OK;
  const tn_neighbors *nl = md->nl;
  for (int pass = 0; pass < 2; pass++) {
    int count = 0;
    for (int64_t p = 0; p < nl->n_pairs; p++) {
      int32_t i = nl->i[p], j = nl->j[p];
      if (!nbr_pair_owner(i, j, nl->shift[p])) continue;
      double rc = covalent_sum(md, i, j);
      if (!(rc > 0.0) || pair_distance(md, i, j, nl->shift[p]) >= md->opt.bond_factor * rc)
        continue;
      if (pass == 1) {
        md_bond *b = &md->bonds[count];
        b->i = i;
        b->j = j;
        memcpy(b->shift, nl->shift[p], sizeof b->shift);
        b->max_len = md->opt.break_factor * rc;
      }
      count++;
    }
    if (pass == 0) {
      if (count == 0) return TN_STATUS_OK;
      md->bonds = malloc((size_t)count * sizeof *md->bonds);
      if (!md->bonds)
        return tn_fail(md->errmsg, sizeof md->errmsg, TN_STATUS_NO_MEMORY,
                       "out of memory for %d bonds", count);
    }
    md->n_bonds = count;
  }
  return TN_STATUS_OK;
}

static tn_status stop(tn_md *md, tn_md_failure why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tn_status stop(tn_md *md, tn_md_failure why, const char *fmt, ...) {
  md->failure = why;
  int w = snprintf(md->errmsg, sizeof md->errmsg,
                   "unstable at step %lld (%.4g fs): ", (long long)md->step,
                   (double)md->step * md->opt.timestep);
  if (w > 0 && (size_t)w < sizeof md->errmsg) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(md->errmsg + w, sizeof md->errmsg - (size_t)w, fmt, ap);
    va_end(ap);
  }
  return TN_STATUS_UNSTABLE;
}

int md_all_finite(const tn_md *md) {
  double s = md->e_pot;
  for (int i = 0; i < md->n; i++)
    for (int k = 0; k < 3; k++) s += 0.0 * (md->pos[i][k] + md->vel[i][k] + md->force[i][k]);
  return isfinite(s);
}

static tn_status check_distances(tn_md *md) {
  const tn_neighbors *nl = md->nl;
  double dmin = INFINITY;
  int64_t at = -1;
  for (int64_t p = 0; p < nl->n_pairs; p++) {
    double d = pair_distance(md, nl->i[p], nl->j[p], nl->shift[p]);
    if (d < dmin) {
      dmin = d;
      at = p;
    }
  }
  md->min_dist = dmin;
  if (md->opt.min_distance > 0.0 && at >= 0 && dmin < md->opt.min_distance) {
    int32_t i = nl->i[at], j = nl->j[at];
    return stop(md, TN_MD_TOO_CLOSE, "atoms %d (%s) and %d (%s) are %.3f Å apart, closer than %g Å",
                i, tn_element_symbol(md->species[i]), j, tn_element_symbol(md->species[j]), dmin,
                md->opt.min_distance);
  }
  int broken = 0, first = -1;
  double first_len = 0.0;
  for (int b = 0; b < md->n_bonds; b++) {
    const md_bond *bond = &md->bonds[b];
    double d = pair_distance(md, bond->i, bond->j, bond->shift);
    if (d > bond->max_len) {
      if (first < 0) {
        first = b;
        first_len = d;
      }
      broken++;
    }
  }
  md->bonds_broken = broken;
  if (broken) {
    const md_bond *bond = &md->bonds[first];
    return stop(md, TN_MD_BOND_BROKEN,
                "%d of %d start bonds broken; the first, %s%d-%s%d, is %.3f Å long, beyond %.3f Å "
                "(%g x the covalent radii)",
                broken, md->n_bonds, tn_element_symbol(md->species[bond->i]), bond->i,
                tn_element_symbol(md->species[bond->j]), bond->j, first_len, bond->max_len,
                md->opt.break_factor);
  }
  return TN_STATUS_OK;
}

tn_status md_check(tn_md *md, int distances) {
  if (!md_all_finite(md))
    return stop(md, TN_MD_NOT_FINITE,
                "the energy (%g eV) or a force, position or velocity is not finite", md->e_pot);
  double e_kin = md_kinetic_energy(md);
  double t = 2.0 * e_kin / ((double)md->dof * MD_KB);
  if (md->opt.max_temperature > 0.0 && t > md->opt.max_temperature)
    return stop(md, TN_MD_TOO_HOT, "the temperature is %.1f K, above %.1f K", t,
                md->opt.max_temperature);
  if (md->opt.ensemble == TN_MD_NVE && md->opt.max_drift > 0.0) {
    double drift = (md->e_pot + e_kin - md->e_tot0) / md->n;
    if (fabs(drift) > md->opt.max_drift)
      return stop(md, TN_MD_ENERGY_DRIFT,
                  "the total energy drifted by %.3g eV/atom, more than %g eV/atom", drift,
                  md->opt.max_drift);
  }
  return distances ? check_distances(md) : TN_STATUS_OK;
}
