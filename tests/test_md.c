/* MD: energy conservation of velocity Verlet on the reference potential,
 * the Langevin thermostat's temperature, the Verlet list against rebuilding
 * every step, no allocation in the step, every reason of the stability
 * monitor, the RDF against exact structures, and bad options. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"
#include "harness.h"

/* ---- counting allocations: this binary's malloc family wraps glibc's.
 * AddressSanitizer owns malloc in the sanitizer build, so there the count
 * is not kept and the test that needs it skips. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

static long allocations;
#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n) {
  allocations++;
  return __libc_malloc(n);
}
void *calloc(size_t k, size_t n) {
  allocations++;
  return __libc_calloc(k, n);
}
void *realloc(void *p, size_t n) {
  allocations++;
  return __libc_realloc(p, n);
}
#endif

/* One frame of the reference liquid: 108 Ar atoms at 90 K (the default
 * sample), kept for the whole binary. */
static tn_dataset *liquid;
static tn_frame liquid_frame(void) {
  if (!liquid) {
    tn_noble_gas pot = tn_noble_gas_default();
    tn_noble_gas_sample s = tn_noble_gas_sample_default();
    s.n_frames = 1;
    liquid = tn_dataset_create();
    CHECK(liquid && tn_noble_gas_generate(liquid, &pot, &s, NULL, NULL) == TN_STATUS_OK);
  }
  tn_frame f;
  tn_dataset_frame(liquid, 0, &f);
  return f;
}

static tn_md *noble_run(const tn_frame *f, const tn_md_options *o) {
  tn_noble_gas pot = tn_noble_gas_default();
  tn_md *md = NULL;
  char err[512] = "";
  tn_status st = tn_md_create_noble_gas(&md, &pot, f, o, err, sizeof err);
  if (st != TN_STATUS_OK) fprintf(stderr, "  md: %s\n", err);
  CHECK(st == TN_STATUS_OK && md);
  return md;
}

/* Acceptance: the reference potential conserves energy to 1e-4 eV/atom
 * over 10 ps of NVE (2 fs steps, a quarter of the 8 fs the data are sampled
 * with), and its error shrinks as dt² (velocity Verlet is second order). */
static void test_nve_conserves_energy(void) {
  tn_frame f = liquid_frame();
  tn_md_options o = tn_md_options_default();
  o.timestep = 2.0;
  o.init_temperature = 90.0;
  tn_md *md = noble_run(&f, &o);
  if (!md) return;
  double worst = 0.0;
  tn_md_thermo th;
  for (int k = 0; k < 100; k++) { /* 100 × 50 steps = 10 ps */
    CHECK_OK(tn_md_run(md, 50));
    tn_md_get_thermo(md, &th);
    if (fabs(th.drift) > worst) worst = fabs(th.drift);
  }
  printf("  LJ+ATM, 108 Ar, 90 K, dt 2 fs, 10 ps: max |E_tot - E_0| = %.2e eV/atom, %lld list "
         "builds in %lld steps, T %.1f K\n",
         worst, (long long)th.rebuilds, (long long)th.step, th.temperature);
  CHECK(th.step == 5000 && th.time == 10000.0);
  CHECK(worst < 1e-4);
  CHECK(th.rebuilds > 1 && th.rebuilds < th.step / 5); /* the list is reused */
  CHECK(th.temperature > 40.0 && th.temperature < 140.0);
  tn_md_free(md);

  /* The fluctuation of E_tot over 1 ps at dt and dt/2: ratio near 4. */
  double spread[2];
  for (int h = 0; h < 2; h++) {
    o.timestep = h ? 4.0 : 8.0;
    md = noble_run(&f, &o);
    if (!md) return;
    double lo = INFINITY, hi = -INFINITY;
    int steps = (int)(1000.0 / o.timestep);
    for (int s = 0; s < steps; s++) {
      CHECK_OK(tn_md_run(md, 1));
      tn_md_get_thermo(md, &th);
      lo = fmin(lo, th.e_tot);
      hi = fmax(hi, th.e_tot);
    }
    spread[h] = hi - lo;
    tn_md_free(md);
  }
  printf("  E_tot spread over 1 ps: %.3e eV at 8 fs, %.3e eV at 4 fs (ratio %.2f)\n", spread[0],
         spread[1], spread[0] / spread[1]);
  CHECK(spread[0] / spread[1] > 3.0 && spread[0] / spread[1] < 5.5);
}

