/* libFuzzer target for the extxyz reader. Each input is read from a
 * NUL-terminated copy (the buffer contract of xyz_read_buffer). When it
 * reads, the data set is also written and read back, and the two must be
 * identical bit for bit: the reader's output is always writable, and the
 * writer's output always reads back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/io/io.h"

static int same_dataset(const tn_dataset *a, const tn_dataset *b) {
  if (a->n_frames != b->n_frames || a->n_atoms != b->n_atoms || a->n_columns != b->n_columns)
    return 0;
  int64_t nf = a->n_frames, na = a->n_atoms;
  if (memcmp(a->atom_start, b->atom_start, (size_t)(nf + 1) * sizeof *a->atom_start) ||
      (na && memcmp(a->species, b->species, (size_t)na * sizeof *a->species)) ||
      (na && memcmp(a->pos, b->pos, (size_t)na * sizeof *a->pos)) ||
      (nf && memcmp(a->cell, b->cell, (size_t)nf * sizeof *a->cell)) ||
      (nf && memcmp(a->pbc, b->pbc, (size_t)nf * sizeof *a->pbc)))
    return 0;
  for (int c = 0; c < a->n_columns; c++) {
    const tn_column *x = &a->columns[c], *y = tn_dataset_column(b, x->name);
    if (!y || x->scope != y->scope || x->type != y->type || x->width != y->width ||
        memcmp(x->present, y->present, (size_t)nf))
      return 0;
    for (int64_t f = 0; f < nf && x->type == TN_COLUMN_TYPE_STRING; f++)
      if (x->present[f] && strcmp(tn_column_text(x, f), tn_column_text(y, f)) != 0) return 0;
    int64_t rows = x->scope == TN_COLUMN_SCOPE_FRAME ? nf : na;
    if (x->values && rows &&
        memcmp(x->values, y->values, (size_t)(rows * x->width) * sizeof *x->values))
      return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  tn_dataset *ds = tn_dataset_create(), *back = tn_dataset_create();
  if (!buf || !ds || !back) abort();
  memcpy(buf, data, size);
  buf[size] = '\0';
  tn_read_options opt = {TN_FORMAT_EXTXYZ, 1.0, 1.0};
  if (xyz_read_buffer(ds, "fuzz.xyz", buf, size, &opt) == TN_STATUS_OK) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_xyz.%ld.xyz", (long)getpid());
    tn_status st = xyz_write(ds, path);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, "write failed: %s\n", tn_dataset_errmsg(ds));
      abort();
    }
    st = tn_dataset_read(back, path, &opt);
    remove(path);
    if (st != TN_STATUS_OK || !same_dataset(ds, back)) {
      fprintf(stderr, "round trip differs: %s\n", tn_dataset_errmsg(back));
      abort();
    }
  }
  tn_dataset_free(back);
  tn_dataset_free(ds);
  free(buf);
  return 0;
}
