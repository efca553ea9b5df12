// The README's quantize-and-print command. Expected values: microxcaling's
// mx/tests/test_fp8_e4m3_fix.py golden vector (485 -> 448; 400 -> 416 with
// ties away, 384 with ties to even).
// RUN: mxc-opt %mxc_src_root/examples/quantize.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %s

// CHECK: E8M0 scale byte (127 = 2^0): 127
// CHECK-NEXT: to_nearest_even: ( 448, 448, 384, -448, -448, -448, 0.015625, -0.015625 )
// CHECK-NEXT: to_nearest_away: ( 448, 448, 416, -448, -448, -448, 0.015625, -0.015625 )
