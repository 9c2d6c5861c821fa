/* Transfer learning: a run that starts from a trained model (Zaverkin et
 * al., PCCP 25, 2023). Parameters are grouped into the architecture's blocks
 * (model_arch.parts); blocks can be frozen, and the others learn at
 * discriminative rates lr·ξ^(L−l), slowest near the input (Howard & Ruder,
 * ULMFiT, ACL 2018). The shifts μ_Z are corrected to the new level of
 * theory before training, and the model keeps its lineage. */
#include <stdarg.h>
#include <string.h>

#include "train.h"

/* Does the block name match one entry of the freeze list? "interactions"
 * stands for every interaction.K, "representation" for all but the
 * readout. */
static int freeze_matches(const char *entry, const char *block) {
  if (strcmp(entry, block) == 0) return 1;
  if (strcmp(entry, "interactions") == 0) return strncmp(block, "interaction.", 12) == 0;
  if (strcmp(entry, "representation") == 0) return strcmp(block, "readout") != 0;
  return 0;
}

/* The distinct block names of parts, for messages: "embedding,
 * interaction.1, ..." */
static void block_names(char *out, size_t len, const model_part *parts, int n) {
  size_t used = 0;
  out[0] = '\0';
  for (int p = 0; p < n; p++) {
    int seen = 0;
    for (int q = 0; q < p && !seen; q++) seen = strcmp(parts[q].name, parts[p].name) == 0;
    if (seen || used >= len) continue;
    used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", parts[p].name);
  }
}

tn_status finetune_lr_scales(const tn_model *m, const tn_train_config *cfg, tn_real **out,
                             char *err, size_t err_len) {
  *out = NULL;
  const char *freeze = cfg->finetune.freeze;
  double xi = cfg->finetune.lr_decay;
  if (!freeze[0] && xi == 1.0) return TN_STATUS_OK;
  model_part parts[MODEL_MAX_PARTS];
  int n = m->arch->parts(m, parts);
  int deepest = 0;
  for (int p = 0; p < n; p++)
    if (parts[p].depth > deepest) deepest = parts[p].depth;
  char known[512];
  block_names(known, sizeof known, parts, n);
  tn_real *scale = malloc((m->n_params ? m->n_params : 1) * sizeof *scale);
  if (!scale) return tn_fail(err, err_len, TN_STATUS_NO_MEMORY, "out of memory");
  for (size_t q = 0; q < m->n_params; q++) scale[q] = (tn_real)-1; /* unset: a layout bug */
  for (int p = 0; p < n; p++) {
    double s = 1.0;
    for (int k = 0; k < deepest - parts[p].depth; k++) s *= xi;
    for (size_t q = parts[p].offset; q < parts[p].offset + parts[p].count; q++)
      scale[q] = (tn_real)s;
  }
  /* Each entry of the list must name a block of this model. */
  char list[sizeof cfg->finetune.freeze];
  snprintf(list, sizeof list, "%s", freeze);
  int frozen_all = 1;
  for (char *save = NULL, *entry = strtok_r(list, ", ", &save); entry;
       entry = strtok_r(NULL, ", ", &save)) {
    int hit = 0;
    for (int p = 0; p < n; p++) {
      if (!freeze_matches(entry, parts[p].name)) continue;
      hit = 1;
      memset(scale + parts[p].offset, 0, parts[p].count * sizeof *scale);
    }
    if (!hit) {
      free(scale);
      return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                     "finetune.freeze: '%s' is no block of this %s model (its blocks: %s; or "
                     "'interactions', 'representation')",
                     entry, m->arch->name, known);
    }
  }
  for (size_t q = 0; q < m->n_params; q++) {
    TN_ASSERT(scale[q] >= 0); /* every parameter in a part */
    if (scale[q] != 0) frozen_all = 0;
  }
  if (frozen_all && m->n_params > 0) {
    free(scale);
    return tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "finetune.freeze: '%s' leaves nothing to train", freeze);
  }
  *out = scale;
  return TN_STATUS_OK;
}

