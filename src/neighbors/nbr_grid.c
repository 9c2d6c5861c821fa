/* The cell-list grid: binning basis, wrapped fractional coordinates, bin
 * sizes and a counting sort of the atoms by bin. See nbr.h for the idea. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nbr.h"

static void cross(double out[3], const double a[3], const double b[3]) {
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static double norm(const double a[3]) { return sqrt(dot(a, a)); }

static void normalize(double a[3]) {
  double l = norm(a);
  for (int k = 0; k < 3; k++) a[k] /= l;
}

/* Fills the basis rows of open axes with unit vectors normal to the
 * periodic rows and to each other. Fails if the periodic rows are (nearly)
 * linearly dependent; the tolerance is relative, so units do not matter. */
static tn_status grid_basis(nbr_work *w, const double cell[3][3], char *err, size_t err_len) {
  int per[3], n_per = 0, open[3], n_open = 0;
  for (int k = 0; k < 3; k++) {
    if (w->periodic[k]) {
      per[n_per++] = k;
      for (int l = 0; l < 3; l++) {
        if (!(fabs(cell[k][l]) <= NBR_MAX_COORD))
          return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                         "neighbors: field 'cell': row %d is periodic but holds %g (not finite "
                         "or beyond %g Å)",
                         k, cell[k][l], NBR_MAX_COORD);
        w->basis[k][l] = cell[k][l];
      }
    } else {
      open[n_open++] = k;
    }
  }
  memset(w->cellz, 0, sizeof w->cellz);
  for (int p = 0; p < n_per; p++) memcpy(w->cellz[per[p]], cell[per[p]], sizeof w->cellz[0]);

  double measure = 0, scale = 1;
  if (n_per == 3) {
    double bc[3];
    cross(bc, cell[1], cell[2]);
    measure = fabs(dot(cell[0], bc));
    scale = norm(cell[0]) * norm(cell[1]) * norm(cell[2]);
  } else if (n_per == 2) {
    double n[3];
    cross(n, cell[per[0]], cell[per[1]]);
    measure = norm(n);
    scale = norm(cell[per[0]]) * norm(cell[per[1]]);
    normalize(n);
    memcpy(w->basis[open[0]], n, sizeof n);
  } else if (n_per == 1) {
    const double *a = cell[per[0]];
    measure = norm(a);
    scale = 1;
    if (measure > 0) {
      /* Cross with the Cartesian axis least aligned with a, then complete. */
      int least = 0;
      for (int l = 1; l < 3; l++)
        if (fabs(a[l]) < fabs(a[least])) least = l;
      double e[3] = {0, 0, 0}, u[3], v[3], ah[3] = {a[0], a[1], a[2]};
      e[least] = 1;
      normalize(ah);
      cross(u, ah, e);
      normalize(u);
      cross(v, ah, u);
      normalize(v);
      memcpy(w->basis[open[0]], u, sizeof u);
      memcpy(w->basis[open[1]], v, sizeof v);
    }
  } else {
    for (int k = 0; k < 3; k++)
      for (int l = 0; l < 3; l++) w->basis[k][l] = k == l;
    measure = scale = 1;
  }
  if (!(measure > 1e-10 * scale) || !isfinite(measure))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "neighbors: field 'cell': the %d periodic lattice vector(s) are linearly "
                   "dependent or zero (measure %g)",
                   n_per, measure);

  /* Inverse by the adjugate: column k of inv is (row k+1 × row k+2) / det,
   * the reciprocal vector k, whose norm is 1 / height k. */
  double(*b)[3] = w->basis, rec[3][3];
  cross(rec[0], b[1], b[2]);
  cross(rec[1], b[2], b[0]);
  cross(rec[2], b[0], b[1]);
  double det = dot(b[0], rec[0]);
  for (int k = 0; k < 3; k++) {
    for (int l = 0; l < 3; l++) w->inv[l][k] = rec[k][l] / det;
    w->height[k] = fabs(det) / norm(rec[k]);
  }
  return TN_STATUS_OK;
}

