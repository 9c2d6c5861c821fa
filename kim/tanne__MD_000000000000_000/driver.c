/* The tanne KIM model driver: turns a parameterized model, whose one
 * parameter file is a tanne model file (.tnm), into a KIM portable model.
 * This file creates and destroys the model object; compute.c evaluates it.
 *
 * Padding. A message-passing model (SchNet, PaiNN: one step per interaction)
 * gives atom i an energy that depends on the atoms within hops × cutoff of
 * i, not only on those within one cutoff: each step carries information one
 * cutoff further. So the simulator must hand over every atom within
 * hops × cutoff of a contributing particle as padding (ghost atoms), and that
 * is the influence distance published here. The driver builds its own
 * open-boundary graph over all particles, contributing and padding alike,
 * so it reads no neighbor list from the simulator. It still asks for one,
 * at the per-step cutoff and of contributing particles only (the cheapest
 * to build), and never reads it: the ghost region a simulator hands over
 * follows the influence distance (LAMMPS: ghost cutoff = influence + skin).
 * Forces on padding particles are returned; the simulator adds them to the
 * particles they image (LAMMPS's reverse communication). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

static void log_create(KIM_ModelDriverCreate *mdc, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  KIM_ModelDriverCreate_LogEntry(mdc, KIM_LOG_VERBOSITY_error, msg, line, __FILE__);
}

static void buffer_free(kimtn_buffer *b) {
  if (!b) return;
  tn_model_free(b->model);
  free(b->species);
  free(b->contributing);
  free(b);
}

/* No Refresh routine: the model publishes no parameters, and KIM refuses a
 * Refresh without them. */

/* The path of the one parameter file: its directory and base name, as KIM
 * 2.2 and later want them asked for. 0 on success. */
static int parameter_file(KIM_ModelDriverCreate *mdc, char *path, size_t len) {
  int n = 0;
  KIM_ModelDriverCreate_GetNumberOfParameterFiles(mdc, &n);
  if (n != 1) {
    log_create(mdc, __LINE__, "tanne driver: expected 1 parameter file (a .tnm model), got %d", n);
    return 1;
  }
  const char *dir = NULL, *base = NULL;
  KIM_ModelDriverCreate_GetParameterFileDirectoryName(mdc, &dir);
  if (KIM_ModelDriverCreate_GetParameterFileBasename(mdc, 0, &base) || !dir || !base) {
    log_create(mdc, __LINE__, "tanne driver: KIM gave no name for the parameter file");
    return 1;
  }
  if ((size_t)snprintf(path, len, "%s/%s", dir, base) >= len) {
    log_create(mdc, __LINE__, "tanne driver: parameter file path too long: %s/%s", dir, base);
    return 1;
  }
  return 0;
}

/* Species codes 0..n-1 for the model's elements. KIM's species names are
 * the element symbols, so the model's own symbols name them. */
static int set_species(KIM_ModelDriverCreate *mdc, kimtn_buffer *b) {
  b->n_species = tn_model_elements(b->model, b->z);
  for (int c = 0; c < b->n_species; c++) {
    const char *symbol = tn_element_symbol(b->z[c]);
    KIM_SpeciesName name = KIM_SpeciesName_FromString(symbol ? symbol : "");
    if (!symbol || KIM_SpeciesName_Known(name) == 0 ||
        KIM_ModelDriverCreate_SetSpeciesCode(mdc, name, c)) {
      log_create(mdc, __LINE__, "tanne driver: element Z = %d has no KIM species name",
                 (int)b->z[c]);
      return 1;
    }
  }
  return 0;
}

static int set_routines(KIM_ModelDriverCreate *mdc) {
  KIM_LanguageName c = KIM_LANGUAGE_NAME_c;
  return KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsCreate,
                                                 c, 1,
                                                 (KIM_Function *)kimtn_compute_arguments_create) ||
         KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_Compute, c, 1,
                                                 (KIM_Function *)kimtn_compute) ||
         KIM_ModelDriverCreate_SetRoutinePointer(
             mdc, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsDestroy, c, 1,
             (KIM_Function *)kimtn_compute_arguments_destroy) ||
         KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_Destroy, c, 1,
                                                 (KIM_Function *)kimtn_destroy);
}

/* The model keeps tanne's units whatever the simulator asked for (KIM then
 * converts, or the simulator refuses: LAMMPS needs `kim init NAME metal`). */
int kimtn_driver_create(KIM_ModelDriverCreate *const mdc, KIM_LengthUnit const length,
                        KIM_EnergyUnit const energy, KIM_ChargeUnit const charge,
                        KIM_TemperatureUnit const temperature, KIM_TimeUnit const time) {
  (void)length, (void)energy, (void)charge, (void)temperature, (void)time;
  if (KIM_ModelDriverCreate_SetUnits(mdc, KIM_LENGTH_UNIT_A, KIM_ENERGY_UNIT_eV,
                                     KIM_CHARGE_UNIT_unused, KIM_TEMPERATURE_UNIT_unused,
                                     KIM_TIME_UNIT_unused) ||
      KIM_ModelDriverCreate_SetModelNumbering(mdc, KIM_NUMBERING_zeroBased)) {
    log_create(mdc, __LINE__, "tanne driver: KIM refused eV, Angstrom or zero-based numbering");
    return 1;
  }
  char path[4096], err[512];
  if (parameter_file(mdc, path, sizeof path)) return 1;
  kimtn_buffer *b = calloc(1, sizeof *b);
  if (!b) {
    log_create(mdc, __LINE__, "tanne driver: out of memory");
    return 1;
  }
  tn_status st = tn_model_load(&b->model, path, err, sizeof err);
  if (st != TN_STATUS_OK) {
    log_create(mdc, __LINE__, "tanne driver: cannot load model %s (%s): %s", path,
               tn_status_str(st), err);
    goto fail;
  }
  if (set_species(mdc, b)) goto fail;
  b->list_cutoff = tn_model_cutoff(b->model);
  b->influence_distance = tn_model_hops(b->model) * b->list_cutoff;
  b->no_padding_neighbors = 1;
  KIM_ModelDriverCreate_SetInfluenceDistancePointer(mdc, &b->influence_distance);
  KIM_ModelDriverCreate_SetNeighborListPointers(mdc, 1, &b->list_cutoff, &b->no_padding_neighbors);
  if (set_routines(mdc)) {
    log_create(mdc, __LINE__, "tanne driver: KIM refused a routine pointer");
    goto fail;
  }
  KIM_ModelDriverCreate_SetModelBufferPointer(mdc, b);
  return 0;
fail:
  buffer_free(b);
  return 1;
}

int kimtn_destroy(KIM_ModelDestroy *const md) {
  kimtn_buffer *b = NULL;
  KIM_ModelDestroy_GetModelBufferPointer(md, (void **)&b);
  buffer_free(b);
  return 0;
}
