/* The noble-gas reference potential (LJ + Axilrod-Teller-Muto) and its
 * Langevin sampler: exact pair and triple values, forces and stress against
 * central finite differences, the atomic-energy partition, invariances,
 * periodic images against a supercell, bad input, and deterministic MD. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define KB      8.617333262e-5
#define C9_UNIT 0.6241509074460763 /* eV Å^9 per 1e-84 erg cm^9 */
#define FD_STEP 1e-5               /* Å for forces, and strain for stress */
#define MAXN    256

static const double eps_ar = 119.8 * KB, sig_ar = 3.405, c9_ar = 73.2 * C9_UNIT;
static const double eps_kr = 172.7 * KB, sig_kr = 3.591, c9_kr = 220.0 * C9_UNIT;

static double lj(double eps, double sig, double r) {
  double s6 = pow(sig / r, 6);
  return 4.0 * eps * (s6 * s6 - s6);
}

static double smooth(double r, double on, double off) {
  if (r <= on) return 1.0;
  if (r >= off) return 0.0;
  double x = (r - on) / (off - on);
  return 1.0 - 10.0 * pow(x, 3) + 15.0 * pow(x, 4) - 6.0 * pow(x, 5);
}

/* A configuration: atoms, cell, pbc. */
typedef struct config {
  int n;
  int32_t z[MAXN];
  double pos[MAXN][3];
  double cell[3][3];
  uint8_t pbc[3];
} config;

static tn_status eval(const tn_noble_gas *pot, const config *c, double *e, double (*f)[3],
                      double s[3][3], double *ea) {
  tn_neighbors *nl = tn_neighbors_create();
  char err[256] = "";
  tn_status st =
      tn_noble_gas_eval(pot, nl, c->z, (const double(*)[3])c->pos, c->n,
                        (const double(*)[3])c->cell, c->pbc, e, f, s, ea, err, sizeof err);
  if (st != TN_STATUS_OK) fprintf(stderr, "  eval: %s\n", err);
  tn_neighbors_free(nl);
  return st;
}

static double energy_of(const tn_noble_gas *pot, const config *c) {
  double e = NAN;
  CHECK_OK(eval(pot, c, &e, NULL, NULL, NULL));
  return e;
}

/* A jittered fcc liquid-like box of 4 k^3 atoms at 0.021 atoms/Å^3; a
 * fraction kr_every of them Kr (0 for none); shear tilts b and c. */
static void make_box(config *c, int k, int kr_every, double shear, uint64_t seed) {
  static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = 4 * k * k * k;
  double box = cbrt(c->n / 0.021);
  double cell[3][3] = {{box, 0, 0}, {shear * box, box, 0}, {0.5 * shear * box, shear * box, box}};
  memcpy(c->cell, cell, sizeof cell);
  c->pbc[0] = c->pbc[1] = c->pbc[2] = 1;
  int a = 0;
  for (int x = 0; x < k; x++)
    for (int y = 0; y < k; y++)
      for (int w = 0; w < k; w++)
        for (int b = 0; b < 4; b++, a++) {
          double frac[3] = {(x + basis[b][0]) / k, (y + basis[b][1]) / k, (w + basis[b][2]) / k};
          for (int d = 0; d < 3; d++) frac[d] += 0.04 * (tn_rng_uniform(&rng) - 0.5);
          for (int d = 0; d < 3; d++)
            c->pos[a][d] = frac[0] * cell[0][d] + frac[1] * cell[1][d] + frac[2] * cell[2][d];
          c->z[a] = kr_every && a % kr_every == 0 ? 36 : 18;
        }
}

/* 13 atoms around the origin (an open cluster), mixed Ar/Kr. */
static void make_cluster(config *c) {
  tn_rng rng;
  tn_rng_seed(&rng, 99);
  memset(c, 0, sizeof *c);
  c->n = 13;
  for (int i = 0; i < c->n; i++) {
    c->z[i] = i % 3 ? 18 : 36;
    int ok = 0;
    while (!ok) { /* rejection: no two atoms closer than 3.3 Å */
      for (int d = 0; d < 3; d++) c->pos[i][d] = 11.0 * (tn_rng_uniform(&rng) - 0.5);
      ok = 1;
      for (int j = 0; j < i; j++) {
        double r2 = 0;
        for (int d = 0; d < 3; d++) r2 += pow(c->pos[i][d] - c->pos[j][d], 2);
        ok &= r2 > 3.3 * 3.3;
      }
    }
  }
}

