// convert-mxc-matmul-to-gpu will not call a function of the GEMV's name that is
// something else.

// RUN: mxc-opt %s --verify-diagnostics --convert-mxc-matmul-to-gpu

// expected-error @below {{convert-mxc-matmul-to-gpu: 'mxc_gemv_mxfp4_b1' is taken by something other than the GEMV kernel's function}}
func.func private @mxc_gemv_mxfp4_b1(memref<?xf32>)

func.func @f(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>) -> tensor<4x8xf32> {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<4x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
