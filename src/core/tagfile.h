/* The tagged binary container that model files and checkpoints are made of:
 * a versioned, checksummed list of named byte sections.
 *
 * Layout (version 1), all integers little-endian:
 *
 *   offset  size  field
 *   0       8     magic "TANNE\r\n\x1a" (the \r\n and ^Z catch text-mode
 *                 transfers and stop `type` on DOS, as in PNG)
 *   8       4     uint32 container version (TF_VERSION)
 *   12      4     uint32 kind (TF_KIND_MODEL, TF_KIND_CHECKPOINT, ...)
 *   16      8     uint64 total file size in bytes, trailer included
 *   24      8     uint64 n_sections
 *   32            n_sections times:
 *                   char[16] tag, NUL-padded (1..15 printable ASCII chars)
 *                   uint64 n_bytes
 *                   n_bytes of data, then zero padding to a multiple of 8
 *   size-8  4     uint32 CRC-32 (zlib's crc32) of every byte before it
 *   size-4  4     "END\n"
 *
 * Every section's data starts at a multiple of 8 from the file start, so in
 * a tf_file (whose buffer comes from malloc) it is 8-byte aligned. Readers
 * are strict: tags and padding must be zero-filled, tags unique, and the
 * sections must end exactly at the trailer, so that a file has one encoding
 * and writing a read file's sections back reproduces it byte for byte.
 *
 * Sections hold raw bytes; the numeric helpers store host-order doubles and
 * uint64s, which is why a big-endian host is refused (TN_STATUS_UNSUPPORTED)
 * rather than silently reading byte-swapped parameters. */
#ifndef TN_TAGFILE_H
#define TN_TAGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define TF_VERSION       1u
#define TF_TAG_MAX       15 /* characters in a tag, without the NUL */
#define TF_HEADER_BYTES  32
#define TF_TRAILER_BYTES 8

/* Kinds of file. tf_read accepts any kind when asked for TF_KIND_ANY. */
#define TF_KIND_ANY        0u
#define TF_KIND_MODEL      1u
#define TF_KIND_CHECKPOINT 2u

/* "model", "checkpoint", or NULL for other kinds. */
const char *tf_kind_name(uint32_t kind);

/* ------------------------------------------------------------------ writer */

typedef struct tf_writer tf_writer;

/* A writer for a file of that kind (not TF_KIND_ANY), or NULL when out of
 * memory. Sections are written in the order they are added. */
tf_writer *tf_writer_create(uint32_t kind);
void tf_writer_free(tf_writer *w);

/* Copies n bytes (data may be NULL when n is 0) into a new section.
 * INVALID_ARG for a tag that is empty, longer than TF_TAG_MAX, not printable
 * ASCII, or already added; NO_MEMORY when the copy cannot be allocated.
 * Errors are sticky: the first one is kept (tf_writer_errmsg) and tf_write
 * then refuses with it, so a caller may add every section and check once.
 * A NULL writer (a failed tf_writer_create) gives NO_MEMORY. */
tn_status tf_add(tf_writer *w, const char *tag, const void *data, size_t n);
/* The text and its terminating NUL. */
tn_status tf_add_text(tf_writer *w, const char *tag, const char *text);
/* 8 bytes, host order (little-endian). */
tn_status tf_add_u64(tf_writer *w, const char *tag, uint64_t value);
/* n doubles, 8 bytes each, host order. */
tn_status tf_add_f64s(tf_writer *w, const char *tag, const double *values, size_t n);
/* The first error of tf_add*, or "" if none. */
const char *tf_writer_errmsg(const tf_writer *w);

/* Writes the file atomically: into a temporary file beside path that is
 * fsynced and renamed over path only once complete. IO when it cannot be
 * written (nothing is left behind), UNSUPPORTED on a big-endian host, or the
 * sticky error of an earlier tf_add. err gets the details. */
tn_status tf_write(const tf_writer *w, const char *path, char *err, size_t err_len);

/* ------------------------------------------------------------------ reader */

typedef struct tf_section {
  char tag[TF_TAG_MAX + 1];
  uint64_t n_bytes;
  const unsigned char *data; /* into tf_file.buf, 8-byte aligned */
} tf_section;

typedef struct tf_file {
  char *path; /* copy of the name given to tf_read, for messages */
  uint32_t version, kind;
  uint64_t n_sections;
  tf_section *sections; /* [n_sections] in file order */
  unsigned char *buf;   /* the whole file */
  size_t len;
} tf_file;

/* Reads and checks a whole file. kind is the kind the caller expects, or
 * TF_KIND_ANY. On failure *f is empty (tf_free is still safe) and err names
 * the file:
 *   IO           cannot be opened or read
 *   BAD_INPUT    not a tanne file (magic); truncated (size field larger than
 *                the file); trailing bytes; checksum mismatch; another kind
 *                of file ("x: is a checkpoint, not a model"); malformed
 *                sections (past the end, bad tag, nonzero padding, duplicate)
 *   UNSUPPORTED  a newer container version, or a big-endian host
 *   NO_MEMORY */
tn_status tf_read(tf_file *f, const char *path, uint32_t kind, char *err, size_t err_len);
/* The same checks on a buffer already in memory (copied); name is used in
 * messages. What the fuzz target drives. */
tn_status tf_read_buffer(tf_file *f, const char *name, const void *data, size_t len, uint32_t kind,
                         char *err, size_t err_len);
void tf_free(tf_file *f);

/* The section's bytes and their count, or NULL if there is no such section. */
const void *tf_find(const tf_file *f, const char *tag, size_t *n);

/* Copies a section that must hold exactly n bytes: NOT_FOUND if it is
 * absent, BAD_INPUT if its size differs; err names the file and section. */
tn_status tf_get(const tf_file *f, const char *tag, void *out, size_t n, char *err, size_t err_len);
tn_status tf_get_f64s(const tf_file *f, const char *tag, double *out, size_t n, char *err,
                      size_t err_len);
tn_status tf_get_u64(const tf_file *f, const char *tag, uint64_t *out, char *err, size_t err_len);
/* A text section (ending in its only NUL), valid until tf_free; NULL with
 * err set when it is absent or not text. */
const char *tf_get_text(const tf_file *f, const char *tag, char *err, size_t err_len);

#endif
