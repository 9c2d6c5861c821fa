/* A minimal reader of zip archives held in memory: the central directory,
 * stored (method 0) and deflated (method 8) entries, ZIP64 sizes and offsets,
 * and a CRC-32 check of every entry read. Enough for numpy's .npz files.
 * Spec: PKWARE APPNOTE.TXT 6.3.x, sections 4.3 (layout) and 4.5.3 (ZIP64). */
#ifndef TN_ZIP_H
#define TN_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

typedef struct zip_entry {
  const char *name; /* points into the archive buffer; not NUL-terminated */
  size_t name_len;
  uint16_t method;       /* 0 stored, 8 deflated */
  uint16_t flags;        /* general purpose bit flags */
  uint32_t crc;          /* CRC-32 of the uncompressed bytes */
  uint64_t comp_size;    /* bytes in the archive */
  uint64_t size;         /* bytes once uncompressed */
  uint64_t local_offset; /* of the local file header */
} zip_entry;

typedef struct zip_archive {
  const unsigned char *buf; /* the whole archive, borrowed */
  size_t len;
  const char *path; /* for messages */
  int64_t n_entries;
  zip_entry *entries; /* [n_entries], central-directory order */
} zip_archive;

/* Reads the central directory of buf[0..len). The archive borrows buf and
 * path, which must outlive it. Fails with TN_STATUS_BAD_INPUT when buf is not
 * a zip archive or its directory points outside it, TN_STATUS_UNSUPPORTED for
 * multi-disk archives, TN_STATUS_NO_MEMORY. On failure *z needs no close. */
tn_status zip_open(zip_archive *z, const unsigned char *buf, size_t len, const char *path,
                   char *err, size_t err_len);
void zip_close(zip_archive *z);

/* The uncompressed bytes of entry k, checked against the entry's CRC-32.
 * *data points into the archive for a stored entry (with *owned NULL) or to
 * a new buffer, also returned in *owned for the caller to free. Fails with
 * TN_STATUS_BAD_INPUT (bad local header, data past the end, inflate error,
 * size or CRC mismatch), TN_STATUS_UNSUPPORTED (encryption, other methods),
 * TN_STATUS_NO_MEMORY. */
tn_status zip_entry_read(const zip_archive *z, int64_t k, const unsigned char **data, size_t *size,
                         unsigned char **owned, char *err, size_t err_len);

#endif
