/* Cell-list neighbor search: equal to a brute force over all lattice images
 * on many random cells (open, orthorhombic, skewed, mixed pbc, cells thinner
 * than the cutoff, atoms outside the cell), exact counts on known lattices,
 * symmetry, translation invariance, memory reuse and every error status. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define MAX_ATOMS 60

typedef struct pair {
  int32_t i, j, s[3];
} pair;

typedef struct pair_list {
  pair *p;
  int64_t n, cap;
} pair_list;

static void list_push(pair_list *l, int32_t i, int32_t j, const int32_t s[3]) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    pair *q = realloc(l->p, (size_t)l->cap * sizeof *q);
    if (!q) abort(); /* test code: out of memory is fatal */
    l->p = q;
  }
  pair *e = &l->p[l->n++];
  e->i = i, e->j = j;
  memcpy(e->s, s, sizeof e->s);
}

static int pair_cmp(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  if (a->j != b->j) return a->j < b->j ? -1 : 1;
  for (int k = 0; k < 3; k++)
    if (a->s[k] != b->s[k]) return a->s[k] < b->s[k] ? -1 : 1;
  return 0;
}

/* The r_ij formula of tanne.h in the order the library evaluates it; cz is
 * the cell with open rows zeroed. Returns |r|². */
static double dist2(const double (*pos)[3], const double cz[3][3], int i, int j,
                    const int32_t s[3]) {
  double r2 = 0;
  for (int k = 0; k < 3; k++) {
    double r = (pos[j][k] - pos[i][k]) + (s[0] * cz[0][k] + s[1] * cz[1][k] + s[2] * cz[2][k]);
    r2 += r * r;
  }
  return r2;
}

/* All (i, j, s) within rc, by looping over every image that can reach it.
 * Image bounds come from the dual vectors g_p of the periodic vectors
 * (inverse Gram matrix): r · g_p = D · g_p + s_p and |r · g_p| <= |r| |g_p|,
 * so |s_p + D · g_p| < rc |g_p|. Independent of the library's basis. */
static void brute_force(pair_list *out, const double (*pos)[3], int n, const double cell[3][3],
                        const uint8_t pbc[3], double rc) {
  int per[3], np = 0;
  double cz[3][3] = {{0}}, g[3][3] = {{0}};
  for (int k = 0; k < 3; k++)
    if (pbc[k]) per[np++] = k, memcpy(cz[k], cell[k], sizeof cz[k]);
  /* Gauss-Jordan on the np x np Gram matrix. */
  double G[3][6] = {{0}};
  for (int p = 0; p < np; p++) {
    for (int q = 0; q < np; q++)
      G[p][q] = cz[per[p]][0] * cz[per[q]][0] + cz[per[p]][1] * cz[per[q]][1] +
                cz[per[p]][2] * cz[per[q]][2];
    G[p][np + p] = 1;
  }
  for (int c = 0; c < np; c++) {
    int piv = c;
    for (int r = c + 1; r < np; r++)
      if (fabs(G[r][c]) > fabs(G[piv][c])) piv = r;
    for (int q = 0; q < 2 * np; q++) {
      double t = G[c][q];
      G[c][q] = G[piv][q], G[piv][q] = t;
    }
    double d = G[c][c];
    for (int q = 0; q < 2 * np; q++) G[c][q] /= d;
    for (int r = 0; r < np; r++) {
      if (r == c) continue;
      double f = G[r][c];
      for (int q = 0; q < 2 * np; q++) G[r][q] -= f * G[c][q];
    }
  }
  double glen[3] = {0};
  for (int p = 0; p < np; p++) {
    for (int q = 0; q < np; q++)
      for (int k = 0; k < 3; k++) g[p][k] += G[p][np + q] * cz[per[q]][k];
    glen[p] = sqrt(g[p][0] * g[p][0] + g[p][1] * g[p][1] + g[p][2] * g[p][2]);
  }
  out->n = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
      for (int p = 0; p < np; p++) {
        double df = 0;
        for (int k = 0; k < 3; k++) df += (pos[j][k] - pos[i][k]) * g[p][k];
        lo[per[p]] = (int)floor(-df - rc * glen[p]) - 1;
        hi[per[p]] = (int)ceil(-df + rc * glen[p]) + 1;
      }
      int32_t s[3];
      for (s[0] = lo[0]; s[0] <= hi[0]; s[0]++)
        for (s[1] = lo[1]; s[1] <= hi[1]; s[1]++)
          for (s[2] = lo[2]; s[2] <= hi[2]; s[2]++) {
            if (i == j && s[0] == 0 && s[1] == 0 && s[2] == 0) continue;
            if (dist2(pos, (const double(*)[3])cz, i, j, s) < rc * rc) list_push(out, i, j, s);
          }
    }
  }
  qsort(out->p, (size_t)out->n, sizeof *out->p, pair_cmp);
}

