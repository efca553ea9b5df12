// RUN: mxc-opt %s --mxc-lower-attention --split-input-file --verify-diagnostics

func.func @f64(%q: tensor<8x1x16xf64>, %k: tensor<4x32x16xf64>) -> tensor<8x1x16xf64> {
  // expected-error @+1 {{'mxc.attention' op cannot lower an attention on 'f64' values: the CPU lowering computes in f32 and takes f16, bf16 or f32}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x16xf64>, tensor<4x32x16xf64>, tensor<4x32x16xf64> -> tensor<8x1x16xf64>
  return %o : tensor<8x1x16xf64>
}
