/* What every benchmark prints first: the machine (CPU model, logical CPUs)
 * and the date, so that a number in BENCHMARKS.md can be traced. */
#ifndef TN_BENCH_MACHINE_H
#define TN_BENCH_MACHINE_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "machine: <model>, <n> logical CPUs<note>\ndate: <UTC>\n" */
static inline void bench_print_machine(const char *note) {
  char model[256] = "unknown";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
        snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
        model[strcspn(model, "\n")] = '\0';
        break;
      }
    fclose(f);
  }
  char date[64] = "unknown";
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  printf("machine: %s, %ld logical CPUs%s\ndate: %s\n", model, sysconf(_SC_NPROCESSORS_ONLN), note,
         date);
}

#endif
