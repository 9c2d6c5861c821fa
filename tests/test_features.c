/* Per-atom representations (tn_model_atom_features) of SchNet, PaiNN and
 * BPNN, in the default (float32) build:
 *  - widths: F for SchNet, 2F for PaiNN, the largest symmetry-function count
 *    for BPNN (zero-padded rows, shown on n2p2's H2O potential, whose H and
 *    O have 27 and 30 functions);
 *  - invariance: a rotation with a reflection and a translation of a
 *    molecule and of a periodic Ar/Kr liquid box leave the features as they
 *    were, a permutation of the atoms permutes their rows, and moving one
 *    atom does change them (so the comparison can fail);
 *  - they are what the readout consumes, by independent routes: the
 *    readout's two dense layers, applied here in float64 to the SchNet and
 *    PaiNN features, give the atomic energies of tn_model_eval
 *    (E_i = σ y_i + μ_Z); the PaiNN vector norms match painn_features; the
 *    BPNN features are bpnn_descriptors(scaled = 1);
 *  - batch consistency: rows of frames evaluated together in one batch
 *    graph (also with the stacked workspace of force training) equal those
 *    of each frame alone;
 *  - bad input: an unknown element and coinciding atoms (BAD_INPUT, the
 *    message naming them), missing arguments (INVALID_ARG), an architecture
 *    without the hook (UNSUPPORTED). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/models/bpnn.h"
#include "../src/models/painn.h"
#include "configs.h"
#include "harness.h"

#define NFEAT 8 /* model.features of the message-passing models */

/* Float32 round-off of features of order 1 after two interactions: the
 * observed differences under symmetry operations are ~1e-7 of the largest
 * feature (2e-7 at most); an atom displaced by 0.3 Å moves its own row by
 * 4e-3 to 1e-1 of it. */
#define SYM_TOL 5e-6

/* Nine atoms H, C, O in turn on a 1.4 Å grid (3 × 3 layers), jittered by
 * ±0.15 Å per axis: neighbours 1.1-1.7 Å apart, open boundaries. */
static void make_molecule(config *c, uint64_t seed) {
  static const int32_t z[3] = {1, 6, 8};
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = 9;
  for (int a = 0; a < c->n; a++) {
    c->z[a] = z[a % 3];
    int g[3] = {a % 3, (a / 3) % 3, a / 9};
    for (int x = 0; x < 3; x++) c->pos[a][x] = 1.4 * g[x] + 0.3 * (tn_rng_uniform(&rng) - 0.5);
  }
}

static void conf_from_dataset(config *c, const tn_dataset *ds, int64_t f) {
  tn_frame fr;
  tn_dataset_frame(ds, f, &fr);
  memset(c, 0, sizeof *c);
  c->n = fr.n_atoms < CONFIG_MAXN ? fr.n_atoms : CONFIG_MAXN;
  for (int a = 0; a < c->n; a++) {
    c->z[a] = fr.species[a];
    memcpy(c->pos[a], fr.pos[a], sizeof c->pos[a]);
  }
  memcpy(c->cell, fr.cell, sizeof c->cell);
  memcpy(c->pbc, fr.pbc, sizeof c->pbc);
}

/* Three frames of a liquid Ar/Kr mixture (32 atoms, periodic cube of
 * 11.5 Å), sampled by the reference potential's Langevin MD. */
static tn_dataset *liquid_frames(void) {
  tn_dataset *ds = tn_dataset_create();
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  s.species[0] = 18;
  s.species[1] = 36;
  s.fraction = 0.5;
  s.n_atoms = 32;
  s.n_frames = 3;
  s.equilibration_steps = 40;
  s.steps_between = 10;
  s.seed = 5;
  if (!ds || tn_noble_gas_generate(ds, &pot, &s, NULL, NULL) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", ds ? tn_dataset_errmsg(ds) : "out of memory");
    tn_dataset_free(ds);
    return NULL;
  }
  return ds;
}

/* out = R in + t for positions, R rows for the cell; R is a rotation by
 * 0.9 rad about (1, 2, 3)/√14 (Rodrigues) times the mirror z → −z, so it
 * is improper: features must not see reflections either. */
