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
    if (st != TN_STATUS_OK || !tn_dataset_equal(ds, back)) {
      fprintf(stderr, "round trip differs: %s\n", tn_dataset_errmsg(back));
      abort();
    }
  }
  tn_dataset_free(back);
  tn_dataset_free(ds);
  free(buf);
  return 0;
}
