// RUN: mxc-opt %s --mxc-rtn="format=mxfp4 block=4 scales=mse" | FileCheck %s
// RUN: mxc-opt %s --mxc-rtn="format=mxfp4 block=4" | FileCheck %s --check-prefix=SPEC

// scales=mse: each block's shared exponent is the spec's or one more,
// whichever decodes closer (squared error), worked out by hand:
//  row 0 [7.5, 2, 4, -3]: the spec's exponent floor(log2 7.5) - 2 = 0 clips
//    7.5 to 6 (error 2.25; 2, 4, -3 exact); exponent 1 (scale 2) gives
//    [4, 1, 2, -1.5] -> 3.75 rounds to 4, i.e. 8 (error 0.25), the rest
//    exact: scale 2, codes 6, 2, 4, 11 -> bytes 6 | 2 << 4 = 38 and
//    4 | 11 << 4 = 180 (-76 as i8);
//  row 1 [7, 1, 0.5, -2]: exponent 0 clips 7 to 6 (error 1); exponent 1
//    costs 0.25 on 7 (3.5 ties to 4, i.e. 8) and 0.25 on 0.5 (0.25 ties to
//    0): 1.25, so the spec's: codes 7, 2, 1, 12 -> bytes 39 and 193 (-63).
// The spec's exponent for row 0: codes 7, 4, 6, 13 -> 71 and 214 (-42).
// CHECK-LABEL: func.func @constant_weight
// CHECK: arith.constant dense<{{\[}}[38, -76], [39, -63]]> : tensor<2x2xi8>
// CHECK: arith.constant dense<{{\[}}[2.000000e+00], [1.000000e+00]]> : tensor<2x1xf8E8M0FNU>
// SPEC: arith.constant dense<{{\[}}[71, -42], [39, -63]]> : tensor<2x2xi8>
// SPEC: arith.constant dense<1.000000e+00> : tensor<2x1xf8E8M0FNU>
func.func @constant_weight(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[7.5, 2.0, 4.0, -3.0], [7.0, 1.0, 0.5, -2.0]]> : tensor<2x4xf32>
  %y = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
