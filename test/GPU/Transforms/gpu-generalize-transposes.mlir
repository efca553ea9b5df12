// mxc-gpu-generalize-transposes: a linalg.transpose becomes the generic it
// names (its input map permuted), so that linalg-fuse-elementwise-ops can
// fold it into the op producing its input. In mxc-linalg-to-gpu, with
// eliminate-empty-tensors after the fusion, a rotation followed by the
// transpose to head-major layout and the insertion into a KV cache is one
// kernel that writes the cache in place.

// RUN: mxc-opt %s --split-input-file --mxc-gpu-generalize-transposes | FileCheck %s
// RUN: mxc-opt %s --split-input-file --mxc-linalg-to-gpu | FileCheck %s --check-prefix=GPU

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @transpose
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.+}} : tensor<3x2x16xf32>) outs(%{{.+}} : tensor<2x3x16xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:   linalg.yield %[[A]] : f32
func.func @transpose(%x: tensor<3x2x16xf32>) -> tensor<2x3x16xf32> {
  %e = tensor.empty() : tensor<2x3x16xf32>
  %t = linalg.transpose ins(%x : tensor<3x2x16xf32>) outs(%e : tensor<2x3x16xf32>) permutation = [1, 0, 2]
  return %t : tensor<2x3x16xf32>
}

// -----

// Rows of two heads scaled (the stand-in for RoPE), put head-major and
// inserted at a position of a cache: one launch, storing into the cache's
// view; no copy, no buffer of its own.
// GPU-LABEL: func.func @rotate_into_cache
// GPU-SAME: (%[[X:.+]]: memref<?x32xf32>, %[[POS:.+]]: index, %[[CACHE:.+]]: memref<2x64x16xf32>)
// GPU-NOT: memref.alloc
// GPU: %[[HEADS:.+]] = memref.expand_shape %[[X]] {{\[}}[0], [1, 2]]
// GPU: %[[VIEW:.+]] = memref.subview %[[CACHE]][0, %[[POS]], 0]
// GPU: gpu.launch
// GPU:   %[[D:.+]] = arith.remsi %{{.+}}, %c16
// GPU:   %[[R:.+]] = arith.remsi
// GPU:   %[[H:.+]] = arith.divsi
// GPU:   memref.load %[[HEADS]][%[[R]], %[[H]], %[[D]]]
// GPU:   arith.mulf
// GPU:   memref.store %{{.+}}, %[[VIEW]][%[[H]], %[[R]], %[[D]]]
// GPU-NOT: gpu.launch
// GPU-NOT: memref.copy
// GPU: return
func.func @rotate_into_cache(%x: tensor<?x32xf32>, %pos: index, %cache: memref<2x64x16xf32>) {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x32xf32>
  %kv = bufferization.to_tensor %cache restrict writable : memref<2x64x16xf32> to tensor<2x64x16xf32>
  %e = tensor.empty(%rows) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x32xf32>) outs(%e : tensor<?x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  %heads = tensor.expand_shape %r [[0], [1, 2]] output_shape [%rows, 2, 16] : tensor<?x32xf32> into tensor<?x2x16xf32>
  %e2 = tensor.empty(%rows) : tensor<2x?x16xf32>
  %t = linalg.transpose ins(%heads : tensor<?x2x16xf32>) outs(%e2 : tensor<2x?x16xf32>) permutation = [1, 0, 2]
  %new = tensor.insert_slice %t into %kv[0, %pos, 0] [2, %rows, 16] [1, 1, 1] : tensor<2x?x16xf32> into tensor<2x64x16xf32>
  bufferization.materialize_in_destination %new in restrict writable %cache : (tensor<2x64x16xf32>, memref<2x64x16xf32>) -> ()
  return
}
