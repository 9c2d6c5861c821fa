/* The columns of one frame of a data set as tn_frame_column views: what a
 * command needs to write the frame again with columns of its own added. */
#include "cli.h"

int cli_frame_columns(tn_frame_column *out, const tn_dataset *ds, int64_t f,
                      const char *const *names) {
  int nc = 0;
  for (int c = 0; c < ds->n_columns; c++) {
    const tn_column *col = &ds->columns[c];
    if (!col->present[f]) continue;
    tn_frame_column *fc = &out[nc++];
    *fc = (tn_frame_column){.name = names ? names[c] : col->name,
                            .scope = col->scope,
                            .type = col->type,
                            .width = col->width};
    if (col->type == TN_COLUMN_TYPE_STRING)
      fc->text = tn_column_text(col, f);
    else
      fc->values = tn_column_row(col, col->scope == TN_COLUMN_SCOPE_FRAME ? f : ds->atom_start[f]);
  }
  return nc;
}
