/* PaiNN as a model, in float64: forces and stress against central finite
 * differences of the energy; rotation, translation and permutation
 * invariance of the energy; equivariance of the vector features (they rotate
 * with the input) and invariance of the scalar ones; a triclinic cell
 * against its 2×2×2 supercell; the training loss's parameter gradient
 * (energy, forces through the tangent pass, atomic energies, stress) against
 * finite differences, with and without shared filters; model files; bad
 * options. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/models/painn.h"
#include "../src/train/train.h"
#include "harness.h"

#define FD_STEP 1e-5 /* Å, strain, or parameter units */
#define MAXN    64
#define FEAT    6 /* features of the small test models */

typedef struct config {
  int n;
  int32_t z[MAXN];
  double pos[MAXN][3];
  double cell[3][3];
  uint8_t pbc[3];
} config;

static tn_frame frame_of(const config *c) {
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = c->n;
  f.species = c->z;
  f.pos = (const double(*)[3])c->pos;
  memcpy(f.cell, c->cell, sizeof f.cell);
  memcpy(f.pbc, c->pbc, sizeof f.pbc);
  return f;
}

/* A small PaiNN: every part there, few parameters. basis and activation
 * "auto" unless given. */
static tn_model *sized_model(const int32_t *el, int ne, double cutoff, int shared,
                             const char *basis, const char *activation, int features) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "painn");
  o.features = features;
  o.interactions = 2;
  o.n_basis = 5;
  o.cutoff = cutoff;
  o.shared_filters = shared;
  if (basis) snprintf(o.basis, sizeof o.basis, "%s", basis);
  if (activation) snprintf(o.activation, sizeof o.activation, "%s", activation);
  tn_model *m = NULL;
  char err[256];
  if (tn_model_create(&m, &o, el, ne, 7, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  /* Non-trivial shifts and scale, so they are exercised too. */
  double shift[3] = {-1.5, 0.25, -3.0};
  tn_model_set_shifts(m, shift, 0.7);
  return m;
}

static tn_model *small_model(const int32_t *el, int ne, double cutoff, int shared,
                             const char *basis, const char *activation) {
  return sized_model(el, ne, cutoff, shared, basis, activation, FEAT);
}

/* A molecule-like cluster: atoms on a jittered grid, 1.1-1.6 Å apart. */
static void make_molecule(config *c, int n, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = n;
  static const int32_t zs[3] = {1, 6, 8};
  for (int a = 0; a < n; a++) {
    c->z[a] = zs[a % 3];
    c->pos[a][0] = 1.4 * (a % 3) + 0.3 * (tn_rng_uniform(&rng) - 0.5);
    c->pos[a][1] = 1.4 * ((a / 3) % 3) + 0.3 * (tn_rng_uniform(&rng) - 0.5);
    c->pos[a][2] = 1.4 * (a / 9) + 0.3 * (tn_rng_uniform(&rng) - 0.5);
  }
}

/* A triclinic periodic cell of Ar and Kr, small enough that the cutoff
 * reaches several images. */
static void make_crystal(config *c, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = 4;
  double cell[3][3] = {{4.1, 0.0, 0.0}, {0.5, 3.9, 0.0}, {-0.3, 0.4, 4.3}};
  memcpy(c->cell, cell, sizeof cell);
  c->pbc[0] = c->pbc[1] = c->pbc[2] = 1;
  double frac[4][3] = {{0.0, 0.0, 0.0}, {0.5, 0.5, 0.0}, {0.5, 0.0, 0.5}, {0.0, 0.5, 0.5}};
  for (int a = 0; a < 4; a++) {
    c->z[a] = a % 2 ? 36 : 18;
    for (int x = 0; x < 3; x++) {
      c->pos[a][x] = 0.2 * (tn_rng_uniform(&rng) - 0.5);
      for (int k = 0; k < 3; k++) c->pos[a][x] += frac[a][k] * cell[k][x];
    }
  }
}

static double energy_of(tn_model *m, const config *c) {
  tn_frame f = frame_of(c);
  double e = NAN;
  if (tn_model_eval(m, &f, &e, NULL, NULL, NULL) != TN_STATUS_OK)
    fprintf(stderr, "  %s\n", tn_model_errmsg(m));
  return e;
}

static double rel_error(const double *a, const double *b, int n) {
  double num = 0.0, den = 0.0;
  for (int q = 0; q < n; q++) {
    num += (a[q] - b[q]) * (a[q] - b[q]);
    den += b[q] * b[q];
  }
  return sqrt(num / (den > 0 ? den : 1.0));
}

/* A rotation by th about the tilted axis (1, 1, 1)/√3 (Rodrigues). */
static void rotation(double rot[3][3], double th) {
  double ax[3] = {1.0 / sqrt(3.0), 1.0 / sqrt(3.0), 1.0 / sqrt(3.0)};
  double ct = cos(th), st = sin(th);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) rot[x][y] = (x == y ? ct : 0.0) + (1 - ct) * ax[x] * ax[y];
  rot[0][1] -= st * ax[2], rot[0][2] += st * ax[1], rot[1][0] += st * ax[2];
  rot[1][2] -= st * ax[0], rot[2][0] -= st * ax[1], rot[2][1] += st * ax[0];
}

