/*
 * tanne: transferable atom-based neural-network energies.
 *
 * Units (everything that crosses this header):
 *   energy eV, length Å, force eV/Å, stress eV/Å³, mass amu, time fs,
 *   temperature K. Readers convert from the units of their file format.
 *
 * Shapes: `double (*pos)[3]` is [n_atoms][3]; a cell is three rows, the
 * lattice vectors a, b, c, so that a Cartesian point is frac · cell.
 *
 * Stress follows ASE's sign: sigma = (1/V) dE/d(strain), negative when the
 * system is compressed (the convention of the extxyz files it is read from).
 *
 * Usage:
 *   tn_dataset *ds = tn_dataset_create();
 *   tn_read_options opt = tn_read_options_default();
 *   if (tn_dataset_read(ds, "aspirin.npz", &opt) != TN_STATUS_OK)
 *     fprintf(stderr, "%s\n", tn_dataset_errmsg(ds));
 *   tn_frame f;
 *   tn_dataset_frame(ds, 0, &f);         // a view, valid until ds changes
 *   const tn_column *e = tn_dataset_column(ds, TN_LABEL_ENERGY);
 *   double e0 = e->values[0];            // eV
 *   tn_dataset_free(ds);
 */
#ifndef TANNE_H
#define TANNE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TN_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ status */

typedef enum tn_status {
  TN_STATUS_OK = 0,
  TN_STATUS_BAD_INPUT,   /* malformed or inconsistent data in a file or argument */
  TN_STATUS_IO,          /* a file could not be opened, read or written */
  TN_STATUS_NO_MEMORY,   /* an allocation failed */
  TN_STATUS_UNSUPPORTED, /* well-formed, but a feature tanne does not handle */
  TN_STATUS_NOT_FOUND,   /* a required key, group or column is absent */
  TN_STATUS_INVALID_ARG, /* the caller passed arguments that make no sense */
  TN_STATUS_COMM,        /* the ranks of a parallel run failed to communicate or disagree */
  TN_STATUS_UNSTABLE,    /* an MD run's stability monitor stopped it (tn_md_run) */
} tn_status;

/* A static, human-readable name for a status ("bad input", ...). */
const char *tn_status_str(tn_status status);

/* ------------------------------------------------------------------ random */

/* xoshiro256** state. Seeded explicitly; never global. */
typedef struct tn_rng {
  uint64_t s[4];
} tn_rng;

void tn_rng_seed(tn_rng *rng, uint64_t seed);
uint64_t tn_rng_next(tn_rng *rng);
double tn_rng_uniform(tn_rng *rng); /* in [0, 1) */
double tn_rng_normal(tn_rng *rng);  /* standard normal */

/* ---------------------------------------------------------------- elements */

/* Atomic number for a symbol ("Ar" -> 18), or 0 if unknown. Case-sensitive. */
int tn_element_number(const char *symbol);
/* Symbol for an atomic number 1..118, or NULL. */
const char *tn_element_symbol(int z);
/* Standard atomic mass in amu, or 0 for unknown z. */
double tn_element_mass(int z);
/* Covalent radius in Å (Cordero et al., Dalton Trans. 2008, 2832; sp3 carbon,
 * low-spin Mn, Fe, Co), or 0 for z outside 1..96. */
double tn_element_covalent_radius(int z);

/* --------------------------------------------------------------- data sets */

/* Names of the labels every model understands. Readers store them under these
 * names, in internal units. */
#define TN_LABEL_ENERGY   "energy"   /* per frame, width 1, eV */
#define TN_LABEL_FORCES   "forces"   /* per atom, width 3, eV/Å */
#define TN_LABEL_STRESS   "stress"   /* per frame, width 9 (row-major), eV/Å³ */
#define TN_LABEL_ENERGIES "energies" /* per atom, width 1, eV (atomic energies) */

typedef enum tn_column_scope {
  TN_COLUMN_SCOPE_FRAME, /* one row per frame */
  TN_COLUMN_SCOPE_ATOM,  /* one row per atom */
} tn_column_scope;

/* How a column was typed in its file; numbers are stored as double either
 * way, and the type only decides how they are written back. */
typedef enum tn_column_type {
  TN_COLUMN_TYPE_REAL,
  TN_COLUMN_TYPE_INT,
  TN_COLUMN_TYPE_BOOL,
  TN_COLUMN_TYPE_STRING, /* per-frame only; text, not values */
} tn_column_type;

#define TN_NAME_MAX 64

/* A named label. Rows are frames or atoms (in data-set order); a frame that
 * lacks the column has present[f] == 0 and zeros in its rows. */
typedef struct tn_column {
  char name[TN_NAME_MAX];
  tn_column_scope scope;
  tn_column_type type;
  int width;        /* components per row */
  double *values;   /* [rows * width], NULL for strings */
  uint8_t *present; /* [n_frames] */
  int64_t *text_at; /* [n_frames] offset into text, strings only */
  char *text;       /* NUL-separated pool, strings only */
  size_t text_len;  /* bytes used in text */
  size_t text_cap;  /* bytes allocated in text */
  int64_t rows_cap; /* rows allocated in values */
} tn_column;

/* Many frames in one allocation per array kind. Fields are read-only to
 * callers; use the functions below to change a data set. */
typedef struct tn_dataset {
  int64_t n_frames;
  int64_t n_atoms;      /* total over all frames */
  int64_t *atom_start;  /* [n_frames + 1], atoms of frame f: [atom_start[f], atom_start[f+1]) */
  int32_t *species;     /* [n_atoms] atomic numbers */
  double (*pos)[3];     /* [n_atoms][3] Å */
  double (*cell)[3][3]; /* [n_frames] rows are lattice vectors, Å; zero if none */
  uint8_t (*pbc)[3];    /* [n_frames] periodic along a, b, c */
  int n_columns;
  tn_column *columns; /* [n_columns] */
  int64_t frames_cap, atoms_cap;
  int columns_cap;
  char errmsg[512]; /* details of the last failed call */
} tn_dataset;

/* One frame: a view into a data set, or caller-owned arrays to append. */
typedef struct tn_frame_column {
  const char *name;
  tn_column_scope scope;
  tn_column_type type;
  int width;
  const double *values; /* [width] per frame, [n_atoms * width] per atom */
  const char *text;     /* strings only */
} tn_frame_column;

