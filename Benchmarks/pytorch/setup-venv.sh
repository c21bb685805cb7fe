#!/usr/bin/env bash
# Makes the throwaway virtualenv with PyTorch CPU that `brittle-bench` compares against.
# A benchmark reference only: no test and no Brittle command needs it.
#   bash Benchmarks/pytorch/setup-venv.sh [DIR]      (default: /tmp/brittle-torch-venv)
# Then `brittle-bench train|attack|invert|epoch` find DIR/bin/python on their own (or pass
# --torch-python PATH / set BRITTLE_TORCH_PYTHON). PyPI's Linux wheel of torch pulls the CUDA
# libraries too (about 5 GB installed); only its CPU kernels are used. Delete DIR when done.
set -euo pipefail
dir="${1:-/tmp/brittle-torch-venv}"
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import torch' 2>/dev/null; then
  echo "PyTorch already in $dir: $("$dir/bin/python" -c 'import torch; print(torch.__version__)')"
  exit 0
fi
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --upgrade pip
"$dir/bin/pip" install --quiet torch numpy
echo "PyTorch $("$dir/bin/python" -c 'import torch; print(torch.__version__)') in $dir"
