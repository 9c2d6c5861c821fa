/* Extended XYZ internals shared by the reader (xyz_read.c) and the writer
 * (xyz_write.c): the comment-line key=value grammar of ASE, value and
 * Properties parsing, and quoting for output.
 *
 * The grammar follows ase/io/extxyz.py (key_val_str_to_dict, ASE 3.22):
 * pairs are separated by whitespace; '=' joins a key to its value and may be
 * surrounded by spaces; "..." '...' {...} [...] delimit text that may hold
 * spaces; a backslash makes the next character literal anywhere; a key with
 * no '=' means True. Two deliberate departures: an unterminated delimiter is
 * an error (ASE silently takes the rest of the line), and an empty quoted
 * value ("") is an empty string (ASE glues the next pair onto it). */
#ifndef TN_XYZ_H
#define TN_XYZ_H

#include "io.h"

/* One key=value pair; key and value are offsets into xyz_header.text, each
 * NUL-terminated and already unescaped. */
typedef struct xyz_pair {
  size_t key;
  size_t value;
  int has_value; /* 0 for a bare key (ASE reads it as True) */
} xyz_pair;

/* A parsed comment line. Buffers grow to the longest line seen and are
 * reused from frame to frame. */
typedef struct xyz_header {
  char *text; /* NUL-separated keys and values */
  int64_t text_cap;
  xyz_pair *pairs; /* [n_pairs] */
  int64_t pairs_cap;
  int n_pairs;
} xyz_header;

void xyz_header_free(xyz_header *h);

/* Splits a comment line (line[0..len), no newline) into pairs. Errors
 * (BAD_INPUT, NO_MEMORY) are written to err as "<name>:<lineno>: ...". */
tn_status xyz_header_parse(xyz_header *h, const char *line, size_t len, const char *name,
                           int64_t lineno, char *err, size_t err_len);

static inline const char *xyz_key(const xyz_header *h, int k) { return h->text + h->pairs[k].key; }
static inline const char *xyz_value(const xyz_header *h, int k) {
  return h->text + h->pairs[k].value;
}

/* ---------------------------------------------------------------- values */

/* Kinds of a comment-line value, in the order ASE tries them: all tokens
 * integers, else all numbers, else all T/F, else text. Tokens are split on
 * whitespace and commas, as ASE does (re '[^\s,]+'). */
typedef enum xyz_kind {
  XYZ_KIND_INT,
  XYZ_KIND_REAL,
  XYZ_KIND_BOOL,
  XYZ_KIND_TEXT,
} xyz_kind;

/* Classifies value and, unless it is text, stores up to max numbers in out
 * (bools as 1/0). Returns the kind; *count gets the number of tokens (which
 * may exceed max: the caller checks). An empty value is text. */
xyz_kind xyz_value_parse(const char *value, double *out, int max, int *count);

/* A real number token s[0..n): what Python's float() accepts for decimal
 * input (sign, digits, point, exponent, inf, nan); no hex. 0 on success. */
int xyz_parse_real(const char *s, size_t n, double *out);
/* An integer token: optional sign and decimal digits, |v| <= 2^53. */
int xyz_parse_int(const char *s, size_t n, double *out);
/* A logical token: T, F, True, False (as ASE's parse_bool). */
int xyz_parse_bool(const char *s, size_t n, double *out);

/* ------------------------------------------------------------ Properties */

/* One entry of Properties=name:type:ncols:... */
typedef struct xyz_property {
  char name[TN_NAME_MAX];
  char type; /* 'R', 'I', 'S' or 'L' */
  int ncols;
} xyz_property;

/* Largest ncols accepted for one property. */
#define XYZ_NCOLS_MAX 100000

/* Parses a Properties value into props (grown as needed; *n gets the count).
 * Errors name the entry: bad type letter, ncols not a positive integer,
 * fields not a multiple of three, names too long. */
tn_status xyz_properties_parse(const char *value, xyz_property **props, int64_t *cap, int *n,
                               const char *name, int64_t lineno, char *err, size_t err_len);

/* ---------------------------------------------------------------- output */

/* Writes s to f as a key or value that xyz_header_parse reads back as s:
 * bare when it is safe, else in double quotes with '"' and '\' escaped.
 * Newlines and carriage returns, which would end the line, become spaces. */
void xyz_put_text(FILE *f, const char *s);

/* Formats a double with the fewest digits (15, 16 or 17) that read back to
 * the same bits, with ".0" added to whole numbers so they stay real. buf
 * must hold 32 bytes. */
void xyz_format_real(char *buf, double v);

#endif
