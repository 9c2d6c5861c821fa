/* tanne train CONFIG.yaml [--set key=value]... [--resume]: a training run
 * from a YAML config, with a progress line per epoch and a test-set report.
 * tanne finetune MODEL CONFIG.yaml: the same, starting from MODEL. The body
 * is shared with tanne learning-curve (train_run.c). Under mpirun both train
 * one model on all ranks (mpi_comm.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mpi_comm.h"
#include "train_run.h"

static const char train_help[] =
    "usage: tanne train [options] CONFIG.yaml\n\n"
    "Trains a potential as CONFIG.yaml says (every key has a default; see the\n"
    "config.yaml a run writes for all of them). Paths in the config are relative\n"
    "to the current folder. With data.train empty the built-in data are used\n"
    "(40 frames of liquid argon with exact atomic energies). Validation and\n"
    "test frames come from data.validation and data.test, or are split off the\n"
    "training file (data.n_val, data.n_test, seed), or from data.split.\n\n"
    "Writes to output.dir: best.tnm (the model), checkpoint.tnc, metrics.csv\n"
    "(one row per epoch), config.yaml and split.txt (what the run used), and\n"
    "test_metrics.csv when there is a test set.\n\n"
    "options:\n"
    "  --set KEY=VALUE     override one config key, e.g. --set optimizer.lr=1e-3\n"
    "                      (repeatable, applied in order after the file)\n"
    "  --resume            continue the run in output.dir from checkpoint.tnc\n"
    "                      (same config and data; train.epochs may grow)\n";

static const char finetune_help[] =
    "usage: tanne finetune [options] MODEL.tnm CONFIG.yaml\n\n"
    "Fine-tunes the model MODEL.tnm (a pre-trained parent) on the data of\n"
    "CONFIG.yaml: the same as 'tanne train CONFIG.yaml' with the key\n"
    "finetune.init_from set to MODEL.tnm, after the file and before any --set.\n"
    "The config's finetune section says what else to do: finetune.freeze (parts\n"
    "that keep the parent's weights: embedding, interaction.K, interactions,\n"
    "readout, representation), finetune.lr_decay (discriminative learning rates,\n"
    "Zaverkin et al., PCCP 2023) and finetune.refit_shifts (refit the element\n"
    "shifts on the new data). data.theory names the level of theory of the new\n"
    "labels, kept in the model's lineage. Outputs as for 'tanne train'.\n\n"
    "options:\n"
    "  --set KEY=VALUE     override one config key (repeatable, applied in order)\n"
    "  --resume            continue the run in output.dir from checkpoint.tnc\n";

typedef struct train_args {
  const char *model; /* finetune only */
  const char *config;
  const char **sets; /* [n_sets], stored in place over argv */
  int n_sets, resume;
} train_args;

/* Scans the arguments of train (n_positional 1) or finetune (2). */
static void parse_args(train_args *t, const char *command, const char *help, int n_positional,
                       int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, command, argc, argv);
  const char *pos[2] = {NULL, NULL}, *arg;
  int n_pos = 0;
  memset(t, 0, sizeof *t);
  /* --set values are gathered in place over argv (never ahead of the scan),
   * so a usage error that exits leaves nothing allocated. */
  t->sets = (const char **)argv;
  while (cli_args_next(&a, &arg)) {
    if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s\n%s", help, cli_mpi_help());
      exit(0);
    }
    if (cli_opt(&a, arg, "set"))
      t->sets[t->n_sets++] = a.value;
    else if (cli_flag(arg, "resume"))
      t->resume = 1;
    else if (arg[0] == '-' && arg[1] != '\0')
      cli_usage_error(command, "unknown option '%s'", arg);
    else if (n_pos == n_positional && n_positional == 1)
      cli_usage_error(command, "more than one config file ('%s', '%s')", pos[0], arg);
    else if (n_pos == n_positional)
      cli_usage_error(command, "unexpected argument '%s' (expected MODEL.tnm CONFIG.yaml)", arg);
    else
      pos[n_pos++] = arg;
  }
  if (n_positional == 1 && n_pos == 0) cli_usage_error(command, "no config file given");
  if (n_positional == 2 && n_pos == 0) cli_usage_error(command, "no model file given");
  if (n_positional == 2 && n_pos == 1) cli_usage_error(command, "no config file given");
  t->model = n_positional == 2 ? pos[0] : NULL;
  t->config = pos[n_positional - 1];
}

