/* Extended XYZ writer (ASE conventions), the inverse of xyz_read.c:
 *
 *   <n>
 *   Lattice="..." Properties=species:S:1:pos:R:3:<per-atom columns> energy=... stress="..."
 *       <other per-frame columns> pbc="T T F"
 *   <symbol> <x> <y> <z> <per-atom values>
 *
 * Values are in internal units (eV, Å), which are ASE's. Lattice is written
 * when any axis is periodic or the cell is nonzero. Only the columns a frame
 * carries (present[f]) are written for it. Reals use the shortest form that
 * reads back to the same double (whole numbers get ".0" so they stay real),
 * so write -> read is exact. stress goes out in ASE's (Fortran) order, the
 * order ASE reads it in. Per-frame INT and BOOL columns are written as
 * integers and T/F; text is quoted when needed, with newlines and carriage
 * returns (which would break the line) written as spaces. */
#include <math.h>
#include <string.h>

#include "xyz.h"

/* Names the comment line or the Properties value reserves. */
static int reserved(const tn_column *c) {
  static const char *const atom[] = {"species", "symbols", "pos", "positions", "Z", "numbers"};
  /* forces and energies are per-atom labels; the reader refuses them as info. */
  static const char *const frame[] = {"Lattice", "Properties", "pbc", TN_LABEL_FORCES,
                                      TN_LABEL_ENERGIES};
  if (c->scope == TN_COLUMN_SCOPE_ATOM) {
    for (size_t k = 0; k < sizeof atom / sizeof *atom; k++)
      if (strcmp(c->name, atom[k]) == 0) return 1;
    return strchr(c->name, ':') != NULL; /* ':' separates Properties fields */
  }
  for (size_t k = 0; k < sizeof frame / sizeof *frame; k++)
    if (strcmp(c->name, frame[k]) == 0) return 1;
  return 0;
}

static void put_real(FILE *f, double v) {
  char buf[32];
  xyz_format_real(buf, v);
  fputs(buf, f);
}

/* Integers the reader takes back as integers (|v| <= 2^53, exact). */
static int exact_int(double v) { return v == floor(v) && fabs(v) <= 9007199254740992.0; }

static void put_value(FILE *f, tn_column_type type, double v) {
  if (type == TN_COLUMN_TYPE_BOOL)
    putc(v != 0.0 ? 'T' : 'F', f);
  else if (type == TN_COLUMN_TYPE_INT && exact_int(v))
    fprintf(f, "%lld", (long long)v);
  else
    put_real(f, v);
}

/* One per-frame column as key=value. */
static void put_info(FILE *f, const tn_column *c, int64_t fr) {
  putc(' ', f);
  xyz_put_text(f, c->name);
  putc('=', f);
  if (c->type == TN_COLUMN_TYPE_STRING) {
    xyz_put_text(f, tn_column_text(c, fr));
    return;
  }
  const double *v = tn_column_row(c, fr);
  int stress = strcmp(c->name, TN_LABEL_STRESS) == 0 && c->width == 9;
  if (c->width > 1) putc('"', f);
  for (int k = 0; k < c->width; k++) {
    if (k) putc(' ', f);
    /* stress: file value k is s[k % 3][k / 3] (ASE's Fortran order). */
    put_value(f, c->type, stress ? v[3 * (k % 3) + k / 3] : v[k]);
  }
  if (c->width > 1) putc('"', f);
}

/* The Properties type of a per-atom column in one frame: an INT column
 * holding a value that is not an exact integer (possible for data from other
 * formats) is declared R, so that the file reads back. */
static char type_letter(const tn_column *c, int64_t a0, int64_t n) {
  if (c->type == TN_COLUMN_TYPE_BOOL) return 'L';
  if (c->type != TN_COLUMN_TYPE_INT) return 'R';
  for (int64_t k = a0 * c->width; k < (a0 + n) * c->width; k++)
    if (!exact_int(c->values[k])) return 'R';
  return 'I';
}

