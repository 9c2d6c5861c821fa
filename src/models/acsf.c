/* Atom-centred symmetry functions: values and edge-vector derivatives in
 * one pass (acsf.h). Math in double; results stored as tn_real. */
#include "acsf.h"

#include <math.h>
#include <string.h>

static const char *const cut_names[ACSF_CUT_COUNT] = {"hard",  "cos",   "tanhu", "tanh", "exp",
                                                      "poly1", "poly2", "poly3", "poly4"};

int acsf_cut_from_name(const char *name) {
  for (int q = 0; q < ACSF_CUT_COUNT; q++)
    if (strcmp(name, cut_names[q]) == 0) return q;
  return -1;
}

const char *acsf_cut_name(int type) {
  return type >= 0 && type < ACSF_CUT_COUNT ? cut_names[type] : "unknown";
}

/* The polynomial and exponential cores f(x), f'(x) on 0 ≤ x < 1 (n2p2's
 * CoreFunction, Singraber et al. 2019). The polynomials are written with
 * their (1 − x)^k factor, which keeps full relative precision near r_c. */
static void core_eval(int type, double x, double *f, double *df) {
  double u = 1.0 - x, x2 = x * x, u2 = u * u;
  switch (type) {
  case ACSF_CUT_POLY1: /* (2x − 3)x² + 1 */
    *f = u2 * (2.0 * x + 1.0);
    *df = -6.0 * x * u;
    break;
  case ACSF_CUT_POLY2: /* ((15 − 6x)x − 10)x³ + 1 */
    *f = u2 * u * ((6.0 * x + 3.0) * x + 1.0);
    *df = -30.0 * x2 * u2;
    break;
  case ACSF_CUT_POLY3: /* (x(x(20x − 70) + 84) − 35)x⁴ + 1 */
    *f = u2 * u2 * (((20.0 * x + 10.0) * x + 4.0) * x + 1.0);
    *df = -140.0 * x2 * x * u2 * u;
    break;
  case ACSF_CUT_POLY4: /* (x(x((315 − 70x)x − 540) + 420) − 126)x⁵ + 1 */
    *f = u2 * u2 * u * ((((70.0 * x + 35.0) * x + 15.0) * x + 5.0) * x + 1.0);
    *df = -630.0 * x2 * x2 * u2 * u2;
    break;
  default: { /* ACSF_CUT_EXP: e^{1 − 1/(1 − x²)} */
    double v = 1.0 - x2;
    *f = exp(1.0 - 1.0 / v);
    *df = *f * (-2.0 * x / (v * v));
    break;
  }
  }
}

void acsf_cutoff_eval(const acsf_cutoff *c, double rc, double r, double *f, double *df) {
  if (r >= rc) {
    *f = *df = 0.0;
    return;
  }
  if (c->type == ACSF_CUT_TANHU || c->type == ACSF_CUT_TANH) {
    /* f = p tanh³(1 − r/r_c), df = −3p tanh²(1 − tanh²)/r_c */
    double p = 1.0;
    if (c->type == ACSF_CUT_TANH) {
      double t1 = tanh(1.0);
      p = 1.0 / (t1 * t1 * t1);
    }
    double t = tanh(1.0 - r / rc), t2 = t * t;
    *f = p * t * t2;
    *df = 3.0 * p * t2 * (t2 - 1.0) / rc;
    return;
  }
  double rci = c->alpha * rc;
  if (r < rci || c->type == ACSF_CUT_HARD) {
    *f = 1.0;
    *df = 0.0;
    return;
  }
  double iw = 1.0 / (rc - rci), x = (r - rci) * iw;
  if (c->type == ACSF_CUT_COS) {
    *f = 0.5 * (cos(M_PI * x) + 1.0);
    *df = -0.5 * M_PI * iw * sin(M_PI * x);
    return;
  }
  core_eval(c->type, x, f, df);
  *df *= iw;
}

/* p^n for a small non-negative integer n, or p^y otherwise. */
static double power(double p, double y) {
  double n = floor(y);
  if (n == y && n >= 0.0 && n <= 64.0) {
    double v = 1.0;
    for (int q = 0; q < (int)n; q++) v *= p;
    return v;
  }
  return pow(p, y);
}

