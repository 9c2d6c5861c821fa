/* The n2p2 / RuNNer input.data reader: the example sets shipped with n2p2,
 * unit conversion, and every way a file can be malformed. */
#include <string.h>

#include "../src/io/io.h"
#include "harness.h"

static const tn_read_options as_given = {TN_FORMAT_N2P2, 1.0, 1.0};

/* Reads text through the buffer entry point (what the fuzz target drives). */
static tn_status read_text(tn_dataset *ds, const char *text) {
  return n2p2_read_buffer(ds, "t.data", text, strlen(text), &as_given);
}

/* Expects text to fail with status want and a message holding both needles
 * (the second may be NULL). */
static void expect_fail(const char *text, tn_status want, const char *needle, const char *needle2) {
  tn_dataset *ds = tn_dataset_create();
  tn_status st = read_text(ds, text);
  CHECK(st == want);
  const char *msg = tn_dataset_errmsg(ds);
  CHECK(strncmp(msg, "t.data:", 7) == 0);
  CHECK(strstr(msg, needle) != NULL);
  if (needle2) CHECK(strstr(msg, needle2) != NULL);
  if (st != want || !strstr(msg, needle) || (needle2 && !strstr(msg, needle2)))
    fprintf(stderr, "  message was: %s\n", msg);
  tn_dataset_free(ds);
}

static void test_cu2s(void) {
  const char *path = harness_data("n2p2/input.data.Cu2S_PBE");
  if (!path) SKIP("n2p2/input.data.Cu2S_PBE absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, &as_given));
  CHECK(ds->n_frames == 20 && ds->n_atoms == 20 * 144);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *f = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *q = tn_dataset_column(ds, "charge");
  const tn_column *tq = tn_dataset_column(ds, "total_charge");
  const tn_column *c = tn_dataset_column(ds, "comment");
  CHECK(e && f && q && tq && c);
  if (!e || !f || !q || !tq || !c) goto done;
  /* First atom: "atom 9.66279 1.04561 10.73808 S 0.0 0.0 0.107416 0.024235 -0.891279" */
  CHECK(ds->species[0] == 16);
  CHECK(ds->pos[0][0] == 9.66279 && ds->pos[0][1] == 1.04561 && ds->pos[0][2] == 10.73808);
  CHECK(f->values[0] == 0.107416 && f->values[1] == 0.024235 && f->values[2] == -0.891279);
  /* Last atom: "atom 0.79475 4.80215 2.38119 Cu 0.0 0.0 0.125964 0.706002 0.158111" */
  int64_t last = ds->n_atoms - 1;
  CHECK(ds->species[last] == 29);
  CHECK(ds->pos[last][0] == 0.79475 && ds->pos[last][2] == 2.38119);
  CHECK(tn_column_row(f, last)[1] == 0.706002);
  CHECK(e->values[0] == -567.404752 && e->values[1] == -565.024216);
  CHECK(e->values[19] == -566.729768);
  CHECK(tq->present[19] && tq->values[19] == 0.0 && q->values[5] == 0.0);
  CHECK(ds->cell[0][0][0] == 15.415349658 && ds->cell[0][1][1] == 12.016005204);
  CHECK(ds->cell[0][2][0] == -6.055885795 && ds->cell[0][2][2] == 12.226281044);
  CHECK(ds->pbc[0][0] && ds->pbc[0][1] && ds->pbc[0][2]);
  CHECK(strcmp(tn_column_text(c, 0), "source_file_name=OUTCAR_4_1") == 0);
done:
  tn_dataset_free(ds);
}

/* Water in Bohr and Hartree, read as given and converted. */
static void test_water_units(void) {
  const char *path = harness_data("n2p2/input.data.H2O_RPBE-D3");
  if (!path) SKIP("n2p2/input.data.H2O_RPBE-D3 absent");
  tn_dataset *raw = tn_dataset_create(), *si = tn_dataset_create();
  double L = tn_length_unit("Bohr"), E = tn_energy_unit("Hartree");
  tn_read_options opt = {TN_FORMAT_AUTO, E, L}; /* "input.data" in the name picks n2p2 */
  CHECK_OK(tn_dataset_read(raw, path, &as_given));
  CHECK_OK(tn_dataset_read(si, path, &opt));
  CHECK(raw->n_frames == 20 && raw->n_atoms == 2064 && si->n_atoms == 2064);
  CHECK(raw->atom_start[1] == 192 && raw->atom_start[2] == 240);
  const tn_column *e = tn_dataset_column(si, TN_LABEL_ENERGY);
  const tn_column *f = tn_dataset_column(si, TN_LABEL_FORCES);
  const tn_column *q = tn_dataset_column(si, "charge");
  const tn_column *c = tn_dataset_column(si, "comment");
  CHECK(e && f && q && c);
  if (!e || !f || !q || !c) goto done;
  /* "atom 3.735290838 2.327841157 3.501304856 O -0.226389360 0.000000000
   *  -0.006530137 -0.002852459 -0.027992554", "lattice 24.623508 0 0" */
  CHECK(raw->species[0] == 8 && raw->species[1] == 1);
  CHECK(raw->pos[0][0] == 3.735290838);
  CHECK(si->pos[0][0] == 3.735290838 * L && si->pos[0][2] == 3.501304856 * L);
  CHECK_NEAR(si->pos[0][0], 1.9766307876, 1e-10, 0);
  CHECK(f->values[0] == -0.006530137 * (E / L) && f->values[2] == -0.027992554 * (E / L));
  CHECK(q->values[0] == -0.226389360); /* charges stay raw */
  CHECK(e->values[0] == -4900.37328433 * E);
  CHECK_NEAR(e->values[0], -133345.95019, 1e-10, 0);
  CHECK(e->values[19] == -4900.14395256 * E);
  CHECK(si->cell[0][0][0] == 24.623508 * L && si->cell[0][0][1] == 0.0);
  CHECK(tn_dataset_column(raw, TN_LABEL_ENERGY)->values[0] == -4900.37328433);
  CHECK(strcmp(tn_column_text(c, 7), "written by RuNNerDecom") == 0);
  int64_t last = si->n_atoms - 1; /* "atom 5.641732350 10.325405299 20.696485297 H ..." */
  CHECK(si->species[last] == 1 && si->pos[last][1] == 10.325405299 * L);
done:
  tn_dataset_free(raw);
  tn_dataset_free(si);
}

/* Open neon dimers: no lattice, comment after the energy. */
static void test_lj(void) {
  const char *path = harness_data("n2p2/input.data.LJ");
  if (!path) SKIP("n2p2/input.data.LJ absent");
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, path, NULL));
  CHECK(ds->n_frames == 101 && ds->n_atoms == 202);
  CHECK(ds->species[0] == 10 && ds->species[201] == 10);
  CHECK(!ds->pbc[0][0] && !ds->pbc[100][2] && ds->cell[5][1][1] == 0.0);
  CHECK(ds->pos[3][0] == 5.83123772E-01);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *f = tn_dataset_column(ds, TN_LABEL_FORCES);
  const tn_column *c = tn_dataset_column(ds, "comment");
  CHECK(e && f && c && tn_dataset_column(ds, "total_charge") == NULL);
  if (!e || !f || !c) goto done;
  CHECK(e->values[1] == -2.18384040E-01 && e->values[100] == -6.15234375E-02);
  CHECK(f->values[0] == -1.38564065E+01 && tn_column_row(f, 201)[2] == -1.04870264E-01);
  CHECK(strcmp(tn_column_text(c, 0), "r =   1.00000000E+00, E =   0.00000000E+00, dEdr =  "
                                     "-2.40000000E+01") == 0);
