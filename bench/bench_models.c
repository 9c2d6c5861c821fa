/* Speed of the models, and the inputs for bench/torch_models.py to time the
 * same networks in PyTorch on the same weights and inputs.
 *
 * For every architecture in `archs` that tn_model_create knows (default
 * hyperparameters: 128 features, 3 interactions, 5 Å; random weights,
 * shifts fitted to the aspirin energies):
 *   - energies + forces of 64 rMD17 aspirin frames (21 atoms) one at a time
 *     through tn_model_eval (batch 1) and as one batch through
 *     model_batch_build + model_predict (batch 64), time per frame;
 *   - energies + forces of a periodic liquid-argon box of 1000 and of 10000
 *     atoms (tn_model_eval), time per atom, which should not depend on N;
 *   - training steps on aspirin, batch 16: loss of energies and forces,
 *     forward + tangent + backward (train_batch_loss), then Adam, frames/s;
 *   - nn_gemm: the rate of large square products (1 and all threads) and
 *     the rate the dense layers reach inside the workloads (GEMM counters,
 *     TN_GEMM_STATS in src/nn/gemm.c), as a share of that peak.
 * Every tanne time includes building the neighbor lists and the batch.
 *
 * Output folder: $TANNE_BENCH_OUT (default build/bench-out), one subfolder
 * per architecture with model.tnm, the systems as .npy (positions, edge
 * lists, tanne's energies and forces), the loss gradient of the first
 * training batch, and tanne.tsv with the timings. Data: $TANNE_DATA or
 * ../shared/data; the aspirin workloads are skipped when it is absent. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/models/model.h"
#include "../src/train/train.h"
#include "machine.h"
#include "models_util.h"

#define ASPIRIN_FILE   "rmd17/rmd17_aspirin_test_01.npz"
#define ASPIRIN_FRAMES 64
#define TRAIN_BATCH    16
#define AR_DENSITY     0.0213 /* atoms/Å³, liquid argon near its triple point */
#define GEMM_PEAK_N    2048
#define MAX_ATOMS      10000 /* the larger argon box */

/* The architectures, one entry each; options() changes the defaults where
 * an architecture needs it (NULL: tn_model_options_default with the type). */
typedef struct bench_arch {
  const char *type;
  void (*options)(tn_model_options *o);
} bench_arch;

static const bench_arch archs[] = {
    {"schnet", NULL},
    {"painn", NULL},
    {"bpnn", NULL},
};

/* Elements of every model: aspirin's H, C, O and argon. */
static const int32_t elements[] = {1, 6, 8, 18};

typedef struct bench_ctx {
  tn_model *m;
  const tn_dataset *asp; /* ASPIRIN_FRAMES frames with labels, or NULL */
  const tn_dataset *box; /* the argon box being timed */
  model_work work;       /* batch API scratch (tn_model_eval keeps its own) */
  train_scratch scratch;
  train_adam adam;
  train_labels lab;
  train_weights wt;
  double lr;
  tn_real *params, *grad; /* training copy of the parameters, gradient */
  int64_t which[ASPIRIN_FRAMES];
  double *atom_e;      /* [max_atoms] */
  double (*forces)[3]; /* [max_atoms] */
  char err[512];
} bench_ctx;

/* ------------------------------------------------------------ workloads */

static int fail_with(bench_ctx *c, const char *why) {
  if (why != c->err) snprintf(c->err, sizeof c->err, "%s", why);
  return -1;
}

/* Every aspirin frame through tn_model_eval: energy and forces. */
static int run_aspirin_b1(void *p) {
  bench_ctx *c = p;
  for (int64_t f = 0; f < c->asp->n_frames; f++) {
    tn_frame fr;
    double e;
    tn_dataset_frame(c->asp, f, &fr);
    if (tn_model_eval(c->m, &fr, &e, c->forces, NULL, NULL) != TN_STATUS_OK)
      return fail_with(c, tn_model_errmsg(c->m));
  }
  return 0;
}

/* All aspirin frames as one batch: atomic energies and forces. */
static int run_aspirin_b64(void *p) {
  bench_ctx *c = p;
  int n = (int)c->asp->n_frames;
  if (model_batch_build(&c->work.batch, c->m, c->work.nl, c->asp, c->which, n, c->err,
                        sizeof c->err) != TN_STATUS_OK ||
      model_work_reserve(&c->work, c->m, 0, c->err, sizeof c->err) != TN_STATUS_OK)
    return -1;
  model_predict(c->m, c->m->params, &c->work, c->atom_e, c->forces, NULL, NULL);
  return 0;
}

