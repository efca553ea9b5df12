# Sourced by the model-quality benchmarks: the shared model and texts, and
# `measure ARGS...`, which runs mxc-run on the dev text with the float-model
# KL and sets $ppl and $kl.
#   usage in a script: build=...; windows=...; source model-common.sh
model=../shared/models/stories260K/stories260K.bin
calib=../shared/data/tinystories_calib.txt
dev=../shared/data/tinystories_dev.txt
[ -f "$model" ] || { echo "no shared model at $model" >&2; exit 1; }

measure() {
  local out
  out=$("$build/bin/mxc-run" "$model" "$@" --perplexity "$dev" \
    --max-windows "$windows" --kl)
  ppl=$(sed -n 's/^perplexity \([0-9.]*\).*/\1/p' <<<"$out")
  kl=$(sed -n 's/^mean KL from the float model \([0-9.]*\).*/\1/p' <<<"$out")
}