/* The first element of ds that the model lacks, or 0. */
static int missing_element(const tn_model *m, const tn_dataset *ds) {
  if (!ds) return 0;
  for (int64_t a = 0; a < ds->n_atoms; a++)
    if (model_element_index(m, ds->species[a]) < 0) return ds->species[a];
  return 0;
}

/* Appends printf text to a growing buffer; 0 when out of memory. */
static int text_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int text_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
    va_end(ap);
    if (need < 0) return 0;
    if (*buf && *len + (size_t)need < *cap) {
      *len += (size_t)need;
      return 1;
    }
    size_t grow = (*cap + (size_t)need + 256) * 2;
    char *p = realloc(*buf, grow);
    if (!p) return 0;
    *buf = p;
    *cap = grow;
  }
}

tn_status finetune_lineage(tn_model *m, const tn_train_config *cfg, const tn_dataset *train,
                           const char *parent_lineage, char *err, size_t err_len) {
  /* No time stamp: the same run gives the same model file, byte for byte
   * (a resumed run included). */
  char *text = NULL;
  size_t len = 0, cap = 0;
  const char *theory = cfg->data.theory[0] ? cfg->data.theory : "not stated";
  const char *data = cfg->data.train[0] ? cfg->data.train : "the built-in demo data";
  int ok = text_add(&text, &len, &cap,
                    "trained by: tanne %s\ndata: %s (%lld training frames)\ntheory: %s\n",
                    TN_VERSION_STRING, data, (long long)train->n_frames, theory);
  if (ok && cfg->finetune.init_from[0])
    ok = text_add(&text, &len, &cap,
                  "parent: %s\nfinetune: freeze '%s', lr_decay %g, refit_shifts %d\n",
                  cfg->finetune.init_from, cfg->finetune.freeze, cfg->finetune.lr_decay,
                  cfg->finetune.refit_shifts);
  /* The parent's own lineage follows, one generation further back. */
  if (ok && parent_lineage && *parent_lineage) {
    ok = text_add(&text, &len, &cap, "--- parent's lineage\n%s", parent_lineage);
    if (ok && parent_lineage[strlen(parent_lineage) - 1] != '\n')
      ok = text_add(&text, &len, &cap, "\n");
  } else if (ok && cfg->finetune.init_from[0]) {
    ok = text_add(&text, &len, &cap, "--- parent's lineage: not recorded in its file\n");
  }
  tn_status st = ok ? tn_model_set_lineage(m, text) : TN_STATUS_NO_MEMORY;
  free(text);
  if (st != TN_STATUS_OK) return tn_fail(err, err_len, st, "out of memory for the lineage");
  return TN_STATUS_OK;
}

tn_status finetune_start(tn_model **out, const tn_train_config *cfg, const tn_dataset *train,
                         const tn_dataset *val, char *err, size_t err_len) {
  *out = NULL;
  const char *path = cfg->finetune.init_from;
  tn_model *m = NULL;
  char why[1024];
  tn_status st = tn_model_load(&m, path, why, sizeof why);
  if (st != TN_STATUS_OK) return tn_fail(err, err_len, st, "finetune.init_from: %s", why);
  const tn_dataset *sets[2] = {train, val};
  const char *names[2] = {"training", "validation"};
  for (int s = 0; s < 2; s++) {
    int z = missing_element(m, sets[s]);
    if (z) {
      st = tn_fail(err, err_len, TN_STATUS_BAD_INPUT,
                   "finetune.init_from: the %s data hold %s, which the parent model %s lacks",
                   names[s], tn_element_symbol(z), path);
      goto fail;
    }
  }
  if (cfg->finetune.refit_shifts && tn_dataset_column(train, TN_LABEL_ENERGY) &&
      (st = tn_model_refit_shifts(m, train, NULL, 0)) != TN_STATUS_OK) {
    tn_fail(err, err_len, st, "%s", tn_model_errmsg(m));
    goto fail;
  }
  char *parent = m->lineage;
  m->lineage = NULL;
  st = finetune_lineage(m, cfg, train, parent, err, err_len);
  free(parent);
  if (st != TN_STATUS_OK) goto fail;
  *out = m;
  return TN_STATUS_OK;
fail:
  tn_model_free(m);
  return st;
}
