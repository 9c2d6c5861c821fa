/* NumPy .npz archives of molecular data: rMD17, sGDML (MD17) and the
 * ethanol 500 K / 1000 K sets, each a zip of .npy arrays, one per key.
 *
 * Keys (F frames, n atoms; first key found wins):
 *   species    nuclear_charges | z | Z   (n) or per frame (F, n)
 *   positions  coords | R                (F, n, 3)   x length unit -> Å
 *   energy     energies | E              (F) or (F, 1)  x energy unit -> eV
 *   forces     forces | F                (F, n, 3)   x energy/length unit -> eV/Å
 *   old_energies (F), old_forces (F, n, 3): the original MD17 labels of
 *              rMD17, stored under those names in eV and eV/Å
 *   N          (F) atoms per frame: frame f has the first N[f] of n atoms
 * Any other numeric array whose leading axis has F entries becomes a column
 * named after its key, with raw values: (F, n, ...) per atom, otherwise per
 * frame, with the remaining axes flattened into its width. Integer arrays
 * make INT columns, booleans BOOL. Strings and arrays of other lengths
 * (sGDML's 'name', 'theory', 'md5', 'type') are metadata and are skipped.
 * A per-frame array of exactly (F, n) is taken to be per atom, so for a
 * molecule of n atoms an (F, n) per-frame vector would be read per atom.
 * Units default to kcal/mol and Å (read.c). Frames have no cell. */
#include <math.h>
#include <string.h>

#include "io.h"
#include "npy.h"
#include "zip.h"

typedef struct npz_array {
  char key[TN_NAME_MAX];
  npy_array a; /* shape and dtype; a.data is not kept valid */
  double *v;   /* [a.count] values, NULL for strings */
  int used;    /* taken by a named role, not a generic column */
} npz_array;

typedef struct npz_file {
  const char *path;
  char *err;
  size_t err_len;
  int n;
  npz_array *arr; /* [n] */
} npz_file;

static void npz_file_free(npz_file *z) {
  for (int k = 0; k < z->n; k++) free(z->arr[k].v);
  free(z->arr);
}

static int ends_with(const char *s, size_t n, const char *suffix) {
  size_t m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Reads every ".npy" entry of the archive: CRC-checked, parsed, and numeric
 * ones converted to double. Other entries (directories, files numpy did not
 * write) are skipped. */
static tn_status load_arrays(npz_file *z, const unsigned char *buf, size_t len) {
  zip_archive zip;
  tn_status st = zip_open(&zip, buf, len, z->path, z->err, z->err_len);
  if (st != TN_STATUS_OK) return st;
  if (zip.n_entries > 0 && !(z->arr = calloc((size_t)zip.n_entries, sizeof *z->arr))) {
    st = tn_fail(z->err, z->err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", z->path);
    goto fail;
  }
  for (int64_t k = 0; k < zip.n_entries; k++) {
    const zip_entry *e = &zip.entries[k];
    if (!ends_with(e->name, e->name_len, ".npy")) continue;
    size_t klen = e->name_len - 4;
    if (klen == 0 || klen >= TN_NAME_MAX || memchr(e->name, '\0', klen)) {
      st = tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT,
                   "%s: zip entry '%.*s': key empty or longer than %d bytes", z->path,
                   (int)e->name_len, e->name, TN_NAME_MAX - 1);
      goto fail;
    }
    npz_array *ar = &z->arr[z->n];
    memcpy(ar->key, e->name, klen);
    ar->key[klen] = '\0';
    for (int m = 0; m < z->n; m++)
      if (strcmp(z->arr[m].key, ar->key) == 0) {
        st = tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': appears twice",
                     z->path, ar->key);
        goto fail;
      }
    const unsigned char *data;
    unsigned char *owned;
    size_t size;
    st = zip_entry_read(&zip, k, &data, &size, &owned, z->err, z->err_len);
    if (st != TN_STATUS_OK) goto fail;
    z->n++; /* from here on ar is released with the others */
    st = npy_parse(&ar->a, data, size, z->path, ar->key, z->err, z->err_len);
    if (st == TN_STATUS_OK && ar->a.kind != NPY_KIND_STRING) {
      /* count * itemsize fit in the entry, and itemsize >= 1, so count
       * doubles fit in size_t unless the array is of bytes on a 32-bit host. */
      if (ar->a.count > SIZE_MAX / sizeof(double) ||
          !(ar->v = malloc(ar->a.count > 0 ? (size_t)ar->a.count * sizeof(double) : 1)))
        st = tn_fail(z->err, z->err_len, TN_STATUS_NO_MEMORY, "%s: key '%s': out of memory",
                     z->path, ar->key);
      else
        npy_to_double(&ar->a, ar->v);
    }
    ar->a.data = NULL;
    free(owned);
    if (st != TN_STATUS_OK) goto fail;
  }
  zip_close(&zip);
  return TN_STATUS_OK;
fail:
  zip_close(&zip);
  return st;
}

