/* The tagged container: round trips, and every refusal of the reader. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../src/core/tagfile.h"
#include "harness.h"

/* Requests that cannot be met return NULL under ASan too, so the
 * out-of-memory path can be tested (ASan would otherwise stop the program). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

static const double test_weights[5] = {1.5, -0.0, 1e-300, 3.141592653589793, -2.5e7};

/* A model-like file: text, a count, doubles, an empty section and bytes
 * whose length is not a multiple of 8 (so padding is exercised). */
static tn_status write_sample(const char *path, uint32_t kind, char *err, size_t err_len) {
  tf_writer *w = tf_writer_create(kind);
  tf_add_text(w, "arch", "schnet");
  tf_add_u64(w, "n_params", 5);
  tf_add_f64s(w, "params", test_weights, 5);
  tf_add(w, "empty", NULL, 0);
  tf_add(w, "odd", "abc", 3);
  tn_status st = tf_write(w, path, err, err_len);
  tf_writer_free(w);
  return st;
}

static unsigned char *slurp(const char *path, size_t *len) {
  char *data = NULL;
  char err[256];
  if (tn_read_file(path, &data, len, err, sizeof err) != TN_STATUS_OK) return NULL;
  return (unsigned char *)data;
}

static void spit(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(data, 1, len, f);
  fclose(f);
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> (8 * k));
}
static void put_u64(unsigned char *p, uint64_t v) {
  for (int k = 0; k < 8; k++) p[k] = (unsigned char)(v >> (8 * k));
}

/* Recomputes the CRC of a buffer whose contents were edited on purpose, so
 * that the reader's later checks (not the checksum) see the edit. */
static void reseal(unsigned char *b, size_t len) {
  uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(len - 8));
  put_u32(b + len - 8, (uint32_t)crc);
}