static double dot3(const double *a, const double *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The radial functions of one edge: value and ∂/∂d. */
static void radial_edge(tn_real *g, tn_real *dg, const acsf_set *set, const double *dk, double r,
                        const double *fc, const double *dfc, int type) {
  for (int s = 0; s < set->n; s++) {
    const acsf_fn *fn = &set->fn[s];
    if (fn->kind != ACSF_RADIAL || fn->e1 != type || !(r < fn->rc)) continue;
    double x = r - fn->rs, e = exp(-fn->eta * x * x), f = fc[fn->slot];
    g[s] += (tn_real)(e * f);
    if (!dg) continue;
    /* ∂/∂d = (f_c' − 2η(r − r_s) f_c) e d/r */
    double coef = (dfc[fn->slot] - 2.0 * fn->eta * x * f) * e / r;
    for (int c = 0; c < 3; c++) dg[3 * s + c] += (tn_real)(coef * dk[c]);
  }
}

/* Geometry of one pair {j, k} of edges of the central atom. */
typedef struct acsf_pair {
  double a[3], b[3], c[3]; /* d_ij, d_ik, d_jk = d_ik − d_ij (Å) */
  double rij, rik, rjk, cos;
  const double *fij, *dfij, *fik, *dfik; /* [n_radii] */
  double fjk[ACSF_MAX_RADII], dfjk[ACSF_MAX_RADII];
  int have_jk[ACSF_MAX_RADII];
} acsf_pair;

/* The angular functions of one pair: value and ∂/∂d_ij, ∂/∂d_ik. */
static void angular_pair(tn_real *g, tn_real *dgj, tn_real *dgk, const acsf_set *set, acsf_pair *p,
                         int lo, int hi) {
  for (int s = 0; s < set->n; s++) {
    const acsf_fn *fn = &set->fn[s];
    if (fn->kind == ACSF_RADIAL || fn->e1 != lo || fn->e2 != hi) continue;
    int q = fn->slot, narrow = fn->kind == ACSF_NARROW;
    if (!(p->rij < fn->rc && p->rik < fn->rc)) continue;
    if (narrow && !(p->rjk < fn->rc)) continue;
    double P = 1.0 + fn->lambda * p->cos;
    if (P <= 0.0) continue;
    double xj = p->rij - fn->rs, xk = p->rik - fn->rs, xjk = p->rjk - fn->rs;
    double S = xj * xj + xk * xk, F = p->fij[q] * p->fik[q], fjk = 1.0, dfjk = 0.0;
    if (narrow) {
      if (!p->have_jk[q]) {
        acsf_cutoff_eval(&set->cutoff, set->radii[q], p->rjk, &p->fjk[q], &p->dfjk[q]);
        p->have_jk[q] = 1;
      }
      fjk = p->fjk[q];
      dfjk = p->dfjk[q];
      S += xjk * xjk;
      F *= fjk;
    }
    double pn = pow(2.0, 1.0 - fn->zeta), Pz1 = power(P, fn->zeta - 1.0), E = exp(-fn->eta * S);
    g[s] += (tn_real)(pn * Pz1 * P * E * F);
    if (!dgj) continue;
    /* T = pn P^ζ E F with P = 1 + λ cos θ, E = e^{−ηS}:
     * ∂T = pn [ζ λ P^{ζ−1} E F ∂cos + P^ζ E (−η F ∂S + ∂F)], where
     * ∂cos/∂a = b/(r_ij r_ik) − cos a/r_ij², ∂r_ij/∂a = a/r_ij, ∂r_jk/∂a = −c/r_jk
     * (and the mirror images for b, with ∂r_jk/∂b = +c/r_jk). */
    double k1 = pn * fn->zeta * fn->lambda * Pz1 * E * F, k2 = pn * Pz1 * P * E;
    double inv = 1.0 / (p->rij * p->rik);
    double fa = k1 * (-p->cos / (p->rij * p->rij)) +
                k2 * (-2.0 * fn->eta * F * xj + p->dfij[q] * p->fik[q] * fjk) / p->rij;
    double fb = k1 * (-p->cos / (p->rik * p->rik)) +
                k2 * (-2.0 * fn->eta * F * xk + p->fij[q] * p->dfik[q] * fjk) / p->rik;
    double fx = k1 * inv, fc = 0.0;
    if (narrow) fc = k2 * (-2.0 * fn->eta * F * xjk + p->fij[q] * p->fik[q] * dfjk) / p->rjk;
    for (int c = 0; c < 3; c++) {
      dgj[3 * s + c] += (tn_real)(fa * p->a[c] + fx * p->b[c] - fc * p->c[c]);
      dgk[3 * s + c] += (tn_real)(fb * p->b[c] + fx * p->a[c] + fc * p->c[c]);
    }
  }
}

void acsf_compute(tn_real *g, tn_real *dg, int ld, const acsf_set *set, const tn_real *d,
                  const int32_t *nbr, const int32_t *type, int deg, double *scratch) {
  int nr = set->n_radii, any_angular = 0;
  double *r = scratch, *fc = scratch + deg, *dfc = fc + (size_t)deg * nr;
  for (int s = 0; s < set->n; s++) {
    g[s] = 0;
    any_angular |= set->fn[s].kind != ACSF_RADIAL;
  }
  if (dg) memset(dg, 0, (size_t)deg * ld * 3 * sizeof *dg);
  for (int k = 0; k < deg; k++) {
    double dk[3] = {d[3 * k], d[3 * k + 1], d[3 * k + 2]};
    r[k] = sqrt(dot3(dk, dk));
    for (int q = 0; q < nr; q++)
      acsf_cutoff_eval(&set->cutoff, set->radii[q], r[k], &fc[k * nr + q], &dfc[k * nr + q]);
    radial_edge(g, dg ? dg + (size_t)k * ld * 3 : NULL, set, dk, r[k], fc + k * nr, dfc + k * nr,
                type[nbr[k]]);
  }
  if (!any_angular) return;
  acsf_pair p;
  for (int j = 0; j + 1 < deg; j++) {
    for (int c = 0; c < 3; c++) p.a[c] = d[3 * j + c];
    p.rij = r[j];
    p.fij = fc + j * nr;
    p.dfij = dfc + j * nr;
    for (int k = j + 1; k < deg; k++) {
      for (int c = 0; c < 3; c++) {
        p.b[c] = d[3 * k + c];
        p.c[c] = p.b[c] - p.a[c];
      }
      p.rik = r[k];
      p.rjk = sqrt(dot3(p.c, p.c));
      p.cos = dot3(p.a, p.b) / (p.rij * p.rik);
      p.fik = fc + k * nr;
      p.dfik = dfc + k * nr;
      memset(p.have_jk, 0, sizeof p.have_jk);
      int tj = type[nbr[j]], tk = type[nbr[k]];
      int lo = tj < tk ? tj : tk, hi = tj < tk ? tk : tj;
      angular_pair(g, dg ? dg + (size_t)j * ld * 3 : NULL, dg ? dg + (size_t)k * ld * 3 : NULL, set,
                   &p, lo, hi);
    }
  }
}

void acsf_tangent(tn_real *gdot, const tn_real *dg, int ld, int n, const tn_real *dd, int deg) {
  for (int s = 0; s < n; s++) gdot[s] = 0;
  for (int k = 0; k < deg; k++) {
    const tn_real *row = dg + (size_t)k * ld * 3, *u = dd + 3 * k;
    for (int s = 0; s < n; s++)
      gdot[s] += row[3 * s] * u[0] + row[3 * s + 1] * u[1] + row[3 * s + 2] * u[2];
  }
}

void acsf_backward(tn_real *gd, const tn_real *gg, const tn_real *dg, int ld, int n, int deg) {
  /* g_s = G_s(d) ⇒ gd_k += Σ_s gg_s ∂G_s/∂d_k */
  for (int k = 0; k < deg; k++) {
    const tn_real *row = dg + (size_t)k * ld * 3;
    tn_real sx = 0, sy = 0, sz = 0;
    for (int s = 0; s < n; s++) {
      sx += gg[s] * row[3 * s];
      sy += gg[s] * row[3 * s + 1];
      sz += gg[s] * row[3 * s + 2];
    }
    gd[3 * k] += sx;
    gd[3 * k + 1] += sy;
    gd[3 * k + 2] += sz;
  }
}
