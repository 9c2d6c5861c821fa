/* Model files: the tagged container of src/core/tagfile.h with sections
 *   "arch"     text, one "key value" per line: the tn_model_options
 *   "elements" int32 [n] atomic numbers, ascending
 *   "shifts"   f64 [n] μ_Z (eV);  "scale" f64 σ (eV)
 *   "units"    text "energy eV\nlength Angstrom\n"
 *   "params"   f64 [n_params], whatever the build's tn_real
 *   "lineage"  text, optional: data, level of theory and parent model of each
 *              generation (tn_model_lineage)
 * and any sections of the architecture's own (model_arch.save_extra).
 * A checkpoint holds the same sections plus the trainer's state. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "../core/tagfile.h"
#include "model.h"

#define MODEL_UNITS "energy eV\nlength Angstrom\n"

/* The keys of the "arch" section. Keys added after the first model files
 * were written are optional and take the value a file written before them
 * meant (fallback); the original seven are required. */
typedef enum arch_kind { ARCH_TEXT, ARCH_INT, ARCH_REAL } arch_kind;
typedef struct arch_key {
  const char *name;
  arch_kind kind;
  size_t offset; /* into tn_model_options */
  int required;
  const char *fallback; /* value when absent and not required */
} arch_key;

#define ARCH_KEY(name, kind, field, required, fallback)                                            \
  { name, kind, offsetof(tn_model_options, field), required, fallback }
static const arch_key arch_keys[] = {
    ARCH_KEY("type", ARCH_TEXT, type, 1, NULL),
    ARCH_KEY("features", ARCH_INT, features, 1, NULL),
    ARCH_KEY("interactions", ARCH_INT, interactions, 1, NULL),
    ARCH_KEY("n_basis", ARCH_INT, n_basis, 1, NULL),
    ARCH_KEY("basis", ARCH_TEXT, basis, 1, NULL),
    ARCH_KEY("cutoff", ARCH_REAL, cutoff, 1, NULL),
    ARCH_KEY("activation", ARCH_TEXT, activation, 1, NULL),
    ARCH_KEY("shared_filters", ARCH_INT, shared_filters, 0, "0"),
    ARCH_KEY("acsf_radial", ARCH_INT, acsf_radial, 0, "8"),
    ARCH_KEY("acsf_angular", ARCH_INT, acsf_angular, 0, "4"),
    ARCH_KEY("acsf_angular_kind", ARCH_TEXT, acsf_angular_kind, 0, "wide"),
    ARCH_KEY("acsf_cutoff", ARCH_TEXT, acsf_cutoff, 0, "cos"),
    ARCH_KEY("acsf_scaling", ARCH_TEXT, acsf_scaling, 0, "sigma"),
};
#define N_ARCH_KEYS   (sizeof arch_keys / sizeof arch_keys[0])
#define ARCH_TEXT_MAX 32 /* every text field of tn_model_options is char[32] */

tn_status model_add_sections(tf_writer *w, const tn_model *m, const tn_real *params) {
  char arch[1024];
  size_t used = 0;
  for (size_t k = 0; k < N_ARCH_KEYS && used < sizeof arch; k++) {
    const char *field = (const char *)&m->opt + arch_keys[k].offset;
    size_t room = sizeof arch - used;
    if (arch_keys[k].kind == ARCH_TEXT)
      used += (size_t)snprintf(arch + used, room, "%s %s\n", arch_keys[k].name, field);
    else if (arch_keys[k].kind == ARCH_INT)
      used +=
          (size_t)snprintf(arch + used, room, "%s %d\n", arch_keys[k].name, *(const int *)field);
    else
      used += (size_t)snprintf(arch + used, room, "%s %.17g\n", arch_keys[k].name,
                               *(const double *)field);
  }
  TN_ASSERT(used < sizeof arch);
  double *p = malloc((m->n_params ? m->n_params : 1) * sizeof *p);
  if (!p) return TN_STATUS_NO_MEMORY;
  for (size_t q = 0; q < m->n_params; q++) p[q] = (double)params[q];
  tf_add_text(w, "arch", arch);
  tf_add(w, "elements", m->elements, (size_t)m->n_elements * sizeof *m->elements);
  tf_add_f64s(w, "shifts", m->shift, (size_t)m->n_elements);
  tf_add_f64s(w, "scale", &m->scale, 1);
  tf_add_text(w, "units", MODEL_UNITS);
  tn_status st = tf_add_f64s(w, "params", p, m->n_params);
  free(p);
  if (st == TN_STATUS_OK && m->lineage) st = tf_add_text(w, "lineage", m->lineage);
  if (st == TN_STATUS_OK && m->arch->save_extra) st = m->arch->save_extra(w, m);
  return st;
}

/* Sets one key of o from its text; 0 if the value is malformed. */
static int set_arch_value(tn_model_options *o, const arch_key *key, const char *value) {
  char *field = (char *)o + key->offset, *rest = NULL;
  errno = 0;
  if (key->kind == ARCH_TEXT) {
    if (strlen(value) >= ARCH_TEXT_MAX) return 0;
    snprintf(field, ARCH_TEXT_MAX, "%s", value);
    return 1;
  }
  if (key->kind == ARCH_REAL) {
    *(double *)field = strtod(value, &rest);
  } else {
    long v = strtol(value, &rest, 10);
    if (v < 0 || v > 1 << 20) errno = ERANGE;
    *(int *)field = (int)v;
  }
  return rest != value && !*rest && !errno;
}

