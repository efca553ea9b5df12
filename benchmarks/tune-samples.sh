#!/usr/bin/env bash
# Global tuning on the calibration text plus samples of the float model
# (scripts/sample-text.sh), measured on the dev text and on a held-out text:
# samples of the float model from other seeds and prompts (the dev text's
# lines), which neither tuning nor any choice of a recipe's keys saw. Per
# recipe: perplexity and mean KL from the float model on both texts, and the
# calibration KL the tuning kept. Long: each recipe tunes for minutes.
#   bash benchmarks/tune-samples.sh [build-dir] [samples] [steps] [recipe...]
# (default: 1000 samples, 3480 steps, the recipes of issue 21's targets)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
samples=${2:-1000}
steps=${3:-3480}
source benchmarks/model-common.sh
shift $(($# < 3 ? $# : 3))
recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=(
  "w4,scales=mse"
  "w4,keep=classifier:mxfp6_e2m3,scales=mse"
  "w4a8-smooth-gptq-sm2"
)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export MXC_BIN=$build/bin
echo "sampling $samples tuning texts and 200 held-out ones" >&2
bash scripts/sample-text.sh "$model" "$samples" "$scratch/samples.txt" "$calib"
MXC_SAMPLE_SEED=1000001 bash scripts/sample-text.sh "$model" 200 \
  "$scratch/heldout.txt" "$dev"
cat "$calib" "$scratch/samples.txt" > "$scratch/tune.txt"

evaluate() { # artifact text -> "perplexity kl"
  local out
  out=$("$build/bin/mxc-run" "$1" --perplexity "$2" --kl-reference "$model" \
    --quiet)
  echo "$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/^mean KL from the float model \([0-9.]*\).*/\1/p' <<<"$out")"
}
rel() { awk -v p="$1" -v f="$2" 'BEGIN { printf "%+.1f %%", 100 * (p / f - 1) }'; }

"$build/bin/mxc-compile" "$model" --recipe float --quiet -o "$scratch/float.mxc"
read -r float_dev _ < <(evaluate "$scratch/float.mxc" "$dev")
read -r float_held _ < <(evaluate "$scratch/float.mxc" "$scratch/heldout.txt")
echo "| recipe | tuning | dev perplexity | dev KL | held-out perplexity | held-out KL | calibration KL: start -> kept (step) | tuning s |"
echo "|---|---|---|---|---|---|---|---|"
echo "| float | - | $float_dev | 0 | $float_held | 0 | - | - |"
for recipe in "${recipes[@]}"; do
  for tuned in "" ",tune=$steps"; do
    log=$scratch/compile.log
    "$build/bin/mxc-compile" "$model" --recipe "$recipe$tuned" \
      --calibrate "$scratch/tune.txt" -o "$scratch/model.mxc" 2> "$log"
    read -r dev_ppl dev_kl < <(evaluate "$scratch/model.mxc" "$dev")
    read -r held_ppl held_kl < <(evaluate "$scratch/model.mxc" \
      "$scratch/heldout.txt")
    kept=$(sed -n 's/.*KL from the float model \([0-9.]*\) -> \([0-9.]*\) on .*calibration windows (step \([0-9]*\).*/\1 -> \2 (\3)/p' "$log")
    seconds=$(sed -n 's/.*kept) in \([0-9.]*\) s$/\1/p' "$log")
    echo "| $recipe | $([ -n "$tuned" ] && echo "$steps steps" || echo none) |" \
      "$dev_ppl ($(rel "$dev_ppl" "$float_dev")) | $dev_kl |" \
      "$held_ppl ($(rel "$held_ppl" "$float_held")) | $held_kl |" \
      "${kept:--} | ${seconds:--} |"
  done
done
