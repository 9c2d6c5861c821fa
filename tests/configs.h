/* A small configuration the tests build and move atoms in; frames view it.
 * Shared by every test that makes its own structures. */
#ifndef TN_TEST_CONFIGS_H
#define TN_TEST_CONFIGS_H

#include "tanne.h"

#define CONFIG_MAXN 64 /* atoms (a 2×2×2 supercell of 8) */

typedef struct config {
  int n;
  int32_t z[CONFIG_MAXN];
  double pos[CONFIG_MAXN][3]; /* Å */
  double cell[3][3];          /* rows a, b, c; Å (zero when open) */
  uint8_t pbc[3];
} config;

/* A view of c (no label columns), valid while c lives and stays put. */
tn_frame config_frame(const config *c);

#endif
