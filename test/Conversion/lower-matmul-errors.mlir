// RUN: mxc-opt %s --mxc-lower-matmul --split-input-file --verify-diagnostics

func.func @f64_input(%x: tensor<4x32xf64>, %w: !mxc.mx<8x32xf4E2M1FN>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'mxc.matmul' op cannot lower a matmul with 'f64' inputs: the CPU lowering accumulates in f32 and takes f16, bf16 or f32}}
  %y = mxc.matmul %x, %w : tensor<4x32xf64>, !mxc.mx<8x32xf4E2M1FN> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @f64_result(%x: tensor<4x32xf32>, %w: !mxc.mx<8x32xf4E2M1FN>) -> tensor<4x8xf64> {
  // expected-error @+1 {{'mxc.matmul' op cannot lower a matmul with 'f64' results: the CPU lowering accumulates in f32 and yields f16, bf16 or f32}}
  %y = mxc.matmul %x, %w : tensor<4x32xf32>, !mxc.mx<8x32xf4E2M1FN> -> tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}
