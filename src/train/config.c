/* The YAML training config: one table of keys drives loading (libyaml's
 * event API), --set overrides, validation and saving.
 *
 * A key's YAML path is its dotted name: `optimizer: {lr: 1e-3}` and
 * `optimizer.lr: 1e-3` both set optimizer.lr. Only mappings and scalars are
 * accepted; sequences, anchors, aliases and tags are errors, and so are
 * unknown and repeated keys, so that a typo never silently keeps a default.
 * Every value is checked against its table entry (type, range, choices)
 * before it is stored, so a failed load or --set leaves the config as it was.
 * Saving writes every key in table order, doubles in the shortest form that
 * reads back to the same bits, strings double-quoted with escapes, so
 * load(save(cfg)) == cfg. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "../core/core.h"

typedef enum cf_type {
  CF_STRING,
  CF_INT,    /* int */
  CF_INT64,  /* int64_t */
  CF_UINT64, /* uint64_t, any value */
  CF_DOUBLE, /* finite double */
} cf_type;

/* What a string must be, beyond fitting its buffer and being UTF-8. */
typedef enum cf_text {
  CF_TEXT_ANY,
  CF_TEXT_NONEMPTY,
  CF_TEXT_CHOICE, /* one of choices */
  CF_TEXT_ENERGY_UNIT,
  CF_TEXT_LENGTH_UNIT,
} cf_text;

typedef struct cf_key {
  const char *key; /* dotted path, at most one dot */
  cf_type type;
  size_t offset; /* into tn_train_config */
  size_t size;   /* string buffer bytes, NUL included */
  long long imin, imax;
  double dmin, dmax;
  int min_open, max_open; /* doubles: bound excluded */
  cf_text text;
  const char *choices; /* space-separated */
} cf_key;

#define CF_OFF(f)  offsetof(tn_train_config, f)
#define CF_SIZE(f) sizeof(((tn_train_config *)0)->f)
#define CF_STR(k, f, text, choices)                                                                \
  { k, CF_STRING, CF_OFF(f), CF_SIZE(f), 0, 0, 0, 0, 0, 0, text, choices }
#define CF_INT(k, f, lo, hi)                                                                       \
  { k, CF_INT, CF_OFF(f), 0, lo, hi, 0, 0, 0, 0, CF_TEXT_ANY, NULL }
#define CF_I64(k, f, lo)                                                                           \
  { k, CF_INT64, CF_OFF(f), 0, lo, INT64_MAX, 0, 0, 0, 0, CF_TEXT_ANY, NULL }
#define CF_U64(k, f)                                                                               \
  { k, CF_UINT64, CF_OFF(f), 0, 0, 0, 0, 0, 0, 0, CF_TEXT_ANY, NULL }
#define CF_DBL(k, f, lo, lo_open, hi, hi_open)                                                     \
  { k, CF_DOUBLE, CF_OFF(f), 0, 0, 0, lo, hi, lo_open, hi_open, CF_TEXT_ANY, NULL }

/* The keys, in the order they are saved. Ranges reject values that cannot
 * mean anything (a zero batch, beta2 >= 1 which stalls Adam's second moment
 * at its start, negative loss weights), not values that are merely odd. */