static void test_roundtrip(void) {
  const char *path = harness_tmp("model.tnm");
  char err[512] = "";
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err));
  CHECK(f.version == 1 && f.kind == TF_KIND_MODEL && f.n_sections == 5);
  const char *arch = tf_get_text(&f, "arch", err, sizeof err);
  CHECK(arch && strcmp(arch, "schnet") == 0);
  uint64_t n = 0;
  CHECK_OK(tf_get_u64(&f, "n_params", &n, err, sizeof err));
  CHECK(n == 5);
  double w[5];
  CHECK_OK(tf_get_f64s(&f, "params", w, 5, err, sizeof err));
  CHECK(memcmp(w, test_weights, sizeof w) == 0); /* bit for bit, -0.0 included */
  size_t len = 99;
  CHECK(tf_find(&f, "empty", &len) != NULL && len == 0);
  const char *odd = tf_find(&f, "odd", &len);
  CHECK(odd && len == 3 && memcmp(odd, "abc", 3) == 0);
  CHECK(tf_find(&f, "absent", &len) == NULL && len == 0);
  CHECK(strcmp(f.sections[2].tag, "params") == 0);
  for (uint64_t k = 0; k < f.n_sections; k++) /* every section 8-byte aligned */
    CHECK(((uintptr_t)f.sections[k].data & 7) == 0);

  /* Exact layout: header 32, then tag 16 + length 8 + padded data. */
  size_t file_len;
  unsigned char *b = slurp(path, &file_len);
  size_t want = 32 + (24 + 8) + (24 + 8) + (24 + 40) + 24 + (24 + 8) + 8;
  CHECK(b && file_len == want);
  if (b) {
    CHECK(memcmp(b, "TANNE\r\n\x1a", 8) == 0 && memcmp(b + file_len - 4, "END\n", 4) == 0);
    CHECK(b[8] == 1 && b[12] == 1 && b[16] == (unsigned char)want && b[24] == 5);
    CHECK(memcmp(b + 32, "arch\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0 && b[48] == 7);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(file_len - 8));
    CHECK(b[file_len - 8] == (crc & 0xff) && b[file_len - 5] == ((crc >> 24) & 0xff));
  }
  free(b);
  tf_free(&f);
  tf_free(&f); /* safe twice */

  /* Any kind, when asked for TF_KIND_ANY; and a file of no sections. */
  tf_writer *e = tf_writer_create(TF_KIND_CHECKPOINT);
  CHECK_OK(tf_write(e, path, err, sizeof err));
  tf_writer_free(e);
  CHECK_OK(tf_read(&f, path, TF_KIND_ANY, err, sizeof err));
  CHECK(f.kind == TF_KIND_CHECKPOINT && f.n_sections == 0 && f.len == 40);
  tf_free(&f);
}

/* Writing a read file's sections back gives the same bytes. */
static void test_canonical(void) {
  const char *a = harness_tmp("a.tnm"), *b = harness_tmp("b.tnm");
  char err[512];
  CHECK_OK(write_sample(a, TF_KIND_MODEL, err, sizeof err));
  tf_file f;
  CHECK_OK(tf_read(&f, a, TF_KIND_ANY, err, sizeof err));
  tf_writer *w = tf_writer_create(f.kind);
  for (uint64_t k = 0; k < f.n_sections; k++)
    CHECK_OK(tf_add(w, f.sections[k].tag, f.sections[k].data, (size_t)f.sections[k].n_bytes));
  CHECK_OK(tf_write(w, b, err, sizeof err));
  tf_writer_free(w);
  size_t la, lb;
  unsigned char *ba = slurp(a, &la), *bb = slurp(b, &lb);
  CHECK(ba && bb && la == lb && memcmp(ba, bb, la) == 0);
  free(ba);
  free(bb);
  tf_free(&f);
}

static void test_truncated(void) {
  const char *path = harness_tmp("model.tnm"), *cut = harness_tmp("cut.tnm");
  char err[512];
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  size_t len;
  unsigned char *b = slurp(path, &len);
  if (!b) return;
  size_t lengths[] = {0, 3, 8, 20, 31, 32, 33, 100, len / 2, len - 8, len - 4, len - 1};
  for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
    spit(cut, b, lengths[k]);
    tf_file f;
    err[0] = '\0';
    CHECK(tf_read(&f, cut, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, cut) != NULL);
    if (lengths[k] == 0 || lengths[k] == 3) {
      /* Three bytes match the magic, but an empty file is not ours. */
      CHECK(strstr(err, lengths[k] ? "truncated" : "not a tanne model file") != NULL);
    } else if (lengths[k] >= 32) {
      char want[64];
      snprintf(want, sizeof want, "truncated (%zu of %zu bytes)", lengths[k], len);
      CHECK(strstr(err, want) != NULL);
      if (!strstr(err, want)) fprintf(stderr, "  %s\n", err);
    } else {
      CHECK(strstr(err, "truncated") != NULL);
    }
    tf_free(&f);
  }
  /* Bytes appended after the end. */
  unsigned char *longer = malloc(len + 8);
  if (longer) {
    memcpy(longer, b, len);
    memset(longer + len, 0, 8);
    spit(cut, longer, len + 8);
    tf_file f;
    CHECK(tf_read(&f, cut, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "corrupted") != NULL);
  }
  free(longer);
  free(b);
}

static void test_bit_flips(void) {
  const char *path = harness_tmp("model.tnm"), *bad = harness_tmp("flipped.tnm");
  char err[512];
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  size_t len;
  unsigned char *b = slurp(path, &len);
  if (!b) return;
  /* In a tag, a length, data, padding, the count of sections, the kind, and
   * the stored CRC: all caught by the checksum. */
  size_t at[] = {24, 12, 33, 48, 60, 110, 130, 150, len - 8, len - 6};
  for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
    b[at[k]] ^= 0x10;
    spit(bad, b, len);
    b[at[k]] ^= 0x10;
    tf_file f;
    err[0] = '\0';
    CHECK(tf_read(&f, bad, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "checksum mismatch: the file is corrupted") != NULL);
    if (!strstr(err, "checksum")) fprintf(stderr, "  byte %zu: %s\n", at[k], err);
  }
  /* Every single-bit change anywhere is refused, with some message. */
  int refused = 0, total = 0;
  for (size_t p = 0; p < len; p++) {
    for (int bit = 0; bit < 8; bit += 3) {
      b[p] ^= (unsigned char)(1u << bit);
      tf_file f;
      tn_status st = tf_read_buffer(&f, "buf", b, len, TF_KIND_MODEL, err, sizeof err);
      b[p] ^= (unsigned char)(1u << bit);
      refused += st != TN_STATUS_OK && strstr(err, "buf") != NULL;
      total++;
      tf_free(&f);
    }
  }
  CHECK(refused == total);
  free(b);
}

