// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s

// One reduction over (m, n, block, i): the weight scale comes in per block
// through its indexing map, the weight code is unpacked in the body; no
// float copy of the weight exists (no generic produces a 16x..xf32 tensor).
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[WS:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @float_input
// CHECK-SAME: (%[[IN:.+]]: tensor<3x40xf32>, %[[WD:.+]]: tensor<16x32xi8>, %[[WSC:.+]]: tensor<16x2xf8E8M0FNU>)
// CHECK: tensor.pad %[[IN]] low[0, 0] high[0, 24]
// CHECK: %[[XB:.+]] = tensor.expand_shape {{.*}} output_shape [3, 2, 32]
// CHECK: %[[ACC:.+]] = linalg.fill {{.*}} -> tensor<3x16xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[WS]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[XB]], %[[WSC]] : tensor<3x2x32xf32>, tensor<16x2xf8E8M0FNU>) outs(%[[ACC]] : tensor<3x16xf32>)
// CHECK:   tensor.extract %[[WD]]
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: return %[[R]]
func.func @float_input(%x: tensor<3x40xf32>, %w: !mxc.mx<16x40xf4E2M1FN>) -> tensor<3x16xf32> {
  %y = mxc.matmul %x, %w : tensor<3x40xf32>, !mxc.mx<16x40xf4E2M1FN> -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

// MX activations are decoded once into f32 blocks (M rows), then the same
// reduction runs; an f16 result is truncated from the f32 accumulator.
// CHECK-LABEL: func.func @mx_input
// CHECK-SAME: (%[[XD:.+]]: tensor<2x64xi8>, %[[XS:.+]]: tensor<2x2xf8E8M0FNU>, %{{.+}}: tensor<16x64xi8>, %{{.+}}: tensor<16x2xf8E8M0FNU>)
// CHECK: %[[XF:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<2x2x32xf32>)
// CHECK:   tensor.extract %[[XD]]
// CHECK:   tensor.extract %[[XS]]
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[XF]], %{{.+}} : tensor<2x2x32xf32>, tensor<16x2xf8E8M0FNU>) outs(%{{.+}} : tensor<2x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[R]] : tensor<2x16xf32>) outs(%{{.+}} : tensor<2x16xf16>)
// CHECK:   arith.truncf %{{.+}} : f32 to f16
func.func @mx_input(%x: !mxc.mx<2x64xf8E4M3FN>, %w: !mxc.mx<16x64xi8>) -> tensor<2x16xf16> {
  %y = mxc.matmul %x, %w : !mxc.mx<2x64xf8E4M3FN>, !mxc.mx<16x64xi8> -> tensor<2x16xf16>
  return %y : tensor<2x16xf16>
}
