/* The potentials an MD run drives: a tanne model (through the caller's
 * neighbor list, tn_model_eval_with) and the LJ + ATM reference. */
#include "md.h"

static double model_reach(const tn_md *md) { return tn_model_cutoff(md->model); }

static tn_status model_eval(tn_md *md, double *energy, double (*forces)[3]) {
  tn_frame f = tn_md_frame(md);
  tn_eval_options o = {.neighbors = md->nl, .contributing = NULL};
  tn_status st = tn_model_eval_with(md->model, &f, &o, energy, forces, NULL, NULL);
  if (st != TN_STATUS_OK)
    tn_fail(md->errmsg, sizeof md->errmsg, st, "model: %s", tn_model_errmsg(md->model));
  return st;
}

static int model_knows(const tn_md *md, int32_t z) {
  int32_t elements[16];
  int n = tn_model_elements(md->model, elements);
  for (int k = 0; k < n; k++)
    if (elements[k] == z) return 1;
  return 0;
}

const md_potential md_model_potential = {"model", model_reach, model_eval, model_knows};

static double ng_potential_reach(const tn_md *md) { return ng_reach(&md->ng); }

static tn_status ng_eval(tn_md *md, double *energy, double (*forces)[3]) {
  double volume = tn_cell_periodic(MD_CELL(md), md->pbc) ? tn_cell_volume(MD_CELL(md)) : 0.0;
  return ng_compute(&md->ng, md->nl, &md->ng_work, md->species, (const double(*)[3])md->pos, md->n,
                    MD_CELL(md), volume, energy, forces, NULL, NULL, md->errmsg, sizeof md->errmsg);
}

static int ng_knows(const tn_md *md, int32_t z) {
  (void)md;
  return z == 18 || z == 36;
}

const md_potential md_noble_gas_potential = {"LJ + ATM reference", ng_potential_reach, ng_eval,
                                             ng_knows};