/* The library's list as pairs; checks the layout (sorted by i, first[]
 * consistent) on the way. Returns 0 if the layout is broken. */
static int from_list(pair_list *out, const tn_neighbors *nl, int n) {
  int ok = nl->n_atoms == n && nl->first[0] == 0 && nl->first[n] == nl->n_pairs;
  out->n = 0;
  for (int i = 0; i < n && ok; i++)
    for (int64_t p = nl->first[i]; p < nl->first[i + 1]; p++) {
      ok &= nl->i[p] == i && nl->j[p] >= 0 && nl->j[p] < n;
      list_push(out, nl->i[p], nl->j[p], nl->shift[p]);
    }
  qsort(out->p, (size_t)out->n, sizeof *out->p, pair_cmp);
  return ok;
}

static int same_pairs(const pair_list *a, const pair_list *b) {
  return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, (size_t)a->n * sizeof *a->p) == 0);
}

static double uniform(tn_rng *r, double lo, double hi) {
  return lo + (hi - lo) * tn_rng_uniform(r);
}

/* Plane spacing of periodic axis k within the span of the periodic rows. */
static double min_height(const double cell[3][3], const uint8_t pbc[3]) {
  double h = INFINITY;
  for (int k = 0; k < 3; k++) {
    if (!pbc[k]) continue;
    /* project out the other periodic rows (Gram-Schmidt against them) */
    double v[3] = {cell[k][0], cell[k][1], cell[k][2]}, basis[2][3];
    int nb = 0;
    for (int l = 0; l < 3; l++) {
      if (l == k || !pbc[l]) continue;
      double u[3] = {cell[l][0], cell[l][1], cell[l][2]};
      for (int m = 0; m < nb; m++) {
        double d = u[0] * basis[m][0] + u[1] * basis[m][1] + u[2] * basis[m][2];
        for (int c = 0; c < 3; c++) u[c] -= d * basis[m][c];
      }
      double len = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
      for (int c = 0; c < 3; c++) basis[nb][c] = u[c] / len;
      nb++;
    }
    for (int m = 0; m < nb; m++) {
      double d = v[0] * basis[m][0] + v[1] * basis[m][1] + v[2] * basis[m][2];
      for (int c = 0; c < 3; c++) v[c] -= d * basis[m][c];
    }
    h = fmin(h, sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
  }
  return h;
}

enum { KIND_OPEN, KIND_ORTHO, KIND_SKEWED, KIND_TTF, KIND_TFF, KIND_MIXED, KIND_TRICLINIC, N_KIND };

typedef struct config {
  int n;
  double pos[MAX_ATOMS][3];
  double cell[3][3];
  uint8_t pbc[3];
  double cutoff;
} config;

/* A random configuration of the given kind: 1..60 atoms, cutoff up to 2.5x
 * the smallest plane spacing, atoms inside the cell or up to 1.5 cells out. */
static void random_config(config *c, tn_rng *r, int kind) {
  double A = uniform(r, 2, 8), B = uniform(r, 2, 8), C = uniform(r, 2, 8);
  double cell[3][3] = {{A, 0, 0}, {0, B, 0}, {0, 0, C}};
  if (kind == KIND_SKEWED) {
    cell[1][0] = (tn_rng_uniform(r) < 0.5 ? -0.9 : 0.9) * A;
    cell[2][0] = uniform(r, -1.5, 1.5) * A;
    cell[2][1] = uniform(r, -1.5, 1.5) * B;
  } else if (kind != KIND_ORTHO && kind != KIND_OPEN) {
    for (int k = 0; k < 3; k++)
      for (int l = 0; l < 3; l++)
        if (k != l) cell[k][l] = uniform(r, -0.7, 0.7) * cell[l][l];
  }
  uint8_t pbc[3] = {1, 1, 1};
  if (kind == KIND_OPEN) pbc[0] = pbc[1] = pbc[2] = 0;
  if (kind == KIND_TTF) pbc[2] = 0;
  if (kind == KIND_TFF) pbc[1] = pbc[2] = 0;
  if (kind == KIND_MIXED) {
    int pattern = (int)(tn_rng_next(r) % 6); /* FTF FFT TFT FTT TFF(shuffled) TTF(shuffled) */
    static const uint8_t pats[6][3] = {{0, 1, 0}, {0, 0, 1}, {1, 0, 1},
                                       {0, 1, 1}, {0, 0, 1}, {1, 0, 0}};
    memcpy(pbc, pats[pattern], 3);
  }
  c->n = 1 + (int)(tn_rng_next(r) % MAX_ATOMS);
  int outside = tn_rng_uniform(r) < 0.5;
  for (int i = 0; i < c->n; i++) {
    double f[3];
    for (int k = 0; k < 3; k++) f[k] = outside ? uniform(r, -1.5, 2.5) : tn_rng_uniform(r);
    for (int k = 0; k < 3; k++)
      c->pos[i][k] = f[0] * cell[0][k] + f[1] * cell[1][k] + f[2] * cell[2][k];
  }
  /* Occasionally a duplicate atom (distance 0 to another one). */
  if (c->n > 2 && tn_rng_uniform(r) < 0.1) memcpy(c->pos[1], c->pos[0], sizeof c->pos[0]);
  memcpy(c->cell, cell, sizeof cell);
  memcpy(c->pbc, pbc, 3);
  double h =
      pbc[0] || pbc[1] || pbc[2] ? min_height((const double(*)[3])cell, pbc) : fmin(A, fmin(B, C));
  c->cutoff = uniform(r, 0.05, 2.5) * h;
  /* Open rows of the cell are ignored: make them zero or garbage. */
  for (int k = 0; k < 3; k++) {
    if (pbc[k]) continue;
    double u = tn_rng_uniform(r);
    for (int l = 0; l < 3; l++)
      c->cell[k][l] = u < 0.3 ? 0 : u < 0.5 ? NAN : u < 0.7 ? 1e300 : c->cell[k][l];
  }
}

static void test_random_vs_brute_force(void) {
  tn_rng r;
  tn_rng_seed(&r, 20240611);
  tn_neighbors *nl = tn_neighbors_create();
  pair_list got = {0}, want = {0};
  int64_t total = 0, bad = 0, kinds_with_pairs[N_KIND] = {0};
  config c;
  const int n_configs = 1050;
  for (int t = 0; t < n_configs; t++) {
    int kind = t % N_KIND;
    random_config(&c, &r, kind);
    tn_status st = tn_neighbors_build(nl, (const double(*)[3])c.pos, c.n,
                                      (const double(*)[3])c.cell, c.pbc, c.cutoff);
    int layout = st == TN_STATUS_OK && from_list(&got, nl, c.n);
    brute_force(&want, (const double(*)[3])c.pos, c.n, (const double(*)[3])c.cell, c.pbc, c.cutoff);
    total += want.n;
    if (want.n) kinds_with_pairs[kind]++;
    if (!layout || !same_pairs(&got, &want)) {
      if (bad++ < 5)
        fprintf(stderr,
                "  config %d (kind %d, %d atoms, pbc %d%d%d, cutoff %g): status %s, %lld pairs, "
                "brute force %lld\n",
                t, kind, c.n, c.pbc[0], c.pbc[1], c.pbc[2], c.cutoff, tn_status_str(st),
                (long long)got.n, (long long)want.n);
    }
  }
  CHECK(bad == 0);
  CHECK(total > 100000); /* the comparison was not vacuous */
  for (int k = 0; k < N_KIND; k++) CHECK(kinds_with_pairs[k] > n_configs / N_KIND / 2);
  free(got.p);
  free(want.p);
  tn_neighbors_free(nl);
}

/* Cutoffs set to the distance of a listed pair, so that pairs sit within
 * an ulp of the cutoff: the list must still agree with the r_ij formula of
 * tanne.h (this is what the library's exact recheck near the cutoff is for;
 * positions are far out of the cell, so wrapped and unwrapped arithmetic
 * round differently). */
static void test_cutoff_at_pair_distance(void) {
  tn_rng r;
  tn_rng_seed(&r, 777);
  tn_neighbors *nl = tn_neighbors_create();
  pair_list got = {0}, want = {0};
  config c;
  int bad = 0, tried = 0;
  for (int t = 0; t < 200; t++) {
    random_config(&c, &r, t % 2 ? KIND_SKEWED : KIND_TRICLINIC);
    for (int i = 0; i < c.n; i++)
      for (int k = 0; k < 3; k++) c.pos[i][k] += 1000.0 / 3.0 * (k + 1);
    brute_force(&want, (const double(*)[3])c.pos, c.n, (const double(*)[3])c.cell, c.pbc, c.cutoff);
    if (want.n == 0) continue;
    const pair *p = &want.p[tn_rng_next(&r) % (uint64_t)want.n];
    double cz[3][3];
    memcpy(cz, c.cell, sizeof cz);
    double d = sqrt(dist2((const double(*)[3])c.pos, (const double(*)[3])cz, p->i, p->j, p->s));
    if (!(d > 0)) continue; /* a duplicate atom */
    for (int step = -1; step <= 1; step++) {
      double rc = step < 0 ? nextafter(d, 0) : step > 0 ? nextafter(d, INFINITY) : d;
      brute_force(&want, (const double(*)[3])c.pos, c.n, (const double(*)[3])c.cell, c.pbc, rc);
      tn_status st = tn_neighbors_build(nl, (const double(*)[3])c.pos, c.n,
                                        (const double(*)[3])c.cell, c.pbc, rc);
      int ok = st == TN_STATUS_OK && from_list(&got, nl, c.n) && same_pairs(&got, &want);
      if (!ok && bad++ < 3)
        fprintf(stderr, "  config %d, cutoff %.17g: %lld pairs, brute force %lld\n", t, rc,
                (long long)got.n, (long long)want.n);
      tried++;
    }
  }
  CHECK(bad == 0);
  CHECK(tried > 400); /* 3 cutoffs per configuration with pairs */
  free(got.p);
  free(want.p);
  tn_neighbors_free(nl);
}

/* Number of pairs of a list with i == j == 0 and known counts. */
static int64_t build_count(tn_neighbors *nl, const double (*pos)[3], int n, const double cell[3][3],
                           const uint8_t pbc[3], double rc) {
  tn_status st = tn_neighbors_build(nl, pos, n, cell, pbc, rc);
  return st == TN_STATUS_OK ? nl->n_pairs : -1;
}

static void test_known_lattices(void) {
  tn_neighbors *nl = tn_neighbors_create();
  const uint8_t ttt[3] = {1, 1, 1};
  /* Simple cubic, a = 3 Å, one atom: 6, 18, 26 neighbours in the first
   * three shells (3, 4.24, 5.20 Å), all of them its own images. */
  double one[1][3] = {{0.3, -0.2, 0.1}};
  const double sc[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}};
  CHECK(build_count(nl, (const double(*)[3])one, 1, sc, ttt, 3.1) == 6);
  CHECK(build_count(nl, (const double(*)[3])one, 1, sc, ttt, 4.3) == 18);
  CHECK(build_count(nl, (const double(*)[3])one, 1, sc, ttt, 5.3) == 26);
  /* 6 + 12 + 8 + 6 (6.0 Å) + 24 (6.71 Å) = 56 within 6.8 Å. */
  CHECK(build_count(nl, (const double(*)[3])one, 1, sc, ttt, 6.8) == 56);
  /* The same lattice in a strongly skewed, unimodular basis. */
  const double skew[3][3] = {{3, 0, 0}, {3, 3, 0}, {6, -3, 3}};
  CHECK(build_count(nl, (const double(*)[3])one, 1, skew, ttt, 3.1) == 6);
  CHECK(build_count(nl, (const double(*)[3])one, 1, skew, ttt, 4.3) == 18);
  CHECK(build_count(nl, (const double(*)[3])one, 1, skew, ttt, 6.8) == 56);
  int all_self = nl->n_pairs > 0, shift_sum[3] = {0, 0, 0};
  for (int64_t p = 0; p < nl->n_pairs; p++) {
    all_self &= nl->i[p] == 0 && nl->j[p] == 0;
    for (int k = 0; k < 3; k++) shift_sum[k] += nl->shift[p][k];
  }
  CHECK(all_self && shift_sum[0] == 0 && shift_sum[1] == 0 && shift_sum[2] == 0);

  /* fcc, conventional cell a = 4.05 Å: 12 neighbours at 2.864 Å, 6 more at
   * 4.05 Å, 24 more at 4.96 Å; four atoms per cell. */
  const double a = 4.05;
  const double fcc_cell[3][3] = {{a, 0, 0}, {0, a, 0}, {0, 0, a}};
  double fcc[4][3] = {{0, 0, 0}, {0, a / 2, a / 2}, {a / 2, 0, a / 2}, {a / 2, a / 2, 0}};
  CHECK(build_count(nl, (const double(*)[3])fcc, 4, fcc_cell, ttt, 3.5) == 4 * 12);
  CHECK(build_count(nl, (const double(*)[3])fcc, 4, fcc_cell, ttt, 4.5) == 4 * 18);
  CHECK(build_count(nl, (const double(*)[3])fcc, 4, fcc_cell, ttt, 5.2) == 4 * 42);
  for (int i = 0; i < 4; i++) CHECK(nl->first[i + 1] - nl->first[i] == 42);

  /* A slab (T T F): a square lattice of one atom per 3 Å cell, 4 then 8. */
  const uint8_t ttf[3] = {1, 1, 0};
  const double slab_cell[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 0}};
  CHECK(build_count(nl, (const double(*)[3])one, 1, slab_cell, ttf, 3.1) == 4);
  CHECK(build_count(nl, (const double(*)[3])one, 1, slab_cell, ttf, 4.3) == 8);

  /* Open dimer 1 Å apart, and empty or single-atom systems. */
  const uint8_t fff[3] = {0, 0, 0};
  double dimer[2][3] = {{0, 0, 0}, {0.6, 0.8, 0}};
  CHECK(build_count(nl, (const double(*)[3])dimer, 2, NULL, fff, 1.5) == 2);
  CHECK(nl->i[0] == 0 && nl->j[0] == 1 && nl->i[1] == 1 && nl->j[1] == 0);
  CHECK(nl->first[0] == 0 && nl->first[1] == 1 && nl->first[2] == 2);
  CHECK(build_count(nl, (const double(*)[3])dimer, 2, NULL, fff, 0.99) == 0);
  CHECK(build_count(nl, NULL, 0, NULL, fff, 5.0) == 0);
  CHECK(nl->n_atoms == 0 && nl->first[0] == 0);
  CHECK(build_count(nl, (const double(*)[3])one, 1, NULL, fff, 5.0) == 0);
  CHECK(nl->n_atoms == 1 && nl->first[1] == 0);
  CHECK(build_count(nl, NULL, 0, sc, ttt, 5.0) == 0);
  tn_neighbors_free(nl);
}

