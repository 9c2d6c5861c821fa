/* The training loop: seeded shuffling, mini-batches, Adam with clipping and
 * weight averages, validation with the averages, schedules, early stopping,
 * checkpoints that resume bitwise, and a metrics CSV.
 *
 * Resume is exact because everything the trajectory depends on is in the
 * checkpoint: parameters, Adam moments and step, weight averages, the RNG
 * state of the shuffler, the epoch, the schedule and early-stopping state.
 * The data are not stored, only a fingerprint that must match.
 *
 * Data-parallel runs (tn_comm in tanne.h): each rank computes its slice of
 * every batch, normalised by the whole batch's counts, so that the sum over
 * ranks is the one-rank gradient; one allreduce per step adds gradients and
 * loss sums, and every rank then takes the same step. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/tagfile.h"
#include "train.h"

#define CHECKPOINT_NAME "checkpoint.tnc"
#define BEST_NAME       "best.tnm"
#define METRICS_NAME    "metrics.csv"
/* Consecutive non-finite steps after which a run gives up. */
#define MAX_BAD_STEPS 20

struct tn_trainer {
  tn_train_config cfg;
  const tn_dataset *train, *val;
  tn_model *model;   /* current parameters live in model->params */
  tn_model *best;    /* weight averages at the best validation loss */
  tn_real *ema;      /* [n_params]; equals params when averaging is off */
  tn_real *grad;     /* [n_params] */
  tn_real *backup;   /* [n_params], parameters before the step being tried */
  tn_real *lr_scale; /* [n_params] learning-rate factors, 0 = frozen; NULL = all 1 */
  train_adam adam;
  train_schedule schedule;
  train_labels lab_train, lab_val;
  train_weights weights;
  model_work work;
  train_scratch scratch;
  tn_rng rng;
  int64_t *order; /* [train->n_frames], the epoch's shuffled frames */
  int epoch;      /* epochs completed */
  double best_val;
  int bad_epochs; /* epochs since best_val improved */
  uint64_t fingerprint;
  tn_comm comm;
  double *reduce; /* [n_params + TRAIN_SUMS_N] with comm.size > 1, else NULL */
  char errmsg[512];
};

/* train_sums as the doubles an allreduce adds: 8 sums, then 4 counts. */
#define TRAIN_SUMS_N 12

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void path_join(char *out, size_t len, const char *dir, const char *name) {
  snprintf(out, len, "%s/%s", dir, name);
}

/* A CRC-32 over what the run depends on in the data: species, positions and
 * the labels it trains on, frame by frame. */
static uint64_t data_fingerprint(const tn_dataset *ds, const train_labels *lab) {
  if (!ds) return 0;
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, (const Bytef *)&ds->n_frames, sizeof ds->n_frames);
  c = crc32(c, (const Bytef *)ds->species, (uInt)(ds->n_atoms * sizeof *ds->species));
  c = crc32(c, (const Bytef *)ds->pos, (uInt)(ds->n_atoms * sizeof *ds->pos));
  if (lab->energy)
    c = crc32(c, (const Bytef *)lab->energy->values, (uInt)(ds->n_frames * sizeof(double)));
  if (lab->forces)
    c = crc32(c, (const Bytef *)lab->forces->values, (uInt)(ds->n_atoms * 3 * sizeof(double)));
  return (uint64_t)c;
}

/* mkdir -p: the output folder and any missing parents. */
static tn_status make_dir(const char *dir, char *err, size_t err_len) {
  char path[TN_PATH_MAX];
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char keep = *p;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot create the output folder: %s", path,
                     strerror(errno));
    *p = keep;
    if (!keep) return TN_STATUS_OK;
  }
}

static void set_threads(const tn_train_config *cfg) {
#ifdef _OPENMP
  if (cfg->train.threads > 0) omp_set_num_threads(cfg->train.threads);
#else
  (void)cfg;
#endif
}

