/* Fragments for the many-body expansion: the periodic lattice, minimum
 * images, fragment positions, and the two energy adapters (model and the
 * noble-gas reference). The convention is documented in manybody.h. */
#include <math.h>
#include <string.h>

#include "manybody.h"

static void cross(const double a[3], const double b[3], double out[3]) {
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

static void scale_to_unit(double a[3]) {
  double n = norm(a);
  for (int x = 0; x < 3; x++) a[x] /= n;
}

/* Fills the non-periodic rows of lat->cell with unit vectors orthogonal to
 * the periodic rows (and to each other), so that the matrix is invertible
 * and the periodic axes keep their perpendicular widths. */
static void complete_rows(mb_lattice *lat, int n_periodic) {
  int per[3], non[3], np = 0, nn = 0;
  for (int a = 0; a < 3; a++) {
    if (lat->pbc[a])
      per[np++] = a;
    else
      non[nn++] = a;
  }
  if (n_periodic == 2) {
    cross(lat->cell[per[0]], lat->cell[per[1]], lat->cell[non[0]]);
    scale_to_unit(lat->cell[non[0]]);
  } else if (n_periodic == 1) {
    const double *a = lat->cell[per[0]];
    /* The Cartesian axis least aligned with a, so that a x u is not tiny. */
    int m = 0;
    for (int x = 1; x < 3; x++)
      if (fabs(a[x]) < fabs(a[m])) m = x;
    double u[3] = {0, 0, 0};
    u[m] = 1.0;
    cross(a, u, lat->cell[non[0]]);
    scale_to_unit(lat->cell[non[0]]);
    cross(a, lat->cell[non[0]], lat->cell[non[1]]);
    scale_to_unit(lat->cell[non[1]]);
  }
}

tn_status mb_lattice_init(mb_lattice *lat, const tn_frame *frame, char *err, size_t err_len) {
  memset(lat, 0, sizeof *lat);
  lat->half_width = INFINITY;
  int n_periodic = 0;
  for (int a = 0; a < 3; a++) {
    lat->pbc[a] = frame->pbc[a] ? 1 : 0;
    if (!lat->pbc[a]) continue;
    n_periodic++;
    for (int x = 0; x < 3; x++) {
      lat->cell[a][x] = frame->cell[a][x];
      if (!isfinite(frame->cell[a][x]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "many-body: field 'cell': row %d is not finite", a);
    }
  }
  lat->periodic = n_periodic > 0;
  if (!lat->periodic) return TN_STATUS_OK;
  for (int a = 0; a < 3; a++)
    if (lat->pbc[a] && norm(lat->cell[a]) == 0.0)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "many-body: field 'cell': periodic row %d is zero", a);
  complete_rows(lat, n_periodic);
  double c12[3], c20[3], c01[3];
  cross(lat->cell[1], lat->cell[2], c12);
  cross(lat->cell[2], lat->cell[0], c20);
  cross(lat->cell[0], lat->cell[1], c01);
  double det = lat->cell[0][0] * c12[0] + lat->cell[0][1] * c12[1] + lat->cell[0][2] * c12[2];
  double scale = norm(lat->cell[0]) * norm(lat->cell[1]) * norm(lat->cell[2]);
  if (!(fabs(det) > 1e-12 * scale))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "many-body: field 'cell': the periodic lattice vectors are degenerate "
                   "(zero area or volume)");
  /* inv = cell^-1: its columns are the reciprocal vectors (b x c, c x a,
   * a x b) / det, so that frac_j = d · (column j). */
  for (int x = 0; x < 3; x++) {
    lat->inv[x][0] = c12[x] / det;
    lat->inv[x][1] = c20[x] / det;
    lat->inv[x][2] = c01[x] / det;
  }
  /* Perpendicular width of axis a: |det| / |cross of the other two rows|. */
  const double *others[3] = {c12, c20, c01};
  for (int a = 0; a < 3; a++)
    if (lat->pbc[a]) {
      double w = 0.5 * fabs(det) / norm(others[a]);
      if (w < lat->half_width) lat->half_width = w;
    }
  return TN_STATUS_OK;
}

void mb_min_image(const mb_lattice *lat, const double d[3], double out[3]) {
  memcpy(out, d, 3 * sizeof *out);
  if (!lat->periodic) return;
  /* Round in fractional coordinates, then try the 27 neighbouring shifts:
   * rounding alone can miss the shortest image in a skewed cell. */
  double base[3];
  memcpy(base, d, sizeof base);
  for (int a = 0; a < 3; a++) {
    if (!lat->pbc[a]) continue;
    double f = d[0] * lat->inv[0][a] + d[1] * lat->inv[1][a] + d[2] * lat->inv[2][a];
    double n = nearbyint(f);
    for (int x = 0; x < 3; x++) base[x] -= n * lat->cell[a][x];
  }
  double best = INFINITY;
  int lo[3], hi[3];
  for (int a = 0; a < 3; a++) lo[a] = lat->pbc[a] ? -1 : 0, hi[a] = lat->pbc[a] ? 1 : 0;
  for (int s0 = lo[0]; s0 <= hi[0]; s0++)
    for (int s1 = lo[1]; s1 <= hi[1]; s1++)
      for (int s2 = lo[2]; s2 <= hi[2]; s2++) {
        double v[3];
        for (int x = 0; x < 3; x++)
          v[x] = base[x] + s0 * lat->cell[0][x] + s1 * lat->cell[1][x] + s2 * lat->cell[2][x];
        double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        /* Strictly shorter: a tie (an atom exactly half a cell away)
         * keeps the first shift tried, so the choice is deterministic. */
        if (r2 < best) {
          best = r2;
          memcpy(out, v, sizeof v);
        }
      }
}

void mb_fragment_positions(const mb_lattice *lat, const tn_frame *frame, const int32_t *atoms,
                           int n, double (*pos)[3]) {
  if (n <= 0) return;
  const double *p0 = frame->pos[atoms[0]];
  memcpy(pos[0], p0, sizeof pos[0]);
  for (int a = 1; a < n; a++) {
    const double *pa = frame->pos[atoms[a]];
    double d[3] = {pa[0] - p0[0], pa[1] - p0[1], pa[2] - p0[2]}, m[3];
    mb_min_image(lat, d, m);
    for (int x = 0; x < 3; x++) pos[a][x] = p0[x] + m[x];
  }
}

tn_status mb_model_energy(void *ctx, const tn_frame *fragment, double *energy, char *err,
                          size_t err_len) {
  tn_model *m = ctx;
  tn_status st = tn_model_eval(m, fragment, energy, NULL, NULL, NULL);
  if (st != TN_STATUS_OK) return tn_fail(err, err_len, st, "model: %s", tn_model_errmsg(m));
  return TN_STATUS_OK;
}

tn_status mb_noble_gas_energy(void *ctx, const tn_frame *fragment, double *energy, char *err,
                              size_t err_len) {
  mb_noble_gas_ctx *c = ctx;
  return tn_noble_gas_eval(&c->pot, c->nl, fragment->species, fragment->pos, fragment->n_atoms,
                           (const double(*)[3])fragment->cell, fragment->pbc, energy, NULL, NULL,
                           NULL, err, err_len);
}
