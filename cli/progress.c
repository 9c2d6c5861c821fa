/* A progress line on a terminal; silent when stderr is not one. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

void cli_progress(void *user, int done, int total) {
  const char *what = user ? (const char *)user : "progress";
  if (!isatty(fileno(stderr))) return;
  fprintf(stderr, "\r%s: %d/%d", what, done, total);
  if (done == total) fprintf(stderr, "\n");
  fflush(stderr);
}
