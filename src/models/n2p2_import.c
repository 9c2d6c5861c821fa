/* Import of n2p2 Behler–Parrinello potentials (input.nn, scaling.data,
 * weights.NNN.data; Singraber, Behler & Dellago, J. Chem. Theory Comput. 15,
 * 1827 (2019)) as tanne models in eV and Å. See tanne.h for the contract.
 *
 * What n2p2 does that this file reproduces:
 *  - elements are ordered by atomic number (as tanne's);
 *  - each element's symmetry functions are sorted (by type, cutoff, rc, η,
 *    r_s, ζ, λ, e1, e2, with e1 ≤ e2), and scaling.data and the network's
 *    inputs follow that order, not the order of input.nn;
 *  - with normalization the functions are evaluated in normalized lengths,
 *    which leaves every G unchanged (η r², r/r_c are invariant), and the
 *    network output is an energy in normalized units: E_i = y_i/conv_energy
 *    + mean_energy (+ atom_energy_Z) in the files' energy unit. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bpnn.h"

#define N2_MAX_TOKENS 64

typedef struct n2_line {
  int line;
  int nt;
  char *tok[N2_MAX_TOKENS];
} n2_line;

typedef struct n2_sf {
  acsf_fn fn;
  int line;
} n2_sf;

typedef struct n2_spec {
  char path[TN_PATH_MAX + 32];
  int ne;
  int32_t z[MODEL_MAX_ELEMENTS]; /* ascending */
  double atom_energy[MODEL_MAX_ELEMENTS];
  int cutoff_type, have_cutoff;
  double alpha;
  int scale, center, sigma;
  double smin, smax;
  int n_hidden, nodes[BP_MAX_HIDDEN], n_nodes, acts[BP_MAX_HIDDEN + 1], n_acts;
  int el_nodes[MODEL_MAX_ELEMENTS][BP_MAX_HIDDEN];
  double norm[3]; /* mean_energy, conv_energy, conv_length */
  int have_norm[3];
  int n_sf[MODEL_MAX_ELEMENTS];
  n2_sf *sf; /* [n_sf_total], grouped by element after sorting */
  int n_sf_total;
} n2_spec;

/* Keywords that steer only training (or output) and leave predictions as
 * they are. */
static const char *const training_keywords[] = {"epochs",
                                                "updater_type",
                                                "parallel_mode",
                                                "update_strategy",
                                                "selection_mode",
                                                "memorize_symfunc_results",
                                                "random_seed",
                                                "test_fraction",
                                                "use_short_forces",
                                                "force_weight",
                                                "short_energy_fraction",
                                                "short_force_fraction",
                                                "short_energy_error_threshold",
                                                "short_force_error_threshold",
                                                "rmse_threshold_trials",
                                                "weights_min",
                                                "weights_max",
                                                "write_trainpoints",
                                                "write_trainforces",
                                                "write_weights_epoch",
                                                "write_neuronstats",
                                                "write_trainlog",
                                                "gradient_type",
                                                "gradient_eta",
                                                "repeated_energy_update",
                                                "use_old_weights_short",
                                                "precondition_weights",
                                                "nguyen_widrow_weights_short",
                                                "main_error_metric",
                                                "force_energy_ratio",
                                                "task_batch_size_energy",
                                                "task_batch_size_force",
                                                "gradient_adam_eta",
                                                "gradient_adam_beta1",
                                                "gradient_adam_beta2",
                                                "gradient_adam_epsilon",
                                                "write_symfunctions",
                                                "rmse_threshold",
                                                "energy_threshold"};

static int is_training_keyword(const char *k) {
  if (strncmp(k, "kalman_", 7) == 0) return 1;
  for (size_t q = 0; q < sizeof training_keywords / sizeof *training_keywords; q++)
    if (strcmp(k, training_keywords[q]) == 0) return 1;
  return 0;
}

static int split_line(char *s, char **tok) {
  int n = 0;
  char *hash = strchr(s, '#');
  if (hash) *hash = '\0';
  for (char *p = s; *p;) {
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (!*p) break;
    if (n == N2_MAX_TOKENS) return -1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
    if (*p) *p++ = '\0';
  }
  return n;
}

static int n2_real(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return end != s && !*end && !errno && isfinite(*v);
}

static int n2_int(const char *s, int lo, int hi, int *v) {
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (end == s || *end || errno || x < lo || x > hi) return 0;
  *v = (int)x;
  return 1;
}