/* Langevin at 120 K from a 90 K start: the mean temperature after 2 ps of
 * relaxation (1/γ = 100 fs) is the target within 4 % (about 5 standard
 * errors of the mean for 108 atoms over 8 ps). */
static void test_langevin_temperature(void) {
  tn_frame f = liquid_frame();
  tn_md_options o = tn_md_options_default();
  o.ensemble = TN_MD_LANGEVIN;
  o.timestep = 8.0;
  o.temperature = 120.0;
  o.init_temperature = 90.0;
  o.seed = 7;
  tn_md *md = noble_run(&f, &o);
  if (!md) return;
  CHECK_OK(tn_md_run(md, 250));
  double sum = 0.0;
  int n = 0;
  tn_md_thermo th;
  for (int k = 0; k < 1000; k++) {
    CHECK_OK(tn_md_run(md, 1));
    tn_md_get_thermo(md, &th);
    sum += th.temperature;
    n++;
  }
  printf("  Langevin 120 K: mean T %.2f K over %d steps; integrator drift %.2e eV/atom\n", sum / n,
         n, th.drift);
  CHECK_NEAR(sum / n, 120.0, 0.04, 0.0);
  /* With the thermostat's heat taken out, what is left is the integrator's
   * error, small against k_B T = 0.01 eV. */
  CHECK(fabs(th.drift) < 1e-3);
  tn_md_free(md);
}

/* A Verlet list reused until atoms move half the skin gives the same
 * trajectory as one rebuilt every step (a 0.001 Å skin), up to rounding. */
static void test_skin_reuse_matches_rebuilds(void) {
  tn_frame f = liquid_frame();
  tn_md_options o = tn_md_options_default();
  o.timestep = 8.0;
  o.init_temperature = 90.0;
  tn_md *a = noble_run(&f, &o);
  o.skin = 0.001;
  tn_md *b = noble_run(&f, &o);
  if (!a || !b) return;
  CHECK_OK(tn_md_run(a, 60));
  CHECK_OK(tn_md_run(b, 60));
  tn_md_thermo ta, tb;
  tn_md_get_thermo(a, &ta);
  tn_md_get_thermo(b, &tb);
  tn_frame fa = tn_md_frame(a), fb = tn_md_frame(b);
  double worst = 0.0;
  for (int i = 0; i < fa.n_atoms; i++)
    for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(fa.pos[i][k] - fb.pos[i][k]));
  printf("  skin 1 Å: %lld builds, skin 0.001 Å: %lld builds; positions differ by %.1e Å after "
         "60 steps\n",
         (long long)ta.rebuilds, (long long)tb.rebuilds, worst);
  CHECK(ta.rebuilds < 10 && tb.rebuilds >= 60);
  CHECK(worst < 1e-8);
  CHECK_NEAR(ta.e_tot, tb.e_tot, 1e-10, 0.0);
  tn_md_free(a);
  tn_md_free(b);
}

/* A tiny SchNet for the Ar box and for a molecule. */
static tn_model *small_schnet(const int32_t *elements, int n_elements) {
  tn_model_options mo = tn_model_options_default();
  mo.features = 8;
  mo.interactions = 2;
  mo.n_basis = 8;
  mo.cutoff = 5.0;
  tn_model *m = NULL;
  char err[256];
  CHECK_OK(tn_model_create(&m, &mo, elements, n_elements, 3, err, sizeof err));
  return m;
}

/* After the start, steps allocate nothing, list rebuilds included, on the
 * reference potential and on a model. */