static void transform(config *out, const config *in) {
  double ax[3] = {1 / sqrt(14.0), 2 / sqrt(14.0), 3 / sqrt(14.0)}, th = 0.9;
  double c = cos(th), s = sin(th), r[3][3];
  /* R = cos θ I + (1 − cos θ) a aᵀ + sin θ [a]× */
  double cross[3][3] = {{0, -ax[2], ax[1]}, {ax[2], 0, -ax[0]}, {-ax[1], ax[0], 0}};
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++)
      r[x][y] = (x == y ? c : 0.0) + (1 - c) * ax[x] * ax[y] + s * cross[x][y];
  for (int x = 0; x < 3; x++) r[x][2] = -r[x][2]; /* then the mirror, applied first */
  const double t[3] = {2.5, -1.25, 7.0};
  *out = *in;
  for (int a = 0; a < in->n; a++)
    for (int x = 0; x < 3; x++) {
      out->pos[a][x] = t[x];
      for (int y = 0; y < 3; y++) out->pos[a][x] += r[x][y] * in->pos[a][y];
    }
  for (int k = 0; k < 3; k++)
    for (int x = 0; x < 3; x++) {
      out->cell[k][x] = 0.0;
      for (int y = 0; y < 3; y++) out->cell[k][x] += r[x][y] * in->cell[k][y];
    }
}

/* out atom q is in atom perm(q) = (7 q + 3) mod n (a bijection for n not a
 * multiple of 7). */
static int perm_of(int q, int n) { return (7 * q + 3) % n; }
static void permute(config *out, const config *in) {
  *out = *in;
  for (int q = 0; q < in->n; q++) {
    int p = perm_of(q, in->n);
    out->z[q] = in->z[p];
    memcpy(out->pos[q], in->pos[p], sizeof out->pos[q]);
  }
}

static const int32_t ELEMENTS[5] = {1, 6, 8, 18, 36};

/* A small model of type for H, C, O, Ar and Kr with cutoff 4.5 Å, non-zero
 * biases (so the readout check sees them), shifts μ = (−1.5, 0.25, −3, 0.5,
 * −0.75) eV and σ = 0.7 eV; BPNN gets a non-trivial scaling of its
 * symmetry functions. */
static tn_model *make_model(const char *type) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "%s", type);
  o.features = NFEAT;
  o.interactions = 2;
  o.n_basis = 6;
  o.cutoff = 4.5;
  int bpnn = strcmp(type, "bpnn") == 0;
  if (bpnn) {
    o.features = 5;
    o.acsf_radial = 3;
    o.acsf_angular = 4;
  }
  tn_model *m = NULL;
  char err[256];
  if (tn_model_create(&m, &o, ELEMENTS, 5, 11, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  tn_rng rng;
  tn_rng_seed(&rng, 23);
  for (size_t q = 0; q < m->n_params; q++)
    if (m->params[q] == 0) m->params[q] = (tn_real)(0.4 * (tn_rng_uniform(&rng) - 0.5));
  if (bpnn) {
    bp_layout *L = m->layout;
    double(*sc)[3] = bp_scales(L);
    for (int s = 0; s < L->n_sf; s++) {
      sc[s][0] = 0.05 * (s % 7);
      sc[s][1] = 0.5 + 0.1 * (s % 5);
      sc[s][2] = -0.2;
    }
  }
  const double mu[5] = {-1.5, 0.25, -3.0, 0.5, -0.75};
  tn_model_set_shifts(m, mu, 0.7);
  return m;
}

/* Features of c (malloc'd [n][count]), NULL on failure (reported). */
static double *features_of(tn_model *m, const config *c) {
  int w = tn_model_feature_count(m);
  double *out = malloc(((size_t)c->n * w + 1) * sizeof *out);
  tn_frame f = config_frame(c);
  tn_status st = out ? tn_model_atom_features(m, &f, out) : TN_STATUS_NO_MEMORY;
  CHECK_OK(st);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", tn_model_errmsg(m));
    free(out);
    return NULL;
  }
  return out;
}

static double max_abs(const double *x, size_t n) {
  double v = 0.0;
  for (size_t q = 0; q < n; q++) v = fmax(v, fabs(x[q]));
  return v;
}

/* Invariance of m's features on c: symmetry operations change them by no
 * more than SYM_TOL of the largest; displacing one atom by 0.3 Å changes
 * its row by far more. */