typedef struct tn_frame {
  int n_atoms;
  const int32_t *species; /* [n_atoms] */
  const double (*pos)[3]; /* [n_atoms][3] Å */
  double cell[3][3];      /* rows a, b, c; Å */
  uint8_t pbc[3];
  int n_columns;
  const tn_frame_column *columns; /* [n_columns]; NULL in views (use the data set) */
} tn_frame;

tn_dataset *tn_dataset_create(void); /* NULL when out of memory */
void tn_dataset_free(tn_dataset *ds);
const char *tn_dataset_errmsg(const tn_dataset *ds);

/* Copies a frame in. A column new to the data set is added, absent (zeros,
 * present 0) for earlier frames; a known column must keep scope, type and
 * width. Fails with TN_STATUS_BAD_INPUT and leaves ds unchanged otherwise. */
tn_status tn_dataset_append(tn_dataset *ds, const tn_frame *frame);

/* Drops frames [n, n_frames) and any column no remaining frame carries. Used
 * to undo a partly read file so that a failed read leaves nothing behind. */
void tn_dataset_truncate(tn_dataset *ds, int64_t n_frames);

/* A view of frame f (columns left NULL). Valid until ds next changes. */
void tn_dataset_frame(const tn_dataset *ds, int64_t f, tn_frame *out);

/* The column of that name, or NULL. */
const tn_column *tn_dataset_column(const tn_dataset *ds, const char *name);
/* Value row r of a column: &values[r * width]. For per-atom columns r is a
 * data-set atom index. */
const double *tn_column_row(const tn_column *col, int64_t r);
/* Text of frame f in a string column, or NULL if absent. */
const char *tn_column_text(const tn_column *col, int64_t f);

/* 1 if a and b hold the same frames and columns bit for bit (columns may
 * be in another order), else 0. For round-trip and determinism checks. */
int tn_dataset_equal(const tn_dataset *a, const tn_dataset *b);

/* Copies frames `which[0..n)` of src, in that order, to the end of dst. */
tn_status tn_dataset_append_subset(tn_dataset *dst, const tn_dataset *src, const int64_t *which,
                                   int64_t n);

/* ------------------------------------------------------------ file formats */

typedef enum tn_format {
  TN_FORMAT_AUTO = 0, /* from the extension and the first bytes */
  TN_FORMAT_EXTXYZ,
  TN_FORMAT_NPZ,
  TN_FORMAT_N2P2, /* n2p2 / RuNNer input.data */
  TN_FORMAT_ANI_HDF5,
} tn_format;

const char *tn_format_name(tn_format format);
/* Parses "extxyz", "npz", "n2p2", "ani"; TN_FORMAT_AUTO if unknown. */
tn_format tn_format_from_name(const char *name);

/* Units of a file, as multipliers to internal units. Zero means "the format's
 * documented default": extxyz eV and Å; npz (rMD17, sGDML, ethanol) kcal/mol
 * and Å; n2p2 input.data eV and Å ("as given": its header does not say);
 * ANI HDF5 Hartree and Å. */
typedef struct tn_read_options {
  tn_format format;
  double energy_unit; /* eV per file energy unit */
  double length_unit; /* Å per file length unit */
} tn_read_options;

tn_read_options tn_read_options_default(void);

/* Unit names accepted by tools: "eV", "meV", "kcal/mol", "kJ/mol", "Hartree"
 * (or "Ha"), "Ry" for energy; "Angstrom" (or "A", "Å"), "Bohr", "nm" for
 * length. Returns the multiplier to eV or Å, or 0 if the name is unknown. */
double tn_energy_unit(const char *name);
double tn_length_unit(const char *name);

/* Appends every frame of a file to ds. On failure ds is as it was and
 * tn_dataset_errmsg names the file, the line (or key) and the field. */
tn_status tn_dataset_read(tn_dataset *ds, const char *path, const tn_read_options *opt);

/* Writes extended XYZ (ASE conventions) atomically: a temporary file beside
 * path is renamed over it only once complete. */
tn_status tn_dataset_write_extxyz(tn_dataset *ds, const char *path);

/* ------------------------------------------------------------------ splits */

typedef struct tn_split {
  int64_t n_frames; /* size of the data set it indexes */
  uint64_t seed;
  int64_t n_train, n_val, n_test;
  int64_t *train, *val, *test; /* frame indices; one allocation */
} tn_split;

/* Shuffles 0..n_frames-1 with seed and cuts it into train, val, test by the
 * fractions (which must be >= 0 and sum to at most 1; the rest is unused). */
tn_status tn_split_make(tn_split *split, int64_t n_frames, double f_train, double f_val,
                        double f_test, uint64_t seed);
void tn_split_free(tn_split *split);
/* Text format: see src/core/split.c. err (>= 256 bytes) gets the details. */
tn_status tn_split_save(const tn_split *split, const char *path, char *err, size_t err_len);
tn_status tn_split_load(tn_split *split, const char *path, char *err, size_t err_len);

/* --------------------------------------------------------------- neighbors */

/* Pairs within the cutoff, both directions (i->j and j->i), sorted by the
 * receiving atom i. The vector from i to j is
 *   r_ij = pos[j] + shift[p] · cell - pos[i]
 * and an atom pairs with its own images when the cutoff exceeds the cell. */
typedef struct tn_neighbors {
  int64_t n_pairs;
  int32_t *i, *j;      /* [n_pairs] */
  int32_t (*shift)[3]; /* [n_pairs] integer lattice shifts */
  int64_t *first;      /* [n_atoms + 1] pairs of i: [first[i], first[i+1]) */
  double cutoff;       /* Å, of the last build */
  /* internal, reused between builds */
  int64_t pairs_cap;
  int n_atoms, atoms_cap;
  void *work;
  char errmsg[256];
} tn_neighbors;

tn_neighbors *tn_neighbors_create(void);
void tn_neighbors_free(tn_neighbors *nl);
/* Open boundaries along axes with pbc 0 (cell may then be zero there). Cost
 * O(N) for a fixed density. Reuses memory from the previous build. */
tn_status tn_neighbors_build(tn_neighbors *nl, const double (*pos)[3], int n_atoms,
                             const double cell[3][3], const uint8_t pbc[3], double cutoff);

/* -------------------------------------------------- reference: noble gases */