static const cf_key cf_keys[] = {
    CF_STR("data.train", data.train, CF_TEXT_ANY, NULL),
    CF_STR("data.validation", data.validation, CF_TEXT_ANY, NULL),
    CF_STR("data.test", data.test, CF_TEXT_ANY, NULL),
    CF_STR("data.format", data.format, CF_TEXT_CHOICE, "auto extxyz npz n2p2 ani"),
    CF_STR("data.energy_unit", data.energy_unit, CF_TEXT_ENERGY_UNIT, NULL),
    CF_STR("data.length_unit", data.length_unit, CF_TEXT_LENGTH_UNIT, NULL),
    CF_I64("data.n_train", data.n_train, 0),
    CF_I64("data.n_val", data.n_val, 0),
    CF_I64("data.n_test", data.n_test, 0),
    CF_STR("data.split", data.split, CF_TEXT_ANY, NULL),
    CF_STR("data.atomic_energies", data.atomic_energies, CF_TEXT_ANY, NULL),
    CF_STR("data.theory", data.theory, CF_TEXT_ANY, NULL),
    CF_STR("model.type", model.type, CF_TEXT_CHOICE, "schnet painn bpnn"),
    CF_INT("model.features", model.features, 1, 4096),
    CF_INT("model.interactions", model.interactions, 1, 64),
    CF_INT("model.n_basis", model.n_basis, 1, 1024),
    CF_STR("model.basis", model.basis, CF_TEXT_CHOICE, "auto gaussian sinc"),
    CF_DBL("model.cutoff", model.cutoff, 0, 1, 100, 0), /* Å */
    CF_STR("model.activation", model.activation, CF_TEXT_CHOICE,
           "auto ssp silu tanh softplus logistic identity"),
    CF_INT("model.shared_filters", model.shared_filters, 0, 1),
    CF_INT("model.acsf_radial", model.acsf_radial, 1, 64),
    CF_INT("model.acsf_angular", model.acsf_angular, 0, 32),
    CF_STR("model.acsf_angular_kind", model.acsf_angular_kind, CF_TEXT_CHOICE, "wide narrow"),
    CF_STR("model.acsf_cutoff", model.acsf_cutoff, CF_TEXT_CHOICE,
           "cos tanhu tanh exp poly1 poly2 poly3 poly4 hard"),
    CF_STR("model.acsf_scaling", model.acsf_scaling, CF_TEXT_CHOICE,
           "sigma minmax center minmax_center none"),
    CF_DBL("loss.energy", loss.energy, 0, 0, INFINITY, 0),
    CF_DBL("loss.forces", loss.forces, 0, 0, INFINITY, 0),
    CF_DBL("loss.atomic_energies", loss.atomic_energies, 0, 0, INFINITY, 0),
    CF_DBL("loss.stress", loss.stress, 0, 0, INFINITY, 0),
    CF_STR("optimizer.name", optimizer.name, CF_TEXT_CHOICE, "adam amsgrad"),
    CF_DBL("optimizer.lr", optimizer.lr, 0, 1, INFINITY, 0),
    CF_DBL("optimizer.beta1", optimizer.beta1, 0, 0, 1, 1),
    CF_DBL("optimizer.beta2", optimizer.beta2, 0, 0, 1, 1),
    CF_DBL("optimizer.eps", optimizer.eps, 0, 1, INFINITY, 0),
    CF_DBL("optimizer.weight_decay", optimizer.weight_decay, 0, 0, INFINITY, 0),
    CF_DBL("optimizer.clip_norm", optimizer.clip_norm, 0, 0, INFINITY, 0),
    CF_DBL("optimizer.ema", optimizer.ema, 0, 0, 1, 1),
    CF_STR("schedule.type", schedule.type, CF_TEXT_CHOICE, "plateau exponential constant"),
    CF_INT("schedule.warmup_epochs", schedule.warmup_epochs, 0, INT_MAX),
    CF_DBL("schedule.factor", schedule.factor, 0, 1, 1, 1),
    CF_INT("schedule.patience", schedule.patience, 0, INT_MAX),
    CF_DBL("schedule.min_lr", schedule.min_lr, 0, 0, INFINITY, 0),
    CF_DBL("schedule.decay_rate", schedule.decay_rate, 0, 1, 1, 0),
    CF_INT("schedule.decay_epochs", schedule.decay_epochs, 1, INT_MAX),
    CF_INT("train.epochs", train.epochs, 1, INT_MAX),
    CF_INT("train.batch_size", train.batch_size, 1, INT_MAX),
    CF_INT("train.early_stopping", train.early_stopping, 0, INT_MAX),
    CF_INT("train.threads", train.threads, 0, 4096),
    CF_DBL("train.max_minutes", train.max_minutes, 0, 0, INFINITY, 0),
    CF_STR("finetune.init_from", finetune.init_from, CF_TEXT_ANY, NULL),
    CF_STR("finetune.freeze", finetune.freeze, CF_TEXT_ANY, NULL),
    CF_DBL("finetune.lr_decay", finetune.lr_decay, 0, 1, 1, 0),
    CF_INT("finetune.refit_shifts", finetune.refit_shifts, 0, 1),
    CF_STR("output.dir", output.dir, CF_TEXT_NONEMPTY, NULL),
    CF_INT("output.checkpoint_every", output.checkpoint_every, 0, INT_MAX),
    CF_U64("seed", seed),
};
#define CF_N_KEYS ((int)(sizeof cf_keys / sizeof *cf_keys))

