#!/usr/bin/env bash
# The whole test suite, from a fresh clone: dependencies, build, unit + CLI tests, every fuzz
# target briefly (libFuzzer + ASan, under 2 minutes of fuzzing in all) and the binary checks
# (one copy of the kit; FMA in the GEMM kernel). What CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# A real single-node Slurm cluster for SlurmClusterTests; one this run started is stopped
# however the suite ends (a cluster that already ran is left running for its other users).
if ! { [ -e /etc/slurm/slurm.conf ] && scontrol ping 2>/dev/null | grep -q ' is UP'; }; then
  bash scripts/slurm-local.sh start
  trap 'bash scripts/slurm-local.sh stop' EXIT
fi
swift build
bash scripts/check-docs.sh   # every public symbol of BrittlePlugins and BrittleConformance documented (~10 s)
swift test
bash scripts/fuzz-all.sh
bash scripts/check-layout.sh
