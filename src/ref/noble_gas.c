/* The noble-gas reference potential: Lennard-Jones pairs plus the
 * Axilrod-Teller-Muto triple-dipole term, for Ar, Kr and their mixtures, with
 * an exact partition into atomic energies (pairs split in halves, triples in
 * thirds), as used for liquid Ar/Kr by Uhlig, Tovey & Holm (2024).
 *
 *   E = sum_{pairs} 4 eps_ij [(sig_ij/r)^12 - (sig_ij/r)^6] S(r)
 *     + sum_{triples} C9_ijk (1 + 3 cos g_i cos g_j cos g_k) / (r_ij r_jk r_ik)^3
 *                     * S_t(r_ij) S_t(r_jk) S_t(r_ik)
 *
 * Parameters (eps in K times k_B, sigma in Å, C9 as quoted, then in eV Å^9):
 *   Ar: eps/k_B = 119.8 K, sigma = 3.405 Å (Michels, Wijker & Wijker, Physica
 *       15, 627 (1949), from the second virial coefficient; the set used by
 *       Rowley, Nicholson & Parsonage, J. Comput. Phys. 17, 401 (1975), for
 *       liquid argon).
 *   Kr: eps/k_B = 172.7 K, sigma = 3.591 Å (Beattie, Brierley & Barriault,
 *       J. Chem. Phys. 20, 1615 (1952), second virial coefficients).
 *   C9 (triple-dipole nu): Ar 73.2e-84, Kr 220e-84 erg cm^9 (Leonard & Barker,
 *       "Dispersion coefficients for interactions of noble gases", in
 *       Theoretical Chemistry: Advances and Perspectives 1, 117 (1975); the Ar
 *       value is the one used by Marcelli & Sadus, J. Chem. Phys. 111, 1533
 *       (1999)). 1e-84 erg cm^9 = 1e-19 J Å^9 = 0.624150907 eV Å^9, so
 *       Ar 45.69 eV Å^9 (about 516 Hartree bohr^9) and Kr 137.3 eV Å^9.
 * Mixing: Lorentz-Berthelot for pairs (sigma arithmetic, eps geometric mean).
 * Triples: C9_ijk = (C9_i C9_j C9_k)^(1/3). In the single-oscillator (London
 * / Unsold) picture C9_ABC = (3/2) a_A a_B a_C E_A E_B E_C (E_A + E_B + E_C) /
 * ((E_A + E_B)(E_B + E_C)(E_C + E_A)) (polarizabilities a, excitation energies
 * E), which is exactly the geometric mean when the E are equal; for Ar and Kr
 * they differ by about 10 %, which changes mixed C9 by well under 1 %.
 *
 * Switch: the quintic smoothstep S(x) = 1 - 10x^3 + 15x^4 - 6x^5 with
 * x = (r - r_on)/(r_c - r_on), which has S' = S'' = 0 at both ends, so energy,
 * forces and their derivatives are continuous. Forces and stress are exact
 * derivatives of the switched energy.
 */
#include <math.h>
#include <string.h>

#include "../neighbors/pairs.h"
#include "ref.h"

#define NG_KB      8.617333262e-5     /* eV/K, CODATA 2018 */
#define NG_C9_UNIT 0.6241509074460763 /* eV Å^9 per 1e-84 erg cm^9 */

typedef struct ng_species {
  int32_t z;
  double eps;   /* eV */
  double sigma; /* Å */
  double c9;    /* eV Å^9 */
} ng_species;

static const ng_species species_table[2] = {
    {18, 119.8 * NG_KB, 3.405, 73.2 * NG_C9_UNIT},
    {36, 172.7 * NG_KB, 3.591, 220.0 * NG_C9_UNIT},
};

/* Row of species_table for z, or -1. */
static int slot_of(int32_t z) {
  for (int s = 0; s < 2; s++)
    if (species_table[s].z == z) return s;
  return -1;
}

tn_noble_gas tn_noble_gas_default(void) {
  /* The pair cutoff is 2.5 sigma for Kr (2.6 sigma for Ar), the usual LJ
   * truncation. A triple of liquid-argon neighbours at 6 Å contributes
   * ~1e-5 eV, so triples stop at 7 Å: this halves the neighbours the O(k^2)
   * triple loop sees. */
  tn_noble_gas p = {9.0, 8.0, 7.0, 6.0};
  return p;
}

void ng_work_release(ng_work *w) {
  free(w->vec);
  free(w->len);
  free(w->atom);
  memset(w, 0, sizeof *w);
}

