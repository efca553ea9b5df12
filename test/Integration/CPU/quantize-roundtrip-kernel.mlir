// mxc-lower-to-llvm{matmul-kernels}: quantize -> dequantize round trips run in
// mxc's CPU kernel (convert-mxc-quantize-to-cpu; libmxc_cpu_kernels.so under
// mlir-runner). Every format in both rounding modes, and odd block sizes: the
// values equal the numerics library's bit for bit on the corner cases of
// mxc-testgen roundtrip (exact ties, values the floor rule clips, values
// around the smallest subnormal, zero / NaN / +-Inf / f32-subnormal / huge
// blocks, a partial last block); the packed bytes and scales still come from
// the generated quantize, which the disassemble keeps.

// UNSUPPORTED: sanitized

// RUN: mxc-testgen roundtrip --format=mxfp8_e4m3 --rounding=even > %t.mxfp8_e4m3.even.mlir
// RUN: mxc-opt %t.mxfp8_e4m3.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp8_e4m3.even.mlir
// RUN: mxc-testgen roundtrip --format=mxfp8_e4m3 --rounding=away > %t.mxfp8_e4m3.away.mlir
// RUN: mxc-opt %t.mxfp8_e4m3.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp8_e4m3.away.mlir
// RUN: mxc-testgen roundtrip --format=mxfp8_e5m2 --rounding=even > %t.mxfp8_e5m2.even.mlir
// RUN: mxc-opt %t.mxfp8_e5m2.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp8_e5m2.even.mlir
// RUN: mxc-testgen roundtrip --format=mxfp8_e5m2 --rounding=away > %t.mxfp8_e5m2.away.mlir
// RUN: mxc-opt %t.mxfp8_e5m2.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp8_e5m2.away.mlir
// RUN: mxc-testgen roundtrip --format=mxfp6_e2m3 --rounding=even > %t.mxfp6_e2m3.even.mlir
// RUN: mxc-opt %t.mxfp6_e2m3.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp6_e2m3.even.mlir
// RUN: mxc-testgen roundtrip --format=mxfp6_e2m3 --rounding=away > %t.mxfp6_e2m3.away.mlir
// RUN: mxc-opt %t.mxfp6_e2m3.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp6_e2m3.away.mlir
// RUN: mxc-testgen roundtrip --format=mxfp6_e3m2 --rounding=even > %t.mxfp6_e3m2.even.mlir
// RUN: mxc-opt %t.mxfp6_e3m2.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp6_e3m2.even.mlir
// RUN: mxc-testgen roundtrip --format=mxfp6_e3m2 --rounding=away > %t.mxfp6_e3m2.away.mlir
// RUN: mxc-opt %t.mxfp6_e3m2.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp6_e3m2.away.mlir
// RUN: mxc-testgen roundtrip --format=mxfp4 --rounding=even > %t.mxfp4.even.mlir
// RUN: mxc-opt %t.mxfp4.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp4.even.mlir
// RUN: mxc-testgen roundtrip --format=mxfp4 --rounding=away > %t.mxfp4.away.mlir
// RUN: mxc-opt %t.mxfp4.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxfp4.away.mlir
// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=even > %t.mxint8.even.mlir
// RUN: mxc-opt %t.mxint8.even.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxint8.even.mlir
// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=away > %t.mxint8.away.mlir
// RUN: mxc-opt %t.mxint8.away.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.mxint8.away.mlir
// RUN: mxc-testgen roundtrip --format=mxfp8_e4m3 --block=16 --cols=40 > %t.16.mlir
// RUN: mxc-opt %t.16.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.16.mlir
// RUN: mxc-testgen roundtrip --format=mxint8 --block=64 --cols=100 --rounding=away > %t.64.mlir
// RUN: mxc-opt %t.64.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.64.mlir
// scale ceil (blocks the floor rule clips take one more exponent).
// RUN: mxc-testgen roundtrip --format=mxfp8_e4m3 --scales=ceil > %t.ceil.mlir
// RUN: mxc-opt %t.ceil.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.ceil.mlir
// RUN: mxc-testgen roundtrip --format=mxint8 --rounding=away --scales=ceil > %t.ceil8.mlir
// RUN: mxc-opt %t.ceil8.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.ceil8.mlir
// RUN: mxc-testgen roundtrip --format=mxfp4 --scales=ceil > %t.ceil4.mlir
// RUN: mxc-opt %t.ceil4.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.ceil4.mlir
// RUN: mxc-testgen roundtrip --format=mxfp4 --block=2 --cols=13 --seed=5 > %t.2.mlir
// RUN: mxc-opt %t.2.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels | FileCheck %t.2.mlir

// The round trip is a kernel call, not the generated conversion.
// RUN: mxc-testgen roundtrip --format=mxfp4 > %t.ir.mlir
// RUN: mxc-opt %t.ir.mlir --mxc-lower-to-llvm=matmul-kernels=true | FileCheck %s
// CHECK: llvm.call @_mlir_ciface_mxc_cpu_quantize_dequantize
