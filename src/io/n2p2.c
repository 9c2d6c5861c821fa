/* Reader of n2p2 / RuNNer `input.data` files.
 *
 * Format (n2p2 documentation, "Configuration file format",
 * https://compphysvienna.github.io/n2p2/topics/cfg_file.html): structures are
 * enclosed in `begin` ... `end`; the lines between start with one of
 *   comment <text>
 *   lattice <ax> <ay> <az>                     (three lines, or none: open)
 *   atom <x> <y> <z> <element> <c> <n> <fx> <fy> <fz>
 *   energy <E>
 *   charge <Q>
 * where <c> is the atomic charge and <n> is unused.
 *
 * What is stored, in internal units (opt->length_unit and opt->energy_unit
 * convert; both are 1 by default because the files do not state units):
 *   positions, cell          x length_unit                  (Å)
 *   "energy"   per frame     x energy_unit                  (eV)
 *   "forces"   per atom [3]  x energy_unit / length_unit    (eV/Å)
 *   "charge"   per atom [1]  raw, as written (e)
 *   "total_charge" per frame raw, when a `charge` line is present
 *   "comment"  per frame     text after the keyword, trimmed; several
 *                            comment lines are joined with one space
 * Three lattice lines make the frame periodic along a, b and c.
 *
 * Choices where the documentation is silent: `energy` and `charge` lines are
 * optional (the column is then absent for that frame; n2p2 itself needs an
 * energy to train, but prediction inputs carry none or a dummy 0), and each
 * may appear once per structure. A structure needs at least one atom. Blank
 * lines are skipped anywhere; any other line outside a block is an error.
 * Numbers may use a Fortran exponent (1.0D-03); NaN and infinities are
 * refused. Every error names the file, the line and the field. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "io.h"

/* A structure under construction: arrays grow across structures and are
 * reused, so a file costs a handful of allocations. */
typedef struct n2p2_frame {
  int n_atoms;
  int64_t atoms_cap;
  int32_t *species;    /* [n_atoms] */
  double (*pos)[3];    /* [n_atoms][3] Å */
  double (*forces)[3]; /* [n_atoms][3] eV/Å */
  double *charge;      /* [n_atoms] e */
  double cell[3][3];   /* rows a, b, c; Å */
  int n_lattice;       /* lattice lines seen */
  int has_energy, has_charge, has_comment;
  double energy;       /* eV */
  double total_charge; /* e */
  char *comment;       /* NUL-terminated, comment_len bytes used */
  int64_t comment_cap;
  size_t comment_len;
} n2p2_frame;

/* The parse state shared by the line handlers. */
typedef struct n2p2_parser {
  tn_dataset *ds;
  const char *name;
  int line;  /* 1-based number of the line being parsed */
  int begin; /* line of the open `begin`, 0 outside a block */
  double length_unit, energy_unit;
  n2p2_frame fr;
} n2p2_parser;

#define N2P2_MAX_TOKENS 16

static tn_status fail(n2p2_parser *p, tn_status st, const char *what) {
  return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, st, "%s:%d: %s", p->name, p->line, what);
}

static tn_status no_memory(n2p2_parser *p) { return fail(p, TN_STATUS_NO_MEMORY, "out of memory"); }

/* Parses one token as a finite double. Accepts a Fortran exponent letter
 * (D or d) as RuNNer writes it. On failure the message names the field. */
static tn_status parse_number(n2p2_parser *p, const char *tok, const char *field, double *out) {
  char tmp[64];
  size_t n = strlen(tok);
  if (n == 0 || n >= sizeof tmp) goto bad;
  for (size_t k = 0; k <= n; k++) tmp[k] = (tok[k] == 'D' || tok[k] == 'd') ? 'e' : tok[k];
  char *end;
  double v = strtod(tmp, &end);
  if (end != tmp + n || !isfinite(v)) goto bad;
  *out = v;
  return TN_STATUS_OK;
bad:
  return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                 "%s:%d: field '%s': '%.40s' is not a finite number", p->name, p->line, field, tok);
}