/* Lennard-Jones + Axilrod-Teller-Muto for Ar, Kr and their mixtures, with
 * exact atomic energies. Parameters and references: src/ref/noble_gas.c.
 * Pair energies are multiplied by a C2-smooth switch S(r) that is 1 below
 * switch_on and 0 from cutoff on; a triple's energy by S_t(r_ij) S_t(r_jk)
 * S_t(r_ik) with its own (shorter) range, since the triple term decays as
 * r^-9 and costs O(N k^2). Requires 0 <= switch_on < cutoff and
 * 0 <= triple_switch_on < triple_cutoff; triple_cutoff 0 turns triples off. */
typedef struct tn_noble_gas {
  double cutoff;           /* Å, pair cutoff */
  double switch_on;        /* Å, where the pair switch begins */
  double triple_cutoff;    /* Å, every side of a triple must be shorter */
  double triple_switch_on; /* Å, where the triple switch begins */
} tn_noble_gas;

/* cutoff 9, switch_on 8, triple_cutoff 7, triple_switch_on 6 (Å). */
tn_noble_gas tn_noble_gas_default(void);

/* Energy (eV), forces [n][3] (eV/Å), stress [3][3] (eV/Å³, ASE sign),
 * atomic energies [n] (eV). Any output may be NULL. Species must be 18 (Ar)
 * or 36 (Kr). nl is rebuilt here (its memory is reused). Stress needs pbc on
 * all three axes and a cell of positive volume, else TN_STATUS_INVALID_ARG.
 * Errors: BAD_INPUT (species, non-finite or coinciding positions),
 * INVALID_ARG (parameters, stress without a periodic cell), NO_MEMORY, or
 * the status of tn_neighbors_build; err gets the details. */
tn_status tn_noble_gas_eval(const tn_noble_gas *pot, tn_neighbors *nl, const int32_t *species,
                            const double (*pos)[3], int n_atoms, const double cell[3][3],
                            const uint8_t pbc[3], double *energy, double (*forces)[3],
                            double stress[3][3], double *atom_energies, char *err, size_t err_len);

typedef struct tn_noble_gas_sample {
  int32_t species[2]; /* species[1] == 0 for a pure liquid */
  double fraction;    /* number fraction of species[1] */
  int n_atoms;
  double temperature; /* K */
  double density;     /* atoms / Å³ */
  int n_frames;
  int equilibration_steps;
  int steps_between; /* MD steps between saved frames */
  double timestep;   /* fs */
  double friction;   /* 1/fs, Langevin */
  uint64_t seed;
} tn_noble_gas_sample;

/* Liquid argon: 108 atoms, 90 K, 0.0210 atoms/Å^3, 40 frames 100 steps
 * apart after 1500 steps, 8 fs, friction 0.01/fs, seed 1. */
tn_noble_gas_sample tn_noble_gas_sample_default(void);

/* Progress callback: called after each saved frame; may be NULL. */
typedef void (*tn_progress_fn)(void *user, int done, int total);

/* Samples liquid frames by Langevin (BAOAB) MD on the reference potential and
 * appends them to ds with energy, forces, stress and atomic energies, in a
 * cubic periodic box of side (n_atoms / density)^(1/3), positions wrapped
 * into it. Deterministic for a seed. On failure ds is as it was and
 * tn_dataset_errmsg says why: INVALID_ARG for sample settings out of range,
 * BAD_INPUT for unknown species or an MD run that became unstable (energy
 * not finite, or an atom moving more than 1 Å in one step: lower the
 * timestep), NO_MEMORY. */
tn_status tn_noble_gas_generate(tn_dataset *ds, const tn_noble_gas *pot,
                                const tn_noble_gas_sample *sample, tn_progress_fn progress,
                                void *user);

/* ------------------------------------------------------------------ models */

/* A trained or fresh potential: an architecture, its parameters, the
 * elements it knows and the per-element energy shifts. E = Σ_i E_i with
 * E_i = σ y_i + μ_{Z_i}, y_i the network's output for atom i. A model handle
 * holds evaluation scratch: use one handle per thread. */
typedef struct tn_model tn_model;

typedef struct tn_model_options {
  char type[32];       /* "schnet" | "bpnn" */
  int features;        /* width of atom features, 128 (BPNN: hidden-layer width) */
  int interactions;    /* message-passing steps, 3 (BPNN: number of hidden layers) */
  int n_basis;         /* radial basis functions, 20 (unused by BPNN) */
  char basis[32];      /* "auto" (the architecture's own) | "gaussian" | "sinc" */
  double cutoff;       /* Å, 5.0 (BPNN: of every symmetry function) */
  char activation[32]; /* "auto" (the architecture's own) | "ssp" | "silu" | "tanh"; BPNN
                          also "softplus" | "logistic" | "identity" (hidden layers) */
  int shared_filters;  /* PaiNN: one filter network for all interactions, 0 */
  /* BPNN (Behler-Parrinello with atom-centred symmetry functions; Behler,
   * J. Chem. Phys. 134, 074106 (2011)). A grid in the spirit of n2p2's
   * sfparamgen, for a cutoff r_c:
   *   radial G2 per neighbour element: r_s = r_c (0.1 + 0.8 q/(N-1)),
   *     η = 1/(2Δ²) with Δ the grid step (N = 1: r_s = 0, η = 2/r_c²);
   *   angular per neighbour-element pair: η = 2/r_c², r_s = 0,
   *     ζ = 1, 2, 4, ... (acsf_angular/2 values), λ = ±1.
   * Scaling statistics are fitted on the training frames before training.
   * Models imported from n2p2 (tn_model_import_n2p2) keep n2p2's own
   * functions, scaling and layer sizes; these options then only describe. */
  int acsf_radial;            /* radial functions per neighbour element, 8 */
  int acsf_angular;           /* angular functions per element pair (even), 4 */
  char acsf_angular_kind[32]; /* "wide" (G5, n2p2 type 9) | "narrow" (G4, type 3) */
  char acsf_cutoff[32];       /* "cos" | "tanhu" | "tanh" | "exp" | "poly1".."poly4" | "hard" */
  char acsf_scaling[32];      /* "sigma" (standardize) | "minmax" | "center" |
                                 "minmax_center" | "none" */
} tn_model_options;

/* SchNet defaults (Schütt et al., J. Chem. Phys. 148, 241722 (2018)), with
 * basis and activation "auto": a model made from them takes its
 * architecture's usual choices (SchNet: Gaussians and shifted softplus), and
 * tn_model_get_options reports what was chosen. */
tn_model_options tn_model_options_default(void);

/* A model for the given elements (atomic numbers, any order, at most 16),
 * with weights drawn from seed, shifts 0 and scale 1. err gets the details on
 * failure (INVALID_ARG for options out of range or unknown names). */
