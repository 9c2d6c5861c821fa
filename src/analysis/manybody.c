/* The many-body expansion of a model's energy over singles, pairs and
 * triples of one frame (definitions, conventions and cost: manybody.h). */
#include <math.h>
#include <string.h>

#include "manybody.h"

mb_options mb_options_default(void) {
  mb_options o = {5.0, 4.0, 0, 1};
  return o;
}

void mb_result_free(mb_result *r) {
  if (!r) return;
  free(r->e1);
  free(r->pairs);
  free(r->triples);
  memset(r, 0, sizeof *r);
}

/* Everything one expansion carries around. */
typedef struct mb_run {
  mb_energy_fn fn;
  void *ctx;
  const tn_frame *frame;
  mb_lattice lat;
  double (*vec)[3];           /* [n_pairs] mic(p_j - p_i) of each pair, Å */
  int64_t *first;             /* [n_atoms + 1] pairs of atom i: [first[i], first[i + 1]) */
  int64_t pairs_cap, vec_cap; /* of out->pairs and vec */
  mb_result *out;
  char *err;
  size_t err_len;
} mb_run;

/* Energy of the isolated cluster of atoms[0..n) at positions pos (eV). A
 * failure names the fragment's atoms. */
static tn_status fragment_energy(mb_run *run, const int32_t *atoms, int n, const double (*pos)[3],
                                 double *energy) {
  int32_t species[3];
  for (int a = 0; a < n; a++) species[a] = run->frame->species[atoms[a]];
  tn_frame frag = {n, species, pos, {{0}}, {0, 0, 0}, 0, NULL};
  char msg[400] = "";
  double e = NAN;
  tn_status st = run->fn(run->ctx, &frag, &e, msg, sizeof msg);
  run->out->n_evals++;
  char who[64];
  if (n == 1)
    snprintf(who, sizeof who, "atom %d", (int)atoms[0]);
  else if (n == 2)
    snprintf(who, sizeof who, "atoms %d, %d", (int)atoms[0], (int)atoms[1]);
  else
    snprintf(who, sizeof who, "atoms %d, %d, %d", (int)atoms[0], (int)atoms[1], (int)atoms[2]);
  if (st != TN_STATUS_OK)
    return tn_fail(run->err, run->err_len, st, "many-body: fragment (%s): %s", who,
                   msg[0] ? msg : tn_status_str(st));
  if (!isfinite(e))
    return tn_fail(run->err, run->err_len, TN_STATUS_BAD_INPUT,
                   "many-body: fragment (%s): field 'energy': not finite (%g)", who, e);
  *energy = e;
  return TN_STATUS_OK;
}

static tn_status check_args(const mb_energy_fn fn, const tn_frame *frame, const mb_options *opt,
                            char *err, size_t err_len) {
  if (!fn || !frame || !opt)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "many-body: missing energy function, frame or options");
  if (frame->n_atoms < 0 || (frame->n_atoms > 0 && (!frame->species || !frame->pos)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "many-body: field 'n_atoms': negative, or atoms without species or positions");
  if (!(opt->r2 > 0.0 && isfinite(opt->r2)))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "many-body: field 'r2': the pair cutoff must be a positive length (got %g Å)",
                   opt->r2);
  if (!(opt->r3 >= 0.0 && opt->r3 <= opt->r2))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "many-body: field 'r3': the triple cutoff must be in [0, r2 = %g] Å (got %g)",
                   opt->r2, opt->r3);
  if (opt->max_triples < 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "many-body: field 'max_triples': must be >= 0 (0 = all), got %lld",
                   (long long)opt->max_triples);
  for (int i = 0; i < frame->n_atoms; i++)
    for (int x = 0; x < 3; x++)
      if (!isfinite(frame->pos[i][x]))
        return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                       "many-body: atom %d: field 'pos': not finite", i);
  return TN_STATUS_OK;
}

/* Pairs (i < j) within r2 by minimum image, O(N^2), with their vectors, in
 * (i, j) order; then E2 of each. */
