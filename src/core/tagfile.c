/* The tagged binary container of tagfile.h: writer, reader and lookups. */
#include "tagfile.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

static const unsigned char tf_magic[8] = {'T', 'A', 'N', 'N', 'E', '\r', '\n', 0x1a};
static const unsigned char tf_end[4] = {'E', 'N', 'D', '\n'};

/* Per section: 16-byte tag and 8-byte length before the data. */
#define TF_SECTION_HEAD 24

static int tf_host_little_endian(void) {
  uint32_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

const char *tf_kind_name(uint32_t kind) {
  switch (kind) {
  case TF_KIND_MODEL: return "model";
  case TF_KIND_CHECKPOINT: return "checkpoint";
  default: return NULL;
  }
}

static void tf_put_u32(unsigned char *p, uint32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> (8 * k));
}
static void tf_put_u64(unsigned char *p, uint64_t v) {
  for (int k = 0; k < 8; k++) p[k] = (unsigned char)(v >> (8 * k));
}
static uint32_t tf_get_u32le(const unsigned char *p) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; k--) v = v << 8 | p[k];
  return v;
}
static uint64_t tf_get_u64le(const unsigned char *p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
  return v;
}

/* zlib's crc32 takes a uInt length; feed large buffers in pieces. */
static uLong tf_crc(uLong crc, const unsigned char *p, size_t n) {
  while (n > 0) {
    uInt piece = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, p, piece);
    p += piece;
    n -= piece;
  }
  return crc;
}

static uint64_t tf_padded(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* 1 for a tag of 1..15 printable ASCII characters (no spaces, so tags can be
 * listed and quoted in messages unambiguously). */
static int tf_tag_ok(const char *tag) {
  size_t n = 0;
  for (; tag[n]; n++) {
    if (n >= TF_TAG_MAX || tag[n] <= ' ' || tag[n] > '~') return 0;
  }
  return n > 0;
}

/* ------------------------------------------------------------------ writer */

typedef struct tf_pending {
  char tag[TF_TAG_MAX + 1];
  size_t n;
  unsigned char *data; /* malloc'd copy, NULL when n is 0 */
} tf_pending;

struct tf_writer {
  uint32_t kind;
  int64_t n, cap;
  tf_pending *sections; /* [n] */
  tn_status status;     /* first error of tf_add*, sticky */
  char errmsg[256];
};

tf_writer *tf_writer_create(uint32_t kind) {
  tf_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->kind = kind;
  if (kind == TF_KIND_ANY)
    w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_INVALID_ARG,
                        "tagfile: kind 0 is reserved (TF_KIND_ANY), not a kind of file");
  return w;
}

void tf_writer_free(tf_writer *w) {
  if (!w) return;
  for (int64_t k = 0; k < w->n; k++) free(w->sections[k].data);
  free(w->sections);
  free(w);
}

const char *tf_writer_errmsg(const tf_writer *w) {
  return w ? w->errmsg : "tagfile: out of memory creating the writer";
}

tn_status tf_add(tf_writer *w, const char *tag, const void *data, size_t n) {
  if (!w) return TN_STATUS_NO_MEMORY;
  if (w->status != TN_STATUS_OK) return w->status;
  TN_ASSERT(tag != NULL);
  if (!tf_tag_ok(tag))
    return w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_INVALID_ARG,
                               "tagfile: section tag '%.40s' must be 1 to %d printable ASCII "
                               "characters without spaces",
                               tag, TF_TAG_MAX);
  if (n > 0 && !data)
    return w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_INVALID_ARG,
                               "tagfile: section '%s': no data for %zu bytes", tag, n);
  for (int64_t k = 0; k < w->n; k++)
    if (strcmp(w->sections[k].tag, tag) == 0)
      return w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_INVALID_ARG,
                                 "tagfile: section '%s' added twice", tag);
  unsigned char *copy = NULL;
  if (n > 0) {
    copy = malloc(n);
    if (!copy) goto no_memory;
    memcpy(copy, data, n);
  }
  if (tn_grow((void **)&w->sections, &w->cap, w->n + 1, sizeof *w->sections) != 0) {
    free(copy);
    goto no_memory;
  }
  tf_pending *s = &w->sections[w->n++];
  memset(s->tag, 0, sizeof s->tag);
  memcpy(s->tag, tag, strlen(tag));
  s->n = n;
  s->data = copy;
  return TN_STATUS_OK;
no_memory:
  return w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_NO_MEMORY,
                             "tagfile: section '%s': out of memory for %zu bytes", tag, n);
}

