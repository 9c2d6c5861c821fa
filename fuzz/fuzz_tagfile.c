/* libFuzzer target for the tagged container reader. Most inputs fail the
 * checksum, so the target also reseals each input (recomputes the size
 * field and CRC-32 as a writer would) and reads it a second time, which lets
 * mutations reach the section parser. Whatever reads is written back from
 * its sections, and the file written must equal the bytes read: the format
 * has one encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/core/tagfile.h"

static void check_roundtrip(const tf_file *f, const unsigned char *bytes, size_t size) {
  char err[512];
  /* Lookups over every section must not fail on a file that read. */
  for (uint64_t k = 0; k < f->n_sections; k++) {
    size_t n;
    if (tf_find(f, f->sections[k].tag, &n) != f->sections[k].data || n != f->sections[k].n_bytes)
      abort();
    (void)tf_get_text(f, f->sections[k].tag, err, sizeof err);
  }
  tf_writer *w = tf_writer_create(f->kind);
  for (uint64_t k = 0; k < f->n_sections; k++)
    tf_add(w, f->sections[k].tag, f->sections[k].data, (size_t)f->sections[k].n_bytes);
  char path[64];
  snprintf(path, sizeof path, "/tmp/fuzz_tagfile.%ld.tnm", (long)getpid());
  if (tf_write(w, path, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "write failed: %s\n", err);
    abort();
  }
  tf_writer_free(w);
  char *back;
  size_t len;
  if (tn_read_file(path, &back, &len, err, sizeof err) != TN_STATUS_OK) abort();
  remove(path);
  if (len != size || memcmp(back, bytes, size) != 0) {
    fprintf(stderr, "written file differs from the one read\n");
    abort();
  }
  free(back);
}

static void try_read(const unsigned char *bytes, size_t size) {
  tf_file f;
  char err[512];
  if (tf_read_buffer(&f, "fuzz.tnm", bytes, size, TF_KIND_ANY, err, sizeof err) == TN_STATUS_OK) {
    check_roundtrip(&f, bytes, size);
  } else if (strstr(err, "fuzz.tnm") == NULL) {
    fprintf(stderr, "message does not name the file: %s\n", err);
    abort();
  }
  tf_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_read(data, size);
  if (size < 40) return 0;
  unsigned char *copy = malloc(size);
  if (!copy) abort();
  memcpy(copy, data, size);
  for (int k = 0; k < 8; k++) copy[16 + k] = (unsigned char)((uint64_t)size >> (8 * k));
  uLong crc = crc32(crc32(0L, Z_NULL, 0), copy, (uInt)(size - 8));
  for (int k = 0; k < 4; k++) copy[size - 8 + k] = (unsigned char)(crc >> (8 * k));
  try_read(copy, size);
  free(copy);
  return 0;
}