static void test_step_allocates_nothing(void) {
  if (!COUNT_ALLOCS) SKIP("AddressSanitizer replaces malloc; counted in the plain build");
  tn_frame f = liquid_frame();
  tn_md_options o = tn_md_options_default();
  o.timestep = 8.0;
  o.init_temperature = 90.0;
  const int32_t ar = 18;
  tn_model *m = small_schnet(&ar, 1);
  if (!m) return;
  /* A random SchNet has no repulsion and the liquid would collapse: weak
   * forces (scale 1e-3) and the monitor off let the atoms fly through the
   * box, which rebuilds the list often. */
  double shift = 0.0;
  tn_model_set_shifts(m, &shift, 1e-3);
  o.min_distance = 0.0;
  o.max_drift = 0.0;
  for (int which = 0; which < 2; which++) {
    tn_md *md = NULL;
    char err[512];
    if (which == 0) {
      md = noble_run(&f, &o);
    } else {
      CHECK_OK(tn_md_create_model(&md, m, &f, &o, err, sizeof err));
    }
    if (!md) continue;
    CHECK_OK(tn_md_run(md, 1)); /* first use of OpenMP's threads */
    tn_md_thermo before, after;
    tn_md_get_thermo(md, &before);
    long count = allocations;
    tn_status st = tn_md_run(md, 200);
    if (st != TN_STATUS_OK) printf("  %s\n", tn_md_errmsg(md));
    CHECK(st == TN_STATUS_OK);
    long made = allocations - count;
    tn_md_get_thermo(md, &after);
    printf("  %s: %ld allocations in 200 steps with %lld list builds\n",
           which ? "SchNet" : "LJ+ATM", made, (long long)(after.rebuilds - before.rebuilds));
    CHECK(made == 0);
    CHECK(after.rebuilds > before.rebuilds);
    tn_md_free(md);
  }
  tn_model_free(m);
}

/* A model run starts from the model's own energy and forces, and conserves
 * energy in NVE: a random SchNet is a smooth potential too. */
static void test_model_run(void) {
  const int32_t elements[2] = {1, 8};
  tn_model *m = small_schnet(elements, 2);
  if (!m) return;
  /* a water molecule and a hydroxide, open boundaries */
  config c = {.n = 5,
              .z = {8, 1, 1, 8, 1},
              .pos = {{0, 0, 0}, {0.96, 0, 0}, {-0.24, 0.93, 0}, {3, 0.2, 0}, {3.4, 1.1, 0.3}}};
  tn_frame f = config_frame(&c);
  tn_md_options o = tn_md_options_default();
  o.timestep = 0.1;
  tn_md *md = NULL;
  char err[512];
  CHECK_OK(tn_md_create_model(&md, m, &f, &o, err, sizeof err));
  if (!md) {
    tn_model_free(m);
    return;
  }
  double e, forces[5][3];
  CHECK_OK(tn_model_eval(m, &f, &e, forces, NULL, NULL));
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  CHECK_NEAR(th.e_pot, e, 1e-6, 1e-6);
  CHECK_NEAR(tn_md_forces(md)[3][1], forces[3][1], 1e-5, 1e-5);
  CHECK_NEAR(th.temperature, 300.0, 1e-9, 0.0);
  CHECK(th.bonds == 3); /* O-H, O-H, O-H: the topology of a molecule, on by default */
  tn_md_free(md);
  /* Random forces break those bonds and heat the atoms within 20 fs; energy
   * is still conserved. */
  o.bonds = 0;
  o.max_temperature = -1.0;
  CHECK_OK(tn_md_create_model(&md, m, &f, &o, err, sizeof err));
  if (!md) {
    tn_model_free(m);
    return;
  }
  tn_status st = tn_md_run(md, 500);
  if (st != TN_STATUS_OK) printf("  %s\n", tn_md_errmsg(md));
  CHECK(st == TN_STATUS_OK);
  tn_md_get_thermo(md, &th);
  CHECK(th.bonds == 0);
  printf("  random SchNet, H2O + OH-, 50 fs at 0.1 fs: drift %.2e eV/atom\n", th.drift);
  CHECK(fabs(th.drift) < 1e-3);
  CHECK(tn_md_msd(md) > 0.0);
  tn_md_free(md);
  tn_model_free(m);
}

static tn_md_failure run_until_failure(tn_md *md, int64_t steps, int64_t *at) {
  tn_status st = tn_md_run(md, steps);
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  *at = th.step;
  if (st == TN_STATUS_UNSTABLE) printf("  %s\n", tn_md_errmsg(md));
  CHECK(st == TN_STATUS_UNSTABLE || st == TN_STATUS_OK);
  CHECK((st == TN_STATUS_UNSTABLE) == (tn_md_failed(md) != TN_MD_RUNNING));
  return tn_md_failed(md);
}

/* Each of the monitor's reasons, on runs made to fail that way; later runs
 * return UNSTABLE at once, and the state stays at the failing step. */
