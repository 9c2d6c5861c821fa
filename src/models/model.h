/* Internal to src/models (and src/train): the model handle, the table every
 * architecture fills in, and the batch graph the architectures run on.
 *
 * A model maps a batch graph to one number per atom, y_i (dimensionless);
 * the atomic energy is E_i = σ y_i + μ_{Z_i} (DESIGN.md, "Physics
 * conventions"). Architectures see only edge vectors, so forces and stress
 * follow from one gradient with respect to the edge vectors (batch.c). */
#ifndef TN_MODEL_H
#define TN_MODEL_H

#include "../core/core.h"
#include "../nn/nn.h"

#define MODEL_MAX_ELEMENTS 16

/* Frames concatenated into one graph. Atoms of frame f are
 * [atom_start[f], atom_start[f+1]); edges are sorted by receiving atom and
 * carry their vectors d_k = R_j + shift·cell − R_i (Å). */
typedef struct model_batch_caps {
  int64_t atom_start, type, frame, first, ei, ej, rev, d, remap;
} model_batch_caps;

typedef struct model_batch {
  int n_frames;
  int n_atoms;
  int64_t n_edges;
  int64_t *atom_start;   /* [n_frames + 1] */
  int32_t *type;         /* [n_atoms] element index into the model's list */
  int32_t *frame;        /* [n_atoms] frame of each atom */
  int32_t *ei, *ej;      /* [n_edges] receiving and sending atom */
  int64_t *first;        /* [n_atoms + 1] */
  int64_t *rev;          /* [n_edges] reverse edge */
  tn_real *d;            /* [2 * n_edges][3]: vectors, then their tangent block */
  int64_t *remap;        /* [n_pairs] scratch: a neighbor pair's edge, or -1 */
  nn_graph graph;        /* views of the arrays above */
  model_batch_caps caps; /* so a batch is reused without allocation */
} model_batch;

typedef struct tn_model tn_model;

/* Everything one evaluation needs besides the model: the batch, a neighbor
 * list, the architecture's workspace and the per-atom and per-edge arrays
 * (stacked, room for tangents). Grown to the largest batch seen, then reused
 * without allocation. */
typedef struct model_work {
  model_batch batch;
  tn_neighbors *nl;
  void *ws;
  size_t ws_size;
  int stacked;          /* the workspace has room for tangents */
  tn_real *y, *gy, *gd; /* [2 n_atoms], [2 n_atoms], [2 n_edges][3] */
  double *ea;           /* [n_atoms] atomic energies nobody asked for (eV) */
  int64_t cap_y, cap_gy, cap_gd, cap_ea;
} model_work;

/* One architecture (libxc-style info table). `forward` fills y[n_atoms]
 * (primal block) and keeps what backward needs in the workspace; `tangent`
 * then fills the tangent block of y, given the tangent block of b->d;
 * `backward` accumulates gd (the edge-vector gradient, stacked like d) and,
 * when grad is not NULL, the parameter gradient, from gy (stacked like y
 * when tangent). `stacked` says how the workspace is laid out (with room for
 * tangent blocks or not); it must be the same for the forward, tangent and
 * backward passes of one batch, and tangent ≤ stacked. With tangent set
 * (training on forces) callers use only grad: an architecture whose
 * descriptors have no parameters (BPNN) may leave gd untouched there rather
 * than form second derivatives of its descriptors. */
struct tf_writer;
struct tf_file;

/* A contiguous range of parameters that belongs to one named block of the
 * architecture: "embedding", "interaction.K" (1-based), "readout" for the
 * message-passing models, "layer.K" and "readout" for BPNN. Ranges with the
 * same name form one block (a PaiNN interaction is its filter and its
 * update). depth orders the blocks from the input (0) to the readout (the
 * deepest): fine-tuning freezes blocks by name and scales learning rates by
 * depth (src/train/finetune.c). */
#define MODEL_MAX_PARTS 256
typedef struct model_part {
  char name[24];
  int depth;
  size_t offset, count;
} model_part;

