/* Batch graphs: frames concatenated into one graph of atoms and edges, and
 * the way back from an edge-vector gradient to forces and virials.
 *
 * Architectures see positions only through the edge vectors d_k = R_j +
 * s·cell − R_i, so with g_k = ∂E/∂d_k
 *   ∂E/∂R_a = Σ_{k: j_k = a} g_k − Σ_{k: i_k = a} g_k,
 * and under a strain ε (R → R(1+ε), the cell too) d_k → d_k(1+ε), so
 *   ∂E/∂ε_ab = Σ_k d_ka g_kb  (the virial; stress = virial / V, ASE sign). */
#include <math.h>
#include <string.h>

#include "model.h"

void model_batch_free(model_batch *b) {
  if (!b) return;
  free(b->atom_start);
  free(b->type);
  free(b->frame);
  free(b->ei);
  free(b->ej);
  free(b->first);
  free(b->rev);
  free(b->d);
  free(b->remap);
  memset(b, 0, sizeof *b);
}

/* Grows every array to hold n_frames, n_atoms and n_edges; the tangent block
 * of d is always allocated so one batch serves every pass. Each array keeps
 * its own capacity, so a failed growth leaves the others consistent. */
static int batch_reserve(model_batch *b, int n_frames, int n_atoms, int64_t n_edges) {
  model_batch_caps *c = &b->caps;
  return tn_grow((void **)&b->atom_start, &c->atom_start, (int64_t)n_frames + 1,
                 sizeof *b->atom_start) ||
         tn_grow((void **)&b->type, &c->type, n_atoms + 1, sizeof *b->type) ||
         tn_grow((void **)&b->frame, &c->frame, n_atoms + 1, sizeof *b->frame) ||
         tn_grow((void **)&b->first, &c->first, (int64_t)n_atoms + 1, sizeof *b->first) ||
         tn_grow((void **)&b->ei, &c->ei, n_edges + 1, sizeof *b->ei) ||
         tn_grow((void **)&b->ej, &c->ej, n_edges + 1, sizeof *b->ej) ||
         tn_grow((void **)&b->rev, &c->rev, n_edges + 1, sizeof *b->rev) ||
         tn_grow((void **)&b->d, &c->d, 2 * n_edges + 2, 3 * sizeof *b->d);
}

/* The edge (j, i, -s) among the edges of j; the neighbor list is symmetric,
 * so it exists. */
static int64_t reverse_edge(const tn_neighbors *nl, int64_t k) {
  int32_t i = nl->i[k], j = nl->j[k];
  for (int64_t q = nl->first[j]; q < nl->first[j + 1]; q++)
    if (nl->j[q] == i && nl->shift[q][0] == -nl->shift[k][0] &&
        nl->shift[q][1] == -nl->shift[k][1] && nl->shift[q][2] == -nl->shift[k][2])
      return q;
  return -1;
}

void model_batch_begin(model_batch *b) {
  b->n_frames = 0;
  b->n_atoms = 0;
  b->n_edges = 0;
}

/* Appends frame fr with the pairs of nl, a list built for fr's atoms and
 * cell. filter 0: nl was built at the model's cutoff for these positions,
 * and every pair is an edge. filter 1: nl may be a Verlet list (a larger
 * cutoff, positions that have moved since), and an edge is kept only while
 * its current distance is below the model's cutoff. The distance of (i, j, s)
 * is the exact negation of that of (j, i, -s) term by term, so the kept set
 * stays symmetric and every kept edge has its reverse. */
static tn_status batch_add_pairs(model_batch *b, const tn_model *m, const tn_neighbors *nl,
                                 const tn_frame *fr, int64_t id, int filter, char *err,
                                 size_t err_len) {
  int f = b->n_frames;
  int64_t a0 = b->n_atoms, e0 = b->n_edges;
  double rc2 = m->opt.cutoff * m->opt.cutoff;
  if (batch_reserve(b, f + 1, (int)(a0 + fr->n_atoms), e0 + nl->n_pairs) ||
      tn_grow((void **)&b->remap, &b->caps.remap, nl->n_pairs + 1, sizeof *b->remap))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for a batch");
  int64_t kept = 0;
  for (int64_t k = 0; k < nl->n_pairs; k++) {
    int32_t i = nl->i[k], j = nl->j[k];
    double v[3], r2 = 0.0;
    for (int c = 0; c < 3; c++) {
      v[c] = fr->pos[j][c] - fr->pos[i][c];
      for (int l = 0; l < 3; l++) v[c] += nl->shift[k][l] * fr->cell[l][c];
      r2 += v[c] * v[c];
    }
    /* Radial functions divide by r (sinc) or differentiate |d| at d: zero
     * distance is physically meaningless and numerically singular. */
    if (r2 < 1e-12)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "frame %lld: atoms %d and %d are at the same place", (long long)id + 1, i + 1,
                     j + 1);
    if (filter && r2 >= rc2) {
      b->remap[k] = -1;
      continue;
    }
    b->remap[k] = e0 + kept;
    b->ei[e0 + kept] = (int32_t)(a0 + i);
    b->ej[e0 + kept] = (int32_t)(a0 + j);
    for (int c = 0; c < 3; c++) b->d[3 * (e0 + kept) + c] = (tn_real)v[c];
    kept++;
  }
  for (int64_t k = 0; k < nl->n_pairs; k++) {
    if (b->remap[k] < 0) continue;
    int64_t q = reverse_edge(nl, k);
    TN_ASSERT(q >= 0 && b->remap[q] >= 0);
    b->rev[b->remap[k]] = b->remap[q];
  }
  /* Pairs are sorted by receiving atom, so the kept ones are too. */
  for (int a = 0; a < fr->n_atoms; a++) {
    int64_t last = nl->first[a + 1] - 1;
    while (last >= nl->first[a] && b->remap[last] < 0) last--;
    b->first[a0 + a + 1] = last >= nl->first[a] ? b->remap[last] + 1 : b->first[a0 + a];
  }
  b->n_frames = f + 1;
  b->n_atoms = (int)(a0 + fr->n_atoms);
  b->n_edges = e0 + kept;
  b->atom_start[f + 1] = b->n_atoms;
  /* The tangent block of d starts right after the n_edges primal rows; the
   * capacity of 2 * edges_cap rows leaves room for it. */
  b->graph = (nn_graph){.n_atoms = b->n_atoms,
                        .n_edges = b->n_edges,
                        .i = b->ei,
                        .j = b->ej,
                        .first = b->first,
                        .rev = b->rev};
  return TN_STATUS_OK;
}