static void test_monitor_reasons(void) {
  tn_frame f = liquid_frame();
  int64_t at;
  tn_md_options o = tn_md_options_default();
  o.timestep = 8.0;
  o.init_temperature = 90.0;

  /* too hot: Langevin towards 400 K with the limit at 200 K */
  o.ensemble = TN_MD_LANGEVIN;
  o.temperature = 400.0;
  o.friction = 0.05;
  o.max_temperature = 200.0;
  tn_md *md = noble_run(&f, &o);
  if (md) {
    CHECK(run_until_failure(md, 2000, &at) == TN_MD_TOO_HOT);
    CHECK(at > 0 && at < 2000);
    CHECK(strstr(tn_md_errmsg(md), "temperature") != NULL);
    CHECK(tn_md_run(md, 10) == TN_STATUS_UNSTABLE);
    tn_md_thermo th;
    tn_md_get_thermo(md, &th);
    CHECK(th.step == at);
    tn_md_free(md);
  }

  /* energy drift: NVE at a 20 fs step (E_tot wanders by 3e-5 eV/atom),
   * limit 1e-5 eV/atom */
  o = tn_md_options_default();
  o.timestep = 20.0;
  o.init_temperature = 90.0;
  o.max_drift = 1e-5;
  if ((md = noble_run(&f, &o))) {
    CHECK(run_until_failure(md, 500, &at) == TN_MD_ENERGY_DRIFT);
    tn_md_free(md);
  }

  /* too close: the liquid's nearest neighbours are near 3.5 Å */
  o = tn_md_options_default();
  o.timestep = 8.0;
  o.min_distance = 3.1;
  if ((md = noble_run(&f, &o))) {
    CHECK(run_until_failure(md, 2000, &at) == TN_MD_TOO_CLOSE);
    CHECK(at > 0 && at % o.check_every == 0);
    tn_md_free(md);
  }

  /* bond broken: an Ar dimer, with bonds up to 2 × (r_cov + r_cov) = 4.24 Å
   * switched on, flying apart at 3000 K */
  config c = {.n = 2, .z = {18, 18}, .pos = {{0, 0, 0}, {3.8, 0, 0}}};
  tn_frame dimer = config_frame(&c);
  o = tn_md_options_default();
  o.timestep = 4.0;
  o.init_temperature = 3000.0;
  o.max_temperature = 0.0;
  o.bonds = 1;
  o.bond_factor = 2.0;
  o.break_factor = 2.5;
  o.check_every = 1;
  if ((md = noble_run(&dimer, &o))) {
    tn_md_thermo th;
    tn_md_get_thermo(md, &th);
    CHECK(th.bonds == 1);
    CHECK(run_until_failure(md, 5000, &at) == TN_MD_BOND_BROKEN);
    CHECK(strstr(tn_md_errmsg(md), "Ar0-Ar1") != NULL);
    tn_md_free(md);
  }

  /* not finite: a model whose energy scale is NaN fails at step 0 */
  const int32_t ar = 18;
  tn_model *m = small_schnet(&ar, 1);
  if (m) {
    double shift = 0.0;
    tn_model_set_shifts(m, &shift, NAN);
    char err[512];
    o = tn_md_options_default();
    CHECK_OK(tn_md_create_model(&md, m, &f, &o, err, sizeof err));
    if (md) {
      CHECK(run_until_failure(md, 10, &at) == TN_MD_NOT_FINITE);
      CHECK(at == 0);
      tn_md_free(md);
    }
    tn_model_free(m);
  }
  CHECK(strcmp(tn_md_failure_name(TN_MD_BOND_BROKEN), "bond-broken") == 0);
}

/* The RDF of an fcc crystal: the first shell at a/√2 holds 12 atoms, the
 * second at a holds 6. Of uniform random points: g = 1 within the noise. */
