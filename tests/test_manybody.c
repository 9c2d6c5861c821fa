/* Many-body expansion of a model's energy (src/analysis/manybody.c): on the
 * LJ + ATM reference the expansion recovers every switched pair and triple
 * term, computed here independently, with no four-body remainder; the
 * minimum-image fragment convention against hand-built cases; triple
 * sampling (reproducible, uniform, scaled share); a SchNet model's
 * bookkeeping and permutation symmetry; bad input and callback errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/analysis/manybody.h"
#include "configs.h"
#include "harness.h"

/* Reference parameters, copied from src/ref/noble_gas.c (which cites their
 * sources): eps/k_B in K, sigma in Å, C9 in 1e-84 erg cm^9 converted to eV
 * Å^9; Lorentz-Berthelot pairs, geometric-mean C9; quintic smoothstep. */
#define KB      8.617333262e-5
#define C9_UNIT 0.6241509074460763

static void params(int32_t z, double *eps, double *sig, double *c9) {
  if (z == 36)
    *eps = 172.7 * KB, *sig = 3.591, *c9 = 220.0 * C9_UNIT;
  else
    *eps = 119.8 * KB, *sig = 3.405, *c9 = 73.2 * C9_UNIT;
}

static double smooth(double r, double on, double off) {
  if (r <= on) return 1.0;
  if (r >= off) return 0.0;
  double x = (r - on) / (off - on);
  return 1.0 - 10.0 * pow(x, 3) + 15.0 * pow(x, 4) - 6.0 * pow(x, 5);
}

static double dist(const double a[3], const double b[3]) {
  return sqrt(pow(a[0] - b[0], 2) + pow(a[1] - b[1], 2) + pow(a[2] - b[2], 2));
}

/* Switched LJ of two atoms at distance r (eV). */
static double pair_ref(const tn_noble_gas *pot, int32_t za, int32_t zb, double r) {
  double ea, sa, ca, eb, sb, cb;
  params(za, &ea, &sa, &ca);
  params(zb, &eb, &sb, &cb);
  double eps = sqrt(ea * eb), sig = 0.5 * (sa + sb), s6 = pow(sig / r, 6);
  return 4.0 * eps * (s6 * s6 - s6) * smooth(r, pot->switch_on, pot->cutoff);
}

/* Switched ATM of three atoms at p[0..3) (eV): cosines from dot products. */
static double triple_ref(const tn_noble_gas *pot, const int32_t z[3], const double p[3][3]) {
  double c9 = 1.0;
  for (int a = 0; a < 3; a++) {
    double e, s, c;
    params(z[a], &e, &s, &c);
    c9 *= c;
  }
  c9 = cbrt(c9);
  double prod_cos = 1.0, prod_r = 1.0, sw = 1.0;
  for (int a = 0; a < 3; a++) {
    const double *o = p[a], *u = p[(a + 1) % 3], *v = p[(a + 2) % 3];
    double du[3], dv[3], dot = 0;
    for (int x = 0; x < 3; x++) du[x] = u[x] - o[x], dv[x] = v[x] - o[x], dot += du[x] * dv[x];
    prod_cos *= dot / (dist(u, o) * dist(v, o));
    double side = dist(u, v);
    prod_r *= side;
    sw *= smooth(side, pot->triple_switch_on, pot->triple_cutoff);
  }
  return c9 * (1.0 + 3.0 * prod_cos) / pow(prod_r, 3) * sw;
}

/* Cubic minimum image, written independently of mb_min_image. */
static void cubic_mic(const config *c, const double d[3], double out[3]) {
  double box = c->pbc[0] ? c->cell[0][0] : 0.0;
  for (int x = 0; x < 3; x++) out[x] = box > 0 ? d[x] - box * round(d[x] / box) : d[x];
}

/* n atoms at random, no two closer than 3.3 Å (minimum image when box > 0),
 * in a cube of side `side` (the periodic box when box > 0); every third Kr. */
static void make_config(config *c, int n, double side, double box, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = n;
  if (box > 0) {
    for (int a = 0; a < 3; a++) c->cell[a][a] = box, c->pbc[a] = 1;
  }
  for (int i = 0; i < n; i++) {
    c->z[i] = i % 3 ? 18 : 36;
    for (int ok = 0; !ok;) {
      for (int x = 0; x < 3; x++) c->pos[i][x] = side * tn_rng_uniform(&rng);
      ok = 1;
      for (int j = 0; j < i; j++) {
        double d[3], m[3];
        for (int x = 0; x < 3; x++) d[x] = c->pos[i][x] - c->pos[j][x];
        cubic_mic(c, d, m);
        ok &= m[0] * m[0] + m[1] * m[1] + m[2] * m[2] > 3.3 * 3.3;
      }
    }
  }
}

