// mxc-lower-to-llvm{matmul-kernels}: matmuls run in mxc's CPU kernel
// (libmxc_cpu_kernels.so under mlir-runner). Every format, float and MX
// activations, 1 row (decode) and 9 (prefill: 4-row tiles and a remainder),
// K = 172 (a partial last block), N = 13 (not a multiple of the 4-column
// tile), blocks of 32 and 16: each output within the f32 accumulation bound of
// the float64 reference on the library's dequantized operands.

// UNSUPPORTED: sanitized

// RUN: mxc-testgen matmul --weight=mxfp4 --act=none --m 1 --n 13 > %t.fp4.mlir
// RUN: mxc-opt %t.fp4.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.fp4.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=none --m 1 --n 13 --check=%t.fp4.out | FileCheck %s --check-prefix=FP4
// FP4: weight=mxfp4 act=none: all 13 of 13 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 --m 9 --n 13 > %t.fp4p.mlir
// RUN: mxc-opt %t.fp4p.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.fp4p.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 --m 9 --n 13 --check=%t.fp4p.out | FileCheck %s --check-prefix=FP4P
// FP4P: weight=mxfp4 act=mxfp8_e4m3: all 117 of 117 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=none --m 9 --n 13 > %t.e2m3.mlir
// RUN: mxc-opt %t.e2m3.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.e2m3.out
// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=none --m 9 --n 13 --check=%t.e2m3.out | FileCheck %s --check-prefix=E2M3
// E2M3: weight=mxfp6_e2m3 act=none: all 117 of 117 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxint8 --m 1 --n 13 > %t.e3m2.mlir
// RUN: mxc-opt %t.e3m2.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.e3m2.out
// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxint8 --m 1 --n 13 --check=%t.e3m2.out | FileCheck %s --check-prefix=E3M2
// E3M2: weight=mxfp6_e3m2 act=mxint8: all 13 of 13 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=none --m 9 --n 13 --block 16 > %t.e4m3.mlir
// RUN: mxc-opt %t.e4m3.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.e4m3.out
// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=none --m 9 --n 13 --block 16 --check=%t.e4m3.out | FileCheck %s --check-prefix=E4M3
// E4M3: weight=mxfp8_e4m3 act=none: all 117 of 117 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=none --m 1 --n 13 > %t.e5m2.mlir
// RUN: mxc-opt %t.e5m2.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.e5m2.out
// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=none --m 1 --n 13 --check=%t.e5m2.out | FileCheck %s --check-prefix=E5M2
// E5M2: weight=mxfp8_e5m2 act=none: all 13 of 13 values within tolerance

// RUN: mxc-testgen matmul --weight=mxint8 --act=mxint8 --m 9 --n 13 > %t.int8.mlir
// RUN: mxc-opt %t.int8.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.int8.out
// RUN: mxc-testgen matmul --weight=mxint8 --act=mxint8 --m 9 --n 13 --check=%t.int8.out | FileCheck %s --check-prefix=INT8
// INT8: weight=mxint8 act=mxint8: all 117 of 117 values within tolerance

// MXINT8 activations times MXFP4 (the GEMV in 8-bit integers where the CPU
// has AVX2): decode rows and a prefill.
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxint8 --m 3 --n 13 > %t.fp4i8.mlir
// RUN: mxc-opt %t.fp4i8.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.fp4i8.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxint8 --m 3 --n 13 --check=%t.fp4i8.out | FileCheck %s --check-prefix=FP4I8
// FP4I8: weight=mxfp4 act=mxint8: all 39 of 39 values within tolerance
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxint8 --m 17 --n 13 > %t.fp4i8p.mlir
// RUN: mxc-opt %t.fp4i8p.mlir --mxc-lower-to-llvm=matmul-kernels=true | %run-kernels > %t.fp4i8p.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxint8 --m 17 --n 13 --check=%t.fp4i8p.out | FileCheck %s --check-prefix=FP4I8P
// FP4I8P: weight=mxfp4 act=mxint8: all 221 of 221 values within tolerance
// RUN: mxc-opt %t.fp4i8.mlir --mxc-lower-to-llvm=matmul-kernels=true | FileCheck %s --check-prefix=CALL-ACT
// CALL-ACT: llvm.call @_mlir_ciface_mxc_cpu_matmul_mx_activations(

// The kernel is really called: the lowered module declares it.
// RUN: mxc-opt %t.fp4.mlir --mxc-lower-to-llvm=matmul-kernels=true | FileCheck %s --check-prefix=CALL
// CALL: llvm.call @_mlir_ciface_mxc_cpu_matmul_mx(
