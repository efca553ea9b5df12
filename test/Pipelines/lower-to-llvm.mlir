// RUN: mxc-opt %s --mxc-lower-to-llvm | FileCheck %s
// RUN: mxc-opt %s --mxc-lower-to-llvm="c-interface" | FileCheck %s --check-prefix=CIFACE
// RUN: mxc-opt %s --mxc-lower-to-llvm="deallocate=false" | FileCheck %s --check-prefix=NODEALLOC
// RUN: mxc-opt --help | FileCheck %s --check-prefix=HELP

// mxc and upstream tensor IR end up entirely in the LLVM dialect.
// CHECK-NOT: mxc.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK: llvm.func @linear
// CHECK: llvm.call @free
// CHECK-NOT: builtin.unrealized_conversion_cast

// CIFACE: llvm.func @_mlir_ciface_linear

// NODEALLOC: llvm.func @linear
// NODEALLOC-NOT: llvm.call @free

// HELP: --mxc-lower-to-llvm
// HELP-NEXT: --attention-kernels
// HELP-NEXT: --c-interface
// HELP: --deallocate

func.func @linear(%x: tensor<2x40xf32>, %w: tensor<8x40xf32>) -> tensor<2x8xf32> {
  %wq = mxc.quantize %w : tensor<8x40xf32> -> !mxc.mx<8x40xf6E2M3FN>
  %xq = mxc.quantize %x to_nearest_away : tensor<2x40xf32> -> !mxc.mx<2x40xf8E4M3FN>
  %y = mxc.matmul %xq, %wq : !mxc.mx<2x40xf8E4M3FN>, !mxc.mx<8x40xf6E2M3FN> -> tensor<2x8xf32>
  %d = mxc.dequantize %xq : !mxc.mx<2x40xf8E4M3FN> -> tensor<2x40xf32>
  %z = arith.addf %d, %x : tensor<2x40xf32>
  return %y : tensor<2x8xf32>
}

// A function returning what another returned: deallocation clones the
// buffer, and the clone is lowered too.
// CHECK: llvm.func @forward
// CHECK-NOT: bufferization.clone
func.func @forward(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = func.call @double(%x) : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
func.func @double(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = arith.addf %x, %x : tensor<?xf32>
  return %y : tensor<?xf32>
}
