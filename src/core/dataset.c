/* A data set: frames concatenated, one growing allocation per array kind. */
#include <string.h>

#include "core.h"

tn_dataset *tn_dataset_create(void) {
  tn_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) return NULL;
  int64_t cap = 0;
  if (tn_grow((void **)&ds->atom_start, &cap, 1, sizeof *ds->atom_start) != 0) {
    free(ds);
    return NULL;
  }
  return ds;
}

static void column_release(tn_column *c) {
  free(c->values);
  free(c->present);
  free(c->text_at);
  free(c->text);
}

void tn_dataset_free(tn_dataset *ds) {
  if (!ds) return;
  free(ds->atom_start);
  free(ds->species);
  free(ds->pos);
  free(ds->cell);
  free(ds->pbc);
  for (int c = 0; c < ds->n_columns; c++) column_release(&ds->columns[c]);
  free(ds->columns);
  free(ds);
}

const char *tn_dataset_errmsg(const tn_dataset *ds) { return ds ? ds->errmsg : "no data set"; }

const tn_column *tn_dataset_column(const tn_dataset *ds, const char *name) {
  for (int c = 0; c < ds->n_columns; c++)
    if (strcmp(ds->columns[c].name, name) == 0) return &ds->columns[c];
  return NULL;
}

const double *tn_column_row(const tn_column *col, int64_t r) {
  return col->values ? col->values + r * col->width : NULL;
}

const char *tn_column_text(const tn_column *col, int64_t f) {
  if (col->type != TN_COLUMN_TYPE_STRING || !col->present[f]) return NULL;
  return col->text + col->text_at[f];
}

void tn_dataset_frame(const tn_dataset *ds, int64_t f, tn_frame *out) {
  TN_ASSERT(f >= 0 && f < ds->n_frames);
  int64_t a = ds->atom_start[f];
  out->n_atoms = (int)(ds->atom_start[f + 1] - a);
  out->species = ds->species + a;
  out->pos = (const double(*)[3])(ds->pos + a);
  memcpy(out->cell, ds->cell[f], sizeof out->cell);
  memcpy(out->pbc, ds->pbc[f], sizeof out->pbc);
  out->n_columns = 0;
  out->columns = NULL;
}

/* Checks a frame against the data set before anything is changed. */
static tn_status check_frame(tn_dataset *ds, const tn_frame *fr) {
  char *err = ds->errmsg;
  size_t len = sizeof ds->errmsg;
  if (fr->n_atoms < 0) return tn_fail(err, len, TN_STATUS_INVALID_ARG, "negative atom count");
  for (int k = 0; k < fr->n_columns; k++) {
    const tn_frame_column *fc = &fr->columns[k];
    if (!fc->name || !fc->name[0] || strlen(fc->name) >= TN_NAME_MAX)
      return tn_fail(err, len, TN_STATUS_BAD_INPUT, "column name empty or longer than %d bytes",
                     TN_NAME_MAX - 1);
    int is_text = fc->type == TN_COLUMN_TYPE_STRING;
    if (is_text && (fc->scope != TN_COLUMN_SCOPE_FRAME || !fc->text))
      return tn_fail(err, len, TN_STATUS_UNSUPPORTED,
                     "column '%s': text is supported per frame only", fc->name);
    if (!is_text && (fc->width < 1 || !fc->values))
      return tn_fail(err, len, TN_STATUS_INVALID_ARG, "column '%s': no values", fc->name);
    for (int m = 0; m < k; m++)
      if (strcmp(fr->columns[m].name, fc->name) == 0)
        return tn_fail(err, len, TN_STATUS_BAD_INPUT, "column '%s' given twice", fc->name);
    const tn_column *c = tn_dataset_column(ds, fc->name);
    if (c && (c->scope != fc->scope || c->type != fc->type || (!is_text && c->width != fc->width)))
      return tn_fail(err, len, TN_STATUS_BAD_INPUT,
                     "column '%s' changes its %s from one frame to the next", fc->name,
                     c->scope != fc->scope ? "scope (per atom or per frame)"
                     : c->type != fc->type ? "type"
                                           : "width");
  }
  return TN_STATUS_OK;
}

static int64_t next_cap(int64_t cap, int64_t need) {
  int64_t c = cap > 0 ? cap : 16;
  while (c < need) c *= 2;
  return c;
}

static int resize(void **buf, int64_t n, size_t elem) {
  void *p = realloc(*buf, (size_t)n * elem);
  if (!p) return -1;
  *buf = p;
  return 0;
}

/* Sizes a column's arrays to the data set's capacities. Every array is at
 * least as large as the recorded capacity at all times, so a failure halfway
 * leaves the data set valid. */
static int column_fit(tn_column *c, int64_t frames_cap, int64_t atoms_cap) {
  if (resize((void **)&c->present, frames_cap, 1)) return -1;
  if (c->type == TN_COLUMN_TYPE_STRING)
    return resize((void **)&c->text_at, frames_cap, sizeof *c->text_at);
  int64_t rows = c->scope == TN_COLUMN_SCOPE_FRAME ? frames_cap : atoms_cap;
  if (rows <= c->rows_cap) return 0;
  if (resize((void **)&c->values, rows * c->width, sizeof *c->values)) return -1;
  c->rows_cap = rows;
  return 0;
}

