/* Exact sensitivities ∂E_i/∂R_j (tn_model_energy_jacobian) and their
 * analysis (src/analysis/sensitivity.c), in float64:
 *  - the Jacobian against central finite differences of the atomic
 *    energies, for SchNet, PaiNN and BPNN, on a molecule and on a small
 *    periodic cell whose cutoff reaches several images; its column sums
 *    against the forces, Σ_i ∂E_i/∂R_j = −F_j;
 *  - the acceptance: on a chain whose neighbours are one cutoff
 *    apart at most and whose second neighbours are farther, a model of T
 *    interactions has exactly zero sensitivity beyond T hops (and beyond
 *    T · r_c), and non-zero sensitivity at T hops (SchNet and PaiNN,
 *    T = 1, 2, 3; BPNN, one hop);
 *  - binning of a hand-made Jacobian, minimum-image distances, the
 *    effective range of a constructed profile;
 *  - bad input, every status the code returns but NO_MEMORY. */
#include <math.h>
#include <string.h>

#include "../src/analysis/sensitivity.h"
#include "model_checks.h"

/* ------------------------------------------------------------- models */

static tn_model *make_mp(const char *type, const int32_t *el, int ne, double cutoff, int t) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "%s", type);
  o.features = 6;
  o.interactions = t;
  o.n_basis = 5;
  o.cutoff = cutoff;
  return mc_model_create(&o, el, ne);
}

/* ----------------------------------------------- Jacobian vs differences */

/* jac against central differences of the atomic energies with step
 * MC_FD_STEP (Å), compared as 2-norms over the whole Jacobian with
 * tolerance MC_FD_TOL; the column sums against the forces to round-off. */
static void check_jacobian(tn_model *m, config *c) {
  CHECK(m != NULL);
  if (!m) return;
  int n = c->n;
  static double jac[CONFIG_MAXN * CONFIG_MAXN * 3], fd[CONFIG_MAXN * CONFIG_MAXN * 3];
  double ep[CONFIG_MAXN], em[CONFIG_MAXN], f[CONFIG_MAXN][3], sum[CONFIG_MAXN][3],
      minus_f[CONFIG_MAXN][3];
  tn_frame fr = config_frame(c);
  CHECK_OK(tn_model_energy_jacobian(m, &fr, jac));
  CHECK_OK(tn_model_eval(m, &fr, NULL, f, NULL, NULL));
  for (int j = 0; j < n; j++)
    for (int x = 0; x < 3; x++) {
      double keep = c->pos[j][x];
      c->pos[j][x] = keep + MC_FD_STEP;
      fr = config_frame(c);
      CHECK_OK(tn_model_eval(m, &fr, NULL, NULL, NULL, ep));
      c->pos[j][x] = keep - MC_FD_STEP;
      fr = config_frame(c);
      CHECK_OK(tn_model_eval(m, &fr, NULL, NULL, NULL, em));
      c->pos[j][x] = keep;
      for (int i = 0; i < n; i++) fd[(i * n + j) * 3 + x] = (ep[i] - em[i]) / (2 * MC_FD_STEP);
    }
  double rel = mc_rel_error(jac, fd, n * n * 3);
  if (rel > MC_FD_TOL) fprintf(stderr, "  jacobian vs finite differences: rel %.3g\n", rel);
  CHECK(rel <= MC_FD_TOL);
  /* the Jacobian is not block-trivial: some off-diagonal entry is large */
  double off = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (i != j) off = fmax(off, fabs(jac[(i * n + j) * 3]));
  CHECK(off > 1e-4);
  for (int j = 0; j < n; j++)
    for (int x = 0; x < 3; x++) {
      sum[j][x] = 0.0;
      for (int i = 0; i < n; i++) sum[j][x] += jac[(i * n + j) * 3 + x];
      minus_f[j][x] = -f[j][x];
    }
  double rs = mc_rel_error(&sum[0][0], &minus_f[0][0], 3 * n);
  if (rs > 1e-12) fprintf(stderr, "  column sums vs -forces: rel %.3g\n", rs);
  CHECK(rs <= 1e-12);
}

static const int32_t hco[3] = {1, 6, 8}, arkr[2] = {18, 36};

static void check_arch(tn_model *molecule_model, tn_model *crystal_model) {
  if (tn_real_size() != 8) {
    tn_model_free(molecule_model);
    tn_model_free(crystal_model);
    SKIP("finite differences need the float64 build");
  }
  config c;
  mc_make_molecule(&c, 9, 3);
  check_jacobian(molecule_model, &c);
  mc_make_crystal(&c, 11); /* cutoff 5 Å in a cell of about 4 Å: images */
  check_jacobian(crystal_model, &c);
  tn_model_free(molecule_model);
  tn_model_free(crystal_model);
}

