/* tn_model_eval_with: a Verlet list with a skin (built for earlier
 * positions, at a larger cutoff) gives what a fresh list gives, and padding
 * atoms (periodic images as an open cluster around the cell, the way a
 * domain decomposition hands them over) give the periodic energy, forces and
 * virial once their forces are folded back onto the atoms they image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"
#include "harness.h"

#define BOX_N       27
#define CLUSTER_MAX 4096

/* 27 argon atoms on a jittered simple-cubic lattice in a 10.8 Å box. */
static void make_box(config *c, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  memset(c, 0, sizeof *c);
  c->n = BOX_N;
  double a = 3.6;
  for (int k = 0; k < BOX_N; k++) {
    c->z[k] = 18;
    int idx[3] = {k % 3, (k / 3) % 3, k / 9};
    for (int x = 0; x < 3; x++) c->pos[k][x] = a * idx[x] + 0.4 * (tn_rng_uniform(&rng) - 0.5);
  }
  for (int x = 0; x < 3; x++) {
    c->cell[x][x] = 3 * a;
    c->pbc[x] = 1;
  }
  c->cell[1][0] = 0.7; /* triclinic */
}

static tn_model *make_model(const char *type, int interactions) {
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "%s", type);
  o.features = 16;
  o.interactions = interactions;
  o.n_basis = 8;
  o.cutoff = 5.0;
  int32_t el[1] = {18};
  tn_model *m = NULL;
  char err[256];
  if (tn_model_create(&m, &o, el, 1, 7, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  /* A scale away from 1 (and forces well above round-off) so that a wrong σ in a gradient shows. */
  double shift[1] = {-0.3};
  tn_model_set_shifts(m, shift, 2.0);
  return m;
}

static double max_abs_diff(const double *a, const double *b, int n, double *scale) {
  double d = 0.0, s = 0.0;
  for (int k = 0; k < n; k++) {
    d = fmax(d, fabs(a[k] - b[k]));
    s = fmax(s, fabs(b[k]));
  }
  *scale = s;
  return d;
}

/* Tolerances: the edges come in another order than in a fresh list, so sums
 * differ by float32 round-off (the default build) or float64 (DOUBLE=1). */
static double tol(void) { return tn_real_size() == 4 ? 2e-5 : 1e-11; }

static void check_skin(const char *type) {
  tn_model *m = make_model(type, 2);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_box(&c, 3);
  tn_neighbors *nl = tn_neighbors_create();
  CHECK_OK(tn_neighbors_build(nl, (const double(*)[3])c.pos, c.n, (const double(*)[3])c.cell, c.pbc,
                              5.0 + 1.0));
  /* Move every atom by up to 0.45 Å, under half the 1 Å skin. */
  tn_rng rng;
  tn_rng_seed(&rng, 11);
  for (int k = 0; k < c.n; k++)
    for (int x = 0; x < 3; x++) c.pos[k][x] += 0.52 * (tn_rng_uniform(&rng) - 0.5);
  tn_frame fr = config_frame(&c);
  double e_ref, f_ref[BOX_N][3], s_ref[3][3], ea_ref[BOX_N];
  CHECK_OK(tn_model_eval(m, &fr, &e_ref, f_ref, s_ref, ea_ref));
  tn_eval_options opt = {.neighbors = nl};
  double e, f[BOX_N][3], w[3][3], ea[BOX_N];
  CHECK_OK(tn_model_eval_with(m, &fr, &opt, &e, f, w, ea));
  double vol = fabs(c.cell[0][0] * c.cell[1][1] * c.cell[2][2]), scale;
  CHECK_NEAR(e, e_ref, tol(), 0.0);
  CHECK(max_abs_diff(&f[0][0], &f_ref[0][0], 3 * BOX_N, &scale) <= tol() * scale);
  CHECK(scale > 1e-3); /* the forces are not trivially zero */
  CHECK(max_abs_diff(ea, ea_ref, BOX_N, &scale) <= tol() * scale);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) w[x][y] /= vol;
  CHECK(max_abs_diff(&w[0][0], &s_ref[0][0], 9, &scale) <= tol() * scale);

  /* A list without the skin misses pairs that came within the cutoff: the
   * energy then differs, so the comparison above can fail. */
  tn_neighbors *tight = tn_neighbors_create();
  config c0;
  make_box(&c0, 3);
  CHECK_OK(tn_neighbors_build(tight, (const double(*)[3])c0.pos, c0.n, (const double(*)[3])c0.cell,
                              c0.pbc, 5.0));
  tn_eval_options bad = {.neighbors = tight};
  double f_bad[BOX_N][3];
  CHECK_OK(tn_model_eval_with(m, &fr, &bad, NULL, f_bad, NULL, NULL));
  CHECK(max_abs_diff(&f_bad[0][0], &f_ref[0][0], 3 * BOX_N, &scale) > 100 * tol() * scale);
  tn_neighbors_free(tight);

  /* A list for other atoms, or of a smaller cutoff, is refused. */
  tn_neighbors *small = tn_neighbors_create();
  CHECK_OK(tn_neighbors_build(small, (const double(*)[3])c.pos, c.n, (const double(*)[3])c.cell,
                              c.pbc, 4.0));
  tn_eval_options o2 = {.neighbors = small};
  CHECK(tn_model_eval_with(m, &fr, &o2, &e, NULL, NULL, NULL) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "cutoff") != NULL);
  fr.n_atoms = c.n - 1;
  CHECK(tn_model_eval_with(m, &fr, &opt, &e, NULL, NULL, NULL) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(tn_model_errmsg(m), "atoms") != NULL);
  tn_neighbors_free(small);
  tn_neighbors_free(nl);
  tn_model_free(m);
}

