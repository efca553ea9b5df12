// mxc-gpu-map-loops refuses what it cannot map.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-map-loops
// An option out of range is one error with its value (a number, not a byte).
// RUN: not mxc-opt %s --split-input-file --mxc-gpu-map-loops="threads=2000" 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: mxc-gpu-map-loops: threads must be 1 to 1024, not 2000

func.func @dynamic_task_buffer(%n: index) {
  %c4 = arith.constant 4 : index
  scf.forall (%i) in (%c4) {
    // expected-error @below {{mxc-gpu-map-loops: a buffer of dynamic size inside a parallel task has no GPU form yet}}
    %row = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %row : memref<?xf32>
  }
  return
}

// -----

// It runs on buffers; a linalg op on tensors is refused, not crashed on.
func.func @tensor_fill() -> tensor<4xf32> {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @below {{mxc-gpu-map-loops runs on buffers (after one-shot bufferization, as in mxc-linalg-to-gpu); this linalg op is on tensors}}
  %r = linalg.fill ins(%c : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
