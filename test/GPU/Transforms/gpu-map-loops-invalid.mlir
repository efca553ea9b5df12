// mxc-gpu-map-loops refuses what it cannot map.

// RUN: mxc-opt %s --verify-diagnostics --mxc-gpu-map-loops

func.func @dynamic_task_buffer(%n: index) {
  %c4 = arith.constant 4 : index
  scf.forall (%i) in (%c4) {
    // expected-error @below {{mxc-gpu-map-loops: a buffer of dynamic size inside a parallel task has no GPU form yet}}
    %row = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %row : memref<?xf32>
  }
  return
}