/* The expansion of c on the reference `pot` with cutoffs r2, r3 (Å) must
 * reproduce, term by term, the independently computed LJ pairs and ATM
 * triples, and leave no remainder. */
static void check_reference(const config *c, const tn_noble_gas *pot, double r2, double r3) {
  mb_noble_gas_ctx ctx = {*pot, tn_neighbors_create()};
  tn_frame f = config_frame(c);
  mb_options opt = mb_options_default();
  opt.r2 = r2, opt.r3 = r3;
  mb_result res;
  char err[512] = "";
  tn_status st = mb_expand(&res, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err);
  CHECK_OK(st);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    goto done;
  }
  CHECK(res.n_atoms == c->n && !res.triples_sampled && !res.cell_too_small);
  for (int i = 0; i < c->n; i++) CHECK(res.e1[i] == 0.0); /* a lone atom has no energy */

  /* Pairs: the listed ones are exactly those within r2, in (i, j) order. */
  int64_t n_pairs = 0, n_triples = 0;
  double max_e2 = 0, max_e3 = 0;
  for (int i = 0; i < c->n; i++)
    for (int j = i + 1; j < c->n; j++) {
      double d[3], m[3];
      for (int x = 0; x < 3; x++) d[x] = c->pos[j][x] - c->pos[i][x];
      cubic_mic(c, d, m);
      double r = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
      if (r >= r2) continue;
      if (n_pairs < res.n_pairs) {
        const mb_pair *p = &res.pairs[n_pairs];
        CHECK(p->i == i && p->j == j);
        CHECK_NEAR(p->r, r, 1e-12, 0);
        CHECK_NEAR(p->e2, pair_ref(pot, c->z[i], c->z[j], r), 0, 1e-10);
        if (fabs(p->e2) > max_e2) max_e2 = fabs(p->e2);
      }
      n_pairs++;
    }
  CHECK(n_pairs == res.n_pairs);

  /* Triples: fragment positions p_i, p_i + mic(p_j - p_i), p_i + mic(p_k - p_i). */
  for (int i = 0; i < c->n; i++)
    for (int j = i + 1; j < c->n; j++)
      for (int k = j + 1; k < c->n; k++) {
        int32_t z[3] = {c->z[i], c->z[j], c->z[k]};
        double p[3][3], d[3];
        const int at[3] = {i, j, k};
        for (int a = 0; a < 3; a++) {
          for (int x = 0; x < 3; x++) d[x] = c->pos[at[a]][x] - c->pos[i][x];
          cubic_mic(c, d, p[a]);
          for (int x = 0; x < 3; x++) p[a][x] += c->pos[i][x];
        }
        if (!(dist(p[0], p[1]) < r3 && dist(p[0], p[2]) < r3 && dist(p[1], p[2]) < r3)) continue;
        if (n_triples < res.n_triples) {
          const mb_triple *t = &res.triples[n_triples];
          CHECK(t->i == i && t->j == j && t->k == k);
          CHECK_NEAR(t->r_jk, dist(p[1], p[2]), 1e-12, 0);
          CHECK_NEAR(t->perimeter, dist(p[0], p[1]) + dist(p[0], p[2]) + dist(p[1], p[2]), 1e-12,
                     0);
          CHECK_NEAR(t->e3, triple_ref(pot, z, (const double(*)[3])p), 0, 1e-10);
          if (fabs(t->e3) > max_e3) max_e3 = fabs(t->e3);
        }
        n_triples++;
      }
  CHECK(n_triples == res.n_triples && n_triples == res.n_triples_total);
  CHECK(res.n_evals == 1 + c->n + res.n_pairs + res.n_triples);
  /* The reference has no four-body terms: nothing is left over. */
  CHECK_NEAR(res.remainder, 0.0, 0, 1e-8);
  CHECK_NEAR(res.sum1 + res.sum2 + res.share3, res.energy, 1e-12, 1e-12);
  /* The test means something: pairs and triples both contribute. */
  CHECK(max_e2 > 1e-3 && max_e3 > 1e-6 && res.n_triples > 10);
done:
  mb_result_free(&res);
  tn_neighbors_free(ctx.nl);
}

/* Issue 7's acceptance: an open Ar/Kr cluster of 11 atoms, cutoffs beyond
 * the potential's ranges (9 and 7 Å), so switched tails are included. */
