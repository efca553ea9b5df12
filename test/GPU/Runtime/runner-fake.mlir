// mxc-gpu-runner's host side end to end without a GPU: a CPU stand-in for
// libcuda.so.1 (test/lib/FakeCuda) checks that every kernel the runner asks
// for is in the embedded cubin, decodes each launch's parameters in the
// kernel ABI, honours the grid and computes the kernel's result with the
// numerics library. So module loading, kernel names, parameter packing,
// grids, copies and the runner's comparisons are tested here; the GPU code
// itself only on a GPU (runner.mlir).
// REQUIRES: ptxas

// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner test | FileCheck %s
// CHECK: device: fake CUDA device (CPU) (compute capability 9.0)
// CHECK: gemv: 126 of 126 cases within the f32 accumulation bound
// CHECK: gemm: 18 of 18 cases within the bound of bf16(x) * w
// CHECK: softmax: 40 of 40 cases exact (EXAQ: bit for bit with the library, counts too; 16 of them the compact form)
// CHECK: attention: 80 of 80 cases within 2e-5 * max|v| of float64 (40 of them 4 query heads a block, 40 split across blocks)
// CHECK: all passed
