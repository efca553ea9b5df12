// mxc-gpu-sink-globals moves the small tables a launch reads (globals of at
// most max-bytes, 4096 by default, and views of them) into it, so that
// outlining copies them into the device module; bigger globals (weights)
// stay launch operands. mxc-gpu-merge-modules puts every outlined kernel and
// global into one gpu.module, one copy of a global that two kernels read,
// and points the launches at it.

// RUN: mxc-opt %s --mxc-gpu-sink-globals | FileCheck %s --check-prefix=SINK
// RUN: mxc-opt %s --mxc-gpu-sink-globals --gpu-kernel-outlining --mxc-gpu-merge-modules --canonicalize --symbol-dce | FileCheck %s --check-prefix=MERGE
// With max-bytes=64, @w (128 bytes) stays on the host too.
// RUN: mxc-opt %s --mxc-gpu-sink-globals=max-bytes=64 | FileCheck %s --check-prefix=SMALL

// SINK-LABEL: func.func @two_launches
// SINK: gpu.launch
// SINK-NEXT: %[[W:.+]] = memref.get_global @w : memref<4x8xf32>
// SINK-NEXT: %[[V:.+]] = memref.collapse_shape %[[W]] {{\[}}[0, 1]] : memref<4x8xf32> into memref<32xf32>
// SINK: memref.load %[[V]]
// SINK: gpu.launch
// SINK-NEXT: %[[W2:.+]] = memref.get_global @w : memref<4x8xf32>
// SINK: memref.load %[[W2]]
// 8192 bytes: not sunk, the launch reads the host's value.
// SINK-LABEL: func.func @big_global
// SINK: %[[BIG:.+]] = memref.get_global @big : memref<2048xf32>
// SINK: gpu.launch
// SINK-NOT: memref.get_global
// SINK: memref.load %[[BIG]]

// A mutable global goes in whatever its size.
// SINK-LABEL: func.func @counters
// SINK: gpu.launch
// SINK: %[[COUNTS:.+]] = memref.get_global @counts : memref<4096xi32>
// SINK: memref.store %{{.+}}, %[[COUNTS]]
// SINK-NEXT: gpu.terminator

// SMALL-LABEL: func.func @two_launches
// SMALL: %[[W:.+]] = memref.get_global @w : memref<4x8xf32>
// SMALL: gpu.launch
// SMALL-NOT: memref.get_global
// SMALL: gpu.terminator

// MERGE: module attributes {gpu.container_module}
// MERGE-NOT: memref.global "private" constant @w
// MERGE: func.func @two_launches
// MERGE: gpu.launch_func @mxc_model::@two_launches_kernel blocks
// MERGE: gpu.launch_func @mxc_model::@two_launches_kernel_0 blocks
// MERGE-NOT: memref.global "private" constant @w
// MERGE: memref.global "private" constant @big
// MERGE: func.func @big_global
// MERGE: %[[BIG:.+]] = memref.get_global @big
// MERGE: gpu.launch_func @mxc_model::@big_global_kernel {{.*}} args(%[[BIG]] : memref<2048xf32>,
// MERGE: gpu.module @mxc_model {
// MERGE-DAG: gpu.func @two_launches_kernel(
// MERGE-DAG: gpu.func @two_launches_kernel_0(
// MERGE-DAG: memref.global "private" constant @w : memref<4x8xf32>
// MERGE-DAG: gpu.func @big_global_kernel(%{{.*}}: memref<2048xf32>,
// MERGE-NOT: memref.global "private" constant @big
// MERGE-NOT: gpu.module
memref.global "private" constant @w : memref<4x8xf32> = dense<1.0>
func.func @two_launches(%out: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c0 = arith.constant 0 : index
  %w = memref.get_global @w : memref<4x8xf32>
  %flat = memref.collapse_shape %w [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%a = %c32, %b = %c1, %c = %c1) {
    %v = memref.load %flat[%tx] : memref<32xf32>
    memref.store %v, %out[%tx] : memref<32xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    %v = memref.load %w[%c0, %c0] : memref<4x8xf32>
    memref.store %v, %out[%c0] : memref<32xf32>
    gpu.terminator
  }
  return
}

memref.global "private" constant @big : memref<2048xf32> = dense<2.0>
func.func @big_global(%out: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %big = memref.get_global @big : memref<2048xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%a = %c32, %b = %c1, %c = %c1) {
    %v = memref.load %big[%tx] : memref<2048xf32>
    memref.store %v, %out[%tx] : memref<32xf32>
    gpu.terminator
  }
  return
}

memref.global "private" @counts : memref<4096xi32> = dense<0>
func.func @counters() {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : i32
  %counts = memref.get_global @counts : memref<4096xi32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    memref.store %one, %counts[%c0] : memref<4096xi32>
    gpu.terminator
  }
  return
}