typedef struct model_arch {
  const char *name;
  const char *reference;
  /* What model.basis and model.activation "auto" become. */
  const char *basis, *activation;
  /* Lays out parameters (sets m->n_params) from m->opt; checks ranges. */
  tn_status (*setup)(tn_model *m, char *err, size_t err_len);
  void (*init_params)(tn_model *m, tn_real *params, tn_rng *rng);
  /* Bytes of workspace for a batch of this size. */
  size_t (*workspace_size)(const tn_model *m, int n_atoms, int64_t n_edges, int stacked);
  void (*forward)(const tn_model *m, const tn_real *params, void *ws, int stacked,
                  const model_batch *b, tn_real *y);
  void (*tangent)(const tn_model *m, const tn_real *params, void *ws, const model_batch *b,
                  tn_real *y);
  void (*backward)(const tn_model *m, const tn_real *params, void *ws, int stacked,
                   const model_batch *b, const tn_real *gy, tn_real *gd, tn_real *grad,
                   int tangent);
  /* The number of message-passing steps (1 for local descriptors): the
   * receptive field is cutoff × this. */
  int (*hops)(const tn_model *m);
  /* Optional (NULL when the options and params say everything): sections of
   * the architecture's own in model files and checkpoints, such as fixed
   * descriptor definitions. save_extra adds them; load_extra reads them
   * into a model made from the file's options, before its params are set. */
  tn_status (*save_extra)(struct tf_writer *w, const tn_model *m);
  tn_status (*load_extra)(tn_model *m, const struct tf_file *f, char *err, size_t err_len);
  /* Optional: fixed data fitted on training frames `which[0..n)` (all when
   * which is NULL) before training, such as descriptor scaling statistics.
   * Called on a fresh run only; a resumed run's model has them already. */
  tn_status (*fit_data)(tn_model *m, const tn_dataset *ds, const int64_t *which, int64_t n,
                        char *err, size_t err_len);
  /* Optional: copies the fixed data of src (same options and elements) into
   * dst, a model just made from src's options (e.g. the trainer's best). */
  tn_status (*copy_extra)(tn_model *dst, const tn_model *src, char *err, size_t err_len);
  /* The blocks of the parameters, every parameter in exactly one range;
   * returns the number of ranges (≤ MODEL_MAX_PARTS). */
  int (*parts)(const tn_model *m, model_part *out);
  /* Optional (NULL: tn_model_atom_features is UNSUPPORTED): the invariant
   * per-atom representation the readout consumes, for analyses such as
   * adversarial validation. feature_count is its width, the same for every
   * element. features is called after `forward` on the same workspace,
   * stacked and batch, and reads what forward left there: it writes
   * out[b->n_atoms][feature_count] in float64 and allocates nothing. */
  int (*feature_count)(const tn_model *m);
  void (*features)(const tn_model *m, const tn_real *params, void *ws, int stacked,
                   const model_batch *b, double *out);
} model_arch;

/* One range of a parts list: out[n] = {name (printf-style), depth, offset,
 * count}; returns n + 1. */
int model_part_add(model_part *out, int n, int depth, size_t offset, size_t count, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));

extern const model_arch model_schnet;
extern const model_arch model_painn;
extern const model_arch model_bpnn;

/* The options every message-passing architecture reads, checked (errors
 * prefixed by the architecture's name): features 2..4096, interactions
 * 1..max_interactions, a known activation and basis, and n_basis 1..1024
 * (2.. for Gaussians). */
tn_status model_check_mp_options(const tn_model *m, int max_interactions, nn_act *act,
                                 nn_basis *basis, char *err, size_t err_len);

/* Looks an architecture up by name; NULL if unknown. */
const model_arch *model_arch_find(const char *name);

struct tn_model {
  const model_arch *arch;
  tn_model_options opt;
  int n_elements;
  int32_t elements[MODEL_MAX_ELEMENTS]; /* atomic numbers, ascending */
  double shift[MODEL_MAX_ELEMENTS];     /* μ_Z, eV */
  double scale;                         /* σ, eV */
  size_t n_params;
  tn_real *params; /* [n_params] */
  /* architecture layout (offsets into params), filled by setup */
  void *layout;
  /* Where the model came from (text, malloc'd; NULL when unknown): data,
   * level of theory, parent model. Saved as the "lineage" section. */
  char *lineage;
  model_work *work; /* scratch of tn_model_eval, made on first use */
  char errmsg[512];
};