static tn_status check_fields(n2p2_parser *p, const char *keyword, int n_tok, int want,
                              const char *fields) {
  if (n_tok == want) return TN_STATUS_OK;
  return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                 "%s:%d: '%s' needs %d field%s (%s), found %d", p->name, p->line, keyword, want - 1,
                 want == 2 ? "" : "s", fields, n_tok - 1);
}

static void frame_reset(n2p2_frame *fr) {
  fr->n_atoms = 0;
  fr->n_lattice = 0;
  fr->has_energy = fr->has_charge = fr->has_comment = 0;
  fr->comment_len = 0;
  if (fr->comment) fr->comment[0] = '\0';
  memset(fr->cell, 0, sizeof fr->cell);
}

static void frame_release(n2p2_frame *fr) {
  free(fr->species);
  free(fr->pos);
  free(fr->forces);
  free(fr->charge);
  free(fr->comment);
}

static tn_status on_atom(n2p2_parser *p, char **tok, int n_tok) {
  static const char *const names[10] = {"",       "x", "y",  "z",  "element",
                                        "charge", "n", "fx", "fy", "fz"};
  n2p2_frame *fr = &p->fr;
  tn_status st = check_fields(p, "atom", n_tok, 10, "x y z element charge n fx fy fz");
  if (st != TN_STATUS_OK) return st;
  double v[10];
  for (int k = 1; k < 10; k++)
    if (k != 4 && (st = parse_number(p, tok[k], names[k], &v[k])) != TN_STATUS_OK) return st;
  int z = tn_element_number(tok[4]);
  if (z == 0)
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                   "%s:%d: field 'element': unknown element '%.40s'", p->name, p->line, tok[4]);
  if (fr->n_atoms == INT_MAX) return fail(p, TN_STATUS_BAD_INPUT, "too many atoms in a structure");
  int64_t need = (int64_t)fr->n_atoms + 1, cap = fr->atoms_cap;
  /* Each array is grown from the same old capacity; the shared capacity is
   * updated only once all four have succeeded. */
  int64_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
  if (tn_grow((void **)&fr->species, &c1, need, sizeof *fr->species) ||
      tn_grow((void **)&fr->pos, &c2, need, sizeof *fr->pos) ||
      tn_grow((void **)&fr->forces, &c3, need, sizeof *fr->forces) ||
      tn_grow((void **)&fr->charge, &c4, need, sizeof *fr->charge))
    return no_memory(p);
  fr->atoms_cap = c1;
  int i = fr->n_atoms++;
  double f_unit = p->energy_unit / p->length_unit;
  fr->species[i] = z;
  for (int d = 0; d < 3; d++) {
    fr->pos[i][d] = v[1 + d] * p->length_unit;
    fr->forces[i][d] = v[7 + d] * f_unit;
  }
  fr->charge[i] = v[5];
  return TN_STATUS_OK;
}

static tn_status on_lattice(n2p2_parser *p, char **tok, int n_tok) {
  static const char *const names[3][3] = {
      {"ax", "ay", "az"}, {"bx", "by", "bz"}, {"cx", "cy", "cz"}};
  n2p2_frame *fr = &p->fr;
  if (fr->n_lattice == 3) return fail(p, TN_STATUS_BAD_INPUT, "a fourth 'lattice' line");
  tn_status st = check_fields(p, "lattice", n_tok, 4, "three components of a lattice vector");
  if (st != TN_STATUS_OK) return st;
  double v;
  for (int d = 0; d < 3; d++) {
    if ((st = parse_number(p, tok[1 + d], names[fr->n_lattice][d], &v)) != TN_STATUS_OK) return st;
    fr->cell[fr->n_lattice][d] = v * p->length_unit;
  }
  fr->n_lattice++;
  return TN_STATUS_OK;
}

