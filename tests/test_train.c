/* The trainer: it learns (the loss falls on liquid argon); a run killed with
 * SIGKILL and resumed ends bitwise where an uninterrupted run ends (one
 * thread); a step with a non-finite loss is dropped and reported; damaged
 * checkpoints and changed data are refused; the optimizer pieces; two
 * ranks of a data-parallel run (two threads and a fake comm) train the
 * model one rank trains. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/core/tagfile.h"
#include "../src/train/train.h"
#include "harness.h"

#define KILL_EPOCHS 30

static tn_dataset *argon(int n_frames, uint64_t seed) {
  tn_dataset *ds = tn_dataset_create();
  tn_noble_gas pot = tn_noble_gas_default();
  tn_noble_gas_sample s = tn_noble_gas_sample_default();
  s.n_atoms = 32;
  s.n_frames = n_frames;
  s.equilibration_steps = 200;
  s.steps_between = 20;
  s.seed = seed;
  if (tn_noble_gas_generate(ds, &pot, &s, NULL, NULL) != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", tn_dataset_errmsg(ds));
    tn_dataset_free(ds);
    return NULL;
  }
  return ds;
}

static tn_train_config small_config(const char *dir) {
  tn_train_config c = tn_train_config_default();
  c.model.features = 8;
  c.model.interactions = 2;
  c.model.n_basis = 8;
  c.model.cutoff = 5.0;
  c.train.batch_size = 4;
  c.train.epochs = 6;
  c.train.threads = 1;
  c.optimizer.lr = 3e-3;
  c.output.checkpoint_every = 1;
  c.seed = 5;
  snprintf(c.output.dir, sizeof c.output.dir, "%s", dir);
  return c;
}

typedef struct epoch_log {
  int n;
  double loss[64];
  int skipped;
  char message[256];
} epoch_log;

static void log_epoch(void *user, const tn_train_epoch *e, const char *message) {
  epoch_log *log = user;
  if (e && log->n < 64) {
    log->loss[log->n++] = e->train_loss;
    log->skipped += e->skipped_steps;
  }
  if (message) snprintf(log->message, sizeof log->message, "%s", message);
}

static tn_status train_fresh(const tn_train_config *c, const tn_dataset *tr, const tn_dataset *va,
                             epoch_log *log) {
  tn_trainer *t = NULL;
  char err[512];
  tn_status st = tn_trainer_create(&t, c, tr, va, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "  %s\n", err);
    return st;
  }
  st = tn_trainer_run(t, log_epoch, log);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", tn_trainer_errmsg(t));
  tn_trainer_free(t);
  return st;
}

static void test_loss_falls(void) {
  tn_dataset *tr = argon(16, 3), *va = argon(4, 4);
  CHECK(tr && va);
  if (!tr || !va) return;
  tn_train_config c = small_config(harness_tmp("falls"));
  c.train.epochs = 15;
  epoch_log log = {0};
  CHECK_OK(train_fresh(&c, tr, va, &log));
  CHECK(log.n == 15);
  /* Forces of liquid argon are learnable by a tiny SchNet in a few epochs:
   * the loss must fall well below where it started. */
  CHECK(log.loss[log.n - 1] < 0.5 * log.loss[0]);
  char path[1100];
  snprintf(path, sizeof path, "%s/best.tnm", c.output.dir);
  tn_model *m = NULL;
  char err[256];
  CHECK_OK(tn_model_load(&m, path, err, sizeof err));
  tn_model_free(m);
  snprintf(path, sizeof path, "%s/metrics.csv", c.output.dir);
  char *csv = NULL;
  size_t len = 0;
  CHECK_OK(tn_read_file(path, &csv, &len, err, sizeof err));
  int rows = 0;
  for (size_t q = 0; q < len; q++) rows += csv[q] == '\n';
  CHECK(rows == 16); /* header + one row per epoch */
  free(csv);
  tn_dataset_free(tr);
  tn_dataset_free(va);
}

static int files_equal(const char *a, const char *b) {
  char *x = NULL, *y = NULL, err[256];
  size_t nx = 0, ny = 0;
  int same = tn_read_file(a, &x, &nx, err, sizeof err) == TN_STATUS_OK &&
             tn_read_file(b, &y, &ny, err, sizeof err) == TN_STATUS_OK && nx == ny &&
             memcmp(x, y, nx) == 0;
  free(x);
  free(y);
  return same;
}

