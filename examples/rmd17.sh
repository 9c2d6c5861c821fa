#!/bin/sh
# One rMD17 accuracy run: a model's aspirin configuration applied to another
# molecule (same hyperparameters, the molecule's first train/test split) under
# a wall-time budget, then the test set. Run from the repository root:
#   examples/rmd17.sh painn|schnet|bpnn MOLECULE MINUTES [--resume]
# e.g. examples/rmd17.sh bpnn malonaldehyde 15. Output: runs/MODEL_MOLECULE/.
# TANNE names another tanne binary (default build/tanne).
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 painn|schnet|bpnn MOLECULE MINUTES [--resume]" >&2
  exit 2
fi
model=$1 molecule=$2 minutes=$3
shift 3
data=../shared/data/rmd17
if [ ! -f "$data/rmd17_${molecule}_train_01.npz" ]; then
  echo "$0: $data/rmd17_${molecule}_train_01.npz not found" >&2
  exit 1
fi
exec "${TANNE:-build/tanne}" train "examples/${model}_aspirin.yaml" "$@" \
  --set "data.train=$data/rmd17_${molecule}_train_01.npz" \
  --set "data.test=$data/rmd17_${molecule}_test_01.npz" \
  --set "output.dir=runs/${model}_${molecule}" \
  --set "train.max_minutes=$minutes" --set train.epochs=100000 --set train.threads=1
