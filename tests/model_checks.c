/* The shared model checks of model_checks.h. */
#include "model_checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "../src/core/tagfile.h"
#include "../src/models/bpnn.h"

void mc_make_molecule(config *c, int n, uint64_t seed) {
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

void mc_make_crystal(config *c, uint64_t seed) {
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

double mc_energy(tn_model *m, const config *c) {
  tn_frame f = config_frame(c);
  double e = NAN;
  if (tn_model_eval(m, &f, &e, NULL, NULL, NULL) != TN_STATUS_OK)
    fprintf(stderr, "  %s\n", tn_model_errmsg(m));
  return e;
}

double mc_rel_error(const double *a, const double *b, int n) {
  double num = 0.0, den = 0.0;
  for (int q = 0; q < n; q++) {
    num += (a[q] - b[q]) * (a[q] - b[q]);
    den += b[q] * b[q];
  }
  return sqrt(num / (den > 0 ? den : 1.0));
}

void mc_rotation(double rot[3][3], double th) {
  double ax[3] = {1.0 / sqrt(3.0), 1.0 / sqrt(3.0), 1.0 / sqrt(3.0)};
  double ct = cos(th), st = sin(th);
  /* R = cos θ I + (1 - cos θ) a aᵀ + sin θ [a]×; the cross-product matrix
   * is added entry by entry below. */
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) rot[x][y] = (x == y ? ct : 0.0) + (1 - ct) * ax[x] * ax[y];
  rot[0][1] -= st * ax[2], rot[0][2] += st * ax[1], rot[1][0] += st * ax[2];
  rot[1][2] -= st * ax[0], rot[2][0] -= st * ax[1], rot[2][1] += st * ax[0];
}

tn_model *mc_model_create(const tn_model_options *o, const int32_t *el, int ne) {
  tn_model *m = NULL;
  char err[256];
  if (tn_model_create(&m, o, el, ne, 7, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  double shift[MODEL_MAX_ELEMENTS] = {-1.5, 0.25, -3.0};
  tn_model_set_shifts(m, shift, 0.7);
  return m;
}

/* ---- forces, stress, symmetries */

void mc_check_forces_fd(tn_model *m, config *c) {
  double e, f[CONFIG_MAXN][3], fd[CONFIG_MAXN][3];
  tn_frame fr = config_frame(c);
  CHECK_OK(tn_model_eval(m, &fr, &e, f, NULL, NULL));
  for (int a = 0; a < c->n; a++)
    for (int x = 0; x < 3; x++) {
      double keep = c->pos[a][x];
      c->pos[a][x] = keep + MC_FD_STEP;
      double ep = mc_energy(m, c);
      c->pos[a][x] = keep - MC_FD_STEP;
      double em = mc_energy(m, c);
      c->pos[a][x] = keep;
      fd[a][x] = -(ep - em) / (2 * MC_FD_STEP);
    }
  double rel = mc_rel_error(&f[0][0], &fd[0][0], 3 * c->n);
  if (rel > MC_FD_TOL) fprintf(stderr, "  forces vs finite differences: rel %.3g\n", rel);
  CHECK(rel <= MC_FD_TOL);
}

void mc_check_molecule_forces(tn_model *m, int n, uint64_t seed) {
  CHECK(m != NULL);
  if (!m) return;
  config c;
  mc_make_molecule(&c, n, seed);
  mc_check_forces_fd(m, &c);
  tn_model_free(m);
}

void mc_check_stress_fd(tn_model *m, const config *c) {
  /* σ_ab = (1/V) ∂E/∂ε_ab with R → R(1 + ε), the cell too (ASE sign). */
  double e, s[3][3], fd[3][3];
  tn_frame fr = config_frame(c);
  CHECK_OK(tn_model_eval(m, &fr, &e, NULL, s, NULL));
  double v = tn_cell_volume((const double(*)[3])c->cell);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) {
      double ev[2];
      for (int sgn = 0; sgn < 2; sgn++) {
        config d = *c;
        double eps = sgn ? -MC_FD_STEP : MC_FD_STEP;
        for (int a = 0; a < c->n; a++) d.pos[a][y] += eps * c->pos[a][x];
        for (int k = 0; k < 3; k++) d.cell[k][y] += eps * c->cell[k][x];
        ev[sgn] = mc_energy(m, &d);
      }
      fd[x][y] = (ev[0] - ev[1]) / (2 * MC_FD_STEP) / v;
    }
  double rel = mc_rel_error(&s[0][0], &fd[0][0], 9);
  if (rel > MC_FD_TOL) fprintf(stderr, "  stress vs finite differences: rel %.3g\n", rel);
  CHECK(rel <= MC_FD_TOL);
}

void mc_check_invariance(tn_model *m, const config *c) {
  config d;
  double e0, f0[CONFIG_MAXN][3], ea0[CONFIG_MAXN];
  tn_frame fr = config_frame(c);
  CHECK_OK(tn_model_eval(m, &fr, &e0, f0, NULL, ea0));
  /* A rotation about a tilted axis, then a translation by (3.3, 6.6, 9.9) Å. */
  double rot[3][3];
  mc_rotation(rot, 0.7);
  d = *c;
  for (int a = 0; a < c->n; a++)
    for (int x = 0; x < 3; x++) {
      d.pos[a][x] = 3.3 * (x + 1);
      for (int y = 0; y < 3; y++) d.pos[a][x] += rot[x][y] * c->pos[a][y];
    }
  for (int k = 0; k < 3; k++)
    for (int x = 0; x < 3; x++) {
      d.cell[k][x] = 0.0;
      for (int y = 0; y < 3; y++) d.cell[k][x] += rot[x][y] * c->cell[k][y];
    }
  double e1, f1[CONFIG_MAXN][3], ea1[CONFIG_MAXN];
  fr = config_frame(&d);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-12, 1e-12);
  double frot[CONFIG_MAXN][3];
  for (int a = 0; a < c->n; a++)
    for (int x = 0; x < 3; x++) {
      frot[a][x] = 0.0;
      for (int y = 0; y < 3; y++) frot[a][x] += rot[x][y] * f0[a][y];
    }
  CHECK(mc_rel_error(&f1[0][0], &frot[0][0], 3 * c->n) < 1e-10);
  CHECK(mc_rel_error(ea1, ea0, c->n) < 1e-12);
  /* Permutation: reversed order gives the same energy and permuted forces. */
  d = *c;
  for (int a = 0; a < c->n; a++) {
    d.z[a] = c->z[c->n - 1 - a];
    memcpy(d.pos[a], c->pos[c->n - 1 - a], sizeof d.pos[a]);
  }
  fr = config_frame(&d);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, NULL, ea1));
  CHECK_NEAR(e1, e0, 1e-12, 1e-12);
  double fperm[CONFIG_MAXN][3], eperm[CONFIG_MAXN];
  for (int a = 0; a < c->n; a++) {
    memcpy(fperm[a], f0[c->n - 1 - a], sizeof fperm[a]);
    eperm[a] = ea0[c->n - 1 - a];
  }
  CHECK(mc_rel_error(&f1[0][0], &fperm[0][0], 3 * c->n) < 1e-12);
  CHECK(mc_rel_error(ea1, eperm, c->n) < 1e-12);
}

