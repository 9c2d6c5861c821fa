/* Seeded train/validation/test splits and their text file:
 *
 *   # tanne split v1
 *   frames 1000
 *   seed 42
 *   train 800
 *   <800 indices, whitespace-separated>
 *   val 100
 *   <...>
 *   test 100
 *   <...>
 *
 * Loading checks every index against the frame count and rejects repeats, so
 * that a split cannot silently leak frames between sets. */
#include <errno.h>
#include <string.h>

#include "core.h"

void tn_split_free(tn_split *split) {
  if (!split) return;
  free(split->train);
  memset(split, 0, sizeof *split);
}

static void split_point(tn_split *s, int64_t *all, int64_t n_train, int64_t n_val, int64_t n_test) {
  s->train = all;
  s->val = all + n_train;
  s->test = all + n_train + n_val;
  s->n_train = n_train;
  s->n_val = n_val;
  s->n_test = n_test;
}

tn_status tn_split_make(tn_split *split, int64_t n_frames, double f_train, double f_val,
                        double f_test, uint64_t seed) {
  memset(split, 0, sizeof *split);
  if (n_frames < 0 || !(f_train >= 0 && f_val >= 0 && f_test >= 0) ||
      f_train + f_val + f_test > 1.0 + 1e-12)
    return TN_STATUS_INVALID_ARG;
  int64_t *all = malloc((size_t)(n_frames > 0 ? n_frames : 1) * sizeof *all);
  if (!all) return TN_STATUS_NO_MEMORY;
  for (int64_t k = 0; k < n_frames; k++) all[k] = k;
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int64_t k = n_frames - 1; k > 0; k--) { /* Fisher-Yates */
    int64_t m = (int64_t)(tn_rng_next(&rng) % (uint64_t)(k + 1));
    int64_t t = all[k];
    all[k] = all[m];
    all[m] = t;
  }
  int64_t n_train = (int64_t)(f_train * (double)n_frames + 0.5);
  int64_t n_val = (int64_t)(f_val * (double)n_frames + 0.5);
  if (n_train > n_frames) n_train = n_frames;
  if (n_val > n_frames - n_train) n_val = n_frames - n_train;
  int64_t n_test = (int64_t)(f_test * (double)n_frames + 0.5);
  if (n_test > n_frames - n_train - n_val) n_test = n_frames - n_train - n_val;
  split->n_frames = n_frames;
  split->seed = seed;
  split_point(split, all, n_train, n_val, n_test);
  return TN_STATUS_OK;
}

static void write_set(FILE *f, const char *name, const int64_t *idx, int64_t n) {
  fprintf(f, "%s %lld\n", name, (long long)n);
  for (int64_t k = 0; k < n; k++)
    fprintf(f, "%lld%c", (long long)idx[k], (k % 16 == 15 || k == n - 1) ? '\n' : ' ');
}

tn_status tn_split_save(const tn_split *s, const char *path, char *err, size_t err_len) {
  char tmp[4096];
  FILE *f = tn_open_temp(path, tmp, sizeof tmp);
  if (!f) return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
  fprintf(f, "# tanne split v1\nframes %lld\nseed %llu\n", (long long)s->n_frames,
          (unsigned long long)s->seed);
  write_set(f, "train", s->train, s->n_train);
  write_set(f, "val", s->val, s->n_val);
  write_set(f, "test", s->test, s->n_test);
  return tn_commit_file(f, tmp, path, err, err_len);
}

/* A tiny tokenizer that knows the line it is on, for error messages. */
typedef struct {
  const char *p, *path;
  int line;
} split_reader;

static int next_token(split_reader *r, char *tok, size_t len) {
  for (;;) {
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')
      if (*r->p++ == '\n') r->line++;
    if (*r->p != '#') break;
    while (*r->p && *r->p != '\n') r->p++;
  }
  size_t n = 0;
  while (*r->p && !strchr(" \t\r\n", *r->p)) {
    if (n + 1 >= len) return -1;
    tok[n++] = *r->p++;
  }
  tok[n] = '\0';
  return n > 0 ? 0 : -1;
}

static tn_status read_count(split_reader *r, const char *key, long long max, long long *out,
                            char *err, size_t err_len) {
  char tok[64];
  if (next_token(r, tok, sizeof tok) || strcmp(tok, key) != 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s:%d: expected '%s'", r->path, r->line,
                   key);
  char *end;
  errno = 0;
  if (next_token(r, tok, sizeof tok)) goto bad;
  long long v = strtoll(tok, &end, 10);
  if (*end || errno || v < 0 || v > max) goto bad;
  *out = v;
  return TN_STATUS_OK;
bad:
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s:%d: field '%s': not a count in 0..%lld",
                 r->path, r->line, key, max);
}

tn_status tn_split_load(tn_split *s, const char *path, char *err, size_t err_len) {
  memset(s, 0, sizeof *s);
  char *text;
  size_t len;
  tn_status st = tn_read_file(path, &text, &len, err, err_len);
  if (st != TN_STATUS_OK) return st;
  split_reader r = {text, path, 1};
  long long n_frames, counts[3];
  uint8_t *seen = NULL;
  int64_t *all = NULL;
  const char *names[3] = {"train", "val", "test"};
  char tok[64];
  if ((st = read_count(&r, "frames", INT64_MAX / 16, &n_frames, err, err_len))) goto fail;
  if (next_token(&r, tok, sizeof tok) || strcmp(tok, "seed") != 0 ||
      next_token(&r, tok, sizeof tok)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s:%d: expected 'seed N'", path, r.line);
    goto fail;
  }
  errno = 0;
  char *end;
  unsigned long long seed = strtoull(tok, &end, 10);
  if (*end || errno) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s:%d: field 'seed': not an integer", path,
                 r.line);
    goto fail;
  }
  seen = calloc((size_t)(n_frames > 0 ? n_frames : 1), 1);
  all = malloc((size_t)(n_frames > 0 ? n_frames : 1) * sizeof *all);
  if (!seen || !all) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", path);
    goto fail;
  }
  int64_t used = 0;
  for (int k = 0; k < 3; k++) {
    if ((st = read_count(&r, names[k], n_frames - used, &counts[k], err, err_len))) goto fail;
    for (long long m = 0; m < counts[k]; m++) {
      errno = 0;
      if (next_token(&r, tok, sizeof tok)) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s:%d: set '%s' ends after %lld of %lld indices", path, r.line, names[k], m,
                     counts[k]);
        goto fail;
      }
      long long v = strtoll(tok, &end, 10);
      if (*end || errno || v < 0 || v >= n_frames || seen[v]) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s:%d: set '%s': index '%s' is not a new frame in 0..%lld", path, r.line,
                     names[k], tok, n_frames - 1);
        goto fail;
      }
      seen[v] = 1;
      all[used++] = v;
    }
  }
  if (next_token(&r, tok, sizeof tok) == 0) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s:%d: unexpected '%s' after the test set",
                 path, r.line, tok);
    goto fail;
  }
  free(seen);
  free(text);
  s->n_frames = n_frames;
  s->seed = seed;
  split_point(s, all, counts[0], counts[1], counts[2]);
  return TN_STATUS_OK;
fail:
  free(seen);
  free(all);
  free(text);
  return st;
}
