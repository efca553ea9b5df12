// mxc.matmul with mxfp8_e4m3 activations and weights in every MX format,
// against a float64 reference computed by the numerics library on the same
// dequantized operands. 3 x 16 outputs, K = 172 (a partial last block).
//
// Tolerance: the lowering accumulates K products in f32, rounding each
// product and each sum once, so |y - y_ref| <= gamma_(K+1) * sum_k |x_k w_k|
// <= (K + 2) * 2^-24 * sum_k |x_k w_k| (Higham, ch. 3). mxc-testgen checks
// every element against that bound; a wrong code, scale or block is off by
// orders of magnitude more.

// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=mxfp8_e4m3 > %t.e4m3.mlir
// RUN: mxc-opt %t.e4m3.mlir --mxc-lower-to-llvm | %run-cpu > %t.e4m3.out
// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=mxfp8_e4m3 --check=%t.e4m3.out | FileCheck %s --check-prefix=E4M3
// E4M3: weight=mxfp8_e4m3 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=mxfp8_e4m3 > %t.e5m2.mlir
// RUN: mxc-opt %t.e5m2.mlir --mxc-lower-to-llvm | %run-cpu > %t.e5m2.out
// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=mxfp8_e4m3 --check=%t.e5m2.out | FileCheck %s --check-prefix=E5M2
// E5M2: weight=mxfp8_e5m2 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=mxfp8_e4m3 > %t.e2m3.mlir
// RUN: mxc-opt %t.e2m3.mlir --mxc-lower-to-llvm | %run-cpu > %t.e2m3.out
// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=mxfp8_e4m3 --check=%t.e2m3.out | FileCheck %s --check-prefix=E2M3
// E2M3: weight=mxfp6_e2m3 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxfp8_e4m3 > %t.e3m2.mlir
// RUN: mxc-opt %t.e3m2.mlir --mxc-lower-to-llvm | %run-cpu > %t.e3m2.out
// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxfp8_e4m3 --check=%t.e3m2.out | FileCheck %s --check-prefix=E3M2
// E3M2: weight=mxfp6_e3m2 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 > %t.fp4.mlir
// RUN: mxc-opt %t.fp4.mlir --mxc-lower-to-llvm | %run-cpu > %t.fp4.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 --check=%t.fp4.out | FileCheck %s --check-prefix=FP4
// FP4: weight=mxfp4 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxint8 --act=mxfp8_e4m3 > %t.int8.mlir
// RUN: mxc-opt %t.int8.mlir --mxc-lower-to-llvm | %run-cpu > %t.int8.out
// RUN: mxc-testgen matmul --weight=mxint8 --act=mxfp8_e4m3 --check=%t.int8.out | FileCheck %s --check-prefix=INT8
// INT8: weight=mxint8 act=mxfp8_e4m3: all 48 of 48 values within tolerance