static int run_box(void *p) {
  bench_ctx *c = p;
  tn_frame fr;
  double e;
  tn_dataset_frame(c->box, 0, &fr);
  if (tn_model_eval(c->m, &fr, &e, c->forces, NULL, NULL) != TN_STATUS_OK)
    return fail_with(c, tn_model_errmsg(c->m));
  return 0;
}

/* One training step on frames which[0..n): what tn_trainer's epoch loop
 * does, less gradient clipping, weight averages and the finiteness checks. */
static int train_step(bench_ctx *c, const int64_t *which, int n, train_sums *sums) {
  if (model_batch_build(&c->work.batch, c->m, c->work.nl, c->asp, which, n, c->err,
                        sizeof c->err) != TN_STATUS_OK ||
      model_work_reserve(&c->work, c->m, 1, c->err, sizeof c->err) != TN_STATUS_OK)
    return -1;
  memset(c->grad, 0, c->m->n_params * sizeof *c->grad);
  if (train_batch_loss(c->m, c->params, &c->work, &c->scratch, c->asp, which, &c->lab, &c->wt, NULL,
                       c->grad, sums, c->err, sizeof c->err) != TN_STATUS_OK)
    return -1;
  return 0;
}

/* One pass over the aspirin frames in steps of TRAIN_BATCH, Adam after each. */
static int run_train(void *p) {
  bench_ctx *c = p;
  for (int b = 0; b + TRAIN_BATCH <= c->asp->n_frames; b += TRAIN_BATCH) {
    train_sums sums;
    memset(&sums, 0, sizeof sums);
    if (train_step(c, c->which + b, TRAIN_BATCH, &sums)) return -1;
    train_adam_update(&c->adam, c->params, c->grad, c->lr, NULL);
  }
  return 0;
}

/* ------------------------------------------------------ inputs for torch */

/* A data set as .npy files prefix_*: species and positions of every atom,
 * frames' atom ranges and cells, the edges of the neighbor list at the
 * model's cutoff (frame-local i, j and the Cartesian image offset, so that
 * d = pos[j] + offset − pos[i]), and tanne's energies and forces from
 * tn_model_eval. Labels (energy, forces) when the data set has them. */
