#!/bin/sh
# bench/md_vs_lammps.sh OUT [STEPS]
# The same systems in LAMMPS (pair_style kim over the tanne KIM driver) as in
# tanne's own MD loop: the random default-size SchNet and the argon boxes of
# 1000 and 10648 atoms that bench_md wrote to OUT, timed by
# bench/kim_lammps.sh on one rank with the machine's OpenMP threads, against
# bench_md's times for them (OUT/md_times.txt) from the same `make bench`.
# Prints both and the ratio. STEPS: LAMMPS steps per box (10).
# Skips, saying why, without lmp or kim-api-collections-management.
set -e
[ $# -ge 1 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OUT=$1 STEPS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in lmp kim-api-collections-management cmake; do
  command -v $tool >/dev/null 2>&1 || { echo "md_vs_lammps: skipped, $tool is absent"; exit 0; }
done
for N in 1000 10648; do
  TANNE_US=$(awk -v n=$N '$1 == "schnet" && $2 == n { print $3 }' "$OUT/md_times.txt")
  [ -n "$TANNE_US" ] || { echo "md_vs_lammps: no SchNet time for $N atoms in $OUT/md_times.txt"; exit 1; }
  LINE=$(sh "$HERE/kim_lammps.sh" "$OUT/md_schnet.tnm" "$OUT/md_box_$N.xyz" "$STEPS")
  echo "$LINE"
  LAMMPS_US=$(echo "$LINE" | sed -n 's/.*: \([0-9.]*\) us\/atom\/step.*/\1/p')
  awk -v n=$N -v t="$TANNE_US" -v l="$LAMMPS_US" 'BEGIN {
    printf "SchNet, %d atoms: tanne md %.2f us/atom/step, LAMMPS pair_style kim %.2f; " \
           "LAMMPS / tanne md = %.2f\n", n, t, l, l / t }'
done