void mc_check_supercell(tn_model *m, const config *c) {
  CHECK(8 * c->n <= CONFIG_MAXN);
  if (8 * c->n > CONFIG_MAXN) return;
  config s;
  memset(&s, 0, sizeof s);
  s.n = 8 * c->n;
  s.pbc[0] = s.pbc[1] = s.pbc[2] = 1;
  for (int k = 0; k < 3; k++)
    for (int x = 0; x < 3; x++) s.cell[k][x] = 2.0 * c->cell[k][x];
  /* Image by image (i, j, k), each in the cell's atom order: supercell atom
   * q is a copy of cell atom q mod n. */
  int q = 0;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++)
        for (int a = 0; a < c->n; a++, q++) {
          s.z[q] = c->z[a];
          for (int x = 0; x < 3; x++)
            s.pos[q][x] = c->pos[a][x] + i * c->cell[0][x] + j * c->cell[1][x] + k * c->cell[2][x];
        }
  double e1, f1[CONFIG_MAXN][3], s1[3][3], e8, f8[CONFIG_MAXN][3], s8[3][3], a1[CONFIG_MAXN],
      a8[CONFIG_MAXN];
  tn_frame fr = config_frame(c);
  CHECK_OK(tn_model_eval(m, &fr, &e1, f1, s1, a1));
  fr = config_frame(&s);
  CHECK_OK(tn_model_eval(m, &fr, &e8, f8, s8, a8));
  CHECK_NEAR(e8, 8.0 * e1, 1e-12, 1e-12);
  for (int q2 = 0; q2 < s.n; q2++) {
    CHECK_NEAR(a8[q2], a1[q2 % c->n], 1e-12, 1e-12);
    for (int x = 0; x < 3; x++) CHECK_NEAR(f8[q2][x], f1[q2 % c->n][x], 1e-10, 1e-12);
  }
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) CHECK_NEAR(s8[x][y], s1[x][y], 1e-10, 1e-14);
}

/* ---- the training loss's parameter gradient */

