#!/usr/bin/env bash
# Newcomer's first command: install the dependencies, build mxc, and run the
# main job on the bundled example: a small Llama-shaped model with seeded
# random weights (written by mxc-example-model), compiled with MXFP4 weights
# and run on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps
cmake --preset default
cmake --build build

echo
echo "== mxc-example-model build/example =="
build/bin/mxc-example-model build/example
echo
echo "== mxc-run build/example/model.bin --passes 'mxc-rtn{format=mxfp4}' (compiled logits vs the reference) =="
build/bin/mxc-run build/example/model.bin --prompt "Once upon a time" \
  --passes "mxc-rtn{format=mxfp4}" --steps 24 | od -c | sed -n 1,4p
build/bin/mxc-run build/example/model.bin --prompt "Once upon a time" \
  --check-logits 1e-3
echo
echo "== mxc-opt examples/mx-layer.mlir (the dialect) =="
build/bin/mxc-opt examples/mx-layer.mlir --cse | sed -n 1,12p