static void test_reference_open_cluster(void) {
  config c;
  make_config(&c, 11, 9.0, 0.0, 7);
  tn_noble_gas pot = tn_noble_gas_default();
  check_reference(&c, &pot, 10.0, 8.0);
  /* Cutoffs inside the ranges still give exact terms for what is listed. */
  check_reference(&c, &pot, 9.0, 7.0);
}

/* A periodic Ar/Kr box of 19.5 Å (half width 9.75 Å > every cutoff, so each
 * pair and triangle has one image within range). */
static void test_reference_periodic_box(void) {
  config c;
  make_config(&c, 36, 19.5, 19.5, 11);
  tn_noble_gas pot = tn_noble_gas_default();
  check_reference(&c, &pot, 9.5, 7.5);
}

/* A callback that keeps the fragments it is given, and sums a fake energy. */
#define MAX_SEEN 64
typedef struct recorder {
  int n_seen;
  int n[MAX_SEEN];
  int32_t z[MAX_SEEN][3];
  double pos[MAX_SEEN][3][3];
  double cell_abs[MAX_SEEN]; /* sum |cell entries| of each fragment */
  int pbc[MAX_SEEN];         /* periodic axes of each fragment */
} recorder;

static tn_status record_energy(void *ctx, const tn_frame *frag, double *energy, char *err,
                               size_t err_len) {
  (void)err, (void)err_len;
  recorder *r = ctx;
  *energy = 0.0;
  if (frag->n_atoms <= 3 && r->n_seen < MAX_SEEN) {
    int s = r->n_seen++;
    r->n[s] = frag->n_atoms;
    for (int a = 0; a < frag->n_atoms; a++) {
      r->z[s][a] = frag->species[a];
      memcpy(r->pos[s][a], frag->pos[a], sizeof r->pos[s][a]);
    }
    for (int a = 0; a < 3; a++) {
      r->pbc[s] += frag->pbc[a];
      for (int x = 0; x < 3; x++) r->cell_abs[s] += fabs(frag->cell[a][x]);
    }
  }
  return TN_STATUS_OK;
}

/* Hand-built: a 10 Å cube, three atoms near faces and corners. The pair and
 * triple fragments are isolated clusters with minimum images taken from
 * the first (lowest-index) atom. */
static void test_fragment_convention(void) {
  config c;
  memset(&c, 0, sizeof c);
  c.n = 3;
  for (int a = 0; a < 3; a++) c.cell[a][a] = 10.0, c.pbc[a] = 1;
  double p[3][3] = {{0.5, 5, 5}, {9.5, 5, 5}, {9.0, 7.0, 3.0}};
  memcpy(c.pos, p, sizeof p);
  c.z[0] = 18, c.z[1] = 36, c.z[2] = 18;
  /* By hand: atom 1 seen from atom 0 is at x = -0.5 (1 Å away); atom 2 at
   * (9, 7, 3) - (0.5, 5, 5) = (8.5, 2, -2) -> (-1.5, 2, -2), i.e.
   * (-1, 7, 3); from atom 1, atom 2 is at (-0.5, 2, -2), i.e. (9, 7, 3). */
  const double want_01[2][3] = {{0.5, 5, 5}, {-0.5, 5, 5}};
  const double want_012[3][3] = {{0.5, 5, 5}, {-0.5, 5, 5}, {-1.0, 7.0, 3.0}};
  const double want_12[2][3] = {{9.5, 5, 5}, {9.0, 7.0, 3.0}};

  mb_lattice lat;
  tn_frame f = config_frame(&c);
  char err[256] = "";
  CHECK_OK(mb_lattice_init(&lat, &f, err, sizeof err));
  CHECK_NEAR(lat.half_width, 5.0, 1e-14, 0);
  double got[3][3];
  const int32_t all[3] = {0, 1, 2};
  mb_fragment_positions(&lat, &f, all, 3, got);
  for (int a = 0; a < 3; a++)
    for (int x = 0; x < 3; x++) CHECK_NEAR(got[a][x], want_012[a][x], 0, 1e-12);

  /* The same through mb_expand: fragments in order: the frame itself (as
   * given, periodic), 3 singles, pairs (0,1) (0,2) (1,2), the triple. */
  recorder rec;
  memset(&rec, 0, sizeof rec);
  mb_options opt = mb_options_default();
  opt.r2 = 4.9, opt.r3 = 4.9;
  mb_result res;
  CHECK_OK(mb_expand(&res, record_energy, &rec, &f, &opt, err, sizeof err));
  CHECK(res.n_pairs == 3 && res.n_triples == 1 && res.n_evals == 8 && !res.cell_too_small);
  CHECK(rec.n_seen == 8 && rec.pbc[0] == 3 && rec.cell_abs[0] == 30.0);
  for (int s = 1; s < 8; s++) CHECK(rec.pbc[s] == 0 && rec.cell_abs[s] == 0.0);
  CHECK(rec.n[4] == 2 && rec.n[6] == 2 && rec.n[7] == 3 && rec.z[7][1] == 36);
  for (int x = 0; x < 3; x++) {
    for (int a = 0; a < 2; a++) CHECK_NEAR(rec.pos[4][a][x], want_01[a][x], 0, 1e-12);
    for (int a = 0; a < 2; a++) CHECK_NEAR(rec.pos[6][a][x], want_12[a][x], 0, 1e-12);
    for (int a = 0; a < 3; a++) CHECK_NEAR(rec.pos[7][a][x], want_012[a][x], 0, 1e-12);
  }
  CHECK_NEAR(res.pairs[0].r, 1.0, 1e-14, 0);
  CHECK_NEAR(res.pairs[1].r, sqrt(10.25), 1e-14, 0);
  CHECK_NEAR(res.triples[0].r_jk, sqrt(8.25), 1e-14, 0);
  mb_result_free(&res);

  /* r2 at half the cell: flagged. */
  opt.r2 = 5.0, opt.r3 = 0.0;
  CHECK_OK(mb_expand(&res, record_energy, &rec, &f, &opt, err, sizeof err));
  CHECK(res.cell_too_small && res.n_triples_total == 0 && res.triples == NULL);
  mb_result_free(&res);
}

