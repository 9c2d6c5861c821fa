/* Transfer learning: every parameter of every architecture lies in exactly
 * one block; frozen blocks come out of a fine-tuning run bitwise unchanged;
 * the first Adam step moves block l by lr·ξ^(L−l); refitting the shifts
 * recovers known synthetic offsets; the lineage names the parent and its
 * data; a resumed fine-tuning run is bitwise the uninterrupted one; bad
 * freeze lists, a missing parent and an element the parent lacks are
 * refused with messages that say so. */
#include <math.h>
#include <string.h>

#include "../src/core/tagfile.h"
#include "../src/train/train.h"
#include "harness.h"

/* Liquid argon, or an Ar/Kr mixture with Kr fraction kr (32 atoms). */
static tn_dataset *liquid(int n_frames, double kr, uint64_t seed) {
  tn_dataset *ds = tn_dataset_create();
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  s.n_atoms = 32;
  s.n_frames = n_frames;
  s.equilibration_steps = 100;
  s.steps_between = 10;
  s.seed = seed;
  if (kr > 0) {
    s.species[1] = 36;
    s.fraction = kr;
  }
  if (tn_noble_gas_generate(ds, &pot, &s, NULL, NULL) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", tn_dataset_errmsg(ds));
    tn_dataset_free(ds);
    return NULL;
  }
  return ds;
}

static tn_train_config tiny_config(const char *type, const char *dir) {
  tn_train_config c = tn_train_config_default();
  snprintf(c.model.type, sizeof c.model.type, "%s", type);
  c.model.features = 8;
  c.model.interactions = 2;
  c.model.n_basis = 6;
  c.model.acsf_radial = 4;
  c.model.acsf_angular = 2;
  c.train.batch_size = 4;
  c.train.epochs = 3;
  c.train.threads = 1;
  c.optimizer.lr = 3e-3;
  c.seed = 3;
  snprintf(c.output.dir, sizeof c.output.dir, "%s", dir);
  return c;
}

/* Trains cfg from scratch or from its init_from; 0 on success. The model
 * file is dir/best.tnm. */
static int train(const tn_train_config *c, const tn_dataset *tr, const tn_dataset *va) {
  tn_trainer *t = NULL;
  char err[1024];
  tn_status st = tn_trainer_create(&t, c, tr, va, err, sizeof err);
  if (st == TN_STATUS_OK && (st = tn_trainer_run(t, NULL, NULL)) != TN_STATUS_OK)
    fprintf(stderr, "  %s\n", tn_trainer_errmsg(t));
  else if (st != TN_STATUS_OK)
    fprintf(stderr, "  %s\n", err);
  tn_trainer_free(t);
  return st == TN_STATUS_OK ? 0 : -1;
}

