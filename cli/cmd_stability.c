/* tanne stability MODEL... DATA: K short MD runs per model from frames of
 * DATA; the fraction that stays stable and the time to failure. A low test
 * error does not promise stable dynamics (Fu et al., TMLR 2023; Esders et
 * al. 2024/25): this is the check beyond it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "md.h"

#define ST_CMD "tanne stability"

static const char help[] =
    "usage: tanne stability [options] MODEL.tnm... DATA\n"
    "       tanne stability [options] --reference [MODEL.tnm...] DATA\n\n"
    "For each model, starts --runs short MD runs from frames of DATA spread\n"
    "evenly over it (run k from frame 1 + floor(k N / K), seed --seed + k) and\n"
    "reports how many stay stable for --steps steps under the stability monitor\n"
    "(see the monitor options below and tanne md --help), and when and why the\n"
    "others failed. --reference adds the built-in LJ + ATM potential (Ar, Kr) as\n"
    "a baseline. Files in the output folder: runs.csv (one row per run) and\n"
    "summary.csv (one row per model).\n\n"
    "options:\n"
    "  --runs K            runs per model  [10]\n"
    "  --steps S           steps per run  [1000]\n"
    "  -o, --output DIR    output folder  [stability]\n";

typedef struct st_model_result {
  int runs, stable;
  int reasons[TN_MD_ENERGY_DRIFT + 1];
  double fail_time_sum; /* fs, over failed runs */
  double censored_sum;  /* fs, failed runs at their time, stable ones at the full length */
} st_model_result;

typedef struct st_settings {
  cli_md_settings md;
  long runs;
  int64_t steps;
  const char *dir;
} st_settings;

/* One run of one model; its row goes to runs.csv. 0 on an error that is not
 * instability (printed). */
static int one_run(cli_md_potential *pot, const tn_dataset *ds, const st_settings *s, long k,
                   FILE *csv, st_model_result *res) {
  int64_t f = (int64_t)((double)k * ds->n_frames / s->runs);
  tn_frame start;
  tn_dataset_frame(ds, f, &start);
  tn_md_options o = s->md.opt;
  o.seed = s->md.opt.seed + (uint64_t)k;
  tn_md *md = NULL;
  char err[512];
  tn_status st = cli_md_create(&md, pot, &start, &o, err, sizeof err);
  if (st != TN_STATUS_OK) {
    fprintf(stderr, "%s: %s: frame %lld: %s\n", ST_CMD, cli_md_potential_name(pot),
            (long long)f + 1, err);
    return 0;
  }
  st = tn_md_run(md, s->steps);
  if (st != TN_STATUS_OK && st != TN_STATUS_UNSTABLE) {
    fprintf(stderr, "%s: %s: frame %lld: %s (%s)\n", ST_CMD, cli_md_potential_name(pot),
            (long long)f + 1, tn_md_errmsg(md), tn_status_str(st));
    tn_md_free(md);
    return 0;
  }
  tn_md_thermo th;
  tn_md_get_thermo(md, &th);
  tn_md_failure why = tn_md_failed(md);
  res->runs++;
  res->reasons[why]++;
  if (why == TN_MD_RUNNING) {
    res->stable++;
  } else {
    res->fail_time_sum += th.time;
  }
  res->censored_sum += th.time;
  /* the message in quotes, with any quote in it doubled (CSV) */
  fprintf(csv, "%s,%ld,%lld,%llu,%d,%lld,%.6g,%s,\"", cli_md_potential_name(pot), k + 1,
          (long long)f + 1, (unsigned long long)o.seed, why == TN_MD_RUNNING, (long long)th.step,
          th.time, why == TN_MD_RUNNING ? "" : tn_md_failure_name(why));
  for (const char *c = why == TN_MD_RUNNING ? "" : tn_md_errmsg(md); *c; c++) {
    if (*c == '"') putc('"', csv);
    putc(*c, csv);
  }
  fputs("\"\n", csv);
  fflush(csv);
  tn_md_free(md);
  return 1;
}

static void print_result(const char *name, const st_model_result *r, const st_settings *s) {
  int failed = r->runs - r->stable;
  printf("%-40s %5d/%-5d %6.1f%%", name, r->stable, r->runs, 100.0 * r->stable / r->runs);
  if (failed)
    printf(" %14.1f", r->fail_time_sum / failed);
  else
    printf(" %14s", "-");
  printf(" %14.1f  ", r->censored_sum / r->runs);
  for (int w = 1; w <= TN_MD_ENERGY_DRIFT; w++)
    if (r->reasons[w]) printf(" %s:%d", tn_md_failure_name((tn_md_failure)w), r->reasons[w]);
  printf("\n");
  (void)s;
}