tn_status tn_model_create(tn_model **out, const tn_model_options *opt, const int32_t *elements,
                          int n_elements, uint64_t seed, char *err, size_t err_len);
void tn_model_free(tn_model *m);
const char *tn_model_errmsg(const tn_model *m);
tn_model_options tn_model_get_options(const tn_model *m);
double tn_model_cutoff(const tn_model *m); /* Å, per message-passing step */
/* Message-passing steps (SchNet, PaiNN: interactions; BPNN: 1). An atom's
 * energy depends on atoms up to hops × cutoff away: the padding a domain
 * decomposition must give (tn_eval_options.contributing). */
int tn_model_hops(const tn_model *m);
int64_t tn_model_param_count(const tn_model *m);
/* Elements the model knows (ascending atomic numbers); returns the count. */
int tn_model_elements(const tn_model *m, int32_t *out /* [16] */);

/* Per-element shifts μ_Z (eV) by least squares of the total energies of
 * frames `which` (all when which is NULL) against their composition, and σ
 * as the RMS residual per atom, sqrt(mean_f r_f² / N_f). A composition that
 * does not determine every μ_Z (e.g. one molecule) gets the minimum-norm
 * solution. Needs the energy column; NOT_FOUND otherwise. */
tn_status tn_model_fit_shifts(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n);
void tn_model_get_shifts(const tn_model *m, double *shift /* [n_elements] */, double *scale);
void tn_model_set_shifts(tn_model *m, const double *shift, double scale);
/* Corrects the shifts of a trained model to new reference energies (another
 * level of theory: DFT and coupled-cluster totals differ by large
 * per-element offsets): μ_Z += δ_Z, with δ the least-squares fit of the
 * residuals E_f − Ê_f of frames `which` (all when NULL) against their
 * composition, minimum-norm where the compositions leave it open. σ and the
 * weights stay. Needs the energy column (NOT_FOUND); an element the model
 * lacks is BAD_INPUT. */
tn_status tn_model_refit_shifts(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n);
/* Where the model came from, as text kept in its file: for each generation
 * the data, their level of theory and the parent model ("" when unknown). */
const char *tn_model_lineage(const tn_model *m);
tn_status tn_model_set_lineage(tn_model *m, const char *text); /* copies; NULL or "" clears */

/* Energy (eV), forces [n][3] (eV/Å), stress [3][3] (eV/Å³, ASE sign; needs
 * a periodic cell) and atomic energies [n] (eV) of one frame; any output may
 * be NULL. BAD_INPUT for an element the model does not know or coinciding
 * atoms, INVALID_ARG for stress without a periodic cell. */
tn_status tn_model_eval(tn_model *m, const tn_frame *frame, double *energy, double (*forces)[3],
                        double stress[3][3], double *atom_energies);

/* What tn_model_eval_with may take from the caller; a zeroed struct (or a
 * NULL pointer) means tn_model_eval's behaviour. */
typedef struct tn_eval_options {
  /* A neighbor list the caller built (tn_neighbors_build) for this frame's
   * atoms and cell at a cutoff of at least the model's, maybe for earlier
   * positions: a Verlet list with a skin, which MD reuses until an atom has
   * moved half the skin. Edges are the listed pairs whose current distance is
   * below the model's cutoff, so a list is valid as long as it holds every
   * such pair. NULL: the model builds its own. */
  const tn_neighbors *neighbors;
  /* [n_atoms] 1 for the atoms whose energy counts, 0 for padding (ghost)
   * atoms that only give the others an environment, as in a domain
   * decomposition (KIM, LAMMPS). E sums the contributing atoms; forces are
   * −∂E/∂R on every atom, padding atoms included, and the atomic energies of
   * padding atoms are computed but mean nothing. NULL: every atom counts. */
  const uint8_t *contributing;
} tn_eval_options;

/* tn_model_eval with options, and the virial W_ab = Σ_edges d_a ∂E/∂d_b
 * (eV; = ∂E/∂ε_ab for a strain ε, so stress = W / V in ASE's sign) in place
 * of the stress: it needs no periodic cell. Any output may be NULL. Errors as
 * tn_model_eval, and INVALID_ARG for a NULL frame, or a neighbor list for
 * another number of atoms or a smaller cutoff. */
tn_status tn_model_eval_with(tn_model *m, const tn_frame *frame, const tn_eval_options *opt,
                             double *energy, double (*forces)[3], double virial[3][3],
                             double *atom_energies);

/* Exact sensitivities of the atomic energies to the positions (Esders et
 * al., "Analyzing atomic interactions in molecules as learned by neural
 * networks", 2024/25): jac[(i n + j) 3 + c] = ∂E_i/∂R_{j,c} in eV/Å, for
 * one frame of n atoms, E_i = σ y_i + μ_{Z_i} the atomic energies
 * tn_model_eval gives. In a periodic frame R_j moves with all its images (the
 * convention of forces), so Σ_i ∂E_i/∂R_j = −F_j. One forward pass and one
 * backward pass per atom: about n times the cost of forces, and n² · 3
 * doubles of output. Errors as tn_model_eval, message in tn_model_errmsg:
 * BAD_INPUT for an element the model does not know or coinciding atoms;
 * INVALID_ARG for a NULL model (no message), a NULL frame, a negative atom
 * count, or NULL jac with atoms; NO_MEMORY. */
tn_status tn_model_energy_jacobian(tn_model *m, const tn_frame *frame, double *jac /* [n][n][3] */);

/* The per-atom representation a model's readout works from: invariant
 * (unchanged by rotations, reflections and translations of the frame; rows
 * follow the atoms when they are permuted), dimensionless, the same width
 * for every element. For adversarial validation and other analyses of what
 * a model has learned. Per architecture:
 *   schnet  the atom features x_i after the last interaction block, the
 *           input of the atomwise readout: width model.features (F);
 *   painn   the scalar features s_i after the last update block (the
 *           readout's input), then the norms |v_i,f| = sqrt(Σ_xyz v²) of
 *           the F vector channels (not read by the readout; they carry the
 *           angular information): width 2F;
 *   bpnn    the scaled symmetry functions of the atom (its network's
 *           input), in the order of its element's function list: width the
 *           largest count of any element, a row zero-padded beyond its
 *           element's count.
 * tn_model_feature_count is that width (0 for an architecture without
 * features). tn_model_atom_features fills features[n_atoms][count] for one
 * frame (computed in the build's precision, float32 by default). Errors as
 * tn_model_eval, message in tn_model_errmsg: BAD_INPUT for an element the
 * model does not know or coinciding atoms; INVALID_ARG for a NULL frame, or
 * NULL features with atoms; UNSUPPORTED for an architecture without
 * features; NO_MEMORY. */
