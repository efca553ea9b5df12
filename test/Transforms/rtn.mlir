// RUN: mxc-opt %s --mxc-rtn="format=mxfp4 block=4" --split-input-file --verify-diagnostics | FileCheck %s

// Expected storage, worked out by hand from the OCP rules:
//  row 0 [0.5, 1, 1.5, 2]: amax 2, shared exponent floor(log2 2) - 2 = -1
//    (scale 0.5); elements [1, 2, 3, 4] -> E2M1 codes 2, 4, 5, 6 -> bytes
//    2 | 4 << 4 = 66 and 5 | 6 << 4 = 101;
//  row 1 [-6, 3, 0, 0.25]: amax 6, exponent 2 - 2 = 0 (scale 1); codes
//    15 (-6), 5 (3), 0, 0 (0.25 is a tie between 0 and 0.5: even) -> bytes
//    15 | 5 << 4 = 95 and 0.
// CHECK-LABEL: func.func @constant_weight
// CHECK: %[[DATA:.+]] = arith.constant dense<{{\[}}[66, 101], [95, 0]]> : tensor<2x2xi8>
// CHECK: %[[SCALES:.+]] = arith.constant dense<{{\[}}[5.000000e-01], [1.000000e+00]]> : tensor<2x1xf8E8M0FNU>
// CHECK: %[[W:.+]] = mxc.assemble %[[DATA]], %[[SCALES]] : tensor<2x2xi8>, tensor<2x1xf8E8M0FNU> -> !mxc.mx<2x4xf4E2M1FN, block = 4>
// CHECK: mxc.matmul %{{.+}}, %[[W]] : tensor<2x4xf32>, !mxc.mx<2x4xf4E2M1FN, block = 4> -> tensor<2x2xf32>
func.func @constant_weight(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [-6.0, 3.0, 0.0, 0.25]]> : tensor<2x4xf32>
  %y = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A weight that is no constant stays float; an MX weight is left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<2x4xf32>, tensor<2x4xf32>
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<2x4xf32>, !mxc.mx<2x4xi8>
func.func @left_alone(%x: tensor<2x4xf32>, %w: tensor<2x4xf32>, %q: !mxc.mx<2x4xi8>) {
  // expected-remark @+1 {{weight left in float: it is not a constant}}
  %y = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %z = mxc.matmul %x, %q : tensor<2x4xf32>, !mxc.mx<2x4xi8> -> tensor<2x2xf32>
  return
}
