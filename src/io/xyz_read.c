/* Extended XYZ reader, following ASE (ase/io/extxyz.py, 3.22):
 *
 *   <atom count>
 *   Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3 key=value ...
 *   <one line per atom: the Properties columns, whitespace-separated>
 *
 * Properties defaults to species:S:1:pos:R:3. Lattice rows are the lattice
 * vectors; Lattice implies pbc="T T T" unless pbc is given. Units: the file's
 * energies and lengths are multiplied by opt->energy_unit / length_unit
 * (extxyz default eV, Å). Converted: positions and Lattice (length), info
 * `energy` (energy), `stress` (energy/length^3, 9 values in ASE's column
 * order or 6 Voigt values xx yy zz yz xz xy, stored as a row-major 3x3),
 * per-atom `forces` (energy/length) and per-atom `energies*` columns
 * (energy). Every other value (free_energy, virial, dipole, ...) is stored
 * raw, exactly as written.
 *
 * Names: per-atom `force` is read as forces and per-atom `energy` as
 * energies; `symbols` and `positions`, `numbers` are accepted for species,
 * pos, Z (ASE's own aliases). With both species and Z, Z decides (as ASE).
 * Per-atom text columns other than species are skipped: the data set keeps
 * text per frame only, and such columns are annotations in ASE files.
 *
 * Info values take the first kind that fits all their tokens: integers,
 * reals, T/F, text (ASE's order). A key whose earlier frames were text keeps
 * later values as text, and integers meeting reals become reals, so that a
 * column's type does not flip between frames. */
#include <math.h>
#include <string.h>

#include "xyz.h"

enum { ROLE_SPECIES, ROLE_Z, ROLE_POS, ROLE_SKIP, ROLE_COLUMN };

/* How one Properties entry is read and stored. */
typedef struct atom_prop {
  int role;
  int64_t first; /* index of its first number in a parsed row */
  double scale;  /* file units to internal units */
  const char *label;
  tn_column_type type;
} atom_prop;

typedef struct reader {
  tn_dataset *ds;
  const char *name;
  double eu, lu;
  const char *buf;
  size_t len, at;
  int64_t line; /* number of the last line taken */
  xyz_header hdr;
  xyz_property *props; /* [n_props] */
  int64_t props_cap;
  int n_props;
  atom_prop *aprops; /* [n_props] */
  int64_t aprops_cap;
  tn_frame_column *fcols; /* info columns, then per-atom columns */
  int64_t fcols_cap;
  double *info; /* values of the info columns */
  int64_t info_cap;
  double *rows; /* [n_atoms][n_num] numbers as parsed, row by row */
  int64_t rows_cap;
  double *cols; /* [n_num][n_atoms] per property, contiguous, in internal units */
  int64_t cols_cap;
  int32_t *species; /* [n_atoms] */
  int64_t species_cap;
  int has_z;                    /* a Z column decides the species, as in ASE */
  unsigned char symtab[26][27]; /* [first letter][second letter + 1 or 0] -> Z */
} reader;

#define ERR r->ds->errmsg, sizeof r->ds->errmsg

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

/* Takes the next line (without '\n' or a trailing '\r'); 0 at the end. */
static int next_line(reader *r, const char **s, size_t *n) {
  if (r->at >= r->len) return 0;
  const char *p = r->buf + r->at;
  size_t rest = r->len - r->at;
  const char *nl = memchr(p, '\n', rest);
  size_t m = nl ? (size_t)(nl - p) : rest;
  r->at += nl ? m + 1 : m;
  if (m > 0 && p[m - 1] == '\r') m--;
  r->line++;
  *s = p;
  *n = m;
  return 1;
}

/* Next whitespace-separated token of s[*at..n); 0 at the end. */
static int next_token(const char *s, size_t n, size_t *at, const char **tok, size_t *len) {
  size_t i = *at;
  while (i < n && is_space(s[i])) i++;
  if (i == n) return 0;
  size_t j = i;
  while (j < n && !is_space(s[j])) j++;
  *tok = s + i;
  *len = j - i;
  *at = j;
  return 1;
}