static void test_skin_schnet(void) { check_skin("schnet"); }
static void test_skin_painn(void) { check_skin("painn"); }
static void test_skin_bpnn(void) { check_skin("bpnn"); }

/* The periodic box as an open cluster: the cell's atoms (contributing) and
 * every image within `pad` of the cell (padding), with owner[] the atom an
 * image belongs to. */
typedef struct cluster {
  int n;
  int32_t z[CLUSTER_MAX];
  double pos[CLUSTER_MAX][3];
  int owner[CLUSTER_MAX];
  uint8_t contributing[CLUSTER_MAX];
} cluster;

static void make_cluster(cluster *cl, const config *c, double pad) {
  cl->n = 0;
  for (int k = 0; k < c->n; k++) {
    cl->z[cl->n] = c->z[k];
    memcpy(cl->pos[cl->n], c->pos[k], sizeof cl->pos[0]);
    cl->owner[cl->n] = k;
    cl->contributing[cl->n++] = 1;
  }
  /* The box's atoms lie in [-0.5, 11.5] along each axis (with the tilt);
   * an image counts when it is within pad of an atom of the cell. */
  for (int s0 = -2; s0 <= 2; s0++)
    for (int s1 = -2; s1 <= 2; s1++)
      for (int s2 = -2; s2 <= 2; s2++) {
        if (!s0 && !s1 && !s2) continue;
        for (int k = 0; k < c->n; k++) {
          double p[3];
          for (int x = 0; x < 3; x++)
            p[x] = c->pos[k][x] + s0 * c->cell[0][x] + s1 * c->cell[1][x] + s2 * c->cell[2][x];
          double best = INFINITY;
          for (int q = 0; q < c->n; q++) {
            double d2 = 0.0;
            for (int x = 0; x < 3; x++) d2 += (p[x] - c->pos[q][x]) * (p[x] - c->pos[q][x]);
            best = fmin(best, d2);
          }
          if (best >= pad * pad || cl->n >= CLUSTER_MAX) continue;
          cl->z[cl->n] = c->z[k];
          memcpy(cl->pos[cl->n], p, sizeof p);
          cl->owner[cl->n] = k;
          cl->contributing[cl->n++] = 0;
        }
      }
}

/* Padding out to interactions × cutoff (the influence distance a KIM driver
 * declares) reproduces the periodic result; one hop less does not. */
static void check_padding(const char *type, int interactions) {
  tn_model *m = make_model(type, interactions);
  CHECK(m != NULL);
  if (!m) return;
  config c;
  make_box(&c, 5);
  tn_frame fr = config_frame(&c);
  double e_ref, f_ref[BOX_N][3], s_ref[3][3];
  CHECK_OK(tn_model_eval(m, &fr, &e_ref, f_ref, s_ref, NULL));
  int hops = tn_model_hops(m);
  CHECK(hops == (strcmp(type, "bpnn") == 0 ? 1 : interactions));
  static cluster cl;
  make_cluster(&cl, &c, hops * 5.0);
  CHECK(cl.n < CLUSTER_MAX);
  tn_frame open = {.n_atoms = cl.n, .species = cl.z, .pos = (const double(*)[3])cl.pos};
  tn_eval_options opt = {.contributing = cl.contributing};
  static double f[CLUSTER_MAX][3];
  double e, w[3][3];
  CHECK_OK(tn_model_eval_with(m, &open, &opt, &e, f, w, NULL));
  double folded[BOX_N][3] = {{0.0}};
  for (int k = 0; k < cl.n; k++)
    for (int x = 0; x < 3; x++) folded[cl.owner[k]][x] += f[k][x];
  double vol = c.cell[0][0] * c.cell[1][1] * c.cell[2][2], scale;
  CHECK_NEAR(e, e_ref, tol(), 0.0);
  CHECK(max_abs_diff(&folded[0][0], &f_ref[0][0], 3 * BOX_N, &scale) <= tol() * scale);
  CHECK(scale > 1e-3);
  for (int x = 0; x < 3; x++)
    for (int y = 0; y < 3; y++) w[x][y] /= vol;
  CHECK(max_abs_diff(&w[0][0], &s_ref[0][0], 9, &scale) <= tol() * scale);
  if (hops > 1) {
    make_cluster(&cl, &c, (hops - 1) * 5.0);
    open.n_atoms = cl.n;
    CHECK_OK(tn_model_eval_with(m, &open, &opt, NULL, f, NULL, NULL));
    memset(folded, 0, sizeof folded);
    for (int k = 0; k < cl.n; k++)
      for (int x = 0; x < 3; x++) folded[cl.owner[k]][x] += f[k][x];
    double miss = max_abs_diff(&folded[0][0], &f_ref[0][0], 3 * BOX_N, &scale);
    fprintf(stderr, "  %s: one hop short of padding: forces off by %.3g of %.3g\n", type, miss,
            scale);
    CHECK(miss > 100 * tol() * scale);
  }
  tn_model_free(m);
}

static void test_padding_schnet(void) { check_padding("schnet", 2); }
static void test_padding_painn(void) { check_padding("painn", 2); }
static void test_padding_bpnn(void) { check_padding("bpnn", 1); }

int main(void) {
  RUN(test_skin_schnet);
  RUN(test_skin_painn);
  RUN(test_skin_bpnn);
  RUN(test_padding_schnet);
  RUN(test_padding_painn);
  RUN(test_padding_bpnn);
  return harness_finish();
}
