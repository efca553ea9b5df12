// The EXAQ softmax (codes, per-row histogram, sum_q count_q * LUT[q], table
// lookup) equals numerics::exaqSoftmaxRow bit for bit, for 1 to 8 bits.
// The rows hold logits of several spreads, exact rounding ties (row 0, for
// bits 2 and clip -3), masked (-inf) positions, a fully masked row (zeros,
// not NaN) and a row with a NaN (all NaN). mxc-testgen writes the program
// and, as CHECK lines, the library's result bits.

// RUN: mxc-testgen softmax --bits=2 --clip=-3.0 > %t.ties.mlir
// RUN: mxc-opt %t.ties.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.ties.mlir

// RUN: mxc-testgen softmax --bits=1 --clip=-2.5 > %t.1.mlir
// RUN: mxc-opt %t.1.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.1.mlir

// RUN: mxc-testgen softmax --bits=3 --clip=-6.1 --cols=100 > %t.3.mlir
// RUN: mxc-opt %t.3.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.3.mlir

// RUN: mxc-testgen softmax --bits=4 --clip=-7.25 > %t.4.mlir
// RUN: mxc-opt %t.4.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.4.mlir

// RUN: mxc-testgen softmax --bits=8 --clip=-12.0 --cols=64 > %t.8.mlir
// RUN: mxc-opt %t.8.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.8.mlir

// With a zero floor (`zero_floor = true`: code 0 stands for 0, not e^clip),
// bit for bit the library's rows again, at 2 and 3 bits. The library's zero
// floor is checked against its float64 definition in ExaqTest.
// RUN: mxc-testgen softmax --bits=2 --clip=-4.5 --zero-floor > %t.z2.mlir
// RUN: mxc-opt %t.z2.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.z2.mlir
// RUN: mxc-testgen softmax --bits=3 --clip=-5.0 --zero-floor --cols=100 > %t.z3.mlir
// RUN: mxc-opt %t.z3.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.z3.mlir
// The clamp's program against the zero floor's expected bits: it must fail.
// RUN: mxc-testgen softmax --bits=2 --clip=-4.5 > %t.c2.mlir
// RUN: mxc-opt %t.c2.mlir --mxc-lower-to-llvm | %run-cpu | not FileCheck %t.z2.mlir