static tn_status write_system(bench_ctx *c, const char *dir, const char *prefix,
                              const tn_dataset *ds) {
  char name[128];
  tn_status st = TN_STATUS_NO_MEMORY;
  int64_t nf = ds->n_frames, na = ds->n_atoms, ne = 0, cap = 0;
  int64_t *species = malloc((size_t)na * sizeof *species);
  int64_t *edge_start = malloc((size_t)(nf + 1) * sizeof *edge_start);
  int64_t *ei = NULL, *ej = NULL;
  double(*offset)[3] = NULL;
  double *energy = malloc((size_t)nf * sizeof *energy);
  double(*forces)[3] = malloc((size_t)na * sizeof *forces);
  tn_neighbors *nl = tn_neighbors_create();
  if (!species || !edge_start || !energy || !forces || !nl) goto done;
  for (int64_t a = 0; a < na; a++) species[a] = ds->species[a];
  edge_start[0] = 0;
  for (int64_t f = 0; f < nf; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    st = tn_model_eval(c->m, &fr, &energy[f], forces + ds->atom_start[f], NULL, NULL);
    if (st != TN_STATUS_OK) {
      snprintf(c->err, sizeof c->err, "%s", tn_model_errmsg(c->m));
      goto done;
    }
    st = tn_neighbors_build(nl, fr.pos, fr.n_atoms, (const double(*)[3])fr.cell, fr.pbc,
                            c->m->opt.cutoff);
    if (st != TN_STATUS_OK) {
      snprintf(c->err, sizeof c->err, "%s", nl->errmsg);
      goto done;
    }
    if (ne + nl->n_pairs > cap) {
      cap = 2 * (ne + nl->n_pairs);
      int64_t *ni = realloc(ei, (size_t)cap * sizeof *ei);
      if (ni) ei = ni;
      int64_t *nj = realloc(ej, (size_t)cap * sizeof *ej);
      if (nj) ej = nj;
      double(*no)[3] = realloc(offset, (size_t)cap * sizeof *offset);
      if (no) offset = no;
      st = TN_STATUS_NO_MEMORY;
      if (!ni || !nj || !no) goto done;
    }
    for (int64_t k = 0; k < nl->n_pairs; k++, ne++) {
      ei[ne] = nl->i[k];
      ej[ne] = nl->j[k];
      for (int x = 0; x < 3; x++) {
        offset[ne][x] = 0;
        for (int l = 0; l < 3; l++) offset[ne][x] += nl->shift[k][l] * fr.cell[l][x];
      }
    }
    edge_start[f + 1] = ne;
  }
  const tn_column *e_ref = tn_dataset_column(ds, TN_LABEL_ENERGY);
  const tn_column *f_ref = tn_dataset_column(ds, TN_LABEL_FORCES);
  struct {
    const char *suffix, *descr;
    int64_t shape[3];
    int ndim;
    const void *data;
  } files[] = {
      {"species", "<i8", {na}, 1, species},
      {"atom_start", "<i8", {nf + 1}, 1, ds->atom_start},
      {"pos", "<f8", {na, 3}, 2, ds->pos},
      {"cell", "<f8", {nf, 3, 3}, 3, ds->cell},
      {"edge_start", "<i8", {nf + 1}, 1, edge_start},
      {"edge_i", "<i8", {ne}, 1, ei},
      {"edge_j", "<i8", {ne}, 1, ej},
      {"edge_offset", "<f8", {ne, 3}, 2, offset},
      {"energy", "<f8", {nf}, 1, energy},
      {"forces", "<f8", {na, 3}, 2, forces},
      {"energy_ref", "<f8", {nf}, 1, e_ref ? e_ref->values : NULL},
      {"forces_ref", "<f8", {na, 3}, 2, f_ref ? f_ref->values : NULL},
  };
  st = TN_STATUS_OK;
  for (size_t q = 0; q < sizeof files / sizeof files[0] && st == TN_STATUS_OK; q++) {
    if (!files[q].data) continue;
    snprintf(name, sizeof name, "%s_%s.npy", prefix, files[q].suffix);
    st = bench_npy_write(dir, name, files[q].descr, files[q].shape, files[q].ndim, files[q].data,
                         c->err, sizeof c->err);
  }
done:
  if (st == TN_STATUS_NO_MEMORY) snprintf(c->err, sizeof c->err, "out of memory");
  free(species);
  free(edge_start);
  free(ei);
  free(ej);
  free(offset);
  free(energy);
  free(forces);
  tn_neighbors_free(nl);
  return st;
}

/* The largest difference between batch-64 and batch-1 energies (eV) and
 * forces (eV/Å): batching must not change results beyond round-off. */
static int batch_consistency(bench_ctx *c, double *de, double *df) {
  const tn_dataset *ds = c->asp;
  double *e1 = malloc((size_t)ds->n_frames * sizeof *e1);
  double(*f1)[3] = malloc((size_t)ds->n_atoms * sizeof *f1);
  int rc = -1;
  if (!e1 || !f1) goto done;
  for (int64_t f = 0; f < ds->n_frames; f++) {
    tn_frame fr;
    tn_dataset_frame(ds, f, &fr);
    if (tn_model_eval(c->m, &fr, &e1[f], f1 + ds->atom_start[f], NULL, NULL) != TN_STATUS_OK)
      goto done;
  }
  if (run_aspirin_b64(c)) goto done;
  *de = *df = 0;
  for (int64_t f = 0; f < ds->n_frames; f++) {
    double e = 0;
    for (int64_t a = ds->atom_start[f]; a < ds->atom_start[f + 1]; a++) e += c->atom_e[a];
    *de = fmax(*de, fabs(e - e1[f]));
  }
  for (int64_t a = 0; a < ds->n_atoms; a++)
    for (int x = 0; x < 3; x++) *df = fmax(*df, fabs(c->forces[a][x] - f1[a][x]));
  rc = 0;
done:
  free(e1);
  free(f1);
  return rc;
}

