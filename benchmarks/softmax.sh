#!/usr/bin/env bash
# Prints the EXAQ softmax report: output error with the optimal clip vs naive
# clips, then CPU time of the lowered exact and quantized softmax.
#   bash benchmarks/softmax.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runner=/usr/lib/llvm-22/bin/mlir-runner
libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/bin/mxc-bench-softmax-error"

echo
echo "CPU time of the lowered softmax (mxc-lower-to-llvm, mlir-runner -O3),"
echo "rows x n f32 logits, median of 5 runs of $((ITERS=50)) calls each:"
echo
echo "| rows x n | exact (us/call) | EXAQ 2-bit (us/call) | EXAQ 4-bit (us/call) | exact / 2-bit |"
echo "|----------|-----------------|----------------------|----------------------|---------------|"
for shape in "64 512" "256 2048"; do
  set -- $shape
  rows=$1 n=$2
  declare -A us
  for mode in exact 2 4; do
    quant=""
    [ "$mode" != exact ] && quant="quantized <bits = $mode, clip = -4.5>"
    cat > "$tmp/s.mlir" <<MLIR
func.func private @rtclock() -> f64
func.func @softmax(%x: tensor<${rows}x${n}xf32>) -> tensor<${rows}x${n}xf32> {
  %y = mxc.softmax %x $quant : tensor<${rows}x${n}xf32>
  return %y : tensor<${rows}x${n}xf32>
}
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %iters = arith.constant $ITERS : index
  %c97 = arith.constant 97 : index
  %c131 = arith.constant 131 : index
  %c71 = arith.constant 71 : index
  %tenth = arith.constant 0.1 : f32
  %five = arith.constant 5.0 : f32
  %empty = tensor.empty() : tensor<${rows}x${n}xf32>
  // Logits in [-5, 4.6]: ((131 i + 71 j) mod 97) / 10 - 5.
  %x = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]} outs(%empty : tensor<${rows}x${n}xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %a = arith.muli %i, %c131 : index
    %b = arith.muli %j, %c71 : index
    %s = arith.addi %a, %b : index
    %h = arith.remui %s, %c97 : index
    %hi = arith.index_cast %h : index to i32
    %hf = arith.sitofp %hi : i32 to f32
    %scaled = arith.mulf %hf, %tenth : f32
    %v = arith.subf %scaled, %five : f32
    linalg.yield %v : f32
  } -> tensor<${rows}x${n}xf32>
  %t0 = func.call @rtclock() : () -> f64
  %zero = arith.constant 0.0 : f32
  %probe = scf.for %it = %c0 to %iters step %c1 iter_args(%a = %zero) -> f32 {
    %y = func.call @softmax(%x) : (tensor<${rows}x${n}xf32>) -> tensor<${rows}x${n}xf32>
    %e = tensor.extract %y[%c0, %it] : tensor<${rows}x${n}xf32>
    %next = arith.addf %a, %e : f32
    scf.yield %next : f32
  }
  %t1 = func.call @rtclock() : () -> f64
  %dt = arith.subf %t1, %t0 : f64
  vector.print %dt : f64
  vector.print %probe : f32
  return
}
MLIR
    "$build/bin/mxc-opt" "$tmp/s.mlir" --mxc-lower-to-llvm -o "$tmp/s.ll.mlir"
    times=()
    for run in 1 2 3 4 5; do
      times+=("$("$runner" -O3 "$tmp/s.ll.mlir" -e main -entry-point-result=void -shared-libs=$libs | head -1)")
    done
    us[$mode]=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p |
      awk -v it=$ITERS '{ printf "%.1f", $1 / it * 1e6 }')
  done
  ratio=$(awk -v a="${us[exact]}" -v b="${us[2]}" 'BEGIN { printf "%.2f", a / b }')
  echo "| ${rows} x ${n} | ${us[exact]} | ${us[2]} | ${us[4]} | ${ratio} |"
done