tn_train_config tn_train_config_default(void) {
  tn_train_config c;
  memset(&c, 0, sizeof c); /* also zeroes string tails, so configs compare with memcmp */
  strcpy(c.data.format, "auto");
  c.data.n_val = 50;
  strcpy(c.model.type, "schnet");
  c.model.features = 128;
  c.model.interactions = 3;
  c.model.n_basis = 20;
  strcpy(c.model.basis, "auto");
  c.model.cutoff = 5.0;
  strcpy(c.model.activation, "auto");
  c.model.acsf_radial = 8;
  c.model.acsf_angular = 4;
  strcpy(c.model.acsf_angular_kind, "wide");
  strcpy(c.model.acsf_cutoff, "cos");
  strcpy(c.model.acsf_scaling, "sigma");
  c.loss.energy = 1.0;
  c.loss.forces = 10.0;
  strcpy(c.optimizer.name, "adam");
  c.optimizer.lr = 5e-4;
  c.optimizer.beta1 = 0.9;
  c.optimizer.beta2 = 0.999;
  c.optimizer.eps = 1e-8;
  c.optimizer.clip_norm = 10.0;
  c.optimizer.ema = 0.99;
  strcpy(c.schedule.type, "plateau");
  c.schedule.factor = 0.5;
  c.schedule.patience = 10;
  c.schedule.min_lr = 1e-6;
  c.schedule.decay_rate = 0.1;
  c.schedule.decay_epochs = 500;
  c.finetune.lr_decay = 1.0;
  c.finetune.refit_shifts = 1;
  c.train.epochs = 100;
  c.train.batch_size = 16;
  c.train.early_stopping = 50;
  strcpy(c.output.dir, "tanne-run");
  c.output.checkpoint_every = 10;
  c.seed = 1;
  return c;
}

/* ------------------------------------------------------------------ lookup */

static const cf_key *cf_find(const char *key, size_t len) {
  for (int k = 0; k < CF_N_KEYS; k++)
    if (strlen(cf_keys[k].key) == len && memcmp(cf_keys[k].key, key, len) == 0) return &cf_keys[k];
  return NULL;
}

/* 1 if some key lies under "section." */
static int cf_is_section(const char *section, size_t len) {
  for (int k = 0; k < CF_N_KEYS; k++)
    if (strncmp(cf_keys[k].key, section, len) == 0 && cf_keys[k].key[len] == '.') return 1;
  return 0;
}

/* Edit distance (insertions, deletions, substitutions), capped at 9. */
static int cf_distance(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  if (na > 63 || nb > 63) return 9;
  int row[64];
  for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= na; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= nb; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[nb] < 9 ? row[nb] : 9;
}

/* " (did you mean 'optimizer.lr'?)" for a near miss or the same name in
 * another section, else "". */
static void cf_suggest(const char *unknown, char *out, size_t len) {
  const char *best = NULL;
  int best_d = 3;
  for (int k = 0; k < CF_N_KEYS; k++) {
    int d = cf_distance(unknown, cf_keys[k].key);
    if (d < best_d) best_d = d, best = cf_keys[k].key;
  }
  if (!best) {
    const char *leaf = strrchr(unknown, '.');
    leaf = leaf ? leaf + 1 : unknown;
    for (int k = 0; k < CF_N_KEYS && !best; k++) {
      const char *kl = strrchr(cf_keys[k].key, '.');
      if (kl && strcmp(kl + 1, leaf) == 0) best = cf_keys[k].key;
    }
  }
  if (best)
    snprintf(out, len, " (did you mean '%s'?)", best);
  else
    out[0] = '\0';
}

static tn_status cf_unknown(const char *where, const char *key, char *err, size_t err_len) {
  char hint[96];
  cf_suggest(key, hint, sizeof hint);
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: unknown key '%s'%s", where, key, hint);
}

/* -------------------------------------------------------------- validation */

