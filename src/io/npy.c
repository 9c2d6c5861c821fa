/* .npy headers and element conversion.
 *
 * Layout (numpy/lib/format.py): the magic "\x93NUMPY", a major and a minor
 * version byte, the header length (2 bytes little-endian for version 1.0, 4
 * bytes for 2.0 and 3.0), then the header: the repr of a Python dict with
 * exactly the keys 'descr', 'fortran_order' and 'shape', padded with spaces
 * and ended by '\n'. Version 3.0 only allows UTF-8 in the header, which
 * changes nothing for the keys and dtypes read here. Data follow directly. */
#include "npy.h"

#include <string.h>

#define MAX_STRING_ITEMS (1u << 24) /* characters in one S/U element */

typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* Consumes ch after optional white space; 1 if it was there. */
static int accept(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A Python string literal without escapes, into out[cap]. 0 on failure. */
static int parse_string(cursor *c, char *out, size_t cap) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= cap) return 0;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return 0;
  c->p++;
  out[n] = '\0';
  return 1;
}

/* A non-negative decimal integer (Python 2 files may add an 'L'). */
static int parse_dim(cursor *c, int64_t *v) {
  skip_ws(c);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
  int64_t x = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    int d = *c->p++ - '0';
    if (x > (INT64_MAX - d) / 10) return 0;
    x = x * 10 + d;
  }
  if (c->p < c->end && *c->p == 'L') c->p++;
  *v = x;
  return 1;
}

/* "(a, b, c)", "(a,)" or "()". */
static int parse_shape(cursor *c, npy_array *a) {
  if (!accept(c, '(')) return 0;
  a->ndim = 0;
  if (accept(c, ')')) return 1;
  for (;;) {
    if (a->ndim == NPY_MAX_DIMS || !parse_dim(c, &a->shape[a->ndim])) return 0;
    a->ndim++;
    if (accept(c, ')')) return 1;
    if (!accept(c, ',')) return 0;
    if (accept(c, ')')) return 1;
  }
}

static int host_big_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 0;
}

/* Parses a simple dtype string such as "<f8", "|u1", "|b1", "<U20". */
static tn_status parse_descr(npy_array *a, const char *d, const char *path, const char *key,
                             char *err, size_t err_len) {
  const char *p = d;
  a->big_endian = host_big_endian();
  if (*p == '<' || *p == '>' || *p == '|' || *p == '=') {
    if (*p == '<') a->big_endian = 0;
    if (*p == '>') a->big_endian = 1;
    p++;
  }
  char kind = *p ? *p++ : '\0';
  uint64_t n = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9' && n < MAX_STRING_ITEMS)
    n = n * 10 + (uint64_t)(*p++ - '0'), digits++;
  int ok = *p == '\0' && digits > 0;
  if (ok && (kind == 'S' || kind == 'a' || kind == 'U') && n <= MAX_STRING_ITEMS) {
    a->kind = NPY_KIND_STRING;
    a->itemsize = (size_t)n * (kind == 'U' ? 4 : 1);
    return TN_STATUS_OK;
  }
  if (ok && kind == 'f' && (n == 4 || n == 8))
    a->kind = NPY_KIND_FLOAT;
  else if (ok && kind == 'i' && (n == 1 || n == 2 || n == 4 || n == 8))
    a->kind = NPY_KIND_INT;
  else if (ok && kind == 'u' && (n == 1 || n == 2 || n == 4 || n == 8))
    a->kind = NPY_KIND_UINT;
  else if (ok && kind == 'b' && n == 1)
    a->kind = NPY_KIND_BOOL;
  else
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: key '%s': dtype '%s' is not supported (only f4, f8, signed and "
                   "unsigned integers, b1, and strings)",
                   path, key, d);
  a->itemsize = (size_t)n;
  return TN_STATUS_OK;
}

static tn_status header_error(const char *path, const char *key, const char *what, char *err,
                              size_t err_len) {
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': npy header: %s", path, key,
                 what);
}