static tn_model *load(const char *dir) {
  char path[TN_PATH_MAX + 16], err[512];
  snprintf(path, sizeof path, "%s/best.tnm", dir);
  tn_model *m = NULL;
  if (tn_model_load(&m, path, err, sizeof err) != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
  return m;
}

static void test_parts_cover_every_parameter(void) {
  const char *types[3] = {"schnet", "painn", "bpnn"};
  int32_t el[2] = {18, 36};
  for (int k = 0; k < 3; k++) {
    tn_train_config c = tiny_config(types[k], "unused");
    tn_model *m = NULL;
    char err[512];
    CHECK_OK(tn_model_create(&m, &c.model, el, 2, 1, err, sizeof err));
    if (!m) return;
    model_part parts[MODEL_MAX_PARTS];
    int n = m->arch->parts(m, parts);
    int *seen = calloc(m->n_params, sizeof *seen);
    int deepest = 0, readout_depth = -1, bad = 0;
    for (int p = 0; p < n; p++) {
      for (size_t q = parts[p].offset; q < parts[p].offset + parts[p].count; q++) {
        if (q >= m->n_params)
          bad = 1;
        else
          seen[q]++;
      }
      if (parts[p].depth > deepest) deepest = parts[p].depth;
      if (!strcmp(parts[p].name, "readout")) readout_depth = parts[p].depth;
    }
    int once = !bad;
    for (size_t q = 0; q < m->n_params; q++) once &= seen[q] == 1;
    CHECK(once);
    CHECK(readout_depth == deepest); /* the readout learns fastest */
    /* message passing: embedding, 2 interactions, readout at depth 3 */
    if (k < 2) CHECK(deepest == 3 && !strcmp(parts[0].name, "embedding"));
    free(seen);
    tn_model_free(m);
  }
}

/* A parent trained on argon, then fine-tuned with the embedding and the
 * first interaction frozen: those come out bitwise equal (in the model file,
 * written from the weight averages), the rest moved. */
static void test_frozen_blocks_stay_bitwise(void) {
  tn_dataset *ar = liquid(12, 0, 11);
  if (!ar) return;
  const char *parent_dir = harness_tmp("parent"), *child_dir = harness_tmp("child");
  tn_train_config c = tiny_config("painn", parent_dir);
  CHECK(train(&c, ar, NULL) == 0);
  tn_train_config f = tiny_config("painn", child_dir);
  snprintf(f.finetune.init_from, sizeof f.finetune.init_from, "%s/best.tnm", parent_dir);
  snprintf(f.finetune.freeze, sizeof f.finetune.freeze, "embedding, interaction.1");
  f.optimizer.weight_decay = 1e-3; /* decay must not touch frozen weights either */
  CHECK(train(&f, ar, NULL) == 0);
  tn_model *p = load(parent_dir), *m = load(child_dir);
  if (!p || !m) goto done;
  model_part parts[MODEL_MAX_PARTS];
  int n = m->arch->parts(m, parts), frozen_same = 1, others_moved = 1;
  for (int k = 0; k < n; k++) {
    int frozen = !strcmp(parts[k].name, "embedding") || !strcmp(parts[k].name, "interaction.1");
    size_t at = parts[k].offset, bytes = parts[k].count * sizeof(tn_real);
    int same = memcmp(p->params + at, m->params + at, bytes) == 0;
    if (frozen)
      frozen_same &= same;
    else
      others_moved &= !same;
  }
  CHECK(frozen_same);
  CHECK(others_moved);
done:
  tn_model_free(p);
  tn_model_free(m);
  tn_dataset_free(ar);
}

/* Adam's first step moves each parameter by lr·s·g/(|g| + ε): by lr·s
 * where the gradient is not tiny. One step (the whole set in one batch, no
 * averaging, no clipping) shows the factor ξ^(L−l) of each block. */
static void test_discriminative_rates_per_block(void) {
  tn_dataset *ar = liquid(4, 0, 12);
  if (!ar) return;
  const char *parent_dir = harness_tmp("rates-parent"), *child_dir = harness_tmp("rates-child");
  tn_train_config c = tiny_config("schnet", parent_dir);
  c.train.epochs = 1;
  CHECK(train(&c, ar, NULL) == 0);
  tn_train_config f = tiny_config("schnet", child_dir);
  snprintf(f.finetune.init_from, sizeof f.finetune.init_from, "%s/best.tnm", parent_dir);
  f.finetune.lr_decay = 0.5;
  f.finetune.refit_shifts = 0;
  f.train.epochs = 1;
  f.train.batch_size = 4; /* one step */
  f.optimizer.ema = 0;
  f.optimizer.clip_norm = 0;
  f.optimizer.lr = 1e-2;
  CHECK(train(&f, ar, NULL) == 0);
  tn_model *p = load(parent_dir), *m = load(child_dir);
  if (!p || !m) goto done;
  model_part parts[MODEL_MAX_PARTS];
  int n = m->arch->parts(m, parts);
  for (int k = 0; k < n; k++) {
    double want = f.optimizer.lr * pow(0.5, 3 - parts[k].depth), largest = 0;
    int within = 1;
    for (size_t q = parts[k].offset; q < parts[k].offset + parts[k].count; q++) {
      double step = fabs((double)m->params[q] - (double)p->params[q]);
      within &= step <= want * (1 + 1e-3) + 1e-6 * fabs((double)p->params[q]);
      if (step > largest) largest = step;
    }
    CHECK(within);
    CHECK_NEAR(largest, want, 1e-3, 0);
  }
done:
  tn_model_free(p);
  tn_model_free(m);
  tn_dataset_free(ar);
}

/* Energies made as the model's own prediction plus Σ_Z n_Z Δ_Z: the refit
 * adds exactly Δ to the shifts (two compositions determine both). With one
 * composition only the total is determined, and it is recovered. */
static void test_refit_recovers_offsets(void) {
  tn_dataset *a = liquid(3, 0.25, 13), *b = liquid(3, 0.5, 14), *ds = tn_dataset_create();
  tn_model *m = NULL;
  if (!a || !b || !ds) goto done;
  int64_t all3[3] = {0, 1, 2};
  CHECK_OK(tn_dataset_append_subset(ds, a, all3, 3));
  CHECK_OK(tn_dataset_append_subset(ds, b, all3, 3));
  tn_train_config c = tiny_config("schnet", "unused");
  int32_t el[2] = {18, 36};
  char err[512];
  CHECK_OK(tn_model_create(&m, &c.model, el, 2, 7, err, sizeof err));
  if (!m) goto done;
  double mu0[2] = {-0.3, 1.7}, delta[2] = {-12.25, 3.5}, mu[2], scale;
  tn_model_set_shifts(m, mu0, 0.8);
  tn_column *energy = (tn_column *)tn_dataset_column(ds, TN_LABEL_ENERGY);
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    double e;
    CHECK_OK(tn_model_eval(m, &fr, &e, NULL, NULL, NULL));
    for (int q = 0; q < fr.n_atoms; q++) e += delta[fr.species[q] == 36];
    energy->values[f] = e;
  }
  CHECK_OK(tn_model_refit_shifts(m, ds, NULL, 0));
  tn_model_get_shifts(m, mu, &scale);
  CHECK_NEAR(mu[0], mu0[0] + delta[0], 1e-12, 0);
  CHECK_NEAR(mu[1], mu0[1] + delta[1], 1e-12, 0);
  CHECK(scale == 0.8);
  /* Frames 0..2 share one composition: n_Ar Δ_Ar + n_Kr Δ_Kr is what they fix. */
  tn_model_set_shifts(m, mu0, 0.8);
  CHECK_OK(tn_model_refit_shifts(m, ds, all3, 3));
  tn_model_get_shifts(m, mu, &scale);
  tn_frame fr;
  tn_dataset_frame(ds, 0, &fr);
  double n_kr = 0, total = 0, want = 0;
  for (int q = 0; q < fr.n_atoms; q++) n_kr += fr.species[q] == 36;
  double n_ar = fr.n_atoms - n_kr;
  total = n_ar * (mu[0] - mu0[0]) + n_kr * (mu[1] - mu0[1]);
  want = n_ar * delta[0] + n_kr * delta[1];
  CHECK_NEAR(total, want, 1e-9, 1e-9);
  /* A frame with an element the model lacks is named. */
  tn_model *ar_only = NULL;
  CHECK_OK(tn_model_create(&ar_only, &c.model, el, 1, 7, err, sizeof err));
  if (ar_only) {
    CHECK(tn_model_refit_shifts(ar_only, ds, NULL, 0) == TN_STATUS_BAD_INPUT);
    CHECK(strstr(tn_model_errmsg(ar_only), "Kr") != NULL);
    tn_model_free(ar_only);
  }
done:
  tn_model_free(m);
  tn_dataset_free(a);
  tn_dataset_free(b);
  tn_dataset_free(ds);
}