static int elem_index(const n2_spec *sp, const char *sym) {
  int z = tn_element_number(sym);
  for (int q = 0; q < sp->ne; q++)
    if (sp->z[q] == z) return q;
  return -1;
}

#define BAD(st, ...) tn_fail(err, err_len, st, __VA_ARGS__)

/* One symfunction_short line into an n2_sf (lengths converted to Å). */
static tn_status parse_sf(const n2_spec *sp, const n2_line *l, double lu, n2_sf *out, int *ec,
                          char *err, size_t err_len) {
  const char *p = sp->path;
  int nt = l->nt, type = 0;
  if (nt < 3 || !n2_int(l->tok[2], 0, 1000, &type))
    return BAD(TN_STATUS_BAD_INPUT, "%s:%d: keyword 'symfunction_short': malformed", p, l->line);
  if (type != 2 && type != 3 && type != 9)
    return BAD(TN_STATUS_UNSUPPORTED,
               "%s:%d: keyword 'symfunction_short': type %d is not supported (2, 3, 9 are)", p,
               l->line, type);
  if ((type == 2 && nt != 7) || (type != 2 && nt != 9 && nt != 10))
    return BAD(TN_STATUS_BAD_INPUT,
               "%s:%d: keyword 'symfunction_short': type %d takes %s values, got %d", p, l->line,
               type, type == 2 ? "6" : "8 or 9", nt - 1);
  acsf_fn f = {.kind = type, .e2 = -1};
  *ec = elem_index(sp, l->tok[1]);
  f.e1 = elem_index(sp, l->tok[3]);
  if (type != 2) f.e2 = elem_index(sp, l->tok[4]);
  if (*ec < 0 || f.e1 < 0 || (type != 2 && f.e2 < 0))
    return BAD(TN_STATUS_BAD_INPUT,
               "%s:%d: keyword 'symfunction_short': an element not listed in 'elements'", p,
               l->line);
  double v[6] = {0};
  int first = type == 2 ? 4 : 5, count = nt - first;
  for (int q = 0; q < count; q++)
    if (!n2_real(l->tok[first + q], &v[q]))
      return BAD(TN_STATUS_BAD_INPUT,
                 "%s:%d: keyword 'symfunction_short': value %d ('%s') is "
                 "not a number",
                 p, l->line, first + q, l->tok[first + q]);
  if (type == 2) { /* eta rs rc */
    f.eta = v[0];
    f.rs = v[1];
    f.rc = v[2];
  } else { /* eta lambda zeta rc [rs] */
    f.eta = v[0];
    f.lambda = v[1];
    f.zeta = v[2];
    f.rc = v[3];
    f.rs = v[4];
    if (f.e1 > f.e2) {
      int t = f.e1;
      f.e1 = f.e2;
      f.e2 = t;
    }
    if (!(f.zeta >= 1.0))
      return BAD(TN_STATUS_UNSUPPORTED,
                 "%s:%d: keyword 'symfunction_short': zeta %g < 1 is not supported", p, l->line,
                 f.zeta);
  }
  if (!(f.rc > 0.0 && f.eta >= 0.0))
    return BAD(TN_STATUS_BAD_INPUT, "%s:%d: keyword 'symfunction_short': needs rc > 0, eta >= 0", p,
               l->line);
  f.eta /= lu * lu;
  f.rs *= lu;
  f.rc *= lu;
  out->fn = f;
  out->line = l->line;
  return TN_STATUS_OK;
}

/* n2p2's order of an element's symmetry functions (SymFnc operator<). */
static int cmp_num(double a, double b) { return (a > b) - (a < b); }
static int cmp_sf(const void *pa, const void *pb) {
  const acsf_fn *a = &((const n2_sf *)pa)->fn, *b = &((const n2_sf *)pb)->fn;
  int c = (a->kind > b->kind) - (a->kind < b->kind);
  if (!c) c = cmp_num(a->rc, b->rc);
  if (!c) c = cmp_num(a->eta, b->eta);
  if (!c) c = cmp_num(a->rs, b->rs);
  if (!c && a->kind != ACSF_RADIAL) c = cmp_num(a->zeta, b->zeta);
  if (!c && a->kind != ACSF_RADIAL) c = cmp_num(a->lambda, b->lambda);
  if (!c) c = (a->e1 > b->e1) - (a->e1 < b->e1);
  if (!c) c = (a->e2 > b->e2) - (a->e2 < b->e2);
  return c;
}

