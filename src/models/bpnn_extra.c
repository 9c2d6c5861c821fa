/* The fixed data of a Behler–Parrinello model: scaling kinds, the fit of
 * scaling statistics on training data, the model-file section "bpnn", and
 * copies between models.
 *
 * Section "bpnn" (text, one record per line, numbers as %.17g so a file
 * reads back bit for bit):
 *   bpnn 1
 *   cutoff <name> <alpha>
 *   then per element, in the model's (ascending) element order:
 *   element <symbol> sf <n_sf> hidden <H> widths <w_1..w_H> act <f_1..f_{H+1}>
 *   and n_sf lines
 *   sf <type 2|3|9> <e1> <e2|-> <eta 1/Å²> <rs Å> <rc Å> <lambda> <zeta> <c> <a> <s_min>
 * where the scaled input is s_min + a (G − c). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../core/tagfile.h"
#include "bpnn.h"

static const char *const scaling_names[BP_SCALE_COUNT] = {"none", "minmax", "center",
                                                          "minmax_center", "sigma"};

int bp_scaling_from_name(const char *name) {
  for (int q = 0; q < BP_SCALE_COUNT; q++)
    if (strcmp(name, scaling_names[q]) == 0) return q;
  return -1;
}
const char *bp_scaling_name(int kind) {
  return kind >= 0 && kind < BP_SCALE_COUNT ? scaling_names[kind] : "unknown";
}

/* n2p2's SymFnc::scale for each kind, as G̃ = s_min + a (G − c). */
void bp_scale_from_stats(double out[3], const bp_stats *st, int kind, double smin, double smax) {
  double range = st->max - st->min;
  out[0] = 0.0;
  out[1] = 1.0;
  out[2] = 0.0;
  switch (kind) {
  case BP_SCALE_MINMAX:
    out[0] = st->min;
    out[1] = range > 0.0 ? (smax - smin) / range : 1.0;
    out[2] = smin;
    break;
  case BP_SCALE_CENTER: out[0] = st->mean; break;
  case BP_SCALE_MINMAX_CENTER:
    out[0] = st->mean;
    out[1] = range > 0.0 ? (smax - smin) / range : 1.0;
    out[2] = smin;
    break;
  case BP_SCALE_SIGMA:
    out[0] = st->mean;
    out[1] = st->sigma > 0.0 ? (smax - smin) / st->sigma : 1.0;
    out[2] = smin;
    break;
  default: break;
  }
}

/* ------------------------------------------------------------ descriptors */

tn_status bpnn_descriptors(const tn_model *m, tn_neighbors *nl, const tn_frame *frame, int scaled,
                           double *g, char *err, size_t err_len) {
  const bp_layout *L = m->layout;
  model_batch b;
  memset(&b, 0, sizeof b);
  double *scratch = NULL;
  tn_real *row = NULL;
  tn_status st = model_batch_add(&b, m, nl, frame, 0, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  int per_edge = acsf_scratch_per_edge(L->n_radii);
  scratch = malloc(((size_t)b.n_edges * per_edge + 1) * sizeof *scratch);
  row = malloc((size_t)L->max_sf * sizeof *row);
  if (!scratch || !row) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory for descriptors");
    goto fail;
  }
  const double(*sc)[3] = (const double(*)[3])bp_scales(L);
  for (int a = 0; a < b.n_atoms; a++) {
    int t = b.type[a];
    const bp_element *E = &L->el[t];
    acsf_set set = {bp_fns(L) + E->first, E->n_sf, L->cutoff, L->radii, L->n_radii};
    int64_t k0 = b.first[a];
    acsf_compute(row, NULL, L->max_sf, &set, b.d + 3 * k0, b.ej + k0, b.type,
                 (int)(b.first[a + 1] - k0), scratch + (size_t)k0 * per_edge);
    for (int q = 0; q < E->n_sf; q++) {
      const double *s = sc[E->first + q];
      g[(size_t)a * L->max_sf + q] = scaled ? s[2] + s[1] * ((double)row[q] - s[0]) : row[q];
    }
  }
fail:
  free(scratch);
  free(row);
  model_batch_free(&b);
  return st;
}

