// mlir-runner (uninstrumented) loads mxc's runtime: not in a sanitized
// build.
// UNSUPPORTED: sanitized
// A GPU-compiled model's buffers come from finalize-memref-to-llvm's generic
// allocation functions, which mxc's runtime serves with managed memory. Run
// here against the CPU stand-in for libcuda (test/lib/FakeCuda): the buffer
// is written and read back; without a driver the first allocation stops
// the program with one clear line.
// REQUIRES: ptxas
// UNSUPPORTED: cuda-gpu

// RUN: mxc-opt %s --finalize-memref-to-llvm="use-generic-functions" --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | env LD_LIBRARY_PATH=%fake_cuda_dir %run-cpu -shared-libs=%mxc_cuda_runtime | FileCheck %s
// CHECK: 42
// CHECK: freed

// RUN: mxc-opt %s --finalize-memref-to-llvm="use-generic-functions" --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | not %run-cpu -shared-libs=%mxc_cuda_runtime 2>&1 | FileCheck %s --check-prefix=NODRIVER
// NODRIVER: mxc-cuda: no CUDA driver found (libcuda.so.1
// NODRIVER-NOT: freed

func.func @main() {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %v = arith.constant 42 : i32
  %buffer = memref.alloc(%c5) : memref<?xi32>
  memref.store %v, %buffer[%c0] : memref<?xi32>
  %x = memref.load %buffer[%c0] : memref<?xi32>
  vector.print %x : i32
  memref.dealloc %buffer : memref<?xi32>
  vector.print str "freed\n"
  return
}
