#!/usr/bin/env bash
# The main job, from a fresh clone: dependencies, a release build, then train cnn-small on
# Fashion-MNIST and print its test accuracy. Extra arguments go to `brittle train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release
exec .build/release/brittle train --arch cnn-small --dataset fashion-mnist --epochs 10 --seed 0 --out runs/cnn-small "$@"
