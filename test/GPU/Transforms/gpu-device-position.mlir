// mxc-gpu-device-position: the argument marked mxc.position becomes a
// memref<1xi64> that the kernels read, so that no launch parameter depends
// on the position (a decode step's CUDA graph then replays as captured).

// RUN: mxc-opt %s --split-input-file --mxc-gpu-device-position --verify-diagnostics | FileCheck %s

// A kernel that uses the position reads it once, at its start; what the
// host computed from it for a kernel (the cache's row at the position, an
// index) the kernel computes; the attention's keys `position + n` become n
// with the buffer as the key offset; @forward passes position 0 in a buffer
// of its own, written by a one-thread launch.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[X:.+]]: memref<?xf32>, %[[POS:.+]]: memref<1xi64> {mxc.position}, %[[CACHE:.+]]: memref<64x16xf32>, %[[N:.+]]: index)
// CHECK-NOT: memref.subview
// CHECK: gpu.launch
// CHECK-NEXT: %[[C0:.+]] = arith.constant 0 : index
// CHECK-NEXT: %[[P64:.+]] = memref.load %[[POS]][%[[C0]]] : memref<1xi64>
// CHECK-NEXT: %[[P:.+]] = arith.index_cast %[[P64]] : i64 to index
// CHECK-NEXT: %[[ROW:.+]] = memref.subview %[[CACHE]][%[[P]], 0] [1, 16] [1, 1]
// CHECK-NEXT: %[[NEXT:.+]] = arith.addi %[[P]], %{{.+}} : index
// CHECK: memref.store %{{.+}}, %[[ROW]]
// CHECK: arith.index_cast %[[NEXT]]
// CHECK: gpu.terminator
// CHECK: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16 {{.+}} args(%{{.+}} : memref<?xf32>, %{{.+}}, %{{.+}}, %{{.+}} : memref<?xf32>, %[[N]] : index, {{.+}}, %[[POS]] : memref<1xi64>, {{.+}})

// CHECK-LABEL: func.func @forward
// CHECK: %[[ZERO:.+]] = arith.constant 0 : index
// CHECK: %[[BUF:.+]] = memref.alloc() : memref<1xi64>
// CHECK: gpu.launch blocks({{.+}}) in ({{.+}} = %[[ONE:.+]], {{.+}} = %[[ONE]], {{.+}} = %[[ONE]]) threads({{.+}}) in ({{.+}} = %[[ONE]], {{.+}} = %[[ONE]], {{.+}} = %[[ONE]])
// CHECK:   %[[V:.+]] = arith.index_cast %[[ZERO]] : index to i64
// CHECK:   memref.store %[[V]], %[[BUF]]
// CHECK: call @decode(%{{.+}}, %[[BUF]], %{{.+}}, %{{.+}})
// CHECK: memref.dealloc %[[BUF]]
module attributes {gpu.container_module} {
  memref.global "private" constant @mxc_attention_no_key_offset : memref<1xi64> = dense<0>
  gpu.module @mxc_library {
    gpu.func @mx_attention_decode_dense_d16(%q: memref<?xf32>, %k: memref<?xf32, strided<[1], offset: ?>>, %v: memref<?xf32, strided<[1], offset: ?>>, %o: memref<?xf32>, %keys: index, %heads: index, %kvHeads: index, %ks: index, %vs: index, %queries: index, %scale: f32, %offset: memref<1xi64>, %outHeads: index, %outRows: index) kernel {
      gpu.return
    }
  }
  func.func @decode(%x: memref<?xf32>, %pos: index {mxc.position}, %cache: memref<64x16xf32>, %n: index) -> memref<?xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c1024 = arith.constant 1024 : index
    %cst = arith.constant 1.0 : f32
    %row = memref.subview %cache[%pos, 0] [1, 16] [1, 1] : memref<64x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    %keys = arith.addi %pos, %n : index
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
      memref.store %cst, %row[%tx] : memref<16xf32, strided<[1], offset: ?>>
      %i = arith.index_cast %keys : index to i32
      %f = arith.sitofp %i : i32 to f32
      memref.store %f, %x[%tx] : memref<?xf32>
      gpu.terminator
    }
    %flat = memref.reinterpret_cast %cache to offset: [0], sizes: [%c1024], strides: [1] : memref<64x16xf32> to memref<?xf32, strided<[1], offset: ?>>
    %none = memref.get_global @mxc_attention_no_key_offset : memref<1xi64>
    gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16 blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1) args(%x : memref<?xf32>, %flat : memref<?xf32, strided<[1], offset: ?>>, %flat : memref<?xf32, strided<[1], offset: ?>>, %x : memref<?xf32>, %keys : index, %c1 : index, %c1 : index, %c1024 : index, %c1024 : index, %c1 : index, %cst : f32, %none : memref<1xi64>, %c16 : index, %c16 : index)
    return %x : memref<?xf32>
  }
  func.func @forward(%x: memref<?xf32>, %n: index) -> memref<?xf32> {
    %c0 = arith.constant 0 : index
    %cache = memref.alloc() : memref<64x16xf32>
    %r = call @decode(%x, %c0, %cache, %n) : (memref<?xf32>, index, memref<64x16xf32>, index) -> memref<?xf32>
    memref.dealloc %cache : memref<64x16xf32>
    return %r : memref<?xf32>
  }
}

// -----

// A position the host needs (here the size of a buffer) stays an index:
// the function is left as it is, and its steps' graphs are updated rather
// than replayed.
// CHECK-LABEL: func.func @host_use
// CHECK-SAME: %{{.+}}: index {mxc.position}
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
func.func @host_use(%pos: index {mxc.position}) {
  %a = memref.alloc(%pos) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}

// -----

// expected-error @below {{mxc-gpu-device-position: the argument marked mxc.position is not an index}}
func.func @not_an_index(%pos: i32 {mxc.position}) {
  return
}
