/* The tanne command: dispatch to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"info", cmd_info,
     "summarize data files (frames, elements, labels, statistics) or a model file"},
    {"convert", cmd_convert, "convert any readable data file to extended XYZ"},
    {"generate", cmd_generate,
     "make reference data (noble-gas liquids with exact atomic energies)"},
    {"split", cmd_split, "make a seeded train/validation/test split of a data set"},
    {"train", cmd_train, "train a potential from a YAML config (resumable)"},
    {"finetune", cmd_finetune, "fine-tune a trained model on new data (train from a parent model)"},
    {"learning-curve", cmd_learning_curve,
     "train one model per training-set size and variant; test errors, table, plots"},
    {"eval", cmd_eval, "errors of a model on labelled data: tables and parity plots"},
    {"predict", cmd_predict, "write a model's energies, forces and atomic energies as extxyz"},
    {"interactions", cmd_interactions,
     "what a model learned: sensitivities, many-body expansion, decay, effective range"},
    {"sweep", cmd_sweep,
     "one model per width and depth on totals only: errors and atomic-energy recovery"},
    {"atoms", cmd_atoms,
     "atomic energies against a reference partition, per element, raw and gauge-free"},
    {"advval", cmd_advval,
     "adversarial validation: can a classifier tell data set A from B? AUC, scores, split"},
    {"transfer", cmd_transfer,
     "errors of a model on several test sets against their AUC vs the training set"},
    {"md", cmd_md, "molecular dynamics (NVE, Langevin) watched by a stability monitor"},
    {"stability", cmd_stability,
     "fraction of short MD runs from data frames that stay stable, per model"},
    {"checkf", cmd_checkf, "check a model's forces (and stress) against finite differences"},
    {"import-n2p2", cmd_import_n2p2, "convert an n2p2 Behler-Parrinello potential to a model"},
    {"demo", cmd_demo, "train a small SchNet on built-in Ar/Kr data and report (the main job)"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: tanne <command> [options]\n\n"
               "tanne trains and diagnoses atom-based neural-network potentials.\n"
               "Units: eV, Angstrom, fs, K.\n\ncommands:\n");
  for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
    fprintf(out, "  %-15s %s\n", commands[k].name, commands[k].summary);
  fprintf(out, "\n'tanne <command> --help' describes a command.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "--version") == 0) {
    printf("tanne %s\n", TN_VERSION_STRING);
    return 0;
  }
  for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
    if (strcmp(name, commands[k].name) == 0) {
      cli_record_command_line(argc - 1, argv + 1);
      int status = commands[k].run(argc - 1, argv + 1);
      cli_forget_command_line();
      return status;
    }
  fprintf(stderr, "tanne: unknown command '%s'\n\n", name);
  usage(stderr);
  return 2;
}
