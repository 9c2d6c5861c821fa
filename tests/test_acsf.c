/* Atom-centred symmetry functions in float64: every cutoff type against its
 * formula written out here as a plain polynomial (not Horner), and its
 * derivative against central differences; radial, narrow and wide angular
 * functions against a direct loop over atom positions; ∂G/∂d against
 * central differences of the edge vectors; the tangent as a directional
 * derivative; the backward pass as the gradient of Σ_s w_s G_s. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/models/acsf.h"
#include "harness.h"

#define FD_STEP 1e-5 /* Å */
#define NA      9    /* atoms of the test cluster */
#define NF      22   /* symmetry functions in the test set */

/* ---- cutoffs, written out independently */

static double ref_cutoff(int type, double alpha, double rc, double r) {
  if (r >= rc) return 0.0;
  if (type == ACSF_CUT_TANHU) return pow(tanh(1.0 - r / rc), 3);
  if (type == ACSF_CUT_TANH) return pow(tanh(1.0 - r / rc), 3) / pow(tanh(1.0), 3);
  double ri = alpha * rc;
  if (r < ri) return 1.0;
  double x = (r - ri) / (rc - ri);
  switch (type) {
  case ACSF_CUT_HARD: return 1.0;
  case ACSF_CUT_COS: return 0.5 * (cos(M_PI * x) + 1.0);
  case ACSF_CUT_EXP: return exp(1.0 - 1.0 / (1.0 - x * x));
  /* the polynomials in factored form, 1 − x to the order of smoothness */
  case ACSF_CUT_POLY1: return pow(1 - x, 2) * (2 * x + 1);
  case ACSF_CUT_POLY2: return pow(1 - x, 3) * (6 * x * x + 3 * x + 1);
  case ACSF_CUT_POLY3: return pow(1 - x, 4) * (20 * pow(x, 3) + 10 * x * x + 4 * x + 1);
  case ACSF_CUT_POLY4:
    return pow(1 - x, 5) * (70 * pow(x, 4) + 35 * pow(x, 3) + 15 * x * x + 5 * x + 1);
  }
  return NAN;
}

static void test_cutoffs(void) {
  const double rc = 4.5;
  for (int type = 0; type < ACSF_CUT_COUNT; type++)
    for (int ia = 0; ia < 2; ia++) {
      acsf_cutoff c = {type, ia ? 0.3 : 0.0};
      CHECK(acsf_cut_from_name(acsf_cut_name(type)) == type);
      double f, df;
      acsf_cutoff_eval(&c, rc, 0.0, &f, &df);
      CHECK_NEAR(f, type == ACSF_CUT_TANHU ? pow(tanh(1.0), 3) : 1.0, 1e-14, 1e-14);
      acsf_cutoff_eval(&c, rc, rc, &f, &df);
      CHECK(f == 0.0 && df == 0.0);
      for (int q = 1; q < 30; q++) {
        double r = rc * q / 30.0 + 0.0123;
        acsf_cutoff_eval(&c, rc, r, &f, &df);
        CHECK_NEAR(f, ref_cutoff(type, c.alpha, rc, r), 1e-13, 1e-14);
        if (r + FD_STEP >= rc) continue;
        double fp, fm, dummy;
        acsf_cutoff_eval(&c, rc, r + FD_STEP, &fp, &dummy);
        acsf_cutoff_eval(&c, rc, r - FD_STEP, &fm, &dummy);
        CHECK_NEAR(df, (fp - fm) / (2 * FD_STEP), 1e-6, 1e-9);
      }
    }
  CHECK(acsf_cut_from_name("cosine") == -1);
}

/* ---- a cluster and a set of functions */

typedef struct cluster {
  double pos[NA][3];
  int32_t type[NA]; /* element index 0 or 1 */
} cluster;

static void make_cluster(cluster *c, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int a = 0; a < NA; a++) {
    c->type[a] = (a * 5) % 3 == 0 ? 1 : 0;
    c->pos[a][0] = 1.5 * (a % 3) + 0.5 * (tn_rng_uniform(&rng) - 0.5);
    c->pos[a][1] = 1.5 * ((a / 3) % 3) + 0.5 * (tn_rng_uniform(&rng) - 0.5);
    c->pos[a][2] = 0.6 * (a % 2) + 0.5 * (tn_rng_uniform(&rng) - 0.5);
  }
}

static const double radii[2] = {3.2, 4.1};

