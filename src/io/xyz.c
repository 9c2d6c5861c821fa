/* PLACEHOLDER: replaced by the extxyz reader/writer. */
#include "io.h"
tn_status xyz_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                          const tn_read_options *opt) {
  (void)buf, (void)len, (void)opt;
  return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_UNSUPPORTED, "%s: extxyz not yet", name);
}
tn_status xyz_write(tn_dataset *ds, const char *path) {
  return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_UNSUPPORTED, "%s: extxyz not yet", path);
}
