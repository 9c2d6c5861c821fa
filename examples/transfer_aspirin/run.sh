#!/bin/sh
# Transfer learning on aspirin, after Zaverkin et al. (PCCP 25, 2023):
# pre-train PaiNN on rMD17 (PBE/def2-SVP), fine-tune it on MD17 aspirin at
# CCSD/cc-pVDZ, and compare learning curves of six variants against a PaiNN
# trained on the CC frames alone. The 200 CC test frames are the same for
# every run and are never used for training, validation or choices.
#
# usage, from the repository root:
#   examples/transfer_aspirin/run.sh
# Environment:
#   TANNE   the tanne command (build/tanne)
#   SIZES   labelled CC frames per run (25,50,100,200,400,800), 10 % of them
#           for validation
#   OUT     output folder (runs/transfer_aspirin)
#
# The pre-trained model is runs/painn_aspirin/best.tnm (finetune.init_from of
# the variants); when absent it is trained first with
# examples/painn_aspirin.yaml (175 minutes).
#
# Each run stops at train.max_minutes (4) or early stopping. The variants
# run in two processes (one per core); a run already finished with the same
# config is read back, so an interrupted script picks up where it stopped.
# Results: $OUT/learning_curve.{csv,md} and $OUT/learning_curve_*.svg.
set -eu
TANNE=${TANNE:-build/tanne}
SIZES=${SIZES:-25,50,100,200,400,800}
OUT=${OUT:-runs/transfer_aspirin}
PARENT=runs/painn_aspirin/best.tnm
HERE=examples/transfer_aspirin
for f in ../shared/data/md17_ccsd/aspirin_ccsd-train.npz ../shared/data/rmd17/rmd17_aspirin_train_01.npz; do
  if [ ! -f "$f" ]; then
    echo "transfer_aspirin: $f is absent (the shared data sets sit beside the repository)" >&2
    exit 1
  fi
done
if [ ! -f "$PARENT" ]; then
  echo "transfer_aspirin: pre-training $PARENT on rMD17 aspirin (PBE/def2-SVP)" >&2
  "$TANNE" train examples/painn_aspirin.yaml
fi
mkdir -p "$OUT"
lc() { "$TANNE" learning-curve --sizes "$SIZES" --out "$OUT" "$@"; }
lc $HERE/scratch.yaml $HERE/frozen.yaml $HERE/energy_only.yaml >"$OUT/part1.log" 2>&1 &
first=$!
lc $HERE/finetune_all.yaml $HERE/discriminative.yaml $HERE/energy_only_discriminative.yaml \
  >"$OUT/part2.log" 2>&1 &
second=$!
wait $first || { echo "transfer_aspirin: see $OUT/part1.log" >&2; exit 1; }
wait $second || { echo "transfer_aspirin: see $OUT/part2.log" >&2; exit 1; }
# Everything is trained now: this collects the table and the plots.
lc $HERE/scratch.yaml $HERE/finetune_all.yaml $HERE/discriminative.yaml $HERE/frozen.yaml \
  $HERE/energy_only.yaml $HERE/energy_only_discriminative.yaml
