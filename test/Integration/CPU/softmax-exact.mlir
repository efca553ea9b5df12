// The exact softmax against float64 (numerics::softmaxRowF64), on rows with
// masked positions, a fully masked row (zeros) and a NaN row (all NaN).
//
// Tolerance per element: x - max rounds with relative error u, so exp is off
// by |d| u; expf adds at most 2 u; the f32 row sum (n - 1) u; the division u:
// |y - y_ref| <= (|d| + n + 4) u y_ref with u = 2^-24.

// RUN: mxc-testgen softmax --bits=0 > %t.mlir
// RUN: mxc-opt %t.mlir --mxc-lower-to-llvm | %run-cpu > %t.out
// RUN: mxc-testgen softmax --bits=0 --check=%t.out | FileCheck %s
// CHECK: softmax 6x172: all 1032 of 1032 values within tolerance

// RUN: mxc-testgen softmax --bits=0 --cols=1000 --seed=3 > %t.wide.mlir
// RUN: mxc-opt %t.wide.mlir --mxc-lower-to-llvm | %run-cpu > %t.wide.out
// RUN: mxc-testgen softmax --bits=0 --cols=1000 --seed=3 --check=%t.wide.out | FileCheck %s --check-prefix=WIDE
// WIDE: softmax 6x1000: all 6000 of 6000 values within tolerance
