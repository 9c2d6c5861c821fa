/* The YAML training config: defaults, a file that sets every key, each kind
 * of error with its line, --set, and save/load round trips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/core.h"
#include "harness.h"

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

/* Field by field, doubles bit for bit (so -0.0 differs from 0.0). Listed
 * here by hand, independently of the table in config.c. */
static int config_same(const tn_train_config *a, const tn_train_config *b) {
  int same = 1;
#define SAME_STR(f)                                                                                \
  if (strcmp(a->f, b->f) != 0) same = 0, fprintf(stderr, "  differs: " #f "\n")
#define SAME_NUM(f)                                                                                \
  if (memcmp(&a->f, &b->f, sizeof a->f) != 0) same = 0, fprintf(stderr, "  differs: " #f "\n")
  SAME_STR(data.train);
  SAME_STR(data.validation);
  SAME_STR(data.test);
  SAME_STR(data.format);
  SAME_STR(data.energy_unit);
  SAME_STR(data.length_unit);
  SAME_NUM(data.n_train);
  SAME_NUM(data.n_val);
  SAME_NUM(data.n_test);
  SAME_STR(data.split);
  SAME_STR(data.atomic_energies);
  SAME_STR(model.type);
  SAME_NUM(model.features);
  SAME_NUM(model.interactions);
  SAME_NUM(model.n_basis);
  SAME_STR(model.basis);
  SAME_NUM(model.cutoff);
  SAME_STR(model.activation);
  SAME_NUM(loss.energy);
  SAME_NUM(loss.forces);
  SAME_NUM(loss.atomic_energies);
  SAME_NUM(loss.stress);
  SAME_STR(optimizer.name);
  SAME_NUM(optimizer.lr);
  SAME_NUM(optimizer.beta1);
  SAME_NUM(optimizer.beta2);
  SAME_NUM(optimizer.eps);
  SAME_NUM(optimizer.weight_decay);
  SAME_NUM(optimizer.clip_norm);
  SAME_NUM(optimizer.ema);
  SAME_STR(schedule.type);
  SAME_NUM(schedule.warmup_epochs);
  SAME_NUM(schedule.factor);
  SAME_NUM(schedule.patience);
  SAME_NUM(schedule.min_lr);
  SAME_NUM(schedule.decay_rate);
  SAME_NUM(schedule.decay_epochs);
  SAME_NUM(train.epochs);
  SAME_NUM(train.batch_size);
  SAME_NUM(train.early_stopping);
  SAME_NUM(train.threads);
  SAME_NUM(train.max_minutes);
  SAME_STR(output.dir);
  SAME_NUM(output.checkpoint_every);
  SAME_NUM(seed);
#undef SAME_STR
#undef SAME_NUM
  return same;
}

static void test_defaults(void) {
  tn_train_config c = tn_train_config_default();
  CHECK(strcmp(c.data.train, "") == 0 && strcmp(c.data.validation, "") == 0);
  CHECK(strcmp(c.data.test, "") == 0 && strcmp(c.data.split, "") == 0);
  CHECK(strcmp(c.data.format, "auto") == 0);
  CHECK(strcmp(c.data.energy_unit, "") == 0 && strcmp(c.data.length_unit, "") == 0);
  CHECK(c.data.n_train == 0 && c.data.n_val == 50 && c.data.n_test == 0);
  CHECK(strcmp(c.data.atomic_energies, "") == 0);
  CHECK(strcmp(c.model.type, "schnet") == 0 && c.model.features == 128);
  CHECK(c.model.interactions == 3 && c.model.n_basis == 20);
  CHECK(strcmp(c.model.basis, "auto") == 0 && c.model.cutoff == 5.0);
  CHECK(strcmp(c.model.activation, "auto") == 0 && c.model.shared_filters == 0);
  CHECK(c.loss.energy == 1.0 && c.loss.forces == 10.0);
  CHECK(c.loss.atomic_energies == 0.0 && c.loss.stress == 0.0);
  CHECK(strcmp(c.optimizer.name, "adam") == 0 && c.optimizer.lr == 5e-4);
  CHECK(c.optimizer.beta1 == 0.9 && c.optimizer.beta2 == 0.999 && c.optimizer.eps == 1e-8);
  CHECK(c.optimizer.weight_decay == 0.0 && c.optimizer.clip_norm == 10.0);
  CHECK(c.optimizer.ema == 0.99);
  CHECK(strcmp(c.schedule.type, "plateau") == 0 && c.schedule.warmup_epochs == 0);
  CHECK(c.schedule.factor == 0.5 && c.schedule.patience == 10 && c.schedule.min_lr == 1e-6);
  CHECK(c.schedule.decay_rate == 0.1 && c.schedule.decay_epochs == 500);
  CHECK(c.train.epochs == 100 && c.train.batch_size == 16 && c.train.early_stopping == 50);
  CHECK(c.train.threads == 0 && c.train.max_minutes == 0.0);
  CHECK(strcmp(c.output.dir, "tanne-run") == 0 && c.output.checkpoint_every == 10);
  CHECK(c.seed == 1);
  /* String tails are zero, so a config is a clean value. */
  int tail_zero = 1;
  for (size_t i = strlen(c.output.dir); i < sizeof c.output.dir; i++)
    tail_zero &= c.output.dir[i] == 0;
  CHECK(tail_zero);
}

/* Sets every key away from its default, in several YAML spellings: block
 * and flow mappings, a dotted key, quoted and block scalars, comments. */
static const char full_yaml[] = "# every key\n"
                                "data:\n"
                                "  train: 'liquid Ar: 90 K.xyz'\n"
                                "  validation: \"val \\\"set\\\".xyz\"\n"
                                "  test: test.npz\n"
                                "  format: npz\n"
                                "  energy_unit: kcal/mol\n"
                                "  length_unit: Bohr\n"
                                "  n_train: 1000\n"
                                "  n_val: 100\n"
                                "  n_test: +200\n"
                                "  split: |-\n"
                                "    runs/split.txt\n"
                                "  atomic_energies: nao_energies\n"
                                "model: {type: painn, features: 64, interactions: 2,\n"
                                "        n_basis: 16, basis: sinc, cutoff: 4.5, activation: silu}\n"
                                "loss:\n"
                                "  energy: 0.5\n"
                                "  forces: 100\n"
                                "  atomic_energies: 2.5e-1\n"
                                "  stress: 1e-3   # eV/Å³ weight\n"
                                "optimizer:\n"
                                "  name: amsgrad\n"
                                "  lr: 1.0e-3\n"
                                "  beta1: 0.8\n"
                                "  beta2: 0.99\n"
                                "  eps: 1e-7\n"
                                "  weight_decay: 0.01\n"
                                "  clip_norm: 0\n"
                                "  ema: 0\n"
                                "schedule:\n"
                                "  type: exponential\n"
                                "  warmup_epochs: 5\n"
                                "  factor: 0.25\n"
                                "  patience: 3\n"
                                "  min_lr: 0\n"
                                "  decay_rate: 0.5\n"
                                "  decay_epochs: 100\n"
                                "train:\n"
                                "  epochs: 7\n"
                                "  batch_size: 4\n"
                                "  early_stopping: 0\n"
                                "  threads: 2\n"
                                "  max_minutes: 90.5\n"
                                "output:\n"
                                "  dir: \"out dir\"\n"
                                "output.checkpoint_every: 0\n"
                                "seed: 18446744073709551615\n";

static tn_train_config full_expected(void) {
  tn_train_config c = tn_train_config_default();
  strcpy(c.data.train, "liquid Ar: 90 K.xyz");
  strcpy(c.data.validation, "val \"set\".xyz");
  strcpy(c.data.test, "test.npz");
  strcpy(c.data.format, "npz");
  strcpy(c.data.energy_unit, "kcal/mol");
  strcpy(c.data.length_unit, "Bohr");
  c.data.n_train = 1000;
  c.data.n_val = 100;
  c.data.n_test = 200;
  strcpy(c.data.split, "runs/split.txt");
  strcpy(c.data.atomic_energies, "nao_energies");
  strcpy(c.model.type, "painn");
  c.model.features = 64;
  c.model.interactions = 2;
  c.model.n_basis = 16;
  strcpy(c.model.basis, "sinc");
  c.model.cutoff = 4.5;
  strcpy(c.model.activation, "silu");
  c.loss.energy = 0.5;
  c.loss.forces = 100;
  c.loss.atomic_energies = 0.25;
  c.loss.stress = 1e-3;
  strcpy(c.optimizer.name, "amsgrad");
  c.optimizer.lr = 1e-3;
  c.optimizer.beta1 = 0.8;
  c.optimizer.beta2 = 0.99;
  c.optimizer.eps = 1e-7;
  c.optimizer.weight_decay = 0.01;
  c.optimizer.clip_norm = 0;
  c.optimizer.ema = 0;
  strcpy(c.schedule.type, "exponential");
  c.schedule.warmup_epochs = 5;
  c.schedule.factor = 0.25;
  c.schedule.patience = 3;
  c.schedule.min_lr = 0;
  c.schedule.decay_rate = 0.5;
  c.schedule.decay_epochs = 100;
  c.train.epochs = 7;
  c.train.batch_size = 4;
  c.train.early_stopping = 0;
  c.train.threads = 2;
  c.train.max_minutes = 90.5;
  strcpy(c.output.dir, "out dir");
  c.output.checkpoint_every = 0;
  c.seed = UINT64_MAX;
  return c;
}

static void test_full_file(void) {
  const char *path = harness_tmp("full.yaml");
  write_text(path, full_yaml);
  tn_train_config c = tn_train_config_default(), want = full_expected();
  char err[512] = "";
  CHECK_OK(tn_train_config_load(&c, path, err, sizeof err));
  if (err[0]) fprintf(stderr, "  %s\n", err);
  CHECK(config_same(&c, &want));
  /* Every field moved away from its default (so every key was exercised). */
  tn_train_config d = tn_train_config_default();
  CHECK(strcmp(c.model.type, d.model.type) != 0 && c.seed != d.seed);
}

/* Files that read as all defaults, and a load that keeps earlier values. */
static void test_empty_and_overlay(void) {
  const char *texts[] = {"",           "# only a comment\n",      "---\n",
                         "---\n...\n", "model:\n# features: 3\n", "{}\n"};
  const char *path = harness_tmp("empty.yaml");
  char err[512];
  tn_train_config d = tn_train_config_default();
  for (int k = 0; k < 6; k++) {
    write_text(path, texts[k]);
    tn_train_config c = tn_train_config_default();
    CHECK_OK(tn_train_config_load(&c, path, err, sizeof err));
    CHECK(config_same(&c, &d));
  }
  /* Loading over a config keeps what the file does not set. */
  tn_train_config c = tn_train_config_default();
  c.model.features = 7;
  write_text(path, "model:\n  cutoff: 6\n");
  CHECK_OK(tn_train_config_load(&c, path, err, sizeof err));
  CHECK(c.model.features == 7 && c.model.cutoff == 6.0);
}

/* Loads text, expects BAD_INPUT with every fragment in the message, and the
 * config unchanged. */
static void expect_error(const char *text, const char *frag1, const char *frag2) {
  const char *path = harness_tmp("config.yaml");
  write_text(path, text);
  tn_train_config c = tn_train_config_default(), before = c;
  c.train.epochs = 3; /* not a default, to see that it is kept */
  before.train.epochs = 3;
  char err[512] = "";
  tn_status st = tn_train_config_load(&c, path, err, sizeof err);
  int ok = st == TN_STATUS_BAD_INPUT && strstr(err, frag1) && (!frag2 || strstr(err, frag2));
  if (!ok)
    fprintf(stderr, "  status %s, message: %s\n  wanted: %s\n", tn_status_str(st), err, frag1);
  CHECK(ok);
  CHECK(config_same(&c, &before));
}

static void test_unknown_keys(void) {
  expect_error("model:\n  type: schnet\noptimizer:\n  lr: 1e-3\n  lrr: 1e-3\n",
               "config.yaml:5: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)", NULL);
  expect_error("# c\n\nmodle:\n  type: schnet\n", "config.yaml:3: unknown key 'modle'", NULL);
  expect_error("model:\n  lr: 1\n", "config.yaml:2: unknown key 'model.lr'",
               "did you mean 'optimizer.lr'");
  expect_error("a: 1\n", "config.yaml:1: unknown key 'a'", NULL);
  expect_error("model: {type: {x: 1}}\n", "config.yaml:1: key 'model.type' takes a single value",
               NULL);
  expect_error("seed: 1\nmodel: 5\n", "config.yaml:2: key 'model' is a section", NULL);
  expect_error("model:\n  ? [a, b]\n  : 1\n", "config.yaml:2: keys must be plain text", NULL);
  /* A key longer than any known one. */
  char longkey[300];
  memset(longkey, 'k', 200);
  strcpy(longkey + 200, ": 1\n");
  expect_error(longkey, "config.yaml:1: unknown key 'kkkk", NULL);
}

static void test_wrong_types(void) {
  expect_error("model:\n  type: schnet\n\noptimizer:\n  name: adam\n  beta1: 0.9\n  lr: fast\n",
               "config.yaml:7: key 'optimizer.lr': expected a number, got 'fast'", NULL);
  expect_error("model:\n  features: 1.5\n",
               "config.yaml:2: key 'model.features': expected an integer, got '1.5'", NULL);
  expect_error("model:\n  features: 0x10\n", "expected an integer, got '0x10'", NULL);
  expect_error("seed: -1\n", "config.yaml:1: key 'seed': expected an integer >= 0, got '-1'", NULL);
  expect_error("seed: 18446744073709551616\n", "key 'seed': 18446744073709551616 is out of range",
               NULL);
  expect_error("data:\n  n_train: 99999999999999999999\n", "key 'data.n_train'", "out of range");
  expect_error("loss:\n  forces: .inf\n", "config.yaml:2: key 'loss.forces': expected a number",
               NULL);
  expect_error("loss:\n  forces: nan\n", "expected a number, got 'nan'", NULL);
  expect_error("loss:\n  forces: 1e999\n", "key 'loss.forces': must be a finite number", NULL);
  expect_error("loss:\n  forces:\n", "config.yaml:2: key 'loss.forces': expected a number, got ''",
               NULL);
  expect_error("train:\n  epochs: 2147483648\n", "2147483648 is out of range (must be in 1..",
               NULL);
}

static void test_ranges(void) {
  expect_error("model:\n  features: 0\n",
               "config.yaml:2: key 'model.features': 0 is out of range (must be in 1..4096)", NULL);
  expect_error("optimizer:\n  lr: -1e-3\n",
               "config.yaml:2: key 'optimizer.lr': -0.001 is out of range (must be > 0)", NULL);
  expect_error("optimizer:\n  lr: 0\n", "key 'optimizer.lr': 0 is out of range (must be > 0)",
               NULL);
  expect_error("train:\n  batch_size: 0\n", "key 'train.batch_size': 0 is out of range", NULL);
  expect_error("optimizer:\n  beta2: 1\n",
               "key 'optimizer.beta2': 1 is out of range (must be in [0, 1))", NULL);
  expect_error("loss:\n  energy: -0.5\n", "key 'loss.energy': -0.5 is out of range (must be >= 0)",
               NULL);
  expect_error("model:\n  cutoff: 0\n",
               "key 'model.cutoff': 0 is out of range (must be in (0, 100])", NULL);
  expect_error("schedule:\n  factor: 1\n", "key 'schedule.factor'", "(0, 1)");
  expect_error("schedule:\n  decay_rate: 1.5\n", "key 'schedule.decay_rate'", "(0, 1]");
  expect_error("data:\n  n_val: -1\n", "key 'data.n_val': -1 is out of range", NULL);
  expect_error("train:\n  threads: 5000\n", "key 'train.threads': 5000 is out of range", NULL);
}

static void test_strings(void) {
  expect_error("model:\n  type: transformer\n",
               "config.yaml:2: key 'model.type': 'transformer' is not one of schnet, painn, bpnn",
               NULL);
  expect_error("model:\n  basis: bessel\n", "key 'model.basis': 'bessel' is not one of", NULL);
  expect_error("model:\n  activation: relu\n", "'relu' is not one of auto, ssp, silu, tanh", NULL);
  expect_error("optimizer:\n  name: sgd\n", "'sgd' is not one of adam, amsgrad", NULL);
  expect_error("schedule:\n  type: cosine\n", "is not one of plateau, exponential, constant", NULL);
  expect_error("data:\n  format: csv\n", "is not one of auto, extxyz, npz, n2p2, ani", NULL);
  expect_error("data:\n  format: NPZ\n", "key 'data.format'", NULL); /* case matters */
  expect_error("data:\n  energy_unit: furlong\n",
               "config.yaml:2: key 'data.energy_unit': unknown energy unit 'furlong'", NULL);
  expect_error("data:\n  length_unit: eV\n", "unknown length unit 'eV'", NULL);
  expect_error("output:\n  dir: ''\n", "config.yaml:2: key 'output.dir': must not be empty", NULL);
  expect_error("data:\n  train: \"a\\0b\"\n", "key 'data.train': contains a NUL", NULL);
  /* One byte over the limit; exactly at it is fine. */
  char text[2200];
  int n = snprintf(text, sizeof text, "data:\n  train: ");
  memset(text + n, 'x', 1024);
  strcpy(text + n + 1024, "\n");
  expect_error(text, "config.yaml:2: key 'data.train': 1024 bytes is longer than the limit of 1023",
               NULL);
  text[n + 1023] = '\n';
  text[n + 1024] = '\0';
  const char *path = harness_tmp("long.yaml");
  write_text(path, text);
  tn_train_config c = tn_train_config_default();
  char err[512];
  CHECK_OK(tn_train_config_load(&c, path, err, sizeof err));
  CHECK(strlen(c.data.train) == 1023);
  /* Null for a string is "". */
  write_text(path, "data:\n  split: ~\n  test:\n");
  strcpy(c.data.split, "x");
  strcpy(c.data.test, "y");
  CHECK_OK(tn_train_config_load(&c, path, err, sizeof err));
  CHECK(c.data.split[0] == '\0' && c.data.test[0] == '\0');
}

static void test_structure(void) {
  expect_error("model:\n  type: schnet\nmodel:\n  features: 3\n",
               "config.yaml:3: duplicate key 'model' (first given on line 1)", NULL);
  expect_error("optimizer:\n  lr: 1e-3\n  beta1: 0.9\n  lr: 2e-3\n",
               "config.yaml:4: duplicate key 'optimizer.lr' (first given on line 2)", NULL);
  expect_error("optimizer: {lr: 1e-3}\noptimizer.lr: 1e-3\n",
               "config.yaml:2: duplicate key 'optimizer.lr'", NULL);
  expect_error("model:\n  features:\n    - 64\n    - 32\n",
               "config.yaml:3: key 'model.features': sequences (lists) are not allowed", NULL);
  expect_error("- 1\n- 2\n", "config.yaml:1: sequences (lists) are not allowed", NULL);
  expect_error("model:\n  features: &f 64\n  n_basis: *f\n",
               "config.yaml:2: key 'model.features': anchors", NULL);
  expect_error("model: &m\n  features: 64\n", "config.yaml:1: key 'model': anchors", NULL);
  expect_error("model:\n  features: !!int 64\n", "config.yaml:2: key 'model.features': tags", NULL);
  expect_error("just text\n", "config.yaml:1: expected a mapping", NULL);
  expect_error("seed: 1\n---\nseed: 2\n", "config.yaml:2: more than one YAML document", NULL);
  /* Syntax errors carry libyaml's line and problem. */
  expect_error("model:\n  type: schnet\n features: 3\n  x\n", "config.yaml:3: YAML syntax error",
               NULL);
  expect_error("seed: 1\nmodel: {features: 3\n", "config.yaml:3: YAML syntax error", NULL);
  expect_error("a: 'unterminated\n\n", "config.yaml:3: YAML syntax error", "quoted scalar");
  expect_error("seed: 1\nmodel:\n  type: \"caf\xff\"\n", "config.yaml:3: YAML syntax error",
               "UTF-8");
  expect_error("seed: 1\n\tmodel: 3\n", "config.yaml:2: YAML syntax error", NULL);
}

static void test_missing_file(void) {
  tn_train_config c = tn_train_config_default(), before = c;
  char err[512];
  CHECK(tn_train_config_load(&c, harness_tmp("nope.yaml"), err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "nope.yaml") != NULL);
  CHECK(config_same(&c, &before));
}

static void test_set(void) {
  tn_train_config c = tn_train_config_default();
  char err[512];
  CHECK_OK(tn_train_config_set(&c, "optimizer.lr=1e-3", err, sizeof err));
  CHECK(c.optimizer.lr == 1e-3);
  CHECK_OK(tn_train_config_set(&c, "model.type=painn", err, sizeof err));
  CHECK(strcmp(c.model.type, "painn") == 0);
  CHECK_OK(tn_train_config_set(&c, " train.epochs = 12 ", err, sizeof err));
  CHECK(c.train.epochs == 12);
  CHECK_OK(tn_train_config_set(&c, "data.train=/data/run 1/a=b.xyz", err, sizeof err));
  CHECK(strcmp(c.data.train, "/data/run 1/a=b.xyz") == 0); /* only the first '=' splits */
  CHECK_OK(tn_train_config_set(&c, "data.energy_unit=", err, sizeof err));
  CHECK(c.data.energy_unit[0] == '\0');
  CHECK_OK(tn_train_config_set(&c, "seed=42", err, sizeof err));
  CHECK(c.seed == 42);
  CHECK_OK(tn_train_config_set(&c, "data.n_test=9223372036854775807", err, sizeof err));
  CHECK(c.data.n_test == INT64_MAX);

  struct {
    const char *set, *frag;
  } bad[] = {
      {"optimizer.lrr=1", "--set optimizer.lrr=1: unknown key 'optimizer.lrr' (did you mean "
                          "'optimizer.lr'?)"},
      {"optimizer.lr=fast",
       "--set optimizer.lr=fast: key 'optimizer.lr': expected a number, got 'fast'"},
      {"model.features=0", "--set model.features=0: key 'model.features': 0 is out of range"},
      {"model.type=gpt", "key 'model.type': 'gpt' is not one of schnet, painn, bpnn"},
      {"optimizer.beta2=1", "key 'optimizer.beta2': 1 is out of range"},
      {"model=schnet", "--set model=schnet: 'model' is a section"},
      {"optimizer.lr", "--set optimizer.lr: expected key=value"},
      {"=3", "--set =3: unknown key ''"},
      {"output.dir=", "key 'output.dir': must not be empty"},
      {"data.train=caf\xe9", "key 'data.train': not valid UTF-8 (at byte 3)"},
      {"data.train=\xed\xa0\x80", "not valid UTF-8"}, /* a surrogate */
      {"data.train=\xc0\xaf", "not valid UTF-8"},     /* overlong */
      {"seed=1 2", "key 'seed': expected an integer >= 0, got '1 2'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    tn_train_config before = c;
    err[0] = '\0';
    CHECK(tn_train_config_set(&c, bad[k].set, err, sizeof err) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(err, bad[k].frag) != NULL);
    if (!strstr(err, bad[k].frag)) fprintf(stderr, "  got: %s\n", err);
    CHECK(config_same(&c, &before));
    CHECK(memcmp(&c, &before, sizeof c) == 0); /* not a byte changed */
  }
}

static void test_save_load_roundtrip(void) {
  const char *path = harness_tmp("saved.yaml");
  char err[512];
  /* Defaults. */
  tn_train_config a = tn_train_config_default(), b = tn_train_config_default();
  CHECK_OK(tn_train_config_save(&a, path, err, sizeof err));
  b.model.features = 1;
  CHECK_OK(tn_train_config_load(&b, path, err, sizeof err));
  CHECK(config_same(&a, &b));

  /* The full config, and values that are hard to print and to quote. */
  a = full_expected();
  strcpy(a.data.train, "C:\\runs\\a: b # not a comment, 'quoted' \"too\"");
  strcpy(a.data.validation, " lead and trail \t\n\r\x01\x7f end ");
  strcpy(a.data.test,
         "Å \xc2\x85 \xc2\x9f \xe2\x80\xa8 \xe2\x80\xa9 \xef\xbb\xbf \xf0\x9f\x98\x80");
  strcpy(a.data.split, "- [not, a, list]");
  strcpy(a.data.atomic_energies, "&anchor *alias !tag %directive @ `");
  strcpy(a.output.dir, "null");
  a.model.cutoff = 1.0 / 3.0;
  a.loss.energy = 5e-324; /* smallest denormal */
  a.loss.forces = -0.0;
  a.loss.stress = 1.7976931348623157e308;
  a.optimizer.lr = 0.1;
  a.optimizer.beta2 = nextafter(1.0, 0.0);
  a.optimizer.eps = 1e-300;
  a.train.max_minutes = 1e22;
  a.data.n_train = INT64_MAX;
  a.seed = 12345678901234567890u;
  CHECK_OK(tn_train_config_save(&a, path, err, sizeof err));
  b = tn_train_config_default();
  CHECK_OK(tn_train_config_load(&b, path, err, sizeof err));
  if (b.seed != a.seed) fprintf(stderr, "  %s\n", err);
  CHECK(config_same(&a, &b));
  CHECK(signbit(b.loss.forces));

  /* Saved text: nested, in order, shortest doubles that look like floats. */
  char *text = NULL;
  size_t len;
  CHECK_OK(tn_read_file(path, &text, &len, err, sizeof err));
  if (text) {
    CHECK(strstr(text, "\noptimizer:\n  name: \"amsgrad\"\n  lr: 0.1\n") != NULL);
    CHECK(strstr(text, "\n  energy: 4.9406564584124654e-324\n") != NULL ||
          strstr(text, "\n  energy: 5.0e-324\n") != NULL);
    CHECK(strstr(text, "\n  forces: -0.0\n") != NULL);
    CHECK(strstr(text, "\n  max_minutes: 1.0e+22\n") != NULL);
    CHECK(strstr(text, "\nseed: 12345678901234567890\n") != NULL);
    CHECK(strstr(text, "\n  dir: \"null\"\n") != NULL);
    const char *d = strstr(text, "data:"), *m = strstr(text, "model:"), *s = strstr(text, "seed:");
    CHECK(d && m && s && d < m && m < s);
  }
  free(text);

  /* Saving defaults gives a file whose load equals them, and a second save
   * of what was loaded is the same bytes. */
  const char *again = harness_tmp("again.yaml");
  CHECK_OK(tn_train_config_save(&b, again, err, sizeof err));
  char *t1 = NULL, *t2 = NULL;
  size_t l1, l2;
  CHECK_OK(tn_read_file(path, &t1, &l1, err, sizeof err));
  CHECK_OK(tn_read_file(again, &t2, &l2, err, sizeof err));
  CHECK(t1 && t2 && l1 == l2 && memcmp(t1, t2, l1) == 0);
  free(t1);
  free(t2);
}

static void test_save_errors(void) {
  char err[512];
  tn_train_config c = tn_train_config_default();
  c.model.features = 0;
  CHECK(tn_train_config_save(&c, harness_tmp("bad.yaml"), err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "bad.yaml: not saved: key 'model.features': 0 is out of range") != NULL);
  c = tn_train_config_default();
  strcpy(c.optimizer.name, "sgd");
  CHECK(tn_train_config_save(&c, harness_tmp("bad.yaml"), err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  c = tn_train_config_default();
  memset(c.model.type, 'x', sizeof c.model.type); /* no terminator */
  CHECK(tn_train_config_save(&c, harness_tmp("bad.yaml"), err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "key 'model.type': string not terminated") != NULL);
  c = tn_train_config_default();
  c.optimizer.lr = NAN;
  CHECK(tn_train_config_save(&c, harness_tmp("bad.yaml"), err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  tn_train_config d;
  CHECK(tn_train_config_load(&d, harness_tmp("bad.yaml"), err, sizeof err) == TN_STATUS_IO);

  c = tn_train_config_default();
  char missing[600];
  snprintf(missing, sizeof missing, "%s/no/such/dir/c.yaml", harness_tmp(""));
  CHECK(tn_train_config_save(&c, missing, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "c.yaml: cannot write") != NULL);
}

int main(void) {
  RUN(test_defaults);
  RUN(test_full_file);
  RUN(test_empty_and_overlay);
  RUN(test_unknown_keys);
  RUN(test_wrong_types);
  RUN(test_ranges);
  RUN(test_strings);
  RUN(test_structure);
  RUN(test_missing_file);
  RUN(test_set);
  RUN(test_save_load_roundtrip);
  RUN(test_save_errors);
  return harness_finish();
}