/* mb_min_image against a brute-force search over shifts -3..3 in a skewed
 * triclinic cell and in a slab (pbc 1 1 0, no third vector). */
static void test_min_image_brute_force(void) {
  const double cells[2][3][3] = {{{10, 0, 0}, {4, 9, 0}, {-3, 2.5, 8}},
                                 {{7, 0, 0}, {2, 6, 0}, {0, 0, 0}}};
  const uint8_t pbcs[2][3] = {{1, 1, 1}, {1, 1, 0}};
  tn_rng rng;
  tn_rng_seed(&rng, 3);
  for (int k = 0; k < 2; k++) {
    tn_frame f;
    memset(&f, 0, sizeof f);
    memcpy(f.cell, cells[k], sizeof f.cell);
    memcpy(f.pbc, pbcs[k], sizeof f.pbc);
    mb_lattice lat;
    char err[256] = "";
    CHECK_OK(mb_lattice_init(&lat, &f, err, sizeof err));
    int worst = 0;
    for (int trial = 0; trial < 500; trial++) {
      double d[3], m[3];
      for (int x = 0; x < 3; x++) d[x] = 40.0 * (tn_rng_uniform(&rng) - 0.5);
      mb_min_image(&lat, d, m);
      double best = INFINITY;
      for (int s0 = -6; s0 <= 6; s0++)
        for (int s1 = -6; s1 <= 6; s1++)
          for (int s2 = -6; s2 <= 6; s2++) {
            if (!pbcs[k][2] && s2 != 0) continue;
            double v[3], r2 = 0;
            for (int x = 0; x < 3; x++) {
              v[x] = d[x] + s0 * cells[k][0][x] + s1 * cells[k][1][x] + s2 * cells[k][2][x];
              r2 += v[x] * v[x];
            }
            if (r2 < best) best = r2;
          }
      double got = m[0] * m[0] + m[1] * m[1] + m[2] * m[2];
      if (fabs(got - best) > 1e-9 * (1 + best)) worst++;
      /* Only lattice shifts: the z component of a slab never changes. */
      if (k == 1 && fabs(m[2] - d[2]) > 1e-12) worst++;
    }
    CHECK(worst == 0);
  }
  /* The slab's half width is the in-plane height 6 / 2. */
  tn_frame f;
  memset(&f, 0, sizeof f);
  memcpy(f.cell, cells[1], sizeof f.cell);
  memcpy(f.pbc, pbcs[1], sizeof f.pbc);
  mb_lattice lat;
  char err[256] = "";
  CHECK_OK(mb_lattice_init(&lat, &f, err, sizeof err));
  CHECK_NEAR(lat.half_width, 3.0, 1e-14, 0);
}

/* Cutoffs far beyond half the box: many images within range. The flag is
 * set, the bookkeeping identity still holds, and triples whose side is not
 * the minimum image get their E2 from an extra evaluation. */
