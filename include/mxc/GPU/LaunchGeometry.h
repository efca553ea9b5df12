//===- LaunchGeometry.h - How mxc's GPU kernels are launched ----*- C++ -*-===//
//
// The block sizes and tiles the kernel builders (Kernels.h) assume and the
// launchers (mxc-gpu-runner, the runtime's callers, tests) use. Plain C++,
// no MLIR: the GPU runner includes it.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_GPU_LAUNCHGEOMETRY_H
#define MXC_GPU_LAUNCHGEOMETRY_H

#include <cstdint>

namespace mxc::gpu {

/// GEMV: warps per block, one output row (column of y) per warp.
constexpr int64_t kGemvWarpsPerBlock = 4;
/// Softmax: threads per block, one block per row.
constexpr int64_t kSoftmaxThreads = 256;
/// Decode attention: threads per block (one block per head) and keys per
/// KV tile.
constexpr int64_t kAttentionThreads = 128;
constexpr int64_t kAttentionTile = 64;

} // namespace mxc::gpu

#endif // MXC_GPU_LAUNCHGEOMETRY_H
