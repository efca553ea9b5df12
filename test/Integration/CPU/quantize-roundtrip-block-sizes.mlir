// Other block sizes: blocks of 16 and 64 (partial: 100 = 64 + 36), and
// blocks of 2 (the smallest whole-byte MXFP4 block) and 4 (MXFP6).

// RUN: mxc-testgen roundtrip --format=mxfp8_e4m3 --block=16 --cols=40 > %t.16.mlir
// RUN: mxc-opt %t.16.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.16.mlir

// RUN: mxc-testgen roundtrip --format=mxint8 --block=64 --cols=100 --rounding=away > %t.64.mlir
// RUN: mxc-opt %t.64.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.64.mlir

// RUN: mxc-testgen roundtrip --format=mxfp4 --block=2 --cols=13 --seed=5 > %t.2.mlir
// RUN: mxc-opt %t.2.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.2.mlir

// RUN: mxc-testgen roundtrip --format=mxfp6_e2m3 --block=4 --cols=30 --seed=6 > %t.4.mlir
// RUN: mxc-opt %t.4.mlir --mxc-lower-to-llvm | %run-cpu | FileCheck %t.4.mlir