static void test_lineage_and_resume(void) {
  tn_dataset *ar = liquid(8, 0, 15);
  if (!ar) return;
  const char *parent_dir = harness_tmp("lin-parent"), *whole = harness_tmp("lin-whole"),
             *parted = harness_tmp("lin-parted");
  tn_train_config c = tiny_config("schnet", parent_dir);
  snprintf(c.data.theory, sizeof c.data.theory, "LJ (DFT stand-in)");
  snprintf(c.data.train, sizeof c.data.train, "argon.xyz");
  CHECK(train(&c, ar, NULL) == 0);
  tn_train_config f = tiny_config("schnet", whole);
  snprintf(f.finetune.init_from, sizeof f.finetune.init_from, "%s/best.tnm", parent_dir);
  snprintf(f.finetune.freeze, sizeof f.finetune.freeze, "interactions");
  snprintf(f.data.theory, sizeof f.data.theory, "LJ (CC stand-in)");
  f.finetune.lr_decay = 0.7;
  f.train.epochs = 4;
  CHECK(train(&f, ar, NULL) == 0);
  tn_model *m = load(whole);
  if (m) {
    const char *lin = tn_model_lineage(m);
    const char *cc = strstr(lin, "theory: LJ (CC stand-in)"), *parent = strstr(lin, "parent: ");
    const char *back = strstr(lin, "--- parent's lineage"), *dft = strstr(lin, "LJ (DFT stand-in)");
    CHECK(cc && parent && back && dft && cc < back && back < dft);
    CHECK(strstr(lin, "data: argon.xyz (8 training frames)") != NULL);
    CHECK(strstr(lin, "freeze 'interactions', lr_decay 0.7") != NULL);
  }
  /* Two epochs, then two more from the checkpoint: bitwise the same model,
   * so the frozen set and the rates came back from the checkpoint. */
  f.train.epochs = 2;
  snprintf(f.output.dir, sizeof f.output.dir, "%s", parted);
  CHECK(train(&f, ar, NULL) == 0);
  f.train.epochs = 4;
  tn_trainer *t = NULL;
  char err[512];
  CHECK_OK(tn_trainer_resume(&t, &f, ar, NULL, err, sizeof err));
  if (t) CHECK_OK(tn_trainer_run(t, NULL, NULL));
  tn_trainer_free(t);
  tn_model *r = load(parted);
  if (m && r) {
    CHECK(memcmp(m->params, r->params, m->n_params * sizeof *m->params) == 0);
    CHECK(strcmp(tn_model_lineage(m), tn_model_lineage(r)) == 0);
  }
  tn_model_free(m);
  tn_model_free(r);
  tn_dataset_free(ar);
}