/* Fills n atoms uniformly in a random triclinic cell (frac in [0, 1)). */
static void random_box(double (*pos)[3], int n, double cell[3][3], tn_rng *r, double edge) {
  double c[3][3] = {{edge, 0, 0}, {0.2 * edge, edge, 0}, {-0.1 * edge, 0.3 * edge, edge}};
  memcpy(cell, c, sizeof c);
  for (int i = 0; i < n; i++) {
    double f[3] = {tn_rng_uniform(r), tn_rng_uniform(r), tn_rng_uniform(r)};
    for (int k = 0; k < 3; k++) pos[i][k] = f[0] * c[0][k] + f[1] * c[1][k] + f[2] * c[2][k];
  }
}

static void test_large_box_vs_brute_force(void) {
  enum { N = 2000 };
  tn_rng r;
  tn_rng_seed(&r, 99);
  double(*pos)[3] = malloc(N * sizeof *pos), cell[3][3];
  random_box(pos, N, cell, &r, 30.0); /* 0.074 atoms / Å³ */
  const uint8_t ttt[3] = {1, 1, 1};
  tn_neighbors *nl = tn_neighbors_create();
  pair_list got = {0}, want = {0};
  CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])pos, N, (const double(*)[3])cell, ttt, 5.0));
  CHECK(from_list(&got, nl, N));
  brute_force(&want, (const double(*)[3])pos, N, (const double(*)[3])cell, ttt, 5.0);
  CHECK(got.n == want.n);
  CHECK(same_pairs(&got, &want));
  /* About 4/3 pi 5³ · 0.074 = 38.8 neighbours per atom. */
  CHECK_NEAR((double)nl->n_pairs / N, 4.0 / 3.0 * M_PI * 125 * N / (30.0 * 30 * 30), 0.05, 0);
  free(got.p);
  free(want.p);
  free(pos);
  tn_neighbors_free(nl);
}

