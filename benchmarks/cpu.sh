#!/usr/bin/env bash
# Prints the CPU speed of compiled models beside llama.cpp on the same
# weights: prompt processing (prefill) and generation (decode) tokens/s, and
# start-up time, medians over alternated runs, with the ratio mxc/llama.cpp.
#   bash benchmarks/cpu.sh [build-dir] [repeats]
# Models: the shared stories260K and random-weight Llama checkpoints that the
# script writes with a fixed seed (mxc-example-model): 6.3M (dim 288, 6
# layers, hidden 768) and 85M (dim 768, 12 layers, hidden 2048), vocab 512.
# Weights: float (llama.cpp: the F32 GGUF mxc exports) and MXFP4 RTN
# (llama.cpp: the GGUF MXFP4 mxc exports, the same codes bit for bit), the
# latter also with MXINT8 activations (w4,activations=mxint8: mxc's decode
# then multiplies 8-bit integers, as llama.cpp does with the activations it
# quantizes to 8 bits itself; beside the same llama.cpp MXFP4 run);
# MXFP8, MXINT8 and w4a8 on mxc alone (llama.cpp has no such types), and
# w4a8 with the -sm2 presets' 2-bit EXAQ softmax (mxc alone: beside its w4a8
# row, what the quantized softmax costs or saves).
# The peer is node-llama-cpp 3.21.1's prebuilt llama.cpp CPU backend
# (peer/llama-speed.mjs). Both run at 1 and 2 threads (mxc-run --threads),
# mxc then llama.cpp for each count, the pairs alternated over the repeats.
# Start-up: mxc, from the start of the mxc-run process to the model ready to
# run (reading the artifact and linking its native code: model_ready_seconds
# of --json); llama.cpp, model load and context creation inside the Node
# process.
# Environment: MXC_BENCH_DIR (scratch, default /tmp/mxc-bench),
# MXC_BENCH_1B=0 (skip the ~1.1B model: dim 2048, 22 layers, hidden 5632,
# bf16 HuggingFace; MXFP4 decode only, an 8-token prompt).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeats=${2:-3}
scratch=${MXC_BENCH_DIR:-/tmp/mxc-bench}
shared=../shared/models/stories260K/stories260K.bin
dev=../shared/data/tinystories_dev.txt
[ -f "$shared" ] || { echo "no shared model at $shared" >&2; exit 1; }
[ -d peer/node_modules/node-llama-cpp ] || {
  echo "no llama.cpp peer: npm ci --prefix peer" >&2; exit 1; }
mkdir -p "$scratch"

shape() { # name dim hidden layers heads format
  local dir=$scratch/$1
  [ -f "$dir/done" ] && return
  "$build/bin/mxc-example-model" "$dir" --seed 7 --dim "$2" --hidden-dim "$3" \
    --layers "$4" --heads "$5" --kv-heads "$5" --vocab 512 --seq-len 256 \
    --format "${6:-llama2c}" > /dev/null
  touch "$dir/done"
}
shape m6 288 768 6 6
shape m85 768 2048 12 12
# ~1.1B (as benchmarks/compile.sh's): decode only; MXC_BENCH_1B=0 skips it.
[ "${MXC_BENCH_1B:-1}" = 1 ] && shape m1b 2048 5632 22 16 hf-bf16

