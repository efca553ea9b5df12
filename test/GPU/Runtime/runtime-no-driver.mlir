// mlir-runner (uninstrumented) loads mxc's runtime: not in a sanitized
// build.
// UNSUPPORTED: sanitized
// Host code from gpu-to-llvm runs against mxc's runtime. Without a CUDA
// driver the program stops at the first driver call (loading the module)
// with one clear line, not a crash or a missing symbol.
// REQUIRES: cuda-toolkit
// UNSUPPORTED: cuda-gpu

// RUN: mxc-opt %s --mxc-gpu-to-binary="format=isa" --gpu-to-llvm --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | not %run-cpu -shared-libs=%mxc_cuda_runtime 2>&1 | FileCheck %s
// CHECK: mxc-cuda: no CUDA driver found (libcuda.so.1
// CHECK-NOT: launched

module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_90", features = "+ptx80">] {
    gpu.func @noop() kernel {
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@noop blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    vector.print str "launched\n"
    return
  }
}
