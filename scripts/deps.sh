#!/usr/bin/env bash
# Install the Debian packages xpnn needs, now and for the issues to come.
#
# Idempotent: asks dpkg which packages are missing and installs only those.
# As root it runs apt-get itself (apt-get update only when something is
# missing); otherwise it prints the exact command and exits non-zero.
#
# Usage: scripts/deps.sh [--check]
#   --check   only report; exit 1 if anything is missing
set -euo pipefail

PKGS=(
  build-essential pkg-config make gcc g++
  cppcheck            # make lint
  python3             # tests/indep: independent implementation of docs/numerics.md
  valgrind            # make bench: repeatable instruction counts
  libcmocka-dev       # unit tests
  zlib1g-dev          # gzip'd IDX datasets
  libopenblas-dev     # digital twin (cblas_sgemm)
  libjansson-dev      # JSON: safetensors headers, configs, --json output
  libftdi1-dev        # ftdi:// transport
  libsystemc-dev      # board-level virtual platform
  verilator           # RTL lint and co-simulation
  yosys nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb openfpgaloader
  dataset-fashion-mnist
)

case "${1:-}" in
  ""|--check) ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "deps.sh: unknown argument '$1' (expected --check or nothing)" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#PKGS[@]} packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "${1:-}" = "--check" ]; then
  echo "deps.sh: missing: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "deps.sh: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]}
