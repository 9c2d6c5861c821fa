/* What the routines of the tanne KIM model driver share: the model buffer
 * KIM keeps for one model object, and the routines each file gives KIM. */
#ifndef TANNE_KIM_DRIVER_H
#define TANNE_KIM_DRIVER_H

#include <stdint.h>

#include "KIM_ModelDriverHeaders.h"
#include "tanne.h"

/* KIM species codes are 0..n_species-1 in the order of the model's elements
 * (ascending atomic numbers), so a code is an index into z. */
typedef struct kimtn_buffer {
  tn_model *model;
  int n_species;
  int32_t z[16]; /* [n_species] atomic number of each species code */
  /* Published to KIM by pointer: they must live as long as the model. */
  double influence_distance; /* Å, hops × cutoff */
  double list_cutoff;        /* Å, of the one neighbor list requested */
  int no_padding_neighbors;  /* modelWillNotRequestNeighborsOfNoncontributingParticles */
  /* Per-particle scratch, grown when a compute sees more particles than any
   * before, so that MD steps of a steady size allocate nothing. */
  int capacity;
  int32_t *species;      /* [capacity] atomic numbers */
  uint8_t *contributing; /* [capacity] */
} kimtn_buffer;

/* The driver's entry point, named in CMakeLists.txt (CREATE_ROUTINE_NAME). */
KIM_ModelDriverCreateFunction kimtn_driver_create;

/* driver.c */
int kimtn_destroy(KIM_ModelDestroy *const md);

/* compute.c */
int kimtn_compute_arguments_create(KIM_ModelCompute const *const mc,
                                   KIM_ModelComputeArgumentsCreate *const mcac);
int kimtn_compute_arguments_destroy(KIM_ModelCompute const *const mc,
                                    KIM_ModelComputeArgumentsDestroy *const mcad);
int kimtn_compute(KIM_ModelCompute const *const mc, KIM_ModelComputeArguments const *const mca);

#endif