static void test_magic_kind_version(void) {
  const char *path = harness_tmp("model.tnm"), *bad = harness_tmp("bad.tnm");
  char err[512];
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  size_t len;
  unsigned char *b = slurp(path, &len);
  if (!b) return;
  tf_file f;

  /* Not ours: text, and a file with our size but another magic. */
  spit(bad, (const unsigned char *)"energy: 1\n", 10);
  CHECK(tf_read(&f, bad, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "bad.tnm: not a tanne model file") != NULL);
  b[0] = 'X';
  spit(bad, b, len);
  b[0] = 'T';
  CHECK(tf_read(&f, bad, TF_KIND_ANY, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "not a tanne model/checkpoint file") != NULL);
  b[6] = '\r'; /* a text-mode transfer turned \n into \r */
  spit(bad, b, len);
  b[6] = '\n';
  CHECK(tf_read(&f, bad, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);

  /* The wrong kind, both ways. */
  CHECK(tf_read(&f, path, TF_KIND_CHECKPOINT, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "model.tnm: is a model, not a checkpoint") != NULL);
  const char *ckpt = harness_tmp("run.ckpt");
  CHECK_OK(write_sample(ckpt, TF_KIND_CHECKPOINT, err, sizeof err));
  CHECK(tf_read(&f, ckpt, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "run.ckpt: is a checkpoint, not a model") != NULL);
  CHECK_OK(write_sample(ckpt, 7, err, sizeof err));
  CHECK(tf_read(&f, ckpt, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "is a kind-7, not a model") != NULL);

  /* A newer container version (checksum intact) is unsupported; version 0
   * never existed. */
  put_u32(b + 8, 2);
  reseal(b, len);
  spit(bad, b, len);
  CHECK(tf_read(&f, bad, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "bad.tnm: container version 2 is newer") != NULL);
  put_u32(b + 8, 0);
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "v0", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "v0: container version 0") != NULL);
  put_u32(b + 8, 1);
  put_u32(b + 12, 0); /* kind 0 is reserved for "any" */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "k0", b, len, TF_KIND_ANY, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "k0: kind 0 is reserved") != NULL);
  put_u32(b + 12, TF_KIND_MODEL);
  reseal(b, len);
  CHECK_OK(tf_read_buffer(&f, "v1", b, len, TF_KIND_MODEL, err, sizeof err));
  tf_free(&f);

  /* The size field changed (the file still ends in its end marker). */
  put_u64(b + 16, len + 8);
  CHECK(tf_read_buffer(&f, "sz", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "sz: the header says") != NULL && strstr(err, "corrupted") != NULL);
  put_u64(b + 16, len);
  /* The end marker changed. */
  b[len - 1] = 'X';
  CHECK(tf_read_buffer(&f, "end", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "end: no end marker") != NULL);
  free(b);

  /* Missing files are IO. */
  CHECK(tf_read(&f, harness_tmp("absent.tnm"), TF_KIND_MODEL, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "absent.tnm") != NULL);
}

