/* NumPy .npy arrays held in memory: the header (format versions 1.0, 2.0 and
 * 3.0) and conversion of numeric elements to double.
 * Spec: numpy/lib/format.py docstring ("NPY format", NEP 1). */
#ifndef TN_NPY_H
#define TN_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

#define NPY_MAX_DIMS 32

typedef enum npy_kind {
  NPY_KIND_FLOAT,  /* f4, f8 */
  NPY_KIND_INT,    /* i1, i2, i4, i8 */
  NPY_KIND_UINT,   /* u1, u2, u4, u8 */
  NPY_KIND_BOOL,   /* b1 */
  NPY_KIND_STRING, /* S<n> (bytes) or U<n> (UTF-32): metadata, never converted */
} npy_kind;

typedef struct npy_array {
  npy_kind kind;
  int big_endian;    /* byte order of multi-byte elements */
  size_t itemsize;   /* bytes per element */
  int fortran_order; /* data laid out with the first axis fastest */
  int ndim;          /* 0 for a scalar */
  int64_t shape[NPY_MAX_DIMS];
  uint64_t count;            /* product of shape */
  const unsigned char *data; /* count * itemsize bytes, borrowed, maybe unaligned */
} npy_array;

/* Parses an .npy image buf[0..len) and checks that exactly count * itemsize
 * data bytes follow the header. key names the array in messages. Fails with
 * TN_STATUS_BAD_INPUT (bad magic or header, data size mismatch) or
 * TN_STATUS_UNSUPPORTED (complex, object, structured, half or other dtypes;
 * format versions other than 1, 2 and 3). */
tn_status npy_parse(npy_array *a, const unsigned char *buf, size_t len, const char *path,
                    const char *key, char *err, size_t err_len);

/* Converts all a->count elements of a numeric array (not NPY_KIND_STRING)
 * to double: out[a->count], always in C (row-major) order, transposing
 * Fortran-ordered data (sGDML writes R and F that way). Integers beyond 2^53
 * round. */
void npy_to_double(const npy_array *a, double *out);

#endif
