// mxc-gpu-sink-globals moves the weights a launch reads (globals and views
// of them) into it, so that outlining copies them into the device module;
// mxc-gpu-merge-modules puts every outlined kernel and global into one
// gpu.module, one copy of a global that two kernels read, and points the
// launches at it.

// RUN: mxc-opt %s --mxc-gpu-sink-globals | FileCheck %s --check-prefix=SINK
// RUN: mxc-opt %s --mxc-gpu-sink-globals --gpu-kernel-outlining --mxc-gpu-merge-modules --canonicalize --symbol-dce | FileCheck %s --check-prefix=MERGE

// SINK-LABEL: func.func @two_launches
// SINK: gpu.launch
// SINK-NEXT: %[[W:.+]] = memref.get_global @w : memref<4x8xf32>
// SINK-NEXT: %[[V:.+]] = memref.collapse_shape %[[W]] {{\[}}[0, 1]] : memref<4x8xf32> into memref<32xf32>
// SINK: memref.load %[[V]]
// SINK: gpu.launch
// SINK-NEXT: %[[W2:.+]] = memref.get_global @w : memref<4x8xf32>
// SINK: memref.load %[[W2]]

// MERGE: module attributes {gpu.container_module}
// MERGE-NOT: memref.global
// MERGE: func.func @two_launches
// MERGE: gpu.launch_func @mxc_model::@two_launches_kernel blocks
// MERGE: gpu.launch_func @mxc_model::@two_launches_kernel_0 blocks
// MERGE: gpu.module @mxc_model {
// MERGE-DAG: gpu.func @two_launches_kernel(
// MERGE-DAG: gpu.func @two_launches_kernel_0(
// MERGE-DAG: memref.global "private" constant @w : memref<4x8xf32>
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