/* `energy E` and `charge Q`: one number, at most once per structure. */
static tn_status on_scalar(n2p2_parser *p, char **tok, int n_tok, const char *keyword, int *seen,
                           double *out, double unit) {
  if (*seen)
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                   "%s:%d: a second '%s' line in the structure begun on line %d", p->name, p->line,
                   keyword, p->begin);
  tn_status st = check_fields(p, keyword, n_tok, 2, keyword);
  if (st != TN_STATUS_OK) return st;
  double v;
  if ((st = parse_number(p, tok[1], keyword, &v)) != TN_STATUS_OK) return st;
  *out = v * unit;
  *seen = 1;
  return TN_STATUS_OK;
}

/* Appends the comment text (already trimmed), joining repeated lines. */
static tn_status on_comment(n2p2_parser *p, const char *text) {
  n2p2_frame *fr = &p->fr;
  size_t n = strlen(text), sep = fr->has_comment ? 1 : 0;
  int64_t need = (int64_t)(fr->comment_len + sep + n + 1);
  if (tn_grow((void **)&fr->comment, &fr->comment_cap, need, 1)) return no_memory(p);
  if (sep) fr->comment[fr->comment_len++] = ' ';
  memcpy(fr->comment + fr->comment_len, text, n + 1);
  fr->comment_len += n;
  fr->has_comment = 1;
  return TN_STATUS_OK;
}

static tn_status on_end(n2p2_parser *p) {
  n2p2_frame *fr = &p->fr;
  if (fr->n_lattice != 0 && fr->n_lattice != 3) {
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                   "%s:%d: the structure begun on line %d has %d 'lattice' line%s; it needs 3 "
                   "(periodic) or none (open)",
                   p->name, p->line, p->begin, fr->n_lattice, fr->n_lattice == 1 ? "" : "s");
  }
  if (fr->n_atoms == 0)
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                   "%s:%d: the structure begun on line %d has no 'atom' lines", p->name, p->line,
                   p->begin);
  tn_frame_column cols[5];
  int nc = 0;
  cols[nc++] = (tn_frame_column){
      TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &fr->forces[0][0], NULL};
  cols[nc++] =
      (tn_frame_column){"charge", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, fr->charge, NULL};
  if (fr->has_energy)
    cols[nc++] = (tn_frame_column){
        TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &fr->energy, NULL};
  if (fr->has_charge)
    cols[nc++] = (tn_frame_column){
        "total_charge", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &fr->total_charge, NULL};
  if (fr->has_comment)
    cols[nc++] = (tn_frame_column){
        "comment", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_STRING, 0, NULL, fr->comment};
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = fr->n_atoms;
  f.species = fr->species;
  f.pos = (const double(*)[3])fr->pos;
  memcpy(f.cell, fr->cell, sizeof f.cell);
  for (int d = 0; d < 3; d++) f.pbc[d] = fr->n_lattice == 3;
  f.n_columns = nc;
  f.columns = cols;
  tn_status st = tn_dataset_append(p->ds, &f);
  if (st != TN_STATUS_OK) {
    /* Prefix the data set's message with where the structure ended. */
    char why[sizeof p->ds->errmsg];
    memcpy(why, p->ds->errmsg, sizeof why);
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, st, "%s:%d: %s", p->name, p->line, why);
  }
  return TN_STATUS_OK;
}

