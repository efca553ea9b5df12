// A dynamic key length gets no tile mask (the tile count is not static);
// the lowering then evaluates the element mask in every tile.
// RUN: mxc-opt %s --mxc-attention-tile-mask --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @dynamic_keys
// CHECK-NOT: tile_mask
func.func @dynamic_keys(%q: tensor<8x1x16xf32>, %k: tensor<4x?x16xf32>, %s: tensor<1x4x2xi32>) -> tensor<8x1x16xf32> {
  // expected-remark @+1 {{no tile mask: the key length is dynamic}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) : tensor<8x1x16xf32>, tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}