tn_status npy_parse(npy_array *a, const unsigned char *buf, size_t len, const char *path,
                    const char *key, char *err, size_t err_len) {
  memset(a, 0, sizeof *a);
  if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
    return header_error(path, key, "no \\x93NUMPY magic (not an .npy array)", err, err_len);
  int major = buf[6];
  size_t hlen, start;
  if (major == 1) {
    hlen = (size_t)buf[8] | ((size_t)buf[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (len < 12) return header_error(path, key, "truncated", err, err_len);
    hlen =
        (size_t)buf[8] | ((size_t)buf[9] << 8) | ((size_t)buf[10] << 16) | ((size_t)buf[11] << 24);
    start = 12;
  } else {
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: key '%s': npy format version %d.%d is not supported", path, key, major,
                   buf[7]);
  }
  if (hlen > len - start) return header_error(path, key, "longer than the array", err, err_len);

  cursor c = {(const char *)buf + start, (const char *)buf + start + hlen};
  int seen_descr = 0, seen_fortran = 0, seen_shape = 0, fortran = 0;
  char descr[64], name[32];
  if (!accept(&c, '{')) return header_error(path, key, "not a dict", err, err_len);
  while (!accept(&c, '}')) {
    if (!parse_string(&c, name, sizeof name) || !accept(&c, ':'))
      return header_error(path, key, "expected 'key': value", err, err_len);
    if (strcmp(name, "descr") == 0 && !seen_descr) {
      skip_ws(&c);
      if (c.p < c.end && *c.p == '[')
        return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                       "%s: key '%s': structured dtypes are not supported", path, key);
      if (!parse_string(&c, descr, sizeof descr))
        return header_error(path, key, "'descr' is not a short string", err, err_len);
      seen_descr = 1;
    } else if (strcmp(name, "fortran_order") == 0 && !seen_fortran) {
      skip_ws(&c);
      size_t left = (size_t)(c.end - c.p);
      if (left >= 4 && memcmp(c.p, "True", 4) == 0)
        fortran = 1, c.p += 4;
      else if (left >= 5 && memcmp(c.p, "False", 5) == 0)
        fortran = 0, c.p += 5;
      else
        return header_error(path, key, "'fortran_order' is not True or False", err, err_len);
      seen_fortran = 1;
    } else if (strcmp(name, "shape") == 0 && !seen_shape) {
      if (!parse_shape(&c, a))
        return header_error(path, key, "'shape' is not a tuple of at most 32 sizes", err, err_len);
      seen_shape = 1;
    } else {
      return header_error(path, key, "unknown or repeated dict key", err, err_len);
    }
    if (!accept(&c, ',')) {
      if (!accept(&c, '}')) return header_error(path, key, "expected ',' or '}'", err, err_len);
      break;
    }
  }
  if (!seen_descr || !seen_fortran || !seen_shape)
    return header_error(path, key, "needs 'descr', 'fortran_order' and 'shape'", err, err_len);
  skip_ws(&c);
  if (c.p != c.end) return header_error(path, key, "text after the dict", err, err_len);

  tn_status st = parse_descr(a, descr, path, key, err, err_len);
  if (st != TN_STATUS_OK) return st;

  /* Fortran order only permutes data with two or more axes longer than 1. */
  int long_axes = 0;
  uint64_t count = 1;
  for (int k = 0; k < a->ndim; k++) {
    uint64_t d = (uint64_t)a->shape[k];
    long_axes += d > 1;
    if (d != 0 && count > UINT64_MAX / d)
      return header_error(path, key, "shape too large", err, err_len);
    count *= d;
  }
  a->fortran_order = fortran && long_axes > 1;
  size_t body = len - start - hlen;
  if (a->itemsize != 0 && count > (uint64_t)(SIZE_MAX / a->itemsize))
    return header_error(path, key, "shape too large", err, err_len);
  if ((uint64_t)body != count * a->itemsize)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: key '%s': shape and dtype need %llu data bytes, the array has %zu", path,
                   key, (unsigned long long)(count * a->itemsize), body);
  a->count = count;
  a->data = buf + start + hlen;
  return TN_STATUS_OK;
}

/* The n-byte unsigned integer at p in the given byte order. */
static uint64_t load(const unsigned char *p, size_t n, int big) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; k++) v |= (uint64_t)p[big ? n - 1 - k : k] << (8 * k);
  return v;
}

/* Where the k-th stored element goes in C order: identity unless the data
 * are Fortran-ordered, whose stored order runs over a multi-index with the
 * first axis fastest. idx[ndim] holds that multi-index between calls. */
static uint64_t c_index(const npy_array *a, uint64_t k, int64_t *idx) {
  if (!a->fortran_order) return k;
  uint64_t at = 0;
  for (int d = 0; d < a->ndim; d++) at = at * (uint64_t)a->shape[d] + (uint64_t)idx[d];
  for (int d = 0; d < a->ndim; d++) {
    if (++idx[d] < a->shape[d]) break;
    idx[d] = 0;
  }
  return at;
}

void npy_to_double(const npy_array *a, double *out) {
  TN_ASSERT(a->kind != NPY_KIND_STRING);
  const unsigned char *p = a->data;
  size_t w = a->itemsize;
  int big = a->big_endian;
  int64_t idx[NPY_MAX_DIMS] = {0};
  for (uint64_t k = 0; k < a->count; k++, p += w) {
    uint64_t bits = load(p, w, big);
    double *o = out + c_index(a, k, idx);
    switch (a->kind) {
    case NPY_KIND_FLOAT:
      if (w == 4) {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        *o = f;
      } else {
        double d;
        memcpy(&d, &bits, sizeof d);
        *o = d;
      }
      break;
    case NPY_KIND_INT: {
      /* Sign-extend to 64 bits, then reinterpret as two's complement. */
      if (w < 8 && ((bits >> (8 * w - 1)) & 1)) bits |= ~UINT64_C(0) << (8 * w);
      int64_t s;
      memcpy(&s, &bits, sizeof s);
      *o = (double)s;
      break;
    }
    case NPY_KIND_UINT: *o = (double)bits; break;
    case NPY_KIND_BOOL: *o = bits != 0; break;
    case NPY_KIND_STRING: break;
    }
  }
}