static void test_symmetry_and_translation(void) {
  enum { N = 300 };
  tn_rng r;
  tn_rng_seed(&r, 5);
  double(*pos)[3] = malloc(N * sizeof *pos), (*moved)[3] = malloc(N * sizeof *moved), cell[3][3];
  random_box(pos, N, cell, &r, 12.0);
  cell[2][0] = 7.0; /* more skew */
  const uint8_t pbcs[3][3] = {{1, 1, 1}, {1, 0, 1}, {0, 0, 0}};
  tn_neighbors *nl = tn_neighbors_create();
  pair_list a = {0}, b = {0};
  for (int v = 0; v < 3; v++) {
    CHECK_OK(
        tn_neighbors_build(nl, (const double(*)[3])pos, N, (const double(*)[3])cell, pbcs[v], 4.0));
    CHECK(from_list(&a, nl, N));
    CHECK(a.n > 1000);
    /* (i, j, s) is listed exactly when (j, i, -s) is. */
    int symmetric = 1;
    for (int64_t p = 0; p < a.n; p++) {
      pair key = {a.p[p].j, a.p[p].i, {-a.p[p].s[0], -a.p[p].s[1], -a.p[p].s[2]}};
      symmetric &= bsearch(&key, a.p, (size_t)a.n, sizeof key, pair_cmp) != NULL;
    }
    CHECK(symmetric);
    /* A rigid translation by many cells keeps every (i, j, s) and its r_ij. */
    const double t[3] = {-53.7, 101.3, 38.9};
    for (int i = 0; i < N; i++)
      for (int k = 0; k < 3; k++) moved[i][k] = pos[i][k] + t[k];
    CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])moved, N, (const double(*)[3])cell, pbcs[v],
                                4.0));
    CHECK(from_list(&b, nl, N));
    CHECK(same_pairs(&a, &b));
    double cz[3][3] = {{0}}, worst = 0;
    for (int k = 0; k < 3; k++)
      if (pbcs[v][k]) memcpy(cz[k], cell[k], sizeof cz[k]);
    for (int64_t p = 0; p < a.n && p < b.n; p++) {
      double d1 = sqrt(
          dist2((const double(*)[3])pos, (const double(*)[3])cz, a.p[p].i, a.p[p].j, a.p[p].s));
      double d2 = sqrt(
          dist2((const double(*)[3])moved, (const double(*)[3])cz, b.p[p].i, b.p[p].j, b.p[p].s));
      worst = fmax(worst, fabs(d1 - d2));
    }
    CHECK(worst < 1e-12 * 200);
  }
  free(a.p);
  free(b.p);
  free(pos);
  free(moved);
  tn_neighbors_free(nl);
}

