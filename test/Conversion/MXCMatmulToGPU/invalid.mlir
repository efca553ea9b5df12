// convert-mxc-matmul-to-gpu and convert-mxc-attention-to-gpu will not call a
// function of their kernel's name that is something else.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --convert-mxc-matmul-to-gpu --convert-mxc-attention-to-gpu

// expected-error @below {{convert-mxc-matmul-to-gpu: 'mxc_gemv_mxfp4_b1' is taken by something other than the GEMV kernel's function}}
func.func private @mxc_gemv_mxfp4_b1(memref<?xf32>)

func.func @f(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>) -> tensor<4x8xf32> {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<4x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The same for the attention kernel's function.
// expected-error @below {{convert-mxc-attention-to-gpu: 'mxc_attention_d16' is taken by something other than the attention kernel's function}}
func.func private @mxc_attention_d16(memref<?xf32>)

func.func @g(%q: tensor<4x1x16xf32>, %k: tensor<2x9x16xf32>, %v: tensor<2x9x16xf32>) -> tensor<4x1x16xf32> {
  %o = mxc.attention %q, %k, %v : tensor<4x1x16xf32>, tensor<2x9x16xf32>, tensor<2x9x16xf32> -> tensor<4x1x16xf32>
  return %o : tensor<4x1x16xf32>
}
