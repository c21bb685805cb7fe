#!/usr/bin/env bash
# The main job, from a fresh clone: dependencies, a release build, then the paper reproduction
# on Fashion-MNIST (`brittle reproduce all --preset quick`, about 35 minutes on 2 cores, budget 40), ending
# with its report. Extra arguments go to `brittle reproduce` (e.g. --set set_size=3000).
# Rerunning resumes: finished stages are cached in runs/reproduce-quick/stages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release
out=runs/reproduce-quick
.build/release/brittle reproduce all --preset quick --out "$out" "$@"
echo
cat "$out/report.md"
