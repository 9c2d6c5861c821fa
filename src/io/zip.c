/* Zip archives in memory: central directory, stored and deflated entries.
 * Offsets and field layouts follow PKWARE APPNOTE.TXT 6.3.x: local file
 * header 4.3.7, central directory header 4.3.12, end of central directory
 * 4.3.16, ZIP64 end record and locator 4.3.14-15, ZIP64 extra field 4.5.3.
 * Every read is bounds-checked against the buffer; the central directory is
 * taken as authoritative for sizes and CRCs (local headers written by numpy
 * carry 0xFFFFFFFF sizes and a ZIP64 extra instead). */
#include "zip.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

#define SIG_LOCAL     0x04034b50u
#define SIG_CENTRAL   0x02014b50u
#define SIG_EOCD      0x06054b50u
#define SIG_EOCD64    0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

#define LOCAL_SIZE     30 /* fixed part of a local file header */
#define CENTRAL_SIZE   46 /* fixed part of a central directory header */
#define EOCD_SIZE      22
#define EOCD64_SIZE    56
#define LOCATOR64_SIZE 20
#define SAT32          0xFFFFFFFFu /* "see the ZIP64 extra field" */

/* Deflate cannot expand data by more than about 1032:1 (RFC 1951 limits a
 * 258-byte match to at least 1 bit plus block overhead), so a declared size
 * beyond this bound is a lie and must not decide how much we allocate. */
#define DEFLATE_MAX_RATIO 1032u

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const unsigned char *p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* 1 if [off, off + n) lies inside a buffer of len bytes, without overflow. */
static int span_ok(uint64_t off, uint64_t n, size_t len) {
  return off <= (uint64_t)len && n <= (uint64_t)len - off;
}

/* Finds the end-of-central-directory record: the last signature within the
 * final 22 + 65535 bytes whose comment fits in the buffer. -1 if none. */
static int64_t find_eocd(const unsigned char *buf, size_t len) {
  if (len < EOCD_SIZE) return -1;
  size_t last = len - EOCD_SIZE;
  size_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  for (size_t p = last + 1; p-- > first;)
    if (rd32(buf + p) == SIG_EOCD && p + EOCD_SIZE + rd16(buf + p + 20) <= len) return (int64_t)p;
  return -1;
}

/* Replaces the saturated 32-bit fields of a central header with the values
 * of its ZIP64 extra field (APPNOTE 4.5.3: only saturated fields appear, in
 * the order size, compressed size, offset). */
static tn_status apply_zip64(zip_entry *e, const unsigned char *extra, size_t n, int need_size,
                             int need_comp, int need_off, const zip_archive *z, char *err,
                             size_t err_len) {
  size_t p = 0;
  while (n - p >= 4) {
    uint16_t id = rd16(extra + p), sz = rd16(extra + p + 2);
    p += 4;
    if (sz > n - p) break;
    if (id == 0x0001) {
      size_t q = 0;
      uint64_t *fields[3] = {need_size ? &e->size : NULL, need_comp ? &e->comp_size : NULL,
                             need_off ? &e->local_offset : NULL};
      for (int k = 0; k < 3; k++) {
        if (!fields[k]) continue;
        if (sz - q < 8)
          return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                         "%s: zip entry '%.*s': ZIP64 extra field too short", z->path,
                         (int)e->name_len, e->name);
        *fields[k] = rd64(extra + p + q);
        q += 8;
      }
      return TN_STATUS_OK;
    }
    p += sz;
  }
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "%s: zip entry '%.*s': sizes are 0xFFFFFFFF but no ZIP64 extra field", z->path,
                 (int)e->name_len, e->name);
}

/* Locates the central directory: offset, size and entry count, from the
 * EOCD record or, when present, the ZIP64 end record it points past. */