/* Everything but the model: buffers, optimizer, schedule, labels. */
static tn_status trainer_setup(tn_trainer *t, char *err, size_t err_len) {
  const tn_train_config *cfg = &t->cfg;
  size_t n = t->model->n_params;
  t->ema = malloc(n * sizeof *t->ema);
  t->grad = malloc(n * sizeof *t->grad);
  t->backup = malloc(n * sizeof *t->backup);
  t->order = malloc((size_t)(t->train->n_frames + 1) * sizeof *t->order);
  if (!t->ema || !t->grad || !t->backup || !t->order ||
      train_adam_init(&t->adam, n, strcmp(cfg->optimizer.name, "amsgrad") == 0) ||
      model_work_init(&t->work))
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory for training");
  memcpy(t->ema, t->model->params, n * sizeof *t->ema);
  t->adam.beta1 = cfg->optimizer.beta1;
  t->adam.beta2 = cfg->optimizer.beta2;
  t->adam.eps = cfg->optimizer.eps;
  t->adam.weight_decay = cfg->optimizer.weight_decay;
  t->weights = (train_weights){cfg->loss.energy, cfg->loss.forces, cfg->loss.atomic_energies,
                               cfg->loss.stress};
  train_labels_find(&t->lab_train, t->train, cfg->data.atomic_energies);
  if (t->val) train_labels_find(&t->lab_val, t->val, cfg->data.atomic_energies);
  if (cfg->data.atomic_energies[0] && !t->lab_train.atoms)
    return tn_fail(err, err_len, TN_STATUS_NOT_FOUND,
                   "data.atomic_energies: the training data have no per-atom column '%s'",
                   cfg->data.atomic_energies);
  if (!t->lab_train.energy && !t->lab_train.forces && !t->lab_train.atoms)
    return tn_fail(err, err_len, TN_STATUS_NOT_FOUND,
                   "the training data have no energies, forces or atomic energies");
  t->fingerprint =
      data_fingerprint(t->train, &t->lab_train) ^ (data_fingerprint(t->val, &t->lab_val) << 32);
  t->best_val = INFINITY;
  tn_status st = finetune_lr_scales(t->model, cfg, &t->lr_scale, err, err_len);
  if (st != TN_STATUS_OK) return st;
  return train_schedule_init(&t->schedule, cfg, err, err_len);
}

/* The elements of both sets, ascending; -1 if more than a model can hold. */
static int collect_elements(int32_t *out, const tn_dataset *a, const tn_dataset *b) {
  int n = 0;
  const tn_dataset *sets[2] = {a, b};
  for (int s = 0; s < 2; s++) {
    if (!sets[s]) continue;
    for (int64_t q = 0; q < sets[s]->n_atoms; q++) {
      int z = sets[s]->species[q], k = 0;
      while (k < n && out[k] != z) k++;
      if (k < n) continue;
      if (n == MODEL_MAX_ELEMENTS) return -1;
      out[n++] = z;
    }
  }
  return n;
}

static void trainer_init_empty(tn_trainer *t, const tn_train_config *cfg, const tn_dataset *train,
                               const tn_dataset *val) {
  memset(t, 0, sizeof *t);
  t->comm = tn_comm_single();
  t->cfg = *cfg;
  t->train = train;
  t->val = val && val->n_frames > 0 ? val : NULL;
}

tn_status tn_trainer_create(tn_trainer **out, const tn_train_config *cfg, const tn_dataset *train,
                            const tn_dataset *val, char *err, size_t err_len) {
  *out = NULL;
  if (!train || train->n_frames == 0)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "no training frames");
  tn_trainer *t = calloc(1, sizeof *t);
  if (!t) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
  trainer_init_empty(t, cfg, train, val);
  set_threads(cfg);
  int32_t elements[MODEL_MAX_ELEMENTS];
  int ne = collect_elements(elements, train, t->val);
  tn_status st;
  if (ne < 0) {
    st = tn_fail(err, err_len, TN_STATUS_UNSUPPORTED, "the data hold more than %d elements",
                 MODEL_MAX_ELEMENTS);
    goto fail;
  }
  if (cfg->finetune.init_from[0]) {
    /* The parent decides the architecture; its fixed data (BPNN scaling)
     * stay as it was trained. */
    st = finetune_start(&t->model, cfg, train, t->val, err, err_len);
    if (st != TN_STATUS_OK) goto fail;
    t->cfg.model = t->model->opt;
  } else {
    st = tn_model_create(&t->model, &cfg->model, elements, ne, cfg->seed, err, err_len);
    if (st != TN_STATUS_OK) goto fail;
    if (tn_dataset_column(train, TN_LABEL_ENERGY)) {
      st = tn_model_fit_shifts(t->model, train, NULL, 0);
      if (st != TN_STATUS_OK) {
        tn_fail(err, err_len, st, "%s", tn_model_errmsg(t->model));
        goto fail;
      }
    }
    if (t->model->arch->fit_data &&
        (st = t->model->arch->fit_data(t->model, train, NULL, 0, err, err_len)) != TN_STATUS_OK)
      goto fail;
    if ((st = finetune_lineage(t->model, cfg, train, NULL, err, err_len)) != TN_STATUS_OK)
      goto fail;
  }
  st = trainer_setup(t, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  /* The shuffler's stream is apart from the weights' (seeded above). */
  tn_rng_seed(&t->rng, cfg->seed ^ 0x5eed5eed5eed5eedULL);
  st = make_dir(cfg->output.dir, err, err_len);
  if (st != TN_STATUS_OK) goto fail;
  *out = t;
  return TN_STATUS_OK;
fail:
  tn_trainer_free(t);
  return st;
}