static int reserve(tn_dataset *ds, int64_t frames, int64_t atoms) {
  if (frames > ds->frames_cap) {
    int64_t cap = next_cap(ds->frames_cap, frames);
    if (resize((void **)&ds->atom_start, cap + 1, sizeof *ds->atom_start) ||
        resize((void **)&ds->cell, cap, sizeof *ds->cell) ||
        resize((void **)&ds->pbc, cap, sizeof *ds->pbc))
      return -1;
    for (int c = 0; c < ds->n_columns; c++)
      if (column_fit(&ds->columns[c], cap, ds->atoms_cap)) return -1;
    ds->frames_cap = cap;
  }
  if (atoms > ds->atoms_cap) {
    int64_t cap = next_cap(ds->atoms_cap, atoms);
    if (resize((void **)&ds->species, cap, sizeof *ds->species) ||
        resize((void **)&ds->pos, cap, sizeof *ds->pos))
      return -1;
    for (int c = 0; c < ds->n_columns; c++)
      if (column_fit(&ds->columns[c], ds->frames_cap, cap)) return -1;
    ds->atoms_cap = cap;
  }
  return 0;
}

static tn_status no_memory(tn_dataset *ds) {
  return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_NO_MEMORY,
                 "out of memory growing the data set");
}

tn_status tn_dataset_append(tn_dataset *ds, const tn_frame *fr) {
  tn_status st = check_frame(ds, fr);
  if (st != TN_STATUS_OK) return st;
  int64_t nf = ds->n_frames + 1, na = ds->n_atoms + fr->n_atoms;

  /* Grow every array first; counts change only once all memory is there. */
  if (reserve(ds, nf, na)) return no_memory(ds);
  for (int k = 0; k < fr->n_columns; k++) {
    const tn_frame_column *fc = &fr->columns[k];
    if (tn_dataset_column(ds, fc->name)) continue;
    int64_t ccap = ds->columns_cap;
    if (tn_grow((void **)&ds->columns, &ccap, ds->n_columns + 1, sizeof *ds->columns))
      return no_memory(ds);
    ds->columns_cap = (int)ccap;
    tn_column *c = &ds->columns[ds->n_columns];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", fc->name);
    c->scope = fc->scope;
    c->type = fc->type;
    c->width = fc->type == TN_COLUMN_TYPE_STRING ? 0 : fc->width;
    if (column_fit(c, ds->frames_cap, ds->atoms_cap)) {
      column_release(c);
      return no_memory(ds);
    }
    /* Earlier frames lack the new column. */
    memset(c->present, 0, (size_t)ds->frames_cap);
    if (c->values) memset(c->values, 0, (size_t)(c->rows_cap * c->width) * sizeof *c->values);
    ds->n_columns++; /* an empty column is harmless if a later step fails */
  }
  for (int k = 0; k < fr->n_columns; k++)
    if (fr->columns[k].type == TN_COLUMN_TYPE_STRING) {
      tn_column *c = (tn_column *)tn_dataset_column(ds, fr->columns[k].name);
      int64_t tcap = (int64_t)c->text_cap;
      int64_t need = (int64_t)(c->text_len + strlen(fr->columns[k].text) + 1);
      if (tn_grow((void **)&c->text, &tcap, need, 1)) return no_memory(ds);
      c->text_cap = (size_t)tcap;
    }

  /* Copy. */
  int64_t f = ds->n_frames, a0 = ds->n_atoms;
  if (fr->n_atoms > 0) { /* an empty first frame leaves these NULL: memcpy needs valid pointers */
    memcpy(ds->species + a0, fr->species, (size_t)fr->n_atoms * sizeof *ds->species);
    memcpy(ds->pos + a0, fr->pos, (size_t)fr->n_atoms * sizeof *ds->pos);
  }
  memcpy(ds->cell[f], fr->cell, sizeof ds->cell[f]);
  memcpy(ds->pbc[f], fr->pbc, sizeof ds->pbc[f]);
  for (int c = 0; c < ds->n_columns; c++) {
    tn_column *col = &ds->columns[c];
    const tn_frame_column *fc = NULL;
    for (int k = 0; k < fr->n_columns && !fc; k++)
      if (strcmp(fr->columns[k].name, col->name) == 0) fc = &fr->columns[k];
    col->present[f] = fc != NULL;
    if (col->type == TN_COLUMN_TYPE_STRING) {
      col->text_at[f] = 0;
      if (fc) {
        size_t n = strlen(fc->text) + 1;
        memcpy(col->text + col->text_len, fc->text, n);
        col->text_at[f] = (int64_t)col->text_len;
        col->text_len += n;
      }
      continue;
    }
    int64_t row = col->scope == TN_COLUMN_SCOPE_FRAME ? f : a0;
    int64_t rows = col->scope == TN_COLUMN_SCOPE_FRAME ? 1 : fr->n_atoms;
    double *dst = col->values + row * col->width;
    size_t bytes = (size_t)(rows * col->width) * sizeof *dst;
    if (bytes == 0) continue; /* no atoms: values may still be NULL */
    if (fc)
      memcpy(dst, fc->values, bytes);
    else
      memset(dst, 0, bytes);
  }
  ds->atom_start[f + 1] = na;
  ds->n_frames = nf;
  ds->n_atoms = na;
  return TN_STATUS_OK;
}