tn_status xyz_write(tn_dataset *ds, const char *path) {
  char *err = ds->errmsg;
  size_t err_len = sizeof ds->errmsg;
  for (int c = 0; c < ds->n_columns; c++)
    if (reserved(&ds->columns[c]))
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: field '%s': this %s column name cannot be written in extxyz", path,
                     ds->columns[c].name,
                     ds->columns[c].scope == TN_COLUMN_SCOPE_ATOM ? "per-atom" : "per-frame");

  tn_status st = TN_STATUS_OK;
  FILE *f = NULL;
  char *props = NULL; /* the Properties value of one frame */
  size_t tmp_len = strlen(path) + 32;
  char *tmp = malloc(tmp_len);
  size_t props_cap = 32;
  for (int c = 0; c < ds->n_columns; c++) props_cap += strlen(ds->columns[c].name) + 16;
  props = malloc(props_cap);
  if (!tmp || !props) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", path);
    goto fail;
  }
  if (!(f = tn_open_temp(path, tmp, tmp_len))) {
    st = tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot create a temporary file beside it", path);
    goto fail;
  }
  const tn_column *energy = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *stress = tn_dataset_column(ds, TN_LABEL_STRESS);
  for (int64_t fr = 0; fr < ds->n_frames; fr++) {
    int64_t a0 = ds->atom_start[fr], n = ds->atom_start[fr + 1] - a0;
    fprintf(f, "%lld\n", (long long)n);

    double(*cell)[3] = ds->cell[fr];
    const uint8_t *pbc = ds->pbc[fr];
    int lattice = pbc[0] || pbc[1] || pbc[2];
    for (int k = 0; k < 9; k++) lattice |= cell[k / 3][k % 3] != 0.0;
    if (lattice) {
      fputs("Lattice=\"", f);
      for (int k = 0; k < 9; k++) {
        if (k) putc(' ', f);
        put_real(f, cell[k / 3][k % 3]);
      }
      fputs("\" ", f);
    }
    size_t w = (size_t)snprintf(props, props_cap, "species:S:1:pos:R:3");
    for (int c = 0; c < ds->n_columns; c++) {
      const tn_column *col = &ds->columns[c];
      if (col->scope != TN_COLUMN_SCOPE_ATOM || !col->present[fr]) continue;
      w += (size_t)snprintf(props + w, props_cap - w, ":%s:%c:%d", col->name,
                            type_letter(col, a0, n), col->width);
    }
    fputs("Properties=", f);
    xyz_put_text(f, props);
    if (energy && energy->scope == TN_COLUMN_SCOPE_FRAME && energy->present[fr])
      put_info(f, energy, fr);
    if (stress && stress->scope == TN_COLUMN_SCOPE_FRAME && stress->present[fr])
      put_info(f, stress, fr);
    for (int c = 0; c < ds->n_columns; c++) {
      const tn_column *col = &ds->columns[c];
      if (col->scope != TN_COLUMN_SCOPE_FRAME || !col->present[fr] || col == energy ||
          col == stress)
        continue;
      put_info(f, col, fr);
    }
    fprintf(f, " pbc=\"%c %c %c\"\n", pbc[0] ? 'T' : 'F', pbc[1] ? 'T' : 'F', pbc[2] ? 'T' : 'F');

    for (int64_t i = 0; i < n; i++) {
      int64_t a = a0 + i;
      const char *sym = tn_element_symbol(ds->species[a]);
      if (!sym) {
        st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: frame %lld, atom %lld: field 'species': atomic number %d has no symbol",
                     path, (long long)fr, (long long)i, (int)ds->species[a]);
        goto fail;
      }
      fputs(sym, f);
      for (int k = 0; k < 3; k++) {
        putc(' ', f);
        put_real(f, ds->pos[a][k]);
      }
      for (int c = 0; c < ds->n_columns; c++) {
        const tn_column *col = &ds->columns[c];
        if (col->scope != TN_COLUMN_SCOPE_ATOM || !col->present[fr]) continue;
        const double *v = tn_column_row(col, a);
        for (int k = 0; k < col->width; k++) {
          putc(' ', f);
          put_value(f, col->type, v[k]);
        }
      }
      putc('\n', f);
    }
  }
  st = tn_commit_file(f, tmp, path, err, err_len);
  f = NULL;
  if (st != TN_STATUS_OK) goto fail;
  free(tmp);
  free(props);
  return TN_STATUS_OK;
fail:
  if (f) tn_abort_file(f, tmp);
  free(tmp);
  free(props);
  return st;
}
