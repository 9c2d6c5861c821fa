/* Learning-rate schedules: constant, reduce-on-plateau and exponential
 * decay, each after an optional linear warmup. The plateau rule's state is
 * part of a checkpoint, so a resumed run follows the same rates. */
#include <math.h>
#include <string.h>

#include "train.h"

enum { SCHEDULE_CONSTANT, SCHEDULE_PLATEAU, SCHEDULE_EXPONENTIAL };

tn_status train_schedule_init(train_schedule *s, const tn_train_config *cfg, char *err,
                              size_t err_len) {
  memset(s, 0, sizeof *s);
  const char *type = cfg->schedule.type;
  if (strcmp(type, "constant") == 0)
    s->type = SCHEDULE_CONSTANT;
  else if (strcmp(type, "plateau") == 0)
    s->type = SCHEDULE_PLATEAU;
  else if (strcmp(type, "exponential") == 0)
    s->type = SCHEDULE_EXPONENTIAL;
  else
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "schedule.type: unknown '%s'", type);
  s->lr0 = cfg->optimizer.lr;
  s->factor = cfg->schedule.factor;
  s->min_lr = cfg->schedule.min_lr;
  s->decay_rate = cfg->schedule.decay_rate;
  s->warmup_epochs = cfg->schedule.warmup_epochs;
  s->patience = cfg->schedule.patience;
  s->decay_epochs = cfg->schedule.decay_epochs > 0 ? cfg->schedule.decay_epochs : 1;
  s->lr_plateau = s->lr0;
  s->best = INFINITY;
  return TN_STATUS_OK;
}

double train_schedule_lr(const train_schedule *s, int epoch, double frac) {
  double lr = s->lr0;
  if (s->type == SCHEDULE_PLATEAU) lr = s->lr_plateau;
  if (s->type == SCHEDULE_EXPONENTIAL)
    lr = s->lr0 * pow(s->decay_rate, ((double)epoch + frac) / s->decay_epochs);
  if (lr < s->min_lr && s->type != SCHEDULE_CONSTANT) lr = s->min_lr;
  if (epoch < s->warmup_epochs) {
    double t = ((double)epoch + frac) / s->warmup_epochs;
    lr *= 0.1 + 0.9 * t;
  }
  return lr;
}

void train_schedule_epoch_end(train_schedule *s, int epoch, double val_loss) {
  if (s->type != SCHEDULE_PLATEAU || epoch < s->warmup_epochs) return;
  /* A relative threshold of 1e-4, as torch's ReduceLROnPlateau default. */
  if (val_loss < s->best * (1.0 - 1e-4)) {
    s->best = val_loss;
    s->bad_epochs = 0;
  } else if (++s->bad_epochs > s->patience) {
    s->lr_plateau = fmax(s->lr_plateau * s->factor, s->min_lr);
    s->bad_epochs = 0;
  }
}
