#!/bin/sh
# Installs the Debian packages tanne builds, tests and fuzzes with (LAMMPS,
# the KIM API and cmake for the KIM driver in kim/; kim-api-collections-
# management refuses to run, even for local items, without curl or wget).
# Runs apt-get through sudo unless already root.
set -e
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential clang clang-format pkg-config \
  libhdf5-dev hdf5-tools zlib1g-dev libyaml-dev libopenblas-dev \
  openmpi-bin libopenmpi-dev \
  lammps libkim-api-dev libkim-api2 cmake xxd curl \
  python3 python3-numpy python3-ase python3-h5py >/dev/null
echo "install-deps: packages installed"
