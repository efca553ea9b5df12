// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s

// Each output element: its code from the packed row (6-bit codes may span
// two bytes), a table lookup, times the block's scale. The MX argument
// arrives as its storage pair.
// CHECK-LABEL: func.func @mxfp6
// CHECK-SAME: (%[[DATA:.+]]: tensor<4x48xi8>, %[[SCALES:.+]]: tensor<4x2xf8E8M0FNU>) -> tensor<4x40xf32>
// CHECK: %[[TABLE:.+]] = arith.constant dense<{{.*}}> : tensor<64xf32>
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%{{.+}} : tensor<4x40xf32>)
// CHECK:   tensor.extract %[[DATA]]
// CHECK:   tensor.extract %[[DATA]]
// CHECK:   tensor.extract %[[TABLE]]
// CHECK:   tensor.extract %[[SCALES]]
// CHECK:   arith.mulf
// CHECK: return %[[Y]]
func.func @mxfp6(%q: !mxc.mx<4x40xf6E3M2FN>) -> tensor<4x40xf32> {
  %y = mxc.dequantize %q : !mxc.mx<4x40xf6E3M2FN> -> tensor<4x40xf32>
  return %y : tensor<4x40xf32>
}

// -----

// The MXFP4 table holds the 16 E2M1 values; a bf16 result is truncated
// from f32; a dynamic leading dimension is carried through.
// CHECK-LABEL: func.func @mxfp4_dynamic
// CHECK-SAME: (%{{.+}}: tensor<?x32xi8>, %{{.+}}: tensor<?x2xf8E8M0FNU>)
// CHECK: arith.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 6.000000e+00, -0.000000e+00, -5.000000e-01, -1.000000e+00, -1.500000e+00, -2.000000e+00, -3.000000e+00, -4.000000e+00, -6.000000e+00]> : tensor<16xf32>
// CHECK: tensor.dim
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<?x64xbf16>)
// CHECK:   arith.truncf %{{.+}} : f32 to bf16
func.func @mxfp4_dynamic(%q: !mxc.mx<?x64xf4E2M1FN>) -> tensor<?x64xbf16> {
  %y = mxc.dequantize %q : !mxc.mx<?x64xf4E2M1FN> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
