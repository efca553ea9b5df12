#!/usr/bin/env bash
# What each decode GEMV kernel asks of a GPU per MX block of 32 weights,
# counted in its PTX without a GPU (a prediction, not a measurement):
#   bash benchmarks/gpu/ptx-count.sh [BUILD_DIR]   (default: build)
# For every format's batch-1 kernel (sm_90): PTX instructions of the whole
# kernel divided by the blocks its code decodes (the blocks of one step of
# the loop: kGemvBlocksInFlight = 4, plus the remainder loop's one where
# the kernel has it), by class: integer (and/or/xor/shl/shr/prmt, the
# decode), cvt (f16 -> f32 and FP8 conversions), fma, 16-byte and narrower
# global loads, shared-memory loads; and ptxas's registers and spills.
# Then the tensor-core GEMM's instructions in its code, which holds the loop
# body (a thread's step of 64 of k) once: its mma.sync, the ldmatrix that
# load their fragments, other shared loads, the staging's shared stores, the bf16 roundings, the
# global loads (10 or 11 a step; the other 32 are the epilogue's residual
# reads, once per kernel) and the decode's integer operations.
set -euo pipefail
build=${1:-build}
toolkit=${MXC_CUDA_TOOLKIT:-/usr/local/cuda}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bin/mxc-kernels" --chip=sm_90 --batches=1 --gemm -o "$tmp/k.ptx"
"$toolkit/bin/ptxas" -arch=sm_90 -v "$tmp/k.ptx" -o "$tmp/k.o" \
  2> "$tmp/ptxas.txt"
echo "| kernel | blocks in the code | integer | cvt | fma | global loads | shared loads | registers | spill bytes |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in mxfp8_e4m3 mxfp8_e5m2 mxfp6_e2m3 mxfp6_e3m2 mxfp4 mxint8; do
  name=mx_gemv_${f}_b1
  awk "/\\.entry $name\\(/,/^}/" "$tmp/k.ptx" > "$tmp/$f.ptx"
  count() { grep -cE "^[[:space:]]+($1)" "$tmp/$f.ptx" || true; }
  # Blocks decoded in the code: each loads its E8M0 scale byte.
  blocks=$(count 'ld\.global\.(u8|b8)')
  int=$(count '(and|or|xor|shl|shr|prmt|lop3)\.b32|shr\.u32|shr\.s32')
  cvt=$(count 'cvt\.(f32\.f16|rn\.f16x2\.e4m3x2|rn\.f32\.s16|rn\.f32\.s32)')
  fma=$(count 'fma\.rn\.f32')
  global=$(count 'ld\.global')
  shared=$(count 'ld\.shared')
  props=$(grep -A3 "entry function '$name'" "$tmp/ptxas.txt")
  regs=$(sed -nE 's/.*Used ([0-9]+) registers.*/\1/p' <<< "$props")
  spill=$(sed -nE 's/.* ([0-9]+) bytes spill stores.*/\1/p' <<< "$props")
  awk -v n="$name" -v b="$blocks" -v i="$int" -v c="$cvt" -v f="$fma" \
    -v g="$global" -v s="$shared" -v r="$regs" -v sp="$spill" 'BEGIN {
      printf "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s |\n",
        n, b, i / b, c / b, f / b, g / b, s / b, r, sp }'
done
echo
echo "| GEMM kernel (its code: one step of 64 of k, the epilogue) | mma.sync | ldmatrix.x4 | other shared loads | shared stores | cvt to bf16x2 | global loads | integer | registers | spill bytes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for f in mxfp8_e4m3 mxfp8_e5m2 mxfp6_e2m3 mxfp6_e3m2 mxfp4 mxint8; do
  name=mx_gemm_${f}
  awk "/\\.entry $name\\(/,/^}/" "$tmp/k.ptx" > "$tmp/$f.ptx"
  count() { grep -cE "^[[:space:]]+($1)" "$tmp/$f.ptx" || true; }
  props=$(grep -A3 "entry function '$name'" "$tmp/ptxas.txt")
  echo "| $name | $(count 'mma\.sync') | $(count 'ldmatrix') |" \
    "$(count 'ld\.shared') |" \
    "$(count 'st\.shared') | $(count 'cvt\.rn\.bf16x2') |" \
    "$(count 'ld\.global') |" \
    "$(count '(and|or|xor|shl|shr|prmt|lop3)\.b32|shr\.u32|shr\.s32') |" \
    "$(sed -nE 's/.*Used ([0-9]+) registers.*/\1/p' <<< "$props") |" \
    "$(sed -nE 's/.* ([0-9]+) bytes spill stores.*/\1/p' <<< "$props") |"
done
