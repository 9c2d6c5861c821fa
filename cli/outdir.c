/* Output folders of the commands that write several files (learning-curve,
 * advval, transfer): creating the folder, and writing each file atomically
 * (a temporary file renamed over the name, so nothing is left half written). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/core/core.h"
#include "cli.h"

int cli_make_dir(const char *command, const char *dir) {
  char path[TN_PATH_MAX];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
    fprintf(stderr, "%s: the folder name '%s' is too long\n", command, dir);
    return 0;
  }
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char keep = *p;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "%s: %s: cannot create the folder: %s\n", command, path, strerror(errno));
      return 0;
    }
    *p = keep;
    if (!keep) return 1;
  }
}

FILE *cli_out_open(cli_out *o, const char *command, const char *dir, const char *name) {
  o->command = command;
  o->tmp = NULL;
  size_t len = strlen(dir) + strlen(name) + 2;
  o->path = malloc(len);
  if (o->path) {
    snprintf(o->path, len, "%s/%s", dir, name);
    o->tmp = malloc(len + 32);
  }
  if (!o->path || !o->tmp) {
    fprintf(stderr, "%s: out of memory\n", command);
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return NULL;
  }
  FILE *f = tn_open_temp(o->path, o->tmp, len + 32);
  if (!f) {
    fprintf(stderr, "%s: %s: cannot write: %s\n", command, o->path, strerror(errno));
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
  }
  return f;
}

int cli_out_close(cli_out *o, FILE *f, int ok) {
  char err[1024];
  tn_status st = TN_STATUS_IO;
  if (ok) {
    st = tn_commit_file(f, o->tmp, o->path, err, sizeof err);
    if (st != TN_STATUS_OK)
      fprintf(stderr, "%s: %s (%s)\n", o->command, err, tn_status_str(st));
    else
      fprintf(stderr, "%s: wrote %s\n", o->command, o->path);
  } else {
    tn_abort_file(f, o->tmp);
  }
  free(o->path);
  free(o->tmp);
  o->path = o->tmp = NULL;
  return st == TN_STATUS_OK;
}

int cli_out_plot(const char *command, const char *dir, const char *name, const tn_plot *plot) {
  size_t len = strlen(dir) + strlen(name) + 2;
  char *path = malloc(len), err[512];
  if (!path) {
    fprintf(stderr, "%s: out of memory\n", command);
    return 0;
  }
  snprintf(path, len, "%s/%s", dir, name);
  tn_status st = tn_plot_write_svg(plot, path, err, sizeof err);
  if (st != TN_STATUS_OK)
    fprintf(stderr, "%s: %s (%s)\n", command, err, tn_status_str(st));
  else
    fprintf(stderr, "%s: wrote %s\n", command, path);
  free(path);
  return st == TN_STATUS_OK;
}
