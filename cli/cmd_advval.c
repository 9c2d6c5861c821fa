/* tanne advval A B: can a classifier tell data set A from data set B?
 * (Kjeldal & Eriksen, "Transferability of atom-based neural networks",
 * MLST 2024.) Per-atom features, a cross-validated classifier, AUCs per atom
 * and per structure beside a self-split control, and what it found. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advval.h"

static const char help[] =
    "usage: tanne advval [options] A B [-o DIR]\n\n"
    "Adversarial validation: trains a classifier to tell the atoms of data set A\n"
    "from those of B, with grouped stratified k-fold cross-validation (the atoms\n"
    "of one structure never sit in training and test at once), and reports the\n"
    "ROC AUC per atom and per structure (mean +- std over folds). 0.5: the sets\n"
    "look alike; 1: every structure can be told apart. A structure's score is the\n"
    "mean log-odds of its atoms. A built-in control repeats everything on A\n"
    "split at random against itself, which must give AUC ~ 0.5.\n\n"
    "Writes to DIR: report.md (also printed), roc.svg, structures.csv (score and\n"
    "P(B) per structure), environments.csv (element + neighbour composition,\n"
    "counts, mean P(B)), A_scored.xyz and B_scored.xyz (the frames with the\n"
    "per-atom column 'p_b' and info 'adv_score', 'adv_p_b' to colour by), and\n"
    "split.txt: the adversarial validation split of A (a tanne split file over\n"
    "A's frames: the A frames most like B validate, the rest train; use it as\n"
    "data.split with data.train = A).\n\n"
    "options:\n"
    "  -o, --out DIR         output folder  [advval]\n"
    "  --model M.tnm         features: the model's atom representations (what its\n"
    "                        readout sees) instead of ACSF descriptors\n"
    "  --cutoff R            ACSF cutoff, Angstrom  [5]\n"
    "  --acsf-radial N       radial functions per neighbour element  [8]\n"
    "  --acsf-angular N      angular functions per element pair (even)  [4]\n"
    "  --classifier C        mlp (small neural network) | logreg (L2 logistic\n"
    "                        regression: faster, but sees only linear differences)\n"
    "                        [mlp]\n"
    "  --l2 X                L2 penalty on standardised weights  [1e-3 logreg,\n"
    "                        1e-4 mlp]\n"
    "  --hidden N            mlp: hidden width  [32]\n"
    "  --layers N            mlp: hidden layers  [2]\n"
    "  --epochs N            mlp: training epochs  [40]\n"
    "  --folds K             cross-validation folds  [5]\n"
    "  --seed S              seed of folds, control split and mlp  [1]\n"
    "  --env-cutoff R        neighbours of an environment: atoms within R\n"
    "                        Angstrom; 0 = covalent bonds (1.2 x sum of\n"
    "                        covalent radii)  [0]\n"
    "  --min-env N           atoms an environment needs to be listed in the\n"
    "                        report  [20]\n"
    "  --val-fraction F      share of A's frames in the validation set of split.txt\n"
    "                        [0.1]\n"
    "  --no-control          skip the self-split control\n";

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

void advval_defaults(advval_args *p) {
  memset(p, 0, sizeof *p);
  p->out = "advval";
  p->cutoff = 5.0;
  p->radial = 8;
  p->angular = 4;
  p->classifier = "mlp";
  p->folds = 5;
  p->seed = 1;
  p->val_fraction = 0.1;
  p->control = 1;
  p->min_env = 20;
  p->opt.kind = CLF_KIND_MLP;
  p->opt.l2 = 1e-4;
  p->opt.seed = p->seed;
}

static void parse(advval_args *p, int argc, char **argv, tn_read_options *ropt) {
  cli_args a;
  cli_args_init(&a, AV_CMD, argc, argv);
  advval_defaults(p);
  double l2 = -1.0;
  const char **paths = (const char **)argv, *arg;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_output_opt(&a, arg) || cli_opt(&a, arg, "out")) {
      if (!a.value[0]) cli_usage_error(AV_CMD, "option --out: empty folder name");
      p->out = a.value;
    } else if (cli_opt(&a, arg, "model"))
      p->model = a.value;
    else if (cli_opt(&a, arg, "cutoff")) {
      p->cutoff = cli_double(&a, "cutoff", a.value);
      if (!(p->cutoff > 0.0 && p->cutoff <= 100.0))
        cli_usage_error(AV_CMD, "option --cutoff: must be in (0, 100] Angstrom");
    } else if (cli_opt(&a, arg, "acsf-radial"))
      p->radial = (int)cli_long(&a, "acsf-radial", a.value, 1, 64);
    else if (cli_opt(&a, arg, "acsf-angular")) {
      p->angular = (int)cli_long(&a, "acsf-angular", a.value, 0, 32);
      if (p->angular % 2) cli_usage_error(AV_CMD, "option --acsf-angular: must be even");
    } else if (cli_opt(&a, arg, "classifier")) {
      if (strcmp(a.value, "logreg") != 0 && strcmp(a.value, "mlp") != 0)
        cli_usage_error(AV_CMD, "option --classifier: '%s': use logreg or mlp", a.value);
      p->classifier = a.value;
    } else if (cli_opt(&a, arg, "l2")) {
      l2 = cli_double(&a, "l2", a.value);
      if (!(l2 >= 0.0)) cli_usage_error(AV_CMD, "option --l2: must be >= 0");
    } else if (cli_opt(&a, arg, "hidden"))
      p->opt.hidden = (int)cli_long(&a, "hidden", a.value, 1, 4096);
    else if (cli_opt(&a, arg, "layers"))
      p->opt.layers = (int)cli_long(&a, "layers", a.value, 1, 8);
    else if (cli_opt(&a, arg, "epochs"))
      p->opt.epochs = (int)cli_long(&a, "epochs", a.value, 1, 100000);
    else if (cli_opt(&a, arg, "folds"))
      p->folds = (int)cli_long(&a, "folds", a.value, 2, 100);
    else if (cli_opt(&a, arg, "seed"))
      p->seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 0x7fffffffffffffffL);
    else if (cli_opt(&a, arg, "env-cutoff")) {
      p->env_cutoff = cli_double(&a, "env-cutoff", a.value);
      if (!(p->env_cutoff >= 0.0 && p->env_cutoff <= 100.0))
        cli_usage_error(AV_CMD, "option --env-cutoff: must be in [0, 100] Angstrom");
    } else if (cli_opt(&a, arg, "min-env"))
      p->min_env = cli_long(&a, "min-env", a.value, 1, 0x7fffffffL);
    else if (cli_opt(&a, arg, "val-fraction")) {
      p->val_fraction = cli_double(&a, "val-fraction", a.value);
      if (!(p->val_fraction > 0.0 && p->val_fraction < 1.0))
        cli_usage_error(AV_CMD, "option --val-fraction: must be in (0, 1)");
    } else if (cli_flag(arg, "no-control"))
      p->control = 0;
    else
      cli_input_arg(&a, arg, help, ropt, paths, &n);
  }
  if (n != 2) cli_usage_error(AV_CMD, "need exactly two data files, A and B (got %d)", n);
  p->path_a = paths[0];
  p->path_b = paths[1];
  p->opt.kind = strcmp(p->classifier, "mlp") == 0 ? CLF_KIND_MLP : CLF_KIND_LOGREG;
  p->opt.l2 = l2 >= 0.0 ? l2 : p->opt.kind == CLF_KIND_MLP ? 1e-4 : 1e-3;
  p->opt.seed = p->seed;
}

void advval_run_free(advval_run *r) {
  tn_dataset_free(r->a);
  tn_dataset_free(r->b);
  av_features_free(&r->feat);
  av_result_free(&r->real);
  av_result_free(&r->control);
  free(r->control_is_b);
  free(r->envs);
  free(r->a_order);
}

/* "A (file), frame k" for a failure at set s, frame f. */
static void print_where(const advval_args *p, int s, int64_t f, const char *why) {
  if (s >= 0 && f >= 0)
    fprintf(stderr, AV_CMD ": %s, frame %lld: %s\n", s ? p->path_b : p->path_a, (long long)f + 1,
            why);
  else
    fprintf(stderr, AV_CMD ": %s\n", why);
}