done:
  tn_dataset_free(ds);
}

/* One 1080-atom box, and the eight structures of each n2p2 potential fixture,
 * appended to one data set. */
static void test_liquid_and_fixtures(void) {
  const char *liquid = harness_data("n2p2/input.data.H2O_1080_liquid");
  const char *cu2s = harness_data("../fixtures/n2p2/Cu2S_PBE/reference.data");
  const char *water = harness_data("../fixtures/n2p2/H2O_RPBE-D3/reference.data");
  if (!liquid || !cu2s || !water) SKIP("n2p2 liquid water or fixtures absent");
  tn_dataset *ds = tn_dataset_create();
  tn_read_options opt = {TN_FORMAT_N2P2, 0.0, 0.0}; /* 0: the defaults, as given */
  CHECK_OK(tn_dataset_read(ds, liquid, &opt));
  CHECK(ds->n_frames == 1 && ds->n_atoms == 1080);
  CHECK(ds->cell[0][1][1] == 4.4571144109503649E+01 && ds->pbc[0][1]);
  CHECK(ds->pos[0][0] == 3.3161137848673654E+01 && ds->species[0] == 8);
  CHECK(strcmp(tn_column_text(tn_dataset_column(ds, "comment"), 0),
               "Generated from -, TIMESTEP: 20000000") == 0);
  CHECK_OK(tn_dataset_read(ds, cu2s, &opt));
  CHECK(ds->n_frames == 9 && ds->n_atoms == 1080 + 8 * 144);
  CHECK(tn_dataset_column(ds, TN_LABEL_ENERGY)->values[8] == -565.036508);
  int64_t last = ds->n_atoms - 1; /* "atom 0.41048 4.73426 2.30406 Cu 0.0 0.0 0.156004 ..." */
  CHECK(ds->pos[last][0] == 0.41048 && ds->species[last] == 29);
  CHECK(tn_column_row(tn_dataset_column(ds, TN_LABEL_FORCES), last)[0] == 0.156004);
  CHECK_OK(tn_dataset_read(ds, water, &opt));
  CHECK(ds->n_frames == 17 && ds->n_atoms == 1080 + 8 * 144 + 192 + 7 * 48);
  CHECK(tn_dataset_column(ds, TN_LABEL_ENERGY)->values[16] == -1225.00422674);
  CHECK(ds->pos[ds->n_atoms - 1][2] == 2.007698747);
  tn_dataset_free(ds);
}