static int64_t count_tokens(const char *s, size_t n) {
  size_t at = 0, len;
  const char *tok;
  int64_t k = 0;
  while (next_token(s, n, &at, &tok, &len)) k++;
  return k;
}

static void symtab_init(reader *r) {
  memset(r->symtab, 0, sizeof r->symtab);
  for (int z = 1; z <= 118; z++) {
    const char *s = tn_element_symbol(z);
    r->symtab[s[0] - 'A'][s[1] ? s[1] - 'a' + 1 : 0] = (unsigned char)z;
  }
}

/* Atomic number of a symbol, case-folded as ASE does ("CU", "cu" -> Cu); 0
 * if unknown. */
static int symbol_z(const reader *r, const char *s, size_t n) {
  if (n < 1 || n > 2) return 0;
  int a = s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' : s[0] - 'A';
  if (a < 0 || a >= 26) return 0;
  int b = 0;
  if (n == 2) {
    b = s[1] >= 'A' && s[1] <= 'Z' ? s[1] - 'A' : s[1] - 'a';
    if (b < 0 || b >= 26) return 0;
    b++;
  }
  return r->symtab[a][b];
}

static tn_status no_memory(reader *r) {
  return tn_fail(ERR, TN_STATUS_NO_MEMORY, "%s:%lld: out of memory", r->name, (long long)r->line);
}

/* ------------------------------------------------------------ comment line */

static int parse_pbc(const char *value, uint8_t pbc[3]) {
  const char *p = value;
  int k = 0;
  while (*p) {
    while (*p && (is_space(*p) || *p == ',')) p++;
    if (!*p) break;
    const char *t = p;
    while (*p && !is_space(*p) && *p != ',') p++;
    size_t n = (size_t)(p - t);
    double v;
    if (k == 3) return -1;
    if (xyz_parse_bool(t, n, &v) == 0) {
      pbc[k++] = v != 0.0;
    } else if (n == 1 && (t[0] == '0' || t[0] == '1')) {
      pbc[k++] = t[0] == '1';
    } else if ((n == 4 && strncmp(t, "true", 4) == 0) || (n == 5 && strncmp(t, "false", 5) == 0)) {
      pbc[k++] = t[0] == 't';
    } else {
      return -1;
    }
  }
  if (k == 1) pbc[1] = pbc[2] = pbc[0];
  return k == 1 || k == 3 ? 0 : -1;
}

static int is_number_kind(xyz_kind kind) { return kind == XYZ_KIND_INT || kind == XYZ_KIND_REAL; }

/* Turns the comment line's pairs into cell, pbc, the Properties value and
 * info columns (fcols[0..*n_info)). */