static void check_invariance(tn_model *m, const config *c, const char *what) {
  int w = tn_model_feature_count(m);
  size_t nw = (size_t)c->n * w;
  config moved, perm, bent;
  transform(&moved, c);
  permute(&perm, c);
  bent = *c;
  bent.pos[0][1] += 0.3;
  double *f0 = features_of(m, c), *f1 = features_of(m, &moved), *f2 = features_of(m, &perm),
         *f3 = features_of(m, &bent);
  if (!f0 || !f1 || !f2 || !f3) goto done;
  double scale = max_abs(f0, nw), d_moved = 0.0, d_perm = 0.0, d_bent = 0.0;
  CHECK(scale > 0.1); /* not a vacuous comparison of zeros */
  for (int a = 0; a < c->n; a++)
    for (int k = 0; k < w; k++) {
      double want = f0[(size_t)a * w + k];
      d_moved = fmax(d_moved, fabs(f1[(size_t)a * w + k] - want));
      d_bent = a == 0 ? fmax(d_bent, fabs(f3[(size_t)a * w + k] - want)) : d_bent;
      int q = 0;
      while (perm_of(q, c->n) != a) q++;
      d_perm = fmax(d_perm, fabs(f2[(size_t)q * w + k] - want));
    }
  if (d_moved > SYM_TOL * scale || d_perm > SYM_TOL * scale || d_bent < 100 * SYM_TOL * scale)
    fprintf(stderr, "  %s %s: scale %.3g, moved %.3g, permuted %.3g, bent %.3g\n", m->arch->name,
            what, scale, d_moved, d_perm, d_bent);
  CHECK(d_moved <= SYM_TOL * scale);
  CHECK(d_perm <= SYM_TOL * scale);
  CHECK(d_bent >= 100 * SYM_TOL * scale);
done:
  free(f0);
  free(f1);
  free(f2);
  free(f3);
}

static void invariance_of(const char *type) {
  tn_model *m = make_model(type);
  tn_dataset *ds = liquid_frames();
  CHECK(m && ds);
  if (!m || !ds) goto done;
  config mol, box;
  make_molecule(&mol, 3);
  conf_from_dataset(&box, ds, 1);
  CHECK(box.n == 32 && box.pbc[0] && box.pbc[1] && box.pbc[2]);
  check_invariance(m, &mol, "molecule");
  check_invariance(m, &box, "liquid box");
done:
  tn_model_free(m);
  tn_dataset_free(ds);
}

static void test_invariance_schnet(void) { invariance_of("schnet"); }
static void test_invariance_painn(void) { invariance_of("painn"); }
static void test_invariance_bpnn(void) { invariance_of("bpnn"); }

static void test_feature_counts(void) {
  tn_model *s = make_model("schnet"), *p = make_model("painn"), *b = make_model("bpnn");
  CHECK(s && p && b);
  if (s) CHECK(tn_model_feature_count(s) == NFEAT);
  if (p) CHECK(tn_model_feature_count(p) == 2 * NFEAT);
  /* The default grid: per element, 3 radial functions per neighbour
   * element (5) and 4 angular ones per unordered element pair (15). */
  if (b) CHECK(tn_model_feature_count(b) == 3 * 5 + 4 * 15);
  tn_model_free(s);
  tn_model_free(p);
  tn_model_free(b);
}

/* ---- the readout consumes them */

static double act(const char *name, double x) {
  double sp = (x > 0 ? x : 0.0) + log1p(exp(-fabs(x))); /* ln(1 + e^x) */
  if (!strcmp(name, "ssp")) return sp - log(2.0);
  if (!strcmp(name, "silu")) return x / (1.0 + exp(-x));
  if (!strcmp(name, "tanh")) return tanh(x);
  return x;
}

/* SchNet and PaiNN end in the same atomwise readout, the parameter block
 * "readout": y = act(x W1 + b1) W2 + b2, W1 [F][F/2], W2 [F/2][1], stored
 * W1, b1, W2, b2 (nn_dense). Applied here in float64 to the first F
 * features of each atom of c, E_i = σ y_i + μ_Z must be tn_model_eval's
 * atomic energies. */
