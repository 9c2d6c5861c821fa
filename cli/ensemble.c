/* Model ensembles: model files told apart by content, and Welford's running
 * mean and spread of the members' predictions. */
#include "ensemble.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"

int ens_is_model_file(const char *path) {
  /* The container magic of src/core/tagfile.h. */
  static const char magic[8] = {'T', 'A', 'N', 'N', 'E', '\r', '\n', '\x1a'};
  char head[8];
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t got = fread(head, 1, sizeof head, f);
  fclose(f);
  return got == sizeof head && memcmp(head, magic, sizeof magic) == 0;
}

int ens_acc_init(ens_acc *acc, int64_t cap) {
  memset(acc, 0, sizeof *acc);
  if (cap < 1) cap = 1;
  acc->mean = malloc((size_t)cap * sizeof *acc->mean);
  acc->m2 = malloc((size_t)cap * sizeof *acc->m2);
  if (!acc->mean || !acc->m2) return 0;
  acc->cap = cap;
  return 1;
}

void ens_acc_free(ens_acc *acc) {
  free(acc->mean);
  free(acc->m2);
  memset(acc, 0, sizeof *acc);
}

void ens_acc_reset(ens_acc *acc, int64_t len) {
  TN_ASSERT(len >= 0 && len <= acc->cap);
  acc->len = len;
  acc->n = 0;
}

void ens_acc_add(ens_acc *acc, const double *x) {
  int64_t len = acc->len;
  if (acc->n == 0) {
    memcpy(acc->mean, x, (size_t)len * sizeof *x);
    memset(acc->m2, 0, (size_t)len * sizeof *acc->m2);
    acc->n = 1;
    return;
  }
  acc->n++;
  for (int64_t k = 0; k < len; k++) {
    /* mean_n = mean_{n-1} + (x - mean_{n-1})/n;
     * m2_n = m2_{n-1} + (x - mean_{n-1})(x - mean_n)  (Welford 1962) */
    double d = x[k] - acc->mean[k];
    acc->mean[k] += d / acc->n;
    acc->m2[k] += d * (x[k] - acc->mean[k]);
  }
}

void ens_acc_std(const ens_acc *acc, int64_t first, int64_t n_out, int group, double *out) {
  TN_ASSERT(acc->n >= 2 && group >= 1 && first >= 0 && first + n_out * group <= acc->len);
  double inv = 1.0 / (acc->n - 1);
  for (int64_t k = 0; k < n_out; k++) {
    const double *m2 = acc->m2 + first + k * group;
    double sum = 0.0;
    for (int j = 0; j < group; j++) sum += m2[j];
    out[k] = sqrt(sum * inv);
  }
}