/* Reads the keywords of input.nn (text is modified). */
static tn_status parse_input(n2_spec *sp, char *text, double lu, char *err, size_t err_len) {
  const char *p = sp->path;
  n2_line l;
  int n_lines = 1, seen_elements = 0, n_el_kw = -1;
  for (const char *c = text; *c; c++) n_lines += *c == '\n';
  char **sf_lines = calloc((size_t)n_lines, sizeof *sf_lines);
  int *sf_at = calloc((size_t)n_lines, sizeof *sf_at), n_sf_lines = 0;
  tn_status st = TN_STATUS_OK;
  if (!sf_lines || !sf_at) {
    st = BAD(TN_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  char seen[64][40];
  int n_seen = 0;
  char *next;
  l.line = 0;
  for (char *s = text; s; s = next) {
    next = strchr(s, '\n');
    if (next) *next++ = '\0';
    l.line++;
    const char *kw = s + strspn(s, " \t");
    if (strncmp(kw, "symfunction_short", 17) == 0 && (kw[17] == ' ' || kw[17] == '\t')) {
      sf_lines[n_sf_lines] = s; /* parsed once the elements are known */
      sf_at[n_sf_lines++] = l.line;
      continue;
    }
    l.nt = split_line(s, l.tok);
    if (l.nt < 0) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: too many values", p, l.line);
      goto done;
    }
    if (l.nt == 0) continue;
    const char *k = l.tok[0];
    int na = l.nt - 1, repeatable = !strcmp(k, "atom_energy") || !strcmp(k, "element_nodes_short");
    if (is_training_keyword(k)) continue;
    for (int q = 0; q < n_seen && !repeatable; q++)
      if (strcmp(seen[q], k) == 0) {
        st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: keyword '%s' repeated", p, l.line, k);
        goto done;
      }
    if (!repeatable && n_seen < 64) snprintf(seen[n_seen++], sizeof seen[0], "%.39s", k);
    int ok = 1;
    if (!strcmp(k, "number_of_elements")) {
      ok = na == 1 && n2_int(l.tok[1], 1, MODEL_MAX_ELEMENTS, &n_el_kw);
    } else if (!strcmp(k, "elements")) {
      ok = na >= 1 && na <= MODEL_MAX_ELEMENTS;
      for (int q = 0; ok && q < na; q++) {
        int z = tn_element_number(l.tok[1 + q]);
        for (int r = 0; r < sp->ne; r++) ok &= sp->z[r] != z;
        ok &= z > 0;
        int at = sp->ne++;
        while (at > 0 && sp->z[at - 1] > z) { /* insertion: ascending atomic numbers */
          sp->z[at] = sp->z[at - 1];
          at--;
        }
        sp->z[at] = z;
      }
      seen_elements = 1;
    } else if (!strcmp(k, "cutoff_type")) {
      ok = (na == 1 || na == 2) && n2_int(l.tok[1], 0, ACSF_CUT_COUNT - 1, &sp->cutoff_type);
      if (ok && na == 2) ok = n2_real(l.tok[2], &sp->alpha) && sp->alpha >= 0 && sp->alpha < 1;
      sp->have_cutoff = 1;
    } else if (!strcmp(k, "scale_symmetry_functions") || !strcmp(k, "center_symmetry_functions") ||
               !strcmp(k, "scale_symmetry_functions_sigma")) {
      ok = na == 0;
      if (k[0] == 'c')
        sp->center = 1;
      else if (strstr(k, "sigma"))
        sp->sigma = 1;
      else
        sp->scale = 1;
    } else if (!strcmp(k, "scale_min_short") || !strcmp(k, "scale_max_short")) {
      ok = na == 1 && n2_real(l.tok[1], strstr(k, "min") ? &sp->smin : &sp->smax);
    } else if (!strcmp(k, "global_hidden_layers_short")) {
      ok = na == 1 && n2_int(l.tok[1], 1, BP_MAX_HIDDEN, &sp->n_hidden);
    } else if (!strcmp(k, "global_nodes_short")) {
      ok = na >= 1 && na <= BP_MAX_HIDDEN;
      for (int q = 0; ok && q < na; q++) ok = n2_int(l.tok[1 + q], 1, BP_MAX_WIDTH, &sp->nodes[q]);
      sp->n_nodes = na;
    } else if (!strcmp(k, "global_activation_short")) {
      ok = na >= 1 && na <= BP_MAX_HIDDEN + 1;
      for (int q = 0; ok && q < na; q++) {
        sp->acts[q] = strlen(l.tok[1 + q]) == 1 ? bp_act_from_letter(l.tok[1 + q][0]) : -1;
        if (sp->acts[q] < 0) {
          st = BAD(TN_STATUS_UNSUPPORTED,
                   "%s:%d: keyword '%s': activation '%s' is not supported (l, t, s, p are)", p,
                   l.line, k, l.tok[1 + q]);
          goto done;
        }
      }
      sp->n_acts = na;
    } else if (!strcmp(k, "mean_energy") || !strcmp(k, "conv_energy") ||
               !strcmp(k, "conv_length")) {
      int q = k[0] == 'm' ? 0 : k[5] == 'e' ? 1 : 2;
      ok = na == 1 && n2_real(l.tok[1], &sp->norm[q]) && (q == 0 || sp->norm[q] > 0);
      sp->have_norm[q] = 1;
    } else if (!strcmp(k, "atom_energy") || !strcmp(k, "element_nodes_short")) {
      int e = seen_elements && na >= 2 ? elem_index(sp, l.tok[1]) : -1, layer = 0, w = 0;
      if (k[0] == 'a') {
        ok = na == 2 && e >= 0 && n2_real(l.tok[2], &sp->atom_energy[e]);
      } else {
        ok = na == 3 && e >= 0 && n2_int(l.tok[2], 1, BP_MAX_HIDDEN, &layer) &&
             n2_int(l.tok[3], 1, BP_MAX_WIDTH, &w);
        if (ok) sp->el_nodes[e][layer - 1] = w;
      }
      if (!ok && e < 0 && na >= 2) {
        st = BAD(TN_STATUS_BAD_INPUT,
                 "%s:%d: keyword '%s': element '%s' not listed in an earlier 'elements'", p, l.line,
                 k, l.tok[1]);
        goto done;
      }
    } else if (!strcmp(k, "normalize_nodes") || !strcmp(k, "nnp_type") ||
               !strcmp(k, "committee_mode") || strstr(k, "charge") || strstr(k, "ewald")) {
      st = BAD(TN_STATUS_UNSUPPORTED,
               "%s:%d: keyword '%s' changes predictions and is not supported", p, l.line, k);
      goto done;
    } else {
      st = BAD(TN_STATUS_UNSUPPORTED, "%s:%d: unknown keyword '%s'", p, l.line, k);
      goto done;
    }
    if (!ok) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: keyword '%s': bad or missing value", p, l.line, k);
      goto done;
    }
  }
  /* Required keywords and their agreement. */
  const char *missing = !sp->ne            ? "elements"
                        : n_el_kw < 0      ? "number_of_elements"
                        : !sp->have_cutoff ? "cutoff_type"
                        : !sp->n_hidden    ? "global_hidden_layers_short"
                        : !sp->n_nodes     ? "global_nodes_short"
                        : !sp->n_acts      ? "global_activation_short"
                        : n_sf_lines == 0  ? "symfunction_short"
                                           : NULL;
  if (missing) {
    st = BAD(TN_STATUS_NOT_FOUND, "%s: keyword '%s' missing", p, missing);
    goto done;
  }
  if (n_el_kw != sp->ne || sp->n_nodes != sp->n_hidden || sp->n_acts != sp->n_hidden + 1 ||
      sp->acts[sp->n_hidden] != BP_ACT_IDENTITY) {
    st = BAD(TN_STATUS_BAD_INPUT,
             "%s: number_of_elements (%d) must match elements (%d), global_nodes_short (%d) and "
             "global_activation_short (%d) the hidden layers (%d, plus a linear 'l' output)",
             p, n_el_kw, sp->ne, sp->n_nodes, sp->n_acts, sp->n_hidden);
    goto done;
  }
  for (int e = 0; e < sp->ne; e++)
    for (int q = sp->n_hidden; q < BP_MAX_HIDDEN; q++)
      if (sp->el_nodes[e][q]) {
        st = BAD(TN_STATUS_BAD_INPUT,
                 "%s: element_nodes_short: layer %d of %s, but only %d "
                 "hidden layers",
                 p, q + 1, tn_element_symbol(sp->z[e]), sp->n_hidden);
        goto done;
      }
  int nn = sp->have_norm[0] + sp->have_norm[1] + sp->have_norm[2];
  if (nn != 0 && nn != 3) {
    st =
        BAD(TN_STATUS_BAD_INPUT, "%s: use all or none of mean_energy, conv_energy, conv_length", p);
    goto done;
  }
  if (sp->sigma && (sp->scale || sp->center)) {
    st = BAD(TN_STATUS_UNSUPPORTED,
             "%s: scale_symmetry_functions_sigma with scale_/center_symmetry_functions: n2p2 "
             "would ignore the sigma keyword; refusing the ambiguous combination",
             p);
    goto done;
  }
  sp->sf = calloc((size_t)n_sf_lines, sizeof *sp->sf);
  if (!sp->sf) {
    st = BAD(TN_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  /* Symmetry functions, grouped by central element, then sorted. */
  int *ec = calloc((size_t)n_sf_lines, sizeof *ec);
  n2_sf *tmp = calloc((size_t)n_sf_lines, sizeof *tmp);
  if (!ec || !tmp) {
    free(ec);
    free(tmp);
    st = BAD(TN_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  for (int q = 0; q < n_sf_lines && st == TN_STATUS_OK; q++) {
    l.line = sf_at[q];
    l.nt = split_line(sf_lines[q], l.tok);
    st = parse_sf(sp, &l, lu, &tmp[q], &ec[q], err, err_len);
  }
  for (int t = 0, at = 0; t < sp->ne && st == TN_STATUS_OK; t++) {
    int first = at;
    for (int q = 0; q < n_sf_lines; q++)
      if (ec[q] == t) sp->sf[at++] = tmp[q];
    sp->n_sf[t] = at - first;
    if (sp->n_sf[t] == 0 || sp->n_sf[t] > BP_MAX_SF)
      st = BAD(TN_STATUS_BAD_INPUT, "%s: element %s has %d symmetry functions (1..%d)", p,
               tn_element_symbol(sp->z[t]), sp->n_sf[t], BP_MAX_SF);
    qsort(sp->sf + first, (size_t)sp->n_sf[t], sizeof *sp->sf, cmp_sf);
  }
  sp->n_sf_total = n_sf_lines;
  free(ec);
  free(tmp);
done:
  free(sf_lines);
  free(sf_at);
  return st;
}

/* scaling.data: per element in order, one line per function:
 * e_index sf_index min max mean [sigma]. */
static tn_status read_scaling(const n2_spec *sp, bp_layout *L, const char *path, char *err,
                              size_t err_len) {
  char *text = NULL;
  size_t len = 0;
  tn_status st = tn_read_file(path, &text, &len, err, err_len);
  if (st != TN_STATUS_OK) return st;
  int kind = sp->sigma    ? BP_SCALE_SIGMA
             : sp->scale  ? (sp->center ? BP_SCALE_MINMAX_CENTER : BP_SCALE_MINMAX)
             : sp->center ? BP_SCALE_CENTER
                          : BP_SCALE_NONE;
  double smin = kind == BP_SCALE_CENTER || kind == BP_SCALE_NONE ? 0.0 : sp->smin;
  double smax = sp->smax;
  double(*sc)[3] = bp_scales(L);
  int t = 0, s = 0, line = 0;
  n2_line l;
  char *next;
  for (char *p = text; p && st == TN_STATUS_OK; p = next) {
    next = strchr(p, '\n');
    if (next) *next++ = '\0';
    line++;
    if ((l.nt = split_line(p, l.tok)) == 0) continue;
    int e = 0, q = 0;
    bp_stats stats = {0, 0, 0, 0};
    if (t == sp->ne) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: more lines than symmetry functions", path, line);
    } else if (l.nt < 5 || l.nt > 6 || !n2_int(l.tok[0], 1, MODEL_MAX_ELEMENTS, &e) ||
               !n2_int(l.tok[1], 1, BP_MAX_SF, &q) || !n2_real(l.tok[2], &stats.min) ||
               !n2_real(l.tok[3], &stats.max) || !n2_real(l.tok[4], &stats.mean) ||
               (l.nt == 6 && !n2_real(l.tok[5], &stats.sigma))) {
      st = BAD(TN_STATUS_BAD_INPUT,
               "%s:%d: expected 'e_index sf_index min max mean [sigma]' numbers", path, line);
    } else if (e != t + 1 || q != s + 1) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: element %d function %d where %d %d was expected", path,
               line, e, q, t + 1, s + 1);
    } else if (kind == BP_SCALE_SIGMA && l.nt < 6) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: field 'sf_sigma' missing (sigma scaling)", path, line);
    } else {
      bp_scale_from_stats(sc[L->el[t].first + s], &stats, kind, smin, smax);
      if (++s == sp->n_sf[t]) t++, s = 0;
    }
  }
  if (st == TN_STATUS_OK && t < sp->ne)
    st = BAD(TN_STATUS_BAD_INPUT, "%s: ends after %d lines, before all symmetry functions", path,
             line);
  free(text);
  return st;
}

