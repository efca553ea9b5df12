#!/usr/bin/env bash
# On the GPU machine, in the bundle that scripts/gpu-bundle.sh builds: the
# kernel tests, the benchmark tables, the PyTorch peers, then each model
# compiled for CUDA, checked against the CPU path's logits and timed, and
# the same model in PyTorch (float32, eager), checked and timed the same way.
set -uo pipefail
cd "$(dirname "$0")"
./mxc-gpu-runner test
status=$?
./mxc-gpu-runner bench
python3 torch_baseline.py || echo "(PyTorch baseline unavailable)"
for model in models/*.so; do
  [[ -e $model ]] || continue
  ./mxc-gpu-runner model "$model" "${model%.so}.ref" || status=$?
done
if [[ -f models/stories260K.bin ]]; then
  python3 torch_model.py models/stories260K.bin models/stories260K-float.ref ||
    echo "(PyTorch model peer unavailable)"
fi
exit $status