/* Loss and gradient of the first training batch at the initial weights, for
 * torch to reproduce (the force term's gradient goes through the tangent
 * pass, so this checks training, not only inference). */
static tn_status write_train_reference(bench_ctx *c, const char *dir) {
  train_sums sums;
  memset(&sums, 0, sizeof sums);
  if (train_step(c, c->which, TRAIN_BATCH, &sums)) return TN_STATUS_BAD_INPUT;
  size_t np = c->m->n_params;
  double *g = malloc(np * sizeof *g);
  if (!g) return TN_STATUS_NO_MEMORY;
  for (size_t q = 0; q < np; q++) g[q] = c->grad[q];
  double loss = train_sums_loss(&sums, &c->wt);
  int64_t shape[1] = {(int64_t)np}, one[1] = {1};
  tn_status st = bench_npy_write(dir, "train_grad.npy", "<f8", shape, 1, g, c->err, sizeof c->err);
  if (st == TN_STATUS_OK)
    st = bench_npy_write(dir, "train_loss.npy", "<f8", one, 1, &loss, c->err, sizeof c->err);
  free(g);
  return st;
}

/* ------------------------------------------------------------- reporting */

static double peak_1 = 0, peak_all = 0;

/* One row: the median time scaled to `per` units (frames, atoms), the
 * GEMM share of the time and the dense layers' rate against the peak. */
static void print_row(FILE *tsv, const char *key, const char *label, const bench_timing *t,
                      double per, const char *unit) {
  double v = t->median / per;
  double rate = t->gemm_seconds > 0 ? t->gemm_flops / t->gemm_seconds : 0;
  printf("  %-34s %10.1f %-9s %4d  %9.1f %6.1f%%  %8.2f %6.1f%%\n", label, 1e6 * v, unit,
         t->samples, 1e6 * (t->max - t->min) / per, 100 * t->gemm_seconds / t->total, 1e-9 * rate,
         peak_all > 0 ? 100 * rate / peak_all : 0);
  fprintf(tsv, "%s\t%.6e\n", key, v);
  fprintf(tsv, "%s_gemm_share\t%.4f\n", key, t->gemm_seconds / t->total);
  fprintf(tsv, "%s_gemm_rate\t%.6e\n", key, rate);
}

static void print_header(const char *unit_note) {
  printf("  %-34s %10s %-9s %4s  %9s %7s  %8s %7s\n", "workload", "median", unit_note, "runs",
         "max-min", "GEMM", "GFLOP/s", "of peak");
}

static void print_load(const char *when) {
  char line[128] = "?";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fgets(line, sizeof line, f)) line[strcspn(line, "\n")] = '\0';
    fclose(f);
  }
  printf("load average %s: %s\n", when, line);
}

static void print_machine(int threads) {
  printf("bench_models: tanne %s, %s, %d OpenMP thread%s\n", TN_VERSION_STRING,
         tn_real_size() == 4 ? "float32" : "float64", threads, threads == 1 ? "" : "s");
  bench_print_machine("");
}

/* ---------------------------------------------------------------- a model */

/* What the trainer does before training (tn_trainer: model_arch.fit_data),
 * here on the aspirin frames and the 1000-atom argon box, so that every
 * element's data are seen: BPNN's scaling statistics of the symmetry
 * functions. Without it BPNN would run on unscaled functions, which no
 * trained model does. Architectures without fit_data are left as they are. */
static tn_status fit_arch_data(tn_model *m, const tn_dataset *asp, const tn_dataset *box, char *err,
                               size_t err_len) {
  if (!m->arch->fit_data) return TN_STATUS_OK;
  tn_dataset *fit = tn_dataset_create();
  tn_frame fr;
  int64_t which[ASPIRIN_FRAMES];
  int n = asp ? (int)asp->n_frames : 0;
  for (int q = 0; q < n; q++) which[q] = q;
  tn_status st = TN_STATUS_NO_MEMORY;
  if (!fit) goto fail;
  if (n && (st = tn_dataset_append_subset(fit, asp, which, n)) != TN_STATUS_OK) goto fail;
  tn_dataset_frame(box, 0, &fr);
  if ((st = tn_dataset_append(fit, &fr)) != TN_STATUS_OK) goto fail;
  st = m->arch->fit_data(m, fit, NULL, 0, err, err_len);
  tn_dataset_free(fit);
  return st;
fail:
  tn_dataset_free(fit);
  return tn_fail(err, err_len, st, "data for the model's fit (%s): %s", m->arch->name,
                 st == TN_STATUS_NO_MEMORY ? "out of memory" : "cannot combine the data sets");
}

