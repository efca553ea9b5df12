// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-rtn

// A weight whose resource blob holds fewer values than its type is an error
// that names it; the pass never reads past the blob.
func.func @short_weight(%x: tensor<1x32xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{the weight's resource 'w' is missing or does not hold the 128 f32 values of 'tensor<4x32xf32>'}}
  %w = arith.constant dense_resource<w> : tensor<4x32xf32>
  %y = mxc.matmul %x, %w : tensor<1x32xf32>, tensor<4x32xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F"
    }
  }
#-}

// -----

// A statistic's resource of the wrong size fails verification.
func.func @short_hessian(%x: tensor<1x32xf32>, %w: tensor<4x32xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{'mxc.matmul' op 'hessian' resource holds 4 bytes, its type 'tensor<32x32xf32>' needs 4096}}
  %y = mxc.matmul %x, %w {hessian = dense_resource<h> : tensor<32x32xf32>} : tensor<1x32xf32>, tensor<4x32xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      h: "0x040000000000803F"
    }
  }
#-}