static void test_memory_reuse(void) {
  enum { N = 500 };
  tn_rng r;
  tn_rng_seed(&r, 11);
  double(*pos)[3] = malloc(N * sizeof *pos), cell[3][3];
  random_box(pos, N, cell, &r, 15.0);
  const uint8_t ttt[3] = {1, 1, 1};
  tn_neighbors *nl = tn_neighbors_create();
  CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])pos, N, (const double(*)[3])cell, ttt, 4.0));
  int64_t n_pairs = nl->n_pairs, cap = nl->pairs_cap;
  const int32_t *pi = nl->i, *pj = nl->j;
  const int64_t *pf = nl->first;
  /* A smaller system, then the first again: no buffer moves or grows. */
  CHECK_OK(
      tn_neighbors_build(nl, (const double(*)[3])pos, N / 2, (const double(*)[3])cell, ttt, 3.0));
  CHECK(nl->n_pairs < n_pairs && nl->n_atoms == N / 2);
  CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])pos, N, (const double(*)[3])cell, ttt, 4.0));
  CHECK(nl->n_pairs == n_pairs && nl->pairs_cap == cap);
  CHECK(nl->i == pi && nl->j == pj && nl->first == pf);
  /* Growing works: more atoms and a longer cutoff. */
  double(*more)[3] = malloc(4 * N * sizeof *more), big[3][3];
  random_box(more, 4 * N, big, &r, 24.0);
  CHECK_OK(
      tn_neighbors_build(nl, (const double(*)[3])more, 4 * N, (const double(*)[3])big, ttt, 6.0));
  CHECK(nl->n_atoms == 4 * N && nl->first[4 * N] == nl->n_pairs);
  free(pos);
  free(more);
  tn_neighbors_free(nl);
}