void tn_trainer_free(tn_trainer *t) {
  if (!t) return;
  tn_model_free(t->model);
  tn_model_free(t->best);
  free(t->ema);
  free(t->grad);
  free(t->backup);
  free(t->lr_scale);
  free(t->order);
  free(t->reduce);
  train_adam_free(&t->adam);
  model_work_free(&t->work);
  train_scratch_free(&t->scratch);
  free(t);
}

const char *tn_trainer_errmsg(const tn_trainer *t) { return t ? t->errmsg : "no trainer"; }

tn_model *tn_trainer_model(tn_trainer *t) { return t->best ? t->best : t->model; }

const tn_train_config *tn_trainer_config(const tn_trainer *t) { return &t->cfg; }

/* ------------------------------------------------------------- ranks */

tn_comm tn_comm_single(void) { return (tn_comm){.rank = 0, .size = 1}; }

tn_status tn_trainer_set_comm(tn_trainer *t, const tn_comm *comm) {
  if (!t || !comm || comm->size < 1 || comm->rank < 0 || comm->rank >= comm->size ||
      (comm->size > 1 && !comm->allreduce_sum))
    return tn_fail(t ? t->errmsg : NULL, sizeof t->errmsg, TN_STATUS_INVALID_ARG,
                   "tn_trainer_set_comm: want 0 <= rank < size, and allreduce_sum when size > 1");
  free(t->reduce);
  t->reduce = NULL;
  if (comm->size > 1) {
    size_t n = t->model->n_params + TRAIN_SUMS_N;
    t->reduce = malloc(n * sizeof *t->reduce);
    if (!t->reduce)
      return tn_fail(t->errmsg, sizeof t->errmsg, TN_STATUS_NO_MEMORY, "out of memory");
  }
  t->comm = *comm;
  return TN_STATUS_OK;
}

static tn_status comm_sum(tn_trainer *t, double *x, size_t n) {
  if (t->comm.allreduce_sum(t->comm.user, x, n) != 0)
    return tn_fail(t->errmsg, sizeof t->errmsg, TN_STATUS_COMM,
                   "rank %d of %d: the allreduce of %zu values failed", t->comm.rank, t->comm.size,
                   n);
  return TN_STATUS_OK;
}

static void sums_pack(double *x, const train_sums *s) {
  const double v[TRAIN_SUMS_N] = {s->sq_e,        s->sq_f,        s->sq_a,        s->sq_s,
                                  s->ab_e,        s->ab_f,        s->ab_a,        s->ab_s,
                                  (double)s->n_e, (double)s->n_f, (double)s->n_a, (double)s->n_s};
  memcpy(x, v, sizeof v);
}

static void sums_unpack(train_sums *s, const double *x) {
  *s = (train_sums){x[0], x[1], x[2],          x[3],          x[4],           x[5],
                    x[6], x[7], (int64_t)x[8], (int64_t)x[9], (int64_t)x[10], (int64_t)x[11]};
}

/* Whether every rank holds the same v[0..n) (integers below 2^53): rank 0's
 * values reach all through one sum (the others add zeros), and a second
 * sum counts the ranks that differ, so all reach the same verdict. */
static tn_status comm_agree(tn_trainer *t, const double *v, int n, const char *what) {
  double *x = t->reduce;
  for (int k = 0; k < n; k++) x[k] = t->comm.rank == 0 ? v[k] : 0.0;
  tn_status st = comm_sum(t, x, (size_t)n);
  if (st != TN_STATUS_OK) return st;
  int differ = 0;
  for (int k = 0; k < n; k++) differ |= x[k] != v[k];
  x[0] = differ;
  if ((st = comm_sum(t, x, 1)) != TN_STATUS_OK) return st;
  if (x[0] > 0)
    return tn_fail(t->errmsg, sizeof t->errmsg, TN_STATUS_COMM,
                   "%d of the %d ranks differ from rank 0 in %s%s", (int)x[0], t->comm.size, what,
                   differ ? " (this rank among them)" : "");
  return TN_STATUS_OK;
}

