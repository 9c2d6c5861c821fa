/* Error metrics against direct two-pass formulas. */
#include <math.h>
#include <string.h>

#include "harness.h"

#define N_RANDOM 10000

/* References 1e5 + 2 N(0,1), predictions off by 0.05 + 0.1 N(0,1): the
 * regime of total energies, where sum(ref^2) - n mean^2 would lose about
 * ten of the sixteen digits. */
static void make_data(double *pred, double *ref, int n, uint64_t seed) {
  tn_rng rng;
  tn_rng_seed(&rng, seed);
  for (int i = 0; i < n; i++) {
    ref[i] = 1e5 + 2.0 * tn_rng_normal(&rng);
    pred[i] = ref[i] + 0.05 + 0.1 * tn_rng_normal(&rng);
  }
}

static void test_against_two_pass(void) {
  static double pred[N_RANDOM], ref[N_RANDOM];
  make_data(pred, ref, N_RANDOM, 7);
  tn_error_stats s = {0};
  for (int i = 0; i < N_RANDOM; i++) tn_error_stats_add(&s, pred[i], ref[i]);

  double mean = 0, ss_tot = 0, ss_res = 0, sum_abs = 0, max_abs = 0;
  for (int i = 0; i < N_RANDOM; i++) mean += ref[i];
  mean /= N_RANDOM;
  for (int i = 0; i < N_RANDOM; i++) {
    double d = pred[i] - ref[i];
    ss_tot += (ref[i] - mean) * (ref[i] - mean);
    ss_res += d * d;
    sum_abs += fabs(d);
    max_abs = fmax(max_abs, fabs(d));
  }
  CHECK(s.n == N_RANDOM);
  CHECK_NEAR(tn_error_stats_mae(&s), sum_abs / N_RANDOM, 1e-12, 0);
  CHECK_NEAR(tn_error_stats_rmse(&s), sqrt(ss_res / N_RANDOM), 1e-12, 0);
  CHECK(s.max_abs == max_abs);
  CHECK_NEAR(s.ref_mean, mean, 1e-14, 0);
  CHECK_NEAR(s.ref_m2, ss_tot, 1e-10, 0);
  double r2 = 1.0 - ss_res / ss_tot;
  CHECK_NEAR(tn_error_stats_r2(&s), r2, 1e-12, 0);
  /* Sanity of the data itself: spread 2, error ~0.11, so R^2 ~ 1 - 0.0125/4. */
  CHECK(r2 > 0.99 && r2 < 0.999);
}

static void expect_same(const tn_error_stats *a, const tn_error_stats *b) {
  CHECK(a->n == b->n);
  CHECK_NEAR(a->sum_abs, b->sum_abs, 1e-12, 0);
  CHECK_NEAR(a->sum_sq, b->sum_sq, 1e-12, 0);
  CHECK(a->max_abs == b->max_abs);
  CHECK_NEAR(a->ref_mean, b->ref_mean, 1e-14, 0);
  /* A running mean near 1e5 carries about sqrt(n) ulp(1e5) / 2 ~ 5e-10 of
   * rounding, and the merge term delta^2 n_a n_b / n (delta ~ 3 here)
   * scales it to ~1e-10 of M2. The textbook one-pass formula is off by
   * ~1e-5 here, so 1e-9 still tells them apart. */
  CHECK_NEAR(a->ref_m2, b->ref_m2, 1e-9, 0);
  CHECK_NEAR(tn_error_stats_r2(a), tn_error_stats_r2(b), 1e-12, 0);
}