/* Length of the valid UTF-8 prefix of s[0..n); n if all of it is valid.
 * Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t cf_utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t extra;
    unsigned cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    if (n - i <= extra) return i;
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return i;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return n;
}

static int cf_in_choices(const char *choices, const char *s, size_t len) {
  for (const char *p = choices; *p;) {
    size_t n = strcspn(p, " ");
    if (n == len && memcmp(p, s, len) == 0) return 1;
    p += n;
    while (*p == ' ') p++;
  }
  return 0;
}

/* Checks a string value (len bytes, maybe not NUL-terminated). */
static tn_status cf_check_string(const cf_key *k, const char *s, size_t len, const char *where,
                                 char *err, size_t err_len) {
  if (memchr(s, '\0', len))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': contains a NUL character",
                   where, k->key);
  if (len >= k->size)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "%s: key '%s': %zu bytes is longer than the limit of %zu", where, k->key, len,
                   k->size - 1);
  size_t ok = cf_utf8_valid((const unsigned char *)s, len);
  if (ok != len)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': not valid UTF-8 (at byte %zu)",
                   where, k->key, ok);
  char tmp[64];
  switch (k->text) {
  case CF_TEXT_ANY: break;
  case CF_TEXT_NONEMPTY:
    if (len == 0)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': must not be empty", where,
                     k->key);
    break;
  case CF_TEXT_CHOICE:
    if (!cf_in_choices(k->choices, s, len)) {
      char list[128]; /* "a b c" -> "a, b, c" */
      size_t n = 0;
      for (const char *p = k->choices; *p && n + 3 < sizeof list; p++) {
        if (*p == ' ') list[n++] = ',';
        list[n++] = *p;
      }
      list[n] = '\0';
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': '%.*s' is not one of %s",
                     where, k->key, (int)(len < 64 ? len : 64), s, list);
    }
    break;
  case CF_TEXT_ENERGY_UNIT:
  case CF_TEXT_LENGTH_UNIT:
    if (len == 0) break; /* the format's default */
    if (len >= sizeof tmp) len = sizeof tmp - 1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (k->text == CF_TEXT_ENERGY_UNIT ? tn_energy_unit(tmp) == 0.0 : tn_length_unit(tmp) == 0.0)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': unknown %s unit '%s' (%s)",
                     where, k->key, k->text == CF_TEXT_ENERGY_UNIT ? "energy" : "length", tmp,
                     k->text == CF_TEXT_ENERGY_UNIT ? "eV, meV, kcal/mol, kJ/mol, Hartree, Ha, Ry"
                                                    : "Angstrom, A, Bohr, nm");
    break;
  }
  return TN_STATUS_OK;
}

static tn_status cf_check_int(const cf_key *k, long long v, const char *where, char *err,
                              size_t err_len) {
  if (v >= k->imin && v <= k->imax) return TN_STATUS_OK;
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "%s: key '%s': %lld is out of range (must be in %lld..%lld)", where, k->key, v,
                 k->imin, k->imax);
}

static tn_status cf_check_double(const cf_key *k, double v, const char *where, char *err,
                                 size_t err_len) {
  if (!isfinite(v))
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': must be a finite number",
                   where, k->key);
  int low_ok = k->min_open ? v > k->dmin : v >= k->dmin;
  int high_ok = k->max_open ? v < k->dmax : v <= k->dmax;
  if (low_ok && high_ok) return TN_STATUS_OK;
  char range[64];
  if (isinf(k->dmax))
    snprintf(range, sizeof range, "must be %s %g", k->min_open ? ">" : ">=", k->dmin);
  else
    snprintf(range, sizeof range, "must be in %c%g, %g%c", k->min_open ? '(' : '[', k->dmin,
             k->dmax, k->max_open ? ')' : ']');
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': %.17g is out of range (%s)",
                 where, k->key, v, range);
}

/* ------------------------------------------------------------------ values */

/* 1 if every byte of s[0..len) is in set and there is at least one. */
static int cf_only(const char *s, size_t len, const char *set) {
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++)
    if (!strchr(set, s[i]) || s[i] == '\0') return 0;
  return 1;
}

/* Parses value (len bytes) for key k, checks it and only then stores it in
 * cfg. null is set for YAML's null (an empty plain scalar, ~ or null), which
 * a string key takes as "". */
static tn_status cf_assign(tn_train_config *cfg, const cf_key *k, const char *value, size_t len,
                           int null, const char *where, char *err, size_t err_len) {
  char *field = (char *)cfg + k->offset;
  char buf[64];
  char *end;
  tn_status st;
  if (k->type == CF_STRING) {
    if (null) len = 0;
    if ((st = cf_check_string(k, value, len, where, err, err_len))) return st;
    memset(field, 0, k->size); /* zero tails keep configs memcmp-comparable */
    memcpy(field, value, len);
    return TN_STATUS_OK;
  }
  const char *what = k->type == CF_DOUBLE   ? "a number"
                     : k->type == CF_UINT64 ? "an integer >= 0"
                                            : "an integer";
  const char *set = k->type == CF_DOUBLE   ? "0123456789+-.eE"
                    : k->type == CF_UINT64 ? "0123456789+"
                                           : "0123456789+-";
  if (len >= sizeof buf || !cf_only(value, len, set)) goto not_number;
  memcpy(buf, value, len);
  buf[len] = '\0';
  errno = 0;
  if (k->type == CF_DOUBLE) {
    double v = strtod(buf, &end);
    if (end != buf + len) goto not_number;
    /* ERANGE on underflow gives a denormal or zero, which is kept. */
    if ((st = cf_check_double(k, v, where, err, err_len))) return st;
    memcpy(field, &v, sizeof v);
  } else if (k->type == CF_UINT64) {
    unsigned long long v = strtoull(buf, &end, 10);
    if (end != buf + len) goto not_number;
    if (errno == ERANGE)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: key '%s': %s is out of range (must be in 0..%llu)", where, k->key, buf,
                     (unsigned long long)UINT64_MAX);
    uint64_t u = (uint64_t)v;
    memcpy(field, &u, sizeof u);
  } else {
    long long v = strtoll(buf, &end, 10);
    if (end != buf + len) goto not_number;
    if (errno == ERANGE)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: key '%s': %s is out of range (must be in %lld..%lld)", where, k->key, buf,
                     k->imin, k->imax);
    if ((st = cf_check_int(k, v, where, err, err_len))) return st;
    if (k->type == CF_INT) {
      int i = (int)v;
      memcpy(field, &i, sizeof i);
    } else {
      int64_t i = (int64_t)v;
      memcpy(field, &i, sizeof i);
    }
  }
  return TN_STATUS_OK;
