// mxc-early-dealloc (part of mxc-lower-to-llvm): each memref.dealloc moves up
// to just after the last op of its block that uses the buffer or a view of
// it; a use nested in a region counts as the op that holds it; a buffer used
// outside the dealloc's block keeps its dealloc.

// RUN: mxc-opt %s --split-input-file --mxc-early-dealloc | FileCheck %s

// Straight-line code: %a is dead after the first copy, %b after the second.
// CHECK-LABEL: func.func @straight
// CHECK: %[[A:.+]] = memref.alloc
// CHECK: %[[B:.+]] = memref.alloc
// CHECK: memref.copy %{{.+}}, %[[A]]
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: memref.copy %[[B]], %{{.+}}
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: memref.copy
// CHECK-NEXT: return
func.func @straight(%in: memref<8xf32>, %out: memref<8xf32>, %out2: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  memref.copy %a, %b : memref<8xf32> to memref<8xf32>
  memref.copy %b, %out : memref<8xf32> to memref<8xf32>
  memref.copy %in, %out2 : memref<8xf32> to memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}

// -----

// A view keeps its buffer alive: the dealloc follows the view's last use,
// here inside a loop.
// CHECK-LABEL: func.func @view_in_loop
// CHECK: %[[A:.+]] = memref.alloc
// CHECK: %[[V:.+]] = memref.subview %[[A]]
// CHECK: scf.for
// CHECK: memref.load %[[V]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: memref.copy
// CHECK-NEXT: return
func.func @view_in_loop(%in: memref<8xf32>, %out: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<8xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  %v = memref.subview %a[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %v[%c0] : memref<4xf32, strided<[1], offset: 2>>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  memref.copy %in, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  return
}

// -----

// The dealloc sits in a branch; the buffer is used in the function's block:
// it stays.
// CHECK-LABEL: func.func @other_block
// CHECK: scf.if
// CHECK-NEXT: memref.copy
// CHECK-NEXT: memref.dealloc
func.func @other_block(%in: memref<8xf32>, %out: memref<8xf32>, %c: i1) {
  %a = memref.alloc() : memref<8xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  scf.if %c {
    memref.copy %a, %out : memref<8xf32> to memref<8xf32>
    memref.dealloc %a : memref<8xf32>
  }
  return
}
