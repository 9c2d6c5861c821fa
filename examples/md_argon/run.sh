#!/bin/sh
# Liquid argon: does MD on a model trained on reference data reproduce the
# reference potential's structure? A SchNet (schnet.yaml) is trained on 120
# frames of 108-atom liquid Ar at 90 K from the built-in LJ + ATM potential;
# then Langevin MD at 90 K (weak friction, 1/ps, so that the dynamics stays
# close to Newton's) on a fresh 500-atom box, melted at 150 K and given 10
# ps at 90 K before the RDF is sampled for 20 ps, runs on the model (seed
# 3) and on the reference twice (seeds 3 and 4). compare.py reports the
# integrated absolute difference ∫|g_model - g_ref| dr against both, and the
# same between the two reference runs: the statistical floor. The runs with
# the same start and seed see the same noise, which keeps them correlated
# (a paired comparison, tighter than the floor); against the other seed the
# comparison is independent.
#
# usage, from the repository root:
#   examples/md_argon/run.sh
# Environment: TANNE (build/tanne), STEPS (7500 steps of 4 fs, the first
# 2500 not sampled). About 15 minutes on 2 cores.
# Results in runs/md_argon: md_model/, md_ref1/, md_ref2/ (rdf.csv, rdf.svg,
# thermo.csv, summary.md) and rdf_compare.txt.
set -eu
TANNE=${TANNE:-build/tanne}
OUT=runs/md_argon
STEPS=${STEPS:-7500}
HERE=examples/md_argon
mkdir -p "$OUT"
[ -f "$OUT/train.xyz" ] ||
  "$TANNE" generate noble-gas --frames 150 --seed 1 -o "$OUT/train.xyz"
[ -f "$OUT/start.xyz" ] ||
  "$TANNE" generate noble-gas --atoms 500 --temperature 150 --frames 1 --seed 2 \
    -o "$OUT/start.xyz"
[ -f "$OUT/schnet/best.tnm" ] || "$TANNE" train "$HERE/schnet.yaml"
MD="--ensemble langevin --temperature 90 --friction 0.001 --dt 4 --steps $STEPS"
MD="$MD --rdf-start 2500 --rdf-every 10"
MD="$MD --rdf-range 10 --rdf-bins 100 --traj-every 0"
# shellcheck disable=SC2086
"$TANNE" md "$OUT/schnet/best.tnm" "$OUT/start.xyz" $MD --seed 3 -o "$OUT/md_model"
# shellcheck disable=SC2086
"$TANNE" md --reference "$OUT/start.xyz" $MD --seed 3 -o "$OUT/md_ref1"
# shellcheck disable=SC2086
"$TANNE" md --reference "$OUT/start.xyz" $MD --seed 4 -o "$OUT/md_ref2"
/usr/bin/python3 "$HERE/compare.py" "$OUT/md_ref1" "$OUT/md_model" "$OUT/md_ref2" |
  tee "$OUT/rdf_compare.txt"
