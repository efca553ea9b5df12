// mxc-gpu-runner runs every GPU kernel against the numerics library. It is
// built here and needs only libc, libstdc++ and libcuda; with a GPU the
// tests run, without one it says why in one line and exits 77.
// REQUIRES: ptxas

// RUN: ldd %mxc_tools_dir/mxc-gpu-runner | FileCheck %s --check-prefix=DEPS
// DEPS-NOT: libLLVM
// DEPS-NOT: libMLIR
// DEPS-NOT: libcuda

// RUN: %if cuda-gpu %{ mxc-gpu-runner test | FileCheck %s --check-prefix=GPU %}
// GPU: gemv: [[N:[0-9]+]] of [[N]] cases within the f32 accumulation bound
// GPU: gemm: [[G:[0-9]+]] of [[G]] cases within the bound of bf16(x) * w
// GPU: softmax: [[M:[0-9]+]] of [[M]] cases exact
// GPU: all passed

// RUN: %if !cuda-gpu %{ not mxc-gpu-runner test | FileCheck %s --check-prefix=NOGPU %}
// NOGPU: mxc-gpu-runner: no CUDA {{driver found|device}}{{.*}}; skipped