/* Handles one line, NUL-terminated and free of line breaks. */
static tn_status parse_line(n2p2_parser *p, char *line) {
  char *s = line;
  while (isspace((unsigned char)*s)) s++;
  if (*s == '\0') return TN_STATUS_OK;
  char *kw = s;
  while (*s && !isspace((unsigned char)*s)) s++;
  size_t kw_len = (size_t)(s - kw);
#define IS_KW(w) (kw_len == sizeof(w) - 1 && memcmp(kw, w, kw_len) == 0)
  if (IS_KW("comment")) {
    if (!p->begin) return fail(p, TN_STATUS_BAD_INPUT, "'comment' outside a begin/end block");
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return on_comment(p, s);
  }
  /* Every other keyword takes whitespace-separated tokens. */
  char *tok[N2P2_MAX_TOKENS];
  int n_tok = 0;
  tok[n_tok++] = kw;
  if (*s) *s++ = '\0';
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s) break;
    if (n_tok == N2P2_MAX_TOKENS) {
      return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                     "%s:%d: '%.20s' has more than %d fields", p->name, p->line, kw,
                     N2P2_MAX_TOKENS - 1);
    }
    tok[n_tok++] = s;
    while (*s && !isspace((unsigned char)*s)) s++;
    if (*s) *s++ = '\0';
  }
  if (IS_KW("begin")) {
    if (p->begin)
      return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                     "%s:%d: 'begin' inside the structure begun on line %d (missing 'end')",
                     p->name, p->line, p->begin);
    if (n_tok != 1) return fail(p, TN_STATUS_BAD_INPUT, "'begin' takes no fields");
    p->begin = p->line;
    frame_reset(&p->fr);
    return TN_STATUS_OK;
  }
  if (!p->begin) {
    return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                   "%s:%d: '%.20s' outside a begin/end block", p->name, p->line, kw);
  }
  if (IS_KW("end")) {
    if (n_tok != 1) return fail(p, TN_STATUS_BAD_INPUT, "'end' takes no fields");
    tn_status st = on_end(p);
    p->begin = 0;
    return st;
  }
  if (IS_KW("atom")) return on_atom(p, tok, n_tok);
  if (IS_KW("lattice")) return on_lattice(p, tok, n_tok);
  if (IS_KW("energy"))
    return on_scalar(p, tok, n_tok, "energy", &p->fr.has_energy, &p->fr.energy, p->energy_unit);
  if (IS_KW("charge"))
    return on_scalar(p, tok, n_tok, "charge", &p->fr.has_charge, &p->fr.total_charge, 1.0);
#undef IS_KW
  return tn_fail(p->ds->errmsg, sizeof p->ds->errmsg, TN_STATUS_BAD_INPUT,
                 "%s:%d: unknown keyword '%.20s' (expected begin, end, comment, lattice, atom, "
                 "energy or charge)",
                 p->name, p->line, kw);
}

tn_status n2p2_read_buffer(tn_dataset *ds, const char *name, const char *buf, size_t len,
                           const tn_read_options *opt) {
  TN_ASSERT(ds && name && opt && (buf || len == 0));
  TN_ASSERT(opt->length_unit != 0.0 && opt->energy_unit != 0.0);
  n2p2_parser p;
  memset(&p, 0, sizeof p);
  p.ds = ds;
  p.name = name;
  p.length_unit = opt->length_unit;
  p.energy_unit = opt->energy_unit;
  char *line = NULL; /* a NUL-terminated copy of the current line */
  int64_t line_cap = 0;
  int64_t frames0 = ds->n_frames;
  tn_status st = TN_STATUS_OK;
  size_t at = 0;
  while (at < len) {
    const char *nl = memchr(buf + at, '\n', len - at);
    size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
    if (p.line == INT_MAX) {
      st = fail(&p, TN_STATUS_BAD_INPUT, "too many lines");
      goto fail;
    }
    p.line++;
    if (memchr(buf + at, '\0', n)) {
      st = fail(&p, TN_STATUS_BAD_INPUT, "NUL byte in a text line");
      goto fail;
    }
    if (tn_grow((void **)&line, &line_cap, (int64_t)n + 1, 1)) {
      st = no_memory(&p);
      goto fail;
    }
    memcpy(line, buf + at, n);
    line[n] = '\0';
    if ((st = parse_line(&p, line)) != TN_STATUS_OK) goto fail;
    at += n + (nl ? 1 : 0);
  }
  if (p.begin) {
    st = tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_BAD_INPUT,
                 "%s:%d: the structure begun on line %d has no 'end'", name, p.line, p.begin);
    goto fail;
  }
  if (ds->n_frames == frames0) {
    st = tn_fail(ds->errmsg, sizeof ds->errmsg, TN_STATUS_BAD_INPUT,
                 "%s:%d: no structures (no 'begin' ... 'end' block)", name, p.line);
    goto fail;
  }
fail:
  free(line);
  frame_release(&p.fr);
  return st;
}