int tn_model_feature_count(const tn_model *m);
tn_status tn_model_atom_features(tn_model *m, const tn_frame *frame,
                                 double *features /* [n_atoms][count] */);

/* Bytes of the floating type the networks compute in: 4 (float32, the
 * default build) or 8 (a DOUBLE=1 build). */
int tn_real_size(void);

/* Analytic forces against finite differences of the model's own energy
 * (fourth-order central differences with step h, Å), for atoms
 * atoms[0..n_check) (atoms NULL: the first n_check), and for a periodic
 * frame the stress against strain derivatives. Errors in eV/Å (stress
 * eV/Å³). A model whose forces are −dE/dR gives errors at the round-off
 * of its precision (float32 by default, see DOUBLE=1). */
typedef struct tn_force_check {
  int n_components;                     /* force components compared */
  double max_err, rms_err;              /* |F_analytic − F_numeric| */
  double max_force, rms_force;          /* |F_analytic|, for scale */
  int worst_atom, worst_axis;           /* where max_err is (0-based) */
  double worst_analytic, worst_numeric; /* the two values there */
  double stress_max_err, stress_max;    /* NaN and 0 without a periodic cell */
} tn_force_check;
tn_status tn_model_check_forces(tn_model *m, const tn_frame *frame, double h, const int32_t *atoms,
                                int n_check, tn_force_check *out);

/* Model files: versioned, checksummed binary (architecture, options,
 * elements, shifts, units, parameters as float64). Saved atomically. */
tn_status tn_model_save(tn_model *m, const char *path); /* errmsg on failure */
tn_status tn_model_load(tn_model **out, const char *path, char *err, size_t err_len);

/* Imports a Behler-Parrinello potential trained by n2p2 (Singraber et al.,
 * J. Chem. Theory Comput. 15, 1827 (2019)) from dir: input.nn, scaling.data
 * and weights.NNN.data (NNN the atomic number). energy_unit and length_unit
 * are eV and Å per unit of the files (0 means 1: eV and Å); n2p2 itself
 * does not record them. The model predicts in eV and Å: with n2p2's
 * normalization (mean_energy, conv_energy, conv_length) and atom_energy
 * offsets, E_i = σ y_i + μ_Z with σ = energy_unit / conv_energy and
 * μ_Z = energy_unit (mean_energy + atom_energy_Z), y_i the network output.
 * Supported: symmetry functions of types 2, 3 and 9, cutoff_type 0-8 with
 * alpha, the scaling keywords (scale_symmetry_functions,
 * center_symmetry_functions, scale_symmetry_functions_sigma,
 * scale_min_short, scale_max_short), activations l t s p, element_nodes_short.
 * Anything that would change predictions and is not supported (other
 * symmetry-function types, normalize_nodes, charge networks, unknown
 * keywords) is refused. Errors name the file, line and keyword: IO (a file
 * missing or unreadable), BAD_INPUT (malformed or inconsistent),
 * UNSUPPORTED, NOT_FOUND (a required keyword absent), NO_MEMORY.
 * Precision against n2p2's own predictions (tests/test_n2p2_import.c, the
 * H2O and Cu2S fixtures): the float64 build (DOUBLE=1) matches total
 * energies to 1.2e-15 relative, forces to 8e-14 of the largest component
 * (5e-11 per component) and atomic energies to 5e-13. The default float32
 * build (descriptors summed in float64, networks in float32) gives total
 * energies to 7e-7 relative, forces to 3e-5 of the largest component, and
 * atomic energies (less the mean-energy shift) to 2e-4 of the largest. */
tn_status tn_model_import_n2p2(tn_model **out, const char *dir, double energy_unit,
                               double length_unit, char *err, size_t err_len);

/* ---------------------------------------------------------- training config */

/* Everything `tanne train` reads from its YAML file. Every field has a
 * default (tn_train_config_default); the YAML keys are the dotted paths
 * shown, e.g.
 *   model: {type: schnet, features: 64}
 *   optimizer: {lr: 1.0e-3}
 * Strings are fixed buffers so a config is a plain value (copyable). */
