/* tanne transfer MODEL... --train A TEST...: does the model transfer, and
 * why not? Errors per test set, each set's adversarial AUC against the
 * training set, and how the error grows with the per-structure P(B) and
 * with the ensemble spread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ensemble.h"
#include "transfer.h"

static const char help[] =
    "usage: tanne transfer [options] MODEL.tnm [MODEL2.tnm ...] [--train A] TEST... [-o DIR]\n"
    "       tanne transfer MODEL.tnm --test B [--test C ...]\n\n"
    "Evaluates a model (or the mean of an ensemble of models) on each test set and\n"
    "reports energy, force and atomic-energy errors. With --train (the data the\n"
    "model was trained on), it also runs adversarial validation of the training set\n"
    "against each test set (as tanne advval: ACSF features, cross-validated\n"
    "classifier) and reports the AUC, the per-structure score (mean log-odds of\n"
    "'test', P(B) = sigmoid(score)), and how each structure's error grows with it:\n"
    "Spearman's rank correlation and the mean error per score quantile. With two\n"
    "or more models it reports how the ensemble spread tracks the error and the\n"
    "score: two independent signs that a structure is out of domain.\n\n"
    "Models are told from data files by content. The error per structure is the\n"
    "force RMSE when the set has forces, else the |energy error| per atom.\n\n"
    "Writes to DIR: transfer.md (also printed), transfer.csv (one row per set),\n"
    "structures_K.csv (per structure of set K: errors, spread, score) and the plots\n"
    "error_vs_score.svg and, for ensembles, error_vs_spread.svg.\n\n"
    "options:\n"
    "  --train FILE        the training data, for the AUC and the scores  [the data\n"
    "                      file named in the first model's lineage, when it exists]\n"
    "  --test FILE         a test set (the same as a file after the models; repeatable)\n"
    "  --atomic COLUMN     per-atom reference atomic energies  [energies]\n"
    "  -o, --out DIR       output folder  [transfer]\n"
    "  --bins N            score quantile bins  [5]\n"
    "  --classifier C      mlp | logreg  [mlp]\n"
    "  --folds K           cross-validation folds  [5]\n"
    "  --cutoff R          ACSF cutoff, Angstrom  [5]\n"
    "  --seed S            seed of the folds  [1]\n";

static void parse(transfer_args *t, int argc, char **argv, tn_read_options *ropt) {
  cli_args a;
  cli_args_init(&a, TR_CMD, argc, argv);
  memset(t, 0, sizeof *t);
  advval_defaults(&t->av);
  t->av.control = 0;
  t->atomic = TN_LABEL_ENERGIES;
  t->out = "transfer";
  t->bins = 5;
  const char **paths = (const char **)argv, *arg;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_output_opt(&a, arg) || cli_opt(&a, arg, "out")) {
      if (!a.value[0]) cli_usage_error(TR_CMD, "option --out: empty folder name");
      t->out = a.value;
    } else if (cli_opt(&a, arg, "train"))
      t->train = a.value;
    else if (cli_opt(&a, arg, "test"))
      paths[n++] = a.value; /* the scan is past this slot already */
    else if (cli_opt(&a, arg, "atomic"))
      t->atomic = a.value;
    else if (cli_opt(&a, arg, "bins"))
      t->bins = (int)cli_long(&a, "bins", a.value, 1, TR_BINS_MAX);
    else if (cli_opt(&a, arg, "classifier")) {
      if (strcmp(a.value, "logreg") != 0 && strcmp(a.value, "mlp") != 0)
        cli_usage_error(TR_CMD, "option --classifier: '%s': use logreg or mlp", a.value);
      t->av.classifier = a.value;
      t->av.opt.kind = strcmp(a.value, "mlp") == 0 ? CLF_KIND_MLP : CLF_KIND_LOGREG;
      t->av.opt.l2 = t->av.opt.kind == CLF_KIND_MLP ? 1e-4 : 1e-3;
    } else if (cli_opt(&a, arg, "folds"))
      t->av.folds = (int)cli_long(&a, "folds", a.value, 2, 100);
    else if (cli_opt(&a, arg, "cutoff")) {
      t->av.cutoff = cli_double(&a, "cutoff", a.value);
      if (!(t->av.cutoff > 0.0 && t->av.cutoff <= 100.0))
        cli_usage_error(TR_CMD, "option --cutoff: must be in (0, 100] Angstrom");
    } else if (cli_opt(&a, arg, "seed")) {
      t->av.seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 0x7fffffffffffffffL);
      t->av.opt.seed = t->av.seed;
    } else
      cli_input_arg(&a, arg, help, ropt, paths, &n);
  }
  int m = 0;
  while (m < n && ens_is_model_file(paths[m])) m++;
  if (m == 0) cli_usage_error(TR_CMD, "the first argument must be a model file (.tnm)");
  for (int k = m; k < n; k++)
    if (ens_is_model_file(paths[k]))
      cli_usage_error(TR_CMD, "'%s' is a model file among the test sets: models come first",
                      paths[k]);
  if (m == n) cli_usage_error(TR_CMD, "no test data after the model files");
  t->models = paths;
  t->n_models = m;
  t->tests = paths + m;
  t->n_tests = n - m;
}

/* Adversarial validation of the training set against test set s: the AUCs
 * and the score of every test structure. */
