/* Unit names to multipliers into eV and Å. Constants: CODATA 2018. */
#include <string.h>

#include "core.h"

#define EV_PER_HARTREE    27.211386245988
#define EV_PER_KCAL_MOL   0.04336410390059322 /* 4184 J / (N_A e) */
#define EV_PER_KJ_MOL     0.010364269656262174
#define ANGSTROM_PER_BOHR 0.529177210903

double tn_energy_unit(const char *name) {
  if (!name) return 0.0;
  if (strcmp(name, "eV") == 0) return 1.0;
  if (strcmp(name, "meV") == 0) return 1e-3;
  if (strcmp(name, "kcal/mol") == 0) return EV_PER_KCAL_MOL;
  if (strcmp(name, "kJ/mol") == 0) return EV_PER_KJ_MOL;
  if (strcmp(name, "Hartree") == 0 || strcmp(name, "Ha") == 0) return EV_PER_HARTREE;
  if (strcmp(name, "Ry") == 0) return EV_PER_HARTREE / 2.0;
  return 0.0;
}

double tn_length_unit(const char *name) {
  if (!name) return 0.0;
  if (strcmp(name, "Angstrom") == 0 || strcmp(name, "A") == 0 || strcmp(name, "Å") == 0) return 1.0;
  if (strcmp(name, "Bohr") == 0) return ANGSTROM_PER_BOHR;
  if (strcmp(name, "nm") == 0) return 10.0;
  return 0.0;
}