static void test_small_cell(void) {
  config c;
  make_config(&c, 8, 9.0, 9.0, 5);
  tn_noble_gas pot = tn_noble_gas_default();
  mb_noble_gas_ctx ctx = {pot, tn_neighbors_create()};
  tn_frame f = config_frame(&c);
  mb_options opt = {8.0, 8.0, 0, 1};
  mb_result res;
  char err[512] = "";
  CHECK_OK(mb_expand(&res, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err));
  CHECK(res.cell_too_small);
  CHECK(res.n_evals > 1 + c.n + res.n_pairs + res.n_triples); /* the extra sides */
  CHECK(res.remainder == res.energy - res.sum1 - res.sum2 - res.share3);
  /* Each triple's E3 is still the exact ATM of its fragment. */
  int bad = 0;
  for (int64_t t = 0; t < res.n_triples; t++) {
    const mb_triple *q = &res.triples[t];
    const int32_t at[3] = {q->i, q->j, q->k};
    double p[3][3];
    mb_lattice lat;
    CHECK_OK(mb_lattice_init(&lat, &f, err, sizeof err));
    mb_fragment_positions(&lat, &f, at, 3, p);
    int32_t z[3] = {c.z[q->i], c.z[q->j], c.z[q->k]};
    if (fabs(q->e3 - triple_ref(&pot, z, (const double(*)[3])p)) > 1e-10) bad++;
  }
  CHECK(bad == 0 && res.n_triples > 0);
  mb_result_free(&res);
  tn_neighbors_free(ctx.nl);
}

/* Sampling: reproducible for a seed, the requested size, a subset of the
 * full set with the same values, and a scaled share within four standard
 * errors of the full sum. */
static void test_sampling(void) {
  config c;
  make_config(&c, 36, 19.5, 19.5, 11);
  tn_noble_gas pot = tn_noble_gas_default();
  mb_noble_gas_ctx ctx = {pot, tn_neighbors_create()};
  tn_frame f = config_frame(&c);
  mb_options opt = {9.5, 7.5, 0, 1};
  mb_result full, a, b, other;
  char err[512] = "";
  CHECK_OK(mb_expand(&full, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err));
  int64_t want = full.n_triples_total / 3;
  CHECK(want > 20);
  opt.max_triples = want;
  opt.seed = 42;
  CHECK_OK(mb_expand(&a, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err));
  CHECK_OK(mb_expand(&b, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err));
  opt.seed = 43;
  CHECK_OK(mb_expand(&other, mb_noble_gas_energy, &ctx, &f, &opt, err, sizeof err));
  CHECK(a.n_triples == want && a.n_triples_total == full.n_triples_total && a.triples_sampled);
  CHECK(!full.triples_sampled && full.share3 == full.sum3);
  CHECK(a.n_evals == 1 + c.n + a.n_pairs + want);
  CHECK(memcmp(a.triples, b.triples, (size_t)want * sizeof *a.triples) == 0);
  CHECK(memcmp(a.triples, other.triples, (size_t)want * sizeof *a.triples) != 0);
  /* A subset, in order, values as in the full run. */
  int64_t u = 0;
  int subset = 1;
  double mean = 0, m2 = 0;
  for (int64_t t = 0; t < a.n_triples; t++) {
    const mb_triple *q = &a.triples[t];
    while (u < full.n_triples &&
           (full.triples[u].i != q->i || full.triples[u].j != q->j || full.triples[u].k != q->k))
      u++;
    if (u == full.n_triples || full.triples[u].e3 != q->e3) subset = 0;
    u++;
    double dlt = q->e3 - mean;
    mean += dlt / (double)(t + 1);
    m2 += dlt * (q->e3 - mean);
  }
  CHECK(subset);
  CHECK_NEAR(a.share3, a.sum3 * (double)full.n_triples_total / (double)want, 1e-14, 0);
  CHECK(a.remainder == a.energy - a.sum1 - a.sum2 - a.share3);
  /* Standard error of a total estimated from a sample without replacement. */
  double n = (double)want, big_n = (double)full.n_triples_total;
  double se = big_n * sqrt((1.0 - n / big_n) * (m2 / (n - 1.0)) / n);
  CHECK(fabs(a.share3 - full.sum3) <= 4.0 * se + 1e-12);
  CHECK(se < 0.5 * fabs(full.sum3)); /* so the check above is not vacuous */
  mb_result_free(&full);
  mb_result_free(&a);
  mb_result_free(&b);
  mb_result_free(&other);
  tn_neighbors_free(ctx.nl);
}

/* Uniformity: over 400 seeds, each of the 20 triples of a 6-atom cluster
 * is kept about 5/20 of the time (binomial sd 0.022; allow 0.1). */