static void check_readout(tn_model *m, const config *c) {
  model_part parts[MODEL_MAX_PARTS];
  int np = m->arch->parts(m, parts), r = -1;
  for (int q = 0; q < np; q++)
    if (!strcmp(parts[q].name, "readout")) r = q;
  CHECK(r >= 0);
  if (r < 0) return;
  int F = NFEAT, H = NFEAT / 2, w = tn_model_feature_count(m);
  CHECK(parts[r].count == (size_t)(F * H + H + H + 1));
  const tn_real *w1 = m->params + parts[r].offset, *b1 = w1 + F * H, *w2 = b1 + H, *b2 = w2 + H;
  tn_model_options o = tn_model_get_options(m);
  double *x = features_of(m, c), ea[CONFIG_MAXN], mu[MODEL_MAX_ELEMENTS], sigma;
  tn_frame f = config_frame(c);
  CHECK_OK(tn_model_eval(m, &f, NULL, NULL, NULL, ea));
  tn_model_get_shifts(m, mu, &sigma);
  if (!x) return;
  double worst = 0.0;
  for (int a = 0; a < c->n; a++) {
    double y = b2[0];
    for (int h = 0; h < H; h++) {
      double z = b1[h];
      for (int k = 0; k < F; k++) z += x[(size_t)a * w + k] * w1[k * H + h];
      y += act(o.activation, z) * w2[h];
    }
    int t = 0;
    while (ELEMENTS[t] != c->z[a]) t++;
    double e = sigma * y + mu[t];
    worst = fmax(worst, fabs(e - ea[a]));
    CHECK_NEAR(e, ea[a], 2e-6, 2e-6); /* observed ≤ 1.1e-7 eV */
  }
  /* The route is sensitive: without the readout's output bias every E_i
   * would be off by σ b2. */
  CHECK(fabs(sigma * b2[0]) > 100 * fmax(worst, 1e-7));
  free(x);
}

static void readout_of(const char *type) {
  tn_model *m = make_model(type);
  tn_dataset *ds = liquid_frames();
  CHECK(m && ds);
  if (!m || !ds) goto done;
  config mol, box;
  make_molecule(&mol, 8);
  conf_from_dataset(&box, ds, 2);
  check_readout(m, &mol);
  check_readout(m, &box);
done:
  tn_model_free(m);
  tn_dataset_free(ds);
}

static void test_readout_schnet(void) { readout_of("schnet"); }
static void test_readout_painn(void) { readout_of("painn"); }

/* The PaiNN features past the first F are the norms of the vector
 * channels: against painn_features' vectors, normed here. */
static void test_painn_vector_norms(void) {
  tn_model *m = make_model("painn");
  CHECK(m != NULL);
  if (!m) return;
  config mol;
  make_molecule(&mol, 4);
  int F = NFEAT;
  double s[CONFIG_MAXN * NFEAT], v[CONFIG_MAXN * 3 * NFEAT], *x = features_of(m, &mol);
  tn_frame f = config_frame(&mol);
  char err[256];
  CHECK_OK(painn_features(m, &f, s, v, err, sizeof err));
  if (x) {
    double big = 0.0;
    for (int a = 0; a < mol.n; a++)
      for (int k = 0; k < F; k++) {
        const double *va = v + (size_t)a * 3 * F;
        double n = sqrt(va[k] * va[k] + va[F + k] * va[F + k] + va[2 * F + k] * va[2 * F + k]);
        big = fmax(big, n);
        CHECK(x[(size_t)a * 2 * F + k] == s[(size_t)a * F + k]);
        CHECK_NEAR(x[(size_t)a * 2 * F + F + k], n, 1e-12, 1e-15);
      }
    CHECK(big > 1e-3); /* the vector channels are not idle */
  }
  free(x);
  tn_model_free(m);
}

/* BPNN features are bpnn_descriptors(scaled) row by row, zero beyond an
 * element's own count. */
static void check_bpnn_descriptors(tn_model *m, tn_frame f) {
  const bp_layout *L = m->layout;
  int w = tn_model_feature_count(m);
  CHECK(w == L->max_sf);
  double *g = calloc((size_t)f.n_atoms * w + 1, sizeof *g);
  double *x = malloc(((size_t)f.n_atoms * w + 1) * sizeof *x);
  tn_neighbors *nl = tn_neighbors_create();
  char err[256];
  if (!g || !x || !nl) goto done;
  CHECK_OK(tn_model_atom_features(m, &f, x));
  CHECK_OK(bpnn_descriptors(m, nl, &f, 1, g, err, sizeof err));
  double scale = max_abs(g, (size_t)f.n_atoms * w);
  CHECK(scale > 0.1);
  for (int a = 0; a < f.n_atoms; a++) {
    int ns = L->el[model_element_index(m, f.species[a])].n_sf;
    for (int k = 0; k < w; k++) {
      double got = x[(size_t)a * w + k];
      if (k < ns)
        CHECK_NEAR(got, g[(size_t)a * w + k], 1e-6, 1e-6 * scale);
      else
        CHECK(got == 0.0);
    }
  }
done:
  tn_neighbors_free(nl);
  free(g);
  free(x);
}

