/* Lock files for run folders (run_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_lock.h"

/* The process id in an existing lock file; 0 if it cannot be read (a lock
 * being written this instant reads as empty: treated as live, see below). */
static long lock_owner(const char *path) {
  FILE *f = fopen(path, "r");
  long pid = 0;
  if (!f) return 0;
  if (fscanf(f, "%ld", &pid) != 1) pid = 0;
  fclose(f);
  return pid;
}

int run_lock_claim(const char *command, const char *path, long *owner) {
  *owner = 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
      char text[32];
      int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
      int ok = write(fd, text, (size_t)len) == len;
      if (close(fd) != 0) ok = 0;
      if (ok) return 1;
      fprintf(stderr, "%s: %s: cannot write the lock file: %s\n", command, path, strerror(errno));
      unlink(path);
      return 0;
    }
    if (errno != EEXIST) {
      fprintf(stderr, "%s: %s: cannot create the lock file: %s\n", command, path, strerror(errno));
      return 0;
    }
    long pid = lock_owner(path);
    /* No id yet: its owner is between creating and writing it. */
    if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno == EPERM) {
      *owner = pid;
      return -1;
    }
    fprintf(stderr, "%s: %s: its process %ld is gone; taking the run over\n", command, path, pid);
    if (unlink(path) != 0 && errno != ENOENT) {
      fprintf(stderr, "%s: %s: cannot remove the stale lock: %s\n", command, path, strerror(errno));
      return 0;
    }
  }
  *owner = lock_owner(path);
  return -1; /* another process took it over first */
}

void run_lock_release(const char *path) { unlink(path); }