/* Forces against central differences of the energy (step FD_STEP Å):
 * |F - F_fd| <= 1e-6 max|F| for every component. */
static void check_forces(const tn_noble_gas *pot, config *c) {
  double f[MAXN][3], ea[MAXN], e;
  CHECK_OK(eval(pot, c, &e, f, NULL, ea));
  double fmax = 0, worst = 0, sum[3] = {0, 0, 0}, esum = 0;
  for (int i = 0; i < c->n; i++) {
    esum += ea[i];
    for (int d = 0; d < 3; d++)
      fmax = fmax > fabs(f[i][d]) ? fmax : fabs(f[i][d]), sum[d] += f[i][d];
  }
  for (int i = 0; i < c->n; i++)
    for (int d = 0; d < 3; d++) {
      double x = c->pos[i][d];
      c->pos[i][d] = x + FD_STEP;
      double ep = energy_of(pot, c);
      c->pos[i][d] = x - FD_STEP;
      double em = energy_of(pot, c);
      c->pos[i][d] = x;
      double diff = fabs(-(ep - em) / (2 * FD_STEP) - f[i][d]);
      worst = diff > worst ? diff : worst;
    }
  CHECK(fmax > 1e-3); /* the check is not vacuous */
  CHECK(worst <= 1e-6 * fmax);
  if (getenv("NG_VERBOSE") || worst > 1e-6 * fmax)
    fprintf(stderr, "  force error %g of max %g\n", worst, fmax);
  CHECK_NEAR(esum, e, 1e-10, 0);
  for (int d = 0; d < 3; d++) CHECK_NEAR(sum[d], 0.0, 0, 1e-10 * fmax * c->n);
}

static void test_pair_exact(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  pot.triple_cutoff = 0; /* pairs only */
  config c;
  memset(&c, 0, sizeof c);
  c.n = 2;
  c.z[0] = c.z[1] = 18;
  double e, ea[2], f[2][3];
  double radii[3] = {3.8, 8.4, 9.2}; /* inside, within the switch, beyond the cutoff */
  for (int k = 0; k < 3; k++) {
    c.pos[1][0] = radii[k];
    CHECK_OK(eval(&pot, &c, &e, f, NULL, ea));
    double want = lj(eps_ar, sig_ar, radii[k]) * smooth(radii[k], 8.0, 9.0);
    CHECK_NEAR(e, want, 1e-13, 1e-18);
    CHECK_NEAR(ea[0], want / 2, 1e-13, 1e-18);
    CHECK_NEAR(ea[1], want / 2, 1e-13, 1e-18);
  }
  CHECK(e == 0.0 && f[0][0] == 0.0);
  /* At 3.8 Å (no switch) the force is -dV/dr along the axis, by formula. */
  c.pos[1][0] = 3.8;
  CHECK_OK(eval(&pot, &c, &e, f, NULL, ea));
  double s6 = pow(sig_ar / 3.8, 6), dvdr = 4 * eps_ar * (-12 * s6 * s6 + 6 * s6) / 3.8;
  CHECK_NEAR(f[1][0], -dvdr, 1e-12, 0);
  CHECK_NEAR(f[0][0], dvdr, 1e-12, 0);
  /* Ar-Kr: Lorentz-Berthelot. */
  c.z[1] = 36;
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, NULL));
  CHECK_NEAR(e, lj(sqrt(eps_ar * eps_kr), 0.5 * (sig_ar + sig_kr), 3.8), 1e-13, 0);
  /* Known numbers: the Ar minimum is -eps at 2^(1/6) sigma = 3.822 Å, and
   * eps = 119.8 K k_B = 10.3235 meV. */
  c.z[1] = 18;
  c.pos[1][0] = pow(2.0, 1.0 / 6.0) * 3.405;
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, NULL));
  CHECK_NEAR(e, -0.0103235653, 1e-8, 0);
}