tn_status tf_add_text(tf_writer *w, const char *tag, const char *text) {
  TN_ASSERT(text != NULL);
  return tf_add(w, tag, text, strlen(text) + 1);
}

tn_status tf_add_u64(tf_writer *w, const char *tag, uint64_t value) {
  return tf_add(w, tag, &value, sizeof value);
}

tn_status tf_add_f64s(tf_writer *w, const char *tag, const double *values, size_t n) {
  if (n > SIZE_MAX / sizeof *values) {
    if (!w) return TN_STATUS_NO_MEMORY;
    if (w->status != TN_STATUS_OK) return w->status;
    return w->status = tn_fail(w->errmsg, sizeof w->errmsg, TN_STATUS_INVALID_ARG,
                               "tagfile: section '%.40s': %zu doubles overflow a size", tag, n);
  }
  return tf_add(w, tag, values, n * sizeof *values);
}

/* File size for the sections so far, or 0 if it would overflow 64 bits. */
static uint64_t tf_total_size(const tf_writer *w) {
  uint64_t total = TF_HEADER_BYTES + TF_TRAILER_BYTES;
  for (int64_t k = 0; k < w->n; k++) {
    uint64_t add = tf_padded((uint64_t)w->sections[k].n);
    if (add < (uint64_t)w->sections[k].n || add > UINT64_MAX - TF_SECTION_HEAD - total) return 0;
    total += TF_SECTION_HEAD + add;
  }
  return total;
}

/* Writes p[0..n) and folds it into the running CRC. */
static void tf_emit(FILE *f, uLong *crc, const void *p, size_t n) {
  if (n == 0) return;
  fwrite(p, 1, n, f);
  *crc = tf_crc(*crc, p, n);
}

tn_status tf_write(const tf_writer *w, const char *path, char *err, size_t err_len) {
  if (!w)
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory creating the writer",
                   path);
  if (w->status != TN_STATUS_OK)
    return tn_fail(err, err_len, w->status, "%s: not written: %s", path, w->errmsg);
  if (!tf_host_little_endian())
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: tanne files are little-endian and this host is not", path);
  uint64_t total = tf_total_size(w);
  if (total == 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: sections too large for one file",
                   path);
  size_t tmp_len = strlen(path) + 32;
  char *tmp = malloc(tmp_len);
  if (!tmp) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", path);
  FILE *f = tn_open_temp(path, tmp, tmp_len);
  if (!f) {
    tn_status st =
        tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
    free(tmp);
    return st;
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  unsigned char head[TF_HEADER_BYTES];
  memcpy(head, tf_magic, 8);
  tf_put_u32(head + 8, TF_VERSION);
  tf_put_u32(head + 12, w->kind);
  tf_put_u64(head + 16, total);
  tf_put_u64(head + 24, (uint64_t)w->n);
  tf_emit(f, &crc, head, sizeof head);
  static const unsigned char zeros[8] = {0};
  for (int64_t k = 0; k < w->n; k++) {
    const tf_pending *s = &w->sections[k];
    unsigned char sec[TF_SECTION_HEAD] = {0};
    memcpy(sec, s->tag, sizeof s->tag);
    tf_put_u64(sec + 16, (uint64_t)s->n);
    tf_emit(f, &crc, sec, sizeof sec);
    tf_emit(f, &crc, s->data, s->n);
    tf_emit(f, &crc, zeros, (size_t)(tf_padded(s->n) - s->n));
  }
  unsigned char trailer[TF_TRAILER_BYTES];
  tf_put_u32(trailer, (uint32_t)crc);
  memcpy(trailer + 4, tf_end, 4);
  fwrite(trailer, 1, sizeof trailer, f);
  /* tn_commit_file checks ferror, so short writes above surface here. */
  tn_status st = tn_commit_file(f, tmp, path, err, err_len);
  free(tmp);
  return st;
}

/* ------------------------------------------------------------------ reader */

void tf_free(tf_file *f) {
  if (!f) return;
  free(f->path);
  free(f->sections);
  free(f->buf);
  memset(f, 0, sizeof *f);
}

/* "model" or "kind-7" for messages. */
static const char *tf_kind_label(uint32_t kind, char *buf, size_t len) {
  const char *name = tf_kind_name(kind);
  if (name) return name;
  snprintf(buf, len, "kind-%u", (unsigned)kind);
  return buf;
}