/* Running statistics per symmetry function (Welford's mean and variance). */
typedef struct fit_acc {
  int64_t n;
  double min, max, mean, m2;
} fit_acc;

tn_status bpnn_fit_data(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n,
                        char *err, size_t err_len) {
  bp_layout *L = m->layout;
  int kind = bp_scaling_from_name(m->opt.acsf_scaling);
  if (kind < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "bpnn: unknown model.acsf_scaling '%s'",
                   m->opt.acsf_scaling);
  if (!which) n = ds->n_frames;
  tn_status st = TN_STATUS_OK;
  tn_neighbors *nl = tn_neighbors_create();
  fit_acc *acc = calloc((size_t)L->n_sf, sizeof *acc);
  double *g = NULL;
  int64_t cap = 0;
  if (!nl || !acc) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory");
    goto done;
  }
  for (int64_t q = 0; q < n; q++) {
    int64_t f = which ? which[q] : q;
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    if (tn_grow((void **)&g, &cap, (int64_t)fr.n_atoms * L->max_sf + 1, sizeof *g)) {
      st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory");
      goto done;
    }
    char why[256];
    st = bpnn_descriptors(m, nl, &fr, 0, g, why, sizeof why);
    if (st != TN_STATUS_OK) {
      tn_fail(err, err_len, st, "bpnn: scaling statistics, frame %lld: %s", (long long)f + 1, why);
      goto done;
    }
    for (int a = 0; a < fr.n_atoms; a++) {
      const bp_element *E = &L->el[model_element_index(m, fr.species[a])];
      for (int s = 0; s < E->n_sf; s++) {
        fit_acc *c = &acc[E->first + s];
        double v = g[(size_t)a * L->max_sf + s];
        if (c->n == 0 || v < c->min) c->min = v;
        if (c->n == 0 || v > c->max) c->max = v;
        c->n++;
        double dv = v - c->mean;
        c->mean += dv / (double)c->n;
        c->m2 += dv * (v - c->mean);
      }
    }
  }
  double(*sc)[3] = bp_scales(L);
  for (int s = 0; s < L->n_sf; s++) {
    /* σ over all values (n2p2 divides by N); no data: the identity */
    bp_stats stats = {acc[s].min, acc[s].max, acc[s].mean,
                      acc[s].n ? sqrt(acc[s].m2 / (double)acc[s].n) : 0.0};
    if (acc[s].n)
      bp_scale_from_stats(sc[s], &stats, kind, 0.0, 1.0);
    else
      bp_scale_from_stats(sc[s], &stats, BP_SCALE_NONE, 0.0, 1.0);
  }
done:
  free(g);
  free(acc);
  tn_neighbors_free(nl);
  return st;
}

tn_status bpnn_copy_extra(tn_model *dst, const tn_model *src, char *err, size_t err_len) {
  const bp_layout *S = src->layout;
  bp_layout *L = malloc(S->bytes);
  if (!L) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "bpnn: out of memory");
  memcpy(L, S, S->bytes);
  return bp_layout_install(dst, L, err, err_len);
}

/* ------------------------------------------------------------- the section */

/* Appends printf output to a growing buffer; 0 on success. */
typedef struct text_buf {
  char *p;
  size_t len, cap;
  int failed;
} text_buf;

static void tb_printf(text_buf *b, const char *fmt, ...) TN_PRINTF(2, 3);
static void tb_printf(text_buf *b, const char *fmt, ...) {
  if (b->failed) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->failed = 1;
      return;
    }
    if (b->p && b->len + (size_t)k < b->cap) {
      b->len += (size_t)k;
      return;
    }
    size_t cap = b->cap ? 2 * b->cap : 4096;
    while (cap < b->len + (size_t)k + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->failed = 1;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
}

static const char *el_sym(const tn_model *m, int e) {
  return e < 0 ? "-" : tn_element_symbol(m->elements[e]);
}

