#!/bin/sh
# Ethanol at 500 K against ethanol at 1000 K (PBE-D3(BJ)/6-31G*, 5000 frames
# each, ../shared/data/ethanol_500K_1000K): can a classifier tell them
# apart, and does a model trained at 500 K fail where the classifier says
# the 1000 K frames are foreign?
#
# usage, from the repository root:
#   examples/ethanol_temperature/run.sh
# Environment: TANNE (build/tanne), OUT (runs/ethanol_temperature).
#
# 1. tanne advval on all 5000 + 5000 frames, with logistic regression and
#    with the MLP ($OUT/advval_logreg, $OUT/advval_mlp).
# 2. Three SchNet models (seeds 1-3) on 1000 frames at 500 K (100 more
#    validate), at most 15 minutes each, two at a time on one thread each; a
#    finished run (best.tnm, and its log names the model) is not retrained.
# 3. tanne transfer of the three-model ensemble and of the seed-1 model alone
#    on 1000 held-out 500 K frames and on the 1000 K frames, against the
#    500 K training frames ($OUT/transfer_ensemble, $OUT/transfer_single).
set -eu
TANNE=${TANNE:-build/tanne}
OUT=${OUT:-runs/ethanol_temperature}
HERE=examples/ethanol_temperature
SRC=../shared/data/ethanol_500K_1000K
for f in "$SRC/ethanol_500K.npz" "$SRC/ethanol_1000K.npz"; do
  if [ ! -f "$f" ]; then
    echo "ethanol_temperature: $f is absent (the shared data sets sit beside the repository)" >&2
    exit 1
  fi
done
mkdir -p "$OUT"
if [ ! -f "$OUT/data/500K_test.npz" ]; then
  /usr/bin/python3 $HERE/make_sets.py "$SRC/ethanol_500K.npz" "$OUT/data" 1000 100 1000 1
fi
for c in logreg mlp; do
  "$TANNE" advval "$SRC/ethanol_500K.npz" "$SRC/ethanol_1000K.npz" --classifier $c \
    -o "$OUT/advval_$c" >"$OUT/advval_$c.log"
done
train() {
  for s in "$@"; do
    if [ -f "$OUT/schnet_s$s/best.tnm" ] && grep -q "^model: " "$OUT/schnet_s$s.log" 2>/dev/null; then
      continue
    fi
    resume=
    if [ -f "$OUT/schnet_s$s/checkpoint.tnc" ]; then resume=--resume; fi
    echo "ethanol_temperature: training seed $s (log: $OUT/schnet_s$s.log)" >&2
    "$TANNE" train $HERE/schnet_500K_s$s.yaml $resume >"$OUT/schnet_s$s.log" 2>&1 ||
      { echo "ethanol_temperature: seed $s failed, see $OUT/schnet_s$s.log" >&2; return 1; }
  done
}
train 1 3 &
first=$!
train 2 &
second=$!
wait $first
wait $second
M="$OUT/schnet_s1/best.tnm $OUT/schnet_s2/best.tnm $OUT/schnet_s3/best.tnm"
"$TANNE" transfer $M --train "$OUT/data/500K_train.npz" "$OUT/data/500K_test.npz" \
  "$SRC/ethanol_1000K.npz" -o "$OUT/transfer_ensemble" >"$OUT/transfer_ensemble.log"
"$TANNE" transfer "$OUT/schnet_s1/best.tnm" --train "$OUT/data/500K_train.npz" \
  "$OUT/data/500K_test.npz" "$SRC/ethanol_1000K.npz" -o "$OUT/transfer_single" \
  >"$OUT/transfer_single.log"
cat "$OUT/advval_logreg/report.md" "$OUT/advval_mlp/report.md" "$OUT/transfer_ensemble/transfer.md"
