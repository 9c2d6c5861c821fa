/* The extxyz comment line: key=value pairs, value kinds, Properties, and
 * quoting for output. Grammar and departures from ASE: see xyz.h. */
#include <math.h>
#include <string.h>

#include "xyz.h"

void xyz_header_free(xyz_header *h) {
  free(h->text);
  free(h->pairs);
  memset(h, 0, sizeof *h);
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char closer_of(char c) {
  switch (c) {
  case '"': return '"';
  case '\'': return '\'';
  case '{': return '}';
  case '[': return ']';
  default: return 0;
  }
}

/* Parser state: the pair being filled, in key or value mode. A segment is
 * "started" once it holds a character or an opening delimiter; whitespace
 * after a started segment "closes" the pair, so that the next content starts
 * a new pair while a following '=' still reaches back to it (ASE's "a = b"). */
enum { MODE_NONE, MODE_KEY, MODE_VALUE };

typedef struct hstate {
  xyz_header *h;
  size_t w; /* bytes used in h->text */
  int mode, started, closed;
} hstate;

static void end_string(hstate *s) { s->h->text[s->w++] = '\0'; }

/* Makes sure content goes to an open pair, starting a new one if needed. */
static void want_pair(hstate *s) {
  if (s->mode != MODE_NONE && !s->closed) return;
  if (s->mode != MODE_NONE) end_string(s);
  xyz_pair *p = &s->h->pairs[s->h->n_pairs++];
  p->key = s->w;
  p->value = 0;
  p->has_value = 0;
  s->mode = MODE_KEY;
  s->closed = 0;
  s->started = 0;
}

static void put_char(hstate *s, char c) {
  want_pair(s);
  s->h->text[s->w++] = c;
  s->started = 1;
}

tn_status xyz_header_parse(xyz_header *h, const char *line, size_t len, const char *name,
                           int64_t lineno, char *err, size_t err_len) {
  /* Bounds: every pair takes at least one byte plus a separator, and the
   * text holds each byte at most once plus two NULs per pair. */
  if (len > (size_t)INT32_MAX / 4) /* pair counts are int */
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s:%lld: field 'comment line': longer than %d bytes", name, (long long)lineno,
                   INT32_MAX / 4);
  int64_t need_pairs = (int64_t)(len / 2 + 2), need_text = 2 * (int64_t)len + 4;
  if (tn_grow((void **)&h->pairs, &h->pairs_cap, need_pairs, sizeof *h->pairs) ||
      tn_grow((void **)&h->text, &h->text_cap, need_text, 1))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s:%lld: out of memory for the comment line",
                   name, (long long)lineno);
  h->n_pairs = 0;
  hstate s = {h, 0, MODE_NONE, 0, 0};
  char delim = 0;
  int escaped = 0;
  for (size_t i = 0; i < len; i++) {
    char c = line[i];
    /* NUL would cut keys short; a lone CR is a line end to ASE (Python's
     * universal newlines), so either would make the line mean two things. */
    if (c == '\0' || c == '\r')
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s:%lld: field 'comment line': %s at column %zu", name, (long long)lineno,
                     c ? "carriage return inside the line" : "NUL byte", i + 1);
    if (escaped) {
      put_char(&s, c);
      escaped = 0;
    } else if (c == '\\') {
      escaped = 1;
    } else if (delim) {
      if (c == delim)
        delim = 0;
      else
        h->text[s.w++] = c;
    } else if (closer_of(c)) {
      delim = closer_of(c);
      want_pair(&s);
      s.started = 1;
    } else if (is_space(c)) {
      if (s.mode != MODE_NONE && s.started) s.closed = 1;
    } else if (c == '=') {
      if (s.mode == MODE_NONE)
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'comment line': '=' without a key at column %zu", name,
                       (long long)lineno, i + 1);
      s.closed = 0;
      if (s.mode == MODE_KEY) {
        end_string(&s);
        xyz_pair *p = &h->pairs[h->n_pairs - 1];
        p->value = s.w;
        p->has_value = 1;
        s.mode = MODE_VALUE;
      } else {
        h->text[s.w++] = '='; /* ASE joins further '='-separated parts with '=' */
      }
      s.started = 0;
    } else {
      put_char(&s, c);
    }
  }
  if (delim)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s:%lld: field 'comment line': unterminated %c...%c (no closing '%c')", name,
                   (long long)lineno,
                   delim == '}'   ? '{'
                   : delim == ']' ? '['
                                  : delim,
                   delim, delim);
  if (s.mode != MODE_NONE) end_string(&s);
  /* A bare key reads its value as the empty string at its own end. */
  for (int k = 0; k < h->n_pairs; k++)
    if (!h->pairs[k].has_value) h->pairs[k].value = h->pairs[k].key + strlen(xyz_key(h, k));
  return TN_STATUS_OK;
}

