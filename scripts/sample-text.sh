#!/usr/bin/env bash
# Text sampled from the float model, to tune on (recipe key tune=) beside the
# calibration text: self-distillation data, as LLM-QAT generates its own
# from the model. With little calibration text the tuner fits its windows
# and not unseen text (docs/tuning.md); sampled text adds windows whose
# next-token distributions the float model defines.
#   bash scripts/sample-text.sh MODEL COUNT OUT [PROMPTS]
# MODEL: a checkpoint (compiled here in float) or a float model from
# mxc-compile; the tools from MXC_BIN (default build/bin). COUNT samples of
# up to MXC_SAMPLE_STEPS tokens (default 480), temperature 1 from the whole
# distribution (no top-k, top-p or min-p: mxc-run's defaults would sharpen
# it), seeds FIRST..FIRST+COUNT-1 (FIRST: MXC_SAMPLE_SEED, default 1;
# another range gives other text, e.g. held out from tuning), each after a
# prompt: the first three words of the next non-empty line of the text file
# PROMPTS (default: "Once upon a time", TinyStories' opening). Then, for
# example:
#   cat CALIB.txt OUT > more.txt
#   mxc-compile MODEL --recipe w4,tune=870 --calibrate more.txt -o m.mxc
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || {
  echo "usage: bash scripts/sample-text.sh MODEL COUNT OUT [PROMPTS]" >&2
  exit 1
}
model=$1 count=$2 out=$3 prompts=${4:-}
bin=${MXC_BIN:-build/bin}
steps=${MXC_SAMPLE_STEPS:-480}
first=${MXC_SAMPLE_SEED:-1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifact=$model
if [ "${model##*.}" != mxc ]; then
  artifact=$scratch/float.mxc
  "$bin/mxc-compile" "$model" --recipe float --quiet -o "$artifact"
fi
starts=()
if [ -n "$prompts" ]; then
  while read -r a b c _; do
    [ -n "$a" ] && starts+=("$a ${b:-} ${c:-}")
  done < "$prompts"
fi
: > "$out"
for i in $(seq 1 "$count"); do
  prompt="Once upon a time"
  [ ${#starts[@]} -gt 0 ] && prompt=${starts[$(( (i - 1) % ${#starts[@]} ))]}
  "$bin/mxc-run" "$artifact" --prompt "$prompt" --steps "$steps" \
    --temperature 1 --top-k 0 --top-p 1 --min-p 0 \
    --seed "$(( first + i - 1 ))" >> "$out" 2> /dev/null
  echo >> "$out"
  [ $(( i % 50 )) = 0 ] && echo "sample-text: $i of $count" >&2
done
echo "sample-text: $count samples, $(wc -c < "$out") bytes in $out" >&2
