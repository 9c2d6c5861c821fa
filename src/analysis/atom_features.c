/* Per-atom features of two data sets for adversarial validation: ACSF
 * descriptors (through the BPNN descriptor code, on a model that is never
 * trained) or a trained model's atom representations. */
#include <stdlib.h>
#include <string.h>

#include "../models/bpnn.h"
#include "advval.h"

void av_features_free(av_features *f) {
  free(f->x);
  free(f->z);
  free(f->group_of_item);
  free(f->group_is_b);
  memset(f, 0, sizeof *f);
  f->bad_set = -1;
  f->bad_frame = -1;
}

/* Sizes f for the frames of a then b with d features per atom and fills
 * everything but x. */
static tn_status layout(av_features *f, const tn_dataset *a, const tn_dataset *b, int d, char *err,
                        size_t err_len) {
  if (!a || !b || a->n_frames < 1 || b->n_frames < 1)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "adversarial validation: both data sets need frames");
  if (d < 1) return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "d = %d: no features", d);
  f->d = d;
  f->n_atoms_a = a->n_atoms;
  f->n_atoms = a->n_atoms + b->n_atoms;
  f->n_a = a->n_frames;
  f->n_groups = a->n_frames + b->n_frames;
  size_t n = (size_t)f->n_atoms;
  if ((uint64_t)n > SIZE_MAX / sizeof(double) / (size_t)d)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%lld atoms x %d features: too many",
                   (long long)n, d);
  f->x = malloc(n * (size_t)d * sizeof *f->x);
  f->z = malloc(n * sizeof *f->z);
  f->group_of_item = malloc(n * sizeof *f->group_of_item);
  f->group_is_b = malloc((size_t)f->n_groups);
  if (!f->x || !f->z || !f->group_of_item || !f->group_is_b)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%lld atoms x %d features: out of memory",
                   (long long)n, d);
  const tn_dataset *sets[2] = {a, b};
  int64_t atom = 0, group = 0;
  for (int s = 0; s < 2; s++)
    for (int64_t fr = 0; fr < sets[s]->n_frames; fr++, group++) {
      f->group_is_b[group] = (uint8_t)s;
      for (int64_t i = sets[s]->atom_start[fr]; i < sets[s]->atom_start[fr + 1]; i++, atom++) {
        f->z[atom] = sets[s]->species[i];
        f->group_of_item[atom] = group;
      }
    }
  return TN_STATUS_OK;
}

/* The elements of a and b, ascending; returns the count or -1 beyond 16. */
static int union_elements(int32_t *out, const tn_dataset *a, const tn_dataset *b) {
  int n = 0;
  const tn_dataset *sets[2] = {a, b};
  for (int s = 0; s < 2; s++)
    for (int64_t i = 0; i < sets[s]->n_atoms; i++) {
      int32_t zi = sets[s]->species[i];
      int k = 0;
      while (k < n && out[k] < zi) k++;
      if (k < n && out[k] == zi) continue;
      if (n == 16) return -1;
      memmove(out + k + 1, out + k, (size_t)(n - k) * sizeof *out);
      out[k] = zi;
      n++;
    }
  return n;
}

/* Computes the rows of one frame: rows [n_atoms][f->d] (Å, dimensionless
 * features); errors into why. */
typedef tn_status (*frame_rows_fn)(void *ctx, const tn_frame *frame, double *rows, char *why,
                                   size_t why_len);

/* Fills f->x frame by frame, A's then B's, with rows_of; a failure names
 * its set and frame in f->bad_set, f->bad_frame, and is prefixed by what. */
static tn_status fill_rows(av_features *f, const tn_dataset *a, const tn_dataset *b,
                           frame_rows_fn rows_of, void *ctx, const char *what,
                           tn_progress_fn progress, void *user, char *err, size_t err_len) {
  const tn_dataset *sets[2] = {a, b};
  int64_t atom = 0, done = 0, total = f->n_groups;
  char why[512];
  for (int s = 0; s < 2; s++)
    for (int64_t fr = 0; fr < sets[s]->n_frames; fr++) {
      tn_frame frame;
      tn_dataset_frame(sets[s], fr, &frame);
      tn_status st = rows_of(ctx, &frame, f->x + atom * f->d, why, sizeof why);
      if (st != TN_STATUS_OK) {
        f->bad_set = s;
        f->bad_frame = fr;
        return tn_fail(err, err_len, st, "%s: %s", what, why);
      }
      atom += frame.n_atoms;
      if (progress && (++done % 256 == 0 || done == total)) progress(user, (int)done, (int)total);
    }
  return TN_STATUS_OK;
}

