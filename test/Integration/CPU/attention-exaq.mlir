// mxc.attention with the EXAQ-quantized softmax (`quantized <bits, clip>`),
// lowered by mxc-lower-to-llvm: the row max over the visible keys, then each
// key's code q = round((s - m - clip) / step), weight LUT[q] = exp(clip +
// q step), out = sum_j LUT[q_j] v_j / sum_j LUT[q_j]. Each run is checked
// against numerics::exaqAttentionReference (the same f32 scores and codes,
// exact weights and sums in float64) within the f32 accumulation bound
// |o - o_ref| <= max|v| (2 keys + 4) u, and its tile counts against the span
// table; with --clip moved by 0.1 or without `quantized` the same output
// fails (max |err|/bound in the hundreds).

// RUN: mxc-testgen attention --spans=none --bits=2 --clip=-6 > %t.none.mlir
// RUN: mxc-opt %t.none.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.none.out
// RUN: mxc-testgen attention --spans=none --bits=2 --clip=-6 --check=%t.none.out | FileCheck %s --check-prefix=NONE
// NONE: exaq attention bits=2 spans=none: all 96 of 96 values within tolerance {{.*}}; tiles visited 60, skipped 0 as the span table implies

// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --bits=3 --clip=-5.5 > %t.many.mlir
// RUN: mxc-opt %t.many.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.many.out
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --bits=3 --clip=-5.5 --check=%t.many.out | FileCheck %s --check-prefix=MANY
// MANY: exaq attention bits=3 spans=many: all 96 of 96 values within tolerance {{.*}}; tiles visited 52, skipped 8 as the span table implies

// RUN: mxc-testgen attention --spans=runs --bits=8 --clip=-16 --keys=300 > %t.runs.mlir
// RUN: mxc-opt %t.runs.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.runs.out
// RUN: mxc-testgen attention --spans=runs --bits=8 --clip=-16 --keys=300 --check=%t.runs.out | FileCheck %s --check-prefix=RUNS
// RUNS: exaq attention bits=8 spans=runs: all 96 of 96 values within tolerance {{.*}}; tiles visited 24, skipped 36 as the span table implies

// A zero floor (code 0 stands for 0), checked against the library's
// reference with the same floor; the clamp's output fails that check.
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --bits=2 --clip=-4.5 --zero-floor > %t.zero.mlir
// RUN: mxc-opt %t.zero.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.zero.out
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --bits=2 --clip=-4.5 --zero-floor --check=%t.zero.out | FileCheck %s --check-prefix=ZERO
// ZERO: exaq attention bits=2 spans=many: all 96 of 96 values within tolerance {{.*}}; tiles visited 52, skipped 8 as the span table implies
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --bits=2 --clip=-4.5 > %t.clamp.mlir
// RUN: mxc-opt %t.clamp.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.clamp.out
// RUN: not mxc-testgen attention --spans=many --sink=1 --keep-self --bits=2 --clip=-4.5 --zero-floor --check=%t.clamp.out | FileCheck %s --check-prefix=CLAMP
// CLAMP: exaq attention bits=2 spans=many: FAILED

// A clip moved by 0.1 changes codes: the check must fail.
// RUN: not mxc-testgen attention --spans=many --sink=1 --keep-self --bits=3 --clip=-5.4 --check=%t.many.out | FileCheck %s --check-prefix=MOVED
// MOVED: exaq attention bits=3 spans=many: FAILED

// Worked by hand (2 bits, clip -3: step 1, levels -3 .. 0). Row 0 sees key
// 0 only: 10. Row 1 has a NaN score: NaN, not a silent average. Row 2:
// scores 1.2 [1, 2, 3] = [1.2, 2.4, 3.6], s - m = [-2.4, -1.2, 0], codes
// round([0.6, 1.8, 3]) = [1, 2, 3], so
// (10 e^-2 + 20 e^-1 + 30) / (e^-2 + e^-1 + 1) = 25.7521 (the exact
// softmax would give 26.53).
// RUN: mxc-opt %s --mxc-lower-to-llvm | %run-cpu | FileCheck %s --check-prefix=HAND
// HAND: ( 10, nan, 25.752{{[0-9]}} )
func.func @main() {
  %q = arith.constant dense<[[[0.5], [0x7FC00000], [1.2]]]> : tensor<1x3x1xf32>
  %k = arith.constant dense<[[[1.0], [2.0], [3.0]]]> : tensor<1x3x1xf32>
  %v = arith.constant dense<[[[10.0], [20.0], [30.0]]]> : tensor<1x3x1xf32>
  %o = mxc.attention %q, %k, %v quantized <bits = 2, clip = -3.0>
    : tensor<1x3x1xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32> -> tensor<1x3x1xf32>
  %c = tensor.collapse_shape %o [[0, 1, 2]] : tensor<1x3x1xf32> into tensor<3xf32>
  %i0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %vec = vector.transfer_read %c[%i0], %pad : tensor<3xf32>, vector<3xf32>
  vector.print %vec : vector<3xf32>
  return
}