static void check_forces_fd(tn_model *m, config *c) {
  double e, f[MAXN][3], fd[MAXN][3];
  tn_frame fr = frame_of(c);
  CHECK_OK(tn_model_eval(m, &fr, &e, f, NULL, NULL));
  for (int a = 0; a < c->n; a++)
    for (int x = 0; x < 3; x++) {
      double keep = c->pos[a][x];
      c->pos[a][x] = keep + FD_STEP;
      double ep = energy_of(m, c);
      c->pos[a][x] = keep - FD_STEP;
      double em = energy_of(m, c);
      c->pos[a][x] = keep;
      fd[a][x] = -(ep - em) / (2 * FD_STEP);
    }
  double rel = rel_error(&f[0][0], &fd[0][0], 3 * c->n);
  if (rel > 1e-6) fprintf(stderr, "  forces vs finite differences: rel %.3g\n", rel);
  CHECK(rel <= 1e-6);
}

/* The sinc default, Gaussians, tanh and shared filters. */
static void test_forces_molecule(void) {
  int32_t el[3] = {1, 6, 8};
  static const char *basis[4] = {NULL, "gaussian", NULL, NULL};
  static const char *act[4] = {NULL, NULL, "tanh", NULL};
  for (int v = 0; v < 4; v++) {
    tn_model *m = small_model(el, 3, 3.0, v == 3, basis[v], act[v]);
    CHECK(m != NULL);
    if (!m) return;
    config c;
    make_molecule(&c, 12, 3 + v);
    check_forces_fd(m, &c);
    tn_model_free(m);
  }
}

static void test_forces_and_stress_periodic(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, 0, NULL, NULL);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_crystal(&c, 11);
  check_forces_fd(m, &c);
  /* σ_ab = (1/V) ∂E/∂ε_ab with R → R(1 + ε), the cell too (ASE sign). */
  double e, s[3][3], fd[3][3];
  tn_frame fr = frame_of(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e, NULL, s, NULL));
  double v = tn_cell_volume((const double(*)[3])c.cell);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) {
      double ev[2];
      for (int sgn = 0; sgn < 2; sgn++) {
        config d = c;
        double eps = sgn ? -FD_STEP : FD_STEP;
        for (int a = 0; a < c.n; a++) d.pos[a][y] += eps * c.pos[a][x];
        for (int k = 0; k < 3; k++) d.cell[k][y] += eps * c.cell[k][x];
        ev[sgn] = energy_of(m, &d);
      }
      fd[x][y] = (ev[0] - ev[1]) / (2 * FD_STEP) / v;
    }
  double rel = rel_error(&s[0][0], &fd[0][0], 9);
  if (rel > 1e-6) fprintf(stderr, "  stress vs finite differences: rel %.3g\n", rel);
  CHECK(rel <= 1e-6);
  tn_model_free(m);
}