static tn_status read_info(reader *r, int64_t ln, size_t line_len, double cell[3][3],
                           uint8_t pbc[3], const char **props_value, int *n_info) {
  const xyz_header *h = &r->hdr;
  int have_lattice = 0, have_pbc = 0;
  *n_info = 0;
  *props_value = "species:S:1:pos:R:3";
  memset(cell, 0, 9 * sizeof(double));
  /* Each value token or bare key takes a byte of the line; stress may grow
   * from 6 to 9 values. */
  if (tn_grow((void **)&r->info, &r->info_cap, (int64_t)line_len + 16, sizeof *r->info) ||
      tn_grow((void **)&r->fcols, &r->fcols_cap, h->n_pairs + 1, sizeof *r->fcols))
    return no_memory(r);
  int64_t used = 0;
  for (int k = 0; k < h->n_pairs; k++) {
    const char *key = xyz_key(h, k), *value = xyz_value(h, k);
    int has = h->pairs[k].has_value;
    size_t klen = strlen(key);
    if (klen == 0)
      return tn_fail(ERR, TN_STATUS_BAD_INPUT, "%s:%lld: field 'comment line': empty key (pair %d)",
                     r->name, (long long)ln, k + 1);
    if (strcmp(key, "Properties") == 0) {
      *props_value = value;
      continue;
    }
    if (strcmp(key, "Lattice") == 0) {
      double v[9];
      int count;
      xyz_kind kind = xyz_value_parse(value, v, 9, &count);
      if (!has || !is_number_kind(kind) || count != 9)
        return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'Lattice': expected 9 numbers (vectors a, b, c), got "
                       "'%.60s'",
                       r->name, (long long)ln, value);
      for (int i = 0; i < 9; i++) {
        if (!isfinite(v[i]))
          return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                         "%s:%lld: field 'Lattice': value %d is not finite", r->name, (long long)ln,
                         i + 1);
        cell[i / 3][i % 3] = v[i] * r->lu;
      }
      have_lattice = 1;
      continue;
    }
    if (strcmp(key, "pbc") == 0) {
      if (has && parse_pbc(value, pbc) != 0)
        return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'pbc': expected 1 or 3 of T/F, True/False, 1/0, got "
                       "'%.60s'",
                       r->name, (long long)ln, value);
      if (!has) pbc[0] = pbc[1] = pbc[2] = 1;
      have_pbc = 1;
      continue;
    }
    if (klen >= TN_NAME_MAX)
      return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                     "%s:%lld: field '%.40s...': key longer than %d bytes", r->name, (long long)ln,
                     key, TN_NAME_MAX - 1);
    if (strcmp(key, TN_LABEL_FORCES) == 0 || strcmp(key, TN_LABEL_ENERGIES) == 0)
      return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                     "%s:%lld: field '%s': a per-atom label; give it as a Properties column, "
                     "not an info key",
                     r->name, (long long)ln, key);

    /* A repeated key replaces the earlier value, as in ASE's dict. */
    int slot = *n_info;
    for (int m = 0; m < *n_info; m++)
      if (strcmp(r->fcols[m].name, key) == 0) slot = m;
    if (slot == *n_info) (*n_info)++;
    tn_frame_column *fc = &r->fcols[slot];
    fc->name = key;
    fc->scope = TN_COLUMN_SCOPE_FRAME;
    fc->text = has ? value : "T";
    double *out = r->info + used;
    int count = 1;
    xyz_kind kind;
    if (klen == 3 && (key[0] | 0x20) == 'u' && (key[1] | 0x20) == 'i' && (key[2] | 0x20) == 'd') {
      kind = XYZ_KIND_TEXT; /* ASE's UNPROCESSED_KEYS: kept as written, "T" if bare */
    } else if (!has) {
      kind = XYZ_KIND_BOOL;
      out[0] = 1.0;
    } else {
      kind = xyz_value_parse(value, out, (int)(r->info_cap - used - 9), &count);
    }
    if (strcmp(key, TN_LABEL_ENERGY) == 0) {
      if (!is_number_kind(kind) || count != 1)
        return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'energy': expected one number, got '%.60s'", r->name,
                       (long long)ln, fc->text);
      out[0] *= r->eu;
      kind = XYZ_KIND_REAL;
    } else if (strcmp(key, TN_LABEL_STRESS) == 0) {
      if (!is_number_kind(kind) || (count != 9 && count != 6))
        return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field 'stress': expected 9 or 6 (Voigt) numbers, got '%.60s'",
                       r->name, (long long)ln, fc->text);
      double v[9], s[9];
      memcpy(v, out, (size_t)count * sizeof *v);
      if (count == 9) {
        /* ASE reshapes the 9 values in Fortran order: s[i][j] = v[i + 3j]. */
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 3; j++) s[3 * i + j] = v[i + 3 * j];
      } else {
        /* Voigt order xx yy zz yz xz xy. */
        s[0] = v[0], s[4] = v[1], s[8] = v[2];
        s[5] = s[7] = v[3];
        s[2] = s[6] = v[4];
        s[1] = s[3] = v[5];
      }
      double scale = r->eu / (r->lu * r->lu * r->lu);
      for (int i = 0; i < 9; i++) out[i] = s[i] * scale;
      count = 9;
      kind = XYZ_KIND_REAL;
    }
    switch (kind) {
    case XYZ_KIND_INT: fc->type = TN_COLUMN_TYPE_INT; break;
    case XYZ_KIND_REAL: fc->type = TN_COLUMN_TYPE_REAL; break;
    case XYZ_KIND_BOOL: fc->type = TN_COLUMN_TYPE_BOOL; break;
    case XYZ_KIND_TEXT: fc->type = TN_COLUMN_TYPE_STRING; break;
    }
    if (kind == XYZ_KIND_TEXT) {
      fc->width = 0;
      fc->values = NULL;
    } else {
      fc->width = count;
      fc->values = out;
      used += count;
    }
  }
  if (!have_pbc) pbc[0] = pbc[1] = pbc[2] = (uint8_t)have_lattice;
  return TN_STATUS_OK;
}