static void test_jacobian_schnet(void) {
  check_arch(make_mp("schnet", hco, 3, 3.0, 2), make_mp("schnet", arkr, 2, 5.0, 2));
}
static void test_jacobian_painn(void) {
  check_arch(make_mp("painn", hco, 3, 3.0, 2), make_mp("painn", arkr, 2, 5.0, 2));
}
static void test_jacobian_bpnn(void) {
  check_arch(mc_bpnn_small(hco, 3, 3.0, "wide", "cos", "auto"),
             mc_bpnn_small(arkr, 2, 5.0, "wide", "cos", "auto"));
}

/* ------------------------------------------------ range of interactions */

#define CHAIN_N  9
#define CHAIN_RC 2.0

/* A zigzag of H and C along x: neighbours 1.51 Å apart (inside the cutoff of
 * 2 Å), second neighbours 3.0 Å (outside), so the graph distance of i and j
 * is |i − j|. The zigzag keeps the chain from being a line, on which
 * sideways sensitivities vanish by symmetry. */
static void make_chain(config *c) {
  memset(c, 0, sizeof *c);
  c->n = CHAIN_N;
  for (int a = 0; a < CHAIN_N; a++) {
    c->z[a] = a % 2 ? 6 : 1;
    c->pos[a][0] = 1.5 * a;
    c->pos[a][1] = a % 2 ? 0.09 : -0.09;
    c->pos[a][2] = 0.03 * (a % 3);
  }
}

/* Zero (all three components, exactly) for pairs more than hops apart in
 * the graph, and for pairs farther than hops · r_c; non-zero for every pair
 * exactly hops apart. The sensitivity analysis on the same frame then puts
 * nothing above zero beyond the nominal range. */
static void check_range(tn_model *m, int hops) {
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_chain(&c);
  tn_frame fr = config_frame(&c);
  static double jac[CHAIN_N * CHAIN_N * 3];
  CHECK_OK(tn_model_energy_jacobian(m, &fr, jac));
  CHECK_NEAR(sens_nominal_range(m), hops * CHAIN_RC, 1e-15, 0);
  int zeros = 0, at_hops = 0, bad = 0;
  for (int i = 0; i < CHAIN_N; i++)
    for (int j = 0; j < CHAIN_N; j++) {
      const double *g = jac + (i * CHAIN_N + j) * 3;
      double r = 0.0;
      for (int x = 0; x < 3; x++) r += (c.pos[j][x] - c.pos[i][x]) * (c.pos[j][x] - c.pos[i][x]);
      r = sqrt(r);
      int d = abs(i - j), zero = g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0;
      if (d > hops || r > hops * CHAIN_RC) {
        zeros++;
        if (!zero) bad++, fprintf(stderr, "  %d hops: dE_%d/dR_%d is not zero\n", hops, i, j);
      }
      if (d == hops) {
        at_hops++;
        if (!(sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]) > 1e-12))
          bad++, fprintf(stderr, "  %d hops: dE_%d/dR_%d is zero at the range\n", hops, i, j);
      }
    }
  CHECK(bad == 0);
  CHECK(zeros > 0 && at_hops > 0); /* the chain tests both sides */

  sens_options o = sens_options_default();
  o.bin_width = 0.25;
  o.r_max = 20.0;
  sens_result *s = NULL;
  char err[256];
  CHECK_OK(sens_create(&s, (const int32_t[]){1, 6}, 2, &o, err, sizeof err));
  if (!s) return;
  CHECK_OK(sens_add_frame(s, m, &fr, 0, err, sizeof err));
  sens_finish(s);
  double nominal = sens_nominal_range(m);
  for (int p = 0; p < s->n_pairs; p++) {
    const sens_pair *q = &s->pairs[p];
    CHECK(q->effective_range <= nominal + o.bin_width);
    for (int b = 0; b < s->n_bins; b++)
      if (b * o.bin_width > nominal) CHECK(q->bins[b].max == 0.0);
  }
  sens_free(s);
}

/* T = 1, 2, 3 interactions of one message-passing architecture. */
static void check_ranges(const char *type) {
  static const int32_t hc[2] = {1, 6};
  for (int t = 1; t <= 3; t++) {
    tn_model *m = make_mp(type, hc, 2, CHAIN_RC, t);
    check_range(m, t);
    tn_model_free(m);
  }
}

