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

// -----

// A row reduction (a norm's sum of squares): each thread carries its row's
// sum in a register through the reduced dimension and stores it once; the
// fill of the fresh buffer just before it is its start value, not a kernel.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-SAME: (%[[X:.+]]: memref<?x64xf32>, %[[Y:.+]]: memref<?xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[SUM:.+]] = memref.alloc
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK-NOT:   memref.load %[[SUM]]
// CHECK:       %[[R:.+]] = scf.for %[[K:[^ ]+]] = %{{[^ ]+}} to %c64{{[_0-9]*}} step %{{[^ ]+}} iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (f32) {
// CHECK:         %[[V:.+]] = memref.load %[[X]][%{{.+}}, %[[K]]]
// CHECK:         %[[SQ:.+]] = arith.mulf %[[V]], %[[V]]
// CHECK:         %[[NEXT:.+]] = arith.addf %[[ACC]], %[[SQ]]
// CHECK:         scf.yield %[[NEXT]]
// CHECK:       memref.store %[[R]], %[[SUM]][
// The consumer is a kernel of its own, after it.
// CHECK: scf.parallel
// CHECK:   memref.load %[[SUM]]
// LAUNCH-LABEL: func.func @sum_of_squares
// LAUNCH-COUNT-2: gpu.launch
// LAUNCH-NOT: gpu.launch
// LAUNCH: return
func.func @sum_of_squares(%x: memref<?x64xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %sum = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<?x64xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sum : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.sqrt %in : f32
    linalg.yield %r : f32
  }
  memref.dealloc %sum : memref<?xf32>
  return
}

// -----

// Without a fill before it, the output's value is the start, loaded once.
// The reduced dimension's index (linalg.index 2) is its loop's; the output
// is indexed by the parallel dimensions in another order.
// CHECK-LABEL: func.func @weighted_sum_transposed
// CHECK-SAME: (%[[X:.+]]: memref<4x8x16xf32>, %[[OUT:.+]]: memref<8x4xf32>)
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       %[[I:.+]] = arith.remsi
// CHECK:       %[[J:.+]] = arith.divsi
// CHECK:       %[[START:.+]] = memref.load %[[OUT]][%[[I]], %[[J]]]
// CHECK:       %[[R:.+]] = scf.for %[[K:[^ ]+]] = %{{[^ ]+}} to %c16{{[_0-9]*}} step %{{[^ ]+}} iter_args(%[[ACC:.+]] = %[[START]]) -> (f32) {
// CHECK:         memref.load %[[X]][%[[J]], %[[I]], %[[K]]]
// CHECK:         arith.index_cast %[[K]]
// CHECK:         arith.addf %[[ACC]]
// CHECK:       memref.store %[[R]], %[[OUT]][%[[I]], %[[J]]]
func.func @weighted_sum_transposed(%x: memref<4x8x16xf32>, %out: memref<8x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1, d0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<4x8x16xf32>) outs(%out : memref<8x4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %w = arith.mulf %in, %kf : f32
    %s = arith.addf %acc, %w : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A fill whose buffer is read before the reduction stays a kernel, and the
// reduction starts from the buffer's value.
// CHECK-LABEL: func.func @fill_read_first
// CHECK: %[[SUM:.+]] = memref.alloc
// CHECK: scf.parallel
// CHECK:   memref.store %{{.+}}, %[[SUM]]
// CHECK: scf.parallel
// CHECK:   memref.load %[[SUM]]
// CHECK: scf.parallel
// CHECK:   %[[START:.+]] = memref.load %[[SUM]]
// CHECK:   scf.for {{.+}} iter_args(%{{.+}} = %[[START]])
func.func @fill_read_first(%x: memref<8x64xf32>, %y: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %sum = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<8xf32>)
  memref.copy %sum, %y : memref<8xf32> to memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<8x64xf32>) outs(%sum : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  memref.copy %sum, %y : memref<8xf32> to memref<8xf32>
  memref.dealloc %sum : memref<8xf32>
  return
}
