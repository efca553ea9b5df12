// RUN: mxc-opt %s --mxc-attention-tile-mask --split-input-file | FileCheck %s
// RUN: mxc-opt %s --mxc-attention-tile-mask="tile=16" --split-input-file | FileCheck %s --check-prefix=TILE16

// Span slots OR-reduced per key (with causality, the sink and the own
// position), visible keys counted per tile, counts turned into states; the
// mask becomes the op's tile_mask operand. 200 keys in tiles of 64: 4 tiles
// (256 padded keys).
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[Q:.+]]: tensor<8x1x16xf32>, %[[K:.+]]: tensor<4x200x16xf32>, %[[S:.+]]: tensor<1x4x2xi32>)
// CHECK: %[[IN:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[S]] : tensor<1x4x2xi32>, tensor<1x4x2xi32>) outs(%{{.+}} : tensor<1x256xi8>)
// CHECK: %[[VIS:.+]] = linalg.generic {{.*}} ins(%[[IN]] : tensor<1x256xi8>) outs(%{{.+}} : tensor<1x256xi8>)
// CHECK: %[[TILED:.+]] = tensor.expand_shape %[[VIS]] {{\[}}[0], [1, 2]] output_shape [1, 4, 64]
// CHECK: %[[COUNTS:.+]] = linalg.generic {{.*}} ins(%[[TILED]] : tensor<1x4x64xi8>) outs(%{{.+}} : tensor<1x4xi32>)
// CHECK: %[[MASK:.+]] = linalg.generic {{.*}} ins(%[[COUNTS]] : tensor<1x4xi32>) outs(%{{.+}} : tensor<1x4xi8>)
// CHECK: mxc.attention %[[Q]], %[[K]], %[[K]] spans(%[[S]] : tensor<1x4x2xi32>) tile_mask(%[[MASK]] : tensor<1x4xi8>) {keep_self, sink = 1 : i64}
// TILE16-LABEL: func.func @decode
// TILE16: output_shape [1, 13, 16]
// TILE16: tile_mask(%{{.+}} : tensor<1x13xi8>) {keep_self, sink = 1 : i64, tile = 16 : i64}
func.func @decode(%q: tensor<8x1x16xf32>, %k: tensor<4x200x16xf32>, %s: tensor<1x4x2xi32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) {sink = 1 : i64, keep_self} : tensor<8x1x16xf32>, tensor<4x200x16xf32>, tensor<4x200x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// -----

// Dense attention and attention that already has a mask are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: linalg.generic
// CHECK: mxc.attention %{{.+}}, %{{.+}}, %{{.+}} :
// CHECK: mxc.attention %{{.+}} tile_mask(%{{.+}} : tensor<1x4xi8>)
func.func @untouched(%q: tensor<8x1x16xf32>, %k: tensor<4x200x16xf32>, %s: tensor<1x4x2xi32>, %m: tensor<1x4xi8>) {
  %0 = mxc.attention %q, %k, %k : tensor<8x1x16xf32>, tensor<4x200x16xf32>, tensor<4x200x16xf32> -> tensor<8x1x16xf32>
  %1 = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) tile_mask(%m : tensor<1x4xi8>) : tensor<8x1x16xf32>, tensor<4x200x16xf32>, tensor<4x200x16xf32> -> tensor<8x1x16xf32>
  return
}