#define TN_PATH_MAX 1024
typedef struct tn_train_config {
  struct {
    char train[TN_PATH_MAX];      /* data.train: file to train on ("" = built-in Ar/Kr demo data) */
    char validation[TN_PATH_MAX]; /* data.validation: "" = split off data.train */
    char test[TN_PATH_MAX];       /* data.test: "" = split off data.train */
    char format[32];              /* data.format: auto | extxyz | npz | n2p2 | ani */
    char energy_unit[32];         /* data.energy_unit: "" = the format's default */
    char length_unit[32];         /* data.length_unit */
    int64_t n_train;              /* data.n_train: frames to train on, 0 = all left */
    int64_t n_val;                /* data.n_val: validation frames split off (default 50) */
    int64_t n_test;               /* data.n_test: test frames split off (default 0) */
    char split[TN_PATH_MAX];      /* data.split: a tn_split file to use instead */
    char atomic_energies[TN_NAME_MAX]; /* data.atomic_energies: per-atom target column */
    char theory[128]; /* data.theory: level of theory of the labels, for the model's lineage
                         (e.g. "CCSD(T)/cc-pVDZ"); "" = not stated */
  } data;
  tn_model_options model; /* model.type schnet, model.features 128, model.interactions 3,
                           model.n_basis 20, model.basis auto, model.cutoff 5.0,
                           model.activation auto, model.shared_filters 0,
                           model.acsf_radial 8, model.acsf_angular 4,
                           model.acsf_angular_kind wide, model.acsf_cutoff cos,
                           model.acsf_scaling sigma */
  struct {
    double energy;          /* loss.energy: w_E on MSE(E per atom), 1.0 */
    double forces;          /* loss.forces: w_F on MSE(F components), 10.0 */
    double atomic_energies; /* loss.atomic_energies: w_A, 0 */
    double stress;          /* loss.stress: w_S, 0 */
  } loss;
  struct {
    char name[32];       /* optimizer.name: adam | amsgrad */
    double lr;           /* optimizer.lr: 5e-4 */
    double beta1;        /* optimizer.beta1: 0.9 */
    double beta2;        /* optimizer.beta2: 0.999 */
    double eps;          /* optimizer.eps: 1e-8 */
    double weight_decay; /* optimizer.weight_decay: 0 (decoupled, AdamW) */
    double clip_norm;    /* optimizer.clip_norm: 10, 0 = off (global gradient norm) */
    double ema;          /* optimizer.ema: 0.99, 0 = off (decay of weight averages) */
  } optimizer;
  struct {
    char type[32];     /* schedule.type: plateau | exponential | constant */
    int warmup_epochs; /* schedule.warmup_epochs: 0 (linear ramp from lr/10) */
    double factor;     /* schedule.factor: 0.5 (plateau) */
    int patience;      /* schedule.patience: 10 epochs (plateau) */
    double min_lr;     /* schedule.min_lr: 1e-6 */
    double decay_rate; /* schedule.decay_rate: 0.1 (exponential) */
    int decay_epochs;  /* schedule.decay_epochs: 500 (lr · rate^(epoch/decay_epochs)) */
  } schedule;
  struct {
    int epochs;         /* train.epochs: 100 */
    int batch_size;     /* train.batch_size: 16 frames */
    int early_stopping; /* train.early_stopping: 50 epochs without improvement, 0 = off */
    int threads;        /* train.threads: 0 = OpenMP's default */
    double max_minutes; /* train.max_minutes: 0 = no wall-time limit */
  } train;
  /* Transfer learning (Zaverkin et al., PCCP 25, 2023; ULMFiT, Howard &
   * Ruder, ACL 2018). The model's blocks, from the input: embedding (depth
   * 0), interaction.1 .. interaction.T, readout (depth L = T + 1); BPNN:
   * layer.1 .. layer.H, readout. */
  struct {
    char init_from[TN_PATH_MAX]; /* finetune.init_from: the parent model file; "" = train from
                                    scratch. The model.* keys are then the parent's. */
    char freeze[256];            /* finetune.freeze: blocks kept fixed, comma-separated names, or
                                    "interactions" (all of them) or "representation" (all but the
                                    readout); "" = none */
    double lr_decay;  /* finetune.lr_decay: ξ in (0, 1]; block l learns at lr·ξ^(L−l)
                         (discriminative rates), 1 = one rate */
    int refit_shifts; /* finetune.refit_shifts: 1 = correct μ_Z to the new energies first */
  } finetune;
  struct {
    char dir[TN_PATH_MAX]; /* output.dir: "tanne-run" */
    int checkpoint_every;  /* output.checkpoint_every: 10 epochs, 0 = only best and last */
  } output;
  uint64_t seed; /* seed: 1 (weights, split, shuffling) */
} tn_train_config;

tn_train_config tn_train_config_default(void);
/* Reads YAML (libyaml) over the defaults already in cfg. Unknown keys, wrong
 * types and out-of-range values are TN_STATUS_BAD_INPUT, and err names the
 * file, line and key. */
tn_status tn_train_config_load(tn_train_config *cfg, const char *path, char *err, size_t err_len);
/* Applies one "dotted.key=value" override (the CLI's --set). */
tn_status tn_train_config_set(tn_train_config *cfg, const char *assignment, char *err,
                              size_t err_len);
/* Writes the whole config as YAML (every key, so a run records what it used),
 * atomically. */
tn_status tn_train_config_save(const tn_train_config *cfg, const char *path, char *err,
                               size_t err_len);

/* ---------------------------------------------------------------- training */

/* A training run: the model, the optimizer and schedule state, weight
 * averages, and the files of cfg->output.dir:
 *   checkpoint.tnc  everything needed to resume, written atomically every
 *                   output.checkpoint_every epochs, at each new best
 *                   validation loss, and at the end
 *   best.tnm        the model (weight averages) at the best validation loss
 *   metrics.csv     one row per epoch
 * On one thread a resumed run is bitwise the run that was not interrupted. */
typedef struct tn_trainer tn_trainer;

typedef struct tn_train_epoch {
  int epoch, epochs; /* epoch just finished (1-based) and the planned total */
  double lr;         /* learning rate at the end of the epoch */
  double train_loss, val_loss;
  /* validation MAEs (NaN where the labels are absent): energy per atom (eV),
   * forces (eV/Å), atomic energies (eV), stress (eV/Å³) */
  double val_energy_mae, val_forces_mae, val_atoms_mae, val_stress_mae;
  double seconds, eta_seconds; /* since the run (or resume) began; to the end (the epochs
                                  left or train.max_minutes, whichever comes first) */
  int improved;                /* a new best validation loss */
  int skipped_steps;           /* steps dropped this epoch for a non-finite loss */
} tn_train_epoch;

/* Called after every epoch, and with a message (epoch NULL) for events such
 * as a skipped step or a rollback. */
typedef void (*tn_train_fn)(void *user, const tn_train_epoch *epoch, const char *message);

/* A fresh run: makes the model (elements of train ∪ val), fits the shifts on
 * train, and creates output.dir. With finetune.init_from the model is that
 * parent instead (its architecture; its shifts refitted to train when
 * finetune.refit_shifts), and finetune.freeze and finetune.lr_decay set the
 * per-block learning rates. val may be NULL or empty (the training
 * loss then stands in for early stopping and the plateau schedule). */
tn_status tn_trainer_create(tn_trainer **out, const tn_train_config *cfg, const tn_dataset *train,
                            const tn_dataset *val, char *err, size_t err_len);
/* Continues the run whose checkpoint is output.dir/checkpoint.tnc. The data
 * must be the same (checked by a fingerprint); train.epochs,
 * train.max_minutes, train.threads and train.early_stopping may differ from
 * the original config, everything else is taken from the checkpoint. */
tn_status tn_trainer_resume(tn_trainer **out, const tn_train_config *cfg, const tn_dataset *train,
                            const tn_dataset *val, char *err, size_t err_len);
/* Trains until train.epochs, early stopping or train.max_minutes. With a
 * comm (tn_trainer_set_comm) every rank must call it; fn is called on every
 * rank with the same values (the caller decides which rank shows them). */
tn_status tn_trainer_run(tn_trainer *t, tn_train_fn fn, void *user);
/* The best model so far (weight averages at the best validation loss). */
tn_model *tn_trainer_model(tn_trainer *t);
/* The config the run uses: a fine-tuned run's model.* are its parent's, a
 * resumed run's are the checkpoint's. */
const tn_train_config *tn_trainer_config(const tn_trainer *t);
const char *tn_trainer_errmsg(const tn_trainer *t);
void tn_trainer_free(tn_trainer *t);