/* ---------------------------------------------------------------- values */

static int lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int same_nocase(const char *s, size_t n, const char *word) {
  size_t m = strlen(word);
  if (n != m) return 0;
  for (size_t k = 0; k < n; k++)
    if (lower(s[k]) != word[k]) return 0;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int xyz_parse_real(const char *s, size_t n, double *out) {
  size_t i = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  if (same_nocase(s + i, n - i, "inf") || same_nocase(s + i, n - i, "infinity") ||
      same_nocase(s + i, n - i, "nan")) {
    double v = lower(s[i]) == 'n' ? NAN : INFINITY;
    *out = s[0] == '-' ? -v : v;
    return 0;
  }
  size_t digits = 0;
  while (i < n && is_digit(s[i])) i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit(s[i])) i++, digits++;
  }
  if (digits == 0) return -1;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t exp_digits = 0;
    while (i < n && is_digit(s[i])) i++, exp_digits++;
    if (exp_digits == 0) return -1;
  }
  if (i != n) return -1;
  /* The syntax is checked, so strtod stops exactly at s + n: the byte there
   * is a separator, a newline or the buffer's terminating NUL. */
  char *end;
  *out = strtod(s, &end);
  return end == s + n ? 0 : -1;
}

int xyz_parse_int(const char *s, size_t n, double *out) {
  size_t i = 0;
  int neg = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == n) return -1;
  int64_t v = 0;
  for (; i < n; i++) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
    if (v > ((int64_t)1 << 53)) return -1; /* larger integers are not exact as doubles */
  }
  *out = neg && v ? -(double)v : (double)v; /* "-0" is the integer 0 */
  return 0;
}

int xyz_parse_bool(const char *s, size_t n, double *out) {
  if ((n == 1 && s[0] == 'T') || (n == 4 && memcmp(s, "True", 4) == 0)) {
    *out = 1.0;
    return 0;
  }
  if ((n == 1 && s[0] == 'F') || (n == 5 && memcmp(s, "False", 5) == 0)) {
    *out = 0.0;
    return 0;
  }
  return -1;
}

/* Next token of a value, split on whitespace and commas; 0 at the end. */
static int next_token(const char **p, const char **tok, size_t *n) {
  const char *s = *p;
  while (*s && (is_space(*s) || *s == ',')) s++;
  if (!*s) return 0;
  const char *t = s;
  while (*s && !is_space(*s) && *s != ',') s++;
  *tok = t;
  *n = (size_t)(s - t);
  *p = s;
  return 1;
}

