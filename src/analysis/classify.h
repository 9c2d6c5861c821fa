/* The classifier core of adversarial validation (Kjeldal & Eriksen,
 * "Transferability of atom-based neural networks", MLST 2024): can a
 * classifier tell data set A from data set B, per atom and per structure?
 *
 * Items are atoms, described by a dense feature row (e.g. ACSF values,
 * dimensionless); groups are the structures the atoms belong to. A group's
 * label says which data set it comes from: 0 = A, 1 = B, and every item
 * takes its group's label. A classifier predicts P(B) per item, always on
 * items whose group it was not trained on (grouped k-fold cross-validation,
 * folds.c), so that atoms of one structure never sit in training and test
 * at once. Per-structure scores pool the atoms' log-odds (aggregate.c). The
 * AUC of the out-of-fold scores (roc.c) is 0.5 when A and B cannot be told
 * apart and 1 when they are fully separable.
 *
 * Shapes: x is row-major [n_items][d] (double); labels are uint8_t 0/1;
 * group indices are int64_t in [0, n_groups); folds are int in [0, k).
 * All outputs are caller-allocated unless a comment says otherwise.
 * Every function that can fail returns a tn_status and writes a message
 * naming the argument and element into err (err may be NULL). */
#ifndef TN_CLASSIFY_H
#define TN_CLASSIFY_H

#include "../core/core.h"
#include "../nn/nn.h"

/* ---- ROC and AUC (roc.c) ---------------------------------------------- */

/* Area under the ROC curve of score (higher = more B-like) for labels is_b
 * (0/1), [n] each, with optional non-negative weights [n] (NULL: all 1).
 * The rank-sum (Mann–Whitney) form: the fraction of (A, B) pairs in which
 * the B item scores higher, a tie counting 1/2 (average ranks). Unweighted,
 * the pair count is an integer or half-integer, exact in double for n below
 * about 2^26, so *auc is exact up to the one final division. Scores may be
 * ±inf but not NaN. Errors: n < 1, a NULL array or a label other than 0/1
 * (INVALID_ARG); a NaN score, a negative or non-finite weight, or a class
 * with no (or zero-weight) items (BAD_INPUT); NO_MEMORY. */
tn_status clf_auc(double *auc, const double *score, const uint8_t *is_b, const double *weight,
                  int64_t n, char *err, size_t err_len);

/* A ROC curve with item j called B when its score ≥ a threshold: point 0
 * has threshold +inf (nothing called B, (0, 0)); point j ≥ 1 has the j-th
 * largest distinct score as threshold; the last point calls everything B,
 * (1, 1). (A score of +inf gives point 1 the threshold +inf as well.) Tied
 * scores move FPR and TPR together, a diagonal segment, so the trapezoid
 * area under the curve equals the rank AUC. */
typedef struct clf_roc {
  int64_t n_points;  /* distinct scores + 1 */
  double *fpr;       /* [n_points], false positive rate (A called B), owned */
  double *tpr;       /* [n_points], true positive rate (B called B), owned */
  double *threshold; /* [n_points], owned */
  double auc;        /* as clf_auc */
} clf_roc;

/* Fills roc (arrays owned by roc, free with clf_roc_free, also after a
 * failure). Errors as clf_auc. */
tn_status clf_roc_make(clf_roc *roc, const double *score, const uint8_t *is_b, const double *weight,
                       int64_t n, char *err, size_t err_len);
void clf_roc_free(clf_roc *roc);

/* ---- grouped, stratified folds (folds.c) -------------------------------- */

/* Assigns each of n_groups groups (labels group_is_b [n_groups], 0/1) to
 * one of k folds, fold_of_group [n_groups] in [0, k). The groups of each
 * class are shuffled (tn_rng seeded with seed, so the same seed gives the
 * same folds) and dealt round-robin, B continuing where A stopped: every
 * fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ groups of each class c, and the total
 * group counts of two folds differ by at most one. Errors: k < 2, n_groups
 * < 1, a label other than 0/1, NULL arrays (INVALID_ARG); fewer than k
 * groups of a class, so that some fold would test without that class
 * (BAD_INPUT); NO_MEMORY. */
tn_status clf_folds(int *fold_of_group, const uint8_t *group_is_b, int64_t n_groups, int k,
                    uint64_t seed, char *err, size_t err_len);