not_number:
  return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': expected %s, got '%.*s'", where,
                 k->key, what, (int)(len < 80 ? len : 80), value);
}

/* Checks the value cfg holds for key k, as load would have. */
static tn_status cf_check_field(const tn_train_config *cfg, const cf_key *k, const char *where,
                                char *err, size_t err_len) {
  const char *field = (const char *)cfg + k->offset;
  switch (k->type) {
  case CF_STRING: {
    const char *nul = memchr(field, '\0', k->size);
    if (!nul)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': string not terminated",
                     where, k->key);
    return cf_check_string(k, field, (size_t)(nul - field), where, err, err_len);
  }
  case CF_INT: {
    int v;
    memcpy(&v, field, sizeof v);
    return cf_check_int(k, v, where, err, err_len);
  }
  case CF_INT64: {
    int64_t v;
    memcpy(&v, field, sizeof v);
    return cf_check_int(k, v, where, err, err_len);
  }
  case CF_UINT64: return TN_STATUS_OK;
  case CF_DOUBLE: {
    double v;
    memcpy(&v, field, sizeof v);
    return cf_check_double(k, v, where, err, err_len);
  }
  }
  return TN_STATUS_OK;
}

/* -------------------------------------------------------------------- YAML */

#define CF_MAX_SEEN 128
#define CF_KEY_MAX  64 /* longer than any key in the table */

typedef struct cf_parser {
  yaml_parser_t yaml;
  const char *path;
  const unsigned char *text; /* the file, for the line of a reader error */
  size_t text_len;
  tn_train_config cfg; /* the copy being filled */
  char seen[CF_MAX_SEEN][CF_KEY_MAX];
  int seen_line[CF_MAX_SEEN];
  int n_seen;
  char *where; /* "path:line" for messages */
  size_t where_len;
  char *err;
  size_t err_len;
} cf_parser;

static int cf_line(yaml_mark_t mark) { return (int)mark.line + 1; }

static tn_status cf_next(cf_parser *p, yaml_event_t *ev) {
  if (yaml_parser_parse(&p->yaml, ev)) return TN_STATUS_OK;
  yaml_parser_t *y = &p->yaml;
  if (y->error == YAML_MEMORY_ERROR)
    return tn_fail(p->err, p->err_len, TN_STATUS_NO_MEMORY, "%s: out of memory parsing YAML",
                   p->path);
  int line = cf_line(y->problem_mark);
  if (y->error == YAML_READER_ERROR) { /* only the byte offset is known */
    line = 1;
    for (size_t i = 0; i < y->problem_offset && i < p->text_len; i++) line += p->text[i] == '\n';
  }
  if (y->context)
    return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: YAML syntax error: %s (%s)",
                   p->path, line, y->problem ? y->problem : "unknown problem", y->context);
  return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: YAML syntax error: %s", p->path,
                 line, y->problem ? y->problem : "unknown problem");
}

/* Refuses what the config does not use: anchors, aliases, tags, sequences. */
static tn_status cf_plain_node(cf_parser *p, const yaml_event_t *ev, const char *key) {
  const yaml_char_t *anchor = NULL, *tag = NULL;
  const char *what = NULL;
  if (ev->type == YAML_SCALAR_EVENT) {
    anchor = ev->data.scalar.anchor;
    tag = ev->data.scalar.tag;
  } else if (ev->type == YAML_MAPPING_START_EVENT) {
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
  } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
    what = "sequences (lists) are not allowed";
  } else if (ev->type == YAML_ALIAS_EVENT) {
    what = "aliases (*name) are not allowed";
  }
  if (anchor) what = "anchors (&name) are not allowed";
  if (tag) what = "tags (!!type) are not allowed";
  if (!what) return TN_STATUS_OK;
  int line = cf_line(ev->start_mark);
  if (key)
    return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: key '%s': %s", p->path, line,
                   key, what);
  return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: %s", p->path, line, what);
}