/* ------------------------------------------------------------ Properties */

static int is_name(const char *s, const char *a, const char *b) {
  return strcmp(s, a) == 0 || strcmp(s, b) == 0;
}

/* Assigns a role to each Properties entry; *n_num gets the numbers per atom
 * that are kept, *n_tok the tokens per atom line. */
static tn_status plan_columns(reader *r, int64_t ln, int n_info, int64_t *n_num, int64_t *n_tok) {
  if (tn_grow((void **)&r->aprops, &r->aprops_cap, r->n_props, sizeof *r->aprops) ||
      tn_grow((void **)&r->fcols, &r->fcols_cap, n_info + r->n_props + 1, sizeof *r->fcols))
    return no_memory(r);
  int seen[3] = {0, 0, 0}; /* species, Z, pos */
  *n_num = *n_tok = 0;
  for (int p = 0; p < r->n_props; p++) {
    const xyz_property *q = &r->props[p];
    atom_prop *a = &r->aprops[p];
    a->first = *n_num;
    a->scale = 1.0;
    a->label = q->name;
    a->type = q->type == 'I'   ? TN_COLUMN_TYPE_INT
              : q->type == 'L' ? TN_COLUMN_TYPE_BOOL
                               : TN_COLUMN_TYPE_REAL;
    const char *want = NULL;
    int which = -1;
    if (is_name(q->name, "species", "symbols")) {
      a->role = ROLE_SPECIES, which = 0, want = "S:1";
    } else if (is_name(q->name, "Z", "numbers")) {
      a->role = ROLE_Z, which = 1, want = "I:1";
    } else if (is_name(q->name, "pos", "positions")) {
      a->role = ROLE_POS, which = 2, want = "R:3";
      a->scale = r->lu;
    } else if (q->type == 'S') {
      a->role = ROLE_SKIP;
    } else {
      a->role = ROLE_COLUMN;
      if (is_name(q->name, "forces", "force")) {
        a->label = TN_LABEL_FORCES, want = "R:3";
        a->scale = r->eu / r->lu;
      } else if (is_name(q->name, "energies", "energy")) {
        a->label = TN_LABEL_ENERGIES, want = "R:1";
        a->scale = r->eu;
      } else if (q->type == 'R' && strncmp(q->name, "energies", 8) == 0) {
        a->scale = r->eu; /* energies_ao, energies_mo, ...: atomic energies */
      }
    }
    if (want && (q->type != want[0] || q->ncols != want[2] - '0'))
      return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                     "%s:%lld: field 'Properties': '%s' must be %s, not %c:%d", r->name,
                     (long long)ln, q->name, want, q->type, q->ncols);
    if (which >= 0 && seen[which]++)
      return tn_fail(ERR, TN_STATUS_BAD_INPUT, "%s:%lld: field 'Properties': '%s' given twice",
                     r->name, (long long)ln, q->name);
    if (a->role == ROLE_COLUMN) {
      for (int m = 0; m < p; m++)
        if (r->aprops[m].role == ROLE_COLUMN && strcmp(r->aprops[m].label, a->label) == 0)
          return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                         "%s:%lld: field 'Properties': '%s' given twice (as '%s')", r->name,
                         (long long)ln, a->label, q->name);
      for (int m = 0; m < n_info; m++)
        if (strcmp(r->fcols[m].name, a->label) == 0)
          return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                         "%s:%lld: field '%s': both an info key and a Properties column", r->name,
                         (long long)ln, a->label);
    }
    if (a->role != ROLE_SKIP && a->role != ROLE_SPECIES) *n_num += q->ncols;
    *n_tok += q->ncols;
  }
  r->has_z = seen[1];
  if (!seen[0] && !seen[1])
    return tn_fail(ERR, TN_STATUS_NOT_FOUND,
                   "%s:%lld: field 'Properties': no element column (species:S:1 or Z:I:1)", r->name,
                   (long long)ln);
  if (!seen[2])
    return tn_fail(ERR, TN_STATUS_NOT_FOUND,
                   "%s:%lld: field 'Properties': no positions column (pos:R:3)", r->name,
                   (long long)ln);
  return TN_STATUS_OK;
}