static int make_set(acsf_fn *fn) {
  int n = 0;
  for (int e = 0; e < 2; e++) {
    fn[n++] = (acsf_fn){ACSF_RADIAL, e, -1, 0.7, 0.0, 3.2, 0, 0, 0};
    fn[n++] = (acsf_fn){ACSF_RADIAL, e, -1, 1.9, 1.6, 4.1, 0, 0, 1};
  }
  for (int kind = 0; kind < 2; kind++)
    for (int e1 = 0; e1 < 2; e1++)
      for (int e2 = e1; e2 < 2; e2++) {
        int k = kind ? ACSF_NARROW : ACSF_WIDE;
        fn[n++] = (acsf_fn){k, e1, e2, 0.05, 0.0, 4.1, 1.0, 1.0, 1};
        fn[n++] = (acsf_fn){k, e1, e2, 0.3, 0.4, 3.2, -1.0, 4.0, 0};
        fn[n++] = (acsf_fn){k, e1, e2, 0.11, 0.2, 4.1, 0.6, 2.5, 1};
      }
  return n;
}

/* G of atom i by a direct loop over the positions. */
static double ref_value(const cluster *c, int i, const acsf_fn *f, const acsf_cutoff *cut) {
  double g = 0.0;
  for (int j = 0; j < NA; j++) {
    if (j == i) continue;
    double a[3], rij;
    for (int x = 0; x < 3; x++) a[x] = c->pos[j][x] - c->pos[i][x];
    rij = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    if (f->kind == ACSF_RADIAL) {
      if (c->type[j] == f->e1 && rij < f->rc)
        g += exp(-f->eta * (rij - f->rs) * (rij - f->rs)) *
             ref_cutoff(cut->type, cut->alpha, f->rc, rij);
      continue;
    }
    for (int k = j + 1; k < NA; k++) {
      if (k == i) continue;
      int tj = c->type[j], tk = c->type[k];
      if (!((tj == f->e1 && tk == f->e2) || (tj == f->e2 && tk == f->e1))) continue;
      double b[3], rik, rjk, dot = 0.0;
      for (int x = 0; x < 3; x++) {
        b[x] = c->pos[k][x] - c->pos[i][x];
        dot += a[x] * b[x];
      }
      rik = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
      rjk = sqrt(pow(b[0] - a[0], 2) + pow(b[1] - a[1], 2) + pow(b[2] - a[2], 2));
      if (rij >= f->rc || rik >= f->rc) continue;
      double p = 1.0 + f->lambda * dot / (rij * rik);
      if (p <= 0.0) continue;
      double s = pow(rij - f->rs, 2) + pow(rik - f->rs, 2);
      double fc = ref_cutoff(cut->type, cut->alpha, f->rc, rij) *
                  ref_cutoff(cut->type, cut->alpha, f->rc, rik);
      if (f->kind == ACSF_NARROW) {
        if (rjk >= f->rc) continue;
        s += pow(rjk - f->rs, 2);
        fc *= ref_cutoff(cut->type, cut->alpha, f->rc, rjk);
      }
      g += pow(2.0, 1.0 - f->zeta) * pow(p, f->zeta) * exp(-f->eta * s) * fc;
    }
  }
  return g;
}

/* Edges of atom i: every other atom (the kernel applies the cutoffs). */
static int edges_of(const cluster *c, int i, double *d, int32_t *nbr) {
  int deg = 0;
  for (int j = 0; j < NA; j++) {
    if (j == i) continue;
    for (int x = 0; x < 3; x++) d[3 * deg + x] = c->pos[j][x] - c->pos[i][x];
    nbr[deg++] = j;
  }
  return deg;
}

static const acsf_cutoff cuts[3] = {
    {ACSF_CUT_COS, 0.0}, {ACSF_CUT_POLY2, 0.2}, {ACSF_CUT_TANHU, 0}};

static void test_values(void) {
  acsf_fn fn[NF];
  int n = make_set(fn);
  CHECK(n == NF);
  cluster c;
  make_cluster(&c, 3);
  double d[3 * NA], scratch[NA * 5];
  int32_t nbr[NA];
  tn_real g[NF];
  int nonzero = 0;
  for (int ic = 0; ic < 3; ic++) {
    acsf_set set = {fn, n, cuts[ic], radii, 2};
    for (int i = 0; i < NA; i++) {
      int deg = edges_of(&c, i, d, nbr);
      acsf_compute(g, NULL, n, &set, d, nbr, c.type, deg, scratch);
      for (int s = 0; s < n; s++) {
        double want = ref_value(&c, i, &fn[s], &cuts[ic]);
        CHECK_NEAR(g[s], want, 1e-12, 1e-15);
        nonzero += want > 1e-3;
      }
    }
  }
  CHECK(nonzero > 3 * NA * NF / 2); /* the set is not trivially zero */
}

/* max |a − b| / max |b| over n values */
static double rel_max(const double *a, const double *b, int n) {
  double num = 0.0, den = 0.0;
  for (int q = 0; q < n; q++) {
    if (fabs(a[q] - b[q]) > num) num = fabs(a[q] - b[q]);
    if (fabs(b[q]) > den) den = fabs(b[q]);
  }
  return num / (den > 0 ? den : 1.0);
}

