/* Data sets, columns, truncation, subsets, splits and the RNG. */
#include <math.h>
#include <string.h>

#include "harness.h"

static tn_status add_frame(tn_dataset *ds, int n, double e, int with_energies, const char *tag) {
  int32_t species[8];
  double pos[8][3], energies[8], forces[8][3];
  for (int i = 0; i < n; i++) {
    species[i] = i % 2 ? 1 : 8;
    energies[i] = e / n;
    for (int k = 0; k < 3; k++) pos[i][k] = i + 0.1 * k, forces[i][k] = -pos[i][k];
  }
  tn_frame_column cols[4] = {
      {TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &e, NULL},
      {TN_LABEL_FORCES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 3, &forces[0][0], NULL},
      {"tag", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_STRING, 0, NULL, tag},
      {TN_LABEL_ENERGIES, TN_COLUMN_SCOPE_ATOM, TN_COLUMN_TYPE_REAL, 1, energies, NULL},
  };
  tn_frame f = {n,
                species,
                (const double(*)[3])pos,
                {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}},
                {1, 1, 0},
                with_energies ? 4 : 3,
                cols};
  return tn_dataset_append(ds, &f);
}

static void test_append_and_columns(void) {
  tn_dataset *ds = tn_dataset_create();
  CHECK(ds != NULL);
  for (int k = 0; k < 100; k++) CHECK_OK(add_frame(ds, 1 + k % 8, -k, k >= 50, k % 3 ? "a" : "bb"));
  CHECK(ds->n_frames == 100);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *ea = tn_dataset_column(ds, TN_LABEL_ENERGIES);
  const tn_column *tag = tn_dataset_column(ds, "tag");
  CHECK(e && ea && tag);
  if (!e || !ea || !tag) goto done;
  CHECK(e->values[42] == -42.0);
  CHECK(!ea->present[49] && ea->present[50]);
  CHECK(tn_column_row(ea, ds->atom_start[49])[0] == 0.0); /* absent rows are zero */
  CHECK_NEAR(tn_column_row(ea, ds->atom_start[51])[0], -51.0 / (1 + 51 % 8), 1e-15, 0);
  CHECK(strcmp(tn_column_text(tag, 3), "bb") == 0 && strcmp(tn_column_text(tag, 4), "a") == 0);
  tn_frame f;
  tn_dataset_frame(ds, 7, &f);
  CHECK(f.n_atoms == 8 && f.species[1] == 1 && f.pos[7][2] == 7.2 && f.pbc[2] == 0);

  /* A column that changes width is refused and leaves ds unchanged. */
  double bad[2] = {1, 2};
  tn_frame_column c = {TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 2, bad, NULL};
  tn_frame g = f;
  g.n_columns = 1;
  g.columns = &c;
  CHECK(tn_dataset_append(ds, &g) == TN_STATUS_BAD_INPUT);
  CHECK(ds->n_frames == 100);
  CHECK(strstr(tn_dataset_errmsg(ds), "energy") != NULL);

  tn_dataset_truncate(ds, 40);
  CHECK(ds->n_frames == 40 && tn_dataset_column(ds, TN_LABEL_ENERGIES) == NULL);
  CHECK_OK(add_frame(ds, 3, 1.5, 1, "c"));
  tag = tn_dataset_column(ds, "tag");
  CHECK(strcmp(tn_column_text(tag, 40), "c") == 0);
done:
  tn_dataset_free(ds);
}

/* A first frame without atoms leaves the atom arrays unallocated. */
static void test_empty_first_frame(void) {
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(add_frame(ds, 0, 0.5, 1, "empty"));
  CHECK_OK(add_frame(ds, 3, 1.5, 1, "three"));
  CHECK(ds->n_frames == 2 && ds->n_atoms == 3 && ds->atom_start[1] == 0);
  CHECK(tn_dataset_column(ds, TN_LABEL_FORCES)->values[2] == -0.2);
  tn_dataset_free(ds);
}