/* The first numeric or string array among the keys (NULL-terminated). */
static npz_array *find(npz_file *z, const char *const *keys) {
  for (; *keys; keys++)
    for (int k = 0; k < z->n; k++)
      if (strcmp(z->arr[k].key, *keys) == 0) return &z->arr[k];
  return NULL;
}

/* "(1000, 21, 3)" into out[cap]. */
static const char *shape_str(const npy_array *a, char *out, size_t cap) {
  size_t n = (size_t)snprintf(out, cap, "(");
  for (int k = 0; k < a->ndim && n < cap; k++)
    n += (size_t)snprintf(out + n, cap - n, "%s%lld", k ? ", " : "", (long long)a->shape[k]);
  if (n < cap) snprintf(out + n, cap - n, a->ndim == 1 ? ",)" : ")");
  return out;
}

static tn_status bad_shape(npz_file *z, const npz_array *ar, const char *want) {
  char s[128];
  return tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': shape %s, expected %s",
                 z->path, ar->key, shape_str(&ar->a, s, sizeof s), want);
}

static tn_status need_numeric(npz_file *z, const npz_array *ar) {
  if (ar->v) return TN_STATUS_OK;
  return tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT, "%s: key '%s': holds text, not numbers",
                 z->path, ar->key);
}

/* 1 if the array has exactly ndim axes of sizes (d0, d1, d2)[0..ndim). */
static int shape_is(const npy_array *a, int ndim, int64_t d0, int64_t d1, int64_t d2) {
  const int64_t want[3] = {d0, d1, d2};
  if (a->ndim != ndim) return 0;
  for (int k = 0; k < ndim; k++)
    if (a->shape[k] != want[k]) return 0;
  return 1;
}

/* A per-frame scalar label: shape (F) or (F, 1). */
static tn_status check_frame_scalar(npz_file *z, npz_array *ar, int64_t nf) {
  tn_status st = need_numeric(z, ar);
  if (st != TN_STATUS_OK) return st;
  if (!shape_is(&ar->a, 1, nf, 0, 0) && !shape_is(&ar->a, 2, nf, 1, 0)) {
    char want[64];
    snprintf(want, sizeof want, "(%lld,) or (%lld, 1), one per frame of the positions",
             (long long)nf, (long long)nf);
    return bad_shape(z, ar, want);
  }
  return TN_STATUS_OK;
}

/* A per-atom vector label: shape (F, n, 3). */
static tn_status check_vectors(npz_file *z, npz_array *ar, int64_t nf, int64_t n) {
  tn_status st = need_numeric(z, ar);
  if (st != TN_STATUS_OK) return st;
  if (!shape_is(&ar->a, 3, nf, n, 3)) {
    char want[64];
    snprintf(want, sizeof want, "(%lld, %lld, 3) like the positions", (long long)nf, (long long)n);
    return bad_shape(z, ar, want);
  }
  return TN_STATUS_OK;
}

static void scale(npz_array *ar, double factor) {
  for (uint64_t k = 0; k < ar->a.count; k++) ar->v[k] *= factor;
}

/* Column layout of a generic array: per-frame or per-atom, and the number
 * of doubles one frame's rows start apart. */
typedef struct generic {
  npz_array *ar;
  tn_column_scope scope;
  int width;
  int64_t stride; /* doubles per frame in ar->v */
} generic;

static tn_column_type column_type(const npz_array *ar) {
  switch (ar->a.kind) {
  case NPY_KIND_INT:
  case NPY_KIND_UINT: return TN_COLUMN_TYPE_INT;
  case NPY_KIND_BOOL: return TN_COLUMN_TYPE_BOOL;
  default: return TN_COLUMN_TYPE_REAL;
  }
}

/* Decides whether an unclaimed array becomes a column. 1 yes, 0 skip. */
static int plan_generic(generic *g, npz_array *ar, int64_t nf, int64_t n) {
  const npy_array *a = &ar->a;
  if (ar->used || !ar->v || a->ndim < 1 || a->shape[0] != nf) return 0;
  int first = 1;
  g->scope = TN_COLUMN_SCOPE_FRAME;
  if (a->ndim >= 2 && a->shape[1] == n) g->scope = TN_COLUMN_SCOPE_ATOM, first = 2;
  int64_t width = 1;
  for (int k = first; k < a->ndim; k++) {
    if (a->shape[k] > 0 && width > INT32_MAX / a->shape[k]) return -1;
    width *= a->shape[k];
  }
  if (width == 0) return 0;
  g->ar = ar;
  g->width = (int)width;
  g->stride = g->scope == TN_COLUMN_SCOPE_ATOM ? n * width : width;
  return 1;
}