static void test_merge(void) {
  static double pred[N_RANDOM], ref[N_RANDOM];
  make_data(pred, ref, N_RANDOM, 11);
  /* Chunks of unequal size, one of them empty, with different means (the
   * offsets make the delta^2 term of the merge matter). */
  int cut[5] = {0, 17, 17, 6000, N_RANDOM};
  for (int i = cut[1]; i < cut[3]; i++) ref[i] += 3.0, pred[i] += 3.0;
  tn_error_stats whole = {0}, parts[4], merged = {0};
  memset(parts, 0, sizeof parts);
  for (int i = 0; i < N_RANDOM; i++) tn_error_stats_add(&whole, pred[i], ref[i]);
  for (int c = 0; c < 4; c++)
    for (int i = cut[c]; i < cut[c + 1]; i++) tn_error_stats_add(&parts[c], pred[i], ref[i]);
  CHECK(parts[1].n == 0);
  for (int c = 0; c < 4; c++) tn_error_stats_merge(&merged, &parts[c]);
  expect_same(&merged, &whole);

  /* Another order and grouping: (3 + 2) + (1 + 0). */
  tn_error_stats left = parts[3], right = parts[1];
  tn_error_stats_merge(&left, &parts[2]);
  tn_error_stats_merge(&right, &parts[0]);
  tn_error_stats_merge(&left, &right);
  expect_same(&left, &whole);

  /* Merging an empty one changes nothing, bit for bit. */
  tn_error_stats before = whole, empty = {0};
  tn_error_stats_merge(&whole, &empty);
  CHECK(memcmp(&before, &whole, sizeof whole) == 0);
}

static void test_exact_small(void) {
  /* Errors 0, 1, -2; references 1, 1, 5 with mean 7/3 and SS_tot 32/3, so
   * MAE 1, RMSE sqrt(5/3), max 2 and R^2 = 1 - 5 / (32/3) = 17/32. */
  double pred[3] = {1, 2, 3}, ref[3] = {1, 1, 5};
  tn_error_stats s = {0};
  for (int i = 0; i < 3; i++) tn_error_stats_add(&s, pred[i], ref[i]);
  CHECK(tn_error_stats_mae(&s) == 1.0);
  CHECK_NEAR(tn_error_stats_rmse(&s), sqrt(5.0 / 3.0), 1e-15, 0);
  CHECK(s.max_abs == 2.0);
  CHECK_NEAR(s.ref_m2, 32.0 / 3.0, 1e-15, 0);
  CHECK_NEAR(tn_error_stats_r2(&s), 17.0 / 32.0, 1e-15, 0);
}

static void test_edge_cases(void) {
  tn_error_stats s = {0};
  CHECK(isnan(tn_error_stats_mae(&s)) && isnan(tn_error_stats_rmse(&s)));
  CHECK(isnan(tn_error_stats_r2(&s)));

  tn_error_stats_add(&s, 2.5, 1.0);
  CHECK(tn_error_stats_mae(&s) == 1.5 && tn_error_stats_rmse(&s) == 1.5 && s.max_abs == 1.5);
  CHECK(isnan(tn_error_stats_r2(&s))); /* n < 2 */

  /* All references equal: SS_tot is zero and R^2 undefined. */
  tn_error_stats c = {0};
  for (int i = 0; i < 5; i++) tn_error_stats_add(&c, i, -1e5);
  CHECK(c.ref_m2 == 0.0 && isnan(tn_error_stats_r2(&c)));

  /* Perfect predictions far from zero: R^2 exactly 1, errors exactly 0. */
  tn_error_stats p = {0};
  for (int i = 0; i < 100; i++) tn_error_stats_add(&p, -1e5 + 0.01 * i, -1e5 + 0.01 * i);
  CHECK(tn_error_stats_r2(&p) == 1.0 && tn_error_stats_mae(&p) == 0.0 && p.max_abs == 0.0);

  /* A NaN prediction is not hidden: every metric becomes NaN. */
  tn_error_stats_add(&p, NAN, 1.0);
  CHECK(isnan(tn_error_stats_mae(&p)) && isnan(tn_error_stats_rmse(&p)) && isnan(p.max_abs));
  CHECK(isnan(tn_error_stats_r2(&p)));
  tn_error_stats q = {0};
  tn_error_stats_add(&q, 0, 1);
  tn_error_stats_add(&q, 0, 2);
  tn_error_stats_merge(&q, &p);
  CHECK(isnan(q.max_abs) && isnan(tn_error_stats_r2(&q)));
}

int main(void) {
  RUN(test_against_two_pass);
  RUN(test_merge);
  RUN(test_exact_small);
  RUN(test_edge_cases);
  return harness_finish();
}
