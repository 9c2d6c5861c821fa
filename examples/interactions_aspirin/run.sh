#!/bin/sh
# What SchNet and PaiNN learned about interactions in aspirin (after Esders
# et al., 2024/25): the rMD17 aspirin models of BENCHMARKS.md ("rMD17:
# PaiNN, SchNet and BPNN"), analysed side by side with tanne interactions
# on the first 50 frames of the rMD17 aspirin test split: sensitivities per
# species pair, their decay and effective range against the nominal range,
# and the many-body expansion of each model's energy on 3 frames.
#
# usage, from the repository root:
#   examples/interactions_aspirin/run.sh
# Environment: TANNE (build/tanne), OUT (runs/interactions_aspirin).
# The models are runs/schnet_aspirin/best.tnm and runs/painn_aspirin/best.tnm;
# a missing one is trained first (examples/schnet_aspirin.yaml,
# examples/painn_aspirin.yaml: hours each).
set -eu
TANNE=${TANNE:-build/tanne}
OUT=${OUT:-runs/interactions_aspirin}
DATA=../shared/data/rmd17/rmd17_aspirin_test_01.npz
if [ ! -f "$DATA" ]; then
  echo "interactions_aspirin: $DATA is absent (the shared data sets sit beside the repository)" >&2
  exit 1
fi
mkdir -p "$OUT"
for arch in schnet painn; do
  if [ ! -f "runs/${arch}_aspirin/best.tnm" ]; then
    echo "interactions_aspirin: training runs/${arch}_aspirin first" >&2
    "$TANNE" train examples/${arch}_aspirin.yaml
  fi
  "$TANNE" interactions "runs/${arch}_aspirin/best.tnm" "$DATA" --frames 50 --mbe-frames 3 \
    --r-max 10 --pair-cutoff 10 --triple-cutoff 4 -o "$OUT/$arch" >"$OUT/$arch.log"
done
cat "$OUT/schnet/interactions.md" "$OUT/painn/interactions.md"
