/* The tanne KIM model driver's compute: one tanne evaluation of all the
 * particles KIM hands over, contributing and padding, as one open cluster
 * (see driver.c for why padding reaches hops × cutoff). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

static void log_compute(const KIM_ModelComputeArguments *mca, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  KIM_ModelComputeArguments_LogEntry(mca, KIM_LOG_VERBOSITY_error, msg, line, __FILE__);
}

/* Energy, forces, atomic energies and the virial, each if the simulator
 * asks for it. No callbacks (ProcessDEDrTerm): a many-body model has no
 * pair terms to report. */
int kimtn_compute_arguments_create(KIM_ModelCompute const *const mc,
                                   KIM_ModelComputeArgumentsCreate *const mcac) {
  (void)mc;
  const KIM_ComputeArgumentName optional[] = {
      KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialForces,
      KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialVirial};
  for (size_t a = 0; a < sizeof optional / sizeof optional[0]; a++)
    if (KIM_ModelComputeArgumentsCreate_SetArgumentSupportStatus(mcac, optional[a],
                                                                 KIM_SUPPORT_STATUS_optional)) {
      KIM_ModelComputeArgumentsCreate_LogEntry(mcac, KIM_LOG_VERBOSITY_error,
                                               "tanne driver: KIM refused an argument's support",
                                               __LINE__, __FILE__);
      return 1;
    }
  return 0;
}

int kimtn_compute_arguments_destroy(KIM_ModelCompute const *const mc,
                                    KIM_ModelComputeArgumentsDestroy *const mcad) {
  (void)mc, (void)mcad;
  return 0;
}

/* Makes room for n particles; 0 on success. Grows by half again, so a
 * simulation whose padding count drifts up settles after a few steps. */
static int buffer_reserve(kimtn_buffer *b, int n) {
  if (n <= b->capacity) return 0;
  int cap = n + n / 2;
  int32_t *species = realloc(b->species, (size_t)cap * sizeof *species);
  if (!species) return 1;
  b->species = species;
  uint8_t *contributing = realloc(b->contributing, (size_t)cap);
  if (!contributing) return 1;
  b->contributing = contributing;
  b->capacity = cap;
  return 0;
}

/* The KIM pointers of one compute; outputs are NULL when not asked for. */
typedef struct kim_args {
  int *n, *codes, *contributing;
  double *coords;
  double *energy, *forces, *particle_energy, *virial;
} kim_args;

static int get_args(const KIM_ModelComputeArguments *mca, kim_args *a) {
  return KIM_ModelComputeArguments_GetArgumentPointerInteger(
             mca, KIM_COMPUTE_ARGUMENT_NAME_numberOfParticles, &a->n) ||
         KIM_ModelComputeArguments_GetArgumentPointerInteger(
             mca, KIM_COMPUTE_ARGUMENT_NAME_particleSpeciesCodes, &a->codes) ||
         KIM_ModelComputeArguments_GetArgumentPointerInteger(
             mca, KIM_COMPUTE_ARGUMENT_NAME_particleContributing, &a->contributing) ||
         KIM_ModelComputeArguments_GetArgumentPointerDouble(
             mca, KIM_COMPUTE_ARGUMENT_NAME_coordinates, &a->coords) ||
         KIM_ModelComputeArguments_GetArgumentPointerDouble(
             mca, KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, &a->energy) ||
         KIM_ModelComputeArguments_GetArgumentPointerDouble(
             mca, KIM_COMPUTE_ARGUMENT_NAME_partialForces, &a->forces) ||
         KIM_ModelComputeArguments_GetArgumentPointerDouble(
             mca, KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy, &a->particle_energy) ||
         KIM_ModelComputeArguments_GetArgumentPointerDouble(
             mca, KIM_COMPUTE_ARGUMENT_NAME_partialVirial, &a->virial);
}

/* KIM's virial is tanne's W_ab = Σ_edges d_a ∂E/∂d_b (eV), with the same
 * sign: for pair terms Σ_pairs (dE/dr) r_a r_b / r, negative for repulsion,
 * the opposite of LAMMPS's Σ r·F, which pair_kim flips. Voigt order xx yy
 * zz yz xz xy. tests/test_kim_lammps.py checks LAMMPS's pressure tensor
 * against -stress from tanne predict. W is symmetric for a rotation-invariant
 * energy up to round-off; the off-diagonal mean hides that round-off. */
static void virial_to_voigt(double *out, double w[3][3]) {
  out[0] = w[0][0];
  out[1] = w[1][1];
  out[2] = w[2][2];
  out[3] = 0.5 * (w[1][2] + w[2][1]);
  out[4] = 0.5 * (w[0][2] + w[2][0]);
  out[5] = 0.5 * (w[0][1] + w[1][0]);
}

int kimtn_compute(KIM_ModelCompute const *const mc, KIM_ModelComputeArguments const *const mca) {
  kimtn_buffer *b = NULL;
  KIM_ModelCompute_GetModelBufferPointer(mc, (void **)&b);
  kim_args a;
  if (get_args(mca, &a)) {
    log_compute(mca, __LINE__, "tanne driver: KIM gave no pointer for a compute argument");
    return 1;
  }
  int n = *a.n;
  if (n < 0 || buffer_reserve(b, n)) {
    log_compute(mca, __LINE__, "tanne driver: no memory for %d particles", n);
    return 1;
  }
  int n_contributing = 0;
  for (int i = 0; i < n; i++) {
    if (a.codes[i] < 0 || a.codes[i] >= b->n_species) {
      log_compute(mca, __LINE__, "tanne driver: particle %d has species code %d, not in 0..%d", i,
                  a.codes[i], b->n_species - 1);
      return 1;
    }
    b->species[i] = b->z[a.codes[i]];
    b->contributing[i] = a.contributing[i] != 0;
    n_contributing += b->contributing[i];
  }
  /* A rank whose subdomain is empty (or holds only padding) has nothing to
   * add: every output is zero, and tanne is not asked about an empty frame. */
  if (n_contributing == 0) {
    if (a.energy) *a.energy = 0.0;
    if (a.forces) memset(a.forces, 0, (size_t)n * 3 * sizeof *a.forces);
    if (a.particle_energy) memset(a.particle_energy, 0, (size_t)n * sizeof *a.particle_energy);
    if (a.virial) memset(a.virial, 0, 6 * sizeof *a.virial);
    return 0;
  }
  /* Open boundaries: the padding is the simulator's periodic images. */
  tn_frame frame = {.n_atoms = n,
                    .species = b->species,
                    .pos = (const double(*)[3])a.coords,
                    .cell = {{0}},
                    .pbc = {0, 0, 0}};
  tn_eval_options opt = {.neighbors = NULL, .contributing = b->contributing};
  double w[3][3];
  tn_status st = tn_model_eval_with(b->model, &frame, &opt, a.energy, (double(*)[3])a.forces,
                                    a.virial ? w : NULL, a.particle_energy);
  if (st != TN_STATUS_OK) {
    log_compute(mca, __LINE__, "tanne driver: evaluation failed (%s): %s", tn_status_str(st),
                tn_model_errmsg(b->model));
    return 1;
  }
  /* tanne computes the padding's atomic energies too; they do not count. */
  if (a.particle_energy)
    for (int i = 0; i < n; i++)
      if (!b->contributing[i]) a.particle_energy[i] = 0.0;
  if (a.virial) virial_to_voigt(a.virial, w);
  return 0;
}
