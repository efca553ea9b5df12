#!/usr/bin/env bash
# Newcomer's first command: install the dependencies, build mxc, and run the
# main job on the bundled example: a small Llama-shaped model with seeded
# random weights (written by mxc-example-model), compiled by mxc-compile with
# the w4a8 + SmoothQuant + GPTQ + 2-bit-softmax recipe and run by mxc-run on
# the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps
cmake --preset default
cmake --build build

echo
echo "== mxc-example-model build/example =="
build/bin/mxc-example-model build/example
echo
echo "== mxc-compile build/example/model.bin --recipe w4a8-smooth-gptq-sm2 -o build/example/model.mxc --report =="
build/bin/mxc-compile build/example/model.bin --recipe w4a8-smooth-gptq-sm2 \
  --calibrate examples/story.txt --eval examples/story.txt --report \
  -o build/example/model.mxc | sed -n '1,4p;/Global effect/,/mean KL/p;/Predicted/,$p'
echo
echo "== mxc-run build/example/model.mxc (KV-cached generation; random weights, so the text is noise) =="
build/bin/mxc-run build/example/model.mxc --prompt "Once upon a time" --steps 24 |
  od -c | sed -n 1,4p
echo
echo "== mxc-run build/example/model.bin --check-logits (prefill and decode vs the C++ reference) =="
build/bin/mxc-run build/example/model.bin --prompt "Once upon a time" \
  --check-logits 1e-3
echo
echo "== mxc-opt examples/mx-layer.mlir (the dialect) =="
build/bin/mxc-opt examples/mx-layer.mlir --cse | sed -n 1,12p
