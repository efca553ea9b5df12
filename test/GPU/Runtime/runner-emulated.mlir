// mxc's GPU kernels themselves, without a GPU: the CPU stand-in for
// libcuda (test/lib/FakeCuda) with MXC_FAKE_CUDA_EMULATE=1 runs the
// kernels that mxc-kernels --format=cpu compiled for this CPU
// (mxc-gpu-emulate: each thread's body a function), each block's threads as
// fibers that meet at barriers and warp shuffles as on a GPU. So
// mxc-gpu-runner test checks the kernels' own code here, where
// runner-fake.mlir checks the runner's side against the fake's
// reimplementation with the numerics library: every GEMV format and batch,
// the tensor-core GEMM of every format (its mma.sync as the warp's
// shuffles: mxc-gpu-emulate), the exact and EXAQ softmax bit for bit (counts too), the attention at
// d = 8, 16, 64 and 128, decode and causal chunks, a KV cache's strides,
// blocks of one query head and of the 4 query heads of a KV head (GQA),
// each row's keys whole or split across blocks and merged.
// What it cannot show: PTX code generation, timing, misaligned vector loads
// (the CPU tolerates them), and data races (the fibers interleave only at
// barriers and shuffles).
// REQUIRES: ptxas
// UNSUPPORTED: sanitized

// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner test 2>&1 | FileCheck %s
// CHECK-DAG: fake CUDA emulator: {{[1-9][0-9]*}} launches of mxc's kernels emulated
// CHECK-DAG: gemv: 126 of 126 cases within the f32 accumulation bound
// CHECK-DAG: gemm: 18 of 18 cases within the bound of bf16(x) * w
// CHECK-DAG: softmax: 40 of 40 cases exact (EXAQ: bit for bit with the library, counts too; 16 of them the compact form)
// CHECK-DAG: attention: 80 of 80 cases within 2e-5 * max|v| of float64 (40 of them 4 query heads a block, 40 split across blocks)
// CHECK-DAG: all passed