static void test_invariance(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = small_model(el, 3, 3.0, 0, NULL, NULL);
  CHECK(m != NULL);
  if (!m) return;
  config c, d;
  make_molecule(&c, 12, 5);
  double e0, f0[MAXN][3], ea0[MAXN];
  tn_frame fr = frame_of(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e0, f0, NULL, ea0));
  double rot[3][3];
  rotation(rot, 0.7);
  d = c;
  for (int a = 0; a < c.n; a++)
    for (int x = 0; x < 3; x++) {
      d.pos[a][x] = 3.3 * (x + 1);
      for (int y = 0; y < 3; y++) d.pos[a][x] += rot[x][y] * c.pos[a][y];
    }
  double e1, f1[MAXN][3], ea1[MAXN];
  fr = frame_of(&d);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-12, 1e-12);
  double frot[MAXN][3];
  for (int a = 0; a < c.n; a++)
    for (int x = 0; x < 3; x++) {
      frot[a][x] = 0.0;
      for (int y = 0; y < 3; y++) frot[a][x] += rot[x][y] * f0[a][y];
    }
  CHECK(rel_error(&f1[0][0], &frot[0][0], 3 * c.n) < 1e-10);
  CHECK(rel_error(ea1, ea0, c.n) < 1e-12);
  /* Permutation: reversed order gives the same energy and permuted forces. */
  for (int a = 0; a < c.n; a++) {
    d.z[a] = c.z[c.n - 1 - a];
    memcpy(d.pos[a], c.pos[c.n - 1 - a], sizeof d.pos[a]);
  }
  fr = frame_of(&d);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-12, 1e-12);
  double fperm[MAXN][3], eperm[MAXN];
  for (int a = 0; a < c.n; a++) {
    memcpy(fperm[a], f0[c.n - 1 - a], sizeof fperm[a]);
    eperm[a] = ea0[c.n - 1 - a];
  }
  CHECK(rel_error(&f1[0][0], &fperm[0][0], 3 * c.n) < 1e-12);
  CHECK(rel_error(ea1, eperm, c.n) < 1e-12);
  tn_model_free(m);
}

/* R applied to the positions (plus a translation) rotates every vector
 * feature of the last interaction by R and leaves the scalars unchanged;
 * a mirror image turns the vectors too (v → M v), as polar vectors do. */
static void test_equivariance(void) {
  int32_t el[3] = {1, 6, 8};
  for (int shared = 0; shared < 2; shared++) {
    tn_model *m = small_model(el, 3, 3.0, shared, NULL, NULL);
    CHECK(m != NULL);
    if (!m) return;
    config c, d;
    make_molecule(&c, 12, 8 + shared);
    static double s0[MAXN * FEAT], v0[MAXN * 3 * FEAT], s1[MAXN * FEAT], v1[MAXN * 3 * FEAT];
    char err[256];
    tn_frame fr = frame_of(&c);
    CHECK_OK(painn_features(m, &fr, s0, v0, err, sizeof err));
    double norm = 0;
    for (int q = 0; q < c.n * 3 * FEAT; q++) norm += v0[q] * v0[q];
    CHECK(norm > 1e-3); /* the vectors are not trivially zero */
    for (int pass = 0; pass < 2; pass++) {
      double rot[3][3];
      rotation(rot, 1.1);
      if (pass) /* a reflection through the plane z = 0 after the rotation */
        for (int y = 0; y < 3; y++) rot[2][y] = -rot[2][y];
      d = c;
      for (int a = 0; a < c.n; a++)
        for (int x = 0; x < 3; x++) {
          d.pos[a][x] = -1.7 + 0.9 * x;
          for (int y = 0; y < 3; y++) d.pos[a][x] += rot[x][y] * c.pos[a][y];
        }
      fr = frame_of(&d);
      CHECK_OK(painn_features(m, &fr, s1, v1, err, sizeof err));
      CHECK(rel_error(s1, s0, c.n * FEAT) < 1e-12);
      static double vrot[MAXN * 3 * FEAT];
      for (int a = 0; a < c.n; a++)
        for (int q = 0; q < FEAT; q++)
          for (int x = 0; x < 3; x++) {
            double sum = 0;
            for (int y = 0; y < 3; y++) sum += rot[x][y] * v0[(3 * a + y) * FEAT + q];
            vrot[(3 * a + x) * FEAT + q] = sum;
          }
      double rel = rel_error(v1, vrot, c.n * 3 * FEAT);
      if (rel >= 1e-12) fprintf(stderr, "  vectors vs rotated vectors: rel %.3g\n", rel);
      CHECK(rel < 1e-12);
      CHECK(rel_error(v1, v0, c.n * 3 * FEAT) > 1e-3); /* they did turn */
    }
    tn_model_free(m);
  }
}

