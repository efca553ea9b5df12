// mxint8: quantize -> dequantize of corner cases equals the numerics library
// bit for bit in both rounding modes, and so do the packed bytes and the E8M0
// scales. The rows hold exact ties, values the floor rule clips, values
// around the smallest subnormal, zero / NaN / +Inf / -Inf / f32-subnormal /
// huge (>= 2^127) blocks, and values spread over many binades; 172 columns
// make the last block partial (5 x 32 + 12). mxc-testgen writes the program
// and, as CHECK lines, what the library computes for the same input.

// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=even > %t.even.mlir
// RUN: mxc-opt %t.even.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.even.mlir

// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=away > %t.away.mlir
// RUN: mxc-opt %t.away.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.away.mlir

// scale ceil, as numerics::ScaleChoice::Ceil.
// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=away --scales=ceil > %t.ceil.mlir
// RUN: mxc-opt %t.ceil.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.ceil.mlir