static int work_reserve(ng_work *w, int64_t n) {
  if (n <= w->cap) return 0;
  int64_t cap = w->cap > 0 ? w->cap : 64;
  while (cap < n) cap *= 2;
  void *a = realloc(w->vec, (size_t)cap * sizeof *w->vec);
  if (!a) return -1;
  w->vec = a;
  a = realloc(w->len, (size_t)cap * sizeof *w->len);
  if (!a) return -1;
  w->len = a;
  a = realloc(w->atom, (size_t)cap * sizeof *w->atom);
  if (!a) return -1;
  w->atom = a;
  w->cap = cap;
  return 0;
}

/* Quintic smoothstep: s = S(r) and ds = dS/dr (1/Å). */
static void switch_fn(double r, double on, double off, double *s, double *ds) {
  if (r <= on) {
    *s = 1.0, *ds = 0.0;
    return;
  }
  if (r >= off) {
    *s = 0.0, *ds = 0.0;
    return;
  }
  double w = off - on, x = (r - on) / w;
  *s = 1.0 - x * x * x * (10.0 - 15.0 * x + 6.0 * x * x);
  *ds = -30.0 * x * x * (1.0 - x) * (1.0 - x) / w;
}

/* Everything the two loops accumulate into; outputs may be NULL. */
typedef struct ng_acc {
  double energy;
  double (*forces)[3];   /* [n][3] or NULL */
  double *atom_energies; /* [n] or NULL */
  double virial[3][3];   /* sum over interaction vectors d of dE/dd ⊗ d, eV */
} ng_acc;

/* Adds the gradient g = dE/dd of one interaction vector d = p_to - p_from. */
static void add_gradient(ng_acc *acc, int from, int to, const double g[3], const double d[3]) {
  if (acc->forces)
    for (int a = 0; a < 3; a++) acc->forces[from][a] += g[a], acc->forces[to][a] -= g[a];
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) acc->virial[a][b] += g[a] * d[b];
}

/* Lennard-Jones, each unordered pair once, half its energy to each atom. */
static tn_status pair_terms(ng_acc *acc, const tn_noble_gas *pot, const tn_neighbors *nl,
                            const int32_t *species, const double (*pos)[3], const double cell[3][3],
                            char *err, size_t err_len) {
  double rc2 = pot->cutoff * pot->cutoff;
  double sig2[2][2], eps4[2][2]; /* Lorentz-Berthelot: Å^2, eV */
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      double sig = 0.5 * (species_table[a].sigma + species_table[b].sigma);
      sig2[a][b] = sig * sig;
      eps4[a][b] = 4.0 * sqrt(species_table[a].eps * species_table[b].eps);
    }
  for (int64_t p = 0; p < nl->n_pairs; p++) {
    int i = nl->i[p], j = nl->j[p];
    if (!nbr_pair_owner(i, j, nl->shift[p])) continue;
    double d[3];
    nbr_pair_vector(pos, cell, i, j, nl->shift[p], d);
    double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if (r2 >= rc2) continue;
    if (r2 == 0.0)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "noble gas: field 'pos': atoms %d and %d coincide", i, j);
    int si = slot_of(species[i]), sj = slot_of(species[j]);
    double r = sqrt(r2), q = sig2[si][sj] / r2, sr6 = q * q * q;
    double v = eps4[si][sj] * (sr6 * sr6 - sr6);                   /* eV */
    double dv = eps4[si][sj] * (6.0 * sr6 - 12.0 * sr6 * sr6) / r; /* eV/Å */
    double s, ds;
    switch_fn(r, pot->switch_on, pot->cutoff, &s, &ds);
    double e = v * s, de = dv * s + v * ds;
    acc->energy += e;
    if (acc->atom_energies) {
      acc->atom_energies[i] += 0.5 * e;
      acc->atom_energies[j] += 0.5 * e;
    }
    double g[3] = {de * d[0] / r, de * d[1] / r, de * d[2] / r};
    add_gradient(acc, i, j, g, d);
  }
  return TN_STATUS_OK;
}

/* One triple with sides d_ij, d_jk = d_ik - d_ij, d_ik (Å), counted with
 * weight wt. With A = r_ij^2, B = r_jk^2, C = r_ik^2 and u, v, w the law-of-
 * cosines numerators at i, j, k, the ATM energy is
 *   E0 = C9 (ABC)^(-3/2) [1 + 3 uvw / (8 ABC)],
 * differentiated in A, B, C; dE/dd = 2 (dE/dA) d for each side. */