/* ---- classifiers -------------------------------------------------------- */

/* The classifiers behind clf_cross_predict, each with its own model struct
 * and fit/predict pair: a linear one (logistic regression, below) and a
 * small multilayer perceptron (mlp_clf.c), which also sees boundaries that
 * no hyperplane draws (an XOR of two features, a shell around a cloud). */
typedef enum clf_kind { CLF_KIND_LOGREG = 0, CLF_KIND_MLP = 1 } clf_kind;

/* Zero-initialise and set what differs: every zero means the default. The
 * fields after max_iter are read by the MLP only; tol and max_iter by
 * logistic regression only. */
typedef struct clf_options {
  clf_kind kind;
  double l2;     /* L2 penalty on the standardised weights (not the biases), ≥ 0. For
                  * logistic regression 1e-3 is a sensible value, for the MLP 1e-4 */
  double tol;    /* stop when the gradient 2-norm ≤ tol; 0 means 1e-8 */
  int max_iter;  /* Newton steps at most; 0 means 100 */
  int hidden;    /* MLP: units per hidden layer, 0 means 32, at most 1024 */
  int layers;    /* MLP: hidden layers, 0 means 2, at most 8 */
  int epochs;    /* MLP: passes over the training rows; 0 means 40, raised where the
                  * rows are few to give at least 3000 Adam steps in all */
  int batch;     /* MLP: rows per minibatch, 0 means 256 */
  double lr;     /* MLP: Adam step size, 0 means 3e-3 */
  uint64_t seed; /* MLP: initial weights and minibatch order (any value, 0 included) */
} clf_options;

/* L2-regularised logistic regression, P(B | x) = σ(w·z + b) with the
 * standardised features z_j = (x_j − mean_j) · inv_std_j. It minimises
 *
 *   L(w, b) = Σ_i c_i [softplus(t_i) − y_i t_i] / Σ_i c_i + (l2/2) |w|²,
 *   t_i = w·z_i + b,  y_i = is_b,  softplus(t) = log(1 + e^t),
 *
 * the class-weighted mean cross-entropy, with c_i = n/(2 n_A) for A items
 * and n/(2 n_B) for B items, so that both classes weigh n/2 however
 * unbalanced: otherwise a classifier could score well on the larger set
 * alone, and the AUC of a 9:1 split would not read like that of a 1:1 one.
 * Being a mean, l2 means the same whatever n. */
typedef struct clf_logreg {
  int d;            /* features */
  double *mean;     /* [d], of the training rows, owned */
  double *inv_std;  /* [d], 1/(population std) of the training rows; 0 for a constant feature */
  double *w;        /* [d], weights on the standardised features, owned */
  double b;         /* bias (log-odds of B at the mean features) */
  double l2;        /* the penalty it was fitted with */
  double loss;      /* L at the optimum */
  double grad_norm; /* |∇L| (2-norm over w and b) at the optimum */
  int iterations;   /* Newton steps taken */
} clf_logreg;

/* Fits m (zeroed by the call, free with clf_logreg_free, also after a
 * failure) on x [n][d] with labels is_b [n]: on the n_rows rows listed in
 * rows [n_rows] (indices into x), or on all n rows when rows is NULL.
 * Newton's method (IRLS) with a Cholesky solve of the (d+1)×(d+1) system
 * and a backtracking (Armijo) line search, from w = 0, b = 0. The sums run
 * over fixed blocks of rows, in parallel but added in the same order, so the
 * fit does not depend on the thread count. Cost: n_rows·d²/2 per step.
 * Errors: n < 1, n_rows < 1 (with rows), d < 1 or d > 4096, a NULL array, opt NULL,
 * opt->l2 < 0 or non-finite, opt->tol < 0, opt->max_iter < 0, a row index
 * outside [0, n), a label other than 0/1 (INVALID_ARG); a non-finite
 * feature, only one class among the rows, a singular system (collinear
 * features with l2 = 0) or no convergence within max_iter steps (separable
 * classes with l2 = 0) (BAD_INPUT); NO_MEMORY. */
tn_status clf_logreg_fit(clf_logreg *m, const double *x, const uint8_t *is_b, int64_t n, int d,
                         const int64_t *rows, int64_t n_rows, const clf_options *opt, char *err,
                         size_t err_len);