static void test_range_schnet(void) { check_ranges("schnet"); }

static void test_range_painn(void) { check_ranges("painn"); }

static void test_range_bpnn(void) {
  static const int32_t hc[2] = {1, 6};
  tn_model *m = mc_bpnn_small(hc, 2, CHAIN_RC, "wide", "cos", "auto");
  check_range(m, 1);
  tn_model_free(m);
}

/* ------------------------------------------------------------- binning */

/* Three atoms: H0 (0,0,0), H1 (1,0,0), O2 (0,2,0); r01 = 1, r02 = 2,
 * r12 = √5 ≈ 2.236. Bins of 0.5 Å up to r_max 2.1 Å: five bins, the last
 * [2.0, 2.1). The Jacobian's rows are s_ij · (0.6, 0, 0.8), of norm s_ij:
 *   s = [7 1 2; 3 8 4; 5 6 9].
 * By hand:
 *   H-H: bin 2 holds s01 = 1, s10 = 3: count 2, mean 2, max 3;
 *   H-O: bin 4 holds s02 = 2, s20 = 5: count 2, mean 3.5, max 5;
 *        beyond r_max: s12 = 4, s21 = 6: count 2, mean 5, max 6;
 *   O-O: empty;
 *   self: H 7 and 8 (mean 7.5, max 8), O 9;
 *   effective range: H-H (2 + 1) · 0.5 = 1.5 Å, H-O (4 + 1) · 0.5 = 2.5 Å
 *   cut to r_max, 2.1 Å (its bin is the partial last one). */
static void test_binning_by_hand(void) {
  static const int32_t z[3] = {1, 1, 8};
  static const double pos[3][3] = {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}};
  static const double s_ij[3][3] = {{7, 1, 2}, {3, 8, 4}, {5, 6, 9}};
  double jac[27];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      jac[(i * 3 + j) * 3 + 0] = 0.6 * s_ij[i][j];
      jac[(i * 3 + j) * 3 + 1] = 0.0;
      jac[(i * 3 + j) * 3 + 2] = -0.8 * s_ij[i][j];
    }
  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.n_atoms = 3;
  fr.species = z;
  fr.pos = pos;
  sens_options o = {.bin_width = 0.5, .r_max = 2.1, .threshold = 0.1};
  sens_result *s = NULL;
  char err[256];
  CHECK_OK(sens_create(&s, (const int32_t[]){8, 1}, 2, &o, err, sizeof err));
  if (!s) return;
  CHECK(s->n_bins == 5 && s->n_pairs == 3);
  CHECK(s->elements[0] == 1 && s->elements[1] == 8);
  for (int rep = 0; rep < 2; rep++) {
    CHECK_OK(sens_add_jacobian(s, &fr, jac, rep, err, sizeof err));
    sens_finish(s);
    int64_t k = rep + 1; /* the same frame again doubles the counts only */
    const sens_pair *hh = sens_pair_find(s, 1, 1), *ho = sens_pair_find(s, 8, 1),
                    *oo = sens_pair_find(s, 8, 8);
    CHECK(hh && ho && oo && ho == sens_pair_find(s, 1, 8));
    if (!hh || !ho || !oo) break;
    CHECK(ho->z[0] == 1 && ho->z[1] == 8);
    for (int b = 0; b < 5; b++) {
      CHECK(hh->bins[b].count == (b == 2 ? 2 * k : 0));
      CHECK(ho->bins[b].count == (b == 4 ? 2 * k : 0));
      CHECK(oo->bins[b].count == 0 && isnan(oo->bins[b].mean));
    }
    CHECK_NEAR(hh->bins[2].mean, 2.0, 1e-14, 0);
    CHECK_NEAR(hh->bins[2].max, 3.0, 1e-14, 0);
    CHECK_NEAR(ho->bins[4].mean, 3.5, 1e-14, 0);
    CHECK_NEAR(ho->bins[4].max, 5.0, 1e-14, 0);
    CHECK(ho->beyond.count == 2 * k && hh->beyond.count == 0);
    CHECK_NEAR(ho->beyond.mean, 5.0, 1e-14, 0);
    CHECK_NEAR(ho->beyond.max, 6.0, 1e-14, 0);
    CHECK(s->self[0].count == 2 * k && s->self[1].count == k);
    CHECK_NEAR(s->self[0].mean, 7.5, 1e-14, 0);
    CHECK_NEAR(s->self[0].max, 8.0, 1e-14, 0);
    CHECK_NEAR(s->self[1].mean, 9.0, 1e-14, 0);
    CHECK_NEAR(hh->peak_mean, 2.0, 1e-14, 0);
    CHECK_NEAR(hh->effective_range, 1.5, 1e-15, 0);
    CHECK_NEAR(ho->effective_range, 2.1, 1e-15, 0);
    CHECK(isnan(oo->effective_range) && isnan(oo->peak_mean));
    CHECK(s->n_frames == k);
  }
  CHECK(sens_pair_find(s, 1, 6) == NULL);
  /* An empty frame is accepted and counted. */
  fr.n_atoms = 0;
  CHECK_OK(sens_add_jacobian(s, &fr, NULL, 2, err, sizeof err));
  CHECK(s->n_frames == 3);
  sens_free(s);
}