static tn_status find_directory(const zip_archive *z, uint64_t *cd_off, uint64_t *cd_size,
                                uint64_t *count, char *err, size_t err_len) {
  const unsigned char *buf = z->buf;
  int64_t e = find_eocd(buf, z->len);
  if (e < 0)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: not a zip archive, or truncated (no end-of-central-directory record)",
                   z->path);
  const unsigned char *r = buf + e;
  if (rd16(r + 4) != 0 || rd16(r + 6) != 0)
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: multi-disk zip archives are not supported", z->path);
  *count = rd16(r + 10);
  *cd_size = rd32(r + 12);
  *cd_off = rd32(r + 16);
  if (e >= LOCATOR64_SIZE && rd32(buf + e - LOCATOR64_SIZE) == SIG_LOCATOR64) {
    uint64_t off = rd64(buf + e - LOCATOR64_SIZE + 8);
    if (!span_ok(off, EOCD64_SIZE, z->len) || rd32(buf + off) != SIG_EOCD64)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: ZIP64 end-of-central-directory record missing at offset %llu", z->path,
                     (unsigned long long)off);
    const unsigned char *r64 = buf + off;
    if (rd32(r64 + 16) != 0 || rd32(r64 + 20) != 0)
      return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                     "%s: multi-disk zip archives are not supported", z->path);
    *count = rd64(r64 + 32);
    *cd_size = rd64(r64 + 40);
    *cd_off = rd64(r64 + 48);
  }
  if (!span_ok(*cd_off, *cd_size, z->len))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip central directory (offset %llu, %llu bytes) runs past the end of "
                   "the %zu-byte file",
                   z->path, (unsigned long long)*cd_off, (unsigned long long)*cd_size, z->len);
  if (*count > *cd_size / CENTRAL_SIZE)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip central directory of %llu bytes cannot hold %llu entries", z->path,
                   (unsigned long long)*cd_size, (unsigned long long)*count);
  return TN_STATUS_OK;
}

tn_status zip_open(zip_archive *z, const unsigned char *buf, size_t len, const char *path,
                   char *err, size_t err_len) {
  memset(z, 0, sizeof *z);
  z->buf = buf;
  z->len = len;
  z->path = path;
  uint64_t cd_off = 0, cd_size = 0, count = 0;
  tn_status st = find_directory(z, &cd_off, &cd_size, &count, err, err_len);
  if (st != TN_STATUS_OK) return st;
  if (count > 0 && !(z->entries = calloc((size_t)count, sizeof *z->entries)))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory for %llu zip entries",
                   path, (unsigned long long)count);
  uint64_t p = cd_off, end = cd_off + cd_size;
  for (uint64_t k = 0; k < count; k++) {
    if (end - p < CENTRAL_SIZE || rd32(buf + p) != SIG_CENTRAL) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip central directory entry %llu: bad signature or truncated at offset "
                   "%llu",
                   path, (unsigned long long)k, (unsigned long long)p);
      goto fail;
    }
    const unsigned char *h = buf + p;
    zip_entry *e = &z->entries[k];
    size_t n_name = rd16(h + 28), n_extra = rd16(h + 30), n_comment = rd16(h + 32);
    if (end - p - CENTRAL_SIZE < (uint64_t)n_name + n_extra + n_comment) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip central directory entry %llu runs past the directory", path,
                   (unsigned long long)k);
      goto fail;
    }
    e->flags = rd16(h + 8);
    e->method = rd16(h + 10);
    e->crc = rd32(h + 16);
    e->comp_size = rd32(h + 20);
    e->size = rd32(h + 24);
    e->local_offset = rd32(h + 42);
    e->name = (const char *)h + CENTRAL_SIZE;
    e->name_len = n_name;
    int need_size = e->size == SAT32, need_comp = e->comp_size == SAT32,
        need_off = e->local_offset == SAT32;
    if (need_size || need_comp || need_off) {
      st = apply_zip64(e, h + CENTRAL_SIZE + n_name, n_extra, need_size, need_comp, need_off, z,
                       err, err_len);
      if (st != TN_STATUS_OK) goto fail;
    }
    p += CENTRAL_SIZE + n_name + n_extra + n_comment;
  }
  z->n_entries = (int64_t)count;
  return TN_STATUS_OK;
fail:
  zip_close(z);
  return st;
}

void zip_close(zip_archive *z) {
  free(z->entries);
  z->entries = NULL;
  z->n_entries = 0;
}

