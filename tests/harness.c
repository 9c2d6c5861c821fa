/* The test harness of harness.h. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int harness_failures;
static int passed, failed, skipped, skip_flag;
static const char *current;

void harness_check(int ok, const char *file, int line, const char *expr) {
  if (ok) return;
  harness_failures++;
  if (harness_failures <= 10)
    fprintf(stderr, "  FAIL %s: %s:%d: %s\n", current ? current : "?", file, line, expr);
}

void harness_check_near(double got, double want, double rel, double abs_tol, const char *file,
                        int line, const char *expr) {
  double tol = fmax(abs_tol, rel * fabs(want));
  int ok = fabs(got - want) <= tol; /* false for NaN */
  if (!ok && harness_failures < 10)
    fprintf(stderr, "  got %.17g, want %.17g (tolerance %.3g)\n", got, want, tol);
  harness_check(ok, file, line, expr);
}

void harness_skip(const char *why) {
  skip_flag = 1;
  printf("  skip %s: %s\n", current, why);
}

void harness_run(const char *name, void (*fn)(void)) {
  current = name;
  harness_failures = 0;
  skip_flag = 0;
  fn();
  if (harness_failures) {
    failed++;
    printf("  FAIL %s (%d checks)\n", name, harness_failures);
  } else if (skip_flag) {
    skipped++;
  } else {
    passed++;
    printf("  ok   %s\n", name);
  }
  fflush(stdout);
  current = NULL;
}

int harness_finish(void) {
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}

const char *harness_data(const char *relative) {
  static char slots[8][4096];
  static int next;
  char *buf = slots[next++ % 8];
  const char *root = getenv("TANNE_DATA");
  snprintf(buf, sizeof slots[0], "%s/%s", root && *root ? root : "../shared/data", relative);
  return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *harness_tmp(const char *name) {
  static char dir[256];
  static char slots[8][512];
  static int next;
  if (!dir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tanne-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      exit(2);
    }
  }
  char *buf = slots[next++ % 8];
  snprintf(buf, sizeof slots[0], "%s/%s", dir, name);
  return buf;
}