/* A tiny cutoff in a huge box would ask for ~10^18 bins: the grid is capped
 * and the answer still exact. */
static void test_bin_cap(void) {
  tn_rng r;
  tn_rng_seed(&r, 3);
  double pos[12][3];
  for (int i = 0; i < 12; i++)
    for (int k = 0; k < 3; k++) pos[i][k] = uniform(&r, -1e6, 1e6);
  pos[1][0] = pos[0][0] + 3e-4, pos[1][1] = pos[0][1], pos[1][2] = pos[0][2];
  const double cell[3][3] = {{2e6, 0, 0}, {0, 2e6, 0}, {0, 0, 2e6}};
  const uint8_t pbcs[2][3] = {{0, 0, 0}, {1, 1, 1}};
  tn_neighbors *nl = tn_neighbors_create();
  for (int v = 0; v < 2; v++) {
    CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])pos, 12, cell, pbcs[v], 1e-3));
    CHECK(nl->n_pairs == 2);
  }
  tn_neighbors_free(nl);
}

static void test_bad_input(void) {
  tn_neighbors *nl = tn_neighbors_create();
  double pos[3][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  const double cell[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
  const uint8_t ttt[3] = {1, 1, 1}, fff[3] = {0, 0, 0}, ttf[3] = {1, 1, 0};
  const double(*p)[3] = (const double(*)[3])pos;
  CHECK_OK(tn_neighbors_build(nl, p, 3, cell, ttt, 1.5));
  CHECK(nl->n_pairs == 6);

  CHECK(tn_neighbors_build(NULL, p, 3, cell, ttt, 1.5) == TN_STATUS_INVALID_ARG);
  const double bad_cutoffs[4] = {0, -1, NAN, INFINITY};
  for (int k = 0; k < 4; k++) {
    CHECK(tn_neighbors_build(nl, p, 3, cell, ttt, bad_cutoffs[k]) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(nl->errmsg, "cutoff") != NULL);
    CHECK(nl->n_pairs == 0 && nl->n_atoms == 0);
  }
  CHECK(tn_neighbors_build(nl, p, -1, cell, ttt, 1.5) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(nl->errmsg, "n_atoms") != NULL);
  CHECK(tn_neighbors_build(nl, p, 3, cell, NULL, 1.5) == TN_STATUS_INVALID_ARG);
  CHECK(tn_neighbors_build(nl, NULL, 3, cell, ttt, 1.5) == TN_STATUS_INVALID_ARG);
  CHECK(tn_neighbors_build(nl, p, 3, NULL, ttt, 1.5) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(nl->errmsg, "cell") != NULL);

  /* Non-finite or absurd positions name the atom. */
  const double bad_values[3] = {NAN, INFINITY, 1e11};
  for (int k = 0; k < 3; k++) {
    pos[2][1] = bad_values[k];
    CHECK(tn_neighbors_build(nl, p, 3, cell, ttt, 1.5) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(nl->errmsg, "atom 2") != NULL);
    CHECK(tn_neighbors_build(nl, p, 3, NULL, fff, 1.5) == TN_STATUS_BAD_INPUT);
  }
  pos[2][1] = 1;
  /* Too many cells away for the integer shifts. */
  const double tiny[3][3] = {{1e-2, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  pos[1][0] = 1e9;
  CHECK(tn_neighbors_build(nl, p, 3, tiny, ttt, 0.5) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(nl->errmsg, "atom 1") != NULL);
  pos[1][0] = 1;

  /* A singular cell on periodic axes; the same cell is fine when the
   * dependent row is open, and open rows may hold garbage. */
  const double flat[3][3] = {{5, 0, 0}, {0, 5, 0}, {5, 5, 0}};
  CHECK(tn_neighbors_build(nl, p, 3, flat, ttt, 1.5) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(nl->errmsg, "cell") != NULL);
  CHECK_OK(tn_neighbors_build(nl, p, 3, flat, ttf, 1.5));
  CHECK(nl->n_pairs == 6);
  const double zero_row[3][3] = {{5, 0, 0}, {0, 0, 0}, {0, 0, 5}};
  CHECK(tn_neighbors_build(nl, p, 3, zero_row, ttt, 1.5) == TN_STATUS_BAD_INPUT);
  const double nan_row[3][3] = {{5, 0, 0}, {0, 5, 0}, {NAN, 0, 5}};
  CHECK(tn_neighbors_build(nl, p, 3, nan_row, ttt, 1.5) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(nl->errmsg, "row 2") != NULL);
  const double huge_row[3][3] = {{5, 0, 0}, {0, 1e300, 0}, {0, 0, 5}};
  CHECK(tn_neighbors_build(nl, p, 3, huge_row, ttt, 1.5) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(nl->errmsg, "row 1") != NULL);
  CHECK_OK(tn_neighbors_build(nl, p, 3, nan_row, ttf, 1.5));
  CHECK(nl->n_pairs == 6);

  /* A cutoff of 10 Å in a 0.01 Å cell needs ~2000³ images. */
  const double speck[3][3] = {{1e-2, 0, 0}, {0, 1e-2, 0}, {0, 0, 1e-2}};
  CHECK(tn_neighbors_build(nl, p, 1, speck, ttt, 10.0) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(nl->errmsg, "cutoff") != NULL);
  CHECK(nl->n_pairs == 0);
  /* Still usable after every failure. */
  CHECK_OK(tn_neighbors_build(nl, p, 3, cell, ttt, 1.5));
  CHECK(nl->n_pairs == 6);
  tn_neighbors_free(nl);
}

/* Out of memory, in a child process with a limited address space: 4000
 * atoms within 1 Å and a 10 Å cutoff make 16 M pairs (~600 MB). */
static void test_out_of_memory(void) {
#ifdef UNDER_ASAN
  SKIP("address-space limits do not work under AddressSanitizer");
#else
  FILE *statm = fopen("/proc/self/statm", "r");
  long pages = 0;
  if (!statm || fscanf(statm, "%ld", &pages) != 1) {
    if (statm) fclose(statm);
    SKIP("/proc/self/statm unreadable");
  }
  fclose(statm);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit lim;
    rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    lim.rlim_cur = lim.rlim_max = now + ((rlim_t)128 << 20);
    if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(3);
    enum { N = 4000 };
    static double pos[N][3];
    tn_rng r;
    tn_rng_seed(&r, 1);
    for (int i = 0; i < N; i++)
      for (int k = 0; k < 3; k++) pos[i][k] = tn_rng_uniform(&r);
    const uint8_t fff[3] = {0, 0, 0};
    tn_neighbors *nl = tn_neighbors_create();
    if (!nl) _exit(4);
    tn_status st = tn_neighbors_build(nl, (const double(*)[3])pos, N, NULL, fff, 10.0);
    if (st != TN_STATUS_NO_MEMORY || !strstr(nl->errmsg, "memory") || nl->n_pairs != 0) _exit(1);
    /* The list is still usable afterwards. */
    st = tn_neighbors_build(nl, (const double(*)[3])pos, 10, NULL, fff, 10.0);
    if (st != TN_STATUS_OK || nl->n_pairs != 90) _exit(2);
    tn_neighbors_free(nl);
    _exit(0);
  }
  CHECK(pid > 0);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "  child status %d\n", status);
#endif
}

int main(void) {
  RUN(test_known_lattices);
  RUN(test_random_vs_brute_force);
  RUN(test_cutoff_at_pair_distance);
  RUN(test_large_box_vs_brute_force);
  RUN(test_symmetry_and_translation);
  RUN(test_memory_reuse);
  RUN(test_bin_cap);
  RUN(test_bad_input);
  RUN(test_out_of_memory);
  return harness_finish();
}