static void test_bpnn_network_input(void) {
  tn_model *m = make_model("bpnn");
  tn_dataset *ds = liquid_frames();
  CHECK(m && ds);
  if (!m || !ds) goto done;
  config mol, box;
  make_molecule(&mol, 9);
  conf_from_dataset(&box, ds, 0);
  check_bpnn_descriptors(m, config_frame(&mol));
  check_bpnn_descriptors(m, config_frame(&box));
done:
  tn_model_free(m);
  tn_dataset_free(ds);
}

/* n2p2's H2O potential: H has 27 symmetry functions and O 30, so H rows end
 * in three zeros. Units of the files: Hartree and Bohr. */
#define H2O_DIR "../shared/fixtures/n2p2/H2O_RPBE-D3"
static void test_bpnn_padding_n2p2(void) {
  struct stat sb;
  if (stat(H2O_DIR "/input.nn", &sb) != 0) SKIP("the n2p2 H2O fixture is absent");
  tn_model *m = NULL;
  tn_dataset *ds = tn_dataset_create();
  char err[512];
  double eu = tn_energy_unit("Hartree"), lu = tn_length_unit("Bohr");
  CHECK_OK(tn_model_import_n2p2(&m, H2O_DIR, eu, lu, err, sizeof err));
  tn_read_options ro = tn_read_options_default();
  ro.format = TN_FORMAT_N2P2;
  ro.energy_unit = eu;
  ro.length_unit = lu;
  CHECK_OK(tn_dataset_read(ds, H2O_DIR "/reference.data", &ro));
  if (!m || ds->n_frames < 1) goto done;
  const bp_layout *L = m->layout;
  int h = model_element_index(m, 1), o = model_element_index(m, 8);
  CHECK(h >= 0 && o >= 0);
  if (h < 0 || o < 0) goto done;
  CHECK(L->el[h].n_sf == 27 && L->el[o].n_sf == 30);
  CHECK(tn_model_feature_count(m) == 30);
  tn_frame f;
  tn_dataset_frame(ds, 0, &f);
  check_bpnn_descriptors(m, f);
  /* the zeros themselves, counted: three per H atom */
  double *x = malloc((size_t)f.n_atoms * 30 * sizeof *x);
  int n_h = 0, zeros = 0;
  if (x && tn_model_atom_features(m, &f, x) == TN_STATUS_OK)
    for (int a = 0; a < f.n_atoms; a++) {
      n_h += f.species[a] == 1;
      for (int k = 27; k < 30; k++) zeros += f.species[a] == 1 && x[(size_t)a * 30 + k] == 0.0;
    }
  CHECK(n_h > 0 && zeros == 3 * n_h);
  free(x);
done:
  tn_model_free(m);
  tn_dataset_free(ds);
}

/* ---- batch consistency */

/* Frames 0..2 of the liquid in one batch graph (model_batch_build, the
 * trainer's path), forward, then the hook: each frame's rows equal
 * tn_model_atom_features of the frame alone. With stacked = 1 the
 * workspace has the tangent layout of force training. */
static void batch_of(const char *type) {
  tn_model *m = make_model(type);
  tn_dataset *ds = liquid_frames();
  model_work w;
  int have_work = 0;
  double *batch = NULL, *alone = NULL;
  CHECK(m && ds);
  if (!m || !ds) goto done;
  CHECK_OK(model_work_init(&w));
  have_work = 1;
  int width = tn_model_feature_count(m);
  batch = malloc((size_t)ds->n_atoms * width * sizeof *batch);
  alone = malloc((size_t)ds->n_atoms * width * sizeof *alone);
  if (!batch || !alone) goto done;
  const int64_t which[3] = {0, 1, 2};
  char err[256];
  for (int stacked = 0; stacked <= 1; stacked++) {
    CHECK_OK(model_batch_build(&w.batch, m, w.nl, ds, which, 3, err, sizeof err));
    CHECK_OK(model_work_reserve(&w, m, stacked, err, sizeof err));
    CHECK(w.batch.n_atoms == ds->n_atoms);
    m->arch->forward(m, m->params, w.ws, w.stacked, &w.batch, w.y);
    m->arch->features(m, m->params, w.ws, w.stacked, &w.batch, batch);
    for (int64_t f = 0; f < 3; f++) {
      tn_frame fr;
      tn_dataset_frame(ds, f, &fr);
      double *rows = alone + (size_t)ds->atom_start[f] * width;
      CHECK_OK(tn_model_atom_features(m, &fr, rows));
    }
    double scale = max_abs(alone, (size_t)ds->n_atoms * width), worst = 0.0;
    for (size_t q = 0; q < (size_t)ds->n_atoms * width; q++)
      worst = fmax(worst, fabs(batch[q] - alone[q]));
    if (worst > 1e-6 * scale)
      fprintf(stderr, "  %s stacked %d: batch vs alone %.3g of %.3g\n", type, stacked, worst,
              scale);
    CHECK(scale > 0.1 && worst <= 1e-6 * scale);
  }
done:
  if (have_work) model_work_free(&w);
  free(batch);
  free(alone);
  tn_model_free(m);
  tn_dataset_free(ds);
}

