/* Adversarial validation of two data sets (Kjeldal & Eriksen,
 * "Transferability of atom-based neural networks", MLST 2024): per-atom
 * features of A and B (atom_features.c), out-of-fold P(B) and AUCs over
 * folds (advval.c), and what the classifier found, summarised as local
 * environments (environments.c). The body of `tanne advval`; only cli/
 * prints.
 *
 * Layout: the atoms of A's frames come first, frame by frame, then B's.
 * Structures (groups) are numbered the same way: A's frames are groups
 * 0..n_a−1, B's are n_a..n_a+n_b−1. */
#ifndef TN_ADVVAL_H
#define TN_ADVVAL_H

#include "classify.h"

/* ---- features (atom_features.c) ----------------------------------------- */

typedef struct av_features {
  double *x;              /* [n_atoms][d], owned */
  int d;                  /* features per atom */
  int64_t n_atoms;        /* A's atoms, then B's */
  int64_t n_atoms_a;      /* the first n_atoms_a rows are A's */
  int32_t *z;             /* [n_atoms] atomic numbers */
  int64_t *group_of_item; /* [n_atoms] structure of each atom */
  int64_t n_groups;       /* n_a + n_b */
  int64_t n_a;            /* structures of A */
  uint8_t *group_is_b;    /* [n_groups] */
  /* where a failure happened: set 0 = A, 1 = B, frame 0-based; -1 if not in a frame */
  int bad_set;
  int64_t bad_frame;
} av_features;

/* ACSF descriptors (Behler 2011; the grid of BPNN's defaults, see
 * bpnn_setup) of every atom, within cutoff (Å): radial functions per
 * neighbour element and angular ones per element pair, for the elements of
 * A and B together (at most 16). The row of an atom is its element one-hot
 * (one column per element, ascending Z) followed by its symmetry functions,
 * raw (the classifiers standardise). Every element shares one layout, so
 * one classifier sees all atoms; the one-hot lets it tell elements apart.
 * progress (may be NULL) is called per frame with (done, total). Errors:
 * INVALID_ARG (bad sizes, more than 16 elements), BAD_INPUT (coinciding
 * atoms, a bad cell; bad_set/bad_frame say where), NO_MEMORY. */
tn_status av_features_acsf(av_features *f, const tn_dataset *a, const tn_dataset *b, double cutoff,
                           int radial, int angular, tn_progress_fn progress, void *user, char *err,
                           size_t err_len);

/* The atom representations of a trained model (tn_model_atom_features):
 * what its readout sees, so the question becomes whether A and B look
 * alike to this model. Errors as av_features_acsf, and BAD_INPUT for an
 * element the model does not know. */
tn_status av_features_model(av_features *f, tn_model *m, const tn_dataset *a, const tn_dataset *b,
                            tn_progress_fn progress, void *user, char *err, size_t err_len);

void av_features_free(av_features *f);

/* ---- cross-validated scores (advval.c) ---------------------------------- */

typedef struct av_result {
  int k;
  int *fold_of_group; /* [n_groups], owned */
  double *p_b;        /* [n_items] out-of-fold P(B) of each atom, owned */
  double *score;      /* [n_groups] mean log-odds of each structure (clf_group_scores), owned */
  double *fold_auc;   /* [2k]: per fold, the AUC of atoms, then of structures, owned */
  int *iterations;    /* [k] classifier iterations (Newton steps or epochs) per fold, owned */
  double auc_atom, auc_atom_std;     /* mean and sample std over the folds */
  double auc_struct, auc_struct_std; /* the same for structures */
  double pooled_atom, pooled_struct; /* the AUC of all out-of-fold scores at once */
} av_result;

/* Grouped stratified k-fold cross-validation of opt's classifier on data:
 * folds from seed (clf_folds), out-of-fold P(B) (clf_cross_predict), the
 * per-structure scores, and the AUC of each fold's atoms and structures.
 * Per-fold AUCs, not only the pooled one, because they give the spread
 * (± std) that says whether 0.55 differs from 0.5. r is zeroed by the
 * call; free with av_result_free (also after a failure). Errors as
 * clf_folds and clf_cross_predict. */
tn_status av_run(av_result *r, const clf_data *data, int k, uint64_t seed, const clf_options *opt,
                 char *err, size_t err_len);
void av_result_free(av_result *r);

/* The labels of the built-in control: n structures of one set split at
 * random into two halves (is_b [n]: ⌊n/2⌋ zeros, the rest ones, shuffled
 * with seed). A classifier should score AUC ≈ 0.5 on them; one that does
 * not is finding differences that are not there (leakage between folds,
 * overfitting), and the real AUC beside it should be read in that light. */
void av_control_labels(uint8_t *is_b, int64_t n, uint64_t seed);

/* order [n]: 0..n−1 sorted by score, highest first (ties by index), e.g.
 * A's structures from most B-like to least: the head of the list is the
 * adversarial validation set. NO_MEMORY only. */
tn_status av_rank(int64_t *order, const double *score, int64_t n, char *err, size_t err_len);

/* ---- shared structures (shared_frames.c) -------------------------------- */

/* *n_shared: the frames of b that also occur in a (same atom count, the
 * same species in the same order, every position within 1e-6 Å);
 * b_in_a [b->n_frames] (may be NULL) flags them. Shared structures pull an
 * adversarial AUC below 0.5: in cross-validation each one's twin, with
 * the other label, sits in the training folds. NO_MEMORY only. */
tn_status av_shared_frames(int64_t *n_shared, uint8_t *b_in_a, const tn_dataset *a,
                           const tn_dataset *b, char *err, size_t err_len);

/* ---- local environments (environments.c) --------------------------------- */

/* One kind of local environment: the element of an atom and the elements
 * of its neighbours within the environment cutoff, e.g. "C(C1 H3)". */
typedef struct av_env {
  char key[96];
  int32_t z;        /* the central element */
  int64_t n_a, n_b; /* atoms of A and of B with this environment */
  double mean_p;    /* mean out-of-fold P(B) of its atoms */
} av_env;

/* Environments of every atom of a then b (the av_features layout), their
 * counts and mean P(B) (p_b [n_atoms], may be NULL: mean_p = NaN). With
 * cutoff > 0 (Å) every atom closer than cutoff is a neighbour; with cutoff
 * 0, atoms i and j are neighbours (bonded) when r_ij < 1.2 (r_i + r_j), r
 * the covalent radii of Cordero et al., Dalton Trans. 2832 (2008) (1.5 Å for
 * elements beyond the table). *envs (malloc'd, sorted by key) and *n_envs;
 * env_of_atom [n_atoms] (may be NULL) gets each atom's index into *envs.
 * A neighbour element count above 99 is written as 99+. Errors: BAD_INPUT
 * (a bad cell), NO_MEMORY; bad_set/bad_frame as av_features. */
tn_status av_environments(av_env **envs, int64_t *n_envs, int64_t *env_of_atom, const tn_dataset *a,
                          const tn_dataset *b, const double *p_b, double cutoff, int *bad_set,
                          int64_t *bad_frame, char *err, size_t err_len);

#endif
