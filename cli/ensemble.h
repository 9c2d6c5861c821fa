/* Model ensembles: telling model files from data files, and the mean and
 * sample spread of several models' predictions, accumulated one model at a
 * time so that no member's prediction has to be kept. Used by
 * `tanne predict M1.tnm M2.tnm ... IN...`. Only cli/ prints; these do not. */
#ifndef TN_CLI_ENSEMBLE_H
#define TN_CLI_ENSEMBLE_H

#include <stdint.h>

/* 1 if path opens and starts with the magic of tanne's binary files
 * ("TANNE\r\n\x1a", src/core/tagfile.h), else 0. Only the 8 bytes are
 * read: whether it is a loadable model (and not, say, a checkpoint or a
 * corrupted file) is for tn_model_load to say, with its message. */
int ens_is_model_file(const char *path);

/* Running mean and sum of squared deviations of len values over the
 * members added so far (Welford's update, B. P. Welford, Technometrics 4,
 * 419 (1962)): stable when the members agree to many digits, and exact
 * when they agree exactly (the spread is then 0.0, the mean the common
 * value bit for bit). */
typedef struct ens_acc {
  int64_t cap;  /* values the buffers hold */
  int64_t len;  /* values per member in the current round */
  int n;        /* members added in the current round */
  double *mean; /* [cap]; [len] valid */
  double *m2;   /* [cap]; Σ_m (x_m - mean)² */
} ens_acc;

/* Buffers for up to cap values (cap >= 1). 0 when out of memory, with acc
 * left safe to free. */
int ens_acc_init(ens_acc *acc, int64_t cap);
void ens_acc_free(ens_acc *acc);

/* Starts a round of len values (0 <= len <= cap) with no members. */
void ens_acc_reset(ens_acc *acc, int64_t len);

/* Adds one member's values x[len]. The first member's values are copied,
 * so with one member the mean is x bit for bit (signed zeros included). */
void ens_acc_add(ens_acc *acc, const double *x);

/* The spread of values [first, first + n_out * group), for acc->n >= 2:
 *   out[k] = sqrt( Σ_{j<group} m2[first + k·group + j] / (n - 1) ),
 * the sample standard deviation (n - 1 denominator) for group 1; for
 * group 3 on forces, sqrt( (1/(M-1)) Σ_m |F_m,i - F̄_i|² ), the spread of
 * the deviation vectors' lengths, one number per atom. */
void ens_acc_std(const ens_acc *acc, int64_t first, int64_t n_out, int group, double *out);

#endif
