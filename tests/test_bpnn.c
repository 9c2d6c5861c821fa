/* Behler–Parrinello networks as models, in float64: forces and stress
 * against central finite differences of the energy; rotation, translation
 * and permutation invariance; a periodic cell against its 2×2×2 supercell;
 * the training loss's parameter gradient for each loss term; model files
 * with the "bpnn" section, and corrupted sections refused; the fit of
 * scaling statistics; copies of the fixed data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/tagfile.h"
#include "../src/models/bpnn.h"
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

/* A small BPNN: radial and angular functions (wide or narrow), a cutoff
 * type, an activation, two hidden layers; non-trivial scaling, shifts and
 * scale so that every stage is exercised. */
static tn_model *small_model(const int32_t *el, int ne, double cutoff, const char *kind,
                             const char *cut, const char *act) {
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
  tn_model *m = NULL;
  char err[256];
  if (tn_model_create(&m, &o, el, ne, 7, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
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
  static const char *const kinds[3] = {"wide", "narrow", "narrow"};
  static const char *const cuts[3] = {"cos", "poly2", "tanhu"};
  static const char *const acts[3] = {"tanh", "softplus", "logistic"};
  for (int b = 0; b < 3; b++) {
    tn_model *m = small_model(el, 3, 3.0, kinds[b], cuts[b], acts[b]);
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
  tn_model *m = small_model(el, 2, 5.0, "narrow", "cos", "tanh");
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
  tn_model *m = small_model(el, 3, 3.0, "narrow", "poly2", "softplus");
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
  tn_model *m = small_model(el, 2, 5.0, "narrow", "cos", "tanh");
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
  tn_model *m = small_model(el, 2, 4.5, "narrow", "cos", "softplus");
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

/* Writes the sections of the model file at src to dst with section `tag`
 * replaced by text, and loads it. */
static tn_status load_with(const char *src, const char *tag, const char *text, tn_model **out,
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

static void test_model_file(void) {
  int32_t el[3] = {1, 6, 8};
  tn_model *m = small_model(el, 3, 3.0, "narrow", "poly2", "softplus"), *r = NULL;
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
    CHECK(energy_of(m, &c) == energy_of(r, &c)); /* bitwise: scaling and weights survive */
    CHECK(r->n_params == m->n_params);
    const bp_layout *a = m->layout, *b = r->layout;
    CHECK(a->n_sf == b->n_sf && memcmp(bp_fns(a), bp_fns(b), a->n_sf * sizeof(acsf_fn)) == 0);
    CHECK(memcmp(bp_scales(a), bp_scales(b), a->n_sf * 3 * sizeof(double)) == 0);
    tn_model_options oa = tn_model_get_options(m), ob = tn_model_get_options(r);
    CHECK(strcmp(oa.acsf_cutoff, ob.acsf_cutoff) == 0 && oa.acsf_angular == ob.acsf_angular);
    tn_model_free(r);
    r = NULL;
  }
  /* The "bpnn" section, edited: each damage is refused with file, line and field. */
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err));
  const char *text = tf_get_text(&f, "bpnn", err, sizeof err);
  CHECK(text != NULL);
  if (!text) {
    tf_free(&f);
    tn_model_free(m);
    return;
  }
  size_t len = strlen(text);
  char *bad = malloc(len + 64);
  const char *sf2 = strstr(text, "\nsf ");
  CHECK(sf2 != NULL);
  struct {
    const char *find, *put, *msg;
  } cases[] = {
      {"bpnn 1", "bpnn 2", "line 1: field 'bpnn'"},
      {"cutoff poly2", "cutoff poly9", "line 2: field 'cutoff'"},
      {"element H sf", "element He sf", "line 3: field 'element'"},
      {"hidden 2", "hidden x", "line 3: field 'hidden'"},
      {"act softplus", "act swish", "line 3: field 'act'"},
      {"\nsf 2 H - ", "\nsf 2 Xx - ", "line 4: field 'e1'"},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    const char *at = strstr(text, cases[q].find);
    CHECK(at != NULL);
    if (!at) continue;
    size_t pre = (size_t)(at - text);
    snprintf(bad, len + 64, "%.*s%s%s", (int)pre, text, cases[q].put, at + strlen(cases[q].find));
    CHECK(load_with(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT && r == NULL);
    if (!strstr(err, cases[q].msg)) fprintf(stderr, "  case %zu: %s\n", q, err);
    CHECK(strstr(err, cases[q].msg) != NULL);
  }
  /* A number that is not one, and a truncated section. */
  const char *num = strstr(sf2 + 1, " ");
  for (int k = 0; k < 3 && num; k++) num = strchr(num + 1, ' '); /* after type, e1, e2: eta */
  if (num) {
    size_t pre = (size_t)(num - text) + 1;
    const char *end = strchr(num + 1, ' ');
    snprintf(bad, len + 64, "%.*snan%s", (int)pre, text, end);
    CHECK(load_with(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "field 'eta': not a finite number") != NULL);
  }
  snprintf(bad, len + 64, "%.*s", (int)(sf2 - text + 1), text);
  CHECK(load_with(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "fewer elements or symmetry functions") != NULL);
  /* Well-formed but inconsistent: a cutoff radius beyond the model's. */
  const char *rc = strstr(text, " 3 0 0 ");
  if (rc) {
    size_t pre = (size_t)(rc - text);
    snprintf(bad, len + 64, "%.*s 30 0 0 %s", (int)pre, text, rc + 7);
    CHECK(load_with(path, "bpnn", bad, &r, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "rc must be in (0, model cutoff]") != NULL);
  }
  CHECK(r == NULL);
  free(bad);
  tf_free(&f);
  tn_model_free(m);
}

/* ---- scaling statistics and copies */

static void test_fit_data_and_copy(void) {
  int32_t el[2] = {18, 36};
  tn_model *m = small_model(el, 2, 4.5, "wide", "cos", "tanh"), *c2 = NULL;
  tn_dataset *ds = labelled_set();
  CHECK(m && ds);
  if (!m || !ds) return;
  char err[256];
  CHECK_OK(m->arch->fit_data(m, ds, NULL, 0, err, sizeof err)); /* sigma by default */
  /* Over the data, every scaled function with spread has mean 0 and σ 1. */
  const bp_layout *L = m->layout;
  double sum[256] = {0}, sum2[256] = {0};
  int cnt[256] = {0};
  tn_neighbors *nl = tn_neighbors_create();
  double g[8 * 64];
  CHECK(L->n_sf <= 256 && L->max_sf <= 64);
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    CHECK_OK(bpnn_descriptors(m, nl, &fr, 1, g, err, sizeof err));
    for (int a = 0; a < fr.n_atoms; a++) {
      const bp_element *E = &L->el[model_element_index(m, fr.species[a])];
      for (int s = 0; s < E->n_sf; s++) {
        double v = g[a * L->max_sf + s];
        sum[E->first + s] += v;
        sum2[E->first + s] += v * v;
        cnt[E->first + s]++;
      }
    }
  }
  int spread = 0;
  for (int s = 0; s < L->n_sf; s++) {
    double mean = sum[s] / cnt[s], var = sum2[s] / cnt[s] - mean * mean;
    CHECK_NEAR(mean, 0.0, 0, 1e-12);
    if (bp_scales(L)[s][1] != 1.0) {
      CHECK_NEAR(var, 1.0, 1e-10, 0);
      spread++;
    }
  }
  CHECK(spread > L->n_sf / 2);
  tn_neighbors_free(nl);
  /* A model made from the options gets the fitted data by copy_extra. */
  tn_model_options o = tn_model_get_options(m);
  CHECK_OK(tn_model_create(&c2, &o, el, 2, 0, err, sizeof err));
  if (c2) {
    CHECK_OK(m->arch->copy_extra(c2, m, err, sizeof err));
    memcpy(c2->params, m->params, m->n_params * sizeof *m->params);
    tn_model_set_shifts(c2, m->shift, m->scale);
    config c;
    make_crystal(&c, 5);
    CHECK(energy_of(c2, &c) == energy_of(m, &c));
    tn_model_free(c2);
  }
  /* minmax scaling maps the data onto [0, 1]. */
  snprintf(m->opt.acsf_scaling, sizeof m->opt.acsf_scaling, "minmax");
  CHECK_OK(m->arch->fit_data(m, ds, NULL, 0, err, sizeof err));
  double lo = 1e9, hi = -1e9;
  nl = tn_neighbors_create();
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    CHECK_OK(bpnn_descriptors(m, nl, &fr, 1, g, err, sizeof err));
    for (int a = 0; a < fr.n_atoms; a++)
      for (int s = 0; s < L->el[0].n_sf; s++) {
        double v = g[a * L->max_sf + s];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
  }
  CHECK_NEAR(lo, 0.0, 0, 1e-12);
  CHECK_NEAR(hi, 1.0, 0, 1e-12);
  tn_neighbors_free(nl);
  tn_dataset_free(ds);
  tn_model_free(m);
}

static void test_bad_options(void) {
  int32_t el[2] = {1, 8};
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "bpnn");
  tn_model *m = NULL;
  char err[256];
  CHECK_OK(tn_model_create(&m, &o, el, 2, 1, err, sizeof err));
  if (m) {
    tn_model_options got = tn_model_get_options(m);
    CHECK(strcmp(got.activation, "tanh") == 0); /* "auto" */
    CHECK(m->arch->hops(m) == 1);
    tn_model_free(m);
    m = NULL;
  }
  struct {
    int field;
    const char *value, *msg;
  } cases[] = {
      {0, "5", "model.acsf_angular even in 0..32"}, {1, "cosine", "unknown model.acsf_cutoff"},
      {2, "huge", "unknown model.acsf_scaling"},    {3, "tiny", "model.acsf_angular_kind"},
      {4, "relu", "unknown model.activation"},      {5, "9", "model.interactions"},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    tn_model_options b = o;
    switch (cases[q].field) {
    case 0: b.acsf_angular = atoi(cases[q].value); break;
    case 1: snprintf(b.acsf_cutoff, sizeof b.acsf_cutoff, "%s", cases[q].value); break;
    case 2: snprintf(b.acsf_scaling, sizeof b.acsf_scaling, "%s", cases[q].value); break;
    case 3: snprintf(b.acsf_angular_kind, sizeof b.acsf_angular_kind, "%s", cases[q].value); break;
    case 4: snprintf(b.activation, sizeof b.activation, "%s", cases[q].value); break;
    case 5: b.interactions = atoi(cases[q].value); break;
    }
    CHECK(tn_model_create(&m, &b, el, 2, 1, err, sizeof err) == TN_STATUS_INVALID_ARG && !m);
    if (!strstr(err, cases[q].msg)) fprintf(stderr, "  case %zu: %s\n", q, err);
    CHECK(strstr(err, cases[q].msg) != NULL);
  }
  /* An element the model lacks, and coinciding atoms. */
  tn_model *s = small_model(el, 2, 3.0, "wide", "cos", "tanh");
  if (!s) return;
  config c;
  make_molecule(&c, 6, 1);
  tn_frame fr = frame_of(&c);
  double e;
  CHECK(tn_model_eval(s, &fr, &e, NULL, NULL, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(s), "element C") != NULL);
  tn_model_free(s);
}

int main(void) {
  if (sizeof(tn_real) != sizeof(double)) {
    fprintf(stderr, "test_bpnn needs a DOUBLE=1 build\n");
    return 1;
  }
  RUN(test_forces_molecule);
  RUN(test_forces_and_stress_periodic);
  RUN(test_invariance);
  RUN(test_supercell);
  RUN(test_loss_gradient_energy);
  RUN(test_loss_gradient_forces);
  RUN(test_loss_gradient_atoms);
  RUN(test_loss_gradient_stress);
  RUN(test_loss_gradient_all);
  RUN(test_model_file);
  RUN(test_fit_data_and_copy);
  RUN(test_bad_options);
  return harness_finish();
}