static void test_sampling_uniform(void) {
  config c;
  memset(&c, 0, sizeof c);
  c.n = 6;
  for (int i = 0; i < 6; i++) c.z[i] = 18, c.pos[i][0] = 1.5 * i, c.pos[i][1] = (i % 2) * 1.0;
  tn_frame f = config_frame(&c);
  recorder rec;
  mb_options opt = {100.0, 100.0, 5, 0};
  int counts[6][6][6];
  memset(counts, 0, sizeof counts);
  char err[256] = "";
  int ok = 1;
  for (int s = 0; s < 400; s++) {
    memset(&rec, 0, sizeof rec);
    opt.seed = (uint64_t)s + 1000;
    mb_result res;
    if (mb_expand(&res, record_energy, &rec, &f, &opt, err, sizeof err) != TN_STATUS_OK ||
        res.n_triples != 5 || res.n_triples_total != 20)
      ok = 0;
    for (int64_t t = 0; t < res.n_triples; t++)
      counts[res.triples[t].i][res.triples[t].j][res.triples[t].k]++;
    mb_result_free(&res);
  }
  CHECK(ok);
  int off = 0;
  for (int i = 0; i < 6; i++)
    for (int j = i + 1; j < 6; j++)
      for (int k = j + 1; k < 6; k++)
        if (fabs(counts[i][j][k] / 400.0 - 0.25) > 0.1) off++;
  CHECK(off == 0);
}

/* Direct model energy of atoms[0..n) of an open frame, in that order. */
static double model_energy(tn_model *m, const config *c, const int *atoms, int n) {
  int32_t z[CONFIG_MAXN];
  double p[CONFIG_MAXN][3];
  for (int a = 0; a < n; a++) z[a] = c->z[atoms[a]], memcpy(p[a], c->pos[atoms[a]], sizeof p[a]);
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = n, f.species = z, f.pos = (const double(*)[3])p;
  double e = NAN;
  tn_status st = tn_model_eval(m, &f, &e, NULL, NULL, NULL);
  CHECK_OK(st);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", tn_model_errmsg(m));
  return e;
}

/* SchNet (random weights) through the model adapter: the bookkeeping of
 * the expansion, E2 symmetric in (i, j), E3 the same for every order of
 * its atoms (each permuted fragment evaluated afresh). */