static void test_atm_equilateral(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  pot.cutoff = 1.0; /* pairs off: only the triple remains */
  pot.switch_on = 0.5;
  config c;
  memset(&c, 0, sizeof c);
  c.n = 3;
  double a = 4.0;
  double tri[3][3] = {{0, 0, 0}, {a, 0, 0}, {0.5 * a, 0.5 * sqrt(3.0) * a, 0}};
  memcpy(c.pos, tri, sizeof tri);
  c.z[0] = c.z[1] = c.z[2] = 18;
  double e, ea[3];
  /* cos 60° = 1/2 at every corner: E = C9 (1 + 3/8) / a^9. */
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, ea));
  double want = c9_ar * 11.0 / 8.0 / pow(a, 9);
  CHECK_NEAR(e, want, 1e-13, 0);
  CHECK_NEAR(e, 2.39642e-4, 1e-5, 0); /* 45.688 eV Å^9 * 1.375 / 262144 Å^9 */
  for (int i = 0; i < 3; i++) CHECK_NEAR(ea[i], want / 3, 1e-13, 0);
  /* Mixed Ar Ar Kr: C9 = (C9_Ar^2 C9_Kr)^(1/3). */
  c.z[2] = 36;
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, NULL));
  CHECK_NEAR(e, cbrt(c9_ar * c9_ar * c9_kr) * 11.0 / 8.0 / pow(a, 9), 1e-13, 0);
  /* A right isosceles triangle (legs a): cosines 0, 1/sqrt2, 1/sqrt2, so
   * E = C9 / (a * a * sqrt2 a)^3. Inside the triple switch_on of 6 Å. */
  c.z[2] = 18;
  c.pos[1][0] = a;
  c.pos[2][0] = 0, c.pos[2][1] = a;
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, NULL));
  CHECK_NEAR(e, c9_ar / pow(a * a * sqrt(2.0) * a, 3), 1e-13, 0);
  /* The full potential of the equilateral triangle: three pairs plus ATM. */
  pot = tn_noble_gas_default();
  c.pos[1][0] = a, c.pos[2][0] = 0.5 * a, c.pos[2][1] = 0.5 * sqrt(3.0) * a;
  CHECK_OK(eval(&pot, &c, &e, NULL, NULL, NULL));
  CHECK_NEAR(e, 3 * lj(eps_ar, sig_ar, a) + want, 1e-13, 0);
}

static void test_forces_fd(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  config c;
  make_box(&c, 2, 0, 0.0, 1); /* pure Ar, cubic, 32 atoms, edge 11.5 Å < 2 cutoff */
  check_forces(&pot, &c);
  make_box(&c, 2, 1, 0.1, 2); /* pure Kr, triclinic */
  check_forces(&pot, &c);
  make_box(&c, 2, 3, 0.15, 3); /* Ar/Kr mixture, triclinic */
  check_forces(&pot, &c);
  make_cluster(&c); /* open boundaries */
  check_forces(&pot, &c);
  pot.triple_cutoff = 9.5, pot.triple_switch_on = 4.0; /* triples longer than pairs */
  check_forces(&pot, &c);
}

/* Stress against central differences of E under cell and positions mapped
 * by (1 + eps), eps = FD_STEP in one component: sigma_ab = (1/V) dE/deps_ab. */
static void check_stress(const tn_noble_gas *pot, const config *c0) {
  double s[3][3], e;
  CHECK_OK(eval(pot, c0, &e, NULL, s, NULL));
  const double(*h)[3] = c0->cell;
  double vol = fabs(h[0][0] * (h[1][1] * h[2][2] - h[1][2] * h[2][1]) -
                    h[0][1] * (h[1][0] * h[2][2] - h[1][2] * h[2][0]) +
                    h[0][2] * (h[1][0] * h[2][1] - h[1][1] * h[2][0]));
  double smax = 0, worst = 0;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) smax = fabs(s[a][b]) > smax ? fabs(s[a][b]) : smax;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      double ev[2];
      for (int sign = 0; sign < 2; sign++) {
        config c = *c0;
        double t = sign ? -FD_STEP : FD_STEP;
        for (int r = 0; r < 3; r++) c.cell[r][a] += t * c0->cell[r][b];
        for (int i = 0; i < c.n; i++) c.pos[i][a] += t * c0->pos[i][b];
        ev[sign] = energy_of(pot, &c);
      }
      double fd = (ev[0] - ev[1]) / (2 * FD_STEP * vol);
      worst = fabs(fd - s[a][b]) > worst ? fabs(fd - s[a][b]) : worst;
    }
  CHECK(smax > 1e-6);
  CHECK(worst <= 1e-6 * smax);
  if (getenv("NG_VERBOSE") || worst > 1e-6 * smax)
    fprintf(stderr, "  stress error %g of max %g\n", worst, smax);
}