static void test_supercell(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, 0, NULL, NULL);
  CHECK(m != NULL);
  if (!m) return;
  config c, s;
  make_crystal(&c, 13);
  memset(&s, 0, sizeof s);
  s.n = 8 * c.n;
  s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
  for (int k = 0; k < 3; k++)
    for (int x = 0; x < 3; x++) s.cell[k][x] = 2.0 * c.cell[k][x];
  int q = 0;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++)
        for (int a = 0; a < c.n; a++, q++) {
          s.z[q] = c.z[a];
          for (int x = 0; x < 3; x++)
            s.pos[q][x] = c.pos[a][x] + i * c.cell[0][x] + j * c.cell[1][x] + k * c.cell[2][x];
        }
  double e1, f1[MAXN][3], s1[3][3], e8, f8[MAXN][3], s8[3][3], a1[MAXN], a8[MAXN];
  tn_frame fr = frame_of(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, s1, a1));
  fr = frame_of(&s);
  CHECK_OK(tn_model_eval(m, &fr, &e8, f8, s8, a8));
  CHECK_NEAR(e8, 8.0 * e1, 1e-12, 1e-12);
  for (int q2 = 0; q2 < s.n; q2++) {
    CHECK_NEAR(a8[q2], a1[q2 % c.n], 1e-12, 1e-12);
    for (int x = 0; x < 3; x++) CHECK_NEAR(f8[q2][x], f1[q2 % c.n][x], 1e-10, 1e-12);
  }
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) CHECK_NEAR(s8[x][y], s1[x][y], 1e-10, 1e-14);
  tn_model_free(m);
}

/* ---- the training loss's parameter gradient */

/* Two frames with every label: energies, forces, atomic energies, stress. */
static tn_dataset *labelled_set(void) {
  tn_dataset *ds = tn_dataset_create();
  tn_rng rng;
  tn_rng_seed(&rng, 21);
  for (int fidx = 0; fidx < 2; fidx++) {
    config c;
    make_crystal(&c, 30 + fidx);
    double e = -0.3 + 0.1 * fidx, f[MAXN][3], ea[MAXN], stress[9];
    for (int a = 0; a < c.n; a++) {
      ea[a] = 0.2 * (tn_rng_uniform(&rng) - 0.5);
      for (int x = 0; x < 3; x++) f[a][x] = tn_rng_uniform(&rng) - 0.5;
    }
    for (int k = 0; k < 9; k++) stress[k] = 0.01 * (tn_rng_uniform(&rng) - 0.5);
    tn_frame_column cols[4] = {
        {TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &e, NULL},
        {TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &f[0][0], NULL},
        {"energies_ao", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, ea, NULL},
        {TN_LABEL_STRESS, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 9, stress, NULL},
    };
    tn_frame fr = frame_of(&c);
    fr.n_columns = 4;
    fr.columns = cols;
    if (tn_dataset_append(ds, &fr) != TN_STATUS_OK) fprintf(stderr, "  %s\n", ds->errmsg);
  }
  return ds;
}

static double batch_loss(tn_model *m, model_work *w, train_scratch *s, const tn_dataset *ds,
                         const train_labels *lab, const train_weights *wt, tn_real *grad) {
  int64_t which[2] = {0, 1};
  char err[256];
  train_sums sums;
  memset(&sums, 0, sizeof sums);
  if (model_batch_build(&w->batch, m, w->nl, ds, which, 2, err, sizeof err) != TN_STATUS_OK ||
      model_work_reserve(w, m, 1, err, sizeof err) != TN_STATUS_OK ||
      train_batch_loss(m, m->params, w, s, ds, which, lab, wt, grad, &sums, err, sizeof err) !=
          TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NAN;
  }
  return train_sums_loss(&sums, wt);
}

static void check_loss_gradient(const train_weights *wt, const char *what, int shared) {
  int32_t el[2] = {18, 36};
  /* 4 features: each parameter costs two loss evaluations */
  tn_model *m = sized_model(el, 2, 4.5, shared, NULL, NULL, 4);
  tn_dataset *ds = labelled_set();
  CHECK(m && ds && ds->n_frames == 2);
  if (!m || !ds) return;
  model_work w;
  train_scratch s;
  memset(&s, 0, sizeof s);
  CHECK_OK(model_work_init(&w));
  train_labels lab;
  train_labels_find(&lab, ds, "energies_ao");
  CHECK(lab.energy && lab.forces && lab.atoms && lab.stress);
  size_t np = m->n_params;
  tn_real *grad = calloc(np, sizeof *grad);
  double *fd = calloc(np, sizeof *fd), *an = calloc(np, sizeof *an);
  batch_loss(m, &w, &s, ds, &lab, wt, grad);
  for (size_t q = 0; q < np; q++) {
    an[q] = grad[q];
    double keep = m->params[q];
    m->params[q] = keep + FD_STEP;
    double lp = batch_loss(m, &w, &s, ds, &lab, wt, NULL);
    m->params[q] = keep - FD_STEP;
    double lm = batch_loss(m, &w, &s, ds, &lab, wt, NULL);
    m->params[q] = keep;
    fd[q] = (lp - lm) / (2 * FD_STEP);
  }
  double rel = rel_error(an, fd, (int)np);
  if (rel > 1e-6)
    fprintf(stderr, "  %s: loss gradient vs finite differences: rel %.3g\n", what, rel);
  CHECK(rel <= 1e-6);
  free(grad);
  free(fd);
  free(an);
  train_scratch_free(&s);
  model_work_free(&w);
  tn_dataset_free(ds);
  tn_model_free(m);
}