/* One line on the model: its hyperparameters in the architecture's terms. */
static void print_model(const tn_model *m) {
  tn_model_options o = tn_model_get_options(m);
  if (!strcmp(o.type, "bpnn")) {
    printf("\n%s: %d hidden layers of %d, %d radial + %d %s angular symmetry functions per "
           "neighbour element (pair), cutoff %.1f Å (%s), scaling %s, activation %s, %lld "
           "parameters\n",
           o.type, o.interactions, o.features, o.acsf_radial, o.acsf_angular, o.acsf_angular_kind,
           o.cutoff, o.acsf_cutoff, o.acsf_scaling, o.activation,
           (long long)tn_model_param_count(m));
    return;
  }
  printf("\n%s: %d features, %d interactions, %d %s functions, cutoff %.1f Å, activation %s, "
         "%s%lld parameters\n",
         o.type, o.features, o.interactions, o.n_basis, o.basis, o.cutoff, o.activation,
         !strcmp(o.type, "painn") && o.shared_filters ? "shared filters, " : "",
         (long long)tn_model_param_count(m));
}

static int make_dir(const char *path) { return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1; }

static tn_status bench_ctx_init(bench_ctx *c, tn_model *m, const tn_dataset *asp) {
  memset(c, 0, sizeof *c);
  c->m = m;
  c->asp = asp;
  tn_train_config cfg = tn_train_config_default();
  c->wt = (train_weights){cfg.loss.energy, cfg.loss.forces, 0, 0};
  c->lr = cfg.optimizer.lr;
  for (int q = 0; q < ASPIRIN_FRAMES; q++) c->which[q] = q;
  if (asp) train_labels_find(&c->lab, asp, NULL);
  size_t np = m->n_params;
  c->params = malloc(np * sizeof *c->params);
  c->grad = malloc(np * sizeof *c->grad);
  c->atom_e = malloc(MAX_ATOMS * sizeof *c->atom_e);
  c->forces = malloc(MAX_ATOMS * sizeof *c->forces);
  if (model_work_init(&c->work) != TN_STATUS_OK || !c->params || !c->grad || !c->atom_e ||
      !c->forces || train_adam_init(&c->adam, np, 0) != TN_STATUS_OK)
    return TN_STATUS_NO_MEMORY;
  memcpy(c->params, m->params, np * sizeof *c->params);
  c->adam.beta1 = cfg.optimizer.beta1;
  c->adam.beta2 = cfg.optimizer.beta2;
  c->adam.eps = cfg.optimizer.eps;
  return TN_STATUS_OK;
}

static void bench_ctx_free(bench_ctx *c) {
  model_work_free(&c->work);
  train_scratch_free(&c->scratch);
  train_adam_free(&c->adam);
  free(c->params);
  free(c->grad);
  free(c->atom_e);
  free(c->forces);
}

/* The benchmark's model of one architecture: defaults, seed 1, shifts and
 * the architecture's own data fitted. NULL with *skipped set when
 * tn_model_create does not know it, NULL alone after a message on failure. */
