#!/usr/bin/env bash
# Builds the GPU bundle in build/gpu-bundle: mxc-gpu-runner (the kernels for
# sm_80 and sm_90 and the numerics library inside; it needs only libc,
# libstdc++ and libcuda), run.sh and the PyTorch baseline. On the GPU
# machine: bash build/gpu-bundle/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target mxc-gpu-runner
rm -rf build/gpu-bundle
mkdir -p build/gpu-bundle
cp build/bin/mxc-gpu-runner benchmarks/gpu/run.sh benchmarks/gpu/torch_baseline.py \
  build/gpu-bundle/
du -sh build/gpu-bundle