static tn_status find_pairs(mb_run *run, double r2) {
  const tn_frame *f = run->frame;
  mb_result *out = run->out;
  for (int i = 0; i < f->n_atoms; i++) {
    run->first[i] = out->n_pairs;
    for (int j = i + 1; j < f->n_atoms; j++) {
      double d[3] = {f->pos[j][0] - f->pos[i][0], f->pos[j][1] - f->pos[i][1],
                     f->pos[j][2] - f->pos[i][2]};
      double m[3];
      mb_min_image(&run->lat, d, m);
      double r = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
      if (!(r < r2)) continue;
      if (tn_grow((void **)&out->pairs, &run->pairs_cap, out->n_pairs + 1, sizeof *out->pairs) ||
          tn_grow((void **)&run->vec, &run->vec_cap, out->n_pairs + 1, sizeof *run->vec))
        return tn_fail(run->err, run->err_len, TN_STATUS_NO_MEMORY,
                       "many-body: out of memory for %lld pairs", (long long)out->n_pairs + 1);
      mb_pair *p = &out->pairs[out->n_pairs];
      p->i = i, p->j = j, p->r = r, p->e2 = 0.0;
      memcpy(run->vec[out->n_pairs], m, sizeof m);
      out->n_pairs++;
    }
  }
  run->first[f->n_atoms] = out->n_pairs;
  for (int64_t p = 0; p < out->n_pairs; p++) {
    mb_pair *q = &out->pairs[p];
    int32_t atoms[2] = {q->i, q->j};
    double pos[2][3], e;
    memcpy(pos[0], f->pos[q->i], sizeof pos[0]);
    for (int x = 0; x < 3; x++) pos[1][x] = pos[0][x] + run->vec[p][x];
    tn_status st = fragment_energy(run, atoms, 2, (const double(*)[3])pos, &e);
    if (st != TN_STATUS_OK) return st;
    /* E2(i,j) = E({i,j}) - E1(i) - E1(j) */
    q->e2 = e - out->e1[q->i] - out->e1[q->j];
  }
  return TN_STATUS_OK;
}