static double crc_of(const void *p, size_t n) {
  return (double)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)p, (uInt)n);
}

/* At the start of a parallel run: the same model, data, state and batch. */
static tn_status comm_check_start(tn_trainer *t) {
  size_t np = t->model->n_params;
  double v[8] = {(double)np,
                 (double)(t->fingerprint >> 32),
                 (double)(t->fingerprint & 0xffffffffu),
                 (double)t->epoch,
                 (double)t->adam.step,
                 (double)t->cfg.train.batch_size,
                 crc_of(t->model->params, np * sizeof *t->model->params),
                 crc_of(t->rng.s, sizeof t->rng.s)};
  return comm_agree(t, v, 8, "the model, data or run state they start from");
}

/* After an epoch: every rank's parameters and weight averages bitwise
 * rank 0's (the allreduce gave all the same sums). */
static tn_status comm_check_params(tn_trainer *t) {
  size_t np = t->model->n_params;
  double v[2] = {crc_of(t->model->params, np * sizeof *t->model->params),
                 crc_of(t->ema, np * sizeof *t->ema)};
  char what[64];
  snprintf(what, sizeof what, "their parameters after epoch %d", t->epoch);
  return comm_agree(t, v, 2, what);
}

/* Adds grad and the batch sums *s over the ranks, in place. */
static tn_status comm_sum_step(tn_trainer *t, train_sums *s) {
  size_t np = t->model->n_params;
  double *x = t->reduce;
  for (size_t q = 0; q < np; q++) x[q] = (double)t->grad[q];
  sums_pack(x + np, s);
  tn_status st = comm_sum(t, x, np + TRAIN_SUMS_N);
  if (st != TN_STATUS_OK) return st;
  for (size_t q = 0; q < np; q++) t->grad[q] = (tn_real)x[q];
  sums_unpack(s, x + np);
  return TN_STATUS_OK;
}

/* ------------------------------------------------------------ checkpoints */

typedef struct checkpoint_state {
  uint64_t epoch, adam_step, fingerprint;
  uint64_t rng[4];
  double best_val;
  uint64_t bad_epochs;
  double lr_plateau, sched_best;
  uint64_t sched_bad;
} checkpoint_state;

static tn_status add_reals(tf_writer *w, const char *tag, const tn_real *x, size_t n) {
  double *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) return TN_STATUS_NO_MEMORY;
  for (size_t q = 0; q < n; q++) p[q] = (double)x[q];
  tn_status st = tf_add_f64s(w, tag, p, n);
  free(p);
  return st;
}

static tn_status get_reals(const tf_file *f, const char *tag, tn_real *x, size_t n, char *err,
                           size_t err_len) {
  double *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
  tn_status st = tf_get_f64s(f, tag, p, n, err, err_len);
  for (size_t q = 0; st == TN_STATUS_OK && q < n; q++) x[q] = (tn_real)p[q];
  free(p);
  return st;
}

static tn_status checkpoint_write(tn_trainer *t) {
  char path[TN_PATH_MAX + 32];
  path_join(path, sizeof path, t->cfg.output.dir, CHECKPOINT_NAME);
  checkpoint_state s = {.epoch = (uint64_t)t->epoch,
                        .adam_step = t->adam.step,
                        .fingerprint = t->fingerprint,
                        .best_val = t->best_val,
                        .bad_epochs = (uint64_t)t->bad_epochs,
                        .lr_plateau = t->schedule.lr_plateau,
                        .sched_best = t->schedule.best,
                        .sched_bad = (uint64_t)t->schedule.bad_epochs};
  memcpy(s.rng, t->rng.s, sizeof s.rng);
  size_t n = t->model->n_params;
  tf_writer *w = tf_writer_create(TF_KIND_CHECKPOINT);
  char *config = NULL;
  tn_status st = train_config_to_text(&t->cfg, &config, t->errmsg, sizeof t->errmsg);
  if (st != TN_STATUS_OK) {
    tf_writer_free(w);
    return st;
  }
  st = model_add_sections(w, t->model, t->model->params);
  if (st == TN_STATUS_OK) {
    tf_add(w, "state", &s, sizeof s);
    tf_add_text(w, "config_yaml", config);
    add_reals(w, "ema", t->ema, n);
    add_reals(w, "adam_m", t->adam.m, n);
    add_reals(w, "adam_v", t->adam.v, n);
    if (t->adam.amsgrad) add_reals(w, "adam_vmax", t->adam.vmax, n);
    st = tf_write(w, path, t->errmsg, sizeof t->errmsg);
  } else {
    tn_fail(t->errmsg, sizeof t->errmsg, st, "%s: out of memory", path);
  }
  tf_writer_free(w);
  free(config);
  return st;
}

