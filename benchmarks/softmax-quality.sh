#!/usr/bin/env bash
# Prints the end-to-end effect of the EXAQ softmax inside the shared
# stories260K model's attention: perplexity and mean KL from the float model
# on the dev text, per bit width and clip (fixed, or chosen per layer by
# mxc-softmax-clip from calibration statistics), measured by mxc-run.
#   bash benchmarks/softmax-quality.sh [build-dir] [max-windows]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
windows=${2:-0}
model=../shared/models/stories260K/stories260K.bin
calib=../shared/data/tinystories_calib.txt
dev=../shared/data/tinystories_dev.txt
[ -f "$model" ] || { echo "no shared model at $model" >&2; exit 1; }

echo "| softmax bits | clip | perplexity | mean KL (nats/token) |"
echo "|--------------|------|------------|----------------------|"
run() { # bits clip
  local out
  out=$("$build/bin/mxc-run" "$model" --softmax-bits "$1" --softmax-clip "$2" \
    --calibrate "$calib" --calibration-windows 32 --perplexity "$dev" \
    --max-windows "$windows" --kl)
  local ppl kl
  ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' <<<"$out")
  kl=$(sed -n 's/^mean KL from the float model \([0-9.]*\).*/\1/p' <<<"$out")
  local b="$1"; [ "$1" = 0 ] && b="exact"
  local c="$2"; [ "$1" = 0 ] && c="-"
  echo "| $b | $c | $ppl | $kl |"
}
run 0 -8
for bits in 8 4 3; do
  run $bits -8
  run $bits -16
done
for clip in -4 -6 -8 -10 -12 analytic samples; do
  run 2 $clip
done