/* weights.NNN.data: "value a index l_s n_s l_e n_e" and "value b index l n",
 * in n2p2's order (layer by layer: weights by start neuron, then biases). */
static tn_status read_weights(const bp_element *E, tn_real *params, const char *path, char *err,
                              size_t err_len) {
  char *text = NULL;
  size_t len = 0;
  tn_status st = tn_read_file(path, &text, &len, err, err_len);
  if (st != TN_STATUS_OK) return st;
  int layer = 0, at = 0, line = 0, count = 0; /* at: position within layer's weights + biases */
  n2_line l;
  char *next;
  for (char *p = text; p && st == TN_STATUS_OK; p = next) {
    next = strchr(p, '\n');
    if (next) *next++ = '\0';
    line++;
    if ((l.nt = split_line(p, l.tok)) == 0) continue;
    const nn_dense *d = layer <= E->n_hidden ? &E->dense[layer] : NULL;
    double v = 0;
    int idx = 0, ls = 0, ns = 0, le = 0, ne = 0;
    int is_w = d && at < d->in * d->out;
    if (!d) {
      st = BAD(TN_STATUS_BAD_INPUT, "%s:%d: more values than the network has (%d)", path, line,
               count);
      break;
    }
    int ok = n2_real(l.tok[0], &v) && l.nt >= 3 && n2_int(l.tok[2], 1, 1 << 30, &idx) &&
             idx == count + 1;
    if (ok && is_w)
      ok = l.nt == 7 && !strcmp(l.tok[1], "a") && n2_int(l.tok[3], 0, 64, &ls) &&
           n2_int(l.tok[4], 1, 1 << 20, &ns) && n2_int(l.tok[5], 0, 64, &le) &&
           n2_int(l.tok[6], 1, 1 << 20, &ne) && ls == layer && le == layer + 1 &&
           ns == at / d->out + 1 && ne == at % d->out + 1;
    else if (ok)
      ok = l.nt == 5 && !strcmp(l.tok[1], "b") && n2_int(l.tok[3], 0, 64, &le) &&
           n2_int(l.tok[4], 1, 1 << 20, &ne) && le == layer + 1 && ne == at - d->in * d->out + 1;
    if (!ok) {
      st = BAD(TN_STATUS_BAD_INPUT,
               "%s:%d: expected connection %d (%s of layer %d): 'value %s index %s'", path, line,
               count + 1, is_w ? "weight" : "bias", layer + 1, is_w ? "a" : "b",
               is_w ? "l_s n_s l_e n_e" : "l n");
      break;
    }
    params[d->offset + (size_t)at] = (tn_real)v; /* W [in][out] row-major, then b [out] */
    count++;
    if (++at == d->in * d->out + d->out) layer++, at = 0;
  }
  if (st == TN_STATUS_OK && layer <= E->n_hidden)
    st = BAD(TN_STATUS_BAD_INPUT,
             "%s: truncated: %d values, the network has more (ends at line %d)", path, count, line);
  free(text);
  return st;
}