static void test_loss_gradient_energy(void) {
  train_weights wt = {1.0, 0.0, 0.0, 0.0};
  check_loss_gradient(&wt, "energy", 0);
}
static void test_loss_gradient_forces(void) {
  train_weights wt = {0.0, 1.0, 0.0, 0.0};
  check_loss_gradient(&wt, "forces", 0);
}
static void test_loss_gradient_atoms(void) {
  train_weights wt = {0.0, 0.0, 1.0, 0.0};
  check_loss_gradient(&wt, "atomic energies", 0);
}
static void test_loss_gradient_stress(void) {
  train_weights wt = {0.0, 0.0, 0.0, 1.0};
  check_loss_gradient(&wt, "stress", 0);
}
static void test_loss_gradient_all(void) {
  train_weights wt = {1.0, 10.0, 0.5, 100.0};
  check_loss_gradient(&wt, "all terms", 0);
}
static void test_loss_gradient_shared_filters(void) {
  train_weights wt = {1.0, 10.0, 0.5, 100.0};
  check_loss_gradient(&wt, "all terms, shared filters", 1);
  train_weights wf = {0.0, 1.0, 0.0, 0.0};
  check_loss_gradient(&wf, "forces, shared filters", 1);
}

/* ---- options, parameter counts, model files */

/* "auto" becomes sinc and SiLU; shared filters drop (T - 1) filter networks
 * of K·3F weights and 3F biases each. */
static void test_options_and_shared_filters(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "painn");
  o.features = 8;
  o.interactions = 3;
  o.n_basis = 7;
  tn_model *a = NULL, *b = NULL;
  char err[256];
  CHECK_OK(tn_model_create(&a, &o, el, 2, 1, err, sizeof err));
  o.shared_filters = 1;
  CHECK_OK(tn_model_create(&b, &o, el, 2, 1, err, sizeof err));
  if (a && b) {
    tn_model_options got = tn_model_get_options(a);
    CHECK(strcmp(got.basis, "sinc") == 0 && strcmp(got.activation, "silu") == 0);
    int64_t filter = 7 * 3 * 8 + 3 * 8;
    CHECK(tn_model_param_count(a) - tn_model_param_count(b) == 2 * filter);
    /* The full count, from the equations: embedding, filters, per
     * interaction φ (F·F+F, F·3F+3F), U, V (F·F each), the update network
     * (2F·F+F, F·3F+3F), and the readout (F·F/2+F/2, F/2+1). */
    int64_t per = (64 + 8) + (192 + 24) + 64 + 64 + (128 + 8) + (192 + 24);
    CHECK(tn_model_param_count(a) == 2 * 8 + 3 * filter + 3 * per + (32 + 4) + (4 + 1));
  }
  tn_model_free(a);
  tn_model_free(b);
}

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  for (int shared = 0; shared < 2; shared++) {
    tn_model *m = small_model(el, 3, 3.0, shared, NULL, NULL), *r = NULL;
    CHECK(m != NULL);
    if (!m) return;
    const char *path = harness_tmp("painn.tnm");
    CHECK_OK(tn_model_save(m, path));
    char err[512];
    CHECK_OK(tn_model_load(&r, path, err, sizeof err));
    CHECK(r != NULL);
    if (r) {
      config c;
      make_molecule(&c, 9, 17);
      CHECK(energy_of(m, &c) == energy_of(r, &c)); /* bitwise */
      tn_model_options a = tn_model_get_options(m), b = tn_model_get_options(r);
      CHECK(strcmp(b.type, "painn") == 0 && b.shared_filters == shared);
      CHECK(strcmp(a.basis, b.basis) == 0 && a.features == b.features && a.cutoff == b.cutoff);
      CHECK(tn_model_param_count(r) == tn_model_param_count(m));
      tn_model_free(r);
    }
    tn_model_free(m);
  }
}