/* ------------------------------------------------------------- atom lines */

static tn_status wrong_columns(reader *r, const char *s, size_t n, int64_t want) {
  return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                 "%s:%lld: field 'atom line': expected %lld columns (from Properties), found %lld",
                 r->name, (long long)r->line, (long long)want, (long long)count_tokens(s, n));
}

/* Parses atom line i into rows[i] and species[i]. */
static tn_status read_atom(reader *r, int64_t i, const char *s, size_t n, int64_t n_num,
                           int64_t n_tok) {
  /* A line of n_tok tokens has at least 2 n_tok - 1 bytes: checking this
   * first bounds the memory a bad Properties line can ask for. */
  if ((uint64_t)n_tok > (n + 1) / 2) return wrong_columns(r, s, n, n_tok);
  if (tn_grow((void **)&r->rows, &r->rows_cap, (i + 1) * n_num + 1, sizeof *r->rows) ||
      tn_grow((void **)&r->species, &r->species_cap, i + 1, sizeof *r->species))
    return no_memory(r);
  double *row = r->rows + i * n_num;
  size_t at = 0, len;
  const char *tok;
  for (int p = 0; p < r->n_props; p++) {
    const atom_prop *a = &r->aprops[p];
    const xyz_property *q = &r->props[p];
    for (int c = 0; c < q->ncols; c++) {
      if (!next_token(s, n, &at, &tok, &len)) return wrong_columns(r, s, n, n_tok);
      double v = 0.0;
      int bad = 0;
      const char *what = "";
      switch (a->role) {
      case ROLE_SPECIES:
        v = symbol_z(r, tok, len);
        if (!r->has_z) r->species[i] = (int32_t)v;
        if (v == 0.0)
          return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                         "%s:%lld: field '%s': unknown element symbol '%.*s'", r->name,
                         (long long)r->line, q->name, (int)(len < 16 ? len : 16), tok);
        continue;
      case ROLE_SKIP: continue;
      case ROLE_Z:
        bad = xyz_parse_int(tok, len, &v) != 0 || v < 1 || v > 118;
        what = "an atomic number 1..118";
        break;
      case ROLE_POS:
        bad = xyz_parse_real(tok, len, &v) != 0 || !isfinite(v);
        what = "a finite real number";
        break;
      default:
        if (a->type == TN_COLUMN_TYPE_INT)
          bad = xyz_parse_int(tok, len, &v) != 0, what = "an integer";
        else if (a->type == TN_COLUMN_TYPE_BOOL)
          bad = xyz_parse_bool(tok, len, &v) != 0, what = "T or F";
        else
          bad = xyz_parse_real(tok, len, &v) != 0, what = "a real number";
        break;
      }
      if (bad)
        return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                       "%s:%lld: field '%s' (component %d of %d): expected %s, got '%.*s'", r->name,
                       (long long)r->line, q->name, c + 1, q->ncols, what,
                       (int)(len < 32 ? len : 32), tok);
      row[a->first + c] = v;
      if (a->role == ROLE_Z) r->species[i] = (int32_t)v;
    }
  }
  if (next_token(s, n, &at, &tok, &len)) return wrong_columns(r, s, n, n_tok);
  return TN_STATUS_OK;
}

