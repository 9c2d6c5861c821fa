/* Local environments as element plus neighbour composition, e.g. "C(C1 H3)":
 * a summary a chemist can read of where the classifier finds A and B
 * different. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advval.h"

/* Covalent radii (Å) of Z = 1..36, Cordero et al., Dalton Trans. 2832
 * (2008); sp3 carbon, low-spin Mn, Fe, Co. */
static const double covalent_radius[37] = {
    0.0,  0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41,
    1.21, 1.11, 1.07, 1.05, 1.02, 1.06, 2.03, 1.76, 1.70, 1.60, 1.53, 1.39, 1.39,
    1.32, 1.26, 1.24, 1.32, 1.22, 1.22, 1.20, 1.19, 1.20, 1.20, 1.16};
#define BOND_FACTOR     1.2
#define FALLBACK_RADIUS 1.5

static double radius(int32_t z) { return z >= 1 && z <= 36 ? covalent_radius[z] : FALLBACK_RADIUS; }

/* Writes the key of atom i of frame (neighbours from nl) into key. */
static void env_key(char *key, size_t len, const tn_frame *fr, const tn_neighbors *nl, int i,
                    double cutoff) {
  int32_t el[16];
  int count[16], ne = 0, other = 0;
  for (int64_t p = nl->first[i]; p < nl->first[i + 1]; p++) {
    int j = nl->j[p];
    if (cutoff <= 0.0) {
      double d[3];
      for (int c = 0; c < 3; c++) {
        d[c] = fr->pos[j][c] - fr->pos[i][c];
        for (int q = 0; q < 3; q++) d[c] += nl->shift[p][q] * fr->cell[q][c];
      }
      double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      if (r >= BOND_FACTOR * (radius(fr->species[i]) + radius(fr->species[j]))) continue;
    }
    int32_t zj = fr->species[j];
    int k = 0;
    while (k < ne && el[k] < zj) k++;
    if (k < ne && el[k] == zj) {
      count[k]++;
      continue;
    }
    if (ne == 16) { /* more neighbour elements than a key can list */
      other++;
      continue;
    }
    memmove(el + k + 1, el + k, (size_t)(ne - k) * sizeof *el);
    memmove(count + k + 1, count + k, (size_t)(ne - k) * sizeof *count);
    el[k] = zj;
    count[k] = 1;
    ne++;
  }
  size_t at = (size_t)snprintf(key, len, "%s(", tn_element_symbol(fr->species[i]));
  for (int k = 0; k < ne && at < len; k++) {
    char n[16];
    if (count[k] > 99)
      snprintf(n, sizeof n, "99+");
    else
      snprintf(n, sizeof n, "%d", count[k]);
    at += (size_t)snprintf(key + at, len - at, "%s%s%s", k ? " " : "", tn_element_symbol(el[k]), n);
  }
  if (at < len && other) at += (size_t)snprintf(key + at, len - at, " +%d", other);
  if (at < len) snprintf(key + at, len - at, ")");
}

typedef struct keyed {
  const char *key;
  int64_t atom;
} keyed;

static int by_key(const void *pa, const void *pb) {
  const keyed *a = pa, *b = pb;
  int c = strcmp(a->key, b->key);
  return c ? c : (a->atom > b->atom) - (a->atom < b->atom);
}

tn_status av_environments(av_env **envs, int64_t *n_envs, int64_t *env_of_atom, const tn_dataset *a,
                          const tn_dataset *b, const double *p_b, double cutoff, int *bad_set,
                          int64_t *bad_frame, char *err, size_t err_len) {
  *envs = NULL;
  *n_envs = 0;
  *bad_set = -1;
  *bad_frame = -1;
  const tn_dataset *sets[2] = {a, b};
  int64_t n = a->n_atoms + b->n_atoms;
  enum { KEY = sizeof(((av_env *)0)->key) };
  char *keys = malloc((size_t)(n > 0 ? n : 1) * KEY);
  keyed *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
  av_env *out = NULL;
  tn_neighbors *nl = tn_neighbors_create();
  tn_status st = TN_STATUS_OK;
  if (!keys || !order || !nl) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "environments: out of memory");
    goto done;
  }
  double max_radius = 0.0;
  for (int s = 0; s < 2; s++)
    for (int64_t i = 0; i < sets[s]->n_atoms; i++)
      if (radius(sets[s]->species[i]) > max_radius) max_radius = radius(sets[s]->species[i]);
  double reach = cutoff > 0.0 ? cutoff : 2.0 * BOND_FACTOR * max_radius;
  int64_t atom = 0;
  for (int s = 0; s < 2; s++)
    for (int64_t f = 0; f < sets[s]->n_frames; f++) {
      tn_frame fr;
      tn_dataset_frame(sets[s], f, &fr);
      st = tn_neighbors_build(nl, fr.pos, fr.n_atoms, (const double(*)[3])fr.cell, fr.pbc, reach);
      if (st != TN_STATUS_OK) {
        *bad_set = s;
        *bad_frame = f;
        st = tn_fail(err, err_len, st, "environments: %s", nl->errmsg);
        goto done;
      }
      for (int i = 0; i < fr.n_atoms; i++, atom++) {
        env_key(keys + atom * KEY, KEY, &fr, nl, i, cutoff);
        order[atom] = (keyed){keys + atom * KEY, atom};
      }
    }
  qsort(order, (size_t)n, sizeof *order, by_key);
  int64_t m = 0;
  for (int64_t q = 0; q < n; q++) m += q == 0 || strcmp(order[q].key, order[q - 1].key) != 0;
  out = calloc((size_t)(m > 0 ? m : 1), sizeof *out);
  if (!out) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "environments: out of memory");
    goto done;
  }
  int64_t e = -1;
  for (int64_t q = 0; q < n; q++) {
    int64_t i = order[q].atom;
    if (q == 0 || strcmp(order[q].key, order[q - 1].key) != 0) {
      e++;
      snprintf(out[e].key, sizeof out[e].key, "%s", order[q].key);
      out[e].z = i < a->n_atoms ? a->species[i] : b->species[i - a->n_atoms];
    }
    if (i < a->n_atoms)
      out[e].n_a++;
    else
      out[e].n_b++;
    out[e].mean_p += p_b ? p_b[i] : NAN;
    if (env_of_atom) env_of_atom[i] = e;
  }
  for (int64_t k = 0; k < m; k++) out[k].mean_p /= (double)(out[k].n_a + out[k].n_b);
  *envs = out;
  *n_envs = m;
  out = NULL;
done:
  free(out);
  free(keys);
  free(order);
  tn_neighbors_free(nl);
  return st;
}