static void parse(st_settings *s, int argc, char **argv, const char ***models, int *n_models,
                  const char **data, int *reference, tn_read_options *ropt) {
  cli_args a;
  cli_args_init(&a, ST_CMD, argc, argv);
  const char **paths = (const char **)argv, *arg;
  int n = 0;
  while (cli_args_next(&a, &arg)) {
    if (cli_md_option(&a, arg, &s->md)) continue;
    if (cli_output_opt(&a, arg))
      s->dir = a.value;
    else if (cli_flag(arg, "reference"))
      *reference = 1;
    else if (cli_opt(&a, arg, "runs"))
      s->runs = cli_long(&a, "runs", a.value, 1, 1L << 30);
    else if (cli_opt(&a, arg, "steps"))
      s->steps = cli_long(&a, "steps", a.value, 1, 1L << 40);
    else if (cli_flag(arg, "help") || strcmp(arg, "-h") == 0) {
      printf("%s%s%s", help, cli_md_options_help, cli_read_options_help);
      exit(0);
    } else {
      cli_input_arg(&a, arg, help, ropt, paths, &n);
    }
  }
  if (n < 2 - *reference)
    cli_usage_error(ST_CMD, "need at least one model (or --reference) and a DATA file");
  *models = paths;
  *n_models = n - 1;
  *data = paths[n - 1];
  cli_md_settings_finish(&s->md);
}

int cmd_stability(int argc, char **argv) {
  st_settings s;
  cli_md_settings_init(&s.md);
  s.runs = 10;
  s.steps = 1000;
  s.dir = "stability";
  const char **models, *data;
  int n_models, reference = 0, status = 1;
  tn_read_options ropt = tn_read_options_default();
  parse(&s, argc, argv, &models, &n_models, &data, &reference, &ropt);

  tn_dataset *ds = tn_dataset_create();
  cli_out runs_out, sum_out;
  FILE *runs = NULL, *sum = NULL;
  if (!ds) {
    fprintf(stderr, "%s: out of memory\n", ST_CMD);
    return 1;
  }
  if (!cli_read_all(ds, &data, 1, &ropt)) goto done;
  if (ds->n_frames == 0) {
    fprintf(stderr, "%s: %s: no frames\n", ST_CMD, data);
    goto done;
  }
  if (!cli_make_dir(ST_CMD, s.dir) || !(runs = cli_out_open(&runs_out, ST_CMD, s.dir, "runs.csv")))
    goto done;
  if (!(sum = cli_out_open(&sum_out, ST_CMD, s.dir, "summary.csv"))) goto done;
  fputs("model,run,frame,seed,stable,steps,time_fs,reason,message\n", runs);
  fputs("model,runs,stable,fraction_stable,mean_fail_time_fs,mean_time_fs", sum);
  for (int w = 1; w <= TN_MD_ENERGY_DRIFT; w++)
    fprintf(sum, ",%s", tn_md_failure_name((tn_md_failure)w));
  fputc('\n', sum);
  printf("%lld frames of %s; %ld runs of %lld steps of %g fs per model\n", (long long)ds->n_frames,
         data, s.runs, (long long)s.steps, s.md.opt.timestep);
  printf("%-40s %11s %7s %14s %14s   %s\n", "model", "stable", "", "fail time fs", "mean time fs",
         "reasons");
  int ok = 1, tty = isatty(fileno(stderr));
  for (int m = reference ? -1 : 0; ok && m < n_models; m++) {
    cli_md_potential pot;
    if (!cli_md_potential_load(&pot, ST_CMD, m < 0 ? NULL : models[m])) {
      ok = 0;
      break;
    }
    st_model_result res;
    memset(&res, 0, sizeof res);
    for (long k = 0; ok && k < s.runs; k++) {
      if (tty)
        fprintf(stderr, "\r%s: %s: run %ld/%ld", ST_CMD, cli_md_potential_name(&pot), k + 1,
                s.runs);
      ok = one_run(&pot, ds, &s, k, runs, &res);
    }
    if (tty) fputc('\n', stderr);
    if (ok) {
      print_result(cli_md_potential_name(&pot), &res, &s);
      int failed = res.runs - res.stable;
      fprintf(sum, "%s,%d,%d,%.6g,%.6g,%.6g", cli_md_potential_name(&pot), res.runs, res.stable,
              (double)res.stable / res.runs, failed ? res.fail_time_sum / failed : NAN,
              res.censored_sum / res.runs);
      for (int w = 1; w <= TN_MD_ENERGY_DRIFT; w++) fprintf(sum, ",%d", res.reasons[w]);
      fputc('\n', sum);
    }
    cli_md_potential_free(&pot);
  }
  /* Rows of the runs that finished are kept even when a later one failed. */
  ok &= cli_out_close(&runs_out, runs, !ferror(runs));
  runs = NULL;
  ok &= cli_out_close(&sum_out, sum, !ferror(sum));
  sum = NULL;
  status = ok ? 0 : 1;
done:
  if (runs) cli_out_close(&runs_out, runs, 0);
  if (sum) cli_out_close(&sum_out, sum, 0);
  tn_dataset_free(ds);
  return status;
}