/* 1 for YAML's null: an empty plain scalar, ~ or null. */
static int cf_is_null(const yaml_event_t *ev) {
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *v = (const char *)ev->data.scalar.value;
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Records that a path was given, refusing a repeat. */
static tn_status cf_mark_seen(cf_parser *p, const char *path, int line) {
  for (int k = 0; k < p->n_seen; k++)
    if (strcmp(p->seen[k], path) == 0)
      return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT,
                     "%s:%d: duplicate key '%s' (first given on line %d)", p->path, line, path,
                     p->seen_line[k]);
  /* Only table keys and sections get here, fewer than CF_MAX_SEEN. */
  TN_ASSERT(p->n_seen < CF_MAX_SEEN && strlen(path) < CF_KEY_MAX);
  strcpy(p->seen[p->n_seen], path);
  p->seen_line[p->n_seen++] = line;
  return TN_STATUS_OK;
}

static tn_status cf_mapping(cf_parser *p, const char *prefix);

/* Handles one key (full dotted path, from the key event at key_line) whose
 * value event is ev. */
static tn_status cf_value(cf_parser *p, const char *full, int key_line, yaml_event_t *ev) {
  size_t len = strlen(full);
  const cf_key *k = cf_find(full, len);
  int section = !k && cf_is_section(full, len);
  if (!k && !section) {
    snprintf(p->where, p->where_len, "%s:%d", p->path, key_line);
    return cf_unknown(p->where, full, p->err, p->err_len);
  }
  tn_status st = cf_plain_node(p, ev, full);
  if (st) return st;
  if ((st = cf_mark_seen(p, full, key_line))) return st;
  int line = cf_line(ev->start_mark);
  if (ev->type == YAML_MAPPING_START_EVENT) {
    if (k)
      return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT,
                     "%s:%d: key '%s' takes a single value, not a mapping", p->path, line, full);
    return cf_mapping(p, full);
  }
  /* A scalar. */
  if (section) {
    if (cf_is_null(ev)) return TN_STATUS_OK; /* "model:" with every key commented out */
    return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT,
                   "%s:%d: key '%s' is a section: expected a mapping of its keys, got '%.40s'",
                   p->path, line, full, (const char *)ev->data.scalar.value);
  }
  snprintf(p->where, p->where_len, "%s:%d", p->path, line);
  return cf_assign(&p->cfg, k, (const char *)ev->data.scalar.value, ev->data.scalar.length,
                   cf_is_null(ev), p->where, p->err, p->err_len);
}

/* Reads key/value pairs up to the end of the mapping whose start event was
 * just consumed. Keys nest as prefix.key. */
static tn_status cf_mapping(cf_parser *p, const char *prefix) {
  for (;;) {
    yaml_event_t key, value;
    tn_status st = cf_next(p, &key);
    if (st) return st;
    if (key.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&key);
      return TN_STATUS_OK;
    }
    int key_line = cf_line(key.start_mark);
    if (key.type != YAML_SCALAR_EVENT || (st = cf_plain_node(p, &key, NULL))) {
      if (!st)
        st = tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: keys must be plain text",
                     p->path, key_line);
      yaml_event_delete(&key);
      return st;
    }
    char full[CF_KEY_MAX * 2];
    const char *name = (const char *)key.data.scalar.value;
    size_t name_len = key.data.scalar.length;
    if (strlen(prefix) + name_len + 2 > sizeof full || memchr(name, '\0', name_len)) {
      /* Longer than any key we know. */
      st = tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT, "%s:%d: unknown key '%s%s%.60s...'",
                   p->path, key_line, prefix, *prefix ? "." : "", name);
      yaml_event_delete(&key);
      return st;
    }
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", name);
    yaml_event_delete(&key);
    if ((st = cf_next(p, &value))) return st;
    st = cf_value(p, full, key_line, &value);
    yaml_event_delete(&value);
    if (st) return st;
  }
}

/* The stream: no document (an empty file), or one whose root is a mapping
 * or null. */
