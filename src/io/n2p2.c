/* PLACEHOLDER: replaced by the n2p2 reader. */
#include "io.h"
tn_status n2p2_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                           const tn_read_options *opt) {
  (void)buf, (void)len, (void)opt;
  return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_UNSUPPORTED, "%s: n2p2 not yet", name);
}
