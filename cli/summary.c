/* The summary `tanne info` and `tanne demo` print for a data set. */
#include <math.h>
#include <string.h>

#include "cli.h"

/* Running mean, spread and range (Welford), in double. */
typedef struct stats {
  int64_t n;
  double mean, m2, min, max;
} stats;

static void stats_add(stats *s, double x) {
  if (s->n == 0) s->min = s->max = x;
  s->n++;
  double d = x - s->mean;
  s->mean += d / (double)s->n;
  s->m2 += d * (x - s->mean);
  if (x < s->min) s->min = x;
  if (x > s->max) s->max = x;
}

static double stats_std(const stats *s) { return s->n > 1 ? sqrt(s->m2 / (double)(s->n - 1)) : 0; }

static void print_stats(FILE *out, const char *label, const char *unit, const stats *s) {
  fprintf(out, "  %-22s mean %.6g  std %.6g  min %.6g  max %.6g %s (%lld values)\n", label, s->mean,
          stats_std(s), s->min, s->max, unit, (long long)s->n);
}

static const char *scope_name(const tn_column *c) {
  return c->scope == TN_COLUMN_SCOPE_ATOM ? "per atom" : "per frame";
}

static const char *type_name(const tn_column *c) {
  switch (c->type) {
  case TN_COLUMN_TYPE_REAL: return "real";
  case TN_COLUMN_TYPE_INT: return "int";
  case TN_COLUMN_TYPE_BOOL: return "bool";
  case TN_COLUMN_TYPE_STRING: return "text";
  }
  return "?";
}

static int64_t frames_with(const tn_dataset *ds, const tn_column *c) {
  int64_t n = 0;
  for (int64_t f = 0; f < ds->n_frames; f++) n += c->present[f];
  return n;
}

static void print_elements(FILE *out, const tn_dataset *ds) {
  int64_t count[119] = {0};
  for (int64_t a = 0; a < ds->n_atoms; a++)
    if (ds->species[a] >= 1 && ds->species[a] <= 118) count[ds->species[a]]++;
  fprintf(out, "  %-22s", "elements");
  for (int z = 1; z <= 118; z++)
    if (count[z]) fprintf(out, " %s", tn_element_symbol(z));
  fprintf(out, "  (atoms:");
  for (int z = 1; z <= 118; z++)
    if (count[z]) fprintf(out, " %s %lld", tn_element_symbol(z), (long long)count[z]);
  fprintf(out, ")\n");
}

static void print_atoms_and_cells(FILE *out, const tn_dataset *ds) {
  int64_t lo = INT64_MAX, hi = 0, periodic = 0, partial = 0;
  for (int64_t f = 0; f < ds->n_frames; f++) {
    int64_t n = ds->atom_start[f + 1] - ds->atom_start[f];
    if (n < lo) lo = n;
    if (n > hi) hi = n;
    int p = ds->pbc[f][0] + ds->pbc[f][1] + ds->pbc[f][2];
    periodic += p == 3;
    partial += p == 1 || p == 2;
  }
  if (ds->n_frames == 0) lo = 0;
  fprintf(out, "  %-22s min %lld  max %lld per frame  (%lld in all)\n", "atoms", (long long)lo,
          (long long)hi, (long long)ds->n_atoms);
  fprintf(out, "  %-22s %lld periodic, %lld partly periodic, %lld open\n", "boundaries",
          (long long)periodic, (long long)partial, (long long)(ds->n_frames - periodic - partial));
}

static void print_label_stats(FILE *out, const tn_dataset *ds) {
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  if (e && e->type != TN_COLUMN_TYPE_STRING && e->width == 1) {
    stats total = {0}, per_atom = {0};
    for (int64_t f = 0; f < ds->n_frames; f++) {
      if (!e->present[f]) continue;
      int64_t n = ds->atom_start[f + 1] - ds->atom_start[f];
      stats_add(&total, e->values[f]);
      if (n > 0) stats_add(&per_atom, e->values[f] / (double)n);
    }
    print_stats(out, "energy", "eV", &total);
    print_stats(out, "energy per atom", "eV", &per_atom);
  }
  const tn_column *fc = tn_dataset_column(ds, TN_LABEL_FORCES);
  if (fc && fc->width == 3 && fc->scope == TN_COLUMN_SCOPE_ATOM) {
    stats comp = {0}, norm = {0};
    for (int64_t f = 0; f < ds->n_frames; f++) {
      if (!fc->present[f]) continue;
      for (int64_t a = ds->atom_start[f]; a < ds->atom_start[f + 1]; a++) {
        const double *v = tn_column_row(fc, a);
        for (int k = 0; k < 3; k++) stats_add(&comp, v[k]);
        stats_add(&norm, sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
      }
    }
    print_stats(out, "force component", "eV/A", &comp);
    print_stats(out, "force magnitude", "eV/A", &norm);
  }
  const tn_column *ea = tn_dataset_column(ds, TN_LABEL_ENERGIES);
  if (ea && ea->width == 1 && ea->scope == TN_COLUMN_SCOPE_ATOM) {
    stats s = {0};
    for (int64_t f = 0; f < ds->n_frames; f++)
      if (ea->present[f])
        for (int64_t a = ds->atom_start[f]; a < ds->atom_start[f + 1]; a++)
          stats_add(&s, ea->values[a]);
    print_stats(out, "atomic energy", "eV", &s);
  }
  const tn_column *sc = tn_dataset_column(ds, TN_LABEL_STRESS);
  if (sc && sc->width == 9 && sc->scope == TN_COLUMN_SCOPE_FRAME) {
    stats p = {0}; /* pressure = -trace(sigma)/3 with ASE's stress sign */
    for (int64_t f = 0; f < ds->n_frames; f++)
      if (sc->present[f]) {
        const double *v = tn_column_row(sc, f);
        stats_add(&p, -(v[0] + v[4] + v[8]) / 3.0);
      }
    print_stats(out, "pressure -tr(stress)/3", "eV/A^3", &p);
  }
}

void cli_print_summary(FILE *out, const tn_dataset *ds) {
  fprintf(out, "  %-22s %lld\n", "frames", (long long)ds->n_frames);
  print_atoms_and_cells(out, ds);
  print_elements(out, ds);
  fprintf(out, "  labels\n");
  for (int c = 0; c < ds->n_columns; c++) {
    const tn_column *col = &ds->columns[c];
    int64_t n = frames_with(ds, col);
    fprintf(out, "    %-20s %s, %s", col->name, scope_name(col), type_name(col));
    if (col->type != TN_COLUMN_TYPE_STRING) fprintf(out, ", width %d", col->width);
    if (n != ds->n_frames)
      fprintf(out, ", in %lld of %lld frames", (long long)n, (long long)ds->n_frames);
    fprintf(out, "\n");
  }
  if (ds->n_columns == 0) fprintf(out, "    (none)\n");
  print_label_stats(out, ds);
}