/* log-odds t = ln(P(B)/P(A)) [n] and/or P(B) [n] (either may be NULL) of
 * the n rows of x [n][m->d]. A non-finite feature gives a NaN output. */
void clf_logreg_predict(const clf_logreg *m, const double *x, int64_t n, double *log_odds,
                        double *p_b);
void clf_logreg_free(clf_logreg *m);

/* A multilayer perceptron on the standardised features z (as logreg's):
 *
 *   h_0 = z,  h_l = silu(h_{l−1} W_l + b_l)  (l = 1 … layers, width hidden),
 *   t = h_layers W_out + b_out,  P(B | x) = σ(t),
 *
 * trained on logreg's objective L (class-weighted mean cross-entropy) with
 * the penalty (l2/2) Σ|W|² over every weight matrix, biases excluded. SiLU
 * (x σ(x); Elfwing et al. 2018) rather than tanh: the float build
 * evaluates it in vectorised loops, where tanhf is a libm call, the largest
 * cost after the GEMMs. Computed in tn_real (float32, or float64 with
 * DOUBLE=1) through nn_dense and nn_act; the standardisation and all sums
 * of the loss are in double.
 *
 * Training: Glorot-uniform weights and zero biases (nn_dense_init), then
 * Adam (Kingma & Ba 2015; β = 0.9, 0.999, ε = 1e-8) on minibatches of the
 * shuffled training rows, each step on Σ_batch c_i ℓ_i / |batch| + the
 * penalty, the unbiased estimate of L; the step size falls linearly from lr
 * to lr/10 over the run, so that the last epochs settle instead of
 * wandering at the noise level of the minibatch gradient. One tn_rng,
 * seeded with opt->seed, draws the initial weights and then each epoch's
 * order: a fit depends on the data, the options and the seed only. The
 * GEMMs split rows of their outputs over threads with every element summed
 * whole, so the thread count changes no bit either.
 *
 * Parameters: one block params [n_params], the layers in order (the hidden
 * ones, then the output), each as nn_dense lays it out: W [in][out]
 * row-major, then b [out]. */
typedef struct clf_mlp {
  int d;           /* features */
  int hidden;      /* units per hidden layer */
  int layers;      /* hidden layers */
  double *mean;    /* [d], of the training rows, owned */
  double *inv_std; /* [d], 1/(population std) of the training rows; 0 for a constant feature */
  tn_real *params; /* [n_params], owned */
  size_t n_params; /* d·h + h + (layers − 1)(h² + h) + h + 1 */
  double l2;       /* the penalty it was fitted with */
  double loss;     /* L over the training rows at the end */
  int epochs;      /* passes over the training rows made */
  int64_t steps;   /* Adam steps made */
} clf_mlp;

/* Fits m (zeroed by the call, free with clf_mlp_free, also after a failure)
 * on x [n][d] with labels is_b [n], on the rows listed in rows [n_rows], or
 * on all n rows when rows is NULL; as clf_logreg_fit. Allocates once per
 * fit, nothing per step; the largest block holds the standardised training
 * rows, n_rows·d tn_reals. Cost: about 6 (d + (layers − 1) h) h flops per
 * row and epoch. Threads: those of the GEMMs (nn_gemm) when called alone;
 * clf_cross_predict instead fits its folds side by side, one thread each.
 * Errors: n < 1, n_rows < 1 (with rows), d < 1 or d > 4096, a NULL array,
 * opt NULL, opt->l2 < 0 or non-finite, opt->hidden, layers, epochs or
 * batch negative or above their maxima, opt->lr < 0 or non-finite, a row
 * index outside [0, n), a label other than 0/1 (INVALID_ARG); a non-finite
 * feature, only one class among the rows, a diverging fit (a parameter
 * beyond ±1e6 or a non-finite loss: lr far too large) (BAD_INPUT); NO_MEMORY, also for an n_rows
 * whose buffers cannot be sized. */
tn_status clf_mlp_fit(clf_mlp *m, const double *x, const uint8_t *is_b, int64_t n, int d,
                      const int64_t *rows, int64_t n_rows, const clf_options *opt, char *err,
                      size_t err_len);

