// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s

// Exact: row max, exp(x - max) (0 for a fully masked row), row sum, division.
// CHECK-LABEL: func.func @exact
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.+}} : tensor<4x128xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[E:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[MAX]] : tensor<4x128xf32>, tensor<4xf32>)
// CHECK:   math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[E]] : tensor<4x128xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK:   arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[E]], %[[SUM]] : tensor<4x128xf32>, tensor<4xf32>)
// CHECK:   arith.divf
// CHECK-NOT: scf.for
func.func @exact(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = mxc.softmax %x : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}

// -----

// EXAQ, 2 bits: codes (masked -> 4), a histogram built by a loop nest that
// increments one count per element, the 4-term sum with the table, lookup.
// CHECK-LABEL: func.func @exaq
// CHECK: %[[MAX:.+]] = linalg.generic
// CHECK: %[[CODES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4x128xi32>)
// CHECK:   math.round
// CHECK:   arith.fptosi
// CHECK: %[[COUNTS:.+]] = scf.for {{.*}} -> (tensor<4x5xi32>)
// CHECK:   scf.for
// CHECK:     tensor.extract %[[CODES]]
// CHECK:     tensor.insert
// CHECK: %[[LUT:.+]] = arith.constant dense<[{{.*}}, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[COUNTED:.+]] = tensor.extract_slice %[[COUNTS]][0, 0] [4, 4] [1, 1]
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[COUNTED]], %[[LUT]] : tensor<4x4xi32>, tensor<4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[CODES]], %[[MAX]], %[[SUM]] : tensor<4x128xi32>, tensor<4xf32>, tensor<4xf32>) outs(%{{.+}} : tensor<4x128xbf16>)
// CHECK:   tensor.extract %[[LUT]]
// CHECK:   arith.divf
// CHECK:   arith.truncf
func.func @exaq(%x: tensor<4x128xbf16>) -> tensor<4x128xbf16> {
  %y = mxc.softmax %x quantized <bits = 2, clip = -3.0> : tensor<4x128xbf16>
  return %y : tensor<4x128xbf16>
}

// -----

// Higher ranks are flattened to rows and restored.
// CHECK-LABEL: func.func @rank3
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<2x3x16xf32> into tensor<6x16xf32>
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [2, 3, 16] : tensor<6x16xf32> into tensor<2x3x16xf32>
// CHECK-NOT: mxc.
func.func @rank3(%x: tensor<2x3x16xf32>) -> tensor<2x3x16xf32> {
  %y = mxc.softmax %x : tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}