static void test_batch_schnet(void) { batch_of("schnet"); }
static void test_batch_painn(void) { batch_of("painn"); }
static void test_batch_bpnn(void) { batch_of("bpnn"); }

/* ---- bad input */

static void bad_input_of(const char *type) {
  tn_model *m = make_model(type);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_molecule(&c, 2);
  double *x = malloc((size_t)CONFIG_MAXN * tn_model_feature_count(m) * sizeof *x);
  if (!x) goto done;
  /* iron: not one of the model's elements */
  c.z[4] = 26;
  tn_frame f = config_frame(&c);
  CHECK(tn_model_atom_features(m, &f, x) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "Fe") && strstr(tn_model_errmsg(m), "atom 5"));
  /* atoms 2 and 7 at one place */
  make_molecule(&c, 2);
  memcpy(c.pos[6], c.pos[1], sizeof c.pos[6]);
  CHECK(tn_model_atom_features(m, &f, x) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_model_errmsg(m), "same place") != NULL);
  /* missing arguments */
  make_molecule(&c, 2);
  CHECK(tn_model_atom_features(m, NULL, x) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "frame") != NULL);
  CHECK(tn_model_atom_features(m, &f, NULL) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "9 atoms") != NULL);
  /* no atoms: nothing to write, and no array needed */
  config empty;
  memset(&empty, 0, sizeof empty);
  tn_frame e = config_frame(&empty);
  CHECK_OK(tn_model_atom_features(m, &e, NULL));
  double energy = 1.0; /* and the energy of nothing, on a workspace never grown (PaiNN had a
                          memset of NULL there) */
  CHECK_OK(tn_model_eval(m, &e, &energy, NULL, NULL, NULL));
  CHECK(energy == 0.0);
  /* the handle still works after the failures */
  CHECK_OK(tn_model_atom_features(m, &f, x));
done:
  free(x);
  tn_model_free(m);
}

static void test_bad_input_schnet(void) { bad_input_of("schnet"); }
static void test_bad_input_painn(void) { bad_input_of("painn"); }
static void test_bad_input_bpnn(void) { bad_input_of("bpnn"); }

/* An architecture that leaves the hook out (a copy of SchNet's table
 * without it): count 0 and UNSUPPORTED, naming the architecture. */
static void test_unsupported(void) {
  tn_model *m = make_model("schnet");
  CHECK(m != NULL);
  if (!m) return;
  model_arch bare = *m->arch;
  bare.features = NULL;
  bare.feature_count = NULL;
  const model_arch *own = m->arch;
  m->arch = &bare;
  config c;
  make_molecule(&c, 1);
  tn_frame f = config_frame(&c);
  double x[CONFIG_MAXN * NFEAT];
  CHECK(tn_model_feature_count(m) == 0);
  CHECK(tn_model_atom_features(m, &f, x) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(tn_model_errmsg(m), "schnet") != NULL);
  m->arch = own;
  tn_model_free(m);
}

int main(void) {
  RUN(test_feature_counts);
  RUN(test_invariance_schnet);
  RUN(test_invariance_painn);
  RUN(test_invariance_bpnn);
  RUN(test_readout_schnet);
  RUN(test_readout_painn);
  RUN(test_painn_vector_norms);
  RUN(test_bpnn_network_input);
  RUN(test_bpnn_padding_n2p2);
  RUN(test_batch_schnet);
  RUN(test_batch_painn);
  RUN(test_batch_bpnn);
  RUN(test_bad_input_schnet);
  RUN(test_bad_input_painn);
  RUN(test_bad_input_bpnn);
  RUN(test_unsupported);
  return harness_finish();
}