tn_status bpnn_save_extra(struct tf_writer *w, const tn_model *m) {
  const bp_layout *L = m->layout;
  const acsf_fn *fn = bp_fns(L);
  const double(*sc)[3] = (const double(*)[3])bp_scales(L);
  text_buf b = {0};
  tb_printf(&b, "bpnn 1\ncutoff %s %.17g\n", acsf_cut_name(L->cutoff.type), L->cutoff.alpha);
  for (int t = 0; t < L->n_el; t++) {
    const bp_element *E = &L->el[t];
    tb_printf(&b, "element %s sf %d hidden %d widths", el_sym(m, t), E->n_sf, E->n_hidden);
    for (int l = 1; l <= E->n_hidden; l++) tb_printf(&b, " %d", E->width[l]);
    tb_printf(&b, " act");
    for (int l = 0; l <= E->n_hidden; l++) tb_printf(&b, " %s", bp_act_name(E->act[l]));
    tb_printf(&b, "\n");
    for (int s = E->first; s < E->first + E->n_sf; s++)
      tb_printf(&b, "sf %d %s %s %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", fn[s].kind,
                el_sym(m, fn[s].e1), el_sym(m, fn[s].e2), fn[s].eta, fn[s].rs, fn[s].rc,
                fn[s].lambda, fn[s].zeta, sc[s][0], sc[s][1], sc[s][2]);
  }
  tn_status st = b.failed ? TN_STATUS_NO_MEMORY : tf_add_text(w, "bpnn", b.p);
  free(b.p);
  return st;
}

#define MAX_TOKENS 48

/* Splits one line (modified in place) into tokens; returns their count, or
 * MAX_TOKENS + 1 when there are too many. */
static int tokenize(char *line, char **tok) {
  int n = 0;
  for (char *p = line; *p;) {
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (!*p) break;
    if (n == MAX_TOKENS) return MAX_TOKENS + 1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
    if (*p) *p++ = '\0';
  }
  return n;
}

static int parse_real(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return end != s && !*end && !errno && isfinite(*v);
}

static int parse_int(const char *s, int lo, int hi, int *v) {
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (end == s || *end || errno || x < lo || x > hi) return 0;
  *v = (int)x;
  return 1;
}

/* Element index of a symbol in m, or -1; "-" gives -2. */
static int sym_index(const tn_model *m, const char *s) {
  if (strcmp(s, "-") == 0) return -2;
  int z = tn_element_number(s);
  return z ? model_element_index(m, z) : -1;
}

typedef struct sec_reader {
  const char *path;
  int line;
  char *err;
  size_t err_len;
} sec_reader;

static tn_status sec_bad(const sec_reader *r, const char *field, const char *what) {
  return tn_fail(r->err, r->err_len, TN_STATUS_BAD_INPUT,
                 "%s: section 'bpnn', line %d: field '%s': %s", r->path, r->line, field, what);
}

/* Reads the element line into E (first set by the caller). */
static tn_status read_element(const sec_reader *r, const tn_model *m, int t, char **tok, int nt,
                              bp_element *E) {
  int h = 0;
  if (nt < 6 || strcmp(tok[0], "element") || strcmp(tok[2], "sf") || strcmp(tok[4], "hidden"))
    return sec_bad(r, "element",
                   "expected 'element <symbol> sf <n> hidden <H> widths ... act ...'");
  if (sym_index(m, tok[1]) != t) return sec_bad(r, "element", "not the model's next element");
  if (!parse_int(tok[3], 1, BP_MAX_SF, &E->n_sf)) return sec_bad(r, "sf", "not a count in 1..1024");
  if (!parse_int(tok[5], 0, BP_MAX_HIDDEN, &h)) return sec_bad(r, "hidden", "not in 0..8");
  E->n_hidden = h;
  if (nt != 6 + 1 + h + 1 + h + 1 || strcmp(tok[6], "widths") || strcmp(tok[7 + h], "act"))
    return sec_bad(r, "widths", "expected H widths and H + 1 activations");
  for (int l = 0; l < h; l++)
    if (!parse_int(tok[7 + l], 1, BP_MAX_WIDTH, &E->width[l + 1]))
      return sec_bad(r, "widths", "not in 1..4096");
  for (int l = 0; l <= h; l++)
    if ((E->act[l] = bp_act_from_name(tok[8 + h + l])) < 0)
      return sec_bad(r, "act", "unknown activation");
  return TN_STATUS_OK;
}

