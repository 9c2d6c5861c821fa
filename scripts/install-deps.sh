#!/bin/sh
# Installs the Debian packages tanne builds, tests and fuzzes with.
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
  python3 python3-numpy python3-ase python3-h5py >/dev/null
echo "install-deps: packages installed"
