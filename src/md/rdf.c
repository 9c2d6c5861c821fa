/* The radial distribution function of periodic frames:
 *   g(r) = <n(r)> / (N ρ 4π r² dr),
 * n(r) the number of ordered pairs (i, j) with |r_ij| in the shell, over N
 * atoms at density ρ = N / V, so an ideal gas has g = 1. Each frame adds its
 * counts already divided by N ρ, so frames of other sizes or volumes average
 * correctly. */
#include <math.h>
#include <string.h>

#include "../neighbors/pairs.h"
#include "md.h"

struct tn_rdf {
  double range; /* Å */
  int n_bins;
  double *sum; /* [n_bins] Σ_frames count_k / (N ρ) */
  int64_t n_frames;
  tn_neighbors *nl;
  char errmsg[256];
};

tn_status tn_rdf_create(tn_rdf **out, double range, int n_bins, char *err, size_t err_len) {
  *out = NULL;
  if (!(isfinite(range) && range > 0.0) || n_bins < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "rdf: range %g Å and %d bins: need range > 0 and at least one bin", range,
                   n_bins);
  tn_rdf *rdf = calloc(1, sizeof *rdf);
  if (rdf) {
    rdf->sum = calloc((size_t)n_bins, sizeof *rdf->sum);
    rdf->nl = tn_neighbors_create();
  }
  if (!rdf || !rdf->sum || !rdf->nl) {
    tn_rdf_free(rdf);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "rdf: out of memory");
  }
  rdf->range = range;
  rdf->n_bins = n_bins;
  *out = rdf;
  return TN_STATUS_OK;
}

void tn_rdf_free(tn_rdf *rdf) {
  if (!rdf) return;
  free(rdf->sum);
  tn_neighbors_free(rdf->nl);
  free(rdf);
}

const char *tn_rdf_errmsg(const tn_rdf *rdf) { return rdf ? rdf->errmsg : "no rdf"; }

tn_status tn_rdf_add(tn_rdf *rdf, const tn_frame *frame) {
  if (!frame || frame->n_atoms < 1 || !tn_cell_periodic(frame->cell, frame->pbc))
    return tn_fail(rdf->errmsg, sizeof rdf->errmsg, TN_STATUS_INVALID_ARG,
                   "rdf: the frame must have atoms and a cell periodic on all three axes");
  tn_status st =
      tn_neighbors_build(rdf->nl, frame->pos, frame->n_atoms, frame->cell, frame->pbc, rdf->range);
  if (st != TN_STATUS_OK)
    return tn_fail(rdf->errmsg, sizeof rdf->errmsg, st, "rdf: %s", rdf->nl->errmsg);
  double n = frame->n_atoms, norm = n * n / tn_cell_volume(frame->cell); /* N ρ */
  double width = rdf->range / rdf->n_bins;
  const tn_neighbors *nl = rdf->nl;
  for (int64_t p = 0; p < nl->n_pairs; p++) {
    double d[3];
    nbr_pair_vector(frame->pos, (const double(*)[3])frame->cell, nl->i[p], nl->j[p], nl->shift[p],
                    d);
    double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    int bin = (int)(sqrt(d2) / width);
    if (bin < rdf->n_bins) rdf->sum[bin] += 1.0 / norm;
  }
  rdf->n_frames++;
  return TN_STATUS_OK;
}

int64_t tn_rdf_result(const tn_rdf *rdf, double *r, double *g) {
  double width = rdf->range / rdf->n_bins;
  for (int k = 0; k < rdf->n_bins; k++) {
    double lo = k * width, hi = lo + width;
    double shell = 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
    if (r) r[k] = lo + 0.5 * width;
    if (g) g[k] = rdf->n_frames ? rdf->sum[k] / (rdf->n_frames * shell) : 0.0;
  }
  return rdf->n_frames;
}