/* Parses the "arch" text into options; required keys must be there, and no
 * key may be unknown or repeated. */
static tn_status parse_arch(tn_model_options *o, const char *text, const char *path, char *err,
                            size_t err_len) {
  memset(o, 0, sizeof *o);
  int seen[N_ARCH_KEYS] = {0};
  const char *p = text;
  for (int line = 1; *p; line++) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char key[32], value[40];
    if (len >= 96 || sscanf(p, "%31s %39s", key, value) != 2)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch', line %d: malformed",
                     path, line);
    size_t k = 0;
    while (k < N_ARCH_KEYS && strcmp(arch_keys[k].name, key) != 0) k++;
    if (k == N_ARCH_KEYS || seen[k])
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch', line %d: %s key '%s'",
                     path, line, k == N_ARCH_KEYS ? "unknown" : "repeated", key);
    seen[k] = 1;
    if (!set_arch_value(o, &arch_keys[k], value))
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: section 'arch', line %d: key '%s': bad value '%s'", path, line, key,
                     value);
    p = end ? end + 1 : p + len;
  }
  for (size_t k = 0; k < N_ARCH_KEYS; k++) {
    if (seen[k]) continue;
    if (arch_keys[k].required)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch': key '%s' missing",
                     path, arch_keys[k].name);
    set_arch_value(o, &arch_keys[k], arch_keys[k].fallback);
  }
  return TN_STATUS_OK;
}

tn_status model_from_file(tn_model **out, const tf_file *f, char *err, size_t err_len) {
  *out = NULL;
  const char *arch = tf_get_text(f, "arch", err, err_len);
  if (!arch) return TN_STATUS_BAD_INPUT;
  tn_model_options o;
  tn_status st = parse_arch(&o, arch, f->path, err, err_len);
  if (st != TN_STATUS_OK) return st;
  const char *units = tf_get_text(f, "units", err, err_len);
  if (!units) return TN_STATUS_BAD_INPUT;
  if (strcmp(units, MODEL_UNITS) != 0)
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED, "%s: units other than eV and Å", f->path);
  size_t n_bytes = 0;
  const void *el = tf_find(f, "elements", &n_bytes);
  int32_t elements[MODEL_MAX_ELEMENTS];
  if (!el || n_bytes == 0 || n_bytes % sizeof(int32_t) || n_bytes > sizeof elements)
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'elements' missing or malformed",
                   f->path);
  int ne = (int)(n_bytes / sizeof(int32_t));
  memcpy(elements, el, n_bytes);
  tn_model *m = NULL;
  char why[256];
  st = tn_model_create(&m, &o, elements, ne, 0, why, sizeof why);
  if (st != TN_STATUS_OK) return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: %s", f->path, why);
  if (m->arch->load_extra && (st = m->arch->load_extra(m, f, err, err_len)) != TN_STATUS_OK) {
    tn_model_free(m);
    return st;
  }
  double shifts[MODEL_MAX_ELEMENTS], scale;
  double *p = malloc((m->n_params ? m->n_params : 1) * sizeof *p);
  if (!p) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  if ((st = tf_get_f64s(f, "shifts", shifts, (size_t)ne, err, err_len)) != TN_STATUS_OK ||
      (st = tf_get_f64s(f, "scale", &scale, 1, err, err_len)) != TN_STATUS_OK ||
      (st = tf_get_f64s(f, "params", p, m->n_params, err, err_len)) != TN_STATUS_OK)
    goto fail;
  for (size_t q = 0; q < m->n_params; q++) {
    if (!isfinite(p[q])) {
      st =
          tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: parameter %zu is not finite", f->path, q);
      goto fail;
    }
    m->params[q] = (tn_real)p[q];
  }
  for (int q = 0; q < ne; q++)
    if (!isfinite(shifts[q])) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: shift %d is not finite", f->path, q);
      goto fail;
    }
  if (!(isfinite(scale) && scale > 0.0)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: scale is not a positive number", f->path);
    goto fail;
  }
  tn_model_set_shifts(m, shifts, scale);
  size_t lineage_bytes = 0;
  if (tf_find(f, "lineage", &lineage_bytes)) {
    const char *lineage = tf_get_text(f, "lineage", err, err_len);
    if (!lineage) {
      st = TN_STATUS_BAD_INPUT;
      goto fail;
    }
    if ((st = tn_model_set_lineage(m, lineage)) != TN_STATUS_OK) {
      tn_fail(err, err_len, st, "%s", m->errmsg);
      goto fail;
    }
  }
  free(p);
  *out = m;
  return TN_STATUS_OK;
fail:
  free(p);
  tn_model_free(m);
  return st;
}

tn_status tn_model_save(tn_model *m, const char *path) {
  tn_model *mm = m;
  tf_writer *w = tf_writer_create(TF_KIND_MODEL);
  tn_status st = model_add_sections(w, m, m->params);
  if (st == TN_STATUS_OK)
    st = tf_write(w, path, mm->errmsg, sizeof mm->errmsg);
  else
    tn_fail(mm->errmsg, sizeof mm->errmsg, st, "%s: %s", path,
            w ? tf_writer_errmsg(w) : "out of memory");
  tf_writer_free(w);
  return st;
}

tn_status tn_model_load(tn_model **out, const char *path, char *err, size_t err_len) {
  *out = NULL;
  tf_file f;
  tn_status st = tf_read(&f, path, TF_KIND_MODEL, err, err_len);
  if (st == TN_STATUS_OK) st = model_from_file(out, &f, err, err_len);
  tf_free(&f);
  return st;
}