static tn_status cf_stream(cf_parser *p) {
  yaml_event_t ev;
  tn_status st;
  int documents = 0;
  for (;;) {
    if ((st = cf_next(p, &ev))) return st;
    yaml_event_type_t type = ev.type;
    int line = cf_line(ev.start_mark);
    if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT) {
      yaml_event_delete(&ev);
      continue;
    }
    if (type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      return TN_STATUS_OK;
    }
    if (type == YAML_DOCUMENT_START_EVENT) {
      yaml_event_delete(&ev);
      if (documents++ > 0)
        return tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT,
                       "%s:%d: more than one YAML document", p->path, line);
      continue;
    }
    /* The root node. */
    st = cf_plain_node(p, &ev, NULL);
    if (!st && type == YAML_MAPPING_START_EVENT) {
      yaml_event_delete(&ev);
      if ((st = cf_mapping(p, ""))) return st;
      continue;
    }
    if (!st && !(type == YAML_SCALAR_EVENT && cf_is_null(&ev)))
      st = tn_fail(p->err, p->err_len, TN_STATUS_BAD_INPUT,
                   "%s:%d: expected a mapping of keys (key: value) at the top", p->path, line);
    yaml_event_delete(&ev);
    if (st) return st;
  }
}

/* Parses YAML text over cfg; name stands for the text in messages. */
static tn_status cf_parse(tn_train_config *cfg, const char *name, const char *text, size_t len,
                          char *err, size_t err_len) {
  cf_parser *p = malloc(sizeof *p);
  if (p) p->where_len = strlen(name) + 24;
  if (p) p->where = malloc(p->where_len);
  if (!p || !p->where || !yaml_parser_initialize(&p->yaml)) {
    if (p) free(p->where);
    free(p);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", name);
  }
  p->path = name;
  p->text = (const unsigned char *)text;
  p->text_len = len;
  p->cfg = *cfg;
  p->n_seen = 0;
  p->err = err;
  p->err_len = err_len;
  yaml_parser_set_input_string(&p->yaml, (const unsigned char *)text, len);
  tn_status st = cf_stream(p);
  if (st == TN_STATUS_OK) *cfg = p->cfg;
  yaml_parser_delete(&p->yaml);
  free(p->where);
  free(p);
  return st;
}

tn_status tn_train_config_load(tn_train_config *cfg, const char *path, char *err, size_t err_len) {
  TN_ASSERT(cfg && path);
  char *text = NULL;
  size_t len = 0;
  tn_status st = tn_read_file(path, &text, &len, err, err_len);
  if (st) return st;
  st = cf_parse(cfg, path, text, len, err, err_len);
  free(text);
  return st;
}

tn_status train_config_from_text(tn_train_config *cfg, const char *name, const char *text,
                                 char *err, size_t err_len) {
  TN_ASSERT(cfg && name && text);
  tn_train_config c = tn_train_config_default();
  tn_status st = cf_parse(&c, name, text, strlen(text), err, err_len);
  if (st == TN_STATUS_OK) *cfg = c;
  return st;
}

static int cf_space(char c) { return c == ' ' || c == '\t'; }

tn_status tn_train_config_set(tn_train_config *cfg, const char *assignment, char *err,
                              size_t err_len) {
  TN_ASSERT(cfg && assignment);
  size_t where_len = strlen(assignment) + 8;
  char *where = malloc(where_len);
  if (!where) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "--set: out of memory");
  snprintf(where, where_len, "--set %s", assignment);
  tn_status st;
  const char *eq = strchr(assignment, '=');
  if (!eq) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: expected key=value", where);
    goto done;
  }
  const char *key = assignment, *key_end = eq, *value = eq + 1;
  const char *value_end = value + strlen(value);
  while (key < key_end && cf_space(*key)) key++;
  while (key_end > key && cf_space(key_end[-1])) key_end--;
  while (value < value_end && cf_space(*value)) value++;
  while (value_end > value && cf_space(value_end[-1])) value_end--;
  size_t key_len = (size_t)(key_end - key);
  const cf_key *k = cf_find(key, key_len);
  if (!k) {
    char name[CF_KEY_MAX + 4];
    snprintf(name, sizeof name, "%.*s", (int)(key_len < CF_KEY_MAX ? key_len : CF_KEY_MAX), key);
    if (key_len > 0 && cf_is_section(key, key_len))
      st =
          tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                  "%s: '%s' is a section: set one of its keys (%s.<key>=value)", where, name, name);
    else
      st = cf_unknown(where, name, err, err_len);
    goto done;
  }
  /* cf_assign stores nothing unless the value passes, so cfg is unchanged
   * on failure. */
  st = cf_assign(cfg, k, value, (size_t)(value_end - value), 0, where, err, err_len);
done:
  free(where);
  return st;
}

/* ------------------------------------------------------------------ saving */

/* The shortest %g form that reads back to the same bits, made to look like
 * a YAML 1.1 float ("10.0", "1.0e-06") so other YAML readers see a number. */