/* Blank lines, CRLF endings, indentation, a Fortran exponent, no trailing
 * newline, optional energy and charge, joined comments. */
static void test_lenient_forms(void) {
  tn_dataset *ds = tn_dataset_create();
  const char *text = "\r\n  begin\r\n"
                     "comment  first  part \r\n"
                     "\tatom 1.5D+00 0 0 H 0.25 0 1 2 3\r\n"
                     "comment second\r\n"
                     "energy -1.25d0\r\n"
                     "end\r\n\r\n"
                     "begin\natom 0 0 0 He 0 0 0 0 0\natom 1 0 0 He 0 0 0 0 0\ncharge -1\nend";
  CHECK_OK(read_text(ds, text));
  CHECK(ds->n_frames == 2 && ds->n_atoms == 3);
  const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *tq = tn_dataset_column(ds, "total_charge");
  const tn_column *c = tn_dataset_column(ds, "comment");
  const tn_column *q = tn_dataset_column(ds, "charge");
  CHECK(e && tq && c && q);
  if (!e || !tq || !c || !q) goto done;
  CHECK(ds->pos[0][0] == 1.5 && ds->species[0] == 1 && ds->species[2] == 2);
  CHECK(q->values[0] == 0.25 && q->values[1] == 0.0);
  CHECK(e->present[0] && e->values[0] == -1.25);
  CHECK(!e->present[1] && e->values[1] == 0.0); /* no energy line: absent, not zero-valued */
  CHECK(!tq->present[0] && tq->present[1] && tq->values[1] == -1.0);
  CHECK(strcmp(tn_column_text(c, 0), "first  part second") == 0);
  CHECK(tn_column_text(c, 1) == NULL);
done:
  tn_dataset_free(ds);
}

#define ATOM "atom 0 0 0 H 0 0 0 0 0\n"

static void test_bad_structure(void) {
  expect_fail(ATOM, TN_STATUS_BAD_INPUT, ":1:", "'atom' outside a begin/end block");
  expect_fail("comment x\n", TN_STATUS_BAD_INPUT, ":1:", "'comment' outside");
  expect_fail("begin\n" ATOM "end\nenergy 1\n", TN_STATUS_BAD_INPUT, ":4:", "'energy' outside");
  expect_fail("begin\n" ATOM, TN_STATUS_BAD_INPUT, ":2:", "begun on line 1 has no 'end'");
  expect_fail("begin\n" ATOM "begin\n" ATOM "end\n", TN_STATUS_BAD_INPUT,
              ":3:", "'begin' inside the structure begun on line 1");
  expect_fail("begin\nlattice 1 0 0\n" ATOM "end\n", TN_STATUS_BAD_INPUT,
              ":4:", "has 1 'lattice' line;");
  expect_fail("begin\nlattice 1 0 0\nlattice 0 1 0\n" ATOM "end\n", TN_STATUS_BAD_INPUT,
              ":5:", "has 2 'lattice' lines");
  expect_fail("begin\nlattice 1 0 0\nlattice 0 1 0\nlattice 0 0 1\nlattice 1 1 1\n",
              TN_STATUS_BAD_INPUT, ":5:", "a fourth 'lattice' line");
  expect_fail("begin\nend\n", TN_STATUS_BAD_INPUT, ":2:", "no 'atom' lines");
  expect_fail("", TN_STATUS_BAD_INPUT, ":0:", "no structures");
  expect_fail("\n\n  \n", TN_STATUS_BAD_INPUT, ":3:", "no structures");
  expect_fail("begin\nfoo 1 2\nend\n", TN_STATUS_BAD_INPUT, ":2:", "unknown keyword 'foo'");
  expect_fail("begin 1\n", TN_STATUS_BAD_INPUT, ":1:", "'begin' takes no fields");
  expect_fail("begin\n" ATOM "end now\n", TN_STATUS_BAD_INPUT, ":3:", "'end' takes no fields");
  expect_fail("begin\n" ATOM "energy 1\nenergy 2\nend\n", TN_STATUS_BAD_INPUT,
              ":4:", "a second 'energy' line in the structure begun on line 1");
  expect_fail("begin\n" ATOM "charge 0\ncharge 0\nend\n", TN_STATUS_BAD_INPUT,
              ":4:", "a second 'charge' line");
  static const char nul[] = "begin\n" ATOM "en\0d\n";
  tn_dataset *ds = tn_dataset_create();
  CHECK(n2p2_read_buffer(ds, "t.data", nul, sizeof nul - 1, &as_given) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "t.data:3: NUL byte") != NULL);
  tn_dataset_free(ds);
}

