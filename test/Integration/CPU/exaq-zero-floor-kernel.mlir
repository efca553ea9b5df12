// The worked cases of exaq-zero-floor.mlir with the attention in mxc's CPU
// attention kernel (mxc-lower-to-llvm{attention-kernels}): the same
// outputs, the NaN value of the dropped key included. The kernel runs
// uninstrumented (%run-kernels), so not in the sanitized build; its unit
// tests run there instead.
// UNSUPPORTED: sanitized
// RUN: mxc-opt %S/exaq-zero-floor.mlir --mxc-lower-to-llvm=attention-kernels=true > %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: %run-kernels %t.mlir | FileCheck %S/exaq-zero-floor.mlir
// CHECK: llvm.call @_mlir_ciface_mxc_cpu_attention_exaq