/* Crafted files whose checksum is right but whose sections are not. */
static void test_malformed_sections(void) {
  unsigned char b[200];
  char err[512];
  tf_file f;
  /* header + section "a" of 8 bytes + section "b" of 8 bytes + trailer */
  size_t len = 32 + 2 * (24 + 8) + 8;
  memset(b, 0, sizeof b);
  memcpy(b, "TANNE\r\n\x1a", 8);
  put_u32(b + 8, 1);
  put_u32(b + 12, TF_KIND_MODEL);
  put_u64(b + 16, len);
  put_u64(b + 24, 2);
  b[32] = 'a';
  put_u64(b + 48, 8);
  memcpy(b + 56, "12345678", 8);
  b[64] = 'b';
  put_u64(b + 80, 8);
  memcpy(b + 88, "abcdefgh", 8);
  memcpy(b + len - 4, "END\n", 4);
  reseal(b, len);
  CHECK_OK(tf_read_buffer(&f, "ok", b, len, TF_KIND_MODEL, err, sizeof err));
  tf_free(&f);

  b[64] = 'a'; /* a duplicate tag */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "dup", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "dup: section 'a' appears twice") != NULL);
  b[64] = 'b';

  put_u64(b + 80, 9); /* data past the end */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "long", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "long: section 'b': 9 bytes run past the end") != NULL);
  put_u64(b + 80, UINT64_MAX); /* and wrapping around */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "wrap", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  put_u64(b + 80, 7); /* a length whose padding byte is not zero */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "pad", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "pad: section 'b': nonzero padding") != NULL);
  put_u64(b + 80, 0); /* fewer bytes than the sections' room: left over */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "gap", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  put_u64(b + 80, 8);

  put_u64(b + 48, 40); /* section 'a' swallows 'b': no room left for a second */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "more", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "more: section 1 starts past the end") != NULL);
  put_u64(b + 48, 8);
  put_u64(b + 24, 3); /* more sections than fit */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "more", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "more: 3 sections cannot fit") != NULL);
  put_u64(b + 24, UINT64_MAX / 2); /* far more: refused before allocating */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "many", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "cannot fit") != NULL);
  put_u64(b + 24, 1); /* fewer: bytes left after the last */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "less", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "less: 32 bytes after the last section") != NULL);
  put_u64(b + 24, 2);

  const char *bad_tags[] = {"", "a b", "x\001", "0123456789abcdef"};
  for (int k = 0; k < 4; k++) {
    memset(b + 64, 0, 16);
    memcpy(b + 64, bad_tags[k], strlen(bad_tags[k]));
    reseal(b, len);
    CHECK(tf_read_buffer(&f, "tag", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, "tag: section 1 at byte 64: malformed tag") != NULL);
  }
  memset(b + 64, 0, 16);
  b[64] = 'b';
  b[66] = 'c'; /* junk after the tag's NUL */
  reseal(b, len);
  CHECK(tf_read_buffer(&f, "tail", b, len, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "malformed tag") != NULL);
}

static void test_lookups(void) {
  const char *path = harness_tmp("model.tnm");
  char err[512];
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err));
  double w[6];
  CHECK(tf_get_f64s(&f, "params", w, 6, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "model.tnm: section 'params' holds 40 bytes, expected 48") != NULL);
  CHECK(tf_get_f64s(&f, "weights", w, 5, err, sizeof err) == TN_STATUS_NOT_FOUND);
  CHECK(strstr(err, "model.tnm: no section 'weights'") != NULL);
  CHECK(tf_get_f64s(&f, "params", w, SIZE_MAX / 4, err, sizeof err) == TN_STATUS_INVALID_ARG);
  uint64_t u;
  CHECK(tf_get_u64(&f, "odd", &u, err, sizeof err) == TN_STATUS_BAD_INPUT);
  char three[3];
  CHECK_OK(tf_get(&f, "odd", three, 3, err, sizeof err));
  CHECK(memcmp(three, "abc", 3) == 0);
  CHECK_OK(tf_get(&f, "empty", NULL, 0, err, sizeof err));
  err[0] = '\0';
  CHECK(tf_get_text(&f, "odd", err, sizeof err) == NULL); /* no NUL */
  CHECK(strstr(err, "section 'odd' is not text") != NULL);
  CHECK(tf_get_text(&f, "empty", err, sizeof err) == NULL);
  CHECK(tf_get_text(&f, "params", err, sizeof err) == NULL); /* binary */
  CHECK(tf_get_text(&f, "title", err, sizeof err) == NULL);
  CHECK(strstr(err, "no section 'title'") != NULL);
  tf_free(&f);
}

static int temp_files_in(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".tmp.") != NULL;
  closedir(d);
  return n;
}

