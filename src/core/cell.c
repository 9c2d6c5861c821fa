/* Cell geometry shared by the potentials and the trainer. */
#include <math.h>

#include "core.h"

double tn_cell_volume(const double (*cell)[3]) {
  return fabs(cell[0][0] * (cell[1][1] * cell[2][2] - cell[1][2] * cell[2][1]) -
              cell[0][1] * (cell[1][0] * cell[2][2] - cell[1][2] * cell[2][0]) +
              cell[0][2] * (cell[1][0] * cell[2][1] - cell[1][1] * cell[2][0]));
}

int tn_cell_periodic(const double (*cell)[3], const uint8_t pbc[3]) {
  return pbc[0] && pbc[1] && pbc[2] && tn_cell_volume(cell) > 0.0;
}
