/* Internal to src/train: the loss and its parameter gradient for one batch
 * (step.c), the optimizer and weight averages (optim.c), learning-rate
 * schedules (schedule.c); trainer.c runs them over epochs. */
#ifndef TN_TRAIN_H
#define TN_TRAIN_H

#include "../models/model.h"

/* The label columns a loss reads (NULL when a data set lacks one). */
typedef struct train_labels {
  const tn_column *energy, *forces, *atoms, *stress;
} train_labels;

void train_labels_find(train_labels *lab, const tn_dataset *ds, const char *atoms_column);

typedef struct train_weights {
  double energy, forces, atoms, stress;
} train_weights;

/* Sums over a batch or an epoch. mse_* are the plain mean squared errors
 * (eV²/atom², (eV/Å)², eV², (eV/Å³)²) over the labels present, and loss the
 * weighted sum; the abs sums give MAEs for reports. */
typedef struct train_sums {
  double sq_e, sq_f, sq_a, sq_s; /* Σ squared errors */
  double ab_e, ab_f, ab_a, ab_s; /* Σ absolute errors */
  int64_t n_e, n_f, n_a, n_s;    /* counted values (frames, components, atoms, components) */
} train_sums;

void train_sums_add(train_sums *into, const train_sums *from);
/* The weighted loss of the sums: Σ_term w · (Σ sq / n). */
double train_sums_loss(const train_sums *s, const train_weights *w);

/* Per-batch scratch of the loss, grown to the largest batch. */
typedef struct train_scratch {
  double *atom_energy;    /* [n_atoms] */
  double (*force)[3];     /* [n_atoms] */
  double (*virial)[3][3]; /* [n_frames] */
  double *g_energy;       /* [n_atoms] ∂L/∂E_i */
  int64_t cap_atoms, cap_forces, cap_frames, cap_g;
} train_scratch;

void train_scratch_free(train_scratch *s);

/* The counts (n_* only; the rest 0) of the n frames `which` of ds. */
void train_batch_counts(train_sums *counts, const tn_dataset *ds, const int64_t *which, int n,
                        const train_labels *lab);

/* Loss of the batch in w->batch (frames `which` of ds, in batch order) and,
 * when grad is not NULL, its gradient with respect to params accumulated into
 * grad (DESIGN.md "Derivatives": the force and stress terms through one
 * tangent pass along u = F − F_ref and the stress residual). The gradient is
 * that of the sums over these frames divided by the counts of norm (n_* of a
 * whole batch of which these frames are one rank's slice, see tn_comm), or by
 * this batch's own counts when norm is NULL; sums gets this batch's sums and
 * counts. The batch must have been reserved with tangent room when grad is
 * set and forces or stress are weighted. */
tn_status train_batch_loss(const tn_model *m, const tn_real *params, model_work *w,
                           train_scratch *s, const tn_dataset *ds, const int64_t *which,
                           const train_labels *lab, const train_weights *wt, const train_sums *norm,
                           tn_real *grad, train_sums *sums, char *err, size_t err_len);

/* ---- optimizer (optim.c) */
typedef struct train_adam {
  size_t n;
  double lr, beta1, beta2, eps, weight_decay;
  int amsgrad;
  uint64_t step;
  tn_real *m, *v, *vmax; /* [n] each; vmax only with amsgrad */
} train_adam;

tn_status train_adam_init(train_adam *a, size_t n, int amsgrad);
void train_adam_free(train_adam *a);
/* One Adam (AMSGrad) update of params with grad at learning rate
 * lr·scale[q]; weight decay decoupled (Loshchilov & Hutter, ICLR 2019).
 * Entries of scale 0 are frozen: they and their moments stay bitwise
 * unchanged. scale may be NULL (1 everywhere). */
void train_adam_update(train_adam *a, tn_real *params, const tn_real *grad, double lr,
                       const tn_real *scale);
/* Zeroes the gradient of frozen entries (scale 0; nothing when scale is
 * NULL), then scales grad so that its 2-norm is at most max_norm (0 = off);
 * returns the norm before clipping (NaN/Inf if the gradient is not finite). */
double train_clip(tn_real *grad, size_t n, double max_norm, const tn_real *scale);
/* ema = decay ema + (1 − decay) params, but for frozen entries (scale 0),
 * which keep their value bitwise; scale may be NULL. */
void train_ema_update(tn_real *ema, const tn_real *params, size_t n, double decay,
                      const tn_real *scale);

/* ---- transfer learning (finetune.c) */
/* Per-parameter learning-rate factors from cfg->finetune: 0 for the frozen
 * blocks, ξ^(L−l) for block l of the others (L the readout's depth). *out is
 * NULL (all 1) when nothing is frozen and ξ = 1; else malloc'd [n_params].
 * A freeze entry that names no block, or one that freezes everything, is
 * BAD_INPUT. */
tn_status finetune_lr_scales(const tn_model *m, const tn_train_config *cfg, tn_real **out,
                             char *err, size_t err_len);
/* The model a fine-tuning run starts from: the parent cfg->finetune.init_from,
 * checked to know every element of train and val, its shifts corrected to
 * train's energies (finetune.refit_shifts) and its lineage extended. */
tn_status finetune_start(tn_model **out, const tn_train_config *cfg, const tn_dataset *train,
                         const tn_dataset *val, char *err, size_t err_len);
/* Sets m's lineage to this run's generation (data, theory, parent), followed
 * by parent_lineage (may be NULL). */
tn_status finetune_lineage(tn_model *m, const tn_train_config *cfg, const tn_dataset *train,
                           const char *parent_lineage, char *err, size_t err_len);

/* ---- schedule (schedule.c) */
typedef struct train_schedule {
  int type; /* 0 constant, 1 plateau, 2 exponential */
  double lr0, factor, min_lr, decay_rate;
  int warmup_epochs, patience, decay_epochs;
  /* state (checkpointed) */
  double lr_plateau; /* current plateau level */
  double best;       /* best validation loss seen by the plateau rule */
  int bad_epochs;
} train_schedule;

tn_status train_schedule_init(train_schedule *s, const tn_train_config *cfg, char *err,
                              size_t err_len);
/* Learning rate for the steps of epoch (0-based) at fraction `frac` ∈ [0,1)
 * through it: warmup ramps linearly from lr/10 over warmup_epochs. */
double train_schedule_lr(const train_schedule *s, int epoch, double frac);
/* Feeds an epoch's validation loss to the plateau rule. */
void train_schedule_epoch_end(train_schedule *s, int epoch, double val_loss);

/* The config as the YAML tn_train_config_save writes (malloc'd, NUL-ended),
 * and back over the defaults: how checkpoints keep it, so that a checkpoint
 * outlives changes to the struct's layout. name stands for the text in
 * messages. */
tn_status train_config_to_text(const tn_train_config *cfg, char **text, char *err, size_t err_len);
tn_status train_config_from_text(tn_train_config *cfg, const char *name, const char *text,
                                 char *err, size_t err_len);

#endif
