/* Internal entry points of the file-format readers and writers. Each reader
 * appends to ds and, on failure, returns a status with ds->errmsg set; the
 * dispatcher (read.c) then truncates ds back, so readers need not undo.
 * Units in opt are already resolved (never zero) when a reader sees them. */
#ifndef TN_IO_H
#define TN_IO_H

#include "../core/core.h"

/* Extended XYZ from a buffer (NUL-terminated, len bytes); name is used in
 * messages. The buffer form is what the fuzz target drives. */
tn_status xyz_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                          const tn_read_options *opt);
tn_status xyz_write(tn_dataset *ds, const char *path);

tn_status npz_read_buffer(tn_dataset *ds, const char *name, const unsigned char *buf, size_t len,
                          const tn_read_options *opt);

tn_status n2p2_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                           const tn_read_options *opt);

tn_status ani_read(tn_dataset *ds, const char *path, const tn_read_options *opt);

#endif
