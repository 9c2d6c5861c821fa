/* The per-epoch progress line of training commands (train, demo). */
#include <math.h>
#include <stdio.h>

#include "cli.h"

/* "3m12s", "1h05m", "12s" */
static void format_duration(char *out, size_t len, double seconds) {
  if (!isfinite(seconds) || seconds < 0) seconds = 0;
  long s = (long)(seconds + 0.5);
  if (s >= 3600)
    snprintf(out, len, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    snprintf(out, len, "%ldm%02lds", s / 60, s % 60);
  else
    snprintf(out, len, "%lds", s);
}

void cli_train_progress_fn(void *user, const tn_train_epoch *e, const char *message) {
  cli_train_progress *p = user;
  if (!e) {
    if (p->pending) fputc('\n', stderr);
    p->pending = 0;
    fprintf(stderr, "%s: %s\n", p->command, message ? message : "");
    fflush(stderr);
    return;
  }
  char line[512], eta[32];
  int w = snprintf(line, sizeof line, "epoch %d/%d  loss %.2e", e->epoch, e->epochs, e->train_loss);
  if (p->has_val) w += snprintf(line + w, sizeof line - (size_t)w, "  val %.2e", e->val_loss);
  /* MAEs come in eV units; shown in meV. */
  struct {
    const char *tag, *unit;
    double value;
  } maes[] = {{"E", "meV/atom", e->val_energy_mae},
              {"F", "meV/Å", e->val_forces_mae},
              {"A", "meV", e->val_atoms_mae},
              {"S", "meV/Å³", e->val_stress_mae}};
  for (size_t k = 0; k < sizeof maes / sizeof *maes; k++)
    if (isfinite(maes[k].value))
      w += snprintf(line + w, sizeof line - (size_t)w, "  %s %#.3g %s", maes[k].tag,
                    1e3 * maes[k].value, maes[k].unit);
  format_duration(eta, sizeof eta, e->eta_seconds);
  w += snprintf(line + w, sizeof line - (size_t)w, "  lr %.1e  ETA %s", e->lr, eta);
  if (e->skipped_steps > 0)
    w += snprintf(line + w, sizeof line - (size_t)w, "  (%d steps skipped)", e->skipped_steps);
  if (e->improved) snprintf(line + w, sizeof line - (size_t)w, " *");
  if (p->tty) {
    /* Overwrite the last line unless it improved; an improved epoch stays. */
    fprintf(stderr, "\r\033[K%s", line);
    p->pending = !(e->improved || e->epoch == e->epochs);
    if (!p->pending) fputc('\n', stderr);
  } else {
    fprintf(stderr, "%s\n", line);
  }
  fflush(stderr);
}