/* The config a checkpoint was written with: YAML text, or in older
 * checkpoints the struct's bytes, usable only by a build whose struct has
 * the same size. */
static tn_status checkpoint_config(const tf_file *f, const char *path, tn_train_config *cfg,
                                   char *err, size_t err_len) {
  size_t n = 0;
  if (tf_find(f, "config_yaml", &n)) {
    const char *text = tf_get_text(f, "config_yaml", err, err_len);
    if (!text) return TN_STATUS_BAD_INPUT;
    char name[TN_PATH_MAX + 64];
    snprintf(name, sizeof name, "%s (section config_yaml)", path);
    return train_config_from_text(cfg, name, text, err, err_len);
  }
  if (tf_find(f, "config", &n) && n != sizeof *cfg)
    return tn_fail(err, err_len, TN_STATUS_UNSUPPORTED,
                   "%s: written by an older tanne whose config layout differs; resume it with "
                   "that version, or start the run again",
                   path);
  return tf_get(f, "config", cfg, sizeof *cfg, err, err_len);
}

/* The settings a resumed run may change; the rest must match. */
static void keep_run_settings(tn_train_config *into, const tn_train_config *from) {
  into->train.epochs = from->train.epochs;
  into->train.max_minutes = from->train.max_minutes;
  into->train.threads = from->train.threads;
  into->train.early_stopping = from->train.early_stopping;
}

tn_status tn_trainer_resume(tn_trainer **out, const tn_train_config *cfg, const tn_dataset *train,
                            const tn_dataset *val, char *err, size_t err_len) {
  *out = NULL;
  char path[TN_PATH_MAX + 32];
  path_join(path, sizeof path, cfg->output.dir, CHECKPOINT_NAME);
  tf_file f;
  tn_status st = tf_read(&f, path, TF_KIND_CHECKPOINT, err, err_len);
  if (st != TN_STATUS_OK) {
    tf_free(&f);
    return st;
  }
  tn_trainer *t = calloc(1, sizeof *t);
  if (!t) {
    tf_free(&f);
    return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
  }
  tn_train_config saved;
  checkpoint_state s;
  if ((st = checkpoint_config(&f, path, &saved, err, err_len)) != TN_STATUS_OK ||
      (st = tf_get(&f, "state", &s, sizeof s, err, err_len)) != TN_STATUS_OK)
    goto fail;
  /* The checkpoint decides everything but the run's length and threads; the
   * output folder is where it was found. */
  keep_run_settings(&saved, cfg);
  memcpy(saved.output.dir, cfg->output.dir, sizeof saved.output.dir);
  trainer_init_empty(t, &saved, train, val);
  set_threads(&saved);
  if ((st = model_from_file(&t->model, &f, err, err_len)) != TN_STATUS_OK) goto fail;
  if ((st = trainer_setup(t, err, err_len)) != TN_STATUS_OK) goto fail;
  if (s.fingerprint != t->fingerprint) {
    st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                 "%s: the training or validation data differ from those the run began with", path);
    goto fail;
  }
  size_t n = t->model->n_params;
  if ((st = get_reals(&f, "ema", t->ema, n, err, err_len)) != TN_STATUS_OK ||
      (st = get_reals(&f, "adam_m", t->adam.m, n, err, err_len)) != TN_STATUS_OK ||
      (st = get_reals(&f, "adam_v", t->adam.v, n, err, err_len)) != TN_STATUS_OK ||
      (t->adam.amsgrad &&
       (st = get_reals(&f, "adam_vmax", t->adam.vmax, n, err, err_len)) != TN_STATUS_OK))
    goto fail;
  t->epoch = (int)s.epoch;
  t->adam.step = s.adam_step;
  memcpy(t->rng.s, s.rng, sizeof s.rng);
  t->best_val = s.best_val;
  t->bad_epochs = (int)s.bad_epochs;
  t->schedule.lr_plateau = s.lr_plateau;
  t->schedule.best = s.sched_best;
  t->schedule.bad_epochs = (int)s.sched_bad;
  /* The best model so far, if one was written. */
  char best[TN_PATH_MAX + 32];
  path_join(best, sizeof best, cfg->output.dir, BEST_NAME);
  if (isfinite(t->best_val)) {
    st = tn_model_load(&t->best, best, err, err_len);
    if (st != TN_STATUS_OK) goto fail;
  }
  tf_free(&f);
  *out = t;
  return TN_STATUS_OK;
