// mxc-strided-copy-to-linalg (part of mxc-lower-to-llvm): a memref.copy
// with an operand that may not be contiguous (a strided view, not of a
// static contiguous shape) becomes linalg.copy, which lowers to loops; the
// others stay memref.copy (a memcpy). The second RUN checks that the whole
// lowering calls no memrefCopy for it; Integration/CPU/strided-copy.mlir
// runs such a copy.

// RUN: mxc-opt %s --split-input-file --mxc-strided-copy-to-linalg | FileCheck %s
// RUN: mxc-opt %s --split-input-file --mxc-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @into_cache
// CHECK: %[[VIEW:.+]] = memref.subview
// CHECK-NEXT: linalg.copy ins(%{{.+}} : memref<2x?x4xf32>) outs(%[[VIEW]] : memref<2x?x4xf32, strided<[32, 4, 1], offset: ?>>)
// CHECK-NOT: memref.copy
// LLVM-LABEL: llvm.func @into_cache
// LLVM-NOT: memrefCopy
func.func @into_cache(%new: memref<2x?x4xf32>, %cache: memref<2x8x4xf32>, %pos: index) {
  %c1 = arith.constant 1 : index
  %t = memref.dim %new, %c1 : memref<2x?x4xf32>
  %view = memref.subview %cache[0, %pos, 0] [2, %t, 4] [1, 1, 1]
      : memref<2x8x4xf32> to memref<2x?x4xf32, strided<[32, 4, 1], offset: ?>>
  memref.copy %new, %view : memref<2x?x4xf32> to memref<2x?x4xf32, strided<[32, 4, 1], offset: ?>>
  return
}

// -----

// Identity layouts, and a view that is one contiguous static run: memcpy.
// CHECK-LABEL: func.func @contiguous
// CHECK-NOT: linalg.copy
// CHECK: memref.copy
// CHECK: memref.copy
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<?x4xf32>, %b: memref<?x4xf32>, %cache: memref<2x8x4xf32>, %rows: memref<8x4xf32>) {
  memref.copy %a, %b : memref<?x4xf32> to memref<?x4xf32>
  %row = memref.subview %cache[1, 0, 0] [1, 8, 4] [1, 1, 1]
      : memref<2x8x4xf32> to memref<8x4xf32, strided<[4, 1], offset: 32>>
  memref.copy %rows, %row : memref<8x4xf32> to memref<8x4xf32, strided<[4, 1], offset: 32>>
  return
}
