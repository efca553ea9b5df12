// The pipeline stops with one clear error for what it cannot lower.
// RUN: not mxc-opt %s --mxc-lower-to-llvm 2>&1 | FileCheck %s

// CHECK: error: 'mxc.attention' op cannot lower an attention on 'f64' values
// CHECK-NOT: not bufferized
func.func @attention(%q: tensor<8x1x16xf64>, %k: tensor<4x32x16xf64>) -> tensor<8x1x16xf64> {
  %o = mxc.attention %q, %k, %k : tensor<8x1x16xf64>, tensor<4x32x16xf64>, tensor<4x32x16xf64> -> tensor<8x1x16xf64>
  return %o : tensor<8x1x16xf64>
}
