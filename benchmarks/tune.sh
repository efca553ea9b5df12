#!/usr/bin/env bash
# Global tuning (recipe key tune=) on the shared stories260K model: per
# recipe, with and without tuning, the dev-text perplexity and mean KL from
# the float model (mxc-run, the compiled model on the CPU), and what tuning
# did on the calibration windows (KL start -> end, seconds). Calibration and
# tuning on all of tinystories_calib.txt, evaluation on tinystories_dev.txt.
#   bash benchmarks/tune.sh [build-dir] [steps] [max-windows] [recipe...]
# (the recipes, without tune=; default: the list below, each without and
# with tuning)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-290}
windows=${3:-0}
source benchmarks/model-common.sh

float_ppl=4.5845
echo "| recipe | perplexity | vs float | mean KL | tuning: calibration KL | tuning s |"
echo "|--------|------------|----------|---------|------------------------|----------|"
run() { # recipe
  local err out
  err=$(mktemp)
  out=$("$build/bin/mxc-run" "$model" --recipe "$1" --calibrate "$calib" \
    --perplexity "$dev" --max-windows "$windows" --kl 2>"$err")
  ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' <<<"$out")
  kl=$(sed -n 's/^mean KL from the float model \([0-9.]*\).*/\1/p' <<<"$out")
  local tuned seconds
  tuned=$(sed -n 's/.*KL from the float model \([0-9.]*\) -> \([0-9.]*\) on the calibration windows.*/\1 -> \2/p' "$err")
  seconds=$(sed -n 's/.*kept) in \([0-9.]*\) s$/\1/p' "$err")
  rm -f "$err"
  local rel
  rel=$(awk -v p="$ppl" -v f="$float_ppl" 'BEGIN { printf "%+.1f %%", 100 * (p / f - 1) }')
  echo "| $1 | $ppl | $rel | $kl | ${tuned:--} | ${seconds:--} |"
}
shift $(( $# < 3 ? $# : 3 ))
if [ $# -gt 0 ]; then
  for r in "$@"; do run "$r"; run "$r,tune=$steps"; done
  exit 0
fi
run w4
run "w4,tune=$steps,tune-what=weights"
run "w4,tune=$steps,tune-what=norms"
run "w4,tune=$steps"
run w4-gptq
run "w4-gptq,tune=$steps"
run w4a8
run "w4a8,tune=$steps"
run "w4a8,softmax-bits=2"
run "w4a8,softmax-bits=2,tune=$steps"
run "w4,keep=classifier:mxfp6_e2m3"
run "w4,keep=classifier:mxfp6_e2m3,tune=$steps"
run w4-smooth-gptq
run "w4-smooth-gptq,tune=$steps"
run w4a8-smooth-gptq-sm2
run "w4a8-smooth-gptq-sm2,tune=$steps"