static void test_subset(void) {
  tn_dataset *a = tn_dataset_create(), *b = tn_dataset_create();
  for (int k = 0; k < 10; k++) CHECK_OK(add_frame(a, 2 + k % 3, k, k % 2, "x"));
  int64_t which[3] = {9, 0, 4};
  CHECK_OK(tn_dataset_append_subset(b, a, which, 3));
  CHECK(b->n_frames == 3 && b->n_atoms == (2 + 0) + 2 + (2 + 1));
  CHECK(tn_dataset_column(b, TN_LABEL_ENERGY)->values[0] == 9.0);
  CHECK(tn_dataset_column(b, TN_LABEL_ENERGIES)->present[0] == 1);
  CHECK(tn_dataset_column(b, TN_LABEL_ENERGIES)->present[1] == 0);
  tn_dataset *c = tn_dataset_create();
  int64_t same[3] = {9, 0, 4};
  CHECK_OK(tn_dataset_append_subset(c, a, same, 3));
  CHECK(tn_dataset_equal(b, c) && !tn_dataset_equal(a, b));
  double *v = &((tn_column *)tn_dataset_column(c, TN_LABEL_FORCES))->values[4];
  *v = nextafter(*v, INFINITY); /* one ulp off */
  CHECK(!tn_dataset_equal(b, c));
  tn_dataset_free(c);
  int64_t bad = 10;
  CHECK(tn_dataset_append_subset(b, a, &bad, 1) == TN_STATUS_INVALID_ARG);
  CHECK(b->n_frames == 3);
  tn_dataset_free(a);
  tn_dataset_free(b);
}

static void test_split_roundtrip(void) {
  tn_split s, t;
  CHECK_OK(tn_split_make(&s, 1000, 0.8, 0.1, 0.1, 42));
  CHECK(s.n_train == 800 && s.n_val == 100 && s.n_test == 100);
  int seen[1000] = {0};
  for (int64_t k = 0; k < 1000; k++) seen[s.train[k]]++;
  int all_once = 1;
  for (int k = 0; k < 1000; k++) all_once &= seen[k] == 1;
  CHECK(all_once);
  const char *path = harness_tmp("split.txt");
  char err[256];
  CHECK_OK(tn_split_save(&s, path, err, sizeof err));
  CHECK_OK(tn_split_load(&t, path, err, sizeof err));
  CHECK(t.n_frames == 1000 && t.seed == 42 && t.n_val == 100);
  CHECK(memcmp(s.train, t.train, 1000 * sizeof *s.train) == 0);
  tn_split u;
  CHECK_OK(tn_split_make(&u, 1000, 0.8, 0.1, 0.1, 42));
  CHECK(memcmp(s.train, u.train, 1000 * sizeof *s.train) == 0); /* same seed, same split */
  tn_split_free(&u);
  CHECK_OK(tn_split_make(&u, 1000, 0.8, 0.1, 0.1, 43));
  CHECK(memcmp(s.train, u.train, 800 * sizeof *s.train) != 0);
  tn_split_free(&u);
  CHECK(tn_split_make(&u, 10, 0.8, 0.3, 0.0, 1) == TN_STATUS_INVALID_ARG);

  /* A repeated index is refused with the line that holds it. */
  FILE *f = fopen(path, "w");
  fprintf(f, "# tanne split v1\nframes 4\nseed 1\ntrain 2\n0 1\nval 1\n1\ntest 0\n");
  fclose(f);
  CHECK(tn_split_load(&u, path, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, ":7:") != NULL);
  CHECK(tn_split_load(&u, harness_tmp("absent"), err, sizeof err) == TN_STATUS_IO);
  tn_split_free(&s);
  tn_split_free(&t);
}

static void test_rng(void) {
  tn_rng r;
  tn_rng_seed(&r, 7);
  double sum = 0, sum2 = 0;
  int n = 200000;
  for (int k = 0; k < n; k++) {
    double x = tn_rng_normal(&r);
    sum += x;
    sum2 += x * x;
  }
  CHECK_NEAR(sum / n, 0.0, 0, 0.01);
  CHECK_NEAR(sum2 / n, 1.0, 0.01, 0);
  double u = tn_rng_uniform(&r);
  CHECK(u >= 0 && u < 1);
}

static void test_elements_units(void) {
  CHECK(tn_element_number("Ar") == 18 && tn_element_number("Kr") == 36);
  CHECK(tn_element_number("Xx") == 0 && tn_element_symbol(0) == NULL);
  CHECK(strcmp(tn_element_symbol(8), "O") == 0);
  CHECK_NEAR(tn_element_mass(18), 39.948, 1e-12, 0);
  CHECK_NEAR(tn_energy_unit("kcal/mol"), 0.0433641, 1e-6, 0);
  CHECK_NEAR(tn_energy_unit("Hartree"), 27.211386, 1e-7, 0);
  CHECK_NEAR(tn_length_unit("Bohr"), 0.529177, 1e-6, 0);
  CHECK(tn_energy_unit("furlong") == 0.0);
  for (int s = TN_STATUS_OK; s <= TN_STATUS_COMM; s++)
    CHECK(strcmp(tn_status_str((tn_status)s), "unknown status") != 0);
}

int main(void) {
  RUN(test_append_and_columns);
  RUN(test_empty_first_frame);
  RUN(test_subset);
  RUN(test_split_roundtrip);
  RUN(test_rng);
  RUN(test_elements_units);
  return harness_finish();
}
