// RUN: mxc-opt %s --mxc-lower-attention --split-input-file --verify-diagnostics

func.func @quantized(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  // expected-error @+1 {{'mxc.attention' op has no CPU lowering with a quantized softmax yet; drop 'quantized' to lower it exactly}}
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -4.0> : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// -----

func.func @f64(%q: tensor<8x1x16xf64>, %k: tensor<4x32x16xf64>) -> tensor<8x1x16xf64> {
  // expected-error @+1 {{'mxc.attention' op cannot lower an attention on 'f64' values: the CPU lowering computes in f32 and takes f16, bf16 or f32}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x16xf64>, tensor<4x32x16xf64>, tensor<4x32x16xf64> -> tensor<8x1x16xf64>
  return %o : tensor<8x1x16xf64>
}