/* The listed pair (j, k), j < k, or -1. */
static int64_t pair_index(const mb_run *run, int32_t j, int32_t k) {
  int64_t lo = run->first[j], hi = run->first[j + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (run->out->pairs[mid].j < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < run->first[j + 1] && run->out->pairs[lo].j == k ? lo : -1;
}

/* E2 of the side (j, k) of a triple placed at pj, pk (Å): the listed pair's
 * when the triple holds it as its minimum image (always, unless the cell is
 * smaller than twice the cutoffs), else evaluated as placed. */
static tn_status side_e2(mb_run *run, int32_t j, int32_t k, const double pj[3], const double pk[3],
                         double *e2) {
  int64_t p = pair_index(run, j, k);
  if (p >= 0) {
    const double *v = run->vec[p];
    double dev = 0.0;
    for (int x = 0; x < 3; x++) dev += fabs(pk[x] - pj[x] - v[x]);
    if (dev <= 1e-9 * (1.0 + run->out->pairs[p].r)) {
      *e2 = run->out->pairs[p].e2;
      return TN_STATUS_OK;
    }
  }
  int32_t atoms[2] = {j, k};
  double pos[2][3], e;
  memcpy(pos[0], pj, sizeof pos[0]);
  memcpy(pos[1], pk, sizeof pos[1]);
  tn_status st = fragment_energy(run, atoms, 2, (const double(*)[3])pos, &e);
  if (st != TN_STATUS_OK) return st;
  *e2 = e - run->out->e1[j] - run->out->e1[k];
  return TN_STATUS_OK;
}

/* Evaluates the triple of pairs a = (i, j) and b = (i, k) into t. */
static tn_status eval_triple(mb_run *run, int64_t a, int64_t b, double r_jk, mb_triple *t) {
  const mb_result *out = run->out;
  int32_t i = out->pairs[a].i, j = out->pairs[a].j, k = out->pairs[b].j;
  int32_t atoms[3] = {i, j, k};
  double pos[3][3], e, e2_jk;
  memcpy(pos[0], run->frame->pos[i], sizeof pos[0]);
  for (int x = 0; x < 3; x++) {
    pos[1][x] = pos[0][x] + run->vec[a][x];
    pos[2][x] = pos[0][x] + run->vec[b][x];
  }
  tn_status st = fragment_energy(run, atoms, 3, (const double(*)[3])pos, &e);
  if (st == TN_STATUS_OK) st = side_e2(run, j, k, pos[1], pos[2], &e2_jk);
  if (st != TN_STATUS_OK) return st;
  t->i = i, t->j = j, t->k = k;
  t->r_ij = out->pairs[a].r, t->r_ik = out->pairs[b].r, t->r_jk = r_jk;
  t->perimeter = t->r_ij + t->r_ik + t->r_jk;
  /* E3 = E({i,j,k}) - E2(i,j) - E2(i,k) - E2(j,k) - E1(i) - E1(j) - E1(k) */
  t->e3 = e - out->pairs[a].e2 - out->pairs[b].e2 - e2_jk - out->e1[i] - out->e1[j] - out->e1[k];
  return TN_STATUS_OK;
}

/* Walks the triples in (i, j, k) order: counts them (rng NULL), or
 * evaluates those that selection sampling keeps. Algorithm S (Knuth, TAOCP
 * vol. 2, 3.4.2) keeps the t-th of `total` with probability
 * (wanted - kept) / (total - t): every subset of size `wanted` equally
 * likely, in one pass, without storing the triples. */
static tn_status walk_triples(mb_run *run, double r3, int64_t *count, tn_rng *rng, int64_t total,
                              int64_t wanted) {
  const tn_frame *f = run->frame;
  mb_result *out = run->out;
  int64_t seen = 0;
  for (int i = 0; i < f->n_atoms; i++)
    for (int64_t a = run->first[i]; a < run->first[i + 1]; a++) {
      if (!(out->pairs[a].r < r3)) continue;
      for (int64_t b = a + 1; b < run->first[i + 1]; b++) {
        if (!(out->pairs[b].r < r3)) continue;
        double d[3];
        for (int x = 0; x < 3; x++) d[x] = run->vec[b][x] - run->vec[a][x];
        double r_jk = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (!(r_jk < r3)) continue;
        int64_t t = seen++;
        if (!rng) continue;
        int64_t need = wanted - out->n_triples;
        if (need <= 0) continue;
        /* Once every remaining triple is needed, keep it outright (the
         * product below could round up to total - t). */
        if (need < total - t && (double)(total - t) * tn_rng_uniform(rng) >= (double)need) continue;
        tn_status st = eval_triple(run, a, b, r_jk, &out->triples[out->n_triples]);
        if (st != TN_STATUS_OK) return st;
        out->n_triples++;
      }
    }
  if (count) *count = seen;
  return TN_STATUS_OK;
}

tn_status mb_expand(mb_result *out, mb_energy_fn fn, void *ctx, const tn_frame *frame,
                    const mb_options *opt, char *err, size_t err_len) {
  if (!out) return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "many-body: missing result");
  memset(out, 0, sizeof *out);
  tn_status st = check_args(fn, frame, opt, err, err_len);
  if (st != TN_STATUS_OK) return st;
  mb_run run = {fn, ctx, frame, {0}, NULL, NULL, 0, 0, out, err, err_len};
  st = mb_lattice_init(&run.lat, frame, err, err_len);
  if (st != TN_STATUS_OK) return st;
  int n = frame->n_atoms;
  out->n_atoms = n;
  out->e1 = calloc((size_t)n + 1, sizeof *out->e1);
  run.first = calloc((size_t)n + 1, sizeof *run.first);
  if (!out->e1 || !run.first) {
    st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "many-body: out of memory for %d atoms", n);
    goto fail;
  }
  double max_r = opt->r2 > opt->r3 ? opt->r2 : opt->r3;
  out->cell_too_small = run.lat.periodic && max_r >= run.lat.half_width;

  char msg[400] = "";
  double e = NAN;
  st = fn(ctx, frame, &e, msg, sizeof msg);
  out->n_evals++;
  if (st != TN_STATUS_OK) {
    st = tn_fail(err, err_len, st, "many-body: whole frame: %s", msg[0] ? msg : tn_status_str(st));
    goto fail;
  }
  if (!isfinite(e)) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "many-body: whole frame: field 'energy': not finite (%g)", e);
    goto fail;
  }
  out->energy = e;

  for (int32_t i = 0; i < n; i++) {
    /* E1(i) = E({i}); a single atom needs no image. */
    st = fragment_energy(&run, &i, 1, &frame->pos[i], &out->e1[i]);
    if (st != TN_STATUS_OK) goto fail;
  }
  st = find_pairs(&run, opt->r2);
  if (st != TN_STATUS_OK) goto fail;

  if (opt->r3 > 0.0) {
    st = walk_triples(&run, opt->r3, &out->n_triples_total, NULL, 0, 0);
    if (st != TN_STATUS_OK) goto fail;
    int64_t wanted = out->n_triples_total;
    if (opt->max_triples > 0 && wanted > opt->max_triples) wanted = opt->max_triples;
    if (wanted > 0) {
      out->triples = calloc((size_t)wanted, sizeof *out->triples);
      if (!out->triples) {
        st = tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "many-body: out of memory for %lld triples",
                     (long long)wanted);
        goto fail;
      }
      tn_rng rng;
      tn_rng_seed(&rng, opt->seed);
      st = walk_triples(&run, opt->r3, NULL, &rng, out->n_triples_total, wanted);
      if (st != TN_STATUS_OK) goto fail;
      TN_ASSERT(out->n_triples == wanted);
    }
    out->triples_sampled = out->n_triples < out->n_triples_total;
  }

  for (int i = 0; i < n; i++) out->sum1 += out->e1[i];
  for (int64_t p = 0; p < out->n_pairs; p++) out->sum2 += out->pairs[p].e2;
  for (int64_t t = 0; t < out->n_triples; t++) out->sum3 += out->triples[t].e3;
  out->share3 = out->n_triples > 0
                    ? out->sum3 * ((double)out->n_triples_total / (double)out->n_triples)
                    : 0.0;
  out->remainder = out->energy - out->sum1 - out->sum2 - out->share3;
  free(run.vec);
  free(run.first);
  return TN_STATUS_OK;
fail:
  free(run.vec);
  free(run.first);
  mb_result_free(out);
  return st;
}
