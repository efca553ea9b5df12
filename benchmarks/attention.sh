#!/usr/bin/env bash
# Prints CPU time of span-sparse vs dense decode attention against the
# fraction of masked context, for masked runs of 16, 64 and 256 tokens.
#   bash benchmarks/attention.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runner=/usr/lib/llvm-22/bin/mlir-runner
libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
H=8 HKV=2 KEYS=4096 D=64 TILE=64 ITERS=5

# Span table of one decode row: masked runs of $1 tokens covering fraction
# $2 of the context; the visible keys between runs are the spans.
spans() {
  awk -v run="$1" -v f="$2" -v keys=$KEYS 'BEGIN {
    period = int(run / f + 0.5); n = 0
    for (s = 0; s < keys; s += period) { start[n] = s + run; end[n] = s + period; n++ }
    printf "dense<[["
    for (i = 0; i < n; i++) printf "%s[%d, %d]", (i ? ", " : ""), start[i], end[i]
    printf "]]> : tensor<1x%dx2xi32>", n
  }'
}

program() { # $1: span table literal or "" for dense
  local table=$1 slots spanarg=""
  if [ -n "$table" ]; then
    slots=$(sed -E 's/.*tensor<1x([0-9]+)x2xi32>.*/\1/' <<<"$table")
    spanarg="spans(%s : tensor<1x${slots}x2xi32>)"
  fi
  cat <<MLIR
memref.global "private" @mxc_attention_tile_counts : memref<2xi64> = dense<0>
func.func private @rtclock() -> f64
func.func @fill(%init: tensor<?x?x?xf32>, %salt: index) -> tensor<?x?x?xf32> {
  %c97 = arith.constant 97 : index
  %tenth = arith.constant 0.05 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>],
      iterator_types = ["parallel", "parallel", "parallel"]} outs(%init : tensor<?x?x?xf32>) {
  ^bb0(%o: f32):
    %a = linalg.index 0 : index
    %b = linalg.index 1 : index
    %c = linalg.index 2 : index
    %ab = arith.addi %a, %b : index
    %abc = arith.muli %ab, %c : index
    %x = arith.addi %abc, %salt : index
    %h = arith.remui %x, %c97 : index
    %hi = arith.index_cast %h : index to i32
    %hf = arith.sitofp %hi : i32 to f32
    %v = arith.mulf %hf, %tenth : f32
    linalg.yield %v : f32
  } -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}
func.func @attend(%q: tensor<${H}x1x${D}xf32>, %k: tensor<${HKV}x${KEYS}x${D}xf32>, %v: tensor<${HKV}x${KEYS}x${D}xf32>) -> tensor<${H}x1x${D}xf32> {
$( [ -n "$table" ] && echo "  %s = arith.constant $table" )
  %o = mxc.attention %q, %k, %v $spanarg {tile = ${TILE} : i64} : tensor<${H}x1x${D}xf32>, tensor<${HKV}x${KEYS}x${D}xf32>, tensor<${HKV}x${KEYS}x${D}xf32> -> tensor<${H}x1x${D}xf32>
  return %o : tensor<${H}x1x${D}xf32>
}
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %iters = arith.constant ${ITERS} : index
  %eq = tensor.empty() : tensor<${H}x1x${D}xf32>
  %ek = tensor.empty() : tensor<${HKV}x${KEYS}x${D}xf32>
  %dq = tensor.cast %eq : tensor<${H}x1x${D}xf32> to tensor<?x?x?xf32>
  %dk = tensor.cast %ek : tensor<${HKV}x${KEYS}x${D}xf32> to tensor<?x?x?xf32>
  %fq = func.call @fill(%dq, %c1) : (tensor<?x?x?xf32>, index) -> tensor<?x?x?xf32>
  %fk = func.call @fill(%dk, %c2) : (tensor<?x?x?xf32>, index) -> tensor<?x?x?xf32>
  %fv = func.call @fill(%dk, %c3) : (tensor<?x?x?xf32>, index) -> tensor<?x?x?xf32>
  %q = tensor.cast %fq : tensor<?x?x?xf32> to tensor<${H}x1x${D}xf32>
  %k = tensor.cast %fk : tensor<?x?x?xf32> to tensor<${HKV}x${KEYS}x${D}xf32>
  %v = tensor.cast %fv : tensor<?x?x?xf32> to tensor<${HKV}x${KEYS}x${D}xf32>
  %zero = arith.constant 0.0 : f32
  %t0 = func.call @rtclock() : () -> f64
  %probe = scf.for %it = %c0 to %iters step %c1 iter_args(%a = %zero) -> f32 {
    %o = func.call @attend(%q, %k, %v) : (tensor<${H}x1x${D}xf32>, tensor<${HKV}x${KEYS}x${D}xf32>, tensor<${HKV}x${KEYS}x${D}xf32>) -> tensor<${H}x1x${D}xf32>
    %e = tensor.extract %o[%c0, %c0, %it] : tensor<${H}x1x${D}xf32>
    %next = arith.addf %a, %e : f32
    scf.yield %next : f32
  }
  %t1 = func.call @rtclock() : () -> f64
  %dt = arith.subf %t1, %t0 : f64
  vector.print %dt : f64
  %counts = memref.get_global @mxc_attention_tile_counts : memref<2xi64>
  %skipped = memref.load %counts[%c1] : memref<2xi64>
  vector.print %skipped : i64
  vector.print %probe : f32
  return
}
MLIR
}

# Median time per call in ms, and the fraction of tiles skipped.
measure() {
  program "$1" > "$tmp/a.mlir"
  "$build/bin/mxc-opt" "$tmp/a.mlir" --mxc-lower-to-llvm=count-attention-tiles -o "$tmp/a.ll.mlir"
  local times=() skipped
  for run in 1 2 3; do
    out=$("$runner" -O3 "$tmp/a.ll.mlir" -e main -entry-point-result=void -shared-libs=$libs)
    times+=("$(sed -n 1p <<<"$out")")
    skipped=$(sed -n 2p <<<"$out")
  done
  local ms
  ms=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p | awk -v it=$ITERS '{ printf "%.2f", $1 / it * 1e3 }')
  local tiles=$(( H * (KEYS + TILE - 1) / TILE * ITERS ))
  echo "$ms $(awk -v s="$skipped" -v t="$tiles" 'BEGIN { printf "%.0f", 100 * s / t }')"
}

echo "Decode attention on the CPU (mxc-lower-to-llvm, mlir-runner -O3): $H query heads over"
echo "$HKV KV heads, $KEYS keys, head_dim $D, KV tiles of $TILE; median of 3 runs of $ITERS calls."
echo
read -r dense _ < <(measure "")
echo "Dense (causal only): $dense ms/call"
echo
echo "| masked context | run length | tiles skipped | span-sparse (ms/call) | dense / sparse |"
echo "|----------------|------------|---------------|-----------------------|----------------|"
for run in 16 64 256; do
  for f in 0.25 0.5 0.75; do
    read -r ms skipped < <(measure "$(spans $run $f)")
    ratio=$(awk -v a="$dense" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')
    printf "| %.0f %% | %d | %d %% | %s | %s |\n" "$(awk -v f=$f 'BEGIN{print f*100}')" "$run" "$skipped" "$ms" "$ratio"
  done
done
