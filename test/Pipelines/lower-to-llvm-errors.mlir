// The pipeline stops with one clear error for what it cannot lower.
// RUN: not mxc-opt %s --mxc-lower-to-llvm 2>&1 | FileCheck %s

// CHECK: error: 'mxc.attention' op has no CPU lowering with a quantized softmax yet
// CHECK-NOT: not bufferized
func.func @attention(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -4.0> : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}