static void test_bad_fields(void) {
  expect_fail("begin\natom 0 0 0 H 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT,
              ":2:", "'atom' needs 9 fields (x y z element charge n fx fy fz), found 8");
  expect_fail("begin\natom 0 0 0 H 0 0 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT, ":2:", "found 10");
  expect_fail("begin\natom 0 0 0 H 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", TN_STATUS_BAD_INPUT,
              ":2:", "more than 15 fields");
  expect_fail("begin\natom 0 0 0 H 0 0 1.0 abc 0\nend\n", TN_STATUS_BAD_INPUT,
              ":2:", "field 'fy': 'abc' is not a finite number");
  expect_fail("begin\natom nan 0 0 H 0 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT, ":2:", "field 'x'");
  expect_fail("begin\natom 0 0 1e999 H 0 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT, ":2:", "field 'z'");
  expect_fail("begin\natom 0 0 0 H 0x 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT,
              ":2:", "field 'charge'");
  expect_fail("begin\natom 0 0 0 H 0 - 0 0 0\nend\n", TN_STATUS_BAD_INPUT, ":2:", "field 'n'");
  expect_fail("begin\natom 0 0 0 Xx 0 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT,
              ":2:", "field 'element': unknown element 'Xx'");
  expect_fail("begin\natom 0 0 0 h 0 0 0 0 0\nend\n", TN_STATUS_BAD_INPUT,
              ":2:", "unknown element 'h'");
  expect_fail("begin\nlattice 1 0 0\nlattice 0 one 0\n", TN_STATUS_BAD_INPUT, ":3:", "field 'by'");
  expect_fail("begin\nlattice 1 0\n", TN_STATUS_BAD_INPUT, ":2:", "'lattice' needs 3 fields");
  expect_fail("begin\n" ATOM "energy\nend\n", TN_STATUS_BAD_INPUT,
              ":3:", "'energy' needs 1 field (energy), found 0");
  expect_fail("begin\n" ATOM "energy 1 2\nend\n", TN_STATUS_BAD_INPUT, ":3:", "found 2");
  expect_fail("begin\n" ATOM "energy 1.0.0\nend\n", TN_STATUS_BAD_INPUT, ":3:", "field 'energy'");
  expect_fail("begin\n" ATOM "charge zero\nend\n", TN_STATUS_BAD_INPUT, ":3:", "field 'charge'");
}

/* A failed read through tn_dataset_read leaves the data set as it was; a
 * column clash with earlier frames is reported with the line. */
static void test_failure_leaves_dataset(void) {
  const char *good = harness_tmp("good.input.data");
  const char *bad = harness_tmp("bad.input.data");
  FILE *f = fopen(good, "w");
  fprintf(f, "begin\n%senergy -1\nend\n", ATOM);
  fclose(f);
  f = fopen(bad, "w");
  fprintf(f, "begin\n%senergy -2\nend\nbegin\n%senergy x\nend\n", ATOM, ATOM);
  fclose(f);
  tn_dataset *ds = tn_dataset_create();
  CHECK_OK(tn_dataset_read(ds, good, NULL));
  CHECK(tn_dataset_read(ds, bad, NULL) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "bad.input.data:7: field 'energy'") != NULL);
  CHECK(ds->n_frames == 1 && ds->n_atoms == 1);
  CHECK(tn_dataset_read(ds, harness_tmp("absent.input.data"), NULL) == TN_STATUS_IO);
  tn_dataset_free(ds);

  /* "comment" already holds numbers: the append is refused at the 'end' line. */
  ds = tn_dataset_create();
  int32_t z = 1;
  double pos[1][3] = {{0, 0, 0}}, one = 1.0;
  tn_frame_column col = {"comment", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &one, NULL};
  tn_frame fr = {1, &z, (const double(*)[3])pos, {{0}}, {0, 0, 0}, 1, &col};
  CHECK_OK(tn_dataset_append(ds, &fr));
  CHECK(read_text(ds, "begin\ncomment hi\n" ATOM "end\n") == TN_STATUS_BAD_INPUT);
  CHECK(strstr(tn_dataset_errmsg(ds), "t.data:4: column 'comment'") != NULL);
  tn_dataset_free(ds);
}

int main(void) {
  RUN(test_cu2s);
  RUN(test_water_units);
  RUN(test_lj);
  RUN(test_liquid_and_fixtures);
  RUN(test_lenient_forms);
  RUN(test_bad_structure);
  RUN(test_bad_fields);
  RUN(test_failure_leaves_dataset);
  return harness_finish();
}
