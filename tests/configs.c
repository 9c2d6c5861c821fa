/* The test configurations of configs.h. */
#include "configs.h"

#include <string.h>

tn_frame config_frame(const config *c) {
  tn_frame f;
  memset(&f, 0, sizeof f);
  f.n_atoms = c->n;
  f.species = c->z;
  f.pos = (const double(*)[3])c->pos;
  memcpy(f.cell, c->cell, sizeof f.cell);
  memcpy(f.pbc, c->pbc, sizeof f.pbc);
  return f;
}
