// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s
// RUN: mxc-opt %s --convert-mxc-to-linalg="count-attention-tiles" --split-input-file | FileCheck %s --check-prefix=COUNT

// An scf.forall over (query row, head), a loop over KV tiles inside. Each
// task builds its row's key visibility: a zero bitmap marked span by span. A tile whose
// mask state is 0 is skipped by an scf.if before any key is read; then the
// scores of the tile (reading the bitmap only where the state says partial),
// one rescale by exp(m - m'), and the update of the sum and accumulator.
// CHECK-LABEL: func.func @span_sparse
// CHECK-SAME: (%[[Q:.+]]: tensor<8x1x16xf32>, %[[K:.+]]: tensor<4x200x16xf32>, %[[S:.+]]: tensor<1x4x2xi32>, %[[M:.+]]: tensor<1x4xi8>)
// One task per (row, head); the result row goes in with parallel_insert_slice.
// CHECK: scf.forall (%[[I:[a-z0-9_]+]], %[[H:[a-z0-9_]+]]) in ({{.+}}) shared_outs({{.+}}) -> (tensor<8x1x16xf32>)
// CHECK:   linalg.fill {{.*}} -> tensor<?xi8>
// CHECK:   scf.for
// CHECK:     tensor.extract %[[S]][%[[I]], %{{.+}}, %{{.+}}] : tensor<1x4x2xi32>
// CHECK:     scf.for
// CHECK:       tensor.insert
// CHECK:   scf.for %[[T:[a-z0-9_]+]] = {{.*}} -> (f32, f32, tensor<?xf32>)
// CHECK:     %[[STATE:.+]] = tensor.extract %[[M]][%[[I]], %[[T]]] : tensor<1x4xi8>
// CHECK:     %[[SKIP:.+]] = arith.cmpi eq
// CHECK:     scf.if %[[SKIP]] -> (f32, f32, tensor<?xf32>) {
// CHECK-NEXT:  scf.yield
// CHECK:     } else {
// CHECK:       scf.for {{.*}} -> (f32, tensor<64xf32>)
// CHECK:         tensor.extract %{{.+}}[%{{.+}}] : tensor<?xi8>
// CHECK:         tensor.extract %[[K]]
// CHECK:       math.exp
// CHECK:   arith.divf
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[H]], %[[I]], 0] [1, 1, %{{.+}}] [1, 1, 1] : tensor<?xf32> into tensor<8x1x16xf32>
// CHECK-NOT: mxc.attention
// COUNT: memref.global "private" @mxc_attention_tile_counts : memref<2xi64> = dense<0>
// COUNT-LABEL: func.func @span_sparse
// COUNT: memref.get_global @mxc_attention_tile_counts
// COUNT: scf.if
// COUNT:   memref.load
// COUNT:   memref.store
func.func @span_sparse(%q: tensor<8x1x16xf32>, %k: tensor<4x200x16xf32>, %s: tensor<1x4x2xi32>, %m: tensor<1x4xi8>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) tile_mask(%m : tensor<1x4xi8>) {keep_self} : tensor<8x1x16xf32>, tensor<4x200x16xf32>, tensor<4x200x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// -----

// Dense: tile states from causality alone, no span reads; bf16 in and out.
// CHECK-LABEL: func.func @dense_bf16
// CHECK: scf.for
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @dense_bf16(%q: tensor<2x4x8xbf16>, %k: tensor<1x4x8xbf16>) -> tensor<2x4x8xbf16> {
  %o = mxc.attention %q, %k, %k : tensor<2x4x8xbf16>, tensor<1x4x8xbf16>, tensor<1x4x8xbf16> -> tensor<2x4x8xbf16>
  return %o : tensor<2x4x8xbf16>
}

// -----

// EXAQ (2 bits, clip -6: levels -6, -4, -2, 0): the row max over the visible
// keys first; then per visible key its code round((s - m - clip) / step),
// its count, and acc += LUT[q] v; the sum is sum_q count_q LUT[q], NaN when
// the max is NaN.
// CHECK-LABEL: func.func @exaq
// CHECK: arith.constant dense<[0.00247875229, 0.0183156393, 0.135335281, 1.000000e+00]> : tensor<4xf32>
// CHECK: scf.for {{.*}} -> (f32)
// CHECK:   arith.maximumf
// CHECK: scf.for {{.*}} -> (tensor<4xi32>, tensor<?xf32>)
// CHECK:   math.round
// CHECK:   tensor.insert {{.*}} : tensor<4xi32>
// CHECK: scf.for {{.*}} -> (f32)
// CHECK: arith.cmpf uno
// CHECK: arith.select
// CHECK-NOT: mxc.attention
func.func @exaq(%q: tensor<8x1x16xf32>, %k: tensor<4x200x16xf32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -6.0> : tensor<8x1x16xf32>, tensor<4x200x16xf32>, tensor<4x200x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}