static void test_schnet_model(void) {
  tn_model_options o = tn_model_options_default();
  strcpy(o.type, "schnet");
  o.features = 16, o.interactions = 2, o.n_basis = 8, o.cutoff = 5.0;
  const int32_t el[2] = {18, 36};
  tn_model *m = NULL;
  char err[512] = "";
  CHECK_OK(tn_model_create(&m, &o, el, 2, 5, err, sizeof err));
  if (!m) return;
  double shift[2] = {-0.3, -0.7};
  tn_model_set_shifts(m, shift, 0.5);
  config c;
  make_config(&c, 9, 8.0, 0.0, 21);
  for (int i = 0; i < c.n; i++)
    for (int x = 0; x < 3; x++) c.pos[i][x] *= 0.8; /* closer: more within the 5 Å cutoff */
  tn_frame f = config_frame(&c);
  mb_options opt = {6.0, 5.0, 0, 1};
  mb_result res;
  CHECK_OK(mb_expand(&res, mb_model_energy, m, &f, &opt, err, sizeof err));
  /* Bookkeeping: the sums are the sums of the listed terms, and the
   * identity E = ΣE1 + ΣE2 + ΣE3 + remainder holds by construction. */
  double s1 = 0, s2 = 0, s3 = 0;
  for (int i = 0; i < c.n; i++) s1 += res.e1[i];
  for (int64_t p = 0; p < res.n_pairs; p++) s2 += res.pairs[p].e2;
  for (int64_t t = 0; t < res.n_triples; t++) s3 += res.triples[t].e3;
  CHECK(s1 == res.sum1 && s2 == res.sum2 && s3 == res.sum3 && res.share3 == res.sum3);
  CHECK(res.remainder == res.energy - res.sum1 - res.sum2 - res.share3);
  /* Fragment energies are ~1 eV in float32 (7e-8 eV per evaluation) and
   * E3 takes seven of them. */
  double scale = fabs(res.energy) + 1.0, tol = 1e-6;
  CHECK_NEAR(res.sum1 + res.sum2 + res.share3 + res.remainder, res.energy, 0, 1e-12 * scale);
  CHECK(res.n_pairs > 10 && res.n_triples > 5);
  int all[CONFIG_MAXN];
  for (int i = 0; i < c.n; i++) all[i] = i;
  CHECK_NEAR(res.energy, model_energy(m, &c, all, c.n), 1e-12, 1e-12);

  double e1[CONFIG_MAXN];
  for (int i = 0; i < c.n; i++) {
    e1[i] = model_energy(m, &c, &i, 1);
    CHECK_NEAR(res.e1[i], e1[i], 0, tol);
  }
  /* The isolated atom carries the element shift plus the network's part. */
  CHECK(fabs(res.e1[0] - res.e1[1]) > 1e-6);
  int bad2 = 0, bad3 = 0;
  double max_e3 = 0, dev2 = 0, dev3 = 0;
  for (int64_t p = 0; p < res.n_pairs; p++) {
    int ji[2] = {res.pairs[p].j, res.pairs[p].i};
    double e2 = model_energy(m, &c, ji, 2) - e1[ji[0]] - e1[ji[1]];
    if (fabs(e2 - res.pairs[p].e2) > tol) bad2++;
    if (fabs(e2 - res.pairs[p].e2) > dev2) dev2 = fabs(e2 - res.pairs[p].e2);
  }
  static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int64_t t = 0; t < res.n_triples && t < 12; t++) {
    const int ijk[3] = {res.triples[t].i, res.triples[t].j, res.triples[t].k};
    if (fabs(res.triples[t].e3) > max_e3) max_e3 = fabs(res.triples[t].e3);
    for (int q = 0; q < 6; q++) {
      int a[3] = {ijk[perms[q][0]], ijk[perms[q][1]], ijk[perms[q][2]]};
      int ab[2] = {a[1], a[0]}, ac[2] = {a[2], a[0]}, bc[2] = {a[2], a[1]};
      double s = e1[a[0]] + e1[a[1]] + e1[a[2]];
      double e2ab = model_energy(m, &c, ab, 2) - e1[a[0]] - e1[a[1]];
      double e2ac = model_energy(m, &c, ac, 2) - e1[a[0]] - e1[a[2]];
      double e2bc = model_energy(m, &c, bc, 2) - e1[a[1]] - e1[a[2]];
      double e3 = model_energy(m, &c, a, 3) - e2ab - e2ac - e2bc - s;
      if (fabs(e3 - res.triples[t].e3) > tol) bad3++;
      if (fabs(e3 - res.triples[t].e3) > dev3) dev3 = fabs(e3 - res.triples[t].e3);
    }
  }
  CHECK(bad2 == 0 && bad3 == 0);
  CHECK(max_e3 > 10 * tol); /* a network has genuine three-body terms */
  mb_result_free(&res);

  /* A periodic frame through the same adapter: the identity again. */
  config box;
  make_config(&box, 28, 12.0, 12.0, 8);
  tn_frame fb = config_frame(&box);
  mb_options ob = {5.9, 5.5, 30, 9};
  CHECK_OK(mb_expand(&res, mb_model_energy, m, &fb, &ob, err, sizeof err));
  CHECK(res.triples_sampled && res.n_triples == 30 && !res.cell_too_small);
  CHECK(res.remainder == res.energy - res.sum1 - res.sum2 - res.share3);
  mb_result_free(&res);
  tn_model_free(m);
}

/* A callback that fails on one fragment (its sorted atoms), or returns NaN. */
typedef struct failing {
  int n;
  int32_t atoms[3];
  int nan;
} failing;

static tn_status failing_energy(void *ctx, const tn_frame *frag, double *energy, char *err,
                                size_t err_len) {
  const failing *fl = ctx;
  *energy = 0.0;
  if (frag->n_atoms != fl->n) return TN_STATUS_OK;
  for (int a = 0; a < fl->n && a < 3; a++)
    if (frag->species[a] != 100 + fl->atoms[a]) return TN_STATUS_OK;
  if (fl->nan) {
    *energy = NAN;
    return TN_STATUS_OK;
  }
  return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED, "boom");
}

