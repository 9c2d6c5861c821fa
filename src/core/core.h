/* Internal helpers shared by every module: error text, assertions, growth. */
#ifndef TN_CORE_H
#define TN_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "tanne.h"

/* Programmer errors only (broken invariants), never bad input. */
#define TN_ASSERT(cond)                                                                            \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);                 \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

#if defined(__GNUC__)
#define TN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TN_PRINTF(a, b)
/* |det cell| in Å³ (cell rows are lattice vectors). */
double tn_cell_volume(const double (*cell)[3]);
/* 1 when all three axes are periodic and the cell has positive volume: the
 * frames that have a stress. */
int tn_cell_periodic(const double (*cell)[3], const uint8_t pbc[3]);

#endif

/* Formats into err (truncating) and returns status, so that a failure reads
 *   return tn_fail(err, len, TN_STATUS_BAD_INPUT, "%s:%d: ...", path, line); */
tn_status tn_fail(char *err, size_t err_len, tn_status status, const char *fmt, ...)
    TN_PRINTF(4, 5);

/* Grows *buf (of *cap elements of size elem) to hold at least need elements,
 * doubling. Returns 0 on success, -1 on overflow or out of memory (the old
 * buffer is kept). New memory is zeroed. */
int tn_grow(void **buf, int64_t *cap, int64_t need, size_t elem);

/* Reads a whole file into a NUL-terminated buffer (caller frees). */
tn_status tn_read_file(const char *path, char **data, size_t *len, char *err, size_t err_len);

/* Opens "<path>.tmp.<pid>" for writing; tn_commit_file renames it over path,
 * tn_abort_file removes it. tmp must hold strlen(path) + 32 bytes. */
FILE *tn_open_temp(const char *path, char *tmp, size_t tmp_len);
tn_status tn_commit_file(FILE *f, const char *tmp, const char *path, char *err, size_t err_len);
void tn_abort_file(FILE *f, const char *tmp);

/* |det cell| in Å³ (cell rows are lattice vectors). */
double tn_cell_volume(const double (*cell)[3]);
/* 1 when all three axes are periodic and the cell has positive volume: the
 * frames that have a stress. */
int tn_cell_periodic(const double (*cell)[3], const uint8_t pbc[3]);

#endif
