#!/usr/bin/env bash
# Newcomer's first command: install the dependencies, build mxc, and run the
# main job on the bundled example: a small Llama-shaped model with seeded
# random weights (written by mxc-example-model), compiled by mxc-compile with
# the w4a8 + SmoothQuant + GPTQ + 2-bit-softmax recipe and run by mxc-run on
# the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
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
echo "(The example model has random weights and 821 tokens of evaluation text:"
echo " its perplexity is near the vocabulary size and a few percent either way"
echo " is noise. A trained model shows the real cost, as stories260K does below.)"
echo
echo "== mxc-run build/example/model.mxc (KV-cached generation; random weights, so the text is noise) =="
build/bin/mxc-run build/example/model.mxc --prompt "Once upon a time" --steps 24 --quiet | cat -v
shared=../shared/models/stories260K
if [ -f "$shared/stories260K.bin" ]; then
  echo
  echo "== the trained stories260K (../shared): float, then RTN MXFP4 weights (w4), then a story from w4 =="
  build/bin/mxc-compile "$shared/stories260K.bin" --recipe w4 -o build/example/stories260K-w4.mxc
  for model in "$shared/stories260K.bin" build/example/stories260K-w4.mxc; do
    build/bin/mxc-run "$model" --perplexity ../shared/data/tinystories_dev.txt --max-windows 8 --quiet
  done
  build/bin/mxc-run build/example/stories260K-w4.mxc --steps 60 --quiet
fi
echo
echo "== mxc-run build/example/model.bin --check-logits (prefill and decode vs the C++ reference) =="
build/bin/mxc-run build/example/model.bin --prompt "Once upon a time" \
  --check-logits 1e-3
echo
echo "== mxc-opt examples/mx-layer.mlir (the dialect) =="
build/bin/mxc-opt examples/mx-layer.mlir --cse | sed -n 1,12p
echo
echo "quickstart done in $((SECONDS - start)) s"