static int compute_features(const advval_args *p, advval_run *r) {
  char why[1024];
  tn_status st;
  if (p->model) {
    tn_model *m = NULL;
    st = tn_model_load(&m, p->model, why, sizeof why);
    if (st != TN_STATUS_OK) {
      fprintf(stderr, AV_CMD ": %s\n", why);
      return 0;
    }
    st = av_features_model(&r->feat, m, r->a, r->b, cli_progress, "features", why, sizeof why);
    tn_model_free(m);
  } else {
    st = av_features_acsf(&r->feat, r->a, r->b, p->cutoff, p->radial, p->angular, cli_progress,
                          "features", why, sizeof why);
  }
  if (st != TN_STATUS_OK) print_where(p, r->feat.bad_set, r->feat.bad_frame, why);
  return st == TN_STATUS_OK;
}

/* The control: A's structures split at random against each other. */
static int run_control(const advval_args *p, advval_run *r) {
  int64_t n_a = r->feat.n_a;
  if (n_a < 2 * (int64_t)p->folds) {
    snprintf(r->control_note, sizeof r->control_note,
             "not run: A has %lld structures, the control needs 2 x %d (folds)", (long long)n_a,
             p->folds);
    return 1;
  }
  if (!(r->control_is_b = malloc((size_t)n_a))) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    return 0;
  }
  av_control_labels(r->control_is_b, n_a, p->seed);
  clf_data d = {r->feat.x, r->feat.n_atoms_a, r->feat.d, r->feat.group_of_item,
                n_a,       r->control_is_b};
  char why[1024];
  tn_status st = av_run(&r->control, &d, p->folds, p->seed, &p->opt, why, sizeof why);
  if (st != TN_STATUS_OK) fprintf(stderr, AV_CMD ": control (A against itself): %s\n", why);
  return st == TN_STATUS_OK;
}

