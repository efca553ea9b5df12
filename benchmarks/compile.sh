#!/usr/bin/env bash
# Prints how long mxc-compile takes and how much memory it needs: wall time,
# CPU time and peak resident memory, per model and recipe, with the share of
# the wall time of each stage (from --mlir-timing). Models: the shared
# stories260K (every preset; GPTQ on the whole calibration text) and
# random-weight Llama checkpoints of realistic shapes that this script writes
# with a fixed seed (mxc-example-model): 6.3M and 85M parameters (llama2.c,
# float32), and with MXC_BENCH_1B=1 a ~1.1B one (dim 2048, 22 layers, bf16
# HuggingFace safetensors). mxc-compile calibrates and quantizes one layer at
# a time (--layerwise); one row shows the whole-model calibration beside it.
#   bash benchmarks/compile.sh [build-dir]
# Environment: MXC_BENCH_DIR (scratch space, default /tmp/mxc-bench),
# MXC_BENCH_THREADS (--threads, default 0: every core), MXC_BENCH_1B=1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scratch=${MXC_BENCH_DIR:-/tmp/mxc-bench}
threads=${MXC_BENCH_THREADS:-0}
calib=../shared/data/tinystories_calib.txt
shared=../shared/models/stories260K/stories260K.bin
[ -f "$shared" ] || { echo "no shared model at $shared" >&2; exit 1; }
mkdir -p "$scratch"

# name dim hidden layers heads format
shape() {
  local dir=$scratch/$1
  [ -f "$dir/done" ] && return
  "$build/bin/mxc-example-model" "$dir" --seed 7 --dim "$2" --hidden-dim "$3" \
    --layers "$4" --heads "$5" --kv-heads "$5" --vocab 512 --seq-len 256 \
    --format "$6" > /dev/null
  touch "$dir/done"
}
shape m6 288 768 6 6 llama2c
shape m85 768 2048 12 12 llama2c
[ "${MXC_BENCH_1B:-0}" = 1 ] && shape m1b 2048 5632 22 16 hf-bf16

echo "| model | weights | recipe | windows | wall s | CPU s | peak MiB | peak / weights | load | calibrate | quantize | lower | write |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# model-path label weights-bytes recipe windows [mxc-compile flags...]
run() {
  local args=("$1" --recipe "$4" --threads "$threads" --quiet
    --mlir-timing -o "$scratch/out.mxc" "${@:6}")
  if [ "$5" != "-" ]; then
    args+=(--calibrate "$calib")
    [ "$5" != all ] && args+=(--calibration-windows "$5")
  fi
  /usr/bin/time -f "%e %U %S %M" -o "$scratch/time" \
    "$build/bin/mxc-compile" "${args[@]}" 2> "$scratch/timing"
  read -r wall user sys rss < "$scratch/time"
  # --mlir-timing's tree: "wall (share%)  stage" at the top level, the
  # passes indented below; with threads on, a user-time column comes first.
  # The wall shares of the matching top-level stages are summed.
  share() {
    awk -v pattern="$1" '
      match($0, /\( *[0-9.]+%\)  [^ ][^%]*$/) && $0 ~ pattern {
        sub(/%\)  [^ ][^%]*$/, ""); sub(/.*\( */, ""); sum += $0 + 0 }
      END { printf "%.0f %%", sum }' "$scratch/timing"
  }
  local load calibrate quantize lower write
  load=$(share "load the checkpoint|build the model")
  calibrate=$(share "calibrate|read the calibration text")
  quantize=$(share "quantizing")
  lower=$(share "lowering")
  write=$(share "write the output")
  awk -v m="$2" -v wb="$3" -v r="$4" -v w="$5" -v wall="$wall" -v user="$user" \
    -v sys="$sys" -v rss="$rss" -v l="$load" -v c="$calibrate" \
    -v q="$quantize" -v lo="$lower" -v wr="$write" -v flags="${*:6}" 'BEGIN {
      if (flags != "") r = r " " flags
      printf "| %s | %.0f MiB | %s | %s | %.1f | %.1f | %.0f | %.2fx | %s | %s | %s | %s | %s |\n",
        m, wb / 1048576, r, w, wall, user + sys, rss / 1024,
        rss * 1024 / wb, l, c, q, lo, wr }'
}

bytes() { stat -c %s "$1"; }
for preset in float w8 wint8 w6 w4 w4a8; do
  run "$shared" stories260K "$(bytes "$shared")" "$preset" -
done
for preset in w6-gptq w6a8-smooth-gptq w6a8-smooth-gptq-sm2 w4-gptq \
  w4-smooth-gptq w4a8-smooth-gptq w4a8-smooth-gptq-sm2; do
  run "$shared" stories260K "$(bytes "$shared")" "$preset" all
done
for m in m6 m85; do
  path=$scratch/$m/model.bin
  run "$path" "$m" "$(bytes "$path")" w4 -
  run "$path" "$m" "$(bytes "$path")" w4a8-smooth-gptq 16
done
# The whole model calibrated first, as before the layer-by-layer compile.
path=$scratch/m85/model.bin
run "$path" m85 "$(bytes "$path")" w4a8-smooth-gptq 16 --layerwise=false
if [ "${MXC_BENCH_1B:-0}" = 1 ]; then
  path=$scratch/m1b
  run "$path" 1B-bf16 "$(bytes "$path/model.safetensors")" w4 -
  run "$path" 1B-bf16 "$(bytes "$path/model.safetensors")" w4-gptq 8
fi
