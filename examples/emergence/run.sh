#!/bin/sh
# Emergent atomic energies against model size (after Uhlig, Tovey & Holm,
# 2024): SchNet and PaiNN of widths 8-64 and 1-3 interactions, trained on
# the total energies and forces of liquid Ar and liquid Kr only. Their
# atomic energies are compared with the exact local energies of the
# reference potential on held-out Ar and Kr frames, and on an Ar/Kr mixture
# that no model sees.
#
# usage, from the repository root:
#   examples/emergence/run.sh
# Environment: TANNE (build/tanne), OUT (runs/emergence), WIDTHS (8,16,32,64),
# DEPTHS (1,2,3), E_DEPTHS (1,3).
#
# Two sweeps per architecture: on total energies and forces (depths DEPTHS),
# then on total energies alone (loss.forces = 0, depths E_DEPTHS), as Uhlig
# et al. train. Each run stops at early stopping, 150 epochs or 6 minutes;
# the SchNet and PaiNN sweeps run side by side on one thread each. Finished
# runs are read back, not retrained. Results: $OUT/{schnet,painn}{,_energy}/
# sweep.{csv,md}, sweep_atoms.svg, sweep_transfer.svg; summary.py prints the
# rank correlations across sizes.
set -eu
TANNE=${TANNE:-build/tanne}
OUT=${OUT:-runs/emergence}
WIDTHS=${WIDTHS:-8,16,32,64}
DEPTHS=${DEPTHS:-1,2,3}
HERE=examples/emergence
mkdir -p "$OUT/data"
gen() { # name species temperature density [fraction]
  if [ ! -f "$OUT/data/$1.xyz" ]; then
    "$TANNE" generate noble-gas --species "$2" --temperature "$3" --density "$4" \
      ${5:+--fraction $5} --atoms 108 --frames 60 --seed 7 -o "$OUT/data/$1.xyz"
  fi
}
gen ar Ar 90 0.0210
gen kr Kr 130 0.0175
gen mix Ar,Kr 110 0.0190 0.5
cat "$OUT/data/ar.xyz" "$OUT/data/kr.xyz" >"$OUT/data/ar_kr.xyz"
for arch in schnet painn; do
  "$TANNE" sweep $HERE/$arch.yaml --width "$WIDTHS" --depth "$DEPTHS" \
    --transfer "$OUT/data/mix.xyz" --out "$OUT/$arch" >"$OUT/$arch.log" 2>&1 &
done
wait
for arch in schnet painn; do
  "$TANNE" sweep $HERE/$arch.yaml --width "$WIDTHS" --depth "${E_DEPTHS:-1,3}" \
    --set loss.forces=0 --transfer "$OUT/data/mix.xyz" --out "$OUT/${arch}_energy" \
    >"$OUT/${arch}_energy.log" 2>&1 &
done
wait
for sweep in schnet painn schnet_energy painn_energy; do cat "$OUT/$sweep/sweep.md"; done
python3 $HERE/summary.py "$OUT"