/* Every option the architecture checks, and painn_features' own errors. */
static void test_bad_input(void) {
  int32_t el[2] = {1, 8};
  struct {
    int features, interactions, n_basis, shared;
    const char *basis, *activation, *message;
  } bad[] = {
      {1, 2, 5, 0, "auto", "auto", "model.features"},
      {8, 0, 5, 0, "auto", "auto", "model.interactions"},
      {8, 17, 5, 0, "auto", "auto", "model.interactions"},
      {8, 2, 0, 0, "auto", "auto", "model.n_basis"},
      {8, 2, 1, 0, "gaussian", "auto", "model.n_basis"},
      {8, 2, 5, 0, "bessel", "auto", "model.basis 'bessel'"},
      {8, 2, 5, 0, "auto", "relu", "model.activation 'relu'"},
      {8, 2, 5, 2, "auto", "auto", "model.shared_filters"},
  };
  for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
    tn_model_options o = tn_model_options_default();
    snprintf(o.type, sizeof o.type, "painn");
    o.features = bad[q].features;
    o.interactions = bad[q].interactions;
    o.n_basis = bad[q].n_basis;
    o.shared_filters = bad[q].shared;
    snprintf(o.basis, sizeof o.basis, "%s", bad[q].basis);
    snprintf(o.activation, sizeof o.activation, "%s", bad[q].activation);
    tn_model *m = NULL;
    char err[256] = "";
    CHECK(tn_model_create(&m, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(m == NULL && strstr(err, bad[q].message) != NULL);
    if (!strstr(err, bad[q].message)) fprintf(stderr, "  got '%s'\n", err);
  }
  /* painn_features: a SchNet model is refused; an unknown element too. */
  tn_model_options o = tn_model_options_default();
  o.features = 4;
  o.interactions = 1;
  tn_model *schnet = NULL, *m = small_model(el, 2, 3.0, 0, NULL, NULL);
  char err[256];
  CHECK_OK(tn_model_create(&schnet, &o, el, 2, 1, err, sizeof err));
  config c;
  make_molecule(&c, 6, 1); /* has carbon, which the models lack */
  tn_frame fr = frame_of(&c);
  double s[6 * FEAT], v[18 * FEAT];
  if (schnet) {
    CHECK(painn_features(schnet, &fr, s, v, err, sizeof err) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(err, "schnet") != NULL);
  }
  if (m) {
    CHECK(painn_features(m, &fr, s, v, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "element C") != NULL);
    double e;
    CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  }
  tn_model_free(schnet);
  tn_model_free(m);
}

/* A lone atom (no edges) and a frame of two atoms farther apart than the
 * cutoff: the energy is the sum of the atoms' own energies, forces zero. */
static void test_isolated_atoms(void) {
  int32_t el[2] = {1, 8};
  tn_model *m = small_model(el, 2, 3.0, 0, NULL, NULL);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  memset(&c, 0, sizeof c);
  c.n = 1;
  c.z[0] = 8;
  double e1, e2, f[2][3];
  CHECK_OK(tn_model_eval(m, &(tn_frame){1, c.z, (const double(*)[3])c.pos, {{0}}, {0}, 0, NULL},
                         &e1, f, NULL, NULL));
  CHECK(isfinite(e1) && f[0][0] == 0 && f[0][1] == 0 && f[0][2] == 0);
  c.n = 2;
  c.z[1] = 8;
  c.pos[1][0] = 3.5;
  tn_frame fr = frame_of(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e2, f, NULL, NULL));
  CHECK_NEAR(e2, 2 * e1, 1e-14, 1e-14);
  CHECK(f[1][0] == 0);
  tn_model_free(m);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_painn needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  RUN(test_forces_and_stress_periodic);
  RUN(test_invariance);
  RUN(test_equivariance);
  RUN(test_supercell);
  RUN(test_loss_gradient_energy);
  RUN(test_loss_gradient_forces);
  RUN(test_loss_gradient_atoms);
  RUN(test_loss_gradient_stress);
  RUN(test_loss_gradient_all);
  RUN(test_loss_gradient_shared_filters);
  RUN(test_options_and_shared_filters);
  RUN(test_model_file);
  RUN(test_bad_input);
  RUN(test_isolated_atoms);
  return harness_finish();
}
