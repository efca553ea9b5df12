#!/usr/bin/env bash
# Builds the GPU bundle in build/gpu-bundle: mxc-gpu-runner (the kernels for
# sm_80 and sm_90 and the numerics library inside; it needs only libc,
# libstdc++ and libcuda), the sm_90 kernels as a cubin of their own (for
# cuobjdump), run.sh, the PyTorch baselines and, when the shared
# stories260K model is there (../shared), that model compiled for CUDA
# (sm_90) with two recipes, each with the CPU path's logits to check against,
# and the checkpoint itself for the PyTorch peer; and a 43M random-weight
# model in MXFP4 with its logits.
# On the GPU machine: bash build/gpu-bundle/run.sh [RESULTS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target mxc-gpu-runner mxc-compile mxc-run mxc-kernels
rm -rf build/gpu-bundle
mkdir -p build/gpu-bundle/models
cp build/bin/mxc-gpu-runner benchmarks/gpu/run.sh benchmarks/gpu/torch_baseline.py \
  benchmarks/gpu/torch_model.py build/gpu-bundle/
# The kernels for the SASS dump: every GEMV, the exact and a 2-bit EXAQ
# softmax, the attention at the shared model's, the 85M's and a large head
# dimension.
build/bin/mxc-kernels --chip=sm_90 --format=bin --softmax-bits=0,2 \
  --attention-head-dims=8,64,128 --attention-group-heads=1,4 --attention-split-keys \
  -o build/gpu-bundle/kernels-sm90.cubin
# The prediction to read beside the benchmark: the decode GEMVs' PTX per MX
# block (benchmarks/gpu/ptx-count.sh), counted here where ptxas is.
bash benchmarks/gpu/ptx-count.sh build > build/gpu-bundle/ptx-count.txt
model=../shared/models/stories260K/stories260K.bin
calibration=../shared/data/tinystories_calib.txt
prompt="Once upon a time, there was a little girl named Lily."
if [[ -f $model ]]; then
  # For the PyTorch peer (torch_model.py) of the same model.
  cp "$model" build/gpu-bundle/models/stories260K.bin
  for recipe in float w4a8-smooth-gptq-sm2; do
    out=build/gpu-bundle/models/stories260K-$recipe
    build/bin/mxc-compile "$model" --recipe "$recipe" --calibrate "$calibration" \
      --calibration-windows 16 --target=cuda --chip=sm_90 -o "$out.o"
    /usr/lib/llvm-22/bin/ld.lld -shared -o "$out.so" "$out.o"
    rm "$out.o"
    # The CPU path of the same recipe and calibration gives the reference.
    build/bin/mxc-run "$model" --recipe "$recipe" \
      --calibrate "$calibration" --calibration-windows 16 \
      --prompt "$prompt" --save-logits "$out.ref"
  done
fi
# A random-weight model of realistic width (dim 768, FFN 2048, 12 heads, 6
# layers: 43M parameters, MXFP4: a 26 MB object), the 85M benchmark shape
# with half its layers so that the bundle stays well under what one call to
# the GPU machine carries (64 MiB). No PyTorch peer: its checkpoint would not
# fit.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
build/bin/mxc-example-model "$scratch" --seed 7 --dim 768 --hidden-dim 2048 \
  --layers 6 --heads 12 --kv-heads 12 --vocab 512 --seq-len 256 > /dev/null
out=build/gpu-bundle/models/random-43M-w4
build/bin/mxc-compile "$scratch/model.bin" --recipe w4 --target=cuda \
  --chip=sm_90 --quiet -o "$out.o"
/usr/lib/llvm-22/bin/ld.lld -shared -o "$out.so" "$out.o"
rm "$out.o"
build/bin/mxc-run "$scratch/model.bin" --recipe w4 --prompt "$prompt" \
  --save-logits "$out.ref"
# Its prompt (16 tokens or more) runs the matmuls on the tensor-core GEMM,
# which rounds x to bf16: weight-only MXFP4 keeps x in f32, and the prefill
# logits move by about 2e-2 (2.4e-2 emulated; they spread by about 1).
# MXFP8 activations are exact in bf16: the shared model's need no limit.
echo "--prefill-tolerance 0.1" > "$out.args"
du -sh build/gpu-bundle