/* log-odds t [n] and/or P(B) [n] (either may be NULL) of the rows of x
 * [n][m->d]: of all n rows, or, with rows, of the n_rows rows listed there,
 * written at their own index (log_odds[rows[r]]; other entries are left
 * alone). A non-finite feature gives a NaN output; a standardised feature
 * beyond ±1e6 (far outside anything seen in training) counts as ±1e6, so
 * that no float overflows. Errors: m unfitted, a NULL x, n < 0 or n_rows <
 * 0, a row index outside [0, n) (INVALID_ARG); NO_MEMORY (a workspace of a
 * few hundred rows). */
tn_status clf_mlp_predict(const clf_mlp *m, const double *x, int64_t n, const int64_t *rows,
                          int64_t n_rows, double *log_odds, double *p_b, char *err, size_t err_len);

/* The objective L (classify.h's, with c_i from the class counts of these
 * rows, and the penalty m->l2) at m's parameters over the rows of x [n][d]
 * listed in rows [n_rows] (all n when NULL), and its gradient grad
 * [m->n_params] (overwritten; may be NULL). The fit's own forward and
 * backward passes, for finite-difference tests. Errors as clf_mlp_fit
 * for the arguments and rows; NO_MEMORY. */
tn_status clf_mlp_objective(double *loss, tn_real *grad, const clf_mlp *m, const double *x,
                            const uint8_t *is_b, int64_t n, const int64_t *rows, int64_t n_rows,
                            char *err, size_t err_len);
void clf_mlp_free(clf_mlp *m);

/* ---- cross-validation --------------------------------------------------- */

/* The items and groups of an adversarial validation problem. */
typedef struct clf_data {
  const double *x;              /* [n_items][d] features */
  int64_t n_items;              /* atoms */
  int d;                        /* features per item */
  const int64_t *group_of_item; /* [n_items], in [0, n_groups) */
  int64_t n_groups;             /* structures */
  const uint8_t *group_is_b;    /* [n_groups], 0 = A, 1 = B */
} clf_data;

/* Out-of-fold P(B) per item, p_b [n_items]: for each fold f of k, a model of
 * kind opt->kind is fitted on the items whose group lies outside fold f and
 * predicts the items of fold f's groups. iterations [k] (or NULL) receives
 * each fold's iteration count (Newton steps, or the MLP's epochs).
 * fold_of_group [n_groups] as clf_folds makes. Deterministic for the same
 * inputs, whatever the thread count. The folds of an MLP run in parallel,
 * one thread each (thousands of small steps gain nothing from threads
 * inside a step); those of logistic regression one after another, each fit
 * on all threads. Errors as clf_logreg_fit or clf_mlp_fit, prefixed with
 * the fold (the first failing fold), plus INVALID_ARG for a group index or
 * fold out of range and an unknown kind, and BAD_INPUT for a fold without
 * items (checked before any fit). */
tn_status clf_cross_predict(double *p_b, int *iterations, const clf_data *data,
                            const int *fold_of_group, int k, const clf_options *opt, char *err,
                            size_t err_len);

/* ---- per-structure scores (aggregate.c) --------------------------------- */

/* The score of each group, score [n_groups], from the P(B) of its items,
 * p_b [n_items]: the mean of the items' log-odds ln(p/(1−p)), i.e. the log
 * of the geometric mean of their odds. Why log-odds: treating the atoms as
 * independent evidence (naive Bayes), their log-odds add; a mean of
 * probabilities would squash confident atoms (p = 0.999 and 0.99 count
 * almost alike though their odds differ tenfold). Why the mean and not the
 * sum: it divides out the atom count, so that a large structure is not
 * called more foreign only for having more atoms, and structures of
 * different sizes rank on one scale. Each atom's log-odds is clamped to
 * ±ln 10^12 ≈ ±27.6 (p = 0 or 1 included) so that one saturated atom
 * cannot make the score infinite. A group without items scores 0 (no
 * evidence). Errors: n_groups < 1, n_items < 0, NULL arrays, a group index
 * out of range (INVALID_ARG); a p outside [0, 1] or NaN (BAD_INPUT);
 * NO_MEMORY. */
tn_status clf_group_scores(double *score, const double *p_b, const int64_t *group_of_item,
                           int64_t n_items, int64_t n_groups, char *err, size_t err_len);

#endif
