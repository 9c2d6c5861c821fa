#!/bin/sh
# Atomic-energy targets on QM7 (HF/6-31G*): SchNet and PaiNN, each trained on
# total energies only, on totals + the AO partition (energies_ao) and on
# totals + the localized-MO partition (energies_mo), w_A = 0.1. All six use
# the same 500/50/150 split (seed 1) of the 700 molecules of
# ../shared/data/qm7_hf_atomic. Each model is then tested on the 150 test
# molecules against both partitions: does either scheme transfer better?
#
# usage, from the repository root:
#   examples/qm7_partitions/run.sh
# Environment: TANNE (build/tanne), OUT (runs/qm7_partitions).
#
# Runs stop at early stopping, 300 epochs or train.max_minutes (12); two run
# at a time, one thread each. A finished run (best.tnm present) is not
# retrained. Results: $OUT/<variant>_<partition>_metrics.csv from tanne
# eval, and $OUT/summary.md (examples/qm7_partitions/summarize.py).
set -eu
TANNE=${TANNE:-build/tanne}
OUT=${OUT:-runs/qm7_partitions}
HERE=examples/qm7_partitions
DATA=../shared/data/qm7_hf_atomic/qm7_hf_atomic.xyz
if [ ! -f "$DATA" ]; then
  echo "qm7_partitions: $DATA is absent (the shared data sets sit beside the repository)" >&2
  exit 1
fi
mkdir -p "$OUT"
# A run is finished when it has written its test metrics; an interrupted
# one (checkpoint, no test metrics) is resumed.
train() {
  for v in "$@"; do
    if [ -f "$OUT/$v/test_metrics.csv" ]; then continue; fi
    resume=
    if [ -f "$OUT/$v/checkpoint.tnc" ]; then resume=--resume; fi
    echo "qm7_partitions: training $v (log: $OUT/$v.log)" >&2
    "$TANNE" train "$HERE/$v.yaml" $resume >"$OUT/$v.log" 2>&1 ||
      { echo "qm7_partitions: $v failed, see $OUT/$v.log" >&2; return 1; }
  done
}
train schnet_totals schnet_ao schnet_mo &
first=$!
train painn_totals painn_ao painn_mo &
second=$!
wait $first
wait $second
# Every model against both partitions, on its own test split (the same
# molecules for all: seed 1).
for v in schnet_totals schnet_ao schnet_mo painn_totals painn_ao painn_mo; do
  for p in ao mo; do
    "$TANNE" eval "$OUT/$v/best.tnm" "$DATA" --split "$OUT/$v/split.txt" \
      --atomic energies_$p -o "$OUT/${v}_$p" >"$OUT/${v}_$p.txt"
  done
done
/usr/bin/python3 $HERE/summarize.py "$OUT" >"$OUT/summary.md"
cat "$OUT/summary.md"