fail:
  tf_free(&f);
  tn_trainer_free(t);
  return st;
}

/* ------------------------------------------------------------ metrics CSV */

#define CSV_HEADER                                                                                 \
  "epoch,lr,train_loss,val_loss,val_energy_mae_per_atom_eV,val_forces_mae_eV_per_A,"               \
  "val_atomic_energies_mae_eV,val_stress_mae_eV_per_A3,seconds,skipped_steps\n"

/* Keeps the header and the rows of epochs ≤ keep (a resumed run redoes the
 * rest), atomically; a fresh run (keep 0) starts the file anew. */
static tn_status csv_reset(const char *path, int keep, char *err, size_t err_len) {
  char *old = NULL;
  size_t len = 0;
  char tmp[TN_PATH_MAX + 64];
  FILE *f = tn_open_temp(path, tmp, sizeof tmp);
  if (!f) return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
  fputs(CSV_HEADER, f);
  if (keep > 0 && tn_read_file(path, &old, &len, err, err_len) == TN_STATUS_OK) {
    char *line = strchr(old, '\n');
    while (line && line[1]) {
      char *next = strchr(line + 1, '\n');
      int epoch = atoi(line + 1);
      if (epoch >= 1 && epoch <= keep && next) fwrite(line + 1, 1, (size_t)(next - line), f);
      line = next;
    }
  }
  free(old);
  return tn_commit_file(f, tmp, path, err, err_len);
}

static void csv_append(const char *path, const tn_train_epoch *e) {
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%d,%.6g,%.8g,%.8g,%.8g,%.8g,%.8g,%.8g,%.2f,%d\n", e->epoch, e->lr, e->train_loss,
          e->val_loss, e->val_energy_mae, e->val_forces_mae, e->val_atoms_mae, e->val_stress_mae,
          e->seconds, e->skipped_steps);
  fclose(f);
}

/* ------------------------------------------------------------- the loop */

static void shuffle(int64_t *order, int64_t n, tn_rng *rng) {
  for (int64_t q = 0; q < n; q++) order[q] = q;
  for (int64_t q = n - 1; q > 0; q--) {
    int64_t r = (int64_t)(tn_rng_next(rng) % (uint64_t)(q + 1));
    int64_t x = order[q];
    order[q] = order[r];
    order[r] = x;
  }
}

/* Loss sums of a whole data set with the given parameters, no gradient. */
static tn_status evaluate(tn_trainer *t, const tn_dataset *ds, const train_labels *lab,
                          const tn_real *params, train_sums *sums) {
  memset(sums, 0, sizeof *sums);
  int bs = t->cfg.train.batch_size;
  int64_t which[256];
  if (bs > 256) bs = 256;
  /* Batch k is rank k mod R's; the sums are added after the loop. */
  for (int64_t f0 = (int64_t)t->comm.rank * bs; f0 < ds->n_frames;
       f0 += (int64_t)t->comm.size * bs) {
    int n = (int)(ds->n_frames - f0 < bs ? ds->n_frames - f0 : bs);
    for (int q = 0; q < n; q++) which[q] = f0 + q;
    tn_status st = model_batch_build(&t->work.batch, t->model, t->work.nl, ds, which, n, t->errmsg,
                                     sizeof t->errmsg);
    if (st == TN_STATUS_OK)
      st = model_work_reserve(&t->work, t->model, 0, t->errmsg, sizeof t->errmsg);
    if (st == TN_STATUS_OK)
      st = train_batch_loss(t->model, params, &t->work, &t->scratch, ds, which, lab, &t->weights,
                            NULL, NULL, sums, t->errmsg, sizeof t->errmsg);
    if (st != TN_STATUS_OK) return st;
  }
  if (t->comm.size == 1) return TN_STATUS_OK;
  sums_pack(t->reduce, sums);
  tn_status st = comm_sum(t, t->reduce, TRAIN_SUMS_N);
  if (st == TN_STATUS_OK) sums_unpack(sums, t->reduce);
  return st;
}

static int all_finite(const tn_real *x, size_t n) {
  for (size_t q = 0; q < n; q++)
    if (!isfinite(x[q])) return 0;
  return 1;
}

static double mae(double sum, int64_t n) { return n > 0 ? sum / (double)n : NAN; }