/* Keeps a column's type stable across frames: text stays text, and
 * integers meet reals as reals. May retype an existing INT column to REAL
 * (values are doubles either way; the type only guides writing). */
static void adapt_type(tn_dataset *ds, tn_frame_column *fc) {
  for (int c = 0; c < ds->n_columns; c++) {
    tn_column *col = &ds->columns[c];
    if (strcmp(col->name, fc->name) != 0 || col->scope != fc->scope) continue;
    if (col->type == TN_COLUMN_TYPE_STRING && fc->type != TN_COLUMN_TYPE_STRING && fc->text) {
      fc->type = TN_COLUMN_TYPE_STRING;
      fc->values = NULL;
      fc->width = 0;
    } else if (col->type == TN_COLUMN_TYPE_REAL && fc->type == TN_COLUMN_TYPE_INT) {
      fc->type = TN_COLUMN_TYPE_REAL;
    } else if (col->type == TN_COLUMN_TYPE_INT && fc->type == TN_COLUMN_TYPE_REAL &&
               col->width == fc->width) {
      col->type = TN_COLUMN_TYPE_REAL;
    }
    return;
  }
}

/* Reads the frame whose atom count n_atoms was on the line just taken. */
static tn_status read_frame(reader *r, int n_atoms) {
  int64_t count_line = r->line;
  const char *s;
  size_t n;
  if (!next_line(r, &s, &n))
    return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                   "%s:%lld: field 'comment line': the file ends after the atom count", r->name,
                   (long long)count_line + 1);
  int64_t ln = r->line;
  tn_status st = xyz_header_parse(&r->hdr, s, n, r->name, ln, ERR);
  if (st != TN_STATUS_OK) return st;

  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  const char *props_value;
  int n_info;
  st = read_info(r, ln, n, fr.cell, fr.pbc, &props_value, &n_info);
  if (st != TN_STATUS_OK) return st;
  st = xyz_properties_parse(props_value, &r->props, &r->props_cap, &r->n_props, r->name, ln, ERR);
  if (st != TN_STATUS_OK) return st;
  int64_t n_num = 0, n_tok = 0;
  st = plan_columns(r, ln, n_info, &n_num, &n_tok);
  if (st != TN_STATUS_OK) return st;

  for (int64_t i = 0; i < n_atoms; i++) {
    if (!next_line(r, &s, &n))
      return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                     "%s:%lld: field 'atom line': truncated frame: line %lld gives %d atoms, the "
                     "file ends after %lld",
                     r->name, (long long)r->line + 1, (long long)count_line, n_atoms, (long long)i);
    st = read_atom(r, i, s, n, n_num, n_tok);
    if (st != TN_STATUS_OK) return st;
  }

  /* Regroup row-major numbers into one contiguous block per property. */
  if (tn_grow((void **)&r->cols, &r->cols_cap, (int64_t)n_atoms * n_num + 1, sizeof *r->cols) ||
      tn_grow((void **)&r->species, &r->species_cap, 1, sizeof *r->species))
    return no_memory(r);
  int nc = n_info;
  for (int p = 0; p < r->n_props; p++) {
    const atom_prop *a = &r->aprops[p];
    int w = r->props[p].ncols;
    if (a->role != ROLE_POS && a->role != ROLE_COLUMN) continue;
    double *dst = r->cols + (int64_t)n_atoms * a->first;
    for (int64_t i = 0; i < n_atoms; i++)
      for (int c = 0; c < w; c++) dst[i * w + c] = r->rows[i * n_num + a->first + c] * a->scale;
    if (a->role == ROLE_POS) {
      fr.pos = (const double(*)[3])dst;
      continue;
    }
    tn_frame_column *fc = &r->fcols[nc++];
    fc->name = a->label;
    fc->scope = TN_COLUMN_SCOPE_ATOM;
    fc->type = a->type;
    fc->width = w;
    fc->values = dst;
    fc->text = NULL;
  }
  for (int k = 0; k < nc; k++) adapt_type(r->ds, &r->fcols[k]);
  fr.n_atoms = n_atoms;
  fr.species = r->species;
  fr.n_columns = nc;
  fr.columns = r->fcols;
  st = tn_dataset_append(r->ds, &fr);
  if (st != TN_STATUS_OK) {
    char keep[sizeof r->ds->errmsg];
    memcpy(keep, r->ds->errmsg, sizeof keep);
    tn_fail(ERR, st, "%s:%lld: %s", r->name, (long long)ln, keep);
  }
  return st;
}