/* The same three atoms in a cubic periodic cell of 1.8 Å along x only
 * (pbc 1 0 0, the other rows zero): H0-H1 is then 0.8 Å apart through the
 * boundary, r02 = 2 stays (the offset along y is not periodic), and r12
 * shrinks from √5 to √(0.8² + 2²). */
static void test_binning_periodic(void) {
  static const int32_t z[3] = {1, 1, 8};
  static const double pos[3][3] = {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}};
  double jac[27];
  for (int q = 0; q < 27; q++) jac[q] = q % 3 == 0 ? 1.0 : 0.0; /* every s_ij = 1 */
  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.n_atoms = 3;
  fr.species = z;
  fr.pos = pos;
  fr.cell[0][0] = 1.8;
  fr.pbc[0] = 1;
  sens_options o = {.bin_width = 0.5, .r_max = 2.1, .threshold = 0.1};
  sens_result *s = NULL;
  char err[256];
  CHECK_OK(sens_create(&s, (const int32_t[]){1, 8}, 2, &o, err, sizeof err));
  if (!s) return;
  CHECK_OK(sens_add_jacobian(s, &fr, jac, 0, err, sizeof err));
  sens_finish(s);
  const sens_pair *hh = sens_pair_find(s, 1, 1), *ho = sens_pair_find(s, 1, 8);
  CHECK(hh->bins[1].count == 2 && hh->bins[2].count == 0); /* 0.8 Å, not 1 */
  CHECK(ho->bins[4].count == 2);                           /* r02 = 2.0 */
  CHECK(ho->beyond.count == 2); /* r12 = √(0.8² + 2²) = 2.154 ≥ 2.1 */
  sens_free(s);
}

/* Minimum images: a triclinic cell against a brute-force search over ±4
 * cells, a slab and a wire against hand values. */
static void test_min_image(void) {
  config c;
  mc_make_crystal(&c, 2);
  tn_frame fr = config_frame(&c);
  sens_cell cell;
  CHECK(sens_cell_init(&cell, &fr) == 0);
  tn_rng rng;
  tn_rng_seed(&rng, 4);
  double worst = 0.0;
  for (int t = 0; t < 200; t++) {
    double a[3], b[3];
    for (int x = 0; x < 3; x++) a[x] = 20 * tn_rng_uniform(&rng) - 10;
    for (int x = 0; x < 3; x++) b[x] = 20 * tn_rng_uniform(&rng) - 10;
    double best = INFINITY;
    for (int i = -8; i <= 8; i++)
      for (int j = -8; j <= 8; j++)
        for (int k = -8; k <= 8; k++) {
          double r2 = 0.0;
          for (int x = 0; x < 3; x++) {
            double v = b[x] - a[x] + i * c.cell[0][x] + j * c.cell[1][x] + k * c.cell[2][x];
            r2 += v * v;
          }
          best = fmin(best, r2);
        }
    worst = fmax(worst, fabs(sens_cell_distance(&cell, a, b) - sqrt(best)));
  }
  CHECK(worst < 1e-12);

  /* a slab periodic along a and b (rows a = (3,0,0), b = (1,3,0)) */
  memset(&fr, 0, sizeof fr);
  fr.cell[0][0] = 3.0;
  fr.cell[1][0] = 1.0;
  fr.cell[1][1] = 3.0;
  fr.pbc[0] = fr.pbc[1] = 1;
  CHECK(sens_cell_init(&cell, &fr) == 0);
  double p0[3] = {0.1, 0.1, 0.0}, p1[3] = {3.9, 2.9, 5.0};
  /* p1 − p0 = (3.8, 2.8, 5); the nearest image is a + b = (4, 3, 0) away:
   * (−0.2, −0.2, 5), and z is not periodic */
  CHECK_NEAR(sens_cell_distance(&cell, p0, p1), sqrt(0.04 + 0.04 + 25.0), 1e-14, 0);
  /* a wire periodic along a tilted a = (2, 2, 0) */
  memset(&fr, 0, sizeof fr);
  fr.cell[0][0] = 2.0;
  fr.cell[0][1] = 2.0;
  fr.pbc[0] = 1;
  CHECK(sens_cell_init(&cell, &fr) == 0);
  double q0[3] = {0, 0, 0}, q1[3] = {2.1, 1.9, 1.0};
  CHECK_NEAR(sens_cell_distance(&cell, q0, q1), sqrt(0.01 + 0.01 + 1.0), 1e-14, 0);
  /* open boundaries: the plain distance */
  memset(&fr, 0, sizeof fr);
  CHECK(sens_cell_init(&cell, &fr) == 0);
  CHECK_NEAR(sens_cell_distance(&cell, q0, q1), sqrt(2.1 * 2.1 + 1.9 * 1.9 + 1.0), 1e-15, 0);
  /* degenerate: periodic along a and b with b parallel to a */
  fr.cell[0][0] = 2.0;
  fr.cell[1][0] = 4.0;
  fr.pbc[0] = fr.pbc[1] = 1;
  CHECK(sens_cell_init(&cell, &fr) == -1);
}

