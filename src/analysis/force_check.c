/* Analytic forces (and stress) of any model against finite differences of
 * its own energy: the check behind `tanne checkf`, for models trained or
 * imported, whatever their architecture.
 *
 * Fourth-order central differences, f' ≈ [8(f(+h) − f(−h)) − (f(+2h) − f(−2h))] / 12h,
 * so that the truncation error (∝ h⁴) stays below the float32 round-off of
 * the energy (∝ 1/h) at steps of 1e-3 to 1e-2 Å. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"

/* The energy of fr with atom a's coordinate x moved by dx (a < 0: with the
 * strain R → R(1 + ε), ε_xy = dx, applied to positions and cell). */
static tn_status displaced_energy(tn_model *m, const tn_frame *fr, double (*pos)[3], int a, int x,
                                  int y, double dx, double *e) {
  tn_frame moved = *fr;
  memcpy(pos, fr->pos, (size_t)fr->n_atoms * sizeof *pos);
  if (a >= 0) {
    pos[a][x] += dx;
  } else {
    for (int b = 0; b < fr->n_atoms; b++) pos[b][y] += dx * fr->pos[b][x];
    for (int k = 0; k < 3; k++) moved.cell[k][y] += dx * fr->cell[k][x];
  }
  moved.pos = (const double(*)[3])pos;
  return tn_model_eval(m, &moved, e, NULL, NULL, NULL);
}

/* ∂E/∂(coordinate or strain) by the five-point stencil. */
static tn_status derivative(tn_model *m, const tn_frame *fr, double (*pos)[3], int a, int x, int y,
                            double h, double *out) {
  double e[4];
  static const double steps[4] = {1, -1, 2, -2};
  for (int k = 0; k < 4; k++) {
    tn_status st = displaced_energy(m, fr, pos, a, x, y, steps[k] * h, &e[k]);
    if (st != TN_STATUS_OK) return st;
  }
  *out = (8.0 * (e[0] - e[1]) - (e[2] - e[3])) / (12.0 * h);
  return TN_STATUS_OK;
}

tn_status tn_model_check_forces(tn_model *m, const tn_frame *fr, double h, const int32_t *atoms,
                                int n_check, tn_force_check *out) {
  memset(out, 0, sizeof *out);
  out->worst_atom = -1;
  out->stress_max_err = NAN;
  TN_ASSERT(h > 0.0 && n_check >= 0);
  int n = fr->n_atoms;
  double(*forces)[3] = malloc((size_t)(n > 0 ? n : 1) * sizeof *forces);
  double(*pos)[3] = malloc((size_t)(n > 0 ? n : 1) * sizeof *pos);
  tn_status st = TN_STATUS_NO_MEMORY;
  if (!forces || !pos) goto done;
  int periodic = tn_cell_periodic((const double(*)[3])fr->cell, fr->pbc);
  double energy, stress[3][3];
  st = tn_model_eval(m, fr, &energy, forces, periodic ? stress : NULL, NULL);
  if (st != TN_STATUS_OK) goto done;
  double sum_err2 = 0.0, sum_f2 = 0.0;
  for (int q = 0; q < n_check; q++) {
    int a = atoms ? atoms[q] : q;
    TN_ASSERT(a >= 0 && a < n);
    for (int x = 0; x < 3; x++) {
      double de;
      st = derivative(m, fr, pos, a, x, 0, h, &de);
      if (st != TN_STATUS_OK) goto done;
      double err = fabs(forces[a][x] + de);
      sum_err2 += err * err;
      sum_f2 += forces[a][x] * forces[a][x];
      if (fabs(forces[a][x]) > out->max_force) out->max_force = fabs(forces[a][x]);
      if (err > out->max_err || out->worst_atom < 0) {
        out->max_err = err;
        out->worst_atom = a;
        out->worst_axis = x;
        out->worst_analytic = forces[a][x];
        out->worst_numeric = -de;
      }
      out->n_components++;
    }
  }
  if (out->n_components > 0) {
    out->rms_err = sqrt(sum_err2 / out->n_components);
    out->rms_force = sqrt(sum_f2 / out->n_components);
  }
  if (periodic) {
    /* σ_xy = (1/V) ∂E/∂ε_xy (ASE sign), as tn_model_eval defines it. */
    double volume = tn_cell_volume((const double(*)[3])fr->cell);
    out->stress_max_err = 0.0;
    for (int x = 0; x < 3; x++)
      for (int y = 0; y < 3; y++) {
        double de;
        st = derivative(m, fr, pos, -1, x, y, h, &de);
        if (st != TN_STATUS_OK) goto done;
        double err = fabs(stress[x][y] - de / volume);
        if (err > out->stress_max_err) out->stress_max_err = err;
        if (fabs(stress[x][y]) > out->stress_max) out->stress_max = fabs(stress[x][y]);
      }
  }
  st = TN_STATUS_OK;
done:
  free(forces);
  free(pos);
  return st;
}