xyz_kind xyz_value_parse(const char *value, double *out, int max, int *count) {
  const char *p = value, *t;
  size_t n;
  xyz_kind kind = XYZ_KIND_INT;
  int k = 0;
  while (next_token(&p, &t, &n)) {
    double v = 0.0;
    if (kind == XYZ_KIND_INT && xyz_parse_int(t, n, &v) != 0) kind = XYZ_KIND_REAL;
    if (kind == XYZ_KIND_REAL && xyz_parse_real(t, n, &v) != 0) kind = XYZ_KIND_BOOL;
    if (kind == XYZ_KIND_BOOL) break;
    if (k < max) out[k] = v;
    k++;
  }
  if (kind == XYZ_KIND_BOOL) {
    /* Not all numbers: all T/F (strictly, as ASE's str_to_bool), else text. */
    p = value;
    k = 0;
    while (next_token(&p, &t, &n)) {
      if (n != 1 || (t[0] != 'T' && t[0] != 'F')) {
        kind = XYZ_KIND_TEXT;
        break;
      }
      if (k < max) out[k] = t[0] == 'T';
      k++;
    }
  }
  if (k == 0) kind = XYZ_KIND_TEXT;
  *count = kind == XYZ_KIND_TEXT ? 0 : k;
  return kind;
}

/* ------------------------------------------------------------ Properties */

tn_status xyz_properties_parse(const char *value, xyz_property **props, int64_t *cap, int *n,
                               const char *name, int64_t lineno, char *err, size_t err_len) {
  *n = 0;
  const char *p = value;
  int field = 0;
  for (;;) {
    const char *end = strchr(p, ':');
    size_t m = end ? (size_t)(end - p) : strlen(p);
    int which = field % 3, entry = field / 3;
    if (which == 0) {
      if (tn_grow((void **)props, cap, entry + 1, sizeof **props))
        return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s:%lld: out of memory for Properties",
                       name, (long long)lineno);
      xyz_property *q = &(*props)[entry];
      if (m == 0 || m >= TN_NAME_MAX)
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'Properties': entry %d: name empty or longer than %d bytes",
                       name, (long long)lineno, entry + 1, TN_NAME_MAX - 1);
      memcpy(q->name, p, m);
      q->name[m] = '\0';
    } else if (which == 1) {
      xyz_property *q = &(*props)[entry];
      if (m != 1 || !strchr("RISL", p[0]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'Properties': '%s': type '%.*s' is not one of R, I, S, L",
                       name, (long long)lineno, q->name, (int)(m < 16 ? m : 16), p);
      q->type = p[0];
    } else {
      xyz_property *q = &(*props)[entry];
      long v = 0;
      int ok = m > 0 && m <= 6;
      for (size_t k = 0; ok && k < m; k++) {
        ok = is_digit(p[k]);
        v = v * 10 + (p[k] - '0');
      }
      if (!ok || v < 1 || v > XYZ_NCOLS_MAX)
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'Properties': '%s': ncols '%.*s' is not an integer in "
                       "1..%d",
                       name, (long long)lineno, q->name, (int)(m < 16 ? m : 16), p, XYZ_NCOLS_MAX);
      q->ncols = (int)v;
      *n = entry + 1;
    }
    field++;
    if (!end) break;
    p = end + 1;
  }
  if (field % 3 != 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s:%lld: field 'Properties': %d ':'-separated fields, not name:type:ncols "
                   "triples",
                   name, (long long)lineno, field);
  return TN_STATUS_OK;
}

/* ---------------------------------------------------------------- output */

void xyz_put_text(FILE *f, const char *s) {
  int quote = *s == '\0';
  for (const char *p = s; *p && !quote; p++)
    quote = (unsigned char)*p <= 0x20 || *p == 0x7f || closer_of(*p) || *p == '}' || *p == ']' ||
            *p == '=' || *p == '\\';
  if (!quote) {
    fputs(s, f);
    return;
  }
  putc('"', f);
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') putc('\\', f);
    putc(c == '\n' || c == '\r' ? ' ' : c, f);
  }
  putc('"', f);
}

void xyz_format_real(char *buf, double v) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, 32, "%.*g", digits, v);
    if (!isfinite(v) || strtod(buf, NULL) == v) break;
  }
  if (!strpbrk(buf, ".eEni")) strcat(buf, ".0");
}