/* Checks the header, size and checksum of f->buf (f->len bytes). */
static tn_status tf_check_frame(const tf_file *f, uint32_t kind, char *err, size_t err_len) {
  const char *path = f->path;
  const unsigned char *b = f->buf;
  size_t len = f->len;
  char want_buf[32], got_buf[32];
  const char *want =
      kind == TF_KIND_ANY ? "model/checkpoint" : tf_kind_label(kind, want_buf, sizeof want_buf);
  size_t prefix = len < 8 ? len : 8;
  if (len == 0 || memcmp(b, tf_magic, prefix) != 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: not a tanne %s file", path, want);
  if (len < TF_HEADER_BYTES)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: truncated (%zu bytes, less than the %d-byte header)", path, len,
                   TF_HEADER_BYTES);
  uint32_t version = tf_get_u32le(b + 8);
  if (version > TF_VERSION)
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: container version %u is newer than this tanne (%s) reads (%u): "
                   "upgrade tanne",
                   path, (unsigned)version, TN_VERSION_STRING, TF_VERSION);
  if (version == 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: container version 0 does not exist: the file is corrupted", path);
  uint64_t size = tf_get_u64le(b + 16);
  if (size != (uint64_t)len) {
    /* A file that still ends in the end marker was not cut short: its size
     * field is what changed. */
    int ends = len >= TF_HEADER_BYTES + TF_TRAILER_BYTES && memcmp(b + len - 4, tf_end, 4) == 0;
    if (size > (uint64_t)len && !ends)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: truncated (%zu of %llu bytes)", path,
                     len, (unsigned long long)size);
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: the header says %llu bytes but the file has %zu: the file is corrupted",
                   path, (unsigned long long)size, len);
  }
  if (len < TF_HEADER_BYTES + TF_TRAILER_BYTES || memcmp(b + len - 4, tf_end, 4) != 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: no end marker: the file is corrupted",
                   path);
  uint32_t stored = tf_get_u32le(b + len - TF_TRAILER_BYTES);
  uint32_t actual = (uint32_t)tf_crc(crc32(0L, Z_NULL, 0), b, len - TF_TRAILER_BYTES);
  if (stored != actual)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: checksum mismatch: the file is corrupted (CRC-32 %08x, stored %08x)", path,
                   (unsigned)actual, (unsigned)stored);
  uint32_t got = tf_get_u32le(b + 12);
  if (got == TF_KIND_ANY)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: kind 0 is reserved: the file is malformed", path);
  if (kind != TF_KIND_ANY && got != kind)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: is a %s, not a %s", path,
                   tf_kind_label(got, got_buf, sizeof got_buf), want);
  return TN_STATUS_OK;
}

/* Splits a checked buffer into sections. */
static tn_status tf_parse_sections(tf_file *f, char *err, size_t err_len) {
  const char *path = f->path;
  const unsigned char *b = f->buf;
  size_t end = f->len - TF_TRAILER_BYTES, at = TF_HEADER_BYTES;
  uint64_t n = tf_get_u64le(b + 24);
  if (n > (end - at) / TF_SECTION_HEAD)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: %llu sections cannot fit in %zu bytes: the file is malformed", path,
                   (unsigned long long)n, f->len);
  f->sections = calloc(n > 0 ? (size_t)n : 1, sizeof *f->sections);
  if (!f->sections) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", path);
  for (uint64_t k = 0; k < n; k++) {
    tf_section *s = &f->sections[k];
    if (end - at < TF_SECTION_HEAD)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: section %llu starts past the end of the data", path,
                     (unsigned long long)k);
    memcpy(s->tag, b + at, TF_TAG_MAX + 1);
    size_t tag_len = strnlen(s->tag, TF_TAG_MAX + 1);
    int zero_tail = 1;
    for (size_t c = tag_len; c < TF_TAG_MAX + 1; c++) zero_tail &= b[at + c] == 0;
    if (tag_len > TF_TAG_MAX || !zero_tail || !tf_tag_ok(s->tag)) {
      s->tag[0] = '\0';
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: section %llu at byte %zu: malformed tag", path, (unsigned long long)k,
                     at);
    }
    s->n_bytes = tf_get_u64le(b + at + 16);
    at += TF_SECTION_HEAD;
    uint64_t room = end - at;
    if (s->n_bytes > room || tf_padded(s->n_bytes) > room)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: section '%s': %llu bytes run past the end of the file", path, s->tag,
                     (unsigned long long)s->n_bytes);
    s->data = b + at;
    for (uint64_t c = s->n_bytes; c < tf_padded(s->n_bytes); c++)
      if (b[at + c] != 0)
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "%s: section '%s': nonzero padding: the file is malformed", path, s->tag);
    at += (size_t)tf_padded(s->n_bytes);
    for (uint64_t j = 0; j < k; j++)
      if (strcmp(f->sections[j].tag, s->tag) == 0)
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section '%s' appears twice", path,
                       s->tag);
  }
  if (at != end)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: %zu bytes after the last section: the file is malformed", path, end - at);
  f->n_sections = n;
  return TN_STATUS_OK;
}

