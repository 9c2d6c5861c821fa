/* SchNet as a model, in float64: forces and stress against central finite
 * differences of the energy; rotation, translation and permutation
 * invariance; a periodic cell against its 2×2×2 supercell; the training
 * loss's parameter gradient (energy, forces through the tangent pass,
 * atomic energies, stress) against finite differences; model files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/tagfile.h"
#include "../src/models/model.h"
#include "../src/train/train.h"
#include "harness.h"

#define FD_STEP 1e-5 /* Å, strain, or parameter units */
#define MAXN    64

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

/* A small model: everything SchNet has, few parameters. */
static tn_model *small_model(const int32_t *el, int ne, double cutoff, const char *basis) {
  tn_model_options o = tn_model_options_default();
  o.features = 6;
  o.interactions = 2;
  o.n_basis = 5;
  o.cutoff = cutoff;
  snprintf(o.basis, sizeof o.basis, "%s", basis);
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

/* A periodic cell of Ar and Kr, triclinic, small enough that the cutoff
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

static void test_forces_molecule(void) {
  int32_t el[3] = {1, 6, 8};
  for (int b = 0; b < 2; b++) {
    tn_model *m = small_model(el, 3, 3.0, b ? "sinc" : "gaussian");
    CHECK(m != NULL);
    if (!m) return;
    config c;
    make_molecule(&c, 12, 3 + b);
    check_forces_fd(m, &c);
    tn_model_free(m);
  }
}

static void test_forces_and_stress_periodic(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, "gaussian");
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

/* tn_model_check_forces (the body of `tanne checkf`) finds forces and
 * stress consistent in float64 to near round-off. */
static void test_check_forces(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, "gaussian");
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_crystal(&c, 5);
  tn_frame fr = frame_of(&c);
  tn_force_check chk;
  int32_t atoms[2] = {3, 0};
  CHECK_OK(tn_model_check_forces(m, &fr, 1e-4, atoms, 2, &chk));
  CHECK(chk.n_components == 6 && chk.rms_force > 1e-3);
  CHECK(chk.max_err <= 1e-8 * chk.rms_force);
  CHECK(chk.worst_atom == 3 || chk.worst_atom == 0);
  CHECK(!isnan(chk.stress_max_err) && chk.stress_max_err <= 1e-8 * chk.stress_max);
  tn_model_free(m);
}

static void test_invariance(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = small_model(el, 3, 3.0, "gaussian");
  CHECK(m != NULL);
  if (!m) return;
  config c, d;
  make_molecule(&c, 12, 5);
  double e0, f0[MAXN][3], ea0[MAXN];
  tn_frame fr = frame_of(&c);
  CHECK_OK(tn_model_eval(m, &fr, &e0, f0, NULL, ea0));
  /* A rotation about a tilted axis (Rodrigues), then a translation. */
  double ax[3] = {1.0 / sqrt(3.0), 1.0 / sqrt(3.0), 1.0 / sqrt(3.0)}, th = 0.7;
  double rot[3][3], ct = cos(th), st = sin(th);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) rot[x][y] = (x == y ? ct : 0.0) + (1 - ct) * ax[x] * ax[y];
  rot[0][1] -= st * ax[2], rot[0][2] += st * ax[1], rot[1][0] += st * ax[2];
  rot[1][2] -= st * ax[0], rot[2][0] -= st * ax[1], rot[2][1] += st * ax[0];
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

static void test_supercell(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 5.0, "gaussian");
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

static void check_loss_gradient(const train_weights *wt, const char *what) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 4.5, "gaussian");
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
  check_loss_gradient(&wt, "energy");
}
static void test_loss_gradient_forces(void) {
  train_weights wt = {0.0, 1.0, 0.0, 0.0};
  check_loss_gradient(&wt, "forces");
}
static void test_loss_gradient_atoms(void) {
  train_weights wt = {0.0, 0.0, 1.0, 0.0};
  check_loss_gradient(&wt, "atomic energies");
}
static void test_loss_gradient_stress(void) {
  train_weights wt = {0.0, 0.0, 0.0, 1.0};
  check_loss_gradient(&wt, "stress");
}
static void test_loss_gradient_all(void) {
  train_weights wt = {1.0, 10.0, 0.5, 100.0};
  check_loss_gradient(&wt, "all terms");
}

/* ---- model files */

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = small_model(el, 3, 3.0, "sinc"), *r = NULL;
  CHECK(m != NULL);
  if (!m) return;
  const char *path = harness_tmp("model.tnm");
  CHECK_OK(tn_model_save(m, path));
  char err[512];
  CHECK_OK(tn_model_load(&r, path, err, sizeof err));
  CHECK(r != NULL);
  if (r) {
    config c;
    make_molecule(&c, 9, 17);
    CHECK(energy_of(m, &c) == energy_of(r, &c)); /* bitwise */
    tn_model_options a = tn_model_get_options(m), b = tn_model_get_options(r);
    CHECK(strcmp(a.basis, b.basis) == 0 && a.features == b.features && a.cutoff == b.cutoff);
    tn_model_free(r);
  }
  /* Truncated and corrupted files are refused with a message naming them. */
  char *data = NULL;
  size_t len = 0;
  CHECK_OK(tn_read_file(path, &data, &len, err, sizeof err));
  const char *bad = harness_tmp("bad.tnm");
  FILE *f = fopen(bad, "wb");
  fwrite(data, 1, len / 2, f);
  fclose(f);
  CHECK(tn_model_load(&r, bad, err, sizeof err) == TN_STATUS_BAD_INPUT && r == NULL);
  CHECK(strstr(err, "truncated") != NULL);
  data[len / 2] ^= 0x10;
  f = fopen(bad, "wb");
  fwrite(data, 1, len, f);
  fclose(f);
  CHECK(tn_model_load(&r, bad, err, sizeof err) == TN_STATUS_BAD_INPUT && r == NULL);
  CHECK(strstr(err, "checksum") != NULL);
  free(data);
  tn_model_free(m);
}

