/* libFuzzer target for the n2p2 input.data reader: any bytes must give a
 * status, never a crash, a leak or undefined behaviour. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The reader takes a NUL-terminated buffer, as tn_read_file gives it. */
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  if (size) memcpy(buf, data, size);
  buf[size] = '\0';
  tn_dataset *ds = tn_dataset_create();
  if (ds) {
    /* Bohr and Hartree, so that the unit arithmetic runs too. */
    tn_read_options opt = {TN_FORMAT_N2P2, 27.211386245988, 0.529177210903};
    tn_status st = n2p2_read_buffer(ds, "fuzz", buf, size, &opt);
    /* A success must have produced at least one well-formed frame. */
    if (st == TN_STATUS_OK && (ds->n_frames < 1 || ds->atom_start[ds->n_frames] != ds->n_atoms))
      abort();
    tn_dataset_free(ds);
  }
  free(buf);
  return 0;
}
