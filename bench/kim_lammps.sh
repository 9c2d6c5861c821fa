#!/bin/sh
# bench/kim_lammps.sh MODEL.tnm DATA.xyz STEPS [RANKS]
# Times LAMMPS NVE molecular dynamics with pair_style kim over a tanne model:
# installs the driver and model into a temporary KIM collection (removed
# afterwards), starts from the first frame of DATA.xyz (a periodic box) at
# 90 K, 1 fs steps, and prints microseconds per atom per step from LAMMPS's
# loop time (the whole step: pair, neighbor lists, communication). RANKS > 1
# runs under mpirun, one OpenMP thread each; 1 rank gets OMP_NUM_THREADS, or
# else every core (LAMMPS drops to one thread when the variable is unset,
# which would halve the driver's speed against tanne md). TANNE_LIB picks the
# library (default build/libtanne.a, float32; build-double/libtanne.a for
# float64).
set -e
[ $# -ge 3 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
MODEL=$1 DATA=$2 STEPS=$3 RANKS=${4:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=${TANNE_LIB:-$ROOT/build/libtanne.a}
NAME=tanne_bench__MO_000000000000_000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tanne-kim-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export KIM_API_CONFIGURATION_FILE="$WORK/kim-api-config"
export KIM_API_MODEL_DRIVERS_DIR="$WORK/kim/model-drivers"
export KIM_API_PORTABLE_MODELS_DIR="$WORK/kim/portable-models"
"$ROOT/kim/install-model" "$MODEL" $NAME --collection "$WORK/kim" --lib "$LIB" \
  > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; exit 1; }
ELEMENTS=$("$ROOT/kim/xyz2lammps" "$DATA" "$WORK/box.data")
cat > "$WORK/in.lmp" <<LAMMPS
units metal
atom_style atomic
boundary p p p
kim init $NAME metal
read_data $WORK/box.data
kim interactions $ELEMENTS
velocity all create 90.0 12345 mom yes rot yes
fix nve all nve
timestep 0.001
thermo 100
run $STEPS
LAMMPS
LMP="lmp -in $WORK/in.lmp -log none"
if [ "$RANKS" -gt 1 ]; then
  export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  LMP="mpirun --oversubscribe -np $RANKS $LMP"
else
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
fi
(cd "$WORK" && $LMP) > "$WORK/lmp.out" 2>&1 || { tail -30 "$WORK/lmp.out"; exit 1; }
# "Loop time of T on P procs for N steps with A atoms"
grep '^Loop time' "$WORK/lmp.out" | tail -1 | awk -v m="$(basename "$MODEL")" '{
  t = $4; p = $6; n = $9; a = $12
  printf "kim_lammps %s: %d atoms, %d steps, %d procs (ranks x threads): %.3f us/atom/step (%.2f s)\n",
         m, a, n, p, t / n / a * 1e6, t }'
