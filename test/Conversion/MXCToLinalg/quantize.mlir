// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s

// A partial last block (40 = 32 + 8): padded with +0 to two whole blocks;
// block maxima, E8M0 scales, codes and packed bytes: the storage pair that
// the function now returns in place of the MX value.
// CHECK-LABEL: func.func @mxfp4_partial_block
// CHECK-SAME: (%[[X:.+]]: tensor<4x40xf32>) -> (tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>)
// CHECK: %[[PAD:.+]] = tensor.pad %[[X]] low[0, 0] high[0, 24]
// CHECK: %[[BLK:.+]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2]] output_shape [4, 2, 32]
// CHECK: %[[AMAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[BLK]] : tensor<4x2x32xf32>)
// CHECK:   math.absf
// CHECK:   arith.maximumf
// CHECK: %[[SCALES:.+]] = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<4x2xf32>) outs(%{{.+}} : tensor<4x2xf8E8M0FNU>)
// CHECK:   arith.bitcast %{{.+}} : f32 to i32
// CHECK:   arith.bitcast %{{.+}} : i8 to f8E8M0FNU
// CHECK: %[[CODES:.+]] = linalg.generic {{.*}} ins(%[[BLK]], %[[SCALES]] : tensor<4x2x32xf32>, tensor<4x2xf8E8M0FNU>) outs(%{{.+}} : tensor<4x2x32xi8>)
// CHECK: %[[BYTES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4x2x16xi8>)
// CHECK:   tensor.extract %[[CODES]]
// CHECK:   tensor.extract %[[CODES]]
// CHECK: %[[DATA:.+]] = tensor.collapse_shape %[[BYTES]] {{\[}}[0], [1, 2]] : tensor<4x2x16xi8> into tensor<4x32xi8>
// CHECK-NOT: mxc.
// CHECK: return %[[DATA]], %[[SCALES]] : tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>
func.func @mxfp4_partial_block(%x: tensor<4x40xf32>) -> !mxc.mx<4x40xf4E2M1FN> {
  %q = mxc.quantize %x : tensor<4x40xf32> -> !mxc.mx<4x40xf4E2M1FN>
  return %q : !mxc.mx<4x40xf4E2M1FN>
}

// -----

// 8-bit codes are their own bytes: no packing step, no padding for whole
// blocks. Leading dimensions are flattened and restored; f16 is extended.
// CHECK-LABEL: func.func @mxint8_rank3
// CHECK-NOT: tensor.pad
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<2x3x64xf16> into tensor<6x64xf16>
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: %[[CODES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x2x32xi8>)
// CHECK-NOT: linalg.generic
// CHECK: %[[DATA:.+]] = tensor.collapse_shape %[[CODES]] {{\[}}[0], [1, 2]] : tensor<6x2x32xi8> into tensor<6x64xi8>
// CHECK: tensor.expand_shape %[[DATA]] {{\[}}[0, 1], [2]] output_shape [2, 3, 64] : tensor<6x64xi8> into tensor<2x3x64xi8>
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [2, 3, 2] : tensor<6x2xf8E8M0FNU> into tensor<2x3x2xf8E8M0FNU>
// CHECK: return {{.*}} : tensor<2x3x64xi8>, tensor<2x3x2xf8E8M0FNU>
func.func @mxint8_rank3(%x: tensor<2x3x64xf16>) -> !mxc.mx<2x3x64xi8> {
  %q = mxc.quantize %x to_nearest_away : tensor<2x3x64xf16> -> !mxc.mx<2x3x64xi8>
  return %q : !mxc.mx<2x3x64xi8>
}

// -----

// scale ceil: the block's scale takes one more where amax * 2^(127 - scale)
// is above the largest element (448 for E4M3); the spec's has no such step.
// CHECK-LABEL: func.func @mxfp8_scale_ceil
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<2x2xf8E8M0FNU>)
// CHECK:   %[[PRODUCT:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:   %[[CLIPS:.+]] = arith.cmpf ogt, %[[PRODUCT]], %{{.+}} : f32
// CHECK:   arith.select %[[CLIPS]]
// CHECK:   arith.bitcast %{{.+}} : i8 to f8E8M0FNU
// CHECK-LABEL: func.func @mxfp8_scale_spec
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<2x2xf8E8M0FNU>)
// CHECK-NOT: arith.cmpf
// CHECK:   arith.bitcast %{{.+}} : i8 to f8E8M0FNU
func.func @mxfp8_scale_ceil(%x: tensor<2x64xf32>) -> !mxc.mx<2x64xf8E4M3FN> {
  %q = mxc.quantize %x scale ceil : tensor<2x64xf32> -> !mxc.mx<2x64xf8E4M3FN>
  return %q : !mxc.mx<2x64xf8E4M3FN>
}
func.func @mxfp8_scale_spec(%x: tensor<2x64xf32>) -> !mxc.mx<2x64xf8E4M3FN> {
  %q = mxc.quantize %x : tensor<2x64xf32> -> !mxc.mx<2x64xf8E4M3FN>
  return %q : !mxc.mx<2x64xf8E4M3FN>
}