/* One epoch of steps. Returns the mean training loss in *loss. */
static tn_status train_epoch(tn_trainer *t, tn_train_fn fn, void *user, double *loss,
                             int *skipped) {
  const tn_train_config *cfg = &t->cfg;
  const tn_dataset *ds = t->train;
  size_t np = t->model->n_params;
  int bs = cfg->train.batch_size;
  int64_t n_batches = (ds->n_frames + bs - 1) / bs;
  int need_tangent = (t->lab_train.forces && t->weights.forces > 0) ||
                     (t->lab_train.stress && t->weights.stress > 0);
  train_sums sums;
  memset(&sums, 0, sizeof sums);
  shuffle(t->order, ds->n_frames, &t->rng);
  int bad_run = 0;
  *skipped = 0;
  int rank = t->comm.rank, size = t->comm.size;
  for (int64_t b = 0; b < n_batches; b++) {
    const int64_t *which = t->order + b * bs;
    int n = (int)(ds->n_frames - b * bs < bs ? ds->n_frames - b * bs : bs);
    /* This rank's slice [lo, hi) of the batch; the means are the batch's. */
    int lo = (int)((int64_t)n * rank / size), hi = (int)((int64_t)n * (rank + 1) / size);
    train_sums counts, bsums;
    train_batch_counts(&counts, ds, which, n, &t->lab_train);
    memset(&bsums, 0, sizeof bsums);
    memset(t->grad, 0, np * sizeof *t->grad);
    tn_status st = TN_STATUS_OK;
    if (hi > lo) {
      st = model_batch_build(&t->work.batch, t->model, t->work.nl, ds, which + lo, hi - lo,
                             t->errmsg, sizeof t->errmsg);
      if (st == TN_STATUS_OK)
        st = model_work_reserve(&t->work, t->model, need_tangent, t->errmsg, sizeof t->errmsg);
      if (st == TN_STATUS_OK)
        st = train_batch_loss(t->model, t->model->params, &t->work, &t->scratch, ds, which + lo,
                              &t->lab_train, &t->weights, &counts, t->grad, &bsums, t->errmsg,
                              sizeof t->errmsg);
    }
    if (st == TN_STATUS_OK && size > 1) st = comm_sum_step(t, &bsums);
    if (st != TN_STATUS_OK) return st;
    double batch_loss = train_sums_loss(&bsums, &t->weights);
    double norm = train_clip(t->grad, np, cfg->optimizer.clip_norm, t->lr_scale);
    double lr = train_schedule_lr(&t->schedule, t->epoch, (double)b / (double)n_batches);
    memcpy(t->backup, t->model->params, np * sizeof *t->backup);
    int ok = isfinite(batch_loss) && isfinite(norm);
    if (ok) {
      train_adam_update(&t->adam, t->model->params, t->grad, lr, t->lr_scale);
      ok = all_finite(t->model->params, np);
      if (!ok) {
        /* Roll the parameters back; the moments saw a finite gradient and
         * keep it. */
        memcpy(t->model->params, t->backup, np * sizeof *t->backup);
      }
    }
    if (!ok) {
      char msg[256];
      snprintf(msg, sizeof msg,
               "epoch %d, step %lld: loss or gradient not finite (loss %g, |g| %g); step "
               "skipped, parameters kept at the last good state",
               t->epoch + 1, (long long)b + 1, batch_loss, norm);
      if (fn) fn(user, NULL, msg);
      (*skipped)++;
      if (++bad_run >= MAX_BAD_STEPS)
        return tn_fail(t->errmsg, sizeof t->errmsg, TN_STATUS_BAD_INPUT,
                       "training diverged: %d steps in a row had a non-finite loss or gradient "
                       "(lower optimizer.lr or check the data); the last checkpoint is intact",
                       bad_run);
      continue;
    }
    bad_run = 0;
    train_sums_add(&sums, &bsums);
    if (cfg->optimizer.ema > 0.0)
      train_ema_update(t->ema, t->model->params, np, cfg->optimizer.ema, t->lr_scale);
    else
      memcpy(t->ema, t->model->params, np * sizeof *t->ema);
  }
  *loss = train_sums_loss(&sums, &t->weights);
  return TN_STATUS_OK;
}