/* The effective range of constructed profiles (bins of 0.5 Å). */
static void test_effective_range(void) {
  sens_stat b[8];
  memset(b, 0, sizeof b);
  static const double mean[8] = {0.5, 2.0, 1.0, 0.01, 0.0015, 0.0005, 100.0, 0.0};
  for (int q = 0; q < 8; q++) b[q].count = q == 6 ? 0 : 3, b[q].mean = mean[q];
  /* peak 2 (bin 6 is empty and does not count); 1e-3 · 2 = 0.002: bin 3 is
   * the last above, its upper edge 2.0 Å */
  CHECK_NEAR(sens_effective_range(b, 8, 0.5, 1e-3), 2.0, 1e-15, 0);
  /* 1e-4 · 2 = 2e-4: bin 5 (0.0005), edge 3.0 Å */
  CHECK_NEAR(sens_effective_range(b, 8, 0.5, 1e-4), 3.0, 1e-15, 0);
  /* a threshold above every bin but the peak: the peak's own edge, 1.0 Å */
  CHECK_NEAR(sens_effective_range(b, 8, 0.5, 0.6), 1.0, 1e-15, 0);
  /* exactly at the threshold is not above it: 0.5 / 2 = 0.25 keeps bin 2
   * (1.0), not more */
  CHECK_NEAR(sens_effective_range(b, 8, 0.5, 0.25), 1.5, 1e-15, 0);
  for (int q = 0; q < 8; q++) b[q].mean = 0.0;
  CHECK(sens_effective_range(b, 8, 0.5, 1e-3) == 0.0);
  for (int q = 0; q < 8; q++) b[q].count = 0;
  CHECK(isnan(sens_effective_range(b, 8, 0.5, 1e-3)));
}

/* ------------------------------------------------------------ bad input */