/* Takes ownership of buf (malloc'd, len bytes). */
static tn_status tf_parse(tf_file *f, const char *name, unsigned char *buf, size_t len,
                          uint32_t kind, char *err, size_t err_len) {
  tn_status st;
  f->buf = buf;
  f->len = len;
  size_t name_len = strlen(name);
  f->path = malloc(name_len + 1);
  if (!f->path) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", name);
    goto fail;
  }
  memcpy(f->path, name, name_len + 1);
  if ((st = tf_check_frame(f, kind, err, err_len)) != TN_STATUS_OK) goto fail;
  f->version = tf_get_u32le(buf + 8);
  f->kind = tf_get_u32le(buf + 12);
  if ((st = tf_parse_sections(f, err, err_len)) != TN_STATUS_OK) goto fail;
  return TN_STATUS_OK;
fail:
  tf_free(f);
  return st;
}

tn_status tf_read(tf_file *f, const char *path, uint32_t kind, char *err, size_t err_len) {
  memset(f, 0, sizeof *f);
  if (!tf_host_little_endian())
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: tanne files are little-endian and this host is not", path);
  char *data;
  size_t len;
  tn_status st = tn_read_file(path, &data, &len, err, err_len);
  if (st != TN_STATUS_OK) return st;
  return tf_parse(f, path, (unsigned char *)data, len, kind, err, err_len);
}

tn_status tf_read_buffer(tf_file *f, const char *name, const void *data, size_t len, uint32_t kind,
                         char *err, size_t err_len) {
  memset(f, 0, sizeof *f);
  if (!tf_host_little_endian())
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: tanne files are little-endian and this host is not", name);
  unsigned char *copy = malloc(len > 0 ? len : 1);
  if (!copy) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", name);
  if (len > 0) memcpy(copy, data, len);
  return tf_parse(f, name, copy, len, kind, err, err_len);
}

/* ----------------------------------------------------------------- lookups */

static const tf_section *tf_section_of(const tf_file *f, const char *tag) {
  for (uint64_t k = 0; k < f->n_sections; k++)
    if (strcmp(f->sections[k].tag, tag) == 0) return &f->sections[k];
  return NULL;
}

const void *tf_find(const tf_file *f, const char *tag, size_t *n) {
  const tf_section *s = tf_section_of(f, tag);
  if (n) *n = s ? (size_t)s->n_bytes : 0;
  return s ? s->data : NULL;
}

tn_status tf_get(const tf_file *f, const char *tag, void *out, size_t n, char *err,
                 size_t err_len) {
  const tf_section *s = tf_section_of(f, tag);
  if (!s) return tn_fail(err, err_len, TN_STATUS_NOT_FOUND, "%s: no section '%s'", f->path, tag);
  if (s->n_bytes != (uint64_t)n)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: section '%s' holds %llu bytes, expected %zu", f->path, tag,
                   (unsigned long long)s->n_bytes, n);
  if (n > 0) memcpy(out, s->data, n);
  return TN_STATUS_OK;
}

tn_status tf_get_f64s(const tf_file *f, const char *tag, double *out, size_t n, char *err,
                      size_t err_len) {
  if (n > SIZE_MAX / sizeof *out)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: section '%s': %zu doubles overflow",
                   f->path, tag, n);
  return tf_get(f, tag, out, n * sizeof *out, err, err_len);
}

tn_status tf_get_u64(const tf_file *f, const char *tag, uint64_t *out, char *err, size_t err_len) {
  return tf_get(f, tag, out, sizeof *out, err, err_len);
}

const char *tf_get_text(const tf_file *f, const char *tag, char *err, size_t err_len) {
  const tf_section *s = tf_section_of(f, tag);
  if (!s) {
    tn_fail(err, err_len, TN_STATUS_NOT_FOUND, "%s: no section '%s'", f->path, tag);
    return NULL;
  }
  const char *text = (const char *)s->data;
  if (s->n_bytes == 0 || text[s->n_bytes - 1] != '\0' || strlen(text) != (size_t)s->n_bytes - 1) {
    tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section '%s' is not text (one NUL, at the end)",
            f->path, tag);
    return NULL;
  }
  return text;
}
