/* Edge geometry: distances from edge vectors, radial bases and the cosine
 * cutoff. Per edge the work is a few transcendental calls, so it is done in
 * double whatever tn_real is, and only the results are rounded. */
#include <string.h>

#include "nn_internal.h"

/* ------------------------------------------------------------- distance */

/* r [rows] = |d [rows][3]| (Å). Edges never have r = 0 (the caller
 * guarantees it: a neighbor list holds no pair of an atom with itself in the
 * same image), so d̂ = d / r is not guarded. */
void nn_distance_forward(tn_real *r, const tn_real *d, int rows) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    const tn_real *v = d + 3 * (size_t)k;
    r[k] = (tn_real)sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
  }
}

/* dr [rows] = d̂ · dd, dd the tangent block of d ([rows][3] after the primal) */
void nn_distance_tangent(tn_real *r, const tn_real *d, int rows) {
  const tn_real *dd = d + 3 * (size_t)rows;
  tn_real *dr = r + rows;
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    const tn_real *v = d + 3 * (size_t)k, *dv = dd + 3 * (size_t)k;
    double len = sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
    dr[k] = (tn_real)(((double)v[0] * dv[0] + (double)v[1] * dv[1] + (double)v[2] * dv[2]) / len);
  }
}

/* Adjoint of   r = |d|   and, with tangent,   dr = d̂ · dd:
 *   gd += gr d̂ + gdr (dd - d̂ (d̂ · dd)) / r   (∂d̂/∂d = (1 - d̂ d̂ᵀ) / r)
 *   gdd += gdr d̂ */
void nn_distance_backward(tn_real *gd, const tn_real *gr, const tn_real *d, int rows, int tangent) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    const tn_real *v = d + 3 * (size_t)k;
    double len = sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
    double u[3] = {v[0] / len, v[1] / len, v[2] / len};
    tn_real *g = gd + 3 * (size_t)k;
    for (int c = 0; c < 3; c++) g[c] += (tn_real)(gr[k] * u[c]);
    if (!tangent) continue;
    const tn_real *dv = d + 3 * ((size_t)rows + k);
    tn_real *gdv = gd + 3 * ((size_t)rows + k);
    double gdr = gr[rows + k];
    double along = u[0] * dv[0] + u[1] * dv[1] + u[2] * dv[2];
    for (int c = 0; c < 3; c++) {
      g[c] += (tn_real)(gdr * (dv[c] - u[c] * along) / len);
      gdv[c] += (tn_real)(gdr * u[c]);
    }
  }
}

/* -------------------------------------------------------------- bases */

static const char *const basis_names[] = {"gaussian", "sinc"};
#define BASIS_COUNT ((int)(sizeof basis_names / sizeof basis_names[0]))

/* "unknown" (never NULL) for a value outside the enum, so it can be printed. */
const char *nn_basis_name(nn_basis b) {
  return (int)b >= 0 && (int)b < BASIS_COUNT ? basis_names[b] : "unknown";
}

int nn_basis_from_name(const char *name) {
  if (!name) return -1;
  for (int q = 0; q < BASIS_COUNT; q++)
    if (strcmp(name, basis_names[q]) == 0) return q;
  return -1;
}

/* Function q (0-based) of basis b at distance x, with its first and second
 * derivatives in x (per Å, per Å²).
 *  Gaussian (Schütt et al. 2018, SchNet; the schnetpack default spacing):
 *    e = exp(-γ (x - μ)²), μ = q Δ, Δ = r_c / (K - 1), γ = 1 / (2 Δ²)
 *    e' = -2γ (x - μ) e,  e'' = (4γ² (x - μ)² - 2γ) e
 *  Sinc (Schütt et al. 2021, PaiNN), ω = (q + 1) π / r_c:
 *    e = sin(ω x) / x
 *    e' = ω cos(ω x) / x - sin(ω x) / x²
 *    e'' = -ω² sin(ω x) / x - 2ω cos(ω x) / x² + 2 sin(ω x) / x³ */
typedef struct basis_consts {
  double gamma, delta, omega; /* omega: π / r_c, times (q + 1) per function */
} basis_consts;

static basis_consts basis_setup(int k, double cutoff, nn_basis b) {
  basis_consts bc = {0, 0, M_PI / cutoff};
  TN_ASSERT(cutoff > 0);
  if (b == NN_BASIS_GAUSSIAN) {
    TN_ASSERT(k >= 2); /* the spacing r_c / (K - 1) needs two centres */
    bc.delta = cutoff / (k - 1);
    bc.gamma = 1 / (2 * bc.delta * bc.delta);
  } else {
    TN_ASSERT(b == NN_BASIS_SINC && k >= 1);
  }
  return bc;
}

static inline void basis_eval(const basis_consts *bc, nn_basis b, int q, double x, double *e,
                              double *e1, double *e2) {
  if (b == NN_BASIS_GAUSSIAN) {
    double t = x - q * bc->delta;
    double v = exp(-bc->gamma * t * t);
    *e = v;
    *e1 = -2 * bc->gamma * t * v;
    *e2 = (4 * bc->gamma * bc->gamma * t * t - 2 * bc->gamma) * v;
  } else {
    double w = (q + 1) * bc->omega, s = sin(w * x), c = cos(w * x), inv = 1 / x;
    *e = s * inv;
    *e1 = (w * c - s * inv) * inv;
    *e2 = (-w * w * s - 2 * w * c * inv + 2 * s * inv * inv) * inv;
  }
}