static void triple_term(ng_acc *acc, const tn_noble_gas *pot, double c9, double wt, int i, int j,
                        int k, const double dij[3], double rij, const double dik[3], double rik,
                        const double djk[3], double rjk) {
  double A = rij * rij, B = rjk * rjk, C = rik * rik;
  double u = A + C - B, v = A + B - C, w = B + C - A;
  double Q = u * v * w, t = 1.0 / (A * B * C), s = t * sqrt(t); /* s = (r_ij r_jk r_ik)^-3 */
  double core = 1.0 + 0.375 * Q * t;
  double e0 = c9 * s * core;
  double qa = v * w + u * w - u * v, qb = u * w + u * v - v * w, qc = v * w + u * v - u * w;
  double ea = c9 * s * (-1.5 * core / A + 0.375 * t * (qa - Q / A));
  double eb = c9 * s * (-1.5 * core / B + 0.375 * t * (qb - Q / B));
  double ec = c9 * s * (-1.5 * core / C + 0.375 * t * (qc - Q / C));
  double sa, dsa, sb, dsb, sc, dsc;
  switch_fn(rij, pot->triple_switch_on, pot->triple_cutoff, &sa, &dsa);
  switch_fn(rjk, pot->triple_switch_on, pot->triple_cutoff, &sb, &dsb);
  switch_fn(rik, pot->triple_switch_on, pot->triple_cutoff, &sc, &dsc);
  double sw = sa * sb * sc, e = wt * e0 * sw;
  /* d/dA of S(sqrt(A)) is S'(r) / (2 r). */
  double fa = 2.0 * wt * (ea * sw + e0 * dsa / (2.0 * rij) * sb * sc);
  double fb = 2.0 * wt * (eb * sw + e0 * dsb / (2.0 * rjk) * sa * sc);
  double fc = 2.0 * wt * (ec * sw + e0 * dsc / (2.0 * rik) * sa * sb);
  acc->energy += e;
  if (acc->atom_energies) {
    acc->atom_energies[i] += e / 3.0;
    acc->atom_energies[j] += e / 3.0;
    acc->atom_energies[k] += e / 3.0;
  }
  double ga[3], gb[3], gc[3];
  for (int a = 0; a < 3; a++) ga[a] = fa * dij[a], gb[a] = fb * djk[a], gc[a] = fc * dik[a];
  add_gradient(acc, i, j, ga, dij);
  add_gradient(acc, j, k, gb, djk);
  add_gradient(acc, i, k, gc, dik);
}

/* Axilrod-Teller-Muto over pairs (j, k) of i's neighbours. A triangle of atom
 * images appears once from each of its three vertices; it is kept only at
 * vertices with the lowest atom index, each such vertex with weight 1/m where
 * m vertices share that index (m > 1 only for an atom and its own periodic
 * images), so each triangle is counted exactly once. */
static tn_status triple_terms(ng_acc *acc, const tn_noble_gas *pot, const tn_neighbors *nl,
                              ng_work *work, const int32_t *species, const double (*pos)[3],
                              int n_atoms, const double cell[3][3], char *err, size_t err_len) {
  double tc = pot->triple_cutoff, tc2 = tc * tc;
  double c9[2][2][2];
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int c = 0; c < 2; c++)
        c9[a][b][c] = cbrt(species_table[a].c9 * species_table[b].c9 * species_table[c].c9);
  for (int i = 0; i < n_atoms; i++) {
    int64_t p0 = nl->first[i], p1 = nl->first[i + 1];
    if (work_reserve(work, p1 - p0))
      return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "noble gas: out of memory");
    int64_t n = 0;
    for (int64_t p = p0; p < p1; p++) {
      int j = nl->j[p];
      if (j < i) continue;
      double *d = work->vec[n];
      nbr_pair_vector(pos, cell, i, j, nl->shift[p], d);
      double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      if (r2 >= tc2) continue;
      work->len[n] = sqrt(r2);
      work->atom[n] = j;
      n++;
    }
    int si = slot_of(species[i]);
    for (int64_t a = 0; a < n; a++) {
      int j = work->atom[a], sj = slot_of(species[j]);
      for (int64_t b = a + 1; b < n; b++) {
        const double *dij = work->vec[a], *dik = work->vec[b];
        double djk[3] = {dik[0] - dij[0], dik[1] - dij[1], dik[2] - dij[2]};
        double r2 = djk[0] * djk[0] + djk[1] * djk[1] + djk[2] * djk[2];
        if (r2 >= tc2) continue;
        int k = work->atom[b];
        if (r2 == 0.0)
          return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                         "noble gas: field 'pos': atoms %d and %d coincide", j, k);
        double wt = 1.0 / (1 + (j == i) + (k == i));
        triple_term(acc, pot, c9[si][sj][slot_of(species[k])], wt, i, j, k, dij, work->len[a], dik,
                    work->len[b], djk, sqrt(r2));
      }
    }
  }
  return TN_STATUS_OK;
}

tn_status ng_check_params(const tn_noble_gas *pot, char *err, size_t err_len) {
  if (!(pot->cutoff > 0.0 && isfinite(pot->cutoff) && pot->switch_on >= 0.0 &&
        pot->switch_on < pot->cutoff))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "noble gas: field 'cutoff'/'switch_on': need 0 <= switch_on < cutoff "
                   "(got %g, %g Å)",
                   pot->switch_on, pot->cutoff);
  if (pot->triple_cutoff != 0.0 &&
      !(pot->triple_cutoff > 0.0 && isfinite(pot->triple_cutoff) && pot->triple_switch_on >= 0.0 &&
        pot->triple_switch_on < pot->triple_cutoff))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "noble gas: field 'triple_cutoff'/'triple_switch_on': need 0 <= "
                   "triple_switch_on < triple_cutoff, or triple_cutoff 0 (got %g, %g Å)",
                   pot->triple_switch_on, pot->triple_cutoff);
  return TN_STATUS_OK;
}

