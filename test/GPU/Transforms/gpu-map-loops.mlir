// mxc-gpu-map-loops: linalg on buffers becomes one-dimensional parallel
// loops tiled into blocks x threads; a task's own buffers become allocas and
// its copies loops; convert-parallel-loops-to-gpu then makes launches, which
// mxc-gpu-check-host accepts, and mxc-gpu-launch-to-loops turns back into
// CPU loops.

// RUN: mxc-opt %s --split-input-file --mxc-gpu-map-loops=threads=128 | FileCheck %s
// RUN: mxc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mxc-gpu-map-loops{threads=128},convert-parallel-loops-to-gpu,canonicalize,mxc-gpu-check-host))" | FileCheck %s --check-prefix=LAUNCH
// RUN: mxc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mxc-gpu-map-loops{threads=128},convert-parallel-loops-to-gpu,canonicalize,mxc-gpu-launch-to-loops))" | FileCheck %s --check-prefix=LOOPS

// Both dimensions collapsed into one of rows x 64 elements, tiled by 128.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[N:.+]] = arith.muli %{{.+}}, %c64
// CHECK: scf.parallel (%[[B:.+]]) = (%{{.+}}) to (%[[N]]) step (%[[T:.+]]) {
// CHECK:   scf.parallel (%[[I:.+]]) = (%{{.+}}) to (%[[T]]) step
// CHECK:     %[[G:.+]] = arith.addi %[[I]], %[[B]]
// CHECK:     scf.if
// CHECK:       arith.remsi %[[G]], %c64
// CHECK:       arith.divsi %[[G]], %c64
// CHECK:       arith.addf
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}

// LAUNCH-LABEL: func.func @elementwise
// LAUNCH: %[[N:.+]] = arith.muli %{{.+}}, %c64
// LAUNCH: %[[BLOCKS:.+]] = affine.apply #{{.+}}()[%[[N]]]
// LAUNCH: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[BLOCKS]], %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c128{{.*}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}})
// LAUNCH:   arith.addf
// LAUNCH:   gpu.terminator

// LOOPS-LABEL: func.func @elementwise
// LOOPS-NOT: gpu.launch
// LOOPS: scf.parallel (%[[BX:.+]], %{{.+}}, %{{.+}}, %[[TX:.+]], %{{.+}}, %{{.+}}) = (%[[Z:.+]], %[[Z]], %[[Z]], %[[Z]], %[[Z]], %[[Z]]) to (%{{.+}}, %c1, %c1, %c128, %c1, %c1) step (%[[O:.+]], %[[O]], %[[O]], %[[O]], %[[O]], %[[O]])
// LOOPS:   affine.apply #{{.+}}()[%[[BX]]]
// LOOPS:   arith.addi %[[TX]]
// LOOPS:   arith.addf
func.func @elementwise(%a: memref<?x64xf32>, %b: memref<?x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<?x64xf32>) outs(%b : memref<?x64xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A task's buffer is thread-private (alloca, no dealloc); its fill and its
// copy are sequential loops inside the thread.
// CHECK-LABEL: func.func @tasks
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       %[[ROW:.+]] = memref.alloca() : memref<16xf32>
// CHECK:       scf.for
// CHECK:         memref.store %{{.+}}, %[[ROW]]
// CHECK:       %[[DST:.+]] = memref.subview
// CHECK:       scf.for
// CHECK:         memref.load %[[ROW]]
// CHECK:         memref.store %{{.+}}, %[[DST]]
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref.dealloc
// CHECK-NOT: memref.copy
// CHECK: return

// LAUNCH-LABEL: func.func @tasks
// LAUNCH: gpu.launch
// LAUNCH:   memref.alloca() : memref<16xf32>

// As CPU loops, the thread's buffer is a heap buffer freed in the iteration.
// LOOPS-LABEL: func.func @tasks
// LOOPS: scf.parallel
// LOOPS:   scf.if
// LOOPS:     %[[ROW:.+]] = memref.alloc() : memref<16xf32>
// LOOPS:     memref.dealloc %[[ROW]] : memref<16xf32>
// LOOPS-NEXT: }
func.func @tasks(%out: memref<4x8x16xf32>) {
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.forall (%i, %h) in (%c4, %c8) {
    %row = memref.alloc() : memref<16xf32>
    linalg.fill ins(%f : f32) outs(%row : memref<16xf32>)
    %dst = memref.subview %out[%i, %h, 0] [1, 1, 16] [1, 1, 1] : memref<4x8x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    memref.copy %row, %dst : memref<16xf32> to memref<16xf32, strided<[1], offset: ?>>
    memref.dealloc %row : memref<16xf32>
  }
  return
}

// -----

// A copy at the top level is a kernel of its own.
// CHECK-LABEL: func.func @copy
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     memref.load
// CHECK:     memref.store
// LAUNCH-LABEL: func.func @copy
// LAUNCH: gpu.launch
// LAUNCH:   memref.load
// LAUNCH:   memref.store
func.func @copy(%a: memref<8x?xf32>, %b: memref<8x?xf32>) {
  memref.copy %a, %b : memref<8x?xf32> to memref<8x?xf32>
  return
}