/* CRC-32 of any length; zlib takes at most a uInt per call. */
static uint32_t crc_of(const unsigned char *p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

/* Raw deflate (no zlib header: windowBits -MAX_WBITS) of in[0..n_in) into
 * exactly out[0..n_out). Returns NULL on success or a description. */
static const char *inflate_exact(unsigned char *out, size_t n_out, const unsigned char *in,
                                 size_t n_in) {
  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) return "inflate could not start";
  const char *why = NULL;
  size_t left_in = n_in, left_out = n_out;
  s.next_in = (unsigned char *)in; /* zlib's API is not const-correct */
  s.next_out = out;
  for (;;) {
    uInt give_in = left_in > (1u << 30) ? (1u << 30) : (uInt)left_in;
    uInt give_out = left_out > (1u << 30) ? (1u << 30) : (uInt)left_out;
    s.avail_in = give_in;
    s.avail_out = give_out;
    int rc = inflate(&s, Z_NO_FLUSH);
    left_in -= give_in - s.avail_in;
    left_out -= give_out - s.avail_out;
    if (rc == Z_STREAM_END) {
      if (left_out != 0) why = "deflate stream ends before the declared size";
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && left_out == 0)
      why = "deflate stream holds more than the declared size";
    else if (rc == Z_BUF_ERROR)
      why = "deflate stream truncated";
    else
      why = s.msg ? s.msg : "inflate error";
    break;
  }
  /* s.msg points to static text in zlib, so it outlives inflateEnd. */
  inflateEnd(&s);
  return why;
}

tn_status zip_entry_read(const zip_archive *z, int64_t k, const unsigned char **data, size_t *size,
                         unsigned char **owned, char *err, size_t err_len) {
  TN_ASSERT(k >= 0 && k < z->n_entries);
  const zip_entry *e = &z->entries[k];
  int nl = (int)e->name_len;
  *data = NULL;
  *size = 0;
  *owned = NULL;
  if (e->flags & 0x0041) /* bit 0: encrypted, bit 6: strong encryption */
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: zip entry '%.*s': encrypted entries are not supported", z->path, nl,
                   e->name);
  if (e->method != 0 && e->method != 8)
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: zip entry '%.*s': compression method %u is not supported (only stored "
                   "and deflated)",
                   z->path, nl, e->name, (unsigned)e->method);
  if (!span_ok(e->local_offset, LOCAL_SIZE, z->len) || rd32(z->buf + e->local_offset) != SIG_LOCAL)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip entry '%.*s': no local header at offset %llu", z->path, nl, e->name,
                   (unsigned long long)e->local_offset);
  const unsigned char *h = z->buf + e->local_offset;
  uint64_t start = e->local_offset + LOCAL_SIZE + rd16(h + 26) + rd16(h + 28);
  if (!span_ok(start, e->comp_size, z->len))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip entry '%.*s': %llu bytes of data at offset %llu run past the end of "
                   "the %zu-byte file",
                   z->path, nl, e->name, (unsigned long long)e->comp_size,
                   (unsigned long long)start, z->len);
  const unsigned char *in = z->buf + start;
  if (e->method == 0) {
    if (e->size != e->comp_size)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: zip entry '%.*s': stored entry with size %llu but %llu bytes", z->path,
                     nl, e->name, (unsigned long long)e->size, (unsigned long long)e->comp_size);
    *data = in;
  } else {
    if (e->size / DEFLATE_MAX_RATIO > e->comp_size + 1)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: zip entry '%.*s': declared size %llu is impossible for %llu deflated "
                     "bytes",
                     z->path, nl, e->name, (unsigned long long)e->size,
                     (unsigned long long)e->comp_size);
    unsigned char *out = e->size < SIZE_MAX ? malloc(e->size > 0 ? (size_t)e->size : 1) : NULL;
    if (!out)
      return tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                     "%s: zip entry '%.*s': out of memory for %llu bytes", z->path, nl, e->name,
                     (unsigned long long)e->size);
    const char *why = inflate_exact(out, (size_t)e->size, in, (size_t)e->comp_size);
    if (why) {
      free(out);
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: zip entry '%.*s': %s", z->path, nl,
                     e->name, why);
    }
    *data = out;
    *owned = out;
  }
  uint32_t crc = crc_of(*data, (size_t)e->size);
  if (crc != e->crc) {
    free(*owned);
    *owned = NULL;
    *data = NULL;
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip entry '%.*s': CRC-32 mismatch (stored %08llx, computed %08llx): the "
                   "data are corrupt",
                   z->path, nl, e->name, (unsigned long long)e->crc, (unsigned long long)crc);
  }
  *size = (size_t)e->size;
  return TN_STATUS_OK;
}