/* The state the frame loop reads; everything checked before it runs. */
typedef struct plan {
  int64_t nf, n;
  npz_array *species, *pos, *energy, *forces, *old_e, *old_f, *counts;
  generic *gen;
  int n_gen;
} plan;

static tn_status make_plan(npz_file *z, plan *p, const tn_read_options *opt) {
  static const char *const k_species[] = {"nuclear_charges", "z", "Z", NULL};
  static const char *const k_pos[] = {"coords", "R", NULL};
  static const char *const k_energy[] = {"energies", "E", NULL};
  static const char *const k_forces[] = {"forces", "F", NULL};
  static const char *const k_old_e[] = {"old_energies", NULL};
  static const char *const k_old_f[] = {"old_forces", NULL};
  static const char *const k_counts[] = {"N", NULL};
  tn_status st;
  char s[128];

  if (!(p->pos = find(z, k_pos)))
    return tn_fail(z->err, z->err_len, TN_STATUS_NOT_FOUND,
                   "%s: key 'coords' or 'R': no positions in the archive", z->path);
  if (!(p->species = find(z, k_species)))
    return tn_fail(z->err, z->err_len, TN_STATUS_NOT_FOUND,
                   "%s: key 'nuclear_charges', 'z' or 'Z': no atomic numbers in the archive",
                   z->path);
  npz_array *pos = p->pos, *sp = p->species;
  if ((st = need_numeric(z, pos)) != TN_STATUS_OK) return st;
  if (pos->a.ndim != 3 || pos->a.shape[2] != 3 || pos->a.shape[1] < 1 ||
      pos->a.shape[1] > INT32_MAX)
    return bad_shape(z, pos, "(frames, atoms, 3) with at least one atom");
  p->nf = pos->a.shape[0];
  p->n = pos->a.shape[1];
  pos->used = sp->used = 1;

  if ((st = need_numeric(z, sp)) != TN_STATUS_OK) return st;
  if (!shape_is(&sp->a, 1, p->n, 0, 0) && !shape_is(&sp->a, 2, p->nf, p->n, 0)) {
    char ps[64];
    snprintf(s, sizeof s, "(%lld,) or (%lld, %lld) to match positions %s", (long long)p->n,
             (long long)p->nf, (long long)p->n, shape_str(&pos->a, ps, sizeof ps));
    return bad_shape(z, sp, s);
  }

  /* Atom counts per frame, for sets that pad frames to a common n. */
  npz_array *cnt = find(z, k_counts);
  if (cnt && cnt->v && shape_is(&cnt->a, 1, p->nf, 0, 0)) {
    for (int64_t f = 0; f < p->nf; f++)
      if (!(cnt->v[f] >= 1 && cnt->v[f] <= (double)p->n && cnt->v[f] == floor(cnt->v[f])))
        return tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT,
                       "%s: key 'N': frame %lld: atom count %g is not an integer in 1..%lld",
                       z->path, (long long)f, cnt->v[f], (long long)p->n);
    p->counts = cnt; /* also kept as a per-frame INT column */
  }

  if ((p->energy = find(z, k_energy))) {
    if ((st = check_frame_scalar(z, p->energy, p->nf)) != TN_STATUS_OK) return st;
    p->energy->used = 1;
  }
  if ((p->forces = find(z, k_forces))) {
    if ((st = check_vectors(z, p->forces, p->nf, p->n)) != TN_STATUS_OK) return st;
    p->forces->used = 1;
  }
  if ((p->old_e = find(z, k_old_e))) {
    if ((st = check_frame_scalar(z, p->old_e, p->nf)) != TN_STATUS_OK) return st;
    p->old_e->used = 1;
  }
  if ((p->old_f = find(z, k_old_f))) {
    if ((st = check_vectors(z, p->old_f, p->nf, p->n)) != TN_STATUS_OK) return st;
    p->old_f->used = 1;
  }

  if (z->n > 0 && !(p->gen = calloc((size_t)z->n, sizeof *p->gen)))
    return tn_fail(z->err, z->err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", z->path);
  for (int k = 0; k < z->n; k++) {
    npz_array *ar = &z->arr[k];
    int r = plan_generic(&p->gen[p->n_gen], ar, p->nf, p->n);
    if (r < 0) return bad_shape(z, ar, "a row width below 2^31");
    if (r == 0) continue;
    /* Standard labels are in internal units; a raw array must not pose as one. */
    if (strcmp(ar->key, TN_LABEL_ENERGY) == 0 || strcmp(ar->key, TN_LABEL_FORCES) == 0 ||
        strcmp(ar->key, TN_LABEL_STRESS) == 0 || strcmp(ar->key, TN_LABEL_ENERGIES) == 0)
      return tn_fail(z->err, z->err_len, TN_STATUS_UNSUPPORTED,
                     "%s: key '%s': has the name of a standard label but is not one of the "
                     "npz keys tanne converts; rename it",
                     z->path, ar->key);
    p->n_gen++;
  }

  /* Units: in place, once, now that every shape is known to be right. */
  double eu = opt->energy_unit, lu = opt->length_unit;
  scale(pos, lu);
  if (p->energy) scale(p->energy, eu);
  if (p->forces) scale(p->forces, eu / lu);
  if (p->old_e) scale(p->old_e, eu);
  if (p->old_f) scale(p->old_f, eu / lu);
  return TN_STATUS_OK;
}