/* Bins per axis from the spans (frac units) and the bin width needed; the
 * product is capped so that a tiny cutoff in a huge box cannot ask for
 * absurd memory: wider bins are always correct, only slower. */
static void grid_bins(nbr_work *w, const double span[3], double cut_bin, int n) {
  int64_t max_bins = 8 * (int64_t)n + 64;
  if (max_bins > (1 << 30)) max_bins = 1 << 30;
  for (int k = 0; k < 3; k++) {
    double nbd = floor(span[k] * w->height[k] / cut_bin);
    if (!(nbd >= 1)) nbd = 1;
    if (nbd > (double)max_bins) nbd = (double)max_bins;
    w->nb[k] = (int)nbd;
  }
  for (;;) {
    double prod = (double)w->nb[0] * w->nb[1] * w->nb[2];
    if (prod <= (double)max_bins) break;
    int big = 0;
    for (int k = 1; k < 3; k++)
      if (w->nb[k] > w->nb[big]) big = k;
    w->nb[big] = (w->nb[big] + 1) / 2;
  }
  w->n_bins = (int64_t)w->nb[0] * w->nb[1] * w->nb[2];
  for (int k = 0; k < 3; k++) w->width[k] = span[k] / w->nb[k];
}

static int grid_reserve(nbr_work *w, int n) {
  return tn_grow((void **)&w->frac, &w->frac_cap, n, sizeof *w->frac) ||
         tn_grow((void **)&w->wrap, &w->wrap_cap, n, sizeof *w->wrap) ||
         tn_grow((void **)&w->bin_of, &w->bin_of_cap, n, sizeof *w->bin_of) ||
         tn_grow((void **)&w->order, &w->order_cap, n, sizeof *w->order) ||
         tn_grow((void **)&w->spos, &w->spos_cap, n, sizeof *w->spos) ||
         tn_grow((void **)&w->swrap, &w->swrap_cap, n, sizeof *w->swrap) ||
         tn_grow((void **)&w->tstart, &w->tstart_cap, n, sizeof *w->tstart) ||
         tn_grow((void **)&w->tcount, &w->tcount_cap, n, sizeof *w->tcount);
}

