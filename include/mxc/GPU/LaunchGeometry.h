//===- LaunchGeometry.h - How mxc's GPU kernels are launched ----*- C++ -*-===//
//
// The block sizes and tiles the kernel builders (Kernels.h) assume and the
// launchers (mxc-gpu-runner, the runtime's callers, tests) use. Plain C++,
// no MLIR: the GPU runner includes it.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_GPU_LAUNCHGEOMETRY_H
#define MXC_GPU_LAUNCHGEOMETRY_H

#include <algorithm>
#include <cstdint>

namespace mxc::gpu {

/// GEMV: warps per block, one output row (column of y) per warp.
constexpr int64_t kGemvWarpsPerBlock = 4;
/// GEMV: MX blocks whose codes a lane loads before decoding any (loads in
/// flight per lane), where the row has that many for it.
constexpr int64_t kGemvBlocksInFlight = 4;
/// GEMV of up to kGemvStagedMaxBatch rows (decode): x goes through shared
/// memory in chunks of kGemvStageBlocks MX blocks (a step of every lane of
/// a warp), each block's 32 floats at kGemvStageStride floats from the
/// previous one (padding against bank conflicts): batch * 18 KB.
constexpr int64_t kGemvStagedMaxBatch = 2;
constexpr int64_t kGemvStageBlocks = 32 * kGemvBlocksInFlight;
constexpr int64_t kGemvStageStride = 36;
/// Softmax: threads per block, one block per row.
constexpr int64_t kSoftmaxThreads = 256;
/// Decode attention: threads per block (one block per group of query heads)
/// and keys per KV tile.
constexpr int64_t kAttentionThreads = 128;
constexpr int64_t kAttentionTile = 64;
/// At most this many query heads share a block (and its reads of their KV
/// head): each adds its running state to every lane's registers.
constexpr int64_t kMaxAttentionGroupHeads = 8;

/// Prefill GEMM on tensor cores (mma.sync m16n8k16, bf16 in, f32
/// accumulation): a block of kGemmThreads threads (4 warps, each 32 x 32 of
/// the tile) computes a kGemmTileM x kGemmTileN tile of y, walking k
/// kGemmTileK (two MX blocks) at a time through shared memory, each row of a
/// stage kGemmStrideWords 32-bit words (its 32 bf16 pairs and 4 of padding,
/// against bank conflicts): 2 x 64 x 36 x 4 = 18 KB.
constexpr int64_t kGemmThreads = 128;
constexpr int64_t kGemmTileM = 64;
constexpr int64_t kGemmTileN = 64;
constexpr int64_t kGemmTileK = 64;
constexpr int64_t kGemmStrideWords = kGemmTileK / 2 + 4;
/// The model computes a matmul of at least this many rows with the GEMM.
constexpr int64_t kGemmMinRows = 16;

/// Decode attention split across the keys (flash-decoding): a row's blocks
/// with their splits should come to this many (two a multiprocessor of a
/// 132-multiprocessor H100/H200)...
constexpr int64_t kAttentionSplitTargetBlocks = 264;
/// ...with at most this many splits, each at least a tile a warp of a full
/// KV cache.
constexpr int64_t kMaxAttentionSplits = 32;

/// The splits of the keys of each (group of query heads, query row) for
/// `blocks` such pairs over a KV cache of `keyCapacity` keys (1: no split).
/// It depends on the cache's capacity, not on the keys seen so far, so that
/// a decode step's launches do not change from one position to the next
/// (its CUDA graph replays as captured); a split with no keys costs its
/// block an empty record.
inline int64_t attentionSplits(int64_t blocks, int64_t keyCapacity) {
  const int64_t warps = kAttentionThreads / 32;
  const int64_t tiles = (keyCapacity + kAttentionTile - 1) / kAttentionTile;
  int64_t splits = std::min({(kAttentionSplitTargetBlocks + blocks - 1) /
                                 std::max<int64_t>(blocks, 1),
                             (tiles + warps - 1) / warps, kMaxAttentionSplits});
  return std::max<int64_t>(splits, 1);
}

/// The query heads a block computes for `heads` query heads over `kvHeads`
/// KV heads: the largest divisor of heads / kvHeads up to
/// kMaxAttentionGroupHeads (1 without GQA, or where kvHeads does not divide
/// heads).
inline int64_t attentionGroupHeads(int64_t heads, int64_t kvHeads) {
  if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0)
    return 1;
  const int64_t shared = heads / kvHeads;
  for (int64_t g = kMaxAttentionGroupHeads; g > 1; --g)
    if (shared % g == 0)
      return g;
  return 1;
}

} // namespace mxc::gpu

#endif // MXC_GPU_LAUNCHGEOMETRY_H