train_weights mc_loss_weights(mc_loss_term term) {
  static const train_weights w[MC_LOSS_TERMS] = {
      {1.0, 0.0, 0.0, 0.0}, {0.0, 1.0, 0.0, 0.0},    {0.0, 0.0, 1.0, 0.0},
      {0.0, 0.0, 0.0, 1.0}, {1.0, 10.0, 0.5, 100.0},
  };
  TN_ASSERT((unsigned)term < MC_LOSS_TERMS);
  return w[term];
}

const char *mc_loss_name(mc_loss_term term) {
  static const char *const name[MC_LOSS_TERMS] = {"energy", "forces", "atomic energies", "stress",
                                                  "all terms"};
  TN_ASSERT((unsigned)term < MC_LOSS_TERMS);
  return name[term];
}

tn_dataset *mc_labelled_set(void) {
  tn_dataset *ds = tn_dataset_create();
  if (!ds) return NULL;
  tn_rng rng;
  tn_rng_seed(&rng, 21);
  for (int fidx = 0; fidx < 2; fidx++) {
    config c;
    mc_make_crystal(&c, 30 + fidx);
    double e = -0.3 + 0.1 * fidx, f[CONFIG_MAXN][3], ea[CONFIG_MAXN], stress[9];
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
    tn_frame fr = config_frame(&c);
    fr.n_columns = 4;
    fr.columns = cols;
    if (tn_dataset_append(ds, &fr) != TN_STATUS_OK) fprintf(stderr, "  %s\n", ds->errmsg);
  }
  return ds;
}

/* The loss of frames 0 and 1 of ds at m's parameters, with its gradient
 * accumulated into grad when not NULL; NaN (message on stderr) on error. */