void tn_dataset_truncate(tn_dataset *ds, int64_t n) {
  if (n < 0) n = 0;
  if (n >= ds->n_frames) return;
  ds->n_frames = n;
  ds->n_atoms = ds->atom_start[n];
  int keep = 0;
  for (int c = 0; c < ds->n_columns; c++) {
    tn_column *col = &ds->columns[c];
    int used = 0;
    for (int64_t f = 0; f < n && !used; f++) used = col->present[f];
    if (!used) {
      column_release(col);
      continue;
    }
    if (col->type == TN_COLUMN_TYPE_STRING) {
      size_t end = 0;
      for (int64_t f = 0; f < n; f++)
        if (col->present[f])
          end = (size_t)col->text_at[f] + strlen(col->text + col->text_at[f]) + 1;
      col->text_len = end;
    }
    ds->columns[keep++] = *col;
  }
  ds->n_columns = keep;
}

/* memcmp with n == 0 allowed on NULL arrays (an empty data set has some). */
static int same_bytes(const void *x, const void *y, size_t n) { return n == 0 || !memcmp(x, y, n); }

int tn_dataset_equal(const tn_dataset *a, const tn_dataset *b) {
  if (a->n_frames != b->n_frames || a->n_atoms != b->n_atoms || a->n_columns != b->n_columns)
    return 0;
  int64_t nf = a->n_frames, na = a->n_atoms;
  if (!same_bytes(a->atom_start, b->atom_start, (size_t)(nf + 1) * sizeof *a->atom_start) ||
      !same_bytes(a->species, b->species, (size_t)na * sizeof *a->species) ||
      !same_bytes(a->pos, b->pos, (size_t)na * sizeof *a->pos) ||
      !same_bytes(a->cell, b->cell, (size_t)nf * sizeof *a->cell) ||
      !same_bytes(a->pbc, b->pbc, (size_t)nf * sizeof *a->pbc))
    return 0;
  for (int c = 0; c < a->n_columns; c++) {
    const tn_column *x = &a->columns[c], *y = tn_dataset_column(b, x->name);
    if (!y || x->scope != y->scope || x->type != y->type || x->width != y->width ||
        !same_bytes(x->present, y->present, (size_t)nf))
      return 0;
    if (x->type == TN_COLUMN_TYPE_STRING) {
      for (int64_t f = 0; f < nf; f++)
        if (x->present[f] && strcmp(tn_column_text(x, f), tn_column_text(y, f)) != 0) return 0;
      continue;
    }
    int64_t rows = x->scope == TN_COLUMN_SCOPE_FRAME ? nf : na;
    if (!same_bytes(x->values, y->values, (size_t)(rows * x->width) * sizeof *x->values)) return 0;
  }
  return 1;
}

tn_status tn_dataset_append_subset(tn_dataset *dst, const tn_dataset *src, const int64_t *which,
                                   int64_t n) {
  TN_ASSERT(dst != src);
  int64_t start = dst->n_frames;
  tn_frame_column *cols = NULL;
  if (src->n_columns > 0 && !(cols = malloc((size_t)src->n_columns * sizeof *cols)))
    return no_memory(dst);
  tn_status st = TN_STATUS_OK;
  for (int64_t k = 0; k < n && st == TN_STATUS_OK; k++) {
    int64_t f = which[k];
    if (f < 0 || f >= src->n_frames) {
      st = tn_fail(dst->errmsg, sizeof dst->errmsg, TN_STATUS_INVALID_ARG,
                   "frame index %lld out of range (0..%lld)", (long long)f,
                   (long long)src->n_frames - 1);
      break;
    }
    tn_frame fr;
    tn_dataset_frame(src, f, &fr);
    int nc = 0;
    for (int c = 0; c < src->n_columns; c++) {
      const tn_column *col = &src->columns[c];
      if (!col->present[f]) continue;
      tn_frame_column *fc = &cols[nc++];
      fc->name = col->name;
      fc->scope = col->scope;
      fc->type = col->type;
      fc->width = col->width;
      fc->values = NULL;
      fc->text = NULL;
      if (col->type == TN_COLUMN_TYPE_STRING)
        fc->text = tn_column_text(col, f);
      else
        fc->values =
            tn_column_row(col, col->scope == TN_COLUMN_SCOPE_FRAME ? f : src->atom_start[f]);
    }
    fr.n_columns = nc;
    fr.columns = cols;
    st = tn_dataset_append(dst, &fr);
  }
  free(cols);
  if (st != TN_STATUS_OK) {
    char keep[sizeof dst->errmsg];
    memcpy(keep, dst->errmsg, sizeof keep);
    tn_dataset_truncate(dst, start);
    memcpy(dst->errmsg, keep, sizeof keep);
  }
  return st;
}