static void cf_format_double(double v, char *out, size_t len) {
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    double back = strtod(tmp, NULL);
    if (memcmp(&back, &v, sizeof v) == 0) break;
  }
  char *e = strchr(tmp, 'e');
  if (strchr(tmp, '.'))
    snprintf(out, len, "%s", tmp);
  else if (e)
    snprintf(out, len, "%.*s.0%s", (int)(e - tmp), tmp, e);
  else
    snprintf(out, len, "%s.0", tmp);
}

/* A YAML double-quoted scalar. s is valid UTF-8 (checked before saving);
 * code points libyaml would not read raw (controls, C1, line separators,
 * BOM) are escaped, so any such string reads back unchanged. */
static void cf_write_quoted(FILE *f, const char *s) {
  fputc('"', f);
  const unsigned char *u = (const unsigned char *)s;
  while (*u) {
    unsigned c = *u;
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < n; k++) cp = cp << 6 | (u[k] & 0x3f);
    if (cp == '"' || cp == '\\')
      fprintf(f, "\\%c", (int)cp);
    else if (cp == '\n')
      fputs("\\n", f);
    else if (cp == '\t')
      fputs("\\t", f);
    else if (cp == '\r')
      fputs("\\r", f);
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
      fprintf(f, "\\x%02x", cp);
    else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
      fprintf(f, "\\u%04x", cp);
    else
      fwrite(u, 1, n, f);
    u += n;
  }
  fputc('"', f);
}

/* Every key in table order, as YAML. */
static void cf_write(FILE *f, const tn_train_config *cfg) {
  fprintf(f, "# tanne %s training config: every key, as used.\n", TN_VERSION_STRING);
  const char *section = "";
  size_t section_len = 0;
  for (int i = 0; i < CF_N_KEYS; i++) {
    const cf_key *k = &cf_keys[i];
    const char *dot = strchr(k->key, '.');
    size_t len = dot ? (size_t)(dot - k->key) : 0;
    if (len != section_len || strncmp(section, k->key, len) != 0) {
      if (len) fprintf(f, "\n%.*s:\n", (int)len, k->key);
      section = k->key;
      section_len = len;
    }
    fprintf(f, "%s%s: ", len ? "  " : "\n", dot ? dot + 1 : k->key);
    const char *field = (const char *)cfg + k->offset;
    char num[48];
    switch (k->type) {
    case CF_STRING: cf_write_quoted(f, field); break;
    case CF_INT: {
      int v;
      memcpy(&v, field, sizeof v);
      fprintf(f, "%d", v);
      break;
    }
    case CF_INT64: {
      int64_t v;
      memcpy(&v, field, sizeof v);
      fprintf(f, "%lld", (long long)v);
      break;
    }
    case CF_UINT64: {
      uint64_t v;
      memcpy(&v, field, sizeof v);
      fprintf(f, "%llu", (unsigned long long)v);
      break;
    }
    case CF_DOUBLE: {
      double v;
      memcpy(&v, field, sizeof v);
      cf_format_double(v, num, sizeof num);
      fputs(num, f);
      break;
    }
    }
    fputc('\n', f);
  }
}

/* Refuses a config that would not read back (the table's checks). */
static tn_status cf_check_all(const tn_train_config *cfg, const char *path, char *err,
                              size_t err_len) {
  char where[96];
  snprintf(where, sizeof where, "%.80s: not saved", path);
  for (int i = 0; i < CF_N_KEYS; i++)
    if (cf_check_field(cfg, &cf_keys[i], where, err, err_len)) return TN_STATUS_INVALID_ARG;
  return TN_STATUS_OK;
}

tn_status tn_train_config_save(const tn_train_config *cfg, const char *path, char *err,
                               size_t err_len) {
  TN_ASSERT(cfg && path);
  tn_status st = cf_check_all(cfg, path, err, err_len);
  if (st) return st;
  size_t tmp_len = strlen(path) + 32;
  char *tmp = malloc(tmp_len);
  if (!tmp) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", path);
  FILE *f = tn_open_temp(path, tmp, tmp_len);
  if (!f) {
    st = tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
    free(tmp);
    return st;
  }
  cf_write(f, cfg);
  st = tn_commit_file(f, tmp, path, err, err_len);
  free(tmp);
  return st;
}

tn_status train_config_to_text(const tn_train_config *cfg, char **text, char *err, size_t err_len) {
  TN_ASSERT(cfg && text);
  *text = NULL;
  tn_status st = cf_check_all(cfg, "config", err, err_len);
  if (st) return st;
  size_t len = 0;
  FILE *f = open_memstream(text, &len);
  if (!f) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "config: out of memory");
  cf_write(f, cfg);
  if (fclose(f) != 0) {
    free(*text);
    *text = NULL;
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "config: out of memory");
  }
  return TN_STATUS_OK;
}
