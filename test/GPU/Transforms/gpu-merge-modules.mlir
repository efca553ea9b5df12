// mxc-gpu-merge-modules: the kernels outlined into a module each go into
// one gpu.module, the launches pointed at the merged kernels; a kernel's workgroup buffers (from a launch's workgroup
// attributions: the staged GEMV's x) get 16-byte alignment for its vector
// accesses unless they have one.

// RUN: mxc-opt %s --mxc-gpu-merge-modules | FileCheck %s

// CHECK-LABEL: func.func @host
// CHECK: gpu.launch_func @mxc_model::@k blocks
// CHECK: gpu.launch_func @mxc_model::@l blocks
// CHECK-NOT: gpu.module @a
// CHECK-NOT: gpu.module @b
// CHECK: gpu.module @mxc_model
// CHECK: gpu.func @k() workgroup(%{{.+}} : memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK: gpu.func @l() workgroup(%{{.+}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 4 : i64}) kernel
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @b::@l blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  gpu.module @a {
    gpu.func @k() workgroup(%x : memref<64xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
  gpu.module @b {
    gpu.func @l() workgroup(%y : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 4 : i64}) kernel {
      gpu.return
    }
  }
}
