#!/usr/bin/env bash
# On the GPU machine, in the bundle that scripts/gpu-bundle.sh builds: the
# kernel tests, then the benchmark tables, then the PyTorch peers.
set -uo pipefail
cd "$(dirname "$0")"
./mxc-gpu-runner test
status=$?
./mxc-gpu-runner bench
python3 torch_baseline.py || echo "(PyTorch baseline unavailable)"
exit $status
