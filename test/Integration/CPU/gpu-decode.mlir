// The GPU GEMV kernel's block decoder (kernels::buildBlockDecode: the f16
// bit placement for FP4/FP6/FP8, MXINT8, and the E8M0 scale) built into a
// CPU function by mxc-test-gpu-decode and run here: every code at every
// position of a block, under scales 0 (2^-127, subnormal results), 1, 100,
// 127, 140, 254 and 255 (NaN), bit for bit against the numerics library's
// decodeElement * decodeE8M0. (sm_89+'s native E4M3 conversion is an NVVM
// op and runs only on a GPU: mxc-gpu-runner test.)

// RUN: mxc-testgen gpu-decode --format=mxfp4 > %t.fp4.mlir
// RUN: mxc-opt %t.fp4.mlir --mxc-test-gpu-decode=format=mxfp4 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.fp4.mlir
// RUN: mxc-testgen gpu-decode --format=mxfp6_e2m3 > %t.e2m3.mlir
// RUN: mxc-opt %t.e2m3.mlir --mxc-test-gpu-decode=format=mxfp6_e2m3 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.e2m3.mlir
// RUN: mxc-testgen gpu-decode --format=mxfp6_e3m2 > %t.e3m2.mlir
// RUN: mxc-opt %t.e3m2.mlir --mxc-test-gpu-decode=format=mxfp6_e3m2 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.e3m2.mlir
// RUN: mxc-testgen gpu-decode --format=mxfp8_e4m3 > %t.e4m3.mlir
// RUN: mxc-opt %t.e4m3.mlir --mxc-test-gpu-decode=format=mxfp8_e4m3 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.e4m3.mlir
// RUN: mxc-testgen gpu-decode --format=mxfp8_e5m2 > %t.e5m2.mlir
// RUN: mxc-opt %t.e5m2.mlir --mxc-test-gpu-decode=format=mxfp8_e5m2 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.e5m2.mlir
// RUN: mxc-testgen gpu-decode --format=mxint8 > %t.int8.mlir
// RUN: mxc-opt %t.int8.mlir --mxc-test-gpu-decode=format=mxint8 --mxc-lower-to-llvm | %run-cpu | FileCheck %t.int8.mlir
