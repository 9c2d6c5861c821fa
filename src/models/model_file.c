/* Model files: the tagged container of src/core/tagfile.h with sections
 *   "arch"     text, one "key value" per line: the tn_model_options
 *   "elements" int32 [n] atomic numbers, ascending
 *   "shifts"   f64 [n] μ_Z (eV);  "scale" f64 σ (eV)
 *   "units"    text "energy eV\nlength Angstrom\n"
 *   "params"   f64 [n_params], whatever the build's tn_real
 *   "meta"     text, optional: free-form provenance
 * A checkpoint holds the same sections plus the trainer's state. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../core/tagfile.h"
#include "model.h"

#define MODEL_UNITS "energy eV\nlength Angstrom\n"

tn_status model_add_sections(tf_writer *w, const tn_model *m, const tn_real *params) {
  char arch[512];
  const tn_model_options *o = &m->opt;
  snprintf(arch, sizeof arch,
           "type %s\nfeatures %d\ninteractions %d\nn_basis %d\nbasis %s\ncutoff %.17g\n"
           "activation %s\n",
           o->type, o->features, o->interactions, o->n_basis, o->basis, o->cutoff, o->activation);
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
  return st;
}

/* Parses the "arch" text into options; every key required, none unknown. */
static tn_status parse_arch(tn_model_options *o, const char *text, const char *path, char *err,
                            size_t err_len) {
  memset(o, 0, sizeof *o);
  enum { TYPE, FEATURES, INTERACTIONS, N_BASIS, BASIS, CUTOFF, ACTIVATION, N_KEYS };
  static const char *const keys[N_KEYS] = {"type",  "features", "interactions", "n_basis",
                                           "basis", "cutoff",   "activation"};
  int seen[N_KEYS] = {0};
  const char *p = text;
  for (int line = 1; *p; line++) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char key[32], value[32];
    if (len >= 96 || sscanf(p, "%31s %31s", key, value) != 2)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch', line %d: malformed",
                     path, line);
    int k = 0;
    while (k < N_KEYS && strcmp(keys[k], key) != 0) k++;
    if (k == N_KEYS || seen[k])
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch', line %d: %s key '%s'",
                     path, line, k == N_KEYS ? "unknown" : "repeated", key);
    seen[k] = 1;
    char *rest = NULL;
    errno = 0;
    if (k == TYPE || k == BASIS || k == ACTIVATION) {
      char *dst = k == TYPE ? o->type : k == BASIS ? o->basis : o->activation;
      snprintf(dst, 32, "%s", value);
    } else if (k == CUTOFF) {
      o->cutoff = strtod(value, &rest);
    } else {
      long v = strtol(value, &rest, 10);
      if (v < 0 || v > 1 << 20) errno = ERANGE;
      int *dst = k == FEATURES ? &o->features : k == INTERACTIONS ? &o->interactions : &o->n_basis;
      *dst = (int)v;
    }
    if (rest && (*rest || errno))
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "%s: section 'arch', line %d: key '%s': bad number '%s'", path, line, key,
                     value);
    p = end ? end + 1 : p + len;
  }
  for (int k = 0; k < N_KEYS; k++)
    if (!seen[k])
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT, "%s: section 'arch': key '%s' missing",
                     path, keys[k]);
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