/* Writes the sections of the model file at src to dst with the "arch" text
 * replaced, and loads it: the status, and err. */
static tn_status load_with_arch(const char *src, const char *arch, tn_model **out, char *err,
                                size_t err_len) {
  tf_file f;
  tn_status st = tf_read(&f, src, TF_KIND_MODEL, err, err_len);
  if (st != TN_STATUS_OK) return st;
  tf_writer *w = tf_writer_create(TF_KIND_MODEL);
  for (uint64_t k = 0; k < f.n_sections; k++) {
    const tf_section *s = &f.sections[k];
    if (strcmp(s->tag, "arch") == 0)
      tf_add_text(w, "arch", arch);
    else
      tf_add(w, s->tag, s->data, s->n_bytes);
  }
  const char *dst = harness_tmp("arch.tnm");
  st = tf_write(w, dst, err, err_len);
  tf_writer_free(w);
  tf_free(&f);
  return st == TN_STATUS_OK ? tn_model_load(out, dst, err, err_len) : st;
}

/* The "arch" section: "auto" choices are stored resolved; a key added later
 * (shared_filters) may be absent and takes its old meaning; unknown,
 * repeated and missing required keys are refused. */
static void test_model_file_arch_keys(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  o.features = 8;
  o.interactions = 1;
  o.n_basis = 6;
  tn_model *m = NULL, *r = NULL;
  char err[512];
  CHECK_OK(tn_model_create(&m, &o, el, 2, 3, err, sizeof err));
  if (!m) return;
  tn_model_options got = tn_model_get_options(m);
  CHECK(strcmp(got.basis, "gaussian") == 0 && strcmp(got.activation, "ssp") == 0);
  const char *path = harness_tmp("arch_src.tnm");
  CHECK_OK(tn_model_save(m, path));
  const char *base = "type schnet\nfeatures 8\ninteractions 1\nn_basis 6\nbasis gaussian\n"
                     "cutoff 5\nactivation ssp\n";
  CHECK_OK(load_with_arch(path, base, &r, err, sizeof err));
  if (r) CHECK(tn_model_get_options(r).shared_filters == 0);
  tn_model_free(r);
  char text[512];
  snprintf(text, sizeof text, "%scolour red\n", base);
  CHECK(load_with_arch(path, text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "line 8: unknown key 'colour'") != NULL);
  snprintf(text, sizeof text, "%sfeatures 8\n", base);
  CHECK(load_with_arch(path, text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "repeated key 'features'") != NULL);
  CHECK(load_with_arch(path, base + strlen("type schnet\n"), &r, err, sizeof err) ==
        TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "key 'type' missing") != NULL);
  snprintf(text, sizeof text, "%sshared_filters x\n", base);
  CHECK(load_with_arch(path, text, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "key 'shared_filters': bad value 'x'") != NULL);
  CHECK(r == NULL);
  tn_model_free(m);
}

static void test_bad_input(void) {
  int32_t el[2] = {1, 8};
  tn_model *m = small_model(el, 2, 3.0, "gaussian");
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_molecule(&c, 6, 1); /* has carbon, which the model lacks */
  tn_frame fr = frame_of(&c);
  double e;
  CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "element C") != NULL);
  for (int a = 0; a < c.n; a++) c.z[a] = a % 2 ? 1 : 8;
  memcpy(c.pos[1], c.pos[0], sizeof c.pos[0]);
  fr = frame_of(&c);
  CHECK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "same place") != NULL);
  double s[3][3];
  CHECK(tn_model_eval(m, &fr, &e, NULL, s, NULL) == TN_STATUS_INVALID_ARG);
  tn_model_options o = tn_model_options_default();
  o.features = 0;
  tn_model *bad = NULL;
  char err[256];
  CHECK(tn_model_create(&bad, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
  o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "transformer");
  CHECK(tn_model_create(&bad, &o, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(bad == NULL);
  tn_model_free(m);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_schnet needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  RUN(test_forces_and_stress_periodic);
  RUN(test_check_forces);
  RUN(test_invariance);
  RUN(test_supercell);
  RUN(test_loss_gradient_energy);
  RUN(test_loss_gradient_forces);
  RUN(test_loss_gradient_atoms);
  RUN(test_loss_gradient_stress);
  RUN(test_loss_gradient_all);
  RUN(test_model_file);
  RUN(test_model_file_arch_keys);
  RUN(test_bad_input);
  return harness_finish();
}