/* Data-parallel training: how the R ranks of one run talk. The library has
 * no MPI of its own; the tanne command fills this in from MPI_COMM_WORLD
 * when built with MPI (cli/mpi_comm.c), and any other transport will do.
 *
 * Every rank creates (or resumes) its trainer from the same config and data,
 * so all start from the same parameters and draw the same shuffle. In each
 * step rank r takes frames [n·r/R, n·(r+1)/R) of the global batch of n =
 * train.batch_size frames (a slice may be empty, so n need not divide by R),
 * and computes the loss sums and gradient of its slice with the means
 * normalised by the counts of the whole batch; allreduce_sum adds gradients
 * and sums up, and every rank clips and takes the same Adam step. Validation
 * batches are dealt out in turn and their sums added the same way. So R ranks
 * train the model one rank trains, up to the order of the float additions
 * (not bitwise). The ranks check at the start that they agree on the model
 * and data, and after every epoch that their parameters are bitwise equal;
 * either failing is TN_STATUS_COMM. Only rank 0 writes files (checkpoint.tnc,
 * best.tnm, metrics.csv); every rank reads the checkpoint on resume.
 *
 * allreduce_sum(user, x, n): called by every rank, in the same order, with
 * the same n; replaces x[0..n) by its element-wise sum over the ranks, with
 * the same bits on every rank (MPI_Allreduce does not promise that; reduce
 * then broadcast does). Counts travel as doubles, exact below 2^53. Returns 0,
 * or nonzero when it failed (the run then stops with TN_STATUS_COMM). A rank
 * whose run stops with an error while others wait in allreduce_sum cannot
 * release them: the caller must end the job (MPI_Abort). */
typedef struct tn_comm {
  int rank, size; /* 0 <= rank < size */
  int (*allreduce_sum)(void *user, double *x, size_t n);
  void *user; /* passed to allreduce_sum; must outlive the run */
} tn_comm;

/* The single-process comm: rank 0 of 1, no allreduce_sum (nothing to add). */
tn_comm tn_comm_single(void);
/* Makes t one rank of comm's run (a copy of *comm is kept); call it before
 * tn_trainer_run on every rank. A trainer never given one is single-process.
 * INVALID_ARG for size < 1, rank outside [0, size), or size > 1 without
 * allreduce_sum; NO_MEMORY. */
tn_status tn_trainer_set_comm(tn_trainer *t, const tn_comm *comm);
/* ---------------------------------------------------------------------- md */

/* Molecular dynamics on a model or on the reference potential, watched by a
 * stability monitor. Positions are never wrapped into the cell, so they stay
 * continuous (the mean squared displacement reads them directly); the
 * neighbor list has a skin and is rebuilt only when an atom has moved half
 * of it since the last build. After tn_md_create nothing is allocated per
 * step, as long as no rebuilt list outgrows the room reserved at the start
 * (a list for cutoff + 2 skins). Units: Å, fs, amu, eV, K; velocities Å/fs.
 *
 *   tn_md *md;
 *   tn_md_options o = tn_md_options_default();   // NVE, 0.5 fs
 *   o.init_temperature = 300.0;
 *   tn_md_create_model(&md, model, &frame, &o, err, sizeof err);
 *   while (tn_md_run(md, 100) == TN_STATUS_OK) { tn_md_get_thermo(md, &th); ... }
 *   tn_md_free(md);
 */
typedef struct tn_md tn_md;

typedef enum tn_md_ensemble {
  TN_MD_NVE,      /* velocity Verlet */
  TN_MD_LANGEVIN, /* NVT by Langevin dynamics, BAOAB splitting */
} tn_md_ensemble;

/* Why a run stopped; TN_MD_RUNNING while it has not. */
typedef enum tn_md_failure {
  TN_MD_RUNNING = 0,
  TN_MD_NOT_FINITE,   /* an energy, force or position became NaN or infinite */
  TN_MD_BOND_BROKEN,  /* a bond of the start topology stretched past break_factor */
  TN_MD_TOO_CLOSE,    /* two atoms came closer than min_distance */
  TN_MD_TOO_HOT,      /* the temperature exceeded max_temperature */
  TN_MD_ENERGY_DRIFT, /* |E_tot - E_tot(0)| / N exceeded max_drift (NVE) */
} tn_md_failure;

typedef struct tn_md_options {
  tn_md_ensemble ensemble; /* TN_MD_NVE */
  double timestep;         /* fs, 0.5 */
  double temperature;      /* K, Langevin target, 300 */
  double friction;         /* 1/fs, Langevin, 0.01 */
  /* Maxwell-Boltzmann velocities at this temperature (K), drawn from seed,
   * with the centre-of-mass motion removed and then scaled to exactly this
   * temperature; 0: atoms start at rest. 300. */
  double init_temperature;
  uint64_t seed;   /* 1 */
  double skin;     /* Å, Verlet skin, 1.0 */
  int check_every; /* steps between the distance and bond checks, 10 */
  /* The monitor; a non-positive value turns its check off. */
  double min_distance;    /* Å, 0.5 */
  double max_temperature; /* K; 0 by default: max(3 T, T + 500 K) of the larger of
                             temperature (Langevin) and init_temperature */
  double max_drift;       /* eV/atom, NVE only, 0.01 */
  /* Bonds: pairs closer than bond_factor × (r_cov,i + r_cov,j) at the start;
   * one is broken when it stretches beyond break_factor × (r_cov,i + r_cov,j).
   * bonds: 1 on, 0 off, -1 (default) on for frames without periodic axes
   * (molecules) and off for periodic ones (liquids, solids: atoms there swap
   * neighbours as they diffuse). */
  int bonds;
  double bond_factor;  /* 1.2 */
  double break_factor; /* 1.5 */
} tn_md_options;

tn_md_options tn_md_options_default(void);

/* A run from the frame start (positions, species, cell, pbc are copied) on
 * model, which the run borrows: keep it alive and do not evaluate it
 * elsewhere while the run lives. The start forces are computed here.
 * Errors: INVALID_ARG (options out of range, no atoms), BAD_INPUT (an element
 * the model lacks, an atom without a mass, coinciding atoms), NO_MEMORY;
 * err gets the details. */
tn_status tn_md_create_model(tn_md **out, tn_model *model, const tn_frame *start,
                             const tn_md_options *opt, char *err, size_t err_len);
