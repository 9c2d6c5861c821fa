/* Status names and the shared error, growth and file helpers of core.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

const char *tn_status_str(tn_status status) {
  switch (status) {
  case TN_STATUS_OK: return "ok";
  case TN_STATUS_BAD_INPUT: return "bad input";
  case TN_STATUS_IO: return "i/o error";
  case TN_STATUS_NO_MEMORY: return "out of memory";
  case TN_STATUS_UNSUPPORTED: return "unsupported";
  case TN_STATUS_NOT_FOUND: return "not found";
  case TN_STATUS_INVALID_ARG: return "invalid argument";
  case TN_STATUS_COMM: return "communication error";
  case TN_STATUS_UNSTABLE: return "unstable";
  }
  return "unknown status";
}

tn_status tn_fail(char *err, size_t err_len, tn_status status, const char *fmt, ...) {
  if (err && err_len > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
  }
  return status;
}

int tn_grow(void **buf, int64_t *cap, int64_t need, size_t elem) {
  if (need <= *cap) return 0;
  int64_t new_cap = *cap > 0 ? *cap : 16;
  while (new_cap < need) {
    if (new_cap > INT64_MAX / 2) return -1;
    new_cap *= 2;
  }
  if ((uint64_t)new_cap > SIZE_MAX / elem) return -1;
  void *p = realloc(*buf, (size_t)new_cap * elem);
  if (!p) return -1;
  memset((char *)p + (size_t)*cap * elem, 0, (size_t)(new_cap - *cap) * elem);
  *buf = p;
  *cap = new_cap;
  return 0;
}

tn_status tn_read_file(const char *path, char **data, size_t *len, char *err, size_t err_len) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) goto no_memory;
  for (;;) {
    if (n == cap) {
      char *p = cap <= SIZE_MAX / 2 - 1 ? realloc(buf, cap * 2 + 1) : NULL;
      if (!p) goto no_memory;
      buf = p;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    fclose(f);
    return tn_fail(err, err_len, TN_STATUS_IO, "%s: read error", path);
  }
  fclose(f);
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return TN_STATUS_OK;
no_memory:
  free(buf);
  fclose(f);
  return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory reading file", path);
}

FILE *tn_open_temp(const char *path, char *tmp, size_t tmp_len) {
  int n = snprintf(tmp, tmp_len, "%s.tmp.%ld", path, (long)getpid());
  if (n < 0 || (size_t)n >= tmp_len) return NULL;
  return fopen(tmp, "wb");
}

tn_status tn_commit_file(FILE *f, const char *tmp, const char *path, char *err, size_t err_len) {
  /* fflush + fsync before the rename: after a crash the path holds either
   * the old file or the whole new one, never a torn write. */
  int bad = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
  if (fclose(f) != 0) bad = 1;
  if (bad) {
    remove(tmp);
    return tn_fail(err, err_len, TN_STATUS_IO, "%s: write failed", path);
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot rename temporary file: %s", path,
                   strerror(e));
  }
  return TN_STATUS_OK;
}

void tn_abort_file(FILE *f, const char *tmp) {
  if (f) fclose(f);
  remove(tmp);
}