static void test_bad_input(void) {
  config c;
  make_config(&c, 6, 6.0, 0.0, 2);
  for (int i = 0; i < c.n; i++) c.z[i] = 100 + i; /* species name the atom, for failing_energy */
  tn_frame f = config_frame(&c);
  failing fl = {3, {1, 2, 4}, 0};
  mb_options opt = {100.0, 100.0, 0, 1};
  mb_result res;
  char err[512] = "";

  /* A callback error names the fragment and keeps its status; the result
   * is left empty. */
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "atoms 1, 2, 4") && strstr(err, "boom"));
  CHECK(res.pairs == NULL && res.triples == NULL && res.e1 == NULL && res.n_pairs == 0);
  fl.n = 2, fl.atoms[0] = 3, fl.atoms[1] = 5;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "atoms 3, 5") != NULL);
  fl.n = 1, fl.atoms[0] = 4;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "atom 4") != NULL);
  fl.n = 6;
  for (int i = 0; i < 3; i++) fl.atoms[i] = i; /* (only the first three are compared) */
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "whole frame") != NULL);
  fl.n = 2, fl.atoms[0] = 0, fl.atoms[1] = 2, fl.nan = 1;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "atoms 0, 2") && strstr(err, "energy"));
  fl.n = 6;
  for (int i = 0; i < 3; i++) fl.atoms[i] = i;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "whole frame") != NULL);
  fl.n = -1; /* fails nowhere */

  /* The reference refuses species 100+: its message comes through. */
  mb_noble_gas_ctx ng = {tn_noble_gas_default(), tn_neighbors_create()};
  CHECK(mb_expand(&res, mb_noble_gas_energy, &ng, &f, &opt, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "species") != NULL);
  tn_neighbors_free(ng.nl);
  /* A model that does not know the element: the model's message. */
  tn_model_options o = tn_model_options_default();
  o.features = 8, o.interactions = 1, o.n_basis = 4;
  const int32_t el[1] = {18};
  tn_model *m = NULL;
  CHECK_OK(tn_model_create(&m, &o, el, 1, 1, err, sizeof err));
  if (m) {
    c.z[0] = 18;
    for (int i = 1; i < c.n; i++) c.z[i] = 36;
    CHECK(mb_expand(&res, mb_model_energy, m, &f, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "model") != NULL);
    for (int i = 0; i < c.n; i++) c.z[i] = 100 + i;
    tn_model_free(m);
  }

  /* Options. */
  const double bad_r2[3] = {0.0, -1.0, NAN};
  for (int k = 0; k < 3; k++) {
    mb_options b = opt;
    b.r2 = bad_r2[k];
    CHECK(mb_expand(&res, failing_energy, &fl, &f, &b, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(err, "'r2'") != NULL);
  }
  const double bad_r3[3] = {-0.5, 100.5, NAN};
  for (int k = 0; k < 3; k++) {
    mb_options b = opt;
    b.r3 = bad_r3[k];
    CHECK(mb_expand(&res, failing_energy, &fl, &f, &b, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(err, "'r3'") != NULL);
  }
  mb_options b = opt;
  b.max_triples = -1;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &b, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "max_triples") != NULL);
  CHECK(mb_expand(NULL, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(mb_expand(&res, NULL, &fl, &f, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(mb_expand(&res, failing_energy, &fl, NULL, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(mb_expand(&res, failing_energy, &fl, &f, NULL, err, sizeof err) == TN_STATUS_INVALID_ARG);
  tn_frame g = f;
  g.n_atoms = -1;
  CHECK(mb_expand(&res, failing_energy, &fl, &g, &opt, err, sizeof err) == TN_STATUS_INVALID_ARG);

  /* Frames. */
  c.pos[3][1] = NAN;
  CHECK(mb_expand(&res, failing_energy, &fl, &f, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "atom 3") && strstr(err, "'pos'"));
  c.pos[3][1] = 1.0;
  g = f;
  g.pbc[0] = g.pbc[1] = 1;
  g.cell[0][0] = 5, g.cell[1][0] = 10; /* parallel periodic rows */
  CHECK(mb_expand(&res, failing_energy, &fl, &g, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "'cell'") != NULL);
  g.cell[1][0] = 0, g.cell[1][1] = INFINITY;
  CHECK(mb_expand(&res, failing_energy, &fl, &g, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "row 1") != NULL);
  g.cell[1][1] = 0;
  CHECK(mb_expand(&res, failing_energy, &fl, &g, &opt, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "row 1 is zero") != NULL);
  /* An empty frame is fine: nothing to expand. */
  g = f;
  g.n_atoms = 0;
  CHECK_OK(mb_expand(&res, failing_energy, &fl, &g, &opt, err, sizeof err));
  CHECK(res.n_pairs == 0 && res.n_evals == 1 && res.remainder == 0.0);
  mb_result_free(&res);
  mb_result_free(NULL);
}

int main(void) {
  RUN(test_reference_open_cluster);
  RUN(test_reference_periodic_box);
  RUN(test_fragment_convention);
  RUN(test_min_image_brute_force);
  RUN(test_small_cell);
  RUN(test_sampling);
  RUN(test_sampling_uniform);
  RUN(test_schnet_model);
  RUN(test_bad_input);
  return harness_finish();
}