/* The same on the LJ + ATM reference potential (Ar, Kr), copied. */
tn_status tn_md_create_noble_gas(tn_md **out, const tn_noble_gas *pot, const tn_frame *start,
                                 const tn_md_options *opt, char *err, size_t err_len);
void tn_md_free(tn_md *md);
const char *tn_md_errmsg(const tn_md *md);

/* Advances up to steps steps. OK when all were taken; UNSTABLE when the
 * monitor stopped the run (tn_md_failed says why and tn_md_errmsg names the
 * step and the numbers; the state stays as it was at that step, and later
 * calls return UNSTABLE at once); the potential's status when it failed. */
tn_status tn_md_run(tn_md *md, int64_t steps);
tn_md_failure tn_md_failed(const tn_md *md);
const char *tn_md_failure_name(tn_md_failure f); /* "not-finite", "bond-broken", ... */

typedef struct tn_md_thermo {
  int64_t step;
  double time;                /* fs */
  double temperature;         /* K, from E_kin and the degrees of freedom */
  double e_pot, e_kin, e_tot; /* eV */
  /* (E_tot - E_tot(0)) / N in eV/atom; under Langevin the heat the
   * thermostat put in is subtracted first, so this measures the integrator
   * alone in either ensemble. */
  double drift;
  double min_distance;     /* Å, at the last check (0 before any) */
  int bonds, bonds_broken; /* of the start topology, at the last check */
  int64_t rebuilds;        /* neighbor-list builds so far */
} tn_md_thermo;

void tn_md_get_thermo(const tn_md *md, tn_md_thermo *out);
/* The current configuration as a frame (views into the run, valid until the
 * next tn_md_run), and velocities and forces [n][3] in Å/fs and eV/Å. */
tn_frame tn_md_frame(const tn_md *md);
const double (*tn_md_velocities(const tn_md *md))[3];
const double (*tn_md_forces(const tn_md *md))[3];
/* Mean squared displacement from the start, Σ_i |R_i(t) - R_i(0)|² / N, Å². */
double tn_md_msd(const tn_md *md);

/* Radial distribution function g(r) of periodic frames, accumulated over
 * frames: bins of width range / n_bins from 0 to range (Å), normalised by the
 * ideal gas of the same density, so g → 1 at large r in a liquid. Pairs
 * with periodic images count, so a range beyond half the cell is fine; the
 * frames must be periodic on all three axes. */
typedef struct tn_rdf tn_rdf;
tn_status tn_rdf_create(tn_rdf **out, double range, int n_bins, char *err, size_t err_len);
void tn_rdf_free(tn_rdf *rdf);
const char *tn_rdf_errmsg(const tn_rdf *rdf);
/* Adds one frame; INVALID_ARG when it is not periodic on all three axes or
 * has no atoms. */
tn_status tn_rdf_add(tn_rdf *rdf, const tn_frame *frame);
/* r[k] (bin centres, Å) and g[k] for k < n_bins; either may be NULL. Returns
 * the number of frames added (g is 0 when none). */
int64_t tn_rdf_result(const tn_rdf *rdf, double *r, double *g);

/* ----------------------------------------------------------------- metrics */

/* Running error statistics of predictions against references. The spread of
 * the references is accumulated with Welford's update (Welford 1962,
 * Technometrics 4, 419), so R^2 stays accurate when the references sit far
 * from zero (total energies of -1e5 eV). A zero-initialised struct is empty.
 * Units are those of the values added; non-finite values propagate (the
 * caller filters). */
typedef struct tn_error_stats {
  int64_t n;
  double sum_abs;  /* sum |pred - ref| */
  double sum_sq;   /* sum (pred - ref)^2, the residual sum of squares */
  double max_abs;  /* max |pred - ref|, 0 when empty */
  double ref_mean; /* running mean of ref */
  double ref_m2;   /* sum (ref - ref_mean)^2, the total sum of squares */
} tn_error_stats;

void tn_error_stats_add(tn_error_stats *s, double pred, double ref);
/* Adds the samples of from into into, as if they had been added one by one
 * (Chan, Golub & LeVeque 1979): for per-thread or per-batch statistics. */
void tn_error_stats_merge(tn_error_stats *into, const tn_error_stats *from);
double tn_error_stats_mae(const tn_error_stats *s);  /* NaN if empty */
double tn_error_stats_rmse(const tn_error_stats *s); /* NaN if empty */
/* 1 - SS_res / SS_tot; NaN if n < 2 or SS_tot == 0 (all references equal). */
double tn_error_stats_r2(const tn_error_stats *s);

/* ------------------------------------------------------------------- plots */

/* SVG plots written by tanne itself: parity plots, learning curves (log-log),
 * radial distribution functions and decay curves. */
#define TN_PLOT_MAX_POINTS 20000 /* per series; more are thinned by a fixed stride */

typedef enum tn_plot_style { TN_PLOT_POINTS = 1, TN_PLOT_LINE = 2 } tn_plot_style; /* OR-able */

typedef struct tn_plot_series {
  const char *label;   /* legend entry (UTF-8), NULL or "" for none */
  const double *x, *y; /* [n] */
  const double *y_err; /* [n] error bars (+-), NULL for none; negative or non-finite: no bar */
  int64_t n;
  int style; /* tn_plot_style bits, at least one */
} tn_plot_series;

typedef struct tn_plot {
  const char *title, *x_label, *y_label; /* UTF-8, NULL for none */
  int log_x, log_y; /* base-10 axes; non-positive values are skipped (and counted) */
  int parity;       /* equal x and y ranges, a square plot, the y = x diagonal */
  int n_series;
  const tn_plot_series *series; /* [n_series] */
} tn_plot;

/* Writes plot as an SVG file, atomically (a temporary file renamed over
 * path). Series are coloured from the Okabe-Ito palette in turn. Series of
 * more than TN_PLOT_MAX_POINTS points show every k-th point, k fixed by n, and
 * a note on the plot says so; the note also counts points skipped because
 * they are non-finite (or beyond +-1e300) or non-positive on a log axis.
 * A line breaks at a skipped point (so a lone point between gaps shows only
 * with TN_PLOT_POINTS). Parity plots need log_x == log_y.
 * Errors: INVALID_ARG (NULL plot or path, no series, n < 0, NULL arrays with
 * n > 0, a style without a known bit or with unknown bits, parity with mixed
 * axes), IO (the file cannot be written); err gets the details. */
tn_status tn_plot_write_svg(const tn_plot *plot, const char *path, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* TANNE_H */