/* e [rows][K] from r [rows] (Å) */
void nn_basis_forward(tn_real *e, const tn_real *r, int rows, int k, double cutoff, nn_basis b) {
  basis_consts bc = basis_setup(k, cutoff, b);
#pragma omp parallel for schedule(static) if ((int64_t)rows * k >= NN_OMP_MIN)
  for (int row = 0; row < rows; row++)
    for (int q = 0; q < k; q++) {
      double v, v1, v2;
      basis_eval(&bc, b, q, r[row], &v, &v1, &v2);
      e[(size_t)row * k + q] = (tn_real)v;
    }
}

/* de [rows][K] (tangent block of e) = e'(r) dr */
void nn_basis_tangent(tn_real *e, const tn_real *r, int rows, int k, double cutoff, nn_basis b) {
  basis_consts bc = basis_setup(k, cutoff, b);
  tn_real *de = e + (size_t)rows * k;
  const tn_real *dr = r + rows;
#pragma omp parallel for schedule(static) if ((int64_t)rows * k >= NN_OMP_MIN)
  for (int row = 0; row < rows; row++)
    for (int q = 0; q < k; q++) {
      double v, v1, v2;
      basis_eval(&bc, b, q, r[row], &v, &v1, &v2);
      de[(size_t)row * k + q] = (tn_real)(v1 * dr[row]);
    }
}

/* Adjoint of   e_q = e_q(r)   and, with tangent,   de_q = e_q'(r) dr:
 *   gr += Σ_q e_q' ge_q + e_q'' dr gde_q,   gdr += Σ_q e_q' gde_q */
void nn_basis_backward(tn_real *gr, const tn_real *ge, const tn_real *r, int rows, int k,
                       double cutoff, nn_basis b, int tangent) {
  basis_consts bc = basis_setup(k, cutoff, b);
  const tn_real *gde = ge + (size_t)rows * k;
#pragma omp parallel for schedule(static) if ((int64_t)rows * k >= NN_OMP_MIN)
  for (int row = 0; row < rows; row++) {
    double sum = 0, sum_t = 0, dr = tangent ? r[rows + row] : 0;
    for (int q = 0; q < k; q++) {
      double v, v1, v2;
      size_t at = (size_t)row * k + q;
      basis_eval(&bc, b, q, r[row], &v, &v1, &v2);
      sum += v1 * ge[at];
      if (tangent) {
        sum += v2 * dr * gde[at];
        sum_t += v1 * gde[at];
      }
    }
    gr[row] += (tn_real)sum;
    if (tangent) gr[rows + row] += (tn_real)sum_t;
  }
}

/* ------------------------------------------------------------- cutoff */

/* Behler (2011) cosine cutoff, with x = π r / r_c:
 *   f = (cos x + 1) / 2,  f' = -(π / 2r_c) sin x,  f'' = -(π² / 2r_c²) cos x
 * for r < r_c, and f = f' = f'' = 0 beyond. f and f' are continuous at r_c,
 * f'' is not (it jumps by π²/2r_c²), which the force loss never sees. */
static inline void cutoff_eval(double r, double cutoff, double *f, double *f1, double *f2) {
  if (r >= cutoff) {
    *f = *f1 = *f2 = 0;
    return;
  }
  double w = M_PI / cutoff, c = cos(w * r), s = sin(w * r);
  *f = 0.5 * (c + 1);
  *f1 = -0.5 * w * s;
  *f2 = -0.5 * w * w * c;
}

/* f [rows] from r [rows] (Å) */
void nn_cutoff_forward(tn_real *f, const tn_real *r, int rows, double cutoff) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    double v, v1, v2;
    cutoff_eval(r[k], cutoff, &v, &v1, &v2);
    f[k] = (tn_real)v;
  }
}

/* df [rows] (tangent block of f) = f'(r) dr */
void nn_cutoff_tangent(tn_real *f, const tn_real *r, int rows, double cutoff) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    double v, v1, v2;
    cutoff_eval(r[k], cutoff, &v, &v1, &v2);
    f[rows + k] = (tn_real)(v1 * r[rows + k]);
  }
}

/* Adjoint of   f = f(r)   and, with tangent,   df = f'(r) dr:
 *   gr += f' gf + f'' dr gdf,   gdr += f' gdf */
void nn_cutoff_backward(tn_real *gr, const tn_real *gf, const tn_real *r, int rows, double cutoff,
                        int tangent) {
#pragma omp parallel for schedule(static) if (rows >= NN_OMP_MIN)
  for (int k = 0; k < rows; k++) {
    double v, v1, v2;
    cutoff_eval(r[k], cutoff, &v, &v1, &v2);
    double g = v1 * gf[k];
    if (tangent) {
      g += v2 * r[rows + k] * gf[rows + k];
      gr[rows + k] += (tn_real)(v1 * gf[rows + k]);
    }
    gr[k] += (tn_real)g;
  }
}