static tn_status save_best(tn_trainer *t) {
  char path[TN_PATH_MAX + 32];
  path_join(path, sizeof path, t->cfg.output.dir, BEST_NAME);
  if (!t->best) {
    char err[256];
    tn_status st = tn_model_create(&t->best, &t->model->opt, t->model->elements,
                                   t->model->n_elements, 0, err, sizeof err);
    if (st == TN_STATUS_OK && t->model->arch->copy_extra)
      st = t->model->arch->copy_extra(t->best, t->model, err, sizeof err);
    if (st != TN_STATUS_OK) return tn_fail(t->errmsg, sizeof t->errmsg, st, "%s", err);
  }
  memcpy(t->best->params, t->ema, t->model->n_params * sizeof *t->ema);
  tn_model_set_shifts(t->best, t->model->shift, t->model->scale);
  if (tn_model_set_lineage(t->best, t->model->lineage) != TN_STATUS_OK)
    return tn_fail(t->errmsg, sizeof t->errmsg, TN_STATUS_NO_MEMORY, "out of memory");
  if (t->comm.rank != 0) return TN_STATUS_OK; /* only rank 0 writes */
  tn_status st = tn_model_save(t->best, path);
  if (st != TN_STATUS_OK) tn_fail(t->errmsg, sizeof t->errmsg, st, "%s", t->best->errmsg);
  return st;
}

tn_status tn_trainer_run(tn_trainer *t, tn_train_fn fn, void *user) {
  const tn_train_config *cfg = &t->cfg;
  set_threads(cfg);
  char csv[TN_PATH_MAX + 32];
  path_join(csv, sizeof csv, cfg->output.dir, METRICS_NAME);
  int writer = t->comm.rank == 0; /* only rank 0 writes files */
  tn_status st = writer ? csv_reset(csv, t->epoch, t->errmsg, sizeof t->errmsg) : TN_STATUS_OK;
  if (st == TN_STATUS_OK && t->comm.size > 1) st = comm_check_start(t);
  if (st != TN_STATUS_OK) return st;
  double start = now_seconds();
  int first_epoch = t->epoch;
  while (t->epoch < cfg->train.epochs) {
    double loss = NAN;
    int skipped = 0;
    st = train_epoch(t, fn, user, &loss, &skipped);
    if (st != TN_STATUS_OK) return st;
    t->epoch++;
    if (t->comm.size > 1 && (st = comm_check_params(t)) != TN_STATUS_OK) return st;
    train_sums vs;
    memset(&vs, 0, sizeof vs);
    double val_loss = loss;
    if (t->val) {
      st = evaluate(t, t->val, &t->lab_val, t->ema, &vs);
      if (st != TN_STATUS_OK) return st;
      val_loss = train_sums_loss(&vs, &t->weights);
    }
    train_schedule_epoch_end(&t->schedule, t->epoch - 1, val_loss);
    int improved = val_loss < t->best_val;
    if (improved) {
      t->best_val = val_loss;
      t->bad_epochs = 0;
      if ((st = save_best(t)) != TN_STATUS_OK) return st;
    } else {
      t->bad_epochs++;
    }
    double elapsed = now_seconds() - start;
    int done = t->epoch - first_epoch;
    int stop_early = cfg->train.early_stopping > 0 && t->bad_epochs >= cfg->train.early_stopping;
    int out_of_time = cfg->train.max_minutes > 0 && elapsed > 60.0 * cfg->train.max_minutes;
    int last = t->epoch >= cfg->train.epochs || stop_early || out_of_time;
    double eta = elapsed / done * (cfg->train.epochs - t->epoch);
    if (cfg->train.max_minutes > 0)
      eta = fmin(eta, fmax(0.0, 60.0 * cfg->train.max_minutes - elapsed));
    tn_train_epoch e = {
        .epoch = t->epoch,
        .epochs = cfg->train.epochs,
        .lr = train_schedule_lr(&t->schedule, t->epoch, 0.0),
        .train_loss = loss,
        .val_loss = val_loss,
        .val_energy_mae = mae(vs.ab_e, vs.n_e),
        .val_forces_mae = mae(vs.ab_f, vs.n_f),
        .val_atoms_mae = mae(vs.ab_a, vs.n_a),
        .val_stress_mae = mae(vs.ab_s, vs.n_s),
        .seconds = elapsed,
        .eta_seconds = eta, /* the epochs left or the time left, whichever ends first */
        .improved = improved,
        .skipped_steps = skipped,
    };
    if (writer) csv_append(csv, &e);
    int periodic = cfg->output.checkpoint_every > 0 && t->epoch % cfg->output.checkpoint_every == 0;
    if (writer && (improved || periodic || last)) {
      if ((st = checkpoint_write(t)) != TN_STATUS_OK) return st;
    }
    if (fn) fn(user, &e, NULL);
    if (stop_early || out_of_time) {
      if (fn)
        fn(user, NULL,
           stop_early ? "early stopping: the validation loss stopped improving"
                      : "stopping: train.max_minutes reached");
      break;
    }
  }
  if (!t->best) return save_best(t); /* no epoch ran: the start is the best */
  return TN_STATUS_OK;
}
