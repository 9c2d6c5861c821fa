/* tanne split FILE... -o SPLIT: a seeded train/validation/test split. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: tanne split [options] FILE... -o SPLIT.txt\n\n"
    "Shuffles the frames of the files (read in order, as one data set) with a\n"
    "seed and writes the train, validation and test indices to SPLIT.txt.\n\n"
    "options:\n"
    "  --train F     fraction of frames for training  [0.8]\n"
    "  --val F       fraction for validation  [0.1]\n"
    "  --test F      fraction for testing  [0.1]\n"
    "  --seed S      random seed  [1]\n"
    "  -o FILE       output split file (required)\n";

int cmd_split(int argc, char **argv) {
  cli_args a;
  cli_args_init(&a, "tanne split", argc, argv);
  tn_read_options opt = tn_read_options_default();
  double f_train = 0.8, f_val = 0.1, f_test = 0.1;
  uint64_t seed = 1;
  const char *out = NULL, *arg;
  /* Inputs are gathered in place over argv (never ahead of the scan), so a
   * usage error that exits leaves nothing allocated. */
  const char **paths = (const char **)argv;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_opt(&a, arg, "train"))
      f_train = cli_double(&a, "train", a.value);
    else if (cli_opt(&a, arg, "val"))
      f_val = cli_double(&a, "val", a.value);
    else if (cli_opt(&a, arg, "test"))
      f_test = cli_double(&a, "test", a.value);
    else if (cli_opt(&a, arg, "seed"))
      seed = (uint64_t)cli_long(&a, "seed", a.value, 0, 0x7fffffffffffffffL);
    else if (cli_output_opt(&a, arg))
      out = a.value;
    else
      cli_input_arg(&a, arg, help, &opt, paths, &n);
  }
  if (n == 0) cli_usage_error(a.command, "no data file given");
  if (!out) cli_usage_error(a.command, "no output file (-o SPLIT.txt)");
  int status = 1;
  tn_split split = {0};
  tn_dataset *ds = tn_dataset_create();
  if (!ds || !cli_read_all(ds, paths, n, &opt)) goto done;
  if (tn_split_make(&split, ds->n_frames, f_train, f_val, f_test, seed) != TN_STATUS_OK) {
    fprintf(stderr, "tanne split: fractions must be >= 0 and sum to at most 1\n");
    goto done;
  }
  char err[512];
  if (tn_split_save(&split, out, err, sizeof err) != TN_STATUS_OK) {
    fprintf(stderr, "tanne split: %s\n", err);
    goto done;
  }
  printf("%lld frames: %lld train, %lld validation, %lld test (seed %llu) -> %s\n",
         (long long)ds->n_frames, (long long)split.n_train, (long long)split.n_val,
         (long long)split.n_test, (unsigned long long)seed, out);
  status = 0;
done:
  tn_split_free(&split);
  tn_dataset_free(ds);
  return status;
}
