// mlir-runner (uninstrumented) loads mxc's runtime: not in a sanitized
// build.
// UNSUPPORTED: sanitized
// A GPU-compiled model's buffers come from finalize-memref-to-llvm's generic
// allocation functions, which mxc's runtime serves with device memory from
// a cache: a freed buffer is handed out again for the next buffer of its
// size. Run here against the CPU stand-in for libcuda (test/lib/FakeCuda),
// whose device memory the host cannot touch, as on a GPU; without a driver
// the first allocation stops the program with one clear line.
// REQUIRES: ptxas
// UNSUPPORTED: cuda-gpu

// RUN: mxc-opt %s --finalize-memref-to-llvm="use-generic-functions" --convert-to-llvm --reconcile-unrealized-casts -o %t.mlir
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir %run-cpu -shared-libs=%mxc_cuda_runtime %t.mlir | FileCheck %s
// CHECK: reused: 1
// CHECK-NEXT: other size: 0
// CHECK-NEXT: freed

// The host code that writes into a buffer faults: it is device memory.
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir not --crash mlir-runner -e touch -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils.so,%mxc_cuda_runtime %t.mlir

// RUN: not %run-cpu -shared-libs=%mxc_cuda_runtime %t.mlir 2>&1 | FileCheck %s --check-prefix=NODRIVER
// NODRIVER: mxc-cuda: no CUDA driver found (libcuda.so.1
// NODRIVER-NOT: freed

func.func @main() {
  %c5 = arith.constant 5 : index
  %c100 = arith.constant 100 : index
  %a = memref.alloc(%c5) : memref<?xi32>
  %pa = memref.extract_aligned_pointer_as_index %a : memref<?xi32> -> index
  memref.dealloc %a : memref<?xi32>
  %b = memref.alloc(%c5) : memref<?xi32>
  %pb = memref.extract_aligned_pointer_as_index %b : memref<?xi32> -> index
  %reused = arith.cmpi eq, %pa, %pb : index
  vector.print str "reused: "
  vector.print %reused : i1
  // 400 bytes are another 256-byte unit than 20: a buffer of its own.
  %c = memref.alloc(%c100) : memref<?xi32>
  %pc = memref.extract_aligned_pointer_as_index %c : memref<?xi32> -> index
  %same = arith.cmpi eq, %pb, %pc : index
  vector.print str "other size: "
  vector.print %same : i1
  memref.dealloc %b : memref<?xi32>
  memref.dealloc %c : memref<?xi32>
  vector.print str "freed\n"
  return
}

func.func @touch() {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %v = arith.constant 42 : i32
  %buffer = memref.alloc(%c5) : memref<?xi32>
  memref.store %v, %buffer[%c0] : memref<?xi32>
  memref.dealloc %buffer : memref<?xi32>
  return
}
