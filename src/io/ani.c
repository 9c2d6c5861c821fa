/* PLACEHOLDER: replaced by the ANI HDF5 reader. */
#include "io.h"
tn_status ani_read(tn_dataset *ds, const char *path, const tn_read_options *opt) {
  (void)opt;
  return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_UNSUPPORTED, "%s: ani not yet", path);
}