static void test_bad_input(void) {
  static const int32_t hc[2] = {1, 6};
  tn_model *m = make_mp("schnet", hc, 2, 2.0, 1);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_chain(&c);
  tn_frame fr = config_frame(&c);
  static double jac[CHAIN_N * CHAIN_N * 3];
  CHECK(tn_model_energy_jacobian(NULL, &fr, jac) == TN_STATUS_INVALID_ARG);
  CHECK(tn_model_energy_jacobian(m, NULL, jac) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "no frame") != NULL);
  CHECK(tn_model_energy_jacobian(m, &fr, NULL) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "no output array") != NULL);
  tn_frame neg = fr;
  neg.n_atoms = -1;
  CHECK(tn_model_energy_jacobian(m, &neg, jac) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "n_atoms") != NULL);
  tn_frame empty = fr;
  empty.n_atoms = 0;
  CHECK_OK(tn_model_energy_jacobian(m, &empty, NULL));
  /* an element the model lacks */
  c.z[3] = 54;
  fr = config_frame(&c);
  CHECK(tn_model_energy_jacobian(m, &fr, jac) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "atom 4: element Xe") != NULL);
  /* two atoms at one place */
  make_chain(&c);
  memcpy(c.pos[2], c.pos[1], sizeof c.pos[1]);
  fr = config_frame(&c);
  CHECK(tn_model_energy_jacobian(m, &fr, jac) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "same place") != NULL);

  /* sens_create */
  char err[256];
  sens_result *s = NULL;
  sens_options o = sens_options_default();
  CHECK(sens_create(NULL, hc, 2, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_create(&s, NULL, 2, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_create(&s, hc, 2, NULL, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_create(&s, hc, 0, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_create(&s, hc, 17, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_create(&s, (const int32_t[]){6, 6}, 2, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "listed twice") != NULL);
  CHECK(sens_create(&s, (const int32_t[]){1, 200}, 2, &o, err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "200") != NULL);
  static const struct {
    double w, r, t;
    const char *field;
  } bad[] = {{0.0, 10, 1e-3, "bin_width"}, {NAN, 10, 1e-3, "bin_width"},
             {0.1, -1, 1e-3, "r_max"},     {0.1, INFINITY, 1e-3, "r_max"},
             {0.1, 10, 0.0, "threshold"},  {0.1, 10, 1.0, "threshold"},
             {1e-9, 10, 1e-3, "bins"}};
  for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
    sens_options b = {.bin_width = bad[q].w, .r_max = bad[q].r, .threshold = bad[q].t};
    CHECK(sens_create(&s, hc, 2, &b, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(s == NULL);
    CHECK(strstr(err, bad[q].field) != NULL);
  }
  CHECK_OK(sens_create(&s, hc, 2, &o, err, sizeof err));
  if (!s) goto done;

  /* sens_add_frame: the model's message comes back */
  make_chain(&c);
  c.z[3] = 54;
  fr = config_frame(&c);
  CHECK(sens_add_frame(s, m, &fr, 4, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "frame 5") != NULL && strstr(err, "element Xe is not one the model") != NULL);
  CHECK(sens_add_frame(NULL, m, &fr, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_frame(s, NULL, &fr, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_frame(s, m, NULL, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_frame(s, m, &neg, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);

  /* sens_add_jacobian: nothing is added on failure */
  make_chain(&c);
  fr = config_frame(&c);
  CHECK_OK(tn_model_energy_jacobian(m, &fr, jac));
  CHECK(sens_add_jacobian(NULL, &fr, jac, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_jacobian(s, NULL, jac, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_jacobian(s, &fr, NULL, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(sens_add_jacobian(s, &neg, jac, 0, err, sizeof err) == TN_STATUS_INVALID_ARG);
  c.z[8] = 8; /* O: the model would refuse it too, but here the result does */
  fr = config_frame(&c);
  CHECK(sens_add_jacobian(s, &fr, jac, 6, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "frame 7, atom 9: field 'species': element O") != NULL);
  make_chain(&c);
  c.pos[2][1] = NAN;
  fr = config_frame(&c);
  CHECK(sens_add_jacobian(s, &fr, jac, 0, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "atom 3: field 'pos'") != NULL);
  make_chain(&c);
  fr = config_frame(&c);
  double keep = jac[(2 * CHAIN_N + 5) * 3 + 1];
  jac[(2 * CHAIN_N + 5) * 3 + 1] = INFINITY;
  CHECK(sens_add_jacobian(s, &fr, jac, 0, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "dE_3/dR_6 is not finite") != NULL);
  jac[(2 * CHAIN_N + 5) * 3 + 1] = keep;
  fr.pbc[0] = fr.pbc[2] = 1; /* periodic with a zero cell */
  CHECK(sens_add_jacobian(s, &fr, jac, 0, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "field 'cell'") != NULL);
  sens_finish(s);
  CHECK(s->n_frames == 0);
  for (int p = 0; p < s->n_pairs; p++) {
    for (int b = 0; b < s->n_bins; b++) CHECK(s->pairs[p].bins[b].count == 0);
    CHECK(s->pairs[p].beyond.count == 0);
  }
  CHECK(s->self[0].count == 0 && s->self[1].count == 0);
done:
  sens_free(s);
  sens_free(NULL);
  tn_model_free(m);
}

int main(void) {
  RUN(test_jacobian_schnet);
  RUN(test_jacobian_painn);
  RUN(test_jacobian_bpnn);
  RUN(test_range_schnet);
  RUN(test_range_painn);
  RUN(test_range_bpnn);
  RUN(test_binning_by_hand);
  RUN(test_binning_periodic);
  RUN(test_min_image);
  RUN(test_effective_range);
  RUN(test_bad_input);
  return harness_finish();
}