tn_status tn_model_import_n2p2(tn_model **out, const char *dir, double energy_unit,
                               double length_unit, char *err, size_t err_len) {
  *out = NULL;
  double eu = energy_unit > 0 ? energy_unit : 1.0, lu = length_unit > 0 ? length_unit : 1.0;
  if (!(isfinite(eu) && isfinite(lu) && energy_unit >= 0 && length_unit >= 0))
    return BAD(TN_STATUS_INVALID_ARG, "n2p2 import: units must be positive");
  n2_spec *sp = calloc(1, sizeof *sp);
  char *text = NULL;
  size_t len = 0;
  tn_model *m = NULL;
  bp_layout *L = NULL;
  tn_status st = TN_STATUS_OK;
  if (!sp) return BAD(TN_STATUS_NO_MEMORY, "out of memory");
  sp->smax = 1.0;
  snprintf(sp->path, sizeof sp->path, "%s/input.nn", dir);
  if ((st = tn_read_file(sp->path, &text, &len, err, err_len)) != TN_STATUS_OK) goto fail;
  if ((st = parse_input(sp, text, lu, err, err_len)) != TN_STATUS_OK) goto fail;
  /* The model from options that describe it; its layout is replaced below. */
  tn_model_options o = tn_model_options_default();
  snprintf(o.type, sizeof o.type, "bpnn");
  o.interactions = sp->n_hidden;
  o.features = 1;
  o.cutoff = 0.0;
  for (int q = 0; q < sp->n_hidden; q++)
    if (sp->nodes[q] > o.features) o.features = sp->nodes[q];
  for (int s = 0; s < sp->n_sf_total; s++)
    if (sp->sf[s].fn.rc > o.cutoff) o.cutoff = sp->sf[s].fn.rc;
  snprintf(o.activation, sizeof o.activation, "%s", bp_act_name(sp->acts[0]));
  snprintf(o.acsf_cutoff, sizeof o.acsf_cutoff, "%s", acsf_cut_name(sp->cutoff_type));
  snprintf(o.acsf_scaling, sizeof o.acsf_scaling, "%s",
           sp->sigma   ? "sigma"
           : sp->scale ? (sp->center ? "minmax_center" : "minmax")
                       : (sp->center ? "center" : "none"));
  char why[256];
  if ((st = tn_model_create(&m, &o, sp->z, sp->ne, 0, why, sizeof why)) != TN_STATUS_OK) {
    st = BAD(st == TN_STATUS_INVALID_ARG ? TN_STATUS_BAD_INPUT : st, "%s: %s", sp->path, why);
    goto fail;
  }
  L = bp_layout_alloc(sp->n_sf_total);
  if (!L) {
    st = BAD(TN_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  L->n_el = sp->ne;
  L->cutoff.type = sp->cutoff_type;
  L->cutoff.alpha = sp->alpha;
  acsf_fn *fn = bp_fns(L);
  for (int t = 0, at = 0; t < sp->ne; t++) {
    bp_element *E = &L->el[t];
    E->first = at;
    E->n_sf = sp->n_sf[t];
    E->n_hidden = sp->n_hidden;
    for (int q = 0; q < sp->n_hidden; q++) {
      E->width[q + 1] = sp->el_nodes[t][q] ? sp->el_nodes[t][q] : sp->nodes[q];
      E->act[q] = sp->acts[q];
    }
    E->act[sp->n_hidden] = BP_ACT_IDENTITY;
    for (int s = 0; s < E->n_sf; s++) fn[at + s] = sp->sf[at + s].fn;
    at += E->n_sf;
  }
  char path[TN_PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/scaling.data", dir);
  if ((st = read_scaling(sp, L, path, err, err_len)) != TN_STATUS_OK) goto fail;
  st = bp_layout_install(m, L, why, sizeof why);
  L = NULL; /* owned by m now, or freed */
  if (st != TN_STATUS_OK) {
    st = BAD(st, "%s: %s", sp->path, why);
    goto fail;
  }
  const bp_layout *ML = m->layout;
  for (int t = 0; t < sp->ne; t++) {
    snprintf(path, sizeof path, "%s/weights.%03d.data", dir, (int)sp->z[t]);
    if ((st = read_weights(&ML->el[t], m->params, path, err, err_len)) != TN_STATUS_OK) goto fail;
  }
  /* E_i = σ y_i + μ_Z in eV (see the top of this file). */
  int norm = sp->have_norm[0];
  double shift[MODEL_MAX_ELEMENTS];
  for (int t = 0; t < sp->ne; t++)
    shift[t] = eu * ((norm ? sp->norm[0] : 0.0) + sp->atom_energy[t]);
  tn_model_set_shifts(m, shift, eu / (norm ? sp->norm[1] : 1.0));
  *out = m;
  m = NULL;
fail:
  free(L);
  tn_model_free(m);
  free(text);
  if (sp) free(sp->sf);
  free(sp);
  return st;
}