static int logged_epochs(const char *dir) {
  char path[1100];
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  char *csv = NULL, err[256];
  size_t len = 0;
  if (tn_read_file(path, &csv, &len, err, sizeof err) != TN_STATUS_OK) return 0;
  int rows = 0;
  for (size_t q = 0; q < len; q++) rows += csv[q] == '\n';
  free(csv);
  return rows - 1;
}

/* Every section of two checkpoints but "config_yaml" (which names the folder). */
static int checkpoints_equal(const char *a, const char *b) {
  tf_file x, y;
  char err[256];
  int same = tf_read(&x, a, TF_KIND_CHECKPOINT, err, sizeof err) == TN_STATUS_OK &&
             tf_read(&y, b, TF_KIND_CHECKPOINT, err, sizeof err) == TN_STATUS_OK &&
             x.n_sections == y.n_sections;
  for (uint64_t q = 0; same && q < x.n_sections; q++) {
    const tf_section *s = &x.sections[q], *t = &y.sections[q];
    if (strcmp(s->tag, "config_yaml") == 0) continue;
    same = strcmp(s->tag, t->tag) == 0 && s->n_bytes == t->n_bytes &&
           memcmp(s->data, t->data, s->n_bytes) == 0;
  }
  tf_free(&x);
  tf_free(&y);
  return same;
}

/* The acceptance test: a child trains on one thread and the parent sends
 * SIGKILL once a given number of epochs is on disk, a moment later, so the
 * kill lands inside an epoch or a checkpoint write. The resumed run must
 * end with the model and checkpoint of a run never interrupted, bit for
 * bit. Done for two kill points. */