static tn_status try_create(const tn_train_config *c, const tn_dataset *tr, char *err, size_t len) {
  tn_trainer *t = NULL;
  tn_status st = tn_trainer_create(&t, c, tr, NULL, err, len);
  tn_trainer_free(t);
  return st;
}

static void test_bad_fine_tuning_is_refused(void) {
  tn_dataset *ar = liquid(4, 0, 16), *mix = liquid(2, 0.5, 17);
  if (!ar || !mix) goto done;
  const char *parent_dir = harness_tmp("bad-parent");
  tn_train_config c = tiny_config("schnet", parent_dir);
  c.train.epochs = 1;
  CHECK(train(&c, ar, NULL) == 0);
  tn_train_config f = tiny_config("schnet", harness_tmp("bad-child"));
  char err[1024];
  snprintf(f.finetune.init_from, sizeof f.finetune.init_from, "%s/none.tnm", parent_dir);
  CHECK(try_create(&f, ar, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "finetune.init_from") && strstr(err, "none.tnm"));
  snprintf(f.finetune.init_from, sizeof f.finetune.init_from, "%s/best.tnm", parent_dir);
  CHECK(try_create(&f, mix, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "Kr") && strstr(err, "lacks"));
  snprintf(f.finetune.freeze, sizeof f.finetune.freeze, "embedding,interaction.3");
  CHECK(try_create(&f, ar, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "'interaction.3'") && strstr(err, "interaction.2, readout"));
  snprintf(f.finetune.freeze, sizeof f.finetune.freeze, "representation,readout");
  CHECK(try_create(&f, ar, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "nothing to train") != NULL);
  /* The same keys through YAML: a value outside (0, 1] names the key. */
  tn_train_config y = tn_train_config_default();
  CHECK(tn_train_config_set(&y, "finetune.lr_decay=0", err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "finetune.lr_decay") != NULL);
  CHECK_OK(tn_train_config_set(&y, "finetune.freeze=readout", err, sizeof err));
  CHECK(!strcmp(y.finetune.freeze, "readout"));
done:
  tn_dataset_free(ar);
  tn_dataset_free(mix);
}

int main(void) {
  RUN(test_parts_cover_every_parameter);
  RUN(test_frozen_blocks_stay_bitwise);
  RUN(test_discriminative_rates_per_block);
  RUN(test_refit_recovers_offsets);
  RUN(test_lineage_and_resume);
  RUN(test_bad_fine_tuning_is_refused);
  return harness_finish();
}