/* The config file, then init_from = model (finetune), then the --set
 * values. */
static int load_config(tn_train_config *cfg, const char *command, const train_args *t) {
  char err[1024];
  *cfg = tn_train_config_default();
  tn_status st = tn_train_config_load(cfg, t->config, err, sizeof err);
  if (st == TN_STATUS_OK && t->model) {
    size_t len = strlen(t->model) + 32;
    char *set = malloc(len);
    if (!set) {
      fprintf(stderr, "%s: out of memory\n", command);
      return 0;
    }
    snprintf(set, len, "finetune.init_from=%s", t->model);
    st = tn_train_config_set(cfg, set, err, sizeof err);
    free(set);
  }
  for (int k = 0; k < t->n_sets && st == TN_STATUS_OK; k++)
    st = tn_train_config_set(cfg, t->sets[k], err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
    return 0;
  }
  return 1;
}

/* The parent model must load before any data is read or folder made: a
 * missing or damaged file is reported by its own name first. */
static int check_model(const char *command, const char *path) {
  char err[1024];
  tn_model *m = NULL;
  tn_status st = tn_model_load(&m, path, err, sizeof err);
  tn_model_free(m);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: parent model %s: %s (%s)\n", command, path, err, tn_status_str(st));
    return 0;
  }
  return 1;
}

static int train_main(const char *command, const train_args *args) {
  int status = 1, ok = 1, trained = 0;
  run_data d;
  memset(&d, 0, sizeof d);
  tn_trainer *t = NULL;
  tn_train_config cfg;
  cli_mpi mpi;
  if (!cli_mpi_start(&mpi, command)) return cli_mpi_finish(&mpi, 1, 0);
  int rank0 = mpi.comm.rank == 0;
  /* Every rank reads the config and data and builds (or resumes) the same
   * trainer; they agree before training, so that a failure on any rank ends
   * all of them cleanly. */
  ok = (!args->model || check_model(command, args->model)) && load_config(&cfg, command, args) &&
       run_load_data(command, &d, &cfg);
  if (ok && !args->resume && rank0) {
    char *ckpt = run_path(command, cfg.output.dir, "checkpoint.tnc");
    ok = ckpt != NULL;
    if (ok && access(ckpt, F_OK) == 0)
      fprintf(stderr,
              "%s: %s already holds a run; starting afresh over it (--resume continues it)\n",
              command, cfg.output.dir);
    free(ckpt);
  }
  if (ok) {
    cli_mpi_threads(&mpi, cfg.train.threads);
    ok = run_trainer_start(command, &t, &cfg, &d, args->resume, &mpi.comm, stdout);
  }
  if (!cli_mpi_agree(&mpi, ok)) goto done;
  if (mpi.comm.size > 1)
    printf("parallel: %d ranks share each batch of %d frames\n", mpi.comm.size,
           tn_trainer_config(t)->train.batch_size);
  trained = 1;
  if (!run_trainer_train(command, t, d.val->n_frames > 0)) goto done;
  trained = 0;
  /* The test report writes test_metrics.csv: rank 0's job. */
  ok = !rank0 || d.test->n_frames == 0 ||
       run_test_report(command, tn_trainer_model(t), &d, &cfg, stdout);
  printf("model: %s/best.tnm\n", cfg.output.dir);
  if (ok) status = 0;
done:
  tn_trainer_free(t);
  run_data_free(&d);
  /* A rank whose training failed may leave others waiting in a collective. */
  return cli_mpi_finish(&mpi, status, trained);
}

int cmd_train(int argc, char **argv) {
  train_args t;
  parse_args(&t, "tanne train", train_help, 1, argc, argv);
  return train_main("tanne train", &t);
}

int cmd_finetune(int argc, char **argv) {
  train_args t;
  parse_args(&t, "tanne finetune", finetune_help, 2, argc, argv);
  return train_main("tanne finetune", &t);
}
