#!/usr/bin/env bash
# Installs the Debian packages Brittle needs, once: only what is missing is installed.
# Needs root (or sudo) on Debian/Ubuntu. Swift 6.x must already be on PATH.
set -euo pipefail
pkgs=(
  libarchive-dev libzstd-dev pkg-config   # bundles: libarchive with zstd
  libssl-dev                              # bundles: SHA-256 from libcrypto (SHA-NI)
  dataset-fashion-mnist                   # the default data (/usr/share/datasets/fashion-mnist)
  libcairo2-dev libpng-dev                # figures
  libopenblas-dev                         # GEMM benchmark reference only (loaded at run time)
  binutils util-linux zstd libarchive-tools  # readelf/nm/objdump, flock, interop checks
  python3-numpy                           # interop tests read bundles with numpy
  slurmctld slurmd slurm-client munge     # single-node Slurm cluster for the slurm executor's tests (scripts/slurm-local.sh)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift not found on PATH; install Swift 6.x (swift.org) first" >&2; exit 1; }
