// mxc-gpu-check-host refuses host code that touches a buffer;
// mxc-gpu-launch-to-loops refuses threads that cooperate.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-check-host --mxc-gpu-launch-to-loops

func.func @host_reads(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{mxc-gpu-check-host: 'memref.load' runs on the host, outside any gpu.launch}}
  %x = memref.load %a[%c0] : memref<4xf32>
  return %x : f32
}

// -----

func.func @barrier() {
  %c1 = arith.constant 1 : index
  // expected-error @below {{mxc-gpu-launch-to-loops: only a synchronous launch of independent threads (no barriers, shuffles, shared memory or clusters) runs as loops}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
