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
  tn_neighbors *nl = NULL;
  double *g = NULL;
  int64_t cap = 0;
  char why[512];
  tn_status st = tn_model_create(&m, &o, el, ne, 0, why, sizeof why);
  if (st != TN_STATUS_OK) {
    st = tn_fail(err, err_len, st, "ACSF descriptors: %s", why);
    goto fail;
  }
  const bp_layout *L = m->layout;
  int n_sf = L->el[0].n_sf; /* the same for every element (bpnn_setup) */
  st = layout(f, a, b, ne + n_sf, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  if (!(nl = tn_neighbors_create())) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  const tn_dataset *sets[2] = {a, b};
  int64_t atom = 0, done = 0, total = f->n_groups;
  for (int s = 0; s < 2; s++)
    for (int64_t fr = 0; fr < sets[s]->n_frames; fr++) {
      tn_frame frame;
      tn_dataset_frame(sets[s], fr, &frame);
      if (tn_grow((void **)&g, &cap, (int64_t)frame.n_atoms * L->max_sf + 1, sizeof *g)) {
        st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
        goto fail;
      }
      st = bpnn_descriptors(m, nl, &frame, 0, g, why, sizeof why);
      if (st != TN_STATUS_OK) {
        f->bad_set = s;
        f->bad_frame = fr;
        st = tn_fail(err, err_len, st, "ACSF descriptors: %s", why);
        goto fail;
      }
      for (int i = 0; i < frame.n_atoms; i++, atom++) {
        double *row = f->x + atom * f->d;
        memset(row, 0, (size_t)ne * sizeof *row);
        row[model_element_index(m, frame.species[i])] = 1.0;
        memcpy(row + ne, g + (size_t)i * L->max_sf, (size_t)n_sf * sizeof *row);
      }
      if (progress && (++done % 256 == 0 || done == total)) progress(user, (int)done, (int)total);
    }
fail:
  free(g);
  tn_neighbors_free(nl);
  tn_model_free(m);
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
  const tn_dataset *sets[2] = {a, b};
  int64_t atom = 0, done = 0, total = f->n_groups;
  for (int s = 0; s < 2; s++)
    for (int64_t fr = 0; fr < sets[s]->n_frames; fr++) {
      tn_frame frame;
      tn_dataset_frame(sets[s], fr, &frame);
      st = tn_model_atom_features(m, &frame, f->x + atom * f->d);
      if (st != TN_STATUS_OK) {
        f->bad_set = s;
        f->bad_frame = fr;
        return tn_fail(err, err_len, st, "model features: %s", tn_model_errmsg(m));
      }
      atom += frame.n_atoms;
      if (progress && (++done % 256 == 0 || done == total)) progress(user, (int)done, (int)total);
    }
  return TN_STATUS_OK;
}