static double batch_loss(tn_model *m, model_work *w, train_scratch *s, const tn_dataset *ds,
                         const train_labels *lab, const train_weights *wt, tn_real *grad) {
  int64_t which[2] = {0, 1};
  char err[256];
  train_sums sums;
  memset(&sums, 0, sizeof sums);
  if (model_batch_build(&w->batch, m, w->nl, ds, which, 2, err, sizeof err) != TN_STATUS_OK ||
      model_work_reserve(w, m, 1, err, sizeof err) != TN_STATUS_OK ||
      train_batch_loss(m, m->params, w, s, ds, which, lab, wt, NULL, grad, &sums, err,
                       sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NAN;
  }
  return train_sums_loss(&sums, wt);
}

void mc_check_loss_gradient(tn_model *m, const train_weights *wt, const char *what) {
  tn_dataset *ds = mc_labelled_set();
  CHECK(m && ds && ds->n_frames == 2);
  if (!m || !ds) {
    tn_dataset_free(ds);
    return;
  }
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
  CHECK(grad && fd && an);
  if (grad && fd && an) {
    batch_loss(m, &w, &s, ds, &lab, wt, grad);
    for (size_t q = 0; q < np; q++) {
      an[q] = grad[q];
      double keep = m->params[q];
      m->params[q] = keep + MC_FD_STEP;
      double lp = batch_loss(m, &w, &s, ds, &lab, wt, NULL);
      m->params[q] = keep - MC_FD_STEP;
      double lm = batch_loss(m, &w, &s, ds, &lab, wt, NULL);
      m->params[q] = keep;
      fd[q] = (lp - lm) / (2 * MC_FD_STEP);
    }
    double rel = mc_rel_error(an, fd, (int)np);
    if (rel > MC_FD_TOL)
      fprintf(stderr, "  %s: loss gradient vs finite differences: rel %.3g\n", what, rel);
    CHECK(rel <= MC_FD_TOL);
  }
  free(grad);
  free(fd);
  free(an);
  train_scratch_free(&s);
  model_work_free(&w);
  tn_dataset_free(ds);
}

/* ---- the tests every architecture shares */

/* The architecture whose tests run; set by mc_run_model_tests only (the
 * harness runs tests as plain functions, without arguments). */
static mc_model_fn mc_make;

/* A model for use, with a failed check when the architecture refuses. */
static tn_model *mc_model(mc_use use) {
  tn_model *m = mc_make(use);
  CHECK(m != NULL);
  return m;
}

static void mc_test_forces_and_stress_periodic(void) {
  tn_model *m = mc_model(MC_USE_CRYSTAL);
  if (!m) return;
  config c;
  mc_make_crystal(&c, 11);
  mc_check_forces_fd(m, &c);
  mc_check_stress_fd(m, &c);
  tn_model_free(m);
}

static void mc_test_invariance(void) {
  tn_model *m = mc_model(MC_USE_MOLECULE);
  if (!m) return;
  config c;
  mc_make_molecule(&c, 12, 5);
  mc_check_invariance(m, &c);
  tn_model_free(m);
}

static void mc_test_supercell(void) {
  tn_model *m = mc_model(MC_USE_CRYSTAL);
  if (!m) return;
  config c;
  mc_make_crystal(&c, 13);
  mc_check_supercell(m, &c);
  tn_model_free(m);
}

static void mc_test_loss(mc_loss_term term) {
  tn_model *m = mc_model(MC_USE_LOSS);
  if (!m) return;
  train_weights wt = mc_loss_weights(term);
  mc_check_loss_gradient(m, &wt, mc_loss_name(term));
  tn_model_free(m);
}

static void mc_test_loss_energy(void) { mc_test_loss(MC_LOSS_ENERGY); }
static void mc_test_loss_forces(void) { mc_test_loss(MC_LOSS_FORCES); }
static void mc_test_loss_atoms(void) { mc_test_loss(MC_LOSS_ATOMS); }
static void mc_test_loss_stress(void) { mc_test_loss(MC_LOSS_STRESS); }
static void mc_test_loss_all(void) { mc_test_loss(MC_LOSS_ALL); }

void mc_run_model_tests(mc_model_fn make) {
  mc_make = make;
  harness_run("test_forces_and_stress_periodic", mc_test_forces_and_stress_periodic);
  harness_run("test_invariance", mc_test_invariance);
  harness_run("test_supercell", mc_test_supercell);
  harness_run("test_loss_gradient_energy", mc_test_loss_energy);
  harness_run("test_loss_gradient_forces", mc_test_loss_forces);
  harness_run("test_loss_gradient_atoms", mc_test_loss_atoms);
  harness_run("test_loss_gradient_stress", mc_test_loss_stress);
  harness_run("test_loss_gradient_all", mc_test_loss_all);
  mc_make = NULL;
}

/* ---- model files */

tn_model *mc_check_save_load(tn_model *m, const char *path) {
  tn_model *r = NULL;
  char err[512];
  CHECK_OK(tn_model_save(m, path));
  CHECK_OK(tn_model_load(&r, path, err, sizeof err));
  CHECK(r != NULL);
  if (!r) return NULL;
  config c;
  mc_make_molecule(&c, 9, 17);
  CHECK(mc_energy(m, &c) == mc_energy(r, &c)); /* bitwise: parameters and settings survive */
  return r;
}

tn_status mc_load_edited(const char *src, const char *tag, const char *text, tn_model **out,
                         char *err, size_t err_len) {
  tf_file f;
  tn_status st = tf_read(&f, src, TF_KIND_MODEL, err, err_len);
  if (st != TN_STATUS_OK) return st;
  tf_writer *w = tf_writer_create(TF_KIND_MODEL);
  for (uint64_t k = 0; k < f.n_sections; k++) {
    const tf_section *s = &f.sections[k];
    if (strcmp(s->tag, tag) == 0)
      tf_add_text(w, tag, text);
    else
      tf_add(w, s->tag, s->data, s->n_bytes);
  }
  const char *dst = harness_tmp("edited.tnm");
  st = tf_write(w, dst, err, err_len);
  tf_writer_free(w);
  tf_free(&f);
  return st == TN_STATUS_OK ? tn_model_load(out, dst, err, err_len) : st;
}

/* A small BPNN: radial and angular functions (wide or narrow), a cutoff
 * type, an activation, two hidden layers; non-trivial scaling, shifts and
 * scale so that every stage is exercised. */
tn_model *mc_bpnn_small(const int32_t *el, int ne, double cutoff, const char *kind, const char *cut,
                        const char *act) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "bpnn");
  o.features = 5;
  o.interactions = 2;
  o.acsf_radial = 3;
  o.acsf_angular = 4;
  o.cutoff = cutoff;
  snprintf(o.acsf_angular_kind, sizeof o.acsf_angular_kind, "%s", kind);
  snprintf(o.acsf_cutoff, sizeof o.acsf_cutoff, "%s", cut);
  snprintf(o.activation, sizeof o.activation, "%s", act);
  tn_model *m = mc_model_create(&o, el, ne);
  if (!m) return NULL;
  bp_layout *L = m->layout;
  double(*sc)[3] = bp_scales(L);
  for (int s = 0; s < L->n_sf; s++) {
    sc[s][0] = 0.05 * (s % 7);
    sc[s][1] = 0.5 + 0.1 * (s % 5);
    sc[s][2] = -0.2;
  }
  /* Biases away from zero, so activations are not all near the origin. */
  tn_rng rng;
  tn_rng_seed(&rng, 99);
  for (size_t q = 0; q < m->n_params; q++)
    if (m->params[q] == 0) m->params[q] = (tn_real)(0.3 * (tn_rng_uniform(&rng) - 0.5));
  return m;
}
