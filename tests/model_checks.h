/* Physics checks that every model architecture must pass, shared by
 * test_schnet.c, test_painn.c and test_bpnn.c. Each check takes a model the
 * caller made (any architecture, float64 build) and reports through the
 * harness (CHECK), so a failure names the running test.
 *
 * What each check proves:
 *  - mc_check_forces_fd: F = -∂E/∂R, the forces against central finite
 *    differences of the energy (forward and backward passes agree).
 *  - mc_check_stress_fd: σ = (1/V) ∂E/∂ε, the stress against central finite
 *    differences of the energy under a strain of positions and cell.
 *  - mc_check_invariance: E, atomic energies and forces do not depend on the
 *    frame of reference (rotation + translation; forces rotate with it) or
 *    on the order of the atoms (permutation; forces and atomic energies
 *    follow the atoms).
 *  - mc_check_supercell: periodic images are handled exactly: the 2×2×2
 *    supercell has 8× the energy, and the same atomic energies, forces and
 *    stress as the cell.
 *  - mc_check_loss_gradient: the training loss's parameter gradient (energy,
 *    forces through the tangent pass, atomic energies, stress, each weighted
 *    as asked) against central finite differences in every parameter.
 *  - mc_check_save_load: a model file reloads to a model whose energy is
 *    bitwise the same.
 *
 * Tolerances (the same in all three model tests; never loosen them): the
 * finite-difference checks compare 2-norms, |an - fd| <= 1e-6 |fd|, with a
 * step of 1e-5 (Å, strain or parameter units), where truncation and rounding
 * errors are ~1e-10. Symmetry checks allow only round-off: 1e-12 relative on
 * energies and atomic energies, 1e-10 on rotated forces and on supercell
 * forces and stress. */
#ifndef TN_MODEL_CHECKS_H
#define TN_MODEL_CHECKS_H

#include "../src/models/model.h"
#include "../src/train/train.h"
#include "configs.h"
#include "harness.h"

#define MC_FD_STEP 1e-5 /* Å, strain, or parameter units */
#define MC_FD_TOL  1e-6 /* |an - fd|₂ <= MC_FD_TOL |fd|₂ */
/* A molecule-like cluster of H, C, O (in turn): n ≤ CONFIG_MAXN atoms on a grid
 * of 1.4 Å (layers of 3 × 3), jittered by ±0.15 Å per axis, so neighbours
 * are 1.1-1.7 Å apart. */
void mc_make_molecule(config *c, int n, uint64_t seed);
/* A triclinic periodic cell of 4 atoms, Ar and Kr (fcc sites, jittered by
 * ±0.1 Å), about 4 Å across: a cutoff of 5 Å reaches several images. */
void mc_make_crystal(config *c, uint64_t seed);

/* The model's energy of c in eV; NaN (with the message on stderr) on error. */
double mc_energy(tn_model *m, const config *c);
/* |a - b|₂ / |b|₂ over n values (|a - b|₂ when b is zero). */
double mc_rel_error(const double *a, const double *b, int n);
/* A rotation by th (radians) about the tilted axis (1, 1, 1)/√3, from
 * Rodrigues' formula. */
void mc_rotation(double rot[3][3], double th);

/* Creates a model of o for elements el[ne] with seed 7 and gives it the
 * non-trivial shifts μ = (-1.5, 0.25, -3.0) eV and scale σ = 0.7 eV, so that
 * the atomwise head's affine map is exercised too. NULL (with the message on
 * stderr) when o is refused. */
tn_model *mc_model_create(const tn_model_options *o, const int32_t *el, int ne);
/* A small BPNN (5 features, two hidden layers, 3 radial and 4 angular
 * functions) with the angular kind ("wide" or "narrow"), cutoff function and
 * activation given, its descriptor scaling spread and its zero parameters
 * (the biases) drawn away from zero, so that no stage is an identity. NULL
 * when out of memory. */
tn_model *mc_bpnn_small(const int32_t *el, int ne, double cutoff, const char *kind, const char *cut,
                        const char *act);

/* The checks of the header comment. c is restored before return. */
void mc_check_forces_fd(tn_model *m, config *c);
void mc_check_stress_fd(tn_model *m, const config *c); /* c periodic */
/* mc_check_forces_fd on mc_make_molecule(n, seed), then frees m: one call
 * per model variant. A NULL m (a model that could not be made) fails. */
void mc_check_molecule_forces(tn_model *m, int n, uint64_t seed);
/* Open boundaries, or a periodic c whose cell then turns along. */
void mc_check_invariance(tn_model *m, const config *c);
void mc_check_supercell(tn_model *m, const config *c); /* c periodic, 8 n ≤ CONFIG_MAXN */

/* ---- the training loss's parameter gradient */

/* The loss terms checked one at a time, and all together. */
typedef enum mc_loss_term {
  MC_LOSS_ENERGY,
  MC_LOSS_FORCES,
  MC_LOSS_ATOMS,
  MC_LOSS_STRESS,
  MC_LOSS_ALL,
  MC_LOSS_TERMS
} mc_loss_term;

/* The weights of each term ({1, 10, 0.5, 100} for all: forces and stress
 * are small numbers in eV/Å and eV/Å³) and its name for messages. */
train_weights mc_loss_weights(mc_loss_term term);
const char *mc_loss_name(mc_loss_term term);

/* Two periodic frames (mc_make_crystal, seeds 30 and 31) with every label:
 * energy, forces, atomic energies in the column "energies_ao", stress. The
 * labels are random, so every residual is non-zero. */
tn_dataset *mc_labelled_set(void);

/* The loss on mc_labelled_set with weights wt: the analytic gradient against
 * central differences in each of m's parameters (which are restored). m must
 * hold elements 18 and 36; what names the case in messages. */
void mc_check_loss_gradient(tn_model *m, const train_weights *wt, const char *what);

/* ---- the tests every architecture shares */

/* What the shared tests need a model for. */
typedef enum mc_use {
  MC_USE_MOLECULE, /* H, C, O; cutoff 3 Å: invariance on a 12-atom molecule */
  MC_USE_CRYSTAL,  /* Ar, Kr; cutoff 5 Å: forces, stress and supercell of a small cell */
  MC_USE_LOSS      /* Ar, Kr; cutoff 4.5 Å, few parameters: the loss gradient */
} mc_use;

/* An architecture's small model for a use (the caller frees it); NULL when
 * it cannot make one. */
typedef tn_model *(*mc_model_fn)(mc_use use);

/* Runs through the harness (harness_run) the tests every architecture
 * shares, on models from make:
 *   test_forces_and_stress_periodic  forces and stress by finite differences
 *   test_invariance                  rotation, translation, permutation
 *   test_supercell                   the 2×2×2 supercell
 *   test_loss_gradient_<term>        energy, forces, atoms, stress, all */
void mc_run_model_tests(mc_model_fn make);

/* ---- model files */

/* Saves m to path, loads it back and checks that the energy of a 9-atom
 * molecule (seed 17) is bitwise the same; m must hold H, C and O. Returns
 * the loaded model for the caller's own comparisons (caller frees), or NULL
 * when it did not load. */
tn_model *mc_check_save_load(tn_model *m, const char *path);

/* Writes the model file at src again with section `tag` replaced by text,
 * to a temporary file, and loads that: the load's status, with the message
 * in err and the model (NULL on failure) in *out. */
tn_status mc_load_edited(const char *src, const char *tag, const char *text, tn_model **out,
                         char *err, size_t err_len);

#endif