tn_status nbr_grid_build(nbr_work *w, const double (*pos)[3], int n, const double cell[3][3],
                         const uint8_t pbc[3], double cutoff, char *err, size_t err_len) {
  TN_ASSERT(n >= 1);
  for (int k = 0; k < 3; k++) w->periodic[k] = pbc[k] != 0;
  tn_status st = grid_basis(w, cell, err, err_len);
  if (st != TN_STATUS_OK) return st;
  if (grid_reserve(w, n))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "neighbors: out of memory for %d atoms", n);

  /* Fractional coordinates, wrapped into [0, 1) along periodic axes. */
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  double pmax = 0;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 3; k++) {
      double f = pos[i][0] * w->inv[0][k] + pos[i][1] * w->inv[1][k] + pos[i][2] * w->inv[2][k];
      int32_t wr = 0;
      if (w->periodic[k]) {
        double fl = floor(f);
        if (!(fabs(fl) <= 1e9))
          return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                         "neighbors: field 'pos': atom %d lies %g cells away along axis %d", i, fl,
                         k);
        wr = (int32_t)fl;
        f -= fl;
        if (f >= 1.0) f = 0x1.fffffffffffffp-1; /* f was a tiny negative number */
      } else {
        lo[k] = fmin(lo[k], f);
        hi[k] = fmax(hi[k], f);
      }
      w->frac[i][k] = f;
      w->wrap[i][k] = wr;
      pmax = fmax(pmax, fabs(pos[i][k]));
    }
  }

  double span[3];
  for (int k = 0; k < 3; k++) {
    w->origin[k] = w->periodic[k] ? 0 : lo[k];
    span[k] = w->periodic[k] ? 1 : hi[k] - lo[k];
  }
  /* Rounding: the fast distance test works on wrapped positions, the final
   * decision on the r_ij formula of tanne.h. Both differ from the true value
   * by a few ulps of the largest coordinate involved; a margin delta of many
   * such ulps keeps every pair that the formula accepts inside the stencil
   * and the fast window. */
  double cell_len = 0;
  for (int k = 0; k < 3; k++) cell_len += norm(w->cellz[k]);
  double delta = 256 * DBL_EPSILON * (4 * pmax + 4 * cell_len + 2 * cutoff);
  double cut_bin = (cutoff + 4 * delta) * (1 + 1e-9);
  w->cut2 = cutoff * cutoff;
  w->lo2 = cutoff > delta ? (cutoff - delta) * (cutoff - delta) : 0;
  w->hi2 = (cutoff + delta) * (cutoff + delta);

  grid_bins(w, span, cut_bin, n);
  int64_t stencil = 1;
  for (int k = 0; k < 3; k++) {
    double bin_len = w->width[k] * w->height[k]; /* Å */
    double r = w->nb[k] == 1 && !w->periodic[k] ? 0 : ceil(cut_bin / bin_len);
    if (!(r <= NBR_MAX_STENCIL)) r = NBR_MAX_STENCIL;
    w->reach[k] = (int)r;
    stencil *= 2 * (int64_t)r + 1;
    if (stencil > NBR_MAX_STENCIL)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "neighbors: field 'cutoff': %g Å needs more than %d images of a cell with "
                     "plane spacing %g Å along axis %d",
                     cutoff, NBR_MAX_STENCIL, w->height[k], k);
  }
  if (tn_grow((void **)&w->bin_start, &w->bin_start_cap, w->n_bins + 1, sizeof *w->bin_start) ||
      tn_grow((void **)&w->stencil, &w->stencil_cap, stencil, sizeof *w->stencil))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                   "neighbors: out of memory for %lld bins and a stencil of %lld",
                   (long long)w->n_bins, (long long)stencil);

  /* Bin of each atom, then a stable counting sort by bin. */
  memset(w->bin_start, 0, (size_t)(w->n_bins + 1) * sizeof *w->bin_start);
  for (int i = 0; i < n; i++) {
    int c[3];
    for (int k = 0; k < 3; k++) {
      double u = w->nb[k] == 1 ? 0 : (w->frac[i][k] - w->origin[k]) / w->width[k];
      c[k] = u <= 0 ? 0 : u >= w->nb[k] - 1 ? w->nb[k] - 1 : (int)u;
    }
    int32_t b = (int32_t)(((int64_t)c[0] * w->nb[1] + c[1]) * w->nb[2] + c[2]);
    w->bin_of[i] = b;
    w->bin_start[b + 1]++;
  }
  for (int64_t b = 0; b < w->n_bins; b++) w->bin_start[b + 1] += w->bin_start[b];
  for (int i = 0; i < n; i++) {
    /* bin_start[b] serves as the fill cursor of bin b and ends one bin on. */
    int32_t a = w->bin_start[w->bin_of[i]]++;
    w->order[a] = i;
    for (int k = 0; k < 3; k++) {
      w->swrap[a][k] = w->wrap[i][k];
      w->spos[a][k] = pos[i][k] - (w->wrap[i][0] * w->cellz[0][k] + w->wrap[i][1] * w->cellz[1][k] +
                                   w->wrap[i][2] * w->cellz[2][k]);
    }
  }
  for (int64_t b = w->n_bins; b > 0; b--) w->bin_start[b] = w->bin_start[b - 1];
  w->bin_start[0] = 0;
  return TN_STATUS_OK;
}

void nbr_work_free(nbr_work *w) {
  if (!w) return;
  free(w->frac);
  free(w->wrap);
  free(w->bin_of);
  free(w->tstart);
  free(w->tcount);
  free(w->order);
  free(w->spos);
  free(w->swrap);
  free(w->bin_start);
  free(w->stencil);
  free(w->tj);
  free(w->tshift);
  free(w);
}
