/* A small test harness. Each test is a function; a test fails if any CHECK
 * in it fails. main() ends with the line "N passed, N failed, N skipped".
 *
 *   static void test_thing(void) { CHECK(1 + 1 == 2); }
 *   int main(void) { RUN(test_thing); return harness_finish(); }
 */
#ifndef TN_HARNESS_H
#define TN_HARNESS_H

#include <stdio.h>

#include "tanne.h"

extern int harness_failures; /* checks failed in the running test */

void harness_check(int ok, const char *file, int line, const char *expr);
void harness_check_near(double got, double want, double rel, double abs_tol, const char *file,
                        int line, const char *expr);
void harness_run(const char *name, void (*fn)(void));
/* Marks the running test skipped with a reason; the test must then return. */
void harness_skip(const char *why);
int harness_finish(void);

/* A path under the shared data folder ($TANNE_DATA, else ../shared/data), or
 * NULL when the file is absent. Uses a static buffer per call slot (8). */
const char *harness_data(const char *relative);
/* A fresh path in a temporary folder made for this test binary. */
const char *harness_tmp(const char *name);

#define CHECK(cond) harness_check(!!(cond), __FILE__, __LINE__, #cond)
/* |got - want| <= max(abs_tol, rel * |want|) */
#define CHECK_NEAR(got, want, rel, abs_tol)                                                        \
  harness_check_near((got), (want), (rel), (abs_tol), __FILE__, __LINE__, #got " ~ " #want)
#define CHECK_OK(expr)                                                                             \
  do {                                                                                             \
    tn_status st_ = (expr);                                                                        \
    if (st_ != TN_STATUS_OK) fprintf(stderr, "  status: %s\n", tn_status_str(st_));                \
    harness_check(st_ == TN_STATUS_OK, __FILE__, __LINE__, #expr " == TN_STATUS_OK");              \
  } while (0)
#define RUN(fn) harness_run(#fn, fn)
#define SKIP(why)                                                                                  \
  do {                                                                                             \
    harness_skip(why);                                                                             \
    return;                                                                                        \
  } while (0)

#endif