/* The atoms' element indices (and frame) of frame fr, appended after the
 * batch's atoms; the first step of adding a frame. */
static tn_status batch_add_atoms(model_batch *b, const tn_model *m, const tn_frame *fr, int64_t id,
                                 char *err, size_t err_len) {
  int f = b->n_frames;
  int64_t a0 = b->n_atoms, e0 = b->n_edges;
  if (a0 + fr->n_atoms > INT32_MAX / 2)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "a batch of %lld atoms is too large",
                   (long long)(a0 + fr->n_atoms));
  if (batch_reserve(b, f + 1, (int)(a0 + fr->n_atoms), e0))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for a batch");
  if (f == 0) {
    b->atom_start[0] = 0;
    b->first[0] = 0;
  }
  for (int a = 0; a < fr->n_atoms; a++) {
    int t = model_element_index(m, fr->species[a]);
    if (t < 0) {
      const char *sym = tn_element_symbol(fr->species[a]);
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "frame %lld, atom %d: element %s is not one the model was made for",
                     (long long)id + 1, a + 1, sym ? sym : "?");
    }
    b->type[a0 + a] = t;
    b->frame[a0 + a] = f;
  }
  return TN_STATUS_OK;
}

tn_status model_batch_add(model_batch *b, const tn_model *m, tn_neighbors *nl, const tn_frame *fr,
                          int64_t id, char *err, size_t err_len) {
  tn_status st = batch_add_atoms(b, m, fr, id, err, err_len);
  if (st != TN_STATUS_OK) return st;
  st = tn_neighbors_build(nl, fr->pos, fr->n_atoms, (const double(*)[3])fr->cell, fr->pbc,
                          m->opt.cutoff);
  if (st != TN_STATUS_OK)
    return tn_fail(err, err_len, st, "frame %lld: %s", (long long)id + 1, nl->errmsg);
  return batch_add_pairs(b, m, nl, fr, id, 0, err, err_len);
}

tn_status model_batch_add_list(model_batch *b, const tn_model *m, const tn_neighbors *nl,
                               const tn_frame *fr, int64_t id, char *err, size_t err_len) {
  if (nl->n_atoms != fr->n_atoms)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "frame %lld: the neighbor list is for %d atoms, the frame has %d",
                   (long long)id + 1, nl->n_atoms, fr->n_atoms);
  tn_status st = batch_add_atoms(b, m, fr, id, err, err_len);
  if (st != TN_STATUS_OK) return st;
  return batch_add_pairs(b, m, nl, fr, id, 1, err, err_len);
}

tn_status model_batch_build(model_batch *b, const tn_model *m, tn_neighbors *nl,
                            const tn_dataset *ds, const int64_t *which, int n, char *err,
                            size_t err_len) {
  model_batch_begin(b);
  for (int f = 0; f < n; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, which[f], &fr);
    tn_status st = model_batch_add(b, m, nl, &fr, which[f], err, err_len);
    if (st != TN_STATUS_OK) return st;
  }
  return TN_STATUS_OK;
}

void model_batch_forces(double (*forces)[3], double (*virial)[3][3], const model_batch *b,
                        const tn_real *gd) {
  if (forces) {
    /* F_a = −∂E/∂R_a = Σ_{k in edges of a} (g_k − g_rev(k)): the edges into a
     * as sender are the reverses of a's own edges, so each atom sums only its
     * own rows (deterministic, parallel). */
#pragma omp parallel for schedule(static)
    for (int a = 0; a < b->n_atoms; a++) {
      double f[3] = {0.0, 0.0, 0.0};
      for (int64_t k = b->first[a]; k < b->first[a + 1]; k++)
        for (int c = 0; c < 3; c++) f[c] += (double)gd[3 * k + c] - (double)gd[3 * b->rev[k] + c];
      for (int c = 0; c < 3; c++) forces[a][c] = f[c];
    }
  }
  if (virial) {
    for (int f = 0; f < b->n_frames; f++) {
      double w[3][3] = {{0.0}};
      for (int64_t a = b->atom_start[f]; a < b->atom_start[f + 1]; a++)
        for (int64_t k = b->first[a]; k < b->first[a + 1]; k++)
          for (int x = 0; x < 3; x++)
            for (int y = 0; y < 3; y++) w[x][y] += (double)b->d[3 * k + x] * gd[3 * k + y];
      memcpy(virial[f], w, sizeof w);
    }
  }
}