static tn_status read_sf(const sec_reader *r, const tn_model *m, char **tok, int nt, acsf_fn *f,
                         double *scale) {
  if (nt != 12 || strcmp(tok[0], "sf")) return sec_bad(r, "sf", "expected 11 values after 'sf'");
  if (!parse_int(tok[1], 2, 9, &f->kind)) return sec_bad(r, "type", "not 2, 3 or 9");
  f->e1 = sym_index(m, tok[2]);
  f->e2 = sym_index(m, tok[3]);
  if (f->e1 < 0) return sec_bad(r, "e1", "not an element of the model");
  if (f->e2 == -2)
    f->e2 = -1;
  else if (f->e2 < 0)
    return sec_bad(r, "e2", "not an element of the model or '-'");
  static const char *const names[8] = {"eta", "rs", "rc", "lambda", "zeta", "c", "a", "s_min"};
  double v[8];
  for (int q = 0; q < 8; q++)
    if (!parse_real(tok[4 + q], &v[q])) return sec_bad(r, names[q], "not a finite number");
  f->eta = v[0];
  f->rs = v[1];
  f->rc = v[2];
  f->lambda = v[3];
  f->zeta = v[4];
  memcpy(scale, v + 5, 3 * sizeof *scale);
  return TN_STATUS_OK;
}

tn_status bpnn_load_extra(tn_model *m, const struct tf_file *f, char *err, size_t err_len) {
  const char *text = tf_get_text(f, "bpnn", err, err_len);
  if (!text) return TN_STATUS_BAD_INPUT;
  char *copy = malloc(strlen(text) + 1);
  int n_lines = 1;
  for (const char *p = text; *p; p++) n_lines += *p == '\n';
  bp_layout *L = copy ? bp_layout_alloc(n_lines) : NULL;
  if (!L) {
    free(copy);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
  }
  strcpy(copy, text);
  sec_reader r = {f->path, 0, err, err_len};
  tn_status st = TN_STATUS_OK;
  char *tok[MAX_TOKENS];
  char *line = copy, *next;
  int t = -1, in_el = 0, n_sf = 0;
  acsf_fn *fn = bp_fns(L);
  double(*sc)[3] = bp_scales(L);
  for (; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    r.line++;
    int nt = tokenize(line, tok);
    if (nt == 0 && !next) break;
    if (r.line == 1) {
      if (nt != 2 || strcmp(tok[0], "bpnn") || strcmp(tok[1], "1")) {
        st = sec_bad(&r, "bpnn", "expected 'bpnn 1'");
        goto fail;
      }
    } else if (r.line == 2) {
      if (nt != 3 || strcmp(tok[0], "cutoff") ||
          (L->cutoff.type = acsf_cut_from_name(tok[1])) < 0 ||
          !parse_real(tok[2], &L->cutoff.alpha)) {
        st = sec_bad(&r, "cutoff", "expected 'cutoff <name> <alpha>'");
        goto fail;
      }
    } else if (in_el == 0) {
      if (++t >= m->n_elements) {
        st = sec_bad(&r, "element", "more elements than the model has");
        goto fail;
      }
      L->el[t].first = n_sf;
      if ((st = read_element(&r, m, t, tok, nt, &L->el[t]))) goto fail;
      in_el = L->el[t].n_sf;
    } else {
      if ((st = read_sf(&r, m, tok, nt, &fn[n_sf], sc[n_sf]))) goto fail;
      n_sf++;
      in_el--;
    }
  }
  if (t + 1 != m->n_elements || in_el) {
    st = sec_bad(&r, "element", "fewer elements or symmetry functions than announced");
    goto fail;
  }
  L->n_el = m->n_elements;
  L->n_sf = n_sf;
  free(copy);
  char why[256];
  st = bp_layout_install(m, L, why, sizeof why);
  if (st != TN_STATUS_OK) return tn_fail(err, err_len, st, "%s: section 'bpnn': %s", f->path, why);
  return TN_STATUS_OK;
fail:
  free(copy);
  free(L);
  return st;
}