static void add_column(tn_frame_column *c, const char *name, tn_column_scope scope,
                       tn_column_type type, int width, const double *values) {
  c->name = name;
  c->scope = scope;
  c->type = type;
  c->width = width;
  c->values = values;
  c->text = NULL;
}

static tn_status append_frames(npz_file *z, tn_dataset *ds, const plan *p) {
  tn_status st = TN_STATUS_OK;
  int n = (int)p->n;
  int32_t *species = malloc((size_t)n * sizeof *species);
  tn_frame_column *cols = malloc((size_t)(4 + p->n_gen) * sizeof *cols);
  if (!species || !cols) {
    st = tn_fail(z->err, z->err_len, TN_STATUS_NO_MEMORY, "%s: out of memory", z->path);
    goto fail;
  }
  int per_frame_species = p->species->a.ndim == 2;
  for (int64_t f = 0; f < p->nf; f++) {
    int na = p->counts ? (int)p->counts->v[f] : n;
    const double *z_row = p->species->v + (per_frame_species ? f * p->n : 0);
    const double *pos = p->pos->v + f * p->n * 3;
    for (int i = 0; i < na; i++) {
      double zi = z_row[i];
      if (!(zi >= 1 && zi <= 118 && zi == floor(zi))) {
        st = tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT,
                     "%s: key '%s': frame %lld, atom %d: atomic number %g is not in 1..118",
                     z->path, p->species->key, (long long)f, i, zi);
        goto fail;
      }
      species[i] = (int32_t)zi;
      if (!isfinite(pos[3 * i]) || !isfinite(pos[3 * i + 1]) || !isfinite(pos[3 * i + 2])) {
        st = tn_fail(z->err, z->err_len, TN_STATUS_BAD_INPUT,
                     "%s: key '%s': frame %lld, atom %d: position is not finite", z->path,
                     p->pos->key, (long long)f, i);
        goto fail;
      }
    }
    int nc = 0;
    if (p->energy)
      add_column(&cols[nc++], TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1,
                 p->energy->v + f);
    if (p->forces)
      add_column(&cols[nc++], TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3,
                 p->forces->v + f * p->n * 3);
    if (p->old_e)
      add_column(&cols[nc++], "old_energies", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1,
                 p->old_e->v + f);
    if (p->old_f)
      add_column(&cols[nc++], "old_forces", TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3,
                 p->old_f->v + f * p->n * 3);
    for (int g = 0; g < p->n_gen; g++) {
      const generic *gen = &p->gen[g];
      add_column(&cols[nc++], gen->ar->key, gen->scope, column_type(gen->ar), gen->width,
                 gen->ar->v + f * gen->stride);
    }
    tn_frame fr;
    memset(&fr, 0, sizeof fr); /* no cell, pbc 0 0 0 */
    fr.n_atoms = na;
    fr.species = species;
    fr.pos = (const double(*)[3])pos;
    fr.n_columns = nc;
    fr.columns = cols;
    st = tn_dataset_append(ds, &fr);
    if (st != TN_STATUS_OK) {
      /* The data set wrote its own message; add the file to it. */
      char why[sizeof ds->errmsg];
      memcpy(why, ds->errmsg, sizeof why);
      tn_fail(z->err, z->err_len, st, "%s: frame %lld: %s", z->path, (long long)f, why);
      goto fail;
    }
  }
fail:
  free(species);
  free(cols);
  return st;
}

tn_status npz_read_buffer(tn_dataset *ds, const char *name, const unsigned char *buf, size_t len,
                          const tn_read_options *opt) {
  npz_file z = {name, ds->errmsg, sizeof ds->errmsg, 0, NULL};
  plan p;
  memset(&p, 0, sizeof p);
  tn_status st = load_arrays(&z, buf, len);
  if (st == TN_STATUS_OK) st = make_plan(&z, &p, opt);
  if (st == TN_STATUS_OK) st = append_frames(&z, ds, &p);
  free(p.gen);
  npz_file_free(&z);
  return st;
}