static void test_kill_and_resume_is_bitwise(void) {
  tn_dataset *tr = argon(12, 7), *va = argon(4, 8);
  CHECK(tr && va);
  if (!tr || !va) return;
  tn_train_config straight = small_config(harness_tmp("straight"));
  straight.train.epochs = KILL_EPOCHS;
  epoch_log log = {0};
  CHECK_OK(train_fresh(&straight, tr, va, &log));
  for (int attempt = 0; attempt < 2; attempt++) {
    tn_train_config killed = small_config(harness_tmp(attempt ? "killed-late" : "killed-early"));
    killed.train.epochs = KILL_EPOCHS;
    pid_t pid = fork();
    if (pid == 0) {
      epoch_log child = {0};
      train_fresh(&killed, tr, va, &child);
      _exit(0);
    }
    int target = attempt == 0 ? 2 : KILL_EPOCHS / 2;
    for (int spin = 0; spin < 200000 && logged_epochs(killed.output.dir) < target; spin++)
      usleep(100);
    usleep(attempt == 0 ? 1000 : 7000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* it was still training */
    tn_trainer *t = NULL;
    char err[512];
    tn_status st = tn_trainer_resume(&t, &killed, tr, va, err, sizeof err);
    if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
    CHECK(st == TN_STATUS_OK);
    if (st == TN_STATUS_OK) {
      epoch_log rlog = {0};
      CHECK_OK(tn_trainer_run(t, log_epoch, &rlog));
      CHECK(rlog.n >= KILL_EPOCHS - target - 1);
    }
    tn_trainer_free(t);
    char a[1100], b[1100];
    snprintf(a, sizeof a, "%s/best.tnm", straight.output.dir);
    snprintf(b, sizeof b, "%s/best.tnm", killed.output.dir);
    CHECK(files_equal(a, b));
    snprintf(a, sizeof a, "%s/checkpoint.tnc", straight.output.dir);
    snprintf(b, sizeof b, "%s/checkpoint.tnc", killed.output.dir);
    CHECK(checkpoints_equal(a, b));
    CHECK(logged_epochs(killed.output.dir) == KILL_EPOCHS);
  }
  tn_dataset_free(tr);
  tn_dataset_free(va);
}

static void test_resume_refuses_other_data_and_damage(void) {
  tn_dataset *tr = argon(8, 9), *va = argon(4, 10), *other = argon(8, 11);
  CHECK(tr && va && other);
  if (!tr || !va || !other) return;
  tn_train_config c = small_config(harness_tmp("refuse"));
  c.train.epochs = 2;
  epoch_log log = {0};
  CHECK_OK(train_fresh(&c, tr, va, &log));
  tn_trainer *t = NULL;
  char err[512];
  CHECK(tn_trainer_resume(&t, &c, other, va, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "differ") != NULL && t == NULL);
  char path[1100];
  snprintf(path, sizeof path, "%s/checkpoint.tnc", c.output.dir);
  char *data = NULL;
  size_t len = 0;
  CHECK_OK(tn_read_file(path, &data, &len, err, sizeof err));
  FILE *f = fopen(path, "wb");
  fwrite(data, 1, len - 100, f);
  fclose(f);
  CHECK(tn_trainer_resume(&t, &c, tr, va, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "truncated") != NULL && t == NULL);
  free(data);
  tn_train_config none = small_config(harness_tmp("nothing-here"));
  CHECK(tn_trainer_resume(&t, &none, tr, va, err, sizeof err) == TN_STATUS_IO);
  tn_dataset_free(tr);
  tn_dataset_free(va);
  tn_dataset_free(other);
}

/* The checkpoint at path again, with section `drop` replaced by `tag` holding
 * n bytes of data. */
static void replace_section(const char *path, const char *drop, const char *tag, const void *data,
                            size_t n) {
  tf_file f;
  char err[256];
  CHECK_OK(tf_read(&f, path, TF_KIND_CHECKPOINT, err, sizeof err));
  tf_writer *w = tf_writer_create(TF_KIND_CHECKPOINT);
  for (uint64_t q = 0; q < f.n_sections; q++)
    if (strcmp(f.sections[q].tag, drop) != 0)
      tf_add(w, f.sections[q].tag, f.sections[q].data, f.sections[q].n_bytes);
  tf_add(w, tag, data, n);
  CHECK_OK(tf_write(w, path, err, sizeof err));
  tf_writer_free(w);
  tf_free(&f);
}

/* Checkpoints keep their config as YAML, so a resume reads it whatever the
 * struct's layout; one from before that, of another layout, is refused with
 * a reason, and a damaged config is named. */
static void test_checkpoint_config_is_text(void) {
  tn_dataset *tr = argon(8, 9), *va = argon(4, 10);
  CHECK(tr && va);
  if (!tr || !va) return;
  tn_train_config c = small_config(harness_tmp("config-text"));
  c.train.epochs = 1;
  c.optimizer.lr = 3.0e-4;
  epoch_log log = {0};
  CHECK_OK(train_fresh(&c, tr, va, &log));
  char path[1100], err[512];
  snprintf(path, sizeof path, "%s/checkpoint.tnc", c.output.dir);
  tf_file f;
  CHECK_OK(tf_read(&f, path, TF_KIND_CHECKPOINT, err, sizeof err));
  const char *text = tf_get_text(&f, "config_yaml", err, sizeof err);
  CHECK(text && strstr(text, "lr: 0.0003") != NULL);
  tf_free(&f);
  tn_trainer *t = NULL;
  c.train.epochs = 2;
  CHECK_OK(tn_trainer_resume(&t, &c, tr, va, err, sizeof err));
  tn_trainer_free(t);
  t = NULL;
  const char bad[] = "optimizer:\n  lr: fast\n";
  replace_section(path, "config_yaml", "config_yaml", bad, sizeof bad);
  CHECK(tn_trainer_resume(&t, &c, tr, va, err, sizeof err) == TN_STATUS_BAD_INPUT);
  CHECK(strstr(err, "config_yaml") != NULL && strstr(err, "lr") != NULL && t == NULL);
  char old_layout[100] = {0};
  replace_section(path, "config_yaml", "config", old_layout, sizeof old_layout);
  CHECK(tn_trainer_resume(&t, &c, tr, va, err, sizeof err) == TN_STATUS_UNSUPPORTED);
  CHECK(strstr(err, "older tanne") != NULL && t == NULL);
  tn_dataset_free(tr);
  tn_dataset_free(va);
}

/* A frame whose energy label is NaN makes its batch's loss NaN: the step is
 * dropped with a message, the others train, the parameters stay finite. */
static void test_nonfinite_step_is_skipped(void) {
  tn_dataset *tr = argon(8, 12);
  CHECK(tr != NULL);
  if (!tr) return;
  tn_column *e = NULL;
  for (int q = 0; q < tr->n_columns; q++)
    if (strcmp(tr->columns[q].name, TN_LABEL_ENERGY) == 0) e = &tr->columns[q];
  CHECK(e != NULL);
  if (!e) return;
  tn_train_config c = small_config(harness_tmp("nan"));
  c.train.epochs = 3;
  c.train.batch_size = 1;
  tn_trainer *t = NULL;
  char err[512];
  CHECK_OK(tn_trainer_create(&t, &c, tr, NULL, err, sizeof err));
  e->values[5] = NAN; /* after the shifts were fitted on clean data */
  epoch_log log = {0};
  CHECK_OK(tn_trainer_run(t, log_epoch, &log));
  CHECK(log.skipped == 3); /* one bad step per epoch */
  CHECK(strstr(log.message, "not finite") != NULL);
  tn_model *m = tn_trainer_model(t);
  tn_frame fr;
  tn_dataset_frame(tr, 0, &fr);
  double energy = NAN;
  CHECK_OK(tn_model_eval(m, &fr, &energy, NULL, NULL, NULL));
  CHECK(isfinite(energy));
  tn_trainer_free(t);
  tn_dataset_free(tr);
}

static void test_adam_and_clip(void) {
  /* One Adam step from zero moments moves every parameter by lr (sign of
   * the gradient), up to eps: the bias correction makes m̂/√v̂ = ±1. */
  train_adam a;
  CHECK_OK(train_adam_init(&a, 3, 0));
  a.beta1 = 0.9;
  a.beta2 = 0.999;
  a.eps = 1e-12;
  tn_real p[3] = {1, 2, 3}, g[3] = {0.5f, -2, 1e-3f};
  train_adam_update(&a, p, g, 0.01, NULL);
  CHECK_NEAR(p[0], 0.99, 1e-6, 0);
  CHECK_NEAR(p[1], 2.01, 1e-6, 0);
  CHECK_NEAR(p[2], 2.99, 1e-5, 0);
  train_adam_free(&a);
  tn_real v[2] = {3, 4};
  CHECK_NEAR(train_clip(v, 2, 1.0, NULL), 5.0, 1e-12, 0);
  CHECK_NEAR(v[0], 0.6, 1e-6, 0);
  CHECK_NEAR(v[1], 0.8, 1e-6, 0);
  /* AMSGrad divides by the running maximum of v: after a large gradient, a
   * small one moves the parameter less than Adam would. */
  train_adam x, y;
  CHECK_OK(train_adam_init(&x, 1, 0));
  CHECK_OK(train_adam_init(&y, 1, 1));
  x.beta1 = y.beta1 = 0.0;
  x.beta2 = y.beta2 = 0.5;
  x.eps = y.eps = 1e-12;
  tn_real px = 0, py = 0, big = 10, small = 0.1f;
  train_adam_update(&x, &px, &big, 0.1, NULL);
  train_adam_update(&y, &py, &big, 0.1, NULL);
  CHECK(px == py);
  for (int k = 0; k < 5; k++) {
    train_adam_update(&x, &px, &small, 0.1, NULL);
    train_adam_update(&y, &py, &small, 0.1, NULL);
  }
  CHECK(py > px); /* both decrease; AMSGrad by less */
  train_adam_free(&x);
  train_adam_free(&y);
}

static void test_schedules(void) {
  tn_train_config c = tn_train_config_default();
  c.optimizer.lr = 1e-3;
  train_schedule s;
  char err[256];
  snprintf(c.schedule.type, sizeof c.schedule.type, "exponential");
  c.schedule.decay_rate = 0.1;
  c.schedule.decay_epochs = 10;
  c.schedule.warmup_epochs = 0;
  CHECK_OK(train_schedule_init(&s, &c, err, sizeof err));
  CHECK_NEAR(train_schedule_lr(&s, 10, 0.0), 1e-4, 1e-12, 0);
  CHECK_NEAR(train_schedule_lr(&s, 5, 0.0), 1e-3 * pow(0.1, 0.5), 1e-12, 0);
  snprintf(c.schedule.type, sizeof c.schedule.type, "plateau");
  c.schedule.patience = 2;
  c.schedule.factor = 0.5;
  c.schedule.warmup_epochs = 4;
  CHECK_OK(train_schedule_init(&s, &c, err, sizeof err));
  CHECK_NEAR(train_schedule_lr(&s, 0, 0.0), 1e-4, 1e-12, 0); /* warmup starts at lr/10 */
  CHECK_NEAR(train_schedule_lr(&s, 2, 0.0), 1e-3 * (0.1 + 0.9 * 0.5), 1e-12, 0);
  double losses[8] = {1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8};
  for (int e = 4; e < 8; e++) train_schedule_epoch_end(&s, e, losses[e]);
  /* epoch 4 sets the best, 5, 6 and 7 do not improve: after patience 2 the
   * rate halves once. */
  CHECK_NEAR(train_schedule_lr(&s, 8, 0.0), 5e-4, 1e-12, 0);
  snprintf(c.schedule.type, sizeof c.schedule.type, "cosine");
  CHECK(train_schedule_init(&s, &c, err, sizeof err) == TN_STATUS_INVALID_ARG);
}

/* ---- data parallel: two ranks as two threads of this process */

/* Adds the two ranks' buffers as MPI would for two ranks: x0 + x1, the
 * same bits on both; fails (on both) when their lengths differ. */
typedef struct fake_world {
  pthread_barrier_t bar;
  double *x[2];
  size_t n[2];
} fake_world;

typedef struct fake_rank {
  fake_world *world;
  int rank;
  /* what the thread trains */
  const tn_train_config *cfg;
  const tn_dataset *train, *val;
  tn_status status;
  tn_real *params; /* malloc'd copy of the best model's parameters */
  size_t n_params;
  epoch_log log;
} fake_rank;

static int fake_allreduce(void *user, double *x, size_t n) {
  fake_rank *r = user;
  fake_world *w = r->world;
  w->x[r->rank] = x;
  w->n[r->rank] = n;
  pthread_barrier_wait(&w->bar);
  int ok = w->n[0] == w->n[1];
  if (ok && r->rank == 0)
    for (size_t q = 0; q < n; q++) x[q] += w->x[1][q];
  pthread_barrier_wait(&w->bar);
  if (ok && r->rank == 1) memcpy(x, w->x[0], n * sizeof *x);
  pthread_barrier_wait(&w->bar);
  return !ok;
}

static int fail_allreduce(void *user, double *x, size_t n) {
  (void)user;
  (void)x;
  (void)n;
  return 1;
}

static void *rank_main(void *arg) {
  fake_rank *r = arg;
  tn_trainer *t = NULL;
  char err[512];
  tn_comm comm = {.rank = r->rank, .size = 2, .allreduce_sum = fake_allreduce, .user = r};
  r->status = tn_trainer_create(&t, r->cfg, r->train, r->val, err, sizeof err);
  if (r->status == TN_STATUS_OK) r->status = tn_trainer_set_comm(t, &comm);
  if (r->status == TN_STATUS_OK) r->status = tn_trainer_run(t, log_epoch, &r->log);
  if (r->status == TN_STATUS_OK) {
    const tn_model *m = tn_trainer_model(t);
    r->n_params = m->n_params;
    r->params = malloc(m->n_params * sizeof *r->params);
    if (r->params) memcpy(r->params, m->params, m->n_params * sizeof *r->params);
  }
  tn_trainer_free(t);
  return NULL;
}

/* Trains cfg[r] on ranks 0 and 1 (threads) sharing one fake comm. */
static void run_two_ranks(fake_rank r[2], const tn_train_config cfg[2], const tn_dataset *tr,
                          const tn_dataset *va) {
  fake_world w;
  memset(&w, 0, sizeof w);
  pthread_barrier_init(&w.bar, NULL, 2);
  pthread_t th[2];
  for (int k = 0; k < 2; k++) {
    r[k] = (fake_rank){.world = &w, .rank = k, .cfg = &cfg[k], .train = tr, .val = va};
    pthread_create(&th[k], NULL, rank_main, &r[k]);
  }
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  pthread_barrier_destroy(&w.bar);
}

static int file_exists(const char *dir, const char *name) {
  char path[1100];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0;
}

/* The same global batch on one rank and split over two (batch_size 5 of
 * 16 frames: slices of 2+3 frames, and a last batch of 1 = 0+1, which
 * leaves rank 0 nothing to compute), forces
 * and energies in the loss, validation dealt out between the ranks. The
 * ranks end bitwise equal to each other, and equal to the one-rank model
 * up to float32 round-off: the only difference is the order of the
 * gradient's additions (within a slice in float, then the two slices in
 * double, against all frames in float), a relative 1e-7 per step that
 * Adam's normalised steps of size lr carry forward without growth over
 * these few steps. Only rank 0 writes. */
static void test_two_ranks_train_the_one_rank_model(void) {
  tn_dataset *tr = argon(16, 21), *va = argon(5, 22);
  CHECK(tr && va);
  if (!tr || !va) return;
  tn_train_config one = small_config(harness_tmp("comm-one"));
  one.train.batch_size = 5;
  one.train.epochs = 4;
  epoch_log log = {0};
  tn_trainer *t = NULL;
  char err[512];
  CHECK_OK(tn_trainer_create(&t, &one, tr, va, err, sizeof err));
  CHECK_OK(tn_trainer_run(t, log_epoch, &log));
  const tn_model *m1 = tn_trainer_model(t);
  tn_train_config cfg[2] = {one, one};
  snprintf(cfg[0].output.dir, sizeof cfg[0].output.dir, "%s", harness_tmp("comm-rank0"));
  snprintf(cfg[1].output.dir, sizeof cfg[1].output.dir, "%s", harness_tmp("comm-rank1"));
  fake_rank r[2];
  run_two_ranks(r, cfg, tr, va);
  CHECK_OK(r[0].status);
  CHECK_OK(r[1].status);
  if (r[0].params && r[1].params) {
    CHECK(r[0].n_params == m1->n_params && r[1].n_params == m1->n_params);
    CHECK(memcmp(r[0].params, r[1].params, m1->n_params * sizeof *m1->params) == 0);
    double worst = 0.0;
    for (size_t q = 0; q < m1->n_params; q++) {
      double d = fabs((double)r[0].params[q] - (double)m1->params[q]);
      d /= 1.0 + fabs((double)m1->params[q]);
      if (d > worst) worst = d;
    }
    printf("  1 vs 2 ranks: largest parameter difference %.2e (relative to 1 + |p|)\n", worst);
    CHECK(worst < 1e-5);
  }
  CHECK(r[0].log.n == log.n && r[1].log.n == log.n);
  for (int e = 0; e < log.n && e < r[0].log.n; e++) {
    CHECK_NEAR(r[0].log.loss[e], log.loss[e], 1e-5, 0);
    CHECK(r[0].log.loss[e] == r[1].log.loss[e]);
  }
  CHECK(logged_epochs(cfg[0].output.dir) == 4);
  CHECK(file_exists(cfg[0].output.dir, "best.tnm") &&
        file_exists(cfg[0].output.dir, "checkpoint.tnc"));
  CHECK(!file_exists(cfg[1].output.dir, "metrics.csv") &&
        !file_exists(cfg[1].output.dir, "best.tnm") &&
        !file_exists(cfg[1].output.dir, "checkpoint.tnc"));
  free(r[0].params);
  free(r[1].params);
  tn_trainer_free(t);
  tn_dataset_free(tr);
  tn_dataset_free(va);
}

/* Ranks that start from different models (other seeds), a comm that
 * fails, and bad comms are refused. */
static void test_comm_errors(void) {
  tn_dataset *tr = argon(6, 23);
  CHECK(tr != NULL);
  if (!tr) return;
  tn_train_config cfg[2] = {small_config(harness_tmp("comm-seed0")),
                            small_config(harness_tmp("comm-seed1"))};
  cfg[0].train.epochs = cfg[1].train.epochs = 1;
  cfg[1].seed = 6;
  fake_rank r[2];
  run_two_ranks(r, cfg, tr, NULL);
  CHECK(r[0].status == TN_STATUS_COMM && r[1].status == TN_STATUS_COMM);
  free(r[0].params);
  free(r[1].params);

  tn_trainer *t = NULL;
  char err[512];
  CHECK_OK(tn_trainer_create(&t, &cfg[0], tr, NULL, err, sizeof err));
  tn_comm bad = {.rank = 2, .size = 2, .allreduce_sum = fail_allreduce};
  CHECK(tn_trainer_set_comm(t, &bad) == TN_STATUS_INVALID_ARG);
  bad = (tn_comm){.rank = 0, .size = 2};
  CHECK(tn_trainer_set_comm(t, &bad) == TN_STATUS_INVALID_ARG);
  bad.allreduce_sum = fail_allreduce;
  CHECK_OK(tn_trainer_set_comm(t, &bad));
  CHECK(tn_trainer_run(t, NULL, NULL) == TN_STATUS_COMM);
  CHECK(strstr(tn_trainer_errmsg(t), "allreduce") != NULL);
  tn_comm single = tn_comm_single();
  CHECK_OK(tn_trainer_set_comm(t, &single));
  CHECK_OK(tn_trainer_run(t, NULL, NULL));
  tn_trainer_free(t);
  tn_dataset_free(tr);
}

int main(void) {
  RUN(test_adam_and_clip);
  RUN(test_schedules);
  RUN(test_loss_falls);
  RUN(test_kill_and_resume_is_bitwise);
  RUN(test_resume_refuses_other_data_and_damage);
  RUN(test_checkpoint_config_is_text);
  RUN(test_nonfinite_step_is_skipped);
  RUN(test_two_ranks_train_the_one_rank_model);
  RUN(test_comm_errors);
  return harness_finish();
}
