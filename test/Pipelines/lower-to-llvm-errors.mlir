// The pipeline stops with one clear error for what it cannot lower.
// RUN: not mxc-opt %s --mxc-lower-to-llvm 2>&1 | FileCheck %s

// CHECK: error: 'mxc.softmax' op has no CPU lowering yet
// CHECK-NOT: not bufferized
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
