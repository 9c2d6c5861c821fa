#!/bin/sh
# QM7 molecules with at most 6 heavy atoms against those with 7
# (../shared/data/qm7/qm7.xyz, 7101 equilibrium molecules): how different
# are the environments a model trained on the small molecules would meet in
# the larger ones? tanne advval with the default MLP and with logistic
# regression; the report lists the environments (element and bonded
# neighbours) that only or mostly occur in one set.
#
# usage, from the repository root:
#   examples/qm7_heavy_atoms/run.sh
# Environment: TANNE (build/tanne), OUT (runs/qm7_heavy_atoms).
set -eu
TANNE=${TANNE:-build/tanne}
OUT=${OUT:-runs/qm7_heavy_atoms}
HERE=examples/qm7_heavy_atoms
SRC=../shared/data/qm7/qm7.xyz
if [ ! -f "$SRC" ]; then
  echo "qm7_heavy_atoms: $SRC is absent (the shared data sets sit beside the repository)" >&2
  exit 1
fi
mkdir -p "$OUT"
/usr/bin/python3 $HERE/split_heavy.py "$SRC" 6 "$OUT/heavy_le6.xyz" "$OUT/heavy_7.xyz"
for c in mlp logreg; do
  "$TANNE" advval "$OUT/heavy_le6.xyz" "$OUT/heavy_7.xyz" --classifier $c -o "$OUT/advval_$c" \
    >"$OUT/advval_$c.log"
done
cat "$OUT/advval_mlp/report.md" "$OUT/advval_logreg/report.md"