static void test_rdf_exact(void) {
  config c = {.n = 32};
  double a = 5.26; /* Ar fcc, Å; the cell is 2 × 2 × 2 cubes */
  const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  int n = 0;
  for (int x = 0; x < 2; x++)
    for (int y = 0; y < 2; y++)
      for (int z = 0; z < 2; z++)
        for (int b = 0; b < 4; b++) {
          c.z[n] = 18;
          c.pos[n][0] = a * (x + basis[b][0]);
          c.pos[n][1] = a * (y + basis[b][1]);
          c.pos[n][2] = a * (z + basis[b][2]);
          n++;
        }
  for (int k = 0; k < 3; k++) {
    c.cell[k][k] = 2 * a;
    c.pbc[k] = 1;
  }
  tn_frame f = config_frame(&c);
  tn_rdf *rdf = NULL;
  char err[256];
  enum { BINS = 80 };
  CHECK_OK(tn_rdf_create(&rdf, 8.0, BINS, err, sizeof err));
  if (!rdf) return;
  CHECK_OK(tn_rdf_add(rdf, &f));
  CHECK_OK(tn_rdf_add(rdf, &f));
  double r[BINS], g[BINS];
  CHECK(tn_rdf_result(rdf, r, g) == 2);
  double rho = 32.0 / (8 * a * a * a), first = 0.0, second = 0.0, width = 8.0 / BINS;
  for (int k = 0; k < BINS; k++) {
    double lo = k * width, hi = lo + width;
    double count = g[k] * rho * 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
    if (r[k] < 0.5 * (a / sqrt(2.0) + a))
      first += count;
    else if (r[k] < 0.5 * (a + a * sqrt(1.5)))
      second += count;
  }
  CHECK_NEAR(first, 12.0, 1e-12, 0.0);
  CHECK_NEAR(second, 6.0, 1e-12, 0.0);
  tn_rdf_free(rdf);

  /* 500 uniform points in a 20 Å box, 20 frames: g over 2..6 Å */
  static double pos[500][3];
  int32_t species[500];
  tn_rng rng;
  tn_rng_seed(&rng, 11);
  CHECK_OK(tn_rdf_create(&rdf, 6.0, 6, err, sizeof err));
  if (!rdf) return;
  tn_frame u;
  memset(&u, 0, sizeof u);
  u.n_atoms = 500;
  u.species = species;
  u.pos = (const double(*)[3])pos;
  for (int k = 0; k < 3; k++) {
    u.cell[k][k] = 20.0;
    u.pbc[k] = 1;
  }
  for (int frame = 0; frame < 20; frame++) {
    for (int i = 0; i < 500; i++) {
      species[i] = 18;
      for (int k = 0; k < 3; k++) pos[i][k] = 20.0 * tn_rng_uniform(&rng);
    }
    CHECK_OK(tn_rdf_add(rdf, &u));
  }
  double g6[6];
  tn_rdf_result(rdf, NULL, g6);
  for (int k = 2; k < 6; k++) CHECK_NEAR(g6[k], 1.0, 0.05, 0.0);
  /* not periodic */
  u.pbc[2] = 0;
  CHECK(tn_rdf_add(rdf, &u) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_rdf_errmsg(rdf), "periodic") != NULL);
  tn_rdf_free(rdf);
  CHECK(tn_rdf_create(&rdf, 0.0, 10, err, sizeof err) == TN_STATUS_INVALID_ARG);
}

static void test_bad_start(void) {
  tn_frame f = liquid_frame();
  tn_noble_gas pot = tn_noble_gas_default();
  tn_md *md = NULL;
  char err[512];
  const char *fields[] = {"timestep", "skin", "break_factor", "check_every", "bonds", "friction"};
  for (int k = 0; k < 6; k++) {
    tn_md_options o = tn_md_options_default();
    switch (k) {
    case 0: o.timestep = 0.0; break;
    case 1: o.skin = -1.0; break;
    case 2: o.break_factor = 1.0; break;
    case 3: o.check_every = 0; break;
    case 4: o.bonds = 2; break;
    default: o.friction = NAN;
    }
    CHECK(tn_md_create_noble_gas(&md, &pot, &f, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(md == NULL && strstr(err, fields[k]) != NULL);
  }
  tn_md_options o = tn_md_options_default();
  config c = {.n = 2, .z = {18, 6}, .pos = {{0, 0, 0}, {3, 0, 0}}};
  tn_frame carbon = config_frame(&c);
  CHECK(tn_md_create_noble_gas(&md, &pot, &carbon, &o, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "atom 1") && strstr(err, "C"));
  c.z[1] = 18;
  c.pos[1][0] = NAN;
  CHECK(tn_md_create_noble_gas(&md, &pot, &carbon, &o, err, sizeof err) == TN_STATUS_BAD_INPUT);
  c.n = 0;
  carbon = config_frame(&c);
  CHECK(tn_md_create_noble_gas(&md, &pot, &carbon, &o, err, sizeof err) == TN_STATUS_INVALID_ARG);
}

int main(void) {
  RUN(test_nve_conserves_energy);
  RUN(test_langevin_temperature);
  RUN(test_skin_reuse_matches_rebuilds);
  RUN(test_step_allocates_nothing);
  RUN(test_model_run);
  RUN(test_monitor_reasons);
  RUN(test_rdf_exact);
  RUN(test_bad_start);
  tn_dataset_free(liquid);
  return harness_finish();
}