/* The atom count line: a non-negative integer, optionally signed '+'. */
static tn_status read_count(reader *r, const char *s, size_t n, int *out) {
  size_t i = 0, j = n;
  while (i < j && is_space(s[i])) i++;
  while (j > i && is_space(s[j - 1])) j--;
  if (j - i >= 3 && memcmp(s + i, "VEC", 3) == 0)
    return tn_fail(ERR, TN_STATUS_UNSUPPORTED,
                   "%s:%lld: field 'atom count': VEC lines (ASE's vec_cell output) are not "
                   "supported; give the cell as Lattice",
                   r->name, (long long)r->line);
  size_t k = i < j && s[i] == '+' ? i + 1 : i;
  int64_t v = 0;
  int ok = k < j;
  for (size_t m = k; ok && m < j; m++) {
    ok = s[m] >= '0' && s[m] <= '9';
    if (v <= INT64_MAX / 16) v = v * 10 + (s[m] - '0');
  }
  if (!ok)
    return tn_fail(ERR, TN_STATUS_BAD_INPUT,
                   "%s:%lld: field 'atom count': expected a non-negative integer, got '%.*s'",
                   r->name, (long long)r->line, (int)(j - i < 40 ? j - i : 40), s + i);
  if (v > 0x7fffffff)
    return tn_fail(ERR, TN_STATUS_UNSUPPORTED,
                   "%s:%lld: field 'atom count': '%.*s' atoms in one frame is more than tanne "
                   "supports",
                   r->name, (long long)r->line, (int)(j - i < 40 ? j - i : 40), s + i);
  *out = (int)v;
  return TN_STATUS_OK;
}

static int all_space(const char *s, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (!is_space(s[k])) return 0;
  return 1;
}

tn_status xyz_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                          const tn_read_options *opt) {
  TN_ASSERT(ds && name && buf && opt && opt->energy_unit > 0.0 && opt->length_unit > 0.0);
  reader *r = calloc(1, sizeof *r);
  if (!r)
    return tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_NO_MEMORY, "%s: out of memory", name);
  r->ds = ds;
  r->name = name;
  r->eu = opt->energy_unit;
  r->lu = opt->length_unit;
  r->buf = buf;
  r->len = len;
  symtab_init(r);
  tn_status st = TN_STATUS_OK;
  const char *s;
  size_t n;
  while (next_line(r, &s, &n)) {
    if (all_space(s, n)) {
      /* Blank lines may end the file, but frames must follow one another. */
      if (all_space(buf + r->at, len - r->at)) break;
      st = tn_fail(ERR, TN_STATUS_BAD_INPUT,
                   "%s:%lld: field 'atom count': blank line between frames", name,
                   (long long)r->line);
      goto done;
    }
    int n_atoms = 0;
    st = read_count(r, s, n, &n_atoms);
    if (st != TN_STATUS_OK) goto done;
    st = read_frame(r, n_atoms);
    if (st != TN_STATUS_OK) goto done;
  }
done:
  xyz_header_free(&r->hdr);
  free(r->props);
  free(r->aprops);
  free(r->fcols);
  free(r->info);
  free(r->rows);
  free(r->cols);
  free(r->species);
  free(r);
  return st;
}
