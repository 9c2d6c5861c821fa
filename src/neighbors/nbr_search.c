/* The pair search over the grid of nbr_grid.c: for each bin, list the
 * neighbouring bins (with their periodic images) once, then test every atom
 * of the bin against the atoms of those bins. Atoms are stored in bin order,
 * so the data of a bin and its neighbours stays in cache. */
#include <string.h>

#include "nbr.h"

/* Floor division (C's / truncates toward zero); b > 0. */
static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The bins around bin c (Cartesian product of the per-axis ranges
 * c_k - reach_k .. c_k + reach_k), skipping empty bins and bins beyond an
 * open edge. Along a periodic axis a bin may appear several times, through
 * different images, when the cell is thinner than the cutoff. Returns the
 * number of entries written to w->stencil. */
static int64_t search_stencil(nbr_work *w, const int c[3]) {
  int64_t n = 0;
  for (int d0 = -w->reach[0]; d0 <= w->reach[0]; d0++) {
    int e0 = c[0] + d0, i0 = 0;
    if (w->periodic[0]) {
      i0 = floor_div(e0, w->nb[0]);
      e0 -= i0 * w->nb[0];
    } else if (e0 < 0 || e0 >= w->nb[0]) {
      continue;
    }
    for (int d1 = -w->reach[1]; d1 <= w->reach[1]; d1++) {
      int e1 = c[1] + d1, i1 = 0;
      if (w->periodic[1]) {
        i1 = floor_div(e1, w->nb[1]);
        e1 -= i1 * w->nb[1];
      } else if (e1 < 0 || e1 >= w->nb[1]) {
        continue;
      }
      for (int d2 = -w->reach[2]; d2 <= w->reach[2]; d2++) {
        int e2 = c[2] + d2, i2 = 0;
        if (w->periodic[2]) {
          i2 = floor_div(e2, w->nb[2]);
          e2 -= i2 * w->nb[2];
        } else if (e2 < 0 || e2 >= w->nb[2]) {
          continue;
        }
        int32_t b = (int32_t)(((int64_t)e0 * w->nb[1] + e1) * w->nb[2] + e2);
        if (w->bin_start[b] == w->bin_start[b + 1]) continue;
        nbr_image *s = &w->stencil[n++];
        s->bin = b;
        s->img[0] = i0, s->img[1] = i1, s->img[2] = i2;
        for (int k = 0; k < 3; k++)
          s->off[k] = i0 * w->basis[0][k] + i1 * w->basis[1][k] + i2 * w->basis[2][k];
      }
    }
  }
  return n;
}

/* The r_ij formula of tanne.h, evaluated in this order everywhere (the
 * tests' brute force too) so that a pair at the cutoff is decided alike. */
static int search_exact(const nbr_work *w, const double (*pos)[3], int32_t i, int32_t j,
                        const int32_t s[3]) {
  double r2 = 0;
  for (int k = 0; k < 3; k++) {
    double r = (pos[j][k] - pos[i][k]) +
               (s[0] * w->cellz[0][k] + s[1] * w->cellz[1][k] + s[2] * w->cellz[2][k]);
    r2 += r * r;
  }
  return r2 < w->cut2;
}

static int search_grow(nbr_work *w, int64_t need) {
  return tn_grow((void **)&w->tj, &w->tj_cap, need, sizeof *w->tj) ||
         tn_grow((void **)&w->tshift, &w->tshift_cap, need, sizeof *w->tshift);
}

tn_status nbr_search_bins(nbr_work *w, const double (*pos)[3], int64_t bin_lo, int64_t bin_hi,
                          char *err, size_t err_len) {
  /* Locals, so the compiler need not reload them after each store. */
  int64_t np = w->t_pairs, cap = w->tj_cap < w->tshift_cap ? w->tj_cap : w->tshift_cap;
  const double lo2 = w->lo2, hi2 = w->hi2;
  const double(*spos)[3] = (const double(*)[3])w->spos;
  const int32_t(*swrap)[3] = (const int32_t(*)[3])w->swrap;
  const int32_t *order = w->order, *bin_start = w->bin_start;
  const nbr_image *stencil = w->stencil;
  int64_t *tstart = w->tstart, *tcount = w->tcount;
  int32_t *tj = w->tj;
  int32_t(*tshift)[3] = w->tshift;
  const int64_t plane = (int64_t)w->nb[1] * w->nb[2];
  for (int64_t b = bin_lo; b < bin_hi; b++) {
    const int32_t a0 = bin_start[b], a1 = bin_start[b + 1];
    if (a0 == a1) continue;
    int c[3] = {(int)(b / plane), (int)(b / w->nb[2] % w->nb[1]), (int)(b % w->nb[2])};
    const int64_t n_st = search_stencil(w, c);
    for (int32_t a = a0; a < a1; a++) {
      const int32_t ia = order[a];
      tstart[ia] = np;
      const double xi = spos[a][0], yi = spos[a][1], zi = spos[a][2];
      const int32_t wa[3] = {swrap[a][0], swrap[a][1], swrap[a][2]};
      for (int64_t e = 0; e < n_st; e++) {
        const nbr_image *st = &stencil[e];
        const double ox = st->off[0] - xi, oy = st->off[1] - yi, oz = st->off[2] - zi;
        const int32_t q0 = bin_start[st->bin], q1 = bin_start[st->bin + 1];
        /* shift = img - wrap[j] + wrap[i]: see spos in nbr.h */
        const int32_t base[3] = {st->img[0] + wa[0], st->img[1] + wa[1], st->img[2] + wa[2]};
        for (int32_t q = q0; q < q1; q++) {
          const double dx = spos[q][0] + ox, dy = spos[q][1] + oy, dz = spos[q][2] + oz;
          const double d2 = dx * dx + dy * dy + dz * dz;
          if (d2 >= hi2) continue;
          if (q == a && st->img[0] == 0 && st->img[1] == 0 && st->img[2] == 0) continue;
          int32_t s[3];
          for (int k = 0; k < 3; k++) s[k] = base[k] - swrap[q][k];
          if (d2 >= lo2 && !search_exact(w, pos, ia, order[q], s)) continue;
          if (np == cap) {
            if (search_grow(w, np + 1)) {
              w->t_pairs = np;
              return tn_fail(err, err_len, TN_STATUS_NO_MEMORY,
                             "neighbors: out of memory after %lld pairs", (long long)np);
            }
            tj = w->tj, tshift = w->tshift;
            cap = w->tj_cap < w->tshift_cap ? w->tj_cap : w->tshift_cap;
          }
          tj[np] = order[q];
          memcpy(tshift[np], s, sizeof s);
          np++;
        }
      }
      tcount[ia] = np - tstart[ia];
    }
  }
  w->t_pairs = np;
  return TN_STATUS_OK;
}
