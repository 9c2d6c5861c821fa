/* Adam and AMSGrad, gradient clipping and exponential moving averages of
 * the weights. Each is a flat loop over the one contiguous parameter block. */
#include <math.h>
#include <string.h>

#include "train.h"

tn_status train_adam_init(train_adam *a, size_t n, int amsgrad) {
  memset(a, 0, sizeof *a);
  a->n = n;
  a->amsgrad = amsgrad;
  a->m = calloc(n ? n : 1, sizeof *a->m);
  a->v = calloc(n ? n : 1, sizeof *a->v);
  a->vmax = amsgrad ? calloc(n ? n : 1, sizeof *a->vmax) : NULL;
  if (!a->m || !a->v || (amsgrad && !a->vmax)) {
    train_adam_free(a);
    return TN_STATUS_NO_MEMORY;
  }
  return TN_STATUS_OK;
}

void train_adam_free(train_adam *a) {
  free(a->m);
  free(a->v);
  free(a->vmax);
  a->m = a->v = a->vmax = NULL;
}

/* Kingma & Ba, ICLR 2015, Algorithm 1, with bias correction folded into the
 * step size; AMSGrad (Reddi, Kale & Kumar, ICLR 2018) divides by the running
 * maximum of v instead. */
void train_adam_update(train_adam *a, tn_real *params, const tn_real *grad, double lr,
                       const tn_real *scale) {
  a->step++;
  double b1 = a->beta1, b2 = a->beta2;
  double c1 = 1.0 - pow(b1, (double)a->step), c2 = 1.0 - pow(b2, (double)a->step);
  double step = lr * sqrt(c2) / c1, eps = a->eps * sqrt(c2), decay = lr * a->weight_decay;
#pragma omp parallel for schedule(static)
  for (size_t q = 0; q < a->n; q++) {
    double s = scale ? (double)scale[q] : 1.0;
    if (s == 0.0) continue; /* frozen */
    double g = grad[q];
    double m = b1 * a->m[q] + (1.0 - b1) * g;
    double v = b2 * a->v[q] + (1.0 - b2) * g * g;
    a->m[q] = (tn_real)m;
    a->v[q] = (tn_real)v;
    if (a->amsgrad) {
      if (a->v[q] > a->vmax[q]) a->vmax[q] = a->v[q];
      v = a->vmax[q];
    }
    double p = params[q];
    /* s = 1 gives bitwise the unscaled update */
    params[q] = (tn_real)(p - s * step * m / (sqrt(v) + eps) - s * decay * p);
  }
}

double train_clip(tn_real *grad, size_t n, double max_norm, const tn_real *scale) {
  if (scale)
    for (size_t q = 0; q < n; q++)
      if (scale[q] == 0) grad[q] = 0;
  double sq = 0.0;
  for (size_t q = 0; q < n; q++) sq += (double)grad[q] * grad[q];
  double norm = sqrt(sq);
  if (max_norm > 0.0 && norm > max_norm && isfinite(norm)) {
    tn_real f = (tn_real)(max_norm / norm);
    for (size_t q = 0; q < n; q++) grad[q] *= f;
  }
  return norm;
}

void train_ema_update(tn_real *ema, const tn_real *params, size_t n, double decay,
                      const tn_real *scale) {
#pragma omp parallel for schedule(static)
  for (size_t q = 0; q < n; q++)
    if (!scale || scale[q] != 0) ema[q] = (tn_real)(decay * ema[q] + (1.0 - decay) * params[q]);
}