static void test_stress_fd(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  config c;
  make_box(&c, 2, 0, 0.0, 4);
  check_stress(&pot, &c);
  make_box(&c, 2, 3, 0.2, 5); /* mixture, triclinic */
  check_stress(&pot, &c);
  /* Compressed hard: the stress is negative (ASE sign). */
  for (int i = 0; i < c.n; i++)
    for (int d = 0; d < 3; d++) c.pos[i][d] *= 0.8;
  for (int r = 0; r < 3; r++)
    for (int d = 0; d < 3; d++) c.cell[r][d] *= 0.8;
  double s[3][3];
  CHECK_OK(eval(&pot, &c, NULL, NULL, s, NULL));
  CHECK(s[0][0] < 0 && s[1][1] < 0 && s[2][2] < 0);
  CHECK_NEAR(s[0][1], s[1][0], 1e-10, 1e-14); /* central forces: symmetric */
}

static void rotate(double r[3][3], double (*v)[3], int n) {
  for (int i = 0; i < n; i++) {
    double x[3];
    for (int a = 0; a < 3; a++) x[a] = r[a][0] * v[i][0] + r[a][1] * v[i][1] + r[a][2] * v[i][2];
    memcpy(v[i], x, sizeof x);
  }
}

static void test_invariance(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  config c, d;
  make_box(&c, 2, 3, 0.1, 6);
  double e0, ea0[MAXN], e1, ea1[MAXN];
  CHECK_OK(eval(&pot, &c, &e0, NULL, NULL, ea0));
  /* Rotation of cell and positions, then a translation. */
  double th = 0.7, ph = 0.3;
  double rz[3][3] = {{cos(th), -sin(th), 0}, {sin(th), cos(th), 0}, {0, 0, 1}};
  double rx[3][3] = {{1, 0, 0}, {0, cos(ph), -sin(ph)}, {0, sin(ph), cos(ph)}};
  d = c;
  rotate(rz, d.pos, d.n), rotate(rz, d.cell, 3);
  rotate(rx, d.pos, d.n), rotate(rx, d.cell, 3);
  for (int i = 0; i < d.n; i++) d.pos[i][0] += 3.3, d.pos[i][1] -= 17.1, d.pos[i][2] += 0.25;
  CHECK_OK(eval(&pot, &d, &e1, NULL, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-10, 0);
  double worst = 0;
  for (int i = 0; i < c.n; i++) worst = fmax(worst, fabs(ea1[i] - ea0[i]));
  CHECK(worst < 1e-12);
  /* Permutation: reversed order, atomic energies follow their atoms. */
  for (int i = 0; i < c.n; i++) {
    d.z[i] = c.z[c.n - 1 - i];
    memcpy(d.pos[i], c.pos[c.n - 1 - i], sizeof d.pos[i]);
  }
  memcpy(d.cell, c.cell, sizeof d.cell);
  CHECK_OK(eval(&pot, &d, &e1, NULL, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-10, 0);
  worst = 0;
  for (int i = 0; i < c.n; i++) worst = fmax(worst, fabs(ea1[i] - ea0[c.n - 1 - i]));
  CHECK(worst < 1e-12);
  /* Open cluster: rotation and translation. */
  make_cluster(&c);
  CHECK_OK(eval(&pot, &c, &e0, NULL, NULL, NULL));
  CHECK(e0 < 0);
  d = c;
  rotate(rx, d.pos, d.n);
  for (int i = 0; i < d.n; i++) d.pos[i][2] += 100.0;
  CHECK_OK(eval(&pot, &d, &e1, NULL, NULL, NULL));
  CHECK_NEAR(e1, e0, 1e-10, 0);
}

/* A periodic cell against its 2x2x2 supercell: energy x8, the same atomic
 * energies and stress. */
static void check_supercell(const tn_noble_gas *pot, const config *c0) {
  static config c, big;
  c = *c0;
  double e, ea[MAXN], eb, eab[MAXN], s[3][3], sb[3][3];
  CHECK_OK(eval(pot, &c, &e, NULL, s, ea));
  memset(&big, 0, sizeof big);
  big.pbc[0] = big.pbc[1] = big.pbc[2] = 1;
  for (int r = 0; r < 3; r++)
    for (int d = 0; d < 3; d++) big.cell[r][d] = 2 * c.cell[r][d];
  for (int x = 0; x < 2; x++)
    for (int y = 0; y < 2; y++)
      for (int w = 0; w < 2; w++)
        for (int i = 0; i < c.n; i++, big.n++) {
          big.z[big.n] = c.z[i];
          for (int d = 0; d < 3; d++)
            big.pos[big.n][d] =
                c.pos[i][d] + x * c.cell[0][d] + y * c.cell[1][d] + w * c.cell[2][d];
        }
  CHECK(big.n == 8 * c.n);
  CHECK_OK(eval(pot, &big, &eb, NULL, sb, eab));
  CHECK_NEAR(eb, 8 * e, 1e-11, 0);
  double worst = 0;
  for (int k = 0; k < big.n; k++) worst = fmax(worst, fabs(eab[k] - ea[k % c.n]));
  CHECK(worst < 1e-12);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) CHECK_NEAR(sb[a][b], s[a][b], 1e-10, 1e-15);
}

static void test_supercell(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  config c;
  make_box(&c, 2, 4, 0.1, 7); /* edge 11.5 Å: the 9 Å cutoff reaches several images */
  check_supercell(&pot, &c);
  /* Edge 5.7 Å, below the 7 Å triple cutoff: triangles of an atom with its
   * own images, which the triple weights must count once. */
  make_box(&c, 1, 2, 0.1, 8);
  check_supercell(&pot, &c);
  check_forces(&pot, &c);
  check_stress(&pot, &c);
  /* One atom: every pair and triple is made of its own images. */
  memset(&c, 0, sizeof c);
  c.n = 1;
  c.z[0] = 36;
  c.pbc[0] = c.pbc[1] = c.pbc[2] = 1;
  double cell[3][3] = {{4.1, 0, 0}, {0.3, 4.3, 0}, {-0.2, 0.4, 4.6}};
  memcpy(c.cell, cell, sizeof cell);
  check_supercell(&pot, &c);
  check_stress(&pot, &c);
}

static void test_bad_input(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_neighbors *nl = tn_neighbors_create();
  config c;
  make_cluster(&c);
  char err[256];
  double e, s[3][3];
#define EVAL(p, cc)                                                                                \
  tn_noble_gas_eval(&(p), nl, (cc).z, (const double(*)[3])(cc).pos, (cc).n,                        \
                    (const double(*)[3])(cc).cell, (cc).pbc, &e, NULL, NULL, NULL, err,            \
                    sizeof err)
  c.z[4] = 8;
  CHECK(EVAL(pot, c) == TN_STATUS_BAD_INPUT && strstr(err, "atom 4") && strstr(err, "species"));
  c.z[4] = 18;
  c.pos[5][1] = NAN;
  CHECK(EVAL(pot, c) == TN_STATUS_BAD_INPUT && strstr(err, "atom 5") && strstr(err, "pos"));
  memcpy(c.pos[5], c.pos[2], sizeof c.pos[5]);
  CHECK(EVAL(pot, c) == TN_STATUS_BAD_INPUT && strstr(err, "coincide"));
  make_cluster(&c);
  tn_noble_gas bad = pot;
  bad.switch_on = bad.cutoff;
  CHECK(EVAL(bad, c) == TN_STATUS_INVALID_ARG && strstr(err, "switch_on"));
  bad = pot;
  bad.triple_switch_on = -1;
  CHECK(EVAL(bad, c) == TN_STATUS_INVALID_ARG && strstr(err, "triple_cutoff"));
  bad = pot;
  bad.cutoff = NAN;
  CHECK(EVAL(bad, c) == TN_STATUS_INVALID_ARG);
  c.n = -1;
  CHECK(EVAL(pot, c) == TN_STATUS_INVALID_ARG);
  c.n = 13;
  /* Stress needs a periodic cell. */
  CHECK(tn_noble_gas_eval(&pot, nl, c.z, (const double(*)[3])c.pos, c.n, NULL, NULL, &e, NULL, s,
                          NULL, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "stress") != NULL);
  /* No atoms: zero energy. */
  c.n = 0;
  CHECK_OK(EVAL(pot, c));
  CHECK(e == 0.0);
#undef EVAL
  tn_neighbors_free(nl);
}

/* ------------------------------------------------------------- sampling */

static int progress_calls, progress_last;
static void on_progress(void *user, int done, int total) {
  (void)user;
  progress_calls++;
  progress_last = done * 1000 + total;
}

static tn_noble_gas_sample small_sample(void) {
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  s.species[1] = 36;
  s.fraction = 0.25;
  s.n_atoms = 32;
  s.n_frames = 3;
  s.equilibration_steps = 40;
  s.steps_between = 10;
  s.seed = 11;
  return s;
}

static int same_column(const tn_dataset *a, const tn_dataset *b, const char *name) {
  const tn_column *x = tn_dataset_column(a, name), *y = tn_dataset_column(b, name);
  if (!x || !y || x->width != y->width) return 0;
  int64_t rows = x->scope == TN_COLUMN_SCOPE_FRAME ? a->n_frames : a->n_atoms;
  return memcmp(x->values, y->values, (size_t)(rows * x->width) * sizeof(double)) == 0;
}

static void test_generate(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = small_sample();
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  progress_calls = 0;
  CHECK_OK(tn_noble_gas_generate(a, &pot, &s, on_progress, NULL));
  CHECK(progress_calls == 3 && progress_last == 3003);
  CHECK(a->n_frames == 3 && a->n_atoms == 96);
  const tn_column *e = tn_dataset_column(a, TN_LABEL_ENERGY);
  const tn_column *f = tn_dataset_column(a, TN_LABEL_FORCES);
  const tn_column *st = tn_dataset_column(a, TN_LABEL_STRESS);
  const tn_column *ea = tn_dataset_column(a, TN_LABEL_ENERGIES);
  CHECK(e && f && st && ea);
  if (!e || !f || !st || !ea) goto done;
  CHECK(e->width == 1 && f->width == 3 && st->width == 9 && ea->width == 1);
  CHECK(f->scope == TN_COLUMN_SCOPE_ATOM && st->scope == TN_COLUMN_SCOPE_FRAME);
  double box = cbrt(32 / s.density);
  for (int64_t fr = 0; fr < a->n_frames; fr++) {
    CHECK(isfinite(e->values[fr]) && e->values[fr] < 0); /* a bound liquid */
    CHECK(a->pbc[fr][0] && a->pbc[fr][1] && a->pbc[fr][2]);
    CHECK_NEAR(a->cell[fr][1][1], box, 1e-12, 0);
    CHECK(a->cell[fr][0][1] == 0.0);
    double sum = 0;
    int n_kr = 0, inside = 1;
    for (int64_t i = a->atom_start[fr]; i < a->atom_start[fr + 1]; i++) {
      sum += ea->values[i];
      n_kr += a->species[i] == 36;
      for (int d = 0; d < 3; d++) inside &= a->pos[i][d] >= 0 && a->pos[i][d] < box;
    }
    CHECK_NEAR(sum, e->values[fr], 1e-10, 0);
    CHECK(n_kr == 8 && inside);
    /* The stored labels are those of the stored positions. */
    tn_frame view;
    tn_dataset_frame(a, fr, &view);
    tn_neighbors *nl = tn_neighbors_create();
    double e2, s2[3][3];
    char err[256];
    CHECK_OK(tn_noble_gas_eval(&pot, nl, view.species, view.pos, view.n_atoms,
                               (const double(*)[3])view.cell, view.pbc, &e2, NULL, s2, NULL, err,
                               sizeof err));
    tn_neighbors_free(nl);
    CHECK_NEAR(e2, e->values[fr], 1e-12, 0);
    CHECK_NEAR(s2[2][2], st->values[9 * fr + 8], 1e-12, 1e-16);
  }
  /* Same seed, same frames; another seed, other frames. */
  CHECK_OK(tn_noble_gas_generate(b, &pot, &s, NULL, NULL));
  CHECK(b->n_frames == 3 && memcmp(a->pos, b->pos, 96 * sizeof *a->pos) == 0);
  CHECK(memcmp(a->species, b->species, 96 * sizeof *a->species) == 0);
  CHECK(same_column(a, b, TN_LABEL_ENERGY) && same_column(a, b, TN_LABEL_FORCES));
  CHECK(same_column(a, b, TN_LABEL_STRESS) && same_column(a, b, TN_LABEL_ENERGIES));
  s.seed = 12;
  tn_dataset_truncate(b, 0);
  CHECK_OK(tn_noble_gas_generate(b, &pot, &s, NULL, NULL));
  CHECK(memcmp(a->pos, b->pos, 96 * sizeof *a->pos) != 0);
done:
  tn_dataset_free(a);
  tn_dataset_free(b);
}

static void test_generate_bad(void) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_dataset *ds = tn_dataset_create();
  tn_noble_gas_sample s = small_sample();
  s.n_frames = 1;
  CHECK_OK(tn_noble_gas_generate(ds, &pot, &s, NULL, NULL));
  CHECK(ds->n_frames == 1);
  struct {
    const char *field;
    tn_status want;
  } cases[] = {
      {"species[0]", TN_STATUS_BAD_INPUT},      {"species[1]", TN_STATUS_BAD_INPUT},
      {"n_atoms", TN_STATUS_INVALID_ARG},       {"density", TN_STATUS_INVALID_ARG},
      {"temperature", TN_STATUS_INVALID_ARG},   {"fraction", TN_STATUS_INVALID_ARG},
      {"timestep", TN_STATUS_INVALID_ARG},      {"friction", TN_STATUS_INVALID_ARG},
      {"steps_between", TN_STATUS_INVALID_ARG}, {"switch_on", TN_STATUS_INVALID_ARG},
      {"unstable", TN_STATUS_BAD_INPUT},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    tn_noble_gas_sample t = small_sample();
    tn_noble_gas p = pot;
    switch (k) {
    case 0: t.species[0] = 10; break;
    case 1: t.species[1] = 54; break;
    case 2: t.n_atoms = 1; break;
    case 3: t.density = 0; break;
    case 4: t.temperature = -1; break;
    case 5: t.fraction = 1.5; break;
    case 6: t.timestep = 0; break;
    case 7: t.friction = -0.1; break;
    case 8: t.steps_between = 0; break;
    case 9: p.switch_on = 10; break;
    default: /* 60 fs steps at 300 K: dozens of frames saved, then the run blows up */
      t.timestep = 60, t.temperature = 300, t.friction = 0, t.equilibration_steps = 0;
      t.steps_between = 1, t.n_frames = 200;
      break;
    }
    progress_calls = 0;
    tn_status got = tn_noble_gas_generate(ds, &p, &t, on_progress, NULL);
    if (k == 10) CHECK(progress_calls > 5 && progress_calls < 200);
    CHECK(got == cases[k].want);
    CHECK(strstr(tn_dataset_errmsg(ds), k == 10 ? "timestep" : cases[k].field) != NULL);
    if (got != cases[k].want) fprintf(stderr, "  case %s: %s\n", cases[k].field, ds->errmsg);
    CHECK(ds->n_frames == 1 && ds->n_atoms == 32); /* ds as it was */
  }
  tn_dataset_free(ds);
}

int main(void) {
  RUN(test_pair_exact);
  RUN(test_atm_equilateral);
  RUN(test_forces_fd);
  RUN(test_stress_fd);
  RUN(test_invariance);
  RUN(test_supercell);
  RUN(test_bad_input);
  RUN(test_generate);
  RUN(test_generate_bad);
  return harness_finish();
}