/* ACSF rows through a BPNN model's descriptor code: the element one-hot,
 * then the raw symmetry functions. */
typedef struct acsf_ctx {
  const tn_model *m;
  tn_neighbors *nl;
  double *g; /* [atoms][layout max_sf] scratch */
  int64_t cap;
  int ne, n_sf;
} acsf_ctx;

static tn_status acsf_rows(void *ctx, const tn_frame *frame, double *rows, char *why,
                           size_t why_len) {
  acsf_ctx *c = ctx;
  const bp_layout *L = c->m->layout;
  if (tn_grow((void **)&c->g, &c->cap, (int64_t)frame->n_atoms * L->max_sf + 1, sizeof *c->g))
    return tn_fail(why, why_len, TN_STATUS_NO_MEMORY, "out of memory");
  tn_status st = bpnn_descriptors(c->m, c->nl, frame, 0, c->g, why, why_len);
  if (st != TN_STATUS_OK) return st;
  int d = c->ne + c->n_sf;
  for (int i = 0; i < frame->n_atoms; i++) {
    double *row = rows + (size_t)i * d;
    memset(row, 0, (size_t)c->ne * sizeof *row);
    row[model_element_index(c->m, frame->species[i])] = 1.0;
    memcpy(row + c->ne, c->g + (size_t)i * L->max_sf, (size_t)c->n_sf * sizeof *row);
  }
  return TN_STATUS_OK;
}

tn_status av_features_acsf(av_features *f, const tn_dataset *a, const tn_dataset *b, double cutoff,
                           int radial, int angular, tn_progress_fn progress, void *user, char *err,
                           size_t err_len) {
  memset(f, 0, sizeof *f);
  f->bad_set = -1;
  f->bad_frame = -1;
  if (!a || !b) return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "NULL data set");
  int32_t el[16];
  int ne = union_elements(el, a, b);
  if (ne < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "the two data sets hold more than 16 elements together");
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "bpnn");
  o.cutoff = cutoff;
  o.acsf_radial = radial;
  o.acsf_angular = angular;
  o.features = 1;
  o.interactions = 1;
  tn_model *m = NULL;
  acsf_ctx c = {0};
  char why[512];
  tn_status st = tn_model_create(&m, &o, el, ne, 0, why, sizeof why);
  if (st != TN_STATUS_OK) {
    st = tn_fail(err, err_len, st, "ACSF descriptors: %s", why);
    goto fail;
  }
  c.m = m;
  c.ne = ne;
  c.n_sf = ((const bp_layout *)m->layout)->el[0].n_sf; /* the same for every element */
  st = layout(f, a, b, ne + c.n_sf, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  if (!(c.nl = tn_neighbors_create())) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  st = fill_rows(f, a, b, acsf_rows, &c, "ACSF descriptors", progress, user, err, err_len);
fail:
  free(c.g);
  tn_neighbors_free(c.nl);
  tn_model_free(m);
  return st;
}

static tn_status model_rows(void *ctx, const tn_frame *frame, double *rows, char *why,
                            size_t why_len) {
  tn_model *m = ctx;
  tn_status st = tn_model_atom_features(m, frame, rows);
  if (st != TN_STATUS_OK) tn_fail(why, why_len, st, "%s", tn_model_errmsg(m));
  return st;
}

tn_status av_features_model(av_features *f, tn_model *m, const tn_dataset *a, const tn_dataset *b,
                            tn_progress_fn progress, void *user, char *err, size_t err_len) {
  memset(f, 0, sizeof *f);
  f->bad_set = -1;
  f->bad_frame = -1;
  if (!m || !a || !b) return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "NULL argument");
  tn_status st = layout(f, a, b, tn_model_feature_count(m), err, err_len);
  if (st != TN_STATUS_OK) return st;
  return fill_rows(f, a, b, model_rows, m, "model features", progress, user, err, err_len);
}
