/* MD speed: microseconds per atom per step of tanne's NVE loop (forces,
 * integration, Verlet-list upkeep, the monitor) for SchNet and PaiNN at their
 * default sizes (128 features, 3 interactions, 5 Å cutoff) on argon-like
 * liquid boxes of 10³ and about 10⁴ atoms. The weights are random: speed
 * does not depend on them, and the monitor is off because a random model is
 * no physical potential. With TANNE_BENCH_OUT set, the SchNet model and the
 * boxes are also written there (md_schnet.tnm, md_box_1000.xyz,
 * md_box_10648.xyz) with the times (md_times.txt), for bench/md_vs_lammps.sh
 * to run the same systems in LAMMPS through the KIM driver. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liquid.h"
#include "machine.h"
#include "tanne.h"

#define DENSITY     0.0210 /* atoms / Å³, liquid argon at 90 K */
#define MIN_SECONDS 1.0

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A box of n argon atoms at DENSITY as a one-frame data set. */
static tn_dataset *make_box(int n, tn_rng *rng) {
  double L = cbrt(n / DENSITY);
  double(*pos)[3] = malloc((size_t)n * sizeof *pos);
  int32_t *species = malloc((size_t)n * sizeof *species);
  tn_dataset *ds = tn_dataset_create();
  if (!pos || !species || !ds || bench_make_liquid(pos, n, L, rng)) goto fail;
  for (int i = 0; i < n; i++) species[i] = 18;
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = n;
  f.species = species;
  f.pos = (const double(*)[3])pos;
  for (int k = 0; k < 3; k++) {
    f.cell[k][k] = L;
    f.pbc[k] = 1;
  }
  if (tn_dataset_append(ds, &f) != TN_STATUS_OK) goto fail;
  free(pos);
  free(species);
  return ds;
fail:
  free(pos);
  free(species);
  tn_dataset_free(ds);
  return NULL;
}

/* µs per atom per step over at least MIN_SECONDS of steps, after two. */
static double time_md(tn_model *m, const tn_frame *f, int *steps_out) {
  tn_md_options o = tn_md_options_default();
  o.timestep = 2.0;
  o.init_temperature = 90.0;
  o.min_distance = 0.0;
  o.max_temperature = -1.0;
  o.max_drift = 0.0;
  tn_md *md = NULL;
  char err[512];
  if (tn_md_create_model(&md, m, f, &o, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "bench_md: %s\n", err);
    return NAN;
  }
  int steps = 0;
  double t0 = 0.0, elapsed = 0.0;
  tn_status st = tn_md_run(md, 2);
  if (st == TN_STATUS_OK) t0 = seconds();
  while (st == TN_STATUS_OK && (elapsed < MIN_SECONDS || steps < 3)) {
    st = tn_md_run(md, 1);
    steps++;
    elapsed = seconds() - t0;
  }
  if (st != TN_STATUS_OK) fprintf(stderr, "bench_md: %s\n", tn_md_errmsg(md));
  tn_md_free(md);
  *steps_out = steps;
  return st == TN_STATUS_OK ? 1e6 * elapsed / steps / f->n_atoms : NAN;
}

int main(void) {
  static const int sizes[] = {1000, 10648}; /* 10³ and 22³ lattice sites */
  static const char *const types[] = {"schnet", "painn"};
  const char *out = getenv("TANNE_BENCH_OUT");
  printf("bench_md: NVE MD with tanne's models, tanne %s, %d-byte reals\n", TN_VERSION_STRING,
         tn_real_size());
  bench_print_machine(" (OpenMP: all of them unless OMP_NUM_THREADS says otherwise)");
  printf("system: argon-like liquid, %.4f atoms/Å³, periodic cubic box, dt 2 fs, 90 K start; "
         "models at default sizes (128 features, 3 interactions, 5 Å cutoff), skin 1 Å\n\n",
         DENSITY);
  printf("%-8s %8s %8s %16s\n", "model", "atoms", "steps", "µs/atom/step");
  FILE *times = NULL;
  char path[4096];
  if (out) {
    snprintf(path, sizeof path, "%s/md_times.txt", out);
    times = fopen(path, "w");
  }
  tn_rng rng;
  tn_rng_seed(&rng, 2026);
  int status = 0;
  for (int s = 0; s < 2; s++) {
    tn_dataset *box = make_box(sizes[s], &rng);
    if (!box) return 1;
    tn_frame f;
    tn_dataset_frame(box, 0, &f);
    if (out) {
      snprintf(path, sizeof path, "%s/md_box_%d.xyz", out, sizes[s]);
      if (tn_dataset_write_extxyz(box, path) != TN_STATUS_OK) status = 1;
    }
    for (int t = 0; t < 2; t++) {
      tn_model_options mo = tn_model_options_default();
      snprintf(mo.type, sizeof mo.type, "%s", types[t]);
      const int32_t ar = 18;
      tn_model *m = NULL;
      char err[256];
      if (tn_model_create(&m, &mo, &ar, 1, 7, err, sizeof err) != TN_STATUS_OK) {
        fprintf(stderr, "bench_md: %s\n", err);
        return 1;
      }
      if (out && s == 0 && t == 0) {
        snprintf(path, sizeof path, "%s/md_schnet.tnm", out);
        if (tn_model_save(m, path) != TN_STATUS_OK) status = 1;
      }
      int steps = 0;
      double us = time_md(m, &f, &steps);
      if (isnan(us)) status = 1;
      printf("%-8s %8d %8d %16.2f\n", types[t], sizes[s], steps, us);
      fflush(stdout);
      if (times) fprintf(times, "%s %d %.6g\n", types[t], sizes[s], us);
      tn_model_free(m);
    }
    tn_dataset_free(box);
  }
  if (times) fclose(times);
  return status;
}
