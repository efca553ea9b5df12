#!/usr/bin/env bash
# Prints the end-to-end effect of the EXAQ softmax inside the shared
# stories260K model's attention: perplexity and mean KL from the float model
# on the dev text, per bit width, clip (fixed, or chosen per layer by
# mxc-softmax-clip from calibration statistics: analytic, samples or the
# row-aware pooled mode) and floor (clamp, EXAQ's: code 0 is e^clip; or zero:
# code 0 is 0), measured by mxc-run.
#   bash benchmarks/softmax-quality.sh [build-dir] [max-windows]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
windows=${2:-0}
source benchmarks/model-common.sh

echo "| matmuls | softmax bits | clip | floor | perplexity | mean KL (nats/token) |"
echo "|---------|--------------|------|-------|------------|----------------------|"
recipe=float
floor=clamp
run() { # bits clip [mxc-run recipe flags]
  local b="$1" c="$2" f="$floor" cal=()
  shift 2
  # Calibration only where a clip from statistics or the recipe needs it.
  if [[ ! "$c" =~ ^-?[0-9.]+$ || $# -gt 0 ]]; then
    cal=(--calibrate "$calib" --calibration-windows 32)
  fi
  measure --softmax-bits "$b" --softmax-clip "$c" --softmax-floor "$floor" \
    "${cal[@]}" "$@"
  [ "$b" = 0 ] && b="exact" && c="-" && f="-"
  echo "| $recipe | $b | $c | $f | $ppl | $kl |"
}
run 0 -8
for bits in 8 4 3; do
  run $bits -8
  run $bits -16
done
run 3 pooled
for clip in -4 -6 -8 -10 -12 analytic samples pooled; do
  run 2 $clip
done
# A zero floor: code 0 stands for 0 instead of e^clip (softmax-floor=zero).
floor=zero
for clip in -6 -8; do
  run 4 $clip
done
for clip in -5 -6 pooled; do
  run 3 $clip
done
for clip in -4 -4.5 -5 -6 -8 analytic samples pooled; do
  run 2 $clip
done
floor=clamp
# The softmax on top of the weight/activation recipes of the quality table.
recipe="w6a8 (MXFP6 E2M3 weights, GPTQ, α=0.5; MXFP8 inputs)"
for bits in 0 2; do
  run $bits -8 --weights mxfp6_e2m3 --method gptq --smooth 0.5 \
    --activations mxfp8_e4m3
done
floor=zero
run 2 -4.5 --weights mxfp6_e2m3 --method gptq --smooth 0.5 \
  --activations mxfp8_e4m3
floor=clamp
recipe="w4a8 (MXFP4 weights, GPTQ, α=0.5; MXFP8 inputs)"
run 2 -8 --recipe w4a8-smooth-gptq
floor=zero
run 2 -4.5 --recipe w4a8-smooth-gptq
