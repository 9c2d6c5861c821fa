/* Helpers of bench_models: timing, .npy output, the argon box, GEMM peak. */
#include "models_util.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "../src/nn/nn.h"

double bench_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int bench_time(bench_timing *t, bench_fn fn, void *ctx, int warmup, int min_samples,
               int max_samples, double min_seconds) {
  memset(t, 0, sizeof *t);
  TN_ASSERT(min_samples >= 1 && max_samples >= min_samples);
  double *s = malloc((size_t)max_samples * sizeof *s);
  if (!s) return -1;
  int rc = 0;
  for (int q = 0; q < warmup && !rc; q++) rc = fn(ctx);
  nn_gemm_stats_reset();
  int n = 0;
  while (!rc && n < max_samples && (n < min_samples || t->total < min_seconds)) {
    double t0 = bench_now();
    rc = fn(ctx);
    s[n] = bench_now() - t0;
    t->total += s[n++];
  }
  nn_gemm_stats_get(&t->gemm_flops, &t->gemm_seconds, &t->gemm_calls);
  if (!rc) {
    qsort(s, (size_t)n, sizeof *s, compare_double);
    t->samples = n;
    t->min = s[0];
    t->max = s[n - 1];
    t->median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }
  free(s);
  return rc;
}

/* ------------------------------------------------------------------ .npy */

/* numpy/lib/format.py, version 1.0: the magic "\x93NUMPY", the version bytes
 * 1 0, a uint16 little-endian header length, then a Python dict literal
 * padded with spaces and ended by '\n' so that the data start at a multiple
 * of 64 bytes. */
tn_status bench_npy_write(const char *dir, const char *name, const char *descr,
                          const int64_t *shape, int ndim, const void *data, char *err,
                          size_t err_len) {
  TN_ASSERT(!strcmp(descr, "<f8") || !strcmp(descr, "<i8"));
  char path[1024], tmp[1100], dims[256] = "";
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s/%s: path too long", dir, name);
  size_t count = 1, used = 0;
  for (int d = 0; d < ndim; d++) {
    count *= (size_t)shape[d];
    used += (size_t)snprintf(dims + used, sizeof dims - used, "%lld,%s", (long long)shape[d],
                             d + 1 < ndim ? " " : "");
  }
  if (ndim > 1) dims[used - 1] = '\0'; /* (3, 4) but (3,) for one axis */
  char head[512];
  int len = snprintf(head, sizeof head, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, dims);
  int total = 10 + len + 1, pad = (64 - total % 64) % 64;
  TN_ASSERT(len > 0 && len + pad + 1 < (int)sizeof head);
  memset(head + len, ' ', (size_t)pad);
  head[len + pad] = '\n';
  int hlen = len + pad + 1;
  unsigned char pre[10] = {0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           (unsigned char)(hlen & 0xff),
                           (unsigned char)(hlen >> 8)};
  FILE *f = tn_open_temp(path, tmp, sizeof tmp);
  if (!f) return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot open a temporary file", path);
  fwrite(pre, 1, sizeof pre, f);
  fwrite(head, 1, (size_t)hlen, f);
  if (count) fwrite(data, 8, count, f); /* both dtypes are 8 bytes, host (little) order */
  return tn_commit_file(f, tmp, path, err, err_len);
}

/* ------------------------------------------------------------- the box */

tn_status bench_liquid_box(tn_dataset *ds, int z, int n, double rho, uint64_t seed) {
  int m = 1;
  while ((int64_t)m * m * m < n) m++;
  int64_t sites = (int64_t)m * m * m;
  double box = cbrt(n / rho), a = box / m;
  int64_t *site = malloc((size_t)sites * sizeof *site);
  int32_t *species = malloc((size_t)n * sizeof *species);
  double(*pos)[3] = malloc((size_t)n * sizeof *pos);
  tn_status st = TN_STATUS_NO_MEMORY;
  if (!site || !species || !pos) goto done;
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int64_t s = 0; s < sites; s++) site[s] = s;
  for (int i = 0; i < n; i++) {
    /* partial Fisher-Yates: site i becomes a uniform pick of the rest */
    int64_t k = i + (int64_t)(tn_rng_uniform(&rng) * (double)(sites - i));
    int64_t s = site[k];
    site[k] = site[i];
    site[i] = s;
    int64_t c[3] = {s % m, s / m % m, s / ((int64_t)m * m)};
    for (int d = 0; d < 3; d++)
      pos[i][d] = a * ((double)c[d] + 0.5 + 0.5 * (tn_rng_uniform(&rng) - 0.5));
    species[i] = z;
  }
  tn_frame f = {.n_atoms = n,
                .species = species,
                .pos = (const double(*)[3])pos,
                .cell = {{box, 0, 0}, {0, box, 0}, {0, 0, box}},
                .pbc = {1, 1, 1}};
  st = tn_dataset_append(ds, &f);
done:
  free(site);
  free(species);
  free(pos);
  return st;
}

/* ------------------------------------------------------------ GEMM peak */

double bench_gemm_peak(int n, int reps) {
  size_t nn = (size_t)n * n;
  tn_real *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
  double best = 0;
  if (a && b && c) {
    tn_rng rng;
    tn_rng_seed(&rng, 7);
    for (size_t q = 0; q < nn; q++) {
      a[q] = (tn_real)(tn_rng_uniform(&rng) - 0.5);
      b[q] = (tn_real)(tn_rng_uniform(&rng) - 0.5);
    }
    nn_gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n); /* warm-up: pages, threads */
    for (int r = 0; r < reps; r++) {
      double t0 = bench_now();
      nn_gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
      double rate = 2.0 * (double)n * n * n / (bench_now() - t0);
      if (rate > best) best = rate;
    }
  }
  free(a);
  free(b);
  free(c);
  return best;
}
