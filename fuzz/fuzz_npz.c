/* libFuzzer target: any bytes through the npz reader (zip + npy + mapping).
 * Every input must return a status without crashing, leaking or reading
 * outside the buffer; a failed read must leave the data set empty. */
#include <stddef.h>
#include <stdint.h>

#include "../src/io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tn_dataset *ds = tn_dataset_create();
  if (!ds) return 0;
  tn_read_options opt = tn_read_options_default();
  opt.format = TN_FORMAT_NPZ;
  opt.energy_unit = tn_energy_unit("kcal/mol");
  opt.length_unit = 1.0;
  tn_status st = npz_read_buffer(ds, "fuzz.npz", data, size, &opt);
  if (st != TN_STATUS_OK) {
    TN_ASSERT(ds->errmsg[0] != '\0');
    tn_dataset_truncate(ds, 0);
  }
  tn_dataset_free(ds);
  return 0;
}
