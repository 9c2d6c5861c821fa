/* Exact sensitivities ∂E_i/∂R_j of the atomic energies to the positions,
 * the quantity Esders et al. ("Analyzing atomic interactions in molecules as
 * learned by neural networks", 2024/25) bin against distance to see how far
 * and how strongly a trained network lets atoms interact.
 *
 * The backward pass of every architecture is linear in gy, the gradient of
 * the objective with respect to the outputs y: with gy = σ e_i (one-hot on
 * atom i) it yields ∂E_i/∂d_k for every edge vector d_k, and the path of
 * forces (model_batch_forces) turns that into ∂E_i/∂R_a for every atom a,
 * images of a included. One forward pass serves all n backward passes: the
 * backward passes read the forward caches and write only gradient buffers. */
#include <string.h>

#include "model.h"

tn_status tn_model_energy_jacobian(tn_model *m, const tn_frame *frame, double *jac) {
  if (!m) return TN_STATUS_INVALID_ARG;
  if (!frame)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "energy jacobian: no frame given");
  if (frame->n_atoms < 0)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "energy jacobian: field 'n_atoms': %d is negative", frame->n_atoms);
  if (!jac && frame->n_atoms > 0)
    return tn_fail(m->errmsg, sizeof m->errmsg, TN_STATUS_INVALID_ARG,
                   "energy jacobian: no output array for %d atoms", frame->n_atoms);
  tn_status st = model_one_frame_batch(m, frame);
  if (st != TN_STATUS_OK) return st;
  model_work *w = m->work;
  const model_batch *b = &w->batch;
  size_t n = (size_t)frame->n_atoms;
  if (n == 0) return TN_STATUS_OK;
  m->arch->forward(m, m->params, w->ws, w->stacked, b, w->y);
  for (size_t i = 0; i < n; i++) {
    /* E_i = σ y_i + μ_{Z_i}  ⇒  ∂E_i/∂y_a = σ δ_ia */
    memset(w->gy, 0, n * sizeof *w->gy);
    w->gy[i] = (tn_real)m->scale;
    memset(w->gd, 0, (size_t)b->n_edges * 3 * sizeof *w->gd);
    m->arch->backward(m, m->params, w->ws, w->stacked, b, w->gy, w->gd, NULL, 0);
    /* Row i of the output takes −∂E_i/∂R (the "forces" of E_i) in place, then
     * changes sign: no scratch beyond the model's own. */
    double(*row)[3] = (double(*)[3])(jac + i * n * 3);
    model_batch_forces(row, NULL, b, w->gd);
    for (size_t q = 0; q < n * 3; q++) jac[i * n * 3 + q] = -jac[i * n * 3 + q];
  }
  return TN_STATUS_OK;
}