static void test_derivatives(void) {
  acsf_fn fn[NF];
  int n = make_set(fn);
  cluster c;
  make_cluster(&c, 7);
  double d[3 * NA], scratch[NA * 5], u[3 * NA];
  int32_t nbr[NA];
  static tn_real dg[NA * NF * 3];
  static double an[NA * NF * 3], fd[NA * NF * 3];
  tn_real g[NF], gp[NF], gm[NF], gdot[NF];
  tn_rng rng;
  tn_rng_seed(&rng, 11);
  for (int ic = 0; ic < 3; ic++) {
    acsf_set set = {fn, n, cuts[ic], radii, 2};
    for (int i = 0; i < NA; i += 2) {
      int deg = edges_of(&c, i, d, nbr);
      acsf_compute(g, dg, n, &set, d, nbr, c.type, deg, scratch);
      for (int q = 0; q < deg * n * 3; q++) an[q] = dg[q];
      for (int k = 0; k < deg; k++)
        for (int x = 0; x < 3; x++) {
          double keep = d[3 * k + x];
          d[3 * k + x] = keep + FD_STEP;
          acsf_compute(gp, NULL, n, &set, d, nbr, c.type, deg, scratch);
          d[3 * k + x] = keep - FD_STEP;
          acsf_compute(gm, NULL, n, &set, d, nbr, c.type, deg, scratch);
          d[3 * k + x] = keep;
          for (int s = 0; s < n; s++) fd[(k * n + s) * 3 + x] = (gp[s] - gm[s]) / (2 * FD_STEP);
        }
      double rel = rel_max(an, fd, deg * n * 3);
      if (rel > 1e-6) fprintf(stderr, "  cutoff %d atom %d: dG/dd rel %.3g\n", ic, i, rel);
      CHECK(rel <= 1e-6);
      /* tangent along a random direction, and backward against it */
      for (int q = 0; q < 3 * deg; q++) u[q] = tn_rng_uniform(&rng) - 0.5;
      tn_real uu[3 * NA];
      for (int q = 0; q < 3 * deg; q++) uu[q] = (tn_real)u[q];
      acsf_tangent(gdot, dg, n, n, uu, deg);
      double dp[3 * NA], dm[3 * NA], t_an[NF], t_fd[NF];
      for (int q = 0; q < 3 * deg; q++) {
        dp[q] = d[q] + FD_STEP * u[q];
        dm[q] = d[q] - FD_STEP * u[q];
      }
      acsf_compute(gp, NULL, n, &set, dp, nbr, c.type, deg, scratch);
      acsf_compute(gm, NULL, n, &set, dm, nbr, c.type, deg, scratch);
      for (int s = 0; s < n; s++) {
        t_an[s] = gdot[s];
        t_fd[s] = (gp[s] - gm[s]) / (2 * FD_STEP);
      }
      CHECK(rel_max(t_an, t_fd, n) <= 1e-6);
      /* backward: gd = Σ_s w_s ∂G_s/∂d, so gd·u = Σ_s w_s Ġ_s */
      tn_real w[NF], gd[3 * NA];
      memset(gd, 0, sizeof gd);
      double want = 0.0, got = 0.0;
      for (int s = 0; s < n; s++) {
        w[s] = (tn_real)(tn_rng_uniform(&rng) - 0.5);
        want += w[s] * gdot[s];
      }
      acsf_backward(gd, w, dg, n, n, deg);
      for (int q = 0; q < 3 * deg; q++) got += gd[q] * u[q];
      CHECK_NEAR(got, want, 1e-12, 1e-14);
    }
  }
}

/* A collinear triple with λ = −1 has 1 + λ cos θ = 0: no contribution and a
 * finite derivative; and a neighbour beyond every cutoff changes nothing. */
static void test_edge_cases(void) {
  acsf_fn fn[1] = {{ACSF_NARROW, 0, 0, 0.1, 0.0, 4.0, 1.0, 2.0, 0}};
  double rad[1] = {4.0}, scratch[4 * 3];
  acsf_set set = {fn, 1, {ACSF_CUT_COS, 0.0}, rad, 1};
  double d[9] = {1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 9.0, 0.0, 0.0};
  int32_t nbr[3] = {0, 1, 2}, type[3] = {0, 0, 0};
  tn_real g[1], dg[9];
  acsf_compute(g, dg, 1, &set, d, nbr, type, 2, scratch);
  CHECK(g[0] > 0.0); /* cos θ = 1: (1 + 1)² 2^{−1} e^{…} f f f */
  tn_real g3[1];
  acsf_compute(g3, NULL, 1, &set, d, nbr, type, 3, scratch);
  CHECK(g3[0] == g[0]);
  fn[0].lambda = -1.0;
  acsf_compute(g, dg, 1, &set, d, nbr, type, 2, scratch);
  CHECK(g[0] == 0.0);
  for (int q = 0; q < 6; q++) CHECK(dg[q] == 0.0);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_acsf needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_cutoffs);
  RUN(test_values);
  RUN(test_derivatives);
  RUN(test_edge_cases);
  return harness_finish();
}
