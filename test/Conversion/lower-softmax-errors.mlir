// RUN: mxc-opt %s --mxc-lower-softmax --verify-diagnostics

func.func @f64(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  // expected-error @+1 {{'mxc.softmax' op cannot lower a softmax of 'f64' values: the CPU lowering computes in f32 and takes f16, bf16 or f32}}
  %y = mxc.softmax %x : tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}
