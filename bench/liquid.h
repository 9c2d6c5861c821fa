/* A liquid-like start for benchmarks: atoms on a jittered simple cubic
 * lattice (no overlaps), in random order. Shared by bench_neighbors and
 * bench_md. */
#ifndef TN_BENCH_LIQUID_H
#define TN_BENCH_LIQUID_H

#include <math.h>
#include <stdlib.h>

#include "tanne.h"

/* n atoms on n of the m³ sites of a simple cubic lattice filling a box of
 * edge L, each moved by up to ±0.25 of the spacing along each axis, in the
 * random order of a partial Fisher-Yates shuffle of the sites. */
static inline int bench_make_liquid(double (*pos)[3], int n, double L, tn_rng *rng) {
  int m = (int)ceil(cbrt((double)n) - 1e-9);
  int64_t sites = (int64_t)m * m * m;
  int64_t *site = malloc((size_t)sites * sizeof *site);
  if (!site) return -1;
  for (int64_t s = 0; s < sites; s++) site[s] = s;
  double a = L / m;
  for (int i = 0; i < n; i++) {
    int64_t k = i + (int64_t)(tn_rng_uniform(rng) * (double)(sites - i));
    int64_t s = site[k];
    site[k] = site[i];
    site[i] = s;
    int64_t c[3] = {s / ((int64_t)m * m), s / m % m, s % m};
    for (int d = 0; d < 3; d++)
      pos[i][d] = a * ((double)c[d] + 0.5 + 0.5 * (tn_rng_uniform(rng) - 0.5));
  }
  free(site);
  return 0;
}

#endif