tn_status model_work_init(model_work *w);
void model_work_free(model_work *w);
/* Sizes w's arrays for the batch now in w->batch (tangent: room for the
 * tangent pass and its backward). */
tn_status model_work_reserve(model_work *w, const tn_model *m, int tangent, char *err,
                             size_t err_len);
/* The same with room for at least min_edges edges: a Verlet list's pair
 * count bounds the edges of every batch built from it, so MD sized by it
 * allocates nothing until the list is rebuilt larger. */
tn_status model_work_reserve_edges(model_work *w, const tn_model *m, int tangent, int64_t min_edges,
                                   char *err, size_t err_len);
/* Runs the model on w->batch with params: per-atom energies E_i (eV, may be
 * NULL), and, when forces or virial is not NULL, one backward pass for them
 * (see model_batch_forces), of the energy of the atoms with contributing[a]
 * set (NULL: all). Needs model_work_reserve first. */
void model_predict(const tn_model *m, const tn_real *params, model_work *w, double *atom_energies,
                   double (*forces)[3], double (*virial)[3][3], const uint8_t *contributing);
/* m's scratch (m->work, made on first use) holding a batch of the one
 * frame, sized for a forward and a backward pass (no tangents); errors in
 * m->errmsg. The single-frame path of tn_model_eval and its relatives. */
tn_status model_one_frame_batch(tn_model *m, const tn_frame *frame);

/* ---- model files (model_file.c); checkpoints reuse the sections */
/* Adds the sections of a model with these parameters (the model's own, or
 * e.g. weight averages) to a container being written. */
tn_status model_add_sections(struct tf_writer *w, const tn_model *m, const tn_real *params);
/* A model from the sections of a container already read and checked. */
tn_status model_from_file(tn_model **out, const struct tf_file *f, char *err, size_t err_len);

/* Element index of atomic number z, or -1. */
int model_element_index(const tn_model *m, int z);

/* ---- batches (batch.c) */
void model_batch_free(model_batch *b);
/* Empties b (keeping its memory); then model_batch_add appends one frame
 * (id numbers it in messages, 0-based). The neighbor list is built with nl
 * at the model's cutoff. Errors name the frame: an element the model does
 * not know, two atoms at the same place, a bad cell. */
void model_batch_begin(model_batch *b);
tn_status model_batch_add(model_batch *b, const tn_model *m, tn_neighbors *nl,
                          const tn_frame *frame, int64_t id, char *err, size_t err_len);
/* model_batch_add with a list the caller built for the frame's atoms and
 * cell (tn_neighbors_build) at a cutoff of at least the model's, maybe for
 * earlier positions (a Verlet list with a skin): edges are the pairs whose
 * current distance is below the model's cutoff. INVALID_ARG if the list is
 * for another number of atoms. */
tn_status model_batch_add_list(model_batch *b, const tn_model *m, const tn_neighbors *nl,
                               const tn_frame *frame, int64_t id, char *err, size_t err_len);
/* Makes b the graph of frames `which[0..n)` of ds (neighbor lists built with
 * nl at the model's cutoff). Errors name the frame: an element the model does
 * not know, two atoms at the same place. */
tn_status model_batch_build(model_batch *b, const tn_model *m, tn_neighbors *nl,
                            const tn_dataset *ds, const int64_t *which, int n, char *err,
                            size_t err_len);
/* Forces [n_atoms][3] (eV/Å, = −∂E/∂R) from the edge gradient gd (primal
 * block, ∂E/∂d_k in eV/Å), and the virial W_ab = Σ_k d_a gd_b per frame
 * [n_frames][3][3] (eV), either may be NULL. Stress = W / V. */
void model_batch_forces(double (*forces)[3], double (*virial)[3][3], const model_batch *b,
                        const tn_real *gd);

#endif