int advval_compute(const advval_args *p, advval_run *r, const char *label) {
  char why[1024];
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!compute_features(p, r)) return 0;
  r->seconds_features = seconds_since(&t0);
  if (av_shared_frames(&r->n_shared, NULL, r->a, r->b, why, sizeof why) != TN_STATUS_OK) {
    fprintf(stderr, AV_CMD ": %s\n", why);
    return 0;
  }
  if (r->n_shared)
    fprintf(stderr, "%s: %lld structures of B also occur in A\n", label, (long long)r->n_shared);
  fprintf(stderr, "%s: %lld + %lld atoms, %d features each (%.1f s)\n", label,
          (long long)r->feat.n_atoms_a, (long long)(r->feat.n_atoms - r->feat.n_atoms_a), r->feat.d,
          r->seconds_features);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clf_data d = {r->feat.x,        r->feat.n_atoms,   r->feat.d, r->feat.group_of_item,
                r->feat.n_groups, r->feat.group_is_b};
  tn_status st = av_run(&r->real, &d, p->folds, p->seed, &p->opt, why, sizeof why);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, AV_CMD ": %s\n", why);
    return 0;
  }
  r->seconds_real = seconds_since(&t0);
  fprintf(stderr, "%s: AUC %.3f +- %.3f per atom, %.3f +- %.3f per structure (%.1f s)\n", label,
          r->real.auc_atom, r->real.auc_atom_std, r->real.auc_struct, r->real.auc_struct_std,
          r->seconds_real);
  if (!p->control) {
    snprintf(r->control_note, sizeof r->control_note, "not run (--no-control)");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!run_control(p, r)) return 0;
  r->seconds_control = seconds_since(&t0);
  if (r->control.k)
    fprintf(stderr,
            "%s: control, A vs A: AUC %.3f +- %.3f per atom, %.3f +- %.3f per structure "
            "(%.1f s)\n",
            label, r->control.auc_atom, r->control.auc_atom_std, r->control.auc_struct,
            r->control.auc_struct_std, r->seconds_control);
  return 1;
}

int cmd_advval(int argc, char **argv) {
  advval_args p;
  tn_read_options ropt = tn_read_options_default();
  parse(&p, argc, argv, &ropt);
  advval_run r;
  memset(&r, 0, sizeof r);
  r.feat.bad_set = -1;
  int status = 1;
  char why[1024];
  r.a = tn_dataset_create();
  r.b = tn_dataset_create();
  if (!r.a || !r.b) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  if (!cli_read_all(r.a, &p.path_a, 1, &ropt) || !cli_read_all(r.b, &p.path_b, 1, &ropt)) goto done;
  if (r.a->n_frames < p.folds || r.b->n_frames < p.folds) {
    fprintf(stderr, AV_CMD ": A has %lld frames and B %lld: each needs at least --folds = %d\n",
            (long long)r.a->n_frames, (long long)r.b->n_frames, p.folds);
    goto done;
  }
  if (!cli_make_dir(AV_CMD, p.out) || !advval_compute(&p, &r, AV_CMD)) goto done;

  int bad_set;
  int64_t bad_frame;
  tn_status st = av_environments(&r.envs, &r.n_envs, NULL, r.a, r.b, r.real.p_b, p.env_cutoff,
                                 &bad_set, &bad_frame, why, sizeof why);
  if (st != TN_STATUS_OK) {
    print_where(&p, bad_set, bad_frame, why);
    goto done;
  }
  advval_sort_environments(&r);
  if (!advval_element_aucs(&r)) goto done;
  if (!(r.a_order = malloc((size_t)r.feat.n_a * sizeof *r.a_order))) {
    fprintf(stderr, AV_CMD ": out of memory\n");
    goto done;
  }
  if (av_rank(r.a_order, r.real.score, r.feat.n_a, why, sizeof why) != TN_STATUS_OK) {
    fprintf(stderr, AV_CMD ": %s\n", why);
    goto done;
  }
  r.n_val = (int64_t)ceil(p.val_fraction * (double)r.feat.n_a);
  if (r.n_val >= r.feat.n_a) r.n_val = r.feat.n_a - 1;

  if (advval_write_structures(&p, &r) && advval_write_environments(&p, &r) &&
      advval_write_scored_xyz(&p, &r) && advval_write_roc(&p, &r) && advval_write_split(&p, &r) &&
      advval_write_report(&p, &r))
    status = 0;
done:
  advval_run_free(&r);
  return status;
}