static int score_set(transfer_args *t, tn_dataset *train, transfer_set *s, int k) {
  advval_args p = t->av;
  p.path_a = t->train;
  p.path_b = s->path;
  p.control = k == 0; /* the classifier's control, once */
  advval_run r;
  memset(&r, 0, sizeof r);
  r.a = train;
  r.b = s->ds;
  char label[64];
  snprintf(label, sizeof label, TR_CMD ": set %d", k + 1);
  int ok = advval_compute(&p, &r, label);
  if (ok) {
    s->auc_struct = r.real.auc_struct;
    s->auc_struct_std = r.real.auc_struct_std;
    s->auc_atom = r.real.auc_atom;
    s->auc_atom_std = r.real.auc_atom_std;
    for (int64_t f = 0; f < s->n; f++) s->score[f] = r.real.score[r.feat.n_a + f];
    s->n_shared = r.n_shared;
    if (r.control.k) {
      t->control_auc = r.control.auc_struct;
      t->control_auc_std = r.control.auc_struct_std;
    }
  }
  r.a = r.b = NULL; /* owned by the caller */
  advval_run_free(&r);
  return ok;
}

static int trends(const transfer_args *t, transfer_set *s) {
  char why[256];
  int64_t used;
  s->n_bins = t->bins;
  tn_status st = trend_spearman(&s->rho_score_err, s->score, s->err, s->n, why, sizeof why);
  if (st == TN_STATUS_OK)
    st = trend_spearman(&s->rho_spread_err, s->spread, s->err, s->n, why, sizeof why);
  if (st == TN_STATUS_OK)
    st = trend_spearman(&s->rho_score_spread, s->score, s->spread, s->n, why, sizeof why);
  if (st == TN_STATUS_OK)
    st = trend_bins(s->bins, s->n_bins, &used, s->score, s->err, s->n, why, sizeof why);
  if (st != TN_STATUS_OK) fprintf(stderr, TR_CMD ": %s\n", why);
  return st == TN_STATUS_OK;
}

/* The data file named in a model's lineage ("data: PATH (N training
 * frames)"), if that file exists; "" otherwise. */
static void lineage_data(char *out, size_t len, const tn_model *m) {
  out[0] = '\0';
  const char *text = tn_model_lineage(m), *at = text ? strstr(text, "data: ") : NULL;
  if (!at || (at != text && at[-1] != '\n')) return;
  at += 6;
  const char *end = strstr(at, " (");
  const char *eol = strchr(at, '\n');
  if (!end || (eol && eol < end) || (size_t)(end - at) >= len) return;
  snprintf(out, len, "%.*s", (int)(end - at), at);
  FILE *f = fopen(out, "rb");
  if (f)
    fclose(f);
  else
    out[0] = '\0';
}

int cmd_transfer(int argc, char **argv) {
  transfer_args t;
  tn_read_options ropt = tn_read_options_default();
  parse(&t, argc, argv, &ropt);
  t.control_auc = t.control_auc_std = NAN;
  int status = 1;
  tn_model **models = calloc((size_t)t.n_models, sizeof *models);
  transfer_set *sets = calloc((size_t)t.n_tests, sizeof *sets);
  tn_dataset *train = NULL;
  if (!models || !sets) {
    fprintf(stderr, TR_CMD ": out of memory\n");
    goto done;
  }
  char why[1024];
  for (int m = 0; m < t.n_models; m++)
    if (tn_model_load(&models[m], t.models[m], why, sizeof why) != TN_STATUS_OK) {
      fprintf(stderr, TR_CMD ": %s\n", why);
      goto done;
    }
  char from_lineage[TN_PATH_MAX];
  if (!t.train) {
    lineage_data(from_lineage, sizeof from_lineage, models[0]);
    if (from_lineage[0]) {
      t.train = from_lineage;
      t.train_from_lineage = 1;
      fprintf(stderr, TR_CMD ": training set from the model's lineage: %s\n", t.train);
    }
  }
  if (t.train) {
    if (!(train = tn_dataset_create()) || !cli_read_all(train, &t.train, 1, &ropt)) goto done;
    if (train->n_frames < t.av.folds) {
      fprintf(stderr, TR_CMD ": %s: %lld frames, fewer than --folds = %d\n", t.train,
              (long long)train->n_frames, t.av.folds);
      goto done;
    }
  }
  if (!cli_make_dir(TR_CMD, t.out)) goto done;
  fprintf(stderr, TR_CMD ": %d model%s, %d test set%s\n", t.n_models, t.n_models > 1 ? "s" : "",
          t.n_tests, t.n_tests > 1 ? "s" : "");
  for (int k = 0; k < t.n_tests; k++) {
    transfer_set *s = &sets[k];
    s->path = t.tests[k];
    s->auc_struct = s->auc_struct_std = s->auc_atom = s->auc_atom_std = NAN;
    s->n_shared = -1;
    if (!(s->ds = tn_dataset_create()) || !cli_read_all(s->ds, &s->path, 1, &ropt)) goto done;
    if (!transfer_evaluate(s, models, t.models, t.n_models, t.atomic)) goto done;
    if (!(s->score = malloc((size_t)s->n * sizeof *s->score))) {
      fprintf(stderr, TR_CMD ": out of memory\n");
      goto done;
    }
    for (int64_t f = 0; f < s->n; f++) s->score[f] = NAN;
    if (train && s->n < t.av.folds)
      fprintf(stderr, TR_CMD ": %s: %lld frames, fewer than --folds = %d: no AUC\n", s->path,
              (long long)s->n, t.av.folds);
    else if (train && !score_set(&t, train, s, k))
      goto done;
    if (!trends(&t, s)) goto done;
  }
  if (transfer_write(&t, sets)) status = 0;
done:
  for (int m = 0; models && m < t.n_models; m++) tn_model_free(models[m]);
  for (int k = 0; sets && k < t.n_tests; k++) transfer_set_free(&sets[k]);
  free(models);
  free(sets);
  tn_dataset_free(train);
  return status;
}
