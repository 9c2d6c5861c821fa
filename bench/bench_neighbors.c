/* Neighbor-list build time per atom against system size, for a liquid-argon
 * like configuration: density 0.0213 atoms/Å³ (argon near its triple
 * point), cutoff 8.5 Å (about 2.5 sigma of argon's Lennard-Jones), periodic
 * cubic box. Atoms sit on a jittered simple cubic lattice (no overlaps) and
 * are listed in random order, as they are after a long MD run, so memory
 * locality comes from the library's own binning and not from the input.
 * O(N) means the time per atom stays flat from 10³ to 10⁵ atoms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liquid.h"
#include "machine.h"
#include "tanne.h"

#define DENSITY     0.0213 /* atoms / Å³ */
#define CUTOFF      8.5    /* Å */
#define MIN_SECONDS 0.3

static double seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void print_machine(void) {
  printf("bench_neighbors: cell-list build, tanne %s\n", TN_VERSION_STRING);
  bench_print_machine(" (the build is serial)");
  printf("system: density %.4f atoms/Å³, cutoff %.1f Å, periodic cubic box, jittered lattice, "
         "shuffled order\n\n",
         DENSITY, CUTOFF);
}

int main(void) {
  static const int sizes[] = {1000, 3000, 10000, 30000, 100000};
  enum { N_SIZES = sizeof sizes / sizeof sizes[0] };
  print_machine();
  tn_neighbors *nl = tn_neighbors_create();
  tn_rng rng;
  tn_rng_seed(&rng, 2024);
  if (!nl) return 1;
  /* Wall time (CLOCK_MONOTONIC, mean over the builds) is what the table is
   * about; the CPU time of the process is shown beside it, so that a machine
   * busy with other work shows up as the difference between the two. */
  printf("%8s %10s %12s %8s %14s %8s %14s %8s\n", "N", "box (Å)", "pairs/atom", "builds",
         "ns/atom/build", "ratio", "cpu ns/atom", "ratio");
  double base = 0, worst = 0, base_cpu = 0, worst_cpu = 0;
  for (int s = 0; s < N_SIZES; s++) {
    int n = sizes[s];
    double L = cbrt(n / DENSITY);
    double(*pos)[3] = malloc((size_t)n * sizeof *pos);
    if (!pos || bench_make_liquid(pos, n, L, &rng)) {
      fprintf(stderr, "out of memory for %d atoms\n", n);
      return 1;
    }
    const double cell[3][3] = {{L, 0, 0}, {0, L, 0}, {0, 0, L}};
    const uint8_t pbc[3] = {1, 1, 1};
    /* One build to size the buffers; the timed ones reuse them. */
    tn_status st = tn_neighbors_build(nl, (const double(*)[3])pos, n, cell, pbc, CUTOFF);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "build failed: %s\n", nl->errmsg);
      return 1;
    }
    int builds = 0;
    double t0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID), elapsed;
    do {
      st = tn_neighbors_build(nl, (const double(*)[3])pos, n, cell, pbc, CUTOFF);
      builds++;
      elapsed = seconds(CLOCK_MONOTONIC) - t0;
    } while (st == TN_STATUS_OK && (elapsed < MIN_SECONDS || builds < 3));
    double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "build failed: %s\n", nl->errmsg);
      return 1;
    }
    double ns = 1e9 * elapsed / builds / n, ns_cpu = 1e9 * cpu / builds / n;
    if (s == 0) base = ns, base_cpu = ns_cpu;
    worst = fmax(worst, fabs(ns / base - 1));
    worst_cpu = fmax(worst_cpu, fabs(ns_cpu / base_cpu - 1));
    printf("%8d %10.2f %12.2f %8d %14.1f %8.3f %14.1f %8.3f\n", n, L, (double)nl->n_pairs / n,
           builds, ns, ns / base, ns_cpu, ns_cpu / base_cpu);
    fflush(stdout);
    free(pos);
  }
  printf("\nexpected pairs/atom 4/3 pi rc³ rho = %.2f\n",
         4.0 / 3.0 * M_PI * pow(CUTOFF, 3) * DENSITY);
  printf("time per atom flat within %.1f%% (wall) and %.1f%% (cpu) from N = %d to %d\n",
         100 * worst, 100 * worst_cpu, sizes[0], sizes[N_SIZES - 1]);
  tn_neighbors_free(nl);
  return 0;
}