static tn_model *bench_model(const bench_arch *arch, const tn_dataset *asp, const tn_dataset *box,
                             int *skipped) {
  tn_model_options opt = tn_model_options_default();
  snprintf(opt.type, sizeof opt.type, "%s", arch->type);
  if (arch->options) arch->options(&opt);
  tn_model *m = NULL;
  char err[512];
  *skipped = 0;
  if (tn_model_create(&m, &opt, elements, 4, 1, err, sizeof err) != TN_STATUS_OK) {
    printf("\n%s: skipped: %s\n", arch->type, err);
    *skipped = 1;
    return NULL;
  }
  if (asp && tn_model_fit_shifts(m, asp, NULL, 0) != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", arch->type, tn_model_errmsg(m));
    tn_model_free(m);
    return NULL;
  }
  if (fit_arch_data(m, asp, box, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", arch->type, err);
    tn_model_free(m);
    return NULL;
  }
  print_model(m);
  return m;
}

/* The workloads by name, for --profile. */
static const struct {
  const char *name;
  bench_fn fn;
  int box; /* which argon box run_box times, -1 none */
  int needs_aspirin;
} workloads[] = {
    {"aspirin_b1", run_aspirin_b1, -1, 1},
    {"aspirin_b64", run_aspirin_b64, -1, 1},
    {"ar1000", run_box, 0, 0},
    {"ar10000", run_box, 1, 0},
    {"train", run_train, -1, 1},
};

/* --profile: one workload of one architecture, `repeats` times after one
 * warm-up run, nothing timed or written: for a profiler, e.g.
 *   OMP_NUM_THREADS=1 valgrind --tool=callgrind build/bench/bench_models \
 *     --profile schnet aspirin_b64 3 */
static int profile_run(const char *type, const char *workload, int repeats, const tn_dataset *asp,
                       tn_dataset *const boxes[2]) {
  const bench_arch *arch = NULL;
  for (size_t q = 0; q < sizeof archs / sizeof archs[0]; q++)
    if (!strcmp(archs[q].type, type)) arch = &archs[q];
  int w = -1;
  for (int q = 0; q < (int)(sizeof workloads / sizeof workloads[0]); q++)
    if (!strcmp(workloads[q].name, workload)) w = q;
  if (!arch || w < 0 || repeats < 1) {
    fprintf(stderr,
            "--profile: unknown architecture '%s' or workload '%s' (aspirin_b1, "
            "aspirin_b64, ar1000, ar10000, train), or repeats < 1\n",
            type, workload);
    return 2;
  }
  if (workloads[w].needs_aspirin && !asp) {
    fprintf(stderr, "--profile %s: needs %s\n", workload, ASPIRIN_FILE);
    return 1;
  }
  int skipped;
  tn_model *m = bench_model(arch, asp, boxes[0], &skipped);
  if (!m) return 1;
  bench_ctx c;
  int rc = bench_ctx_init(&c, m, asp) == TN_STATUS_OK ? 0 : fail_with(&c, "out of memory");
  if (workloads[w].box >= 0) c.box = boxes[workloads[w].box];
  for (int r = 0; r <= repeats && !rc; r++) rc = workloads[w].fn(&c);
  if (rc)
    fprintf(stderr, "%s %s: %s\n", type, workload, c.err);
  else
    printf("%s %s: %d runs after a warm-up\n", type, workload, repeats);
  bench_ctx_free(&c);
  tn_model_free(m);
  return rc ? 1 : 0;
}

/* Runs every workload on one architecture; 0 on success or skip. */
static int bench_arch_run(const bench_arch *arch, const char *out, const tn_dataset *asp,
                          tn_dataset *const boxes[2], const int box_n[2], int inputs_only) {
  int skipped;
  tn_model *m = bench_model(arch, asp, boxes[0], &skipped);
  if (!m) return skipped ? 0 : -1;
  bench_ctx c;
  int rc = -1;
  FILE *tsv = NULL;
  char dir[1024], path[1100], tsv_path[1100], tsv_tmp[1200];
  snprintf(dir, sizeof dir, "%s/%s", out, arch->type);
  snprintf(path, sizeof path, "%s/model.tnm", dir);
  snprintf(tsv_path, sizeof tsv_path, "%s/tanne.tsv", dir);
  if (bench_ctx_init(&c, m, asp) != TN_STATUS_OK) {
    fprintf(stderr, "%s: out of memory\n", arch->type);
    goto done;
  }
  if (make_dir(dir) || !(tsv = tn_open_temp(tsv_path, tsv_tmp, sizeof tsv_tmp))) {
    fprintf(stderr, "%s: cannot write into %s: %s\n", arch->type, dir, strerror(errno));
    goto done;
  }
  if (tn_model_save(m, path) != TN_STATUS_OK) {
    fprintf(stderr, "%s\n", tn_model_errmsg(m));
    goto done;
  }
  /* Inputs and reference outputs for torch, before any timing (training
   * runs on a copy of the weights, so the model file stays what it was). */
  const char *prefixes[2] = {"ar1000", "ar10000"};
  if (asp && (write_system(&c, dir, "aspirin", asp) != TN_STATUS_OK ||
              write_train_reference(&c, dir) != TN_STATUS_OK)) {
    fprintf(stderr, "%s: writing the aspirin inputs: %s\n", arch->type, c.err);
    goto done;
  }
  for (int b = 0; b < 2; b++)
    if (write_system(&c, dir, prefixes[b], boxes[b]) != TN_STATUS_OK) {
      fprintf(stderr, "%s: writing the argon inputs: %s\n", arch->type, c.err);
      goto done;
    }
  printf("inputs for torch_models.py: %s\n", dir);
  fprintf(tsv, "model\t%s\nthreads\t%d\nreal_size\t%d\nn_params\t%lld\n", arch->type,
          omp_get_max_threads(), tn_real_size(), (long long)m->n_params);
  fprintf(tsv, "gemm_peak_1\t%.6e\ngemm_peak_all\t%.6e\n", peak_1, peak_all);
  fprintf(tsv, "w_energy\t%.17g\nw_forces\t%.17g\nlr\t%.17g\n", c.wt.energy, c.wt.forces, c.lr);
  if (asp) {
    double de, df;
    if (batch_consistency(&c, &de, &df)) {
      fprintf(stderr, "%s: %s\n", arch->type, c.err);
      goto done;
    }
    printf("batch 64 against batch 1: max |ΔE| %.2e eV, max |ΔF| %.2e eV/Å\n", de, df);
  }
  if (inputs_only) goto commit;

  bench_timing t;
  printf("times include the neighbor lists; GEMM = share of the time inside nn_gemm, at the\n"
         "rate shown, against the %d-thread peak of %.1f GFLOP/s\n",
         omp_get_max_threads(), 1e-9 * peak_all);
  print_header("µs per");
  if (asp) {
    double nf = (double)asp->n_frames;
    if (bench_time(&t, run_aspirin_b1, &c, 2, 5, 25, 1.0)) goto failed;
    print_row(tsv, "aspirin_b1", "aspirin E+F, batch 1 (eval)", &t, nf, "frame");
    if (bench_time(&t, run_aspirin_b64, &c, 2, 5, 25, 1.0)) goto failed;
    print_row(tsv, "aspirin_b64", "aspirin E+F, batch 64", &t, nf, "frame");
  } else {
    printf("  aspirin workloads skipped: no %s under $TANNE_DATA or ../shared/data\n",
           ASPIRIN_FILE);
  }
  double per_atom[2];
  for (int b = 0; b < 2; b++) {
    char label[64];
    c.box = boxes[b];
    snprintf(label, sizeof label, "Ar %d atoms E+F (periodic)", box_n[b]);
    if (bench_time(&t, run_box, &c, 1, 3, 15, 2.0)) goto failed;
    print_row(tsv, prefixes[b], label, &t, box_n[b], "atom");
    per_atom[b] = t.median / box_n[b];
  }
  double ratio = per_atom[1] / per_atom[0];
  printf("  per-atom time, 10000 against 1000 atoms: %.3f; flat within ±20%%: %s\n", ratio,
         fabs(ratio - 1) <= 0.2 ? "yes" : "NO");
  if (asp) {
    if (bench_time(&t, run_train, &c, 1, 3, 15, 2.0)) goto failed;
    double steps = (double)(asp->n_frames / TRAIN_BATCH);
    print_row(tsv, "train_b16_step", "training step, batch 16 (E+F, Adam)", &t, steps, "step");
    printf("  training throughput: %.1f frames/s\n", TRAIN_BATCH * steps / t.median);
    fprintf(tsv, "train_b16_frames_per_s\t%.6e\n", TRAIN_BATCH * steps / t.median);
  }
commit:
  /* tanne.tsv only for a complete run: torch compares nothing else */
  rc = tn_commit_file(tsv, tsv_tmp, tsv_path, c.err, sizeof c.err) == TN_STATUS_OK ? 0 : -1;
  tsv = NULL;
  if (rc) fprintf(stderr, "%s: %s\n", arch->type, c.err);
  goto done;
failed:
  fprintf(stderr, "%s: %s\n", arch->type, c.err);
done:
  if (tsv) tn_abort_file(tsv, tsv_tmp);
  bench_ctx_free(&c);
  tn_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  /* --inputs-only: the model, the inputs and tanne's outputs, no timing (the
   * float64 agreement check of torch_models.py runs on a DOUBLE=1 build) */
  int inputs_only = argc == 2 && !strcmp(argv[1], "--inputs-only");
  int profile = (argc == 4 || argc == 5) && !strcmp(argv[1], "--profile");
  if (!profile && (argc > 2 || (argc == 2 && !inputs_only))) {
    fprintf(stderr,
            "usage: %s [--inputs-only]   (output folder: $TANNE_BENCH_OUT)\n"
            "       %s --profile ARCH WORKLOAD [REPEATS]   (one workload, untimed)\n",
            argv[0], argv[0]);
    return 2;
  }
  const char *out = getenv("TANNE_BENCH_OUT");
  if (!out || !*out) out = "build/bench-out";
  const char *root = getenv("TANNE_DATA");
  char asp_path[1024];
  snprintf(asp_path, sizeof asp_path, "%s/%s", root && *root ? root : "../shared/data",
           ASPIRIN_FILE);
  int threads = omp_get_max_threads(), rc = 1;
  print_machine(threads);
  print_load("at start");

  tn_dataset *all = NULL, *asp = NULL, *boxes[2] = {NULL, NULL};
  const int box_n[2] = {1000, 10000};
  if (!profile && make_dir(out)) {
    fprintf(stderr, "cannot make %s: %s\n", out, strerror(errno));
    return 1;
  }
  if (access(asp_path, R_OK) == 0) {
    all = tn_dataset_create();
    asp = tn_dataset_create();
    tn_read_options ro = tn_read_options_default();
    int64_t which[ASPIRIN_FRAMES];
    for (int q = 0; q < ASPIRIN_FRAMES; q++) which[q] = q;
    if (!all || !asp || tn_dataset_read(all, asp_path, &ro) != TN_STATUS_OK ||
        all->n_frames < ASPIRIN_FRAMES ||
        tn_dataset_append_subset(asp, all, which, ASPIRIN_FRAMES) != TN_STATUS_OK) {
      fprintf(stderr, "%s: %s\n", asp_path,
              all ? (all->n_frames < ASPIRIN_FRAMES ? "too few frames" : tn_dataset_errmsg(all))
                  : "out of memory");
      goto done;
    }
    tn_dataset_free(all);
    all = NULL;
    printf("aspirin: %s, frames 1-%d, %d atoms each\n", asp_path, ASPIRIN_FRAMES,
           (int)(asp->atom_start[1] - asp->atom_start[0]));
  } else {
    printf("aspirin: %s not found: the aspirin workloads are skipped (set TANNE_DATA)\n", asp_path);
  }
  for (int b = 0; b < 2; b++) {
    boxes[b] = tn_dataset_create();
    if (!boxes[b] || bench_liquid_box(boxes[b], 18, box_n[b], AR_DENSITY, 11 + b)) {
      fprintf(stderr, "out of memory for the argon boxes\n");
      goto done;
    }
  }
  printf("argon: periodic cubic boxes at %.4f atoms/Å³ (jittered lattice, shuffled order)\n",
         AR_DENSITY);

  if (profile) {
    rc = profile_run(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 3, asp, boxes);
    goto done;
  }
  if (!inputs_only) {
    /* best of 5: the peak, which other jobs on the machine can only lower */
    omp_set_num_threads(1);
    peak_1 = bench_gemm_peak(GEMM_PEAK_N, 5);
    omp_set_num_threads(threads);
    peak_all = threads > 1 ? bench_gemm_peak(GEMM_PEAK_N, 5) : peak_1;
    printf("GEMM peak, nn_gemm (%s) on %d x %d matrices: %.1f GFLOP/s on 1 thread, %.1f on %d\n",
           tn_real_size() == 4 ? "sgemm" : "dgemm", GEMM_PEAK_N, GEMM_PEAK_N, 1e-9 * peak_1,
           1e-9 * peak_all, threads);
  }

  rc = 0;
  for (size_t q = 0; q < sizeof archs / sizeof archs[0] && !rc; q++)
    rc = bench_arch_run(&archs[q], out, asp, boxes, box_n, inputs_only) ? 1 : 0;
  printf("\n");
  print_load("at end");
done:
  tn_dataset_free(all);
  tn_dataset_free(asp);
  tn_dataset_free(boxes[0]);
  tn_dataset_free(boxes[1]);
  return rc;
}