median() { sort -g | awk '{v[NR] = $1} END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }

# Prompts of about 120 tokens from the dev text: stories260K's tokenizer
# takes about 4.3 bytes per token, the random models' byte tokenizer one.
head -c 520 "$dev" > "$scratch/prompt-stories260K.txt"
head -c 119 "$dev" > "$scratch/prompt-bytes.txt"
head -c 7 "$dev" > "$scratch/prompt-short.txt"

echo "| model | weights | threads | mxc prefill tok/s | llama.cpp prefill tok/s | ratio | mxc decode tok/s | llama.cpp decode tok/s | ratio | mxc start s | llama.cpp start s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
# model-path label recipe gguf-recipe steps
bench() {
  local path=$1 label=$2 recipe=$3 ggufRecipe=$4 steps=$5
  local art=$scratch/$label-$recipe.mxc gguf=""
  "$build/bin/mxc-compile" "$path" --recipe "$recipe" --quiet -o "$art"
  if [ "$ggufRecipe" != - ]; then
    gguf=$scratch/$label-$recipe.gguf
    "$build/bin/mxc-compile" "$path" --recipe "$ggufRecipe" --emit=gguf \
      --quiet -o "$gguf"
  fi
  local prompt=$scratch/prompt-bytes.txt promptTokens=120
  [ "$label" = stories260K ] && prompt=$scratch/prompt-stories260K.txt
  # Decode only: a prompt of 8 tokens.
  [ "${6:-}" = decode ] && prompt=$scratch/prompt-short.txt promptTokens=8
  local ms=() mp1=() md1=() mp2=() md2=() lp1=() ld1=() ls1=() lp2=() ld2=() ls2=()
  for _ in $(seq "$repeats"); do
    local json line
    for t in 1 2; do
      json=$("$build/bin/mxc-run" "$art" --prompt-file "$prompt" \
        --steps "$steps" --temperature 0 --threads "$t" --json 2>&1 \
        > /dev/null | tail -1)
      eval "mp$t+=(\"$(field prompt_tokens_per_second <<<"$json")\")"
      eval "md$t+=(\"$(field generation_tokens_per_second <<<"$json")\")"
      ms+=("$(field model_ready_seconds <<<"$json")")
      if [ -n "$gguf" ]; then
        line=$(node peer/llama-speed.mjs "$gguf" --prompt "$promptTokens" --steps "$steps" \
          --threads "$t")
        read -r _ load _ _ _ _ prefill _ _ _ _ decode _ <<<"$line"
        eval "lp$t+=(\"$prefill\") ld$t+=(\"$decode\") ls$t+=(\"$load\")"
      fi
    done
  done
  local msm
  msm=$(printf '%s\n' "${ms[@]}" | median)
  for t in 1 2; do
    local mpm mdm lp=- ld=- ls=- rp=- rd=-
    eval "mpm=\$(printf '%s\n' \"\${mp$t[@]}\" | median)"
    eval "mdm=\$(printf '%s\n' \"\${md$t[@]}\" | median)"
    if [ -n "$gguf" ]; then
      eval "lp=\$(printf '%s\n' \"\${lp$t[@]}\" | median)"
      eval "ld=\$(printf '%s\n' \"\${ld$t[@]}\" | median)"
      eval "ls=\$(printf '%s\n' \"\${ls$t[@]}\" | median)"
      rp=$(awk -v a="$mpm" -v b="$lp" 'BEGIN { printf "%.2f", a / b }')
      rd=$(awk -v a="$mdm" -v b="$ld" 'BEGIN { printf "%.2f", a / b }')
    fi
    if [ "${6:-}" = decode ]; then
      mpm=- lp=- rp=-
    else
      mpm=$(printf '%.1f' "$mpm")
    fi
    printf '| %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %.2f | %s |\n' \
      "$label" "$recipe" "$t" "$mpm" "$lp" "$rp" "$mdm" "$ld" "$rd" "$msm" "$ls"
  done
}

bench "$shared" stories260K float float 64
bench "$shared" stories260K w4 w4 64
for m in m6 m85; do
  # 64 decoded tokens each (m85's were 16 until 2026-12-04: 0.2 s runs
  # whose medians moved with the VM's spells).
  steps=64
  bench "$scratch/$m/model.bin" "$m" float float "$steps"
  bench "$scratch/$m/model.bin" "$m" w4 w4 "$steps"
  bench "$scratch/$m/model.bin" "$m" w4,activations=mxint8 w4 "$steps"
done
sm2=w4a8,softmax-bits=2,softmax-floor=zero,softmax-clip=-4.5
for recipe in w8 wint8 w4a8 "$sm2"; do
  bench "$scratch/m6/model.bin" m6 "$recipe" - 64
done
bench "$shared" stories260K w4a8 - 64
bench "$shared" stories260K "$sm2" - 64
if [ "${MXC_BENCH_1B:-1}" = 1 ]; then
  bench "$scratch/m1b" m1b w4 w4 16 decode
fi

# The memory bound of decode: each token reads every matmul weight once (the
# embedding only one row), at this machine's read bandwidth.
bandwidth=$("$build/bin/mxc-bench-read-bandwidth")
bw1=$(awk '$1 == 1 { print $2 }' <<<"$bandwidth")
bw2=$(awk '$1 == 2 { print $2 }' <<<"$bandwidth")
echo
echo "Read bandwidth: $bw1 GB/s (1 thread), $bw2 GB/s (2 threads)."
echo
echo "| model | weights | weight bytes / token | decode bound 1 thread | decode bound 2 threads |"
echo "|---|---|---|---|---|"
bound() { # label dim hidden layers vocab bits-per-weight
  awk -v d="$2" -v h="$3" -v l="$4" -v v="$5" -v b="$6" -v b1="$bw1" \
      -v b2="$bw2" -v m="$1" -v w="$7" 'BEGIN {
    bytes = (l * (4 * d * d + 3 * d * h) + v * d) * b / 8
    printf "| %s | %s | %.0f MB | %.1f tok/s | %.1f tok/s |\n", m, w,
      bytes / 1e6, b1 * 1e9 / bytes, b2 * 1e9 / bytes }'
}
bound m85 768 2048 12 512 32 float
bound m85 768 2048 12 512 4.25 w4
[ "${MXC_BENCH_1B:-1}" = 1 ] && bound m1b 2048 5632 22 512 4.25 w4