static void test_writer_errors(void) {
  char err[512];
  const char *path = harness_tmp("w.tnm");
  tf_writer *w = tf_writer_create(TF_KIND_MODEL);
  CHECK_OK(tf_add_u64(w, "a", 1));
  CHECK(tf_add_u64(w, "a", 2) == TN_STATUS_INVALID_ARG); /* duplicate */
  CHECK(strstr(tf_writer_errmsg(w), "section 'a' added twice") != NULL);
  CHECK(tf_add_u64(w, "b", 2) == TN_STATUS_INVALID_ARG); /* sticky */
  CHECK(tf_write(w, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "w.tnm: not written: tagfile: section 'a' added twice") != NULL);
  tf_writer_free(w);
  tf_file f;
  CHECK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_IO); /* not written */

  const char *bad[] = {"", "sixteen_chars_xx", "with space", "tab\t", "caf\xc3\xa9"};
  for (int k = 0; k < 5; k++) {
    w = tf_writer_create(TF_KIND_MODEL);
    CHECK(tf_add(w, bad[k], "x", 1) == TN_STATUS_INVALID_ARG);
    CHECK(strstr(tf_writer_errmsg(w), "must be 1 to 15 printable ASCII") != NULL);
    tf_writer_free(w);
  }
  w = tf_writer_create(TF_KIND_MODEL);
  CHECK_OK(tf_add(w, "fifteen_chars_x", "x", 1));
  CHECK(tf_add(w, "nodata", NULL, 4) == TN_STATUS_INVALID_ARG);
  tf_writer_free(w);
  w = tf_writer_create(TF_KIND_ANY);
  CHECK(tf_write(w, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "kind 0 is reserved") != NULL);
  tf_writer_free(w);

  /* Out of memory: a copy that cannot be allocated; the writer says so and
   * refuses to write. The source is never read since malloc fails first. */
  if (sizeof(size_t) >= 8) {
    w = tf_writer_create(TF_KIND_MODEL);
    char small[8] = {0};
    CHECK(tf_add(w, "huge", small, (size_t)1 << 62) == TN_STATUS_NO_MEMORY);
    CHECK(strstr(tf_writer_errmsg(w), "section 'huge': out of memory") != NULL);
    CHECK(tf_write(w, path, err, sizeof err) == TN_STATUS_NO_MEMORY);
    tf_writer_free(w);
  }
  CHECK(tf_add(NULL, "a", "x", 1) == TN_STATUS_NO_MEMORY);
  CHECK(tf_write(NULL, path, err, sizeof err) == TN_STATUS_NO_MEMORY);
  CHECK(strstr(tf_writer_errmsg(NULL), "out of memory") != NULL);

  /* A path in a missing folder: IO, and nothing is left behind. */
  char missing[600];
  snprintf(missing, sizeof missing, "%s/no/such/dir/m.tnm", harness_tmp(""));
  CHECK(write_sample(missing, TF_KIND_MODEL, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "m.tnm: cannot write") != NULL);
}

/* A committed write leaves the file and no temporary; writing over an
 * existing file replaces it whole. */
static void test_atomic(void) {
  char err[512], dir[512];
  snprintf(dir, sizeof dir, "%s", harness_tmp(""));
  const char *path = harness_tmp("atomic.tnm");
  CHECK_OK(write_sample(path, TF_KIND_MODEL, err, sizeof err));
  CHECK(temp_files_in(dir, "atomic.tnm") == 0);
  tf_writer *w = tf_writer_create(TF_KIND_MODEL);
  CHECK_OK(tf_add_text(w, "arch", "painn"));
  CHECK_OK(tf_write(w, path, err, sizeof err));
  tf_writer_free(w);
  CHECK(temp_files_in(dir, "atomic.tnm") == 0);
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_MODEL, err, sizeof err));
  CHECK(f.n_sections == 1 && strcmp(tf_get_text(&f, "arch", err, sizeof err), "painn") == 0);
  tf_free(&f);
}

int main(void) {
  RUN(test_roundtrip);
  RUN(test_canonical);
  RUN(test_truncated);
  RUN(test_bit_flips);
  RUN(test_magic_kind_version);
  RUN(test_malformed_sections);
  RUN(test_lookups);
  RUN(test_writer_errors);
  RUN(test_atomic);
  return harness_finish();
}