double ng_reach(const tn_noble_gas *pot) {
  return pot->cutoff > pot->triple_cutoff ? pot->cutoff : pot->triple_cutoff;
}

tn_status ng_compute(const tn_noble_gas *pot, const tn_neighbors *nl, ng_work *work,
                     const int32_t *species, const double (*pos)[3], int n_atoms,
                     const double cell[3][3], double volume, double *energy, double (*forces)[3],
                     double stress[3][3], double *atom_energies, char *err, size_t err_len) {
  ng_acc acc = {0.0, forces, atom_energies, {{0}}};
  if (forces) memset(forces, 0, (size_t)n_atoms * sizeof *forces);
  if (atom_energies) memset(atom_energies, 0, (size_t)n_atoms * sizeof *atom_energies);
  tn_status st = pair_terms(&acc, pot, nl, species, pos, cell, err, err_len);
  if (st == TN_STATUS_OK && pot->triple_cutoff > 0.0)
    st = triple_terms(&acc, pot, nl, work, species, pos, n_atoms, cell, err, err_len);
  if (st != TN_STATUS_OK) return st;
  if (energy) *energy = acc.energy;
  /* ASE sign: sigma = (1/V) dE/d(strain), and under r -> (1 + strain) r
   * every interaction vector d moves by strain·d. */
  if (stress)
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) stress[a][b] = acc.virial[a][b] / volume;
  return TN_STATUS_OK;
}

/* Checks everything ng_compute takes on trust, builds nl, evaluates. */
static tn_status eval_checked(const tn_noble_gas *pot, tn_neighbors *nl, ng_work *work,
                              const int32_t *species, const double (*pos)[3], int n_atoms,
                              const double cell_in[3][3], const uint8_t pbc_in[3], double *energy,
                              double (*forces)[3], double stress[3][3], double *atom_energies,
                              char *err, size_t err_len) {
  if (!pot || !nl || n_atoms < 0 || (n_atoms > 0 && (!species || !pos)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "noble gas: missing potential, neighbor list, species or positions, or "
                   "negative atom count");
  tn_status st = ng_check_params(pot, err, err_len);
  if (st != TN_STATUS_OK) return st;
  double cell[3][3] = {{0}};
  uint8_t pbc[3] = {0, 0, 0};
  if (cell_in) memcpy(cell, cell_in, sizeof cell);
  if (pbc_in) memcpy(pbc, pbc_in, sizeof pbc);
  double volume = tn_cell_volume((const double(*)[3])cell);
  if (stress && !(pbc[0] && pbc[1] && pbc[2] && volume > 0.0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "noble gas: field 'stress': needs pbc on all three axes and a cell of "
                   "positive volume");
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      if (pbc[a] && !isfinite(cell[a][b]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "noble gas: field 'cell': row %d is not finite", a);
  for (int i = 0; i < n_atoms; i++) {
    if (slot_of(species[i]) < 0)
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "noble gas: atom %d: field 'species': %d is not Ar (18) or Kr (36)", i,
                     (int)species[i]);
    if (!isfinite(pos[i][0]) || !isfinite(pos[i][1]) || !isfinite(pos[i][2]))
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "noble gas: atom %d: field 'pos': not finite", i);
  }
  st = tn_neighbors_build(nl, pos, n_atoms, (const double(*)[3])cell, pbc, ng_reach(pot));
  if (st != TN_STATUS_OK)
    return tn_fail(err, err_len, st, "noble gas: neighbor list: %s",
                   nl->errmsg[0] ? nl->errmsg : tn_status_str(st));
  return ng_compute(pot, nl, work, species, pos, n_atoms, (const double(*)[3])cell, volume, energy,
                    forces, stress, atom_energies, err, err_len);
}

tn_status tn_noble_gas_eval(const tn_noble_gas *pot, tn_neighbors *nl, const int32_t *species,
                            const double (*pos)[3], int n_atoms, const double cell[3][3],
                            const uint8_t pbc[3], double *energy, double (*forces)[3],
                            double stress[3][3], double *atom_energies, char *err, size_t err_len) {
  ng_work work = {0, NULL, NULL, NULL};
  tn_status st = eval_checked(pot, nl, &work, species, pos, n_atoms, cell, pbc, energy, forces,
                              stress, atom_energies, err, err_len);
  ng_work_release(&work);
  return st;
}
