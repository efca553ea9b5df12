//===- Kernels.h - MX GPU kernels as gpu.func ---------------------*- C++
//-*-===//
//
// Builders of the GPU kernels mxc generates, as gpu.func in a gpu.module,
// for the NVVM path (convert-gpu-to-nvvm, gpu-module-to-binary). Every
// kernel takes memrefs (the expanded descriptor ABI of the LLVM lowering:
// allocated and aligned pointer, offset, then sizes and strides) and index
// scalars; the kernel ABI each builder documents is what the runtime and the
// GPU test runner launch.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_GPU_KERNELS_H
#define MXC_GPU_KERNELS_H

#include "mxc/GPU/KernelABI.h"
#include "mxc/GPU/LaunchGeometry.h"
#include "mxc/Numerics/Formats.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <string>

namespace mlir::mxc::kernels {

using ::mxc::gpu::kAttentionThreads;
using ::mxc::gpu::kAttentionTile;
using ::mxc::gpu::kGemmStrideWords;
using ::mxc::gpu::kGemmThreads;
using ::mxc::gpu::kGemmTileK;
using ::mxc::gpu::kGemmTileM;
using ::mxc::gpu::kGemmTileN;
using ::mxc::gpu::kGemvBlocksInFlight;
using ::mxc::gpu::kGemvStageBlocks;
using ::mxc::gpu::kGemvStageStride;
using ::mxc::gpu::kGemvWarpsPerBlock;
using ::mxc::gpu::kMaxAttentionGroupHeads;
using ::mxc::gpu::kSoftmaxThreads;

struct GemvOptions {
  ::mxc::numerics::ElemFormat format = ::mxc::numerics::ElemFormat::E2M1;
  /// Activation rows (the decode batch), 1 to 16.
  int64_t batch = 1;
  /// Decode FP8 E4M3 with the native conversion (cvt...e4m3x2, sm_89 and
  /// newer) instead of integer bit operations.
  bool nativeFP8 = true;
  /// Read x where it is even where the batch would stage it in shared
  /// memory (isGemvStaged): the kernel "_unstaged", for comparing the two
  /// on a GPU.
  bool unstaged = false;
};

/// Whether the GEMV kernel of `batch` rows stages x in shared memory (a
/// workgroup attribution of gemvStageType), see buildGemvKernel.
inline bool isGemvStaged(int64_t batch) {
  return batch <= ::mxc::gpu::kGemvStagedMaxBatch;
}
/// The staged GEMV's shared buffer: batch * kGemvStageBlocks *
/// kGemvStageStride floats.
MemRefType gemvStageType(MLIRContext *ctx, int64_t batch);

/// Alignment in bytes of every workgroup (shared memory) buffer of mxc's
/// kernels: 16-byte vector loads and stores reach them (the NVVM lowering
/// aligns them to their element otherwise).
constexpr int64_t kWorkgroupAlignment = 16;
/// Gives `func`'s workgroup buffers kWorkgroupAlignment (llvm.align) where
/// they have no alignment: mxc's kernel builders, and kernels outlined from
/// launches with workgroup buffers (mxc-gpu-merge-modules).
void alignWorkgroupBuffers(::mlir::gpu::GPUFuncOp func);

/// The compute capability of an NVVM chip name, 90 for "sm_90" (also
/// "sm_90a"); nothing for anything else.
std::optional<int> chipVersion(llvm::StringRef chip);

/// The kernel's name: "mx_gemv_<format>_b<batch>", with "_unstaged"
/// appended where options.unstaged turns off the staging of a batch that
/// has it.
std::string gemvKernelName(const GemvOptions &options);

/// Adds to `module` the MX GEMV / row-tiled GEMM
///   y[r, n] = sum_k x[r, k] * W[n, k] (+ residual[r, n])  (r < M, n < N)
/// as gpu.func @<gemvKernelName>(%w: memref<?xi32>, %scales: memref<?xi8>,
///   %x: memref<?xf32>, %y: memref<?xf32>, %m: index, %n: index, %k: index,
///   %residual: memref<?xf32>, %add_residual: index) kernel (the arguments
/// of gemvCalleeType, KernelABI.h; the residual is read only where
/// %add_residual is not 0), where W is MX (`format`, blocks of 32 along k; K a
/// multiple of 32): %w is its packed storage row after row (K * bits / 32 words
/// per row), %scales its E8M0 bytes [N, K/32], %x is [M, K] and %y [M, N]
/// row-major. Launch with blocks of 32 * kGemvWarpsPerBlock threads, grid
/// (ceil(N / kGemvWarpsPerBlock), ceil(M / batch)): warp w of block (i, t)
/// computes output column n = i * kGemvWarpsPerBlock + w for the `batch`
/// rows of tile t (decode: M <= 16, one tile; prefill: many tiles, the
/// weight read once per tile). Its lane l walks blocks l, l + 32, ... of
/// the weight row, kGemvBlocksInFlight at a time while the row has them
/// (their codes all loaded before the first is decoded), loads each block's
/// packed codes once with 8- or 16-byte
/// vector loads, decodes them in registers from the 32-bit words (FP4 and
/// FP6 by placing sign, exponent and mantissa bits into an f16 bit
/// pattern, which is exact up to a power of two applied to the block's
/// sum; FP8 E4M3 with the native conversion when `nativeFP8`), applies the
/// block's E8M0 scale to the block's partial sums and accumulates in f32;
/// the warp reduces with shuffles and lane 0 writes y (its sum, or the
/// residual plus its sum). Up to kGemvStagedMaxBatch rows (decode), x
/// reaches the lanes through shared memory (isGemvStaged): the block's
/// threads copy kGemvStageBlocks blocks of x at a time with coalesced
/// 16-byte loads (unstaged, a lane's 16-byte loads of its block are 128
/// bytes from its neighbours': a cache line per lane), padded to
/// kGemvStageStride floats a block against bank conflicts; then each lane
/// takes its kGemvBlocksInFlight blocks of the chunk (codes loaded before
/// the copy) in the same order as unstaged, the same bits.
::mlir::gpu::GPUFuncOp buildGemvKernel(OpBuilder &b,
                                       ::mlir::gpu::GPUModuleOp module,
                                       const GemvOptions &options);

/// The GEMV kernel's decoder of one MX block: the 32 element values (f32)
/// from the block's `bits` packed 32-bit words, each equal to the element
/// times 2^factorLog2 (set here: -14 for E2M1 and E2M3, -12 for E3M2, -8 for
/// E4M3 decoded with integer operations, 0 for E5M2 and native E4M3, 6 for
/// MXINT8); the kernel multiplies the block's sum by 2^-factorLog2. Exposed so
/// that the same IR can be checked on the CPU against the numerics library.
SmallVector<Value> buildBlockDecode(OpBuilder &b, Location loc,
                                    const GemvOptions &options,
                                    ArrayRef<Value> words, int &factorLog2);

/// The GEMV's epilogue, in the kernel and its CPU form alike: stores `sum`
/// at y[at], or residual[at] + sum (the add after a matmul, the same f32
/// rounding) where `addResidual` (index) is not 0; the residual is read only
/// then.
void buildGemvStore(OpBuilder &b, Location loc, Value sum, Value residual,
                    Value addResidual, Value y, Value at);

struct GemmOptions {
  ::mxc::numerics::ElemFormat format = ::mxc::numerics::ElemFormat::E2M1;
  /// As GemvOptions::nativeFP8.
  bool nativeFP8 = true;
};

/// "mx_gemm_<format>".
std::string gemmKernelName(const GemmOptions &options);

/// Adds to `module` the prefill GEMM on tensor cores, with the GEMV's
/// arguments and result (gemvCalleeType: y[r, n] = sum_k x[r, k] * W[n, k]
/// (+ residual[r, n]) for an MX W), for sm_80 and newer:
/// gpu.func @<gemmKernelName>(...) kernel, launched with blocks of
/// kGemmThreads threads and grid (ceil(N / kGemmTileN), ceil(M /
/// kGemmTileM)). For each kGemmTileK step of k, the block's threads stage
/// the tile's rows of x, rounded to bf16 (coalesced 16-byte loads), and its
/// columns of W, each thread one MX block decoded as the GEMV does and
/// scaled (exact in bf16: every MX element times an E8M0 scale is), in
/// shared memory; each warp then multiplies its 32 x 32 of the tile with
/// nvvm.mma.sync m16n8k16 (bf16 x bf16 + f32). Rows and columns past M and
/// N read the last one and store nothing; a step past K (K a multiple of 32
/// but not of kGemmTileK) stages zeros. Against the GEMV, x loses its f32
/// mantissa beyond bf16's 8 bits: y is the f32 accumulation of
/// bf16(x) * w.
::mlir::gpu::GPUFuncOp buildGemmKernel(OpBuilder &b,
                                       ::mlir::gpu::GPUModuleOp module,
                                       const GemmOptions &options);

struct SoftmaxOptions {
  /// 0: the exact softmax; 1 to 8: EXAQ with this many bits.
  int bits = 0;
  /// EXAQ up to 4 bits only: write the compact form (each value's code as
  /// an i8 and the row's output per code) instead of f32 probabilities.
  bool codes = false;
};

/// The kernel's name: "mx_softmax_exact", "mx_softmax_exaq<bits>" or
/// "mx_softmax_exaq<bits>_codes".
std::string softmaxKernelName(const SoftmaxOptions &options);

/// Adds to `module` a row softmax
///   gpu.func @<softmaxKernelName>(%x: memref<?xf32>, %y: memref<?xf32>,
///     %n: index[, %clip: f32, %inverse_step: f32,
///     %table: memref<?xf32>, %counts: memref<?xi32>]) kernel
/// over rows of n values of %x ([rows, n], row-major), one block of
/// kSoftmaxThreads threads per row. The exact kernel computes the row max,
/// then sum(exp(x - max)), then exp(x - max) / sum. The EXAQ kernel computes
/// the row max (and whether the row has a NaN) in one pass, the code of
/// every x - max (numerics::ExaqQuantizer::code with the given clip and
/// 1/step), per-row code counts (also written to %counts, [rows, 2^bits]),
/// the sum as one dot product of the counts with the 2^bits-entry LUT
/// %table (numerics exponentTable, read into shared memory), the row's
/// output per code LUT[q] / sum once, and y = that output of x's code: the
/// exponentials of the accumulation phase become 2^bits multiply-adds, the
/// divisions 2^bits a row, bit-exact with numerics::exaqSoftmaxRow. Up to
/// kSoftmaxBallotLevels codes (bits <= 4), each warp counts in registers
/// with a ballot and a popcount per code (no atomics, no contention on the
/// code most values have); above, shared-memory atomics.
/// With options.codes the kernel's %y is %codes: memref<?xi8> ([rows, n])
/// and a last argument %row_table: memref<?xf32> ([rows, 2^bits]) follows:
/// numerics::exaqSoftmaxRowCodes's compact form (y = code < 0 ? 0 :
/// row_table[code], bit for bit), 1 byte a value written instead of 4.
constexpr int64_t kSoftmaxBallotLevels = 16;
::mlir::gpu::GPUFuncOp buildSoftmaxKernel(OpBuilder &b,
                                          ::mlir::gpu::GPUModuleOp module,
                                          const SoftmaxOptions &options);

struct AttentionDecodeOptions {
  /// Head dimension D: 4, 8, 16, or a multiple of 32 up to 128 (beyond, the
  /// per-lane state spills); isAttentionHeadDimSupported (KernelABI.h).
  int64_t headDim = 128;
  /// Walk only the listed KV tiles (span-sparse) instead of all of them.
  bool sparse = false;
  /// Query heads a block computes (1 to kMaxAttentionGroupHeads,
  /// LaunchGeometry.h):
  /// consecutive heads of one KV head, whose keys and values the block then
  /// reads once for all of them (GQA). It must divide heads / kv_heads.
  int64_t groupHeads = 1;
  /// Split each row's keys across blocks (flash-decoding): the kernel
  /// writes each split's partial state, and the merge kernel
  /// (buildAttentionMergeKernel) the output.
  bool splitKeys = false;
};

/// The kernel's name: "mx_attention_decode_{dense|sparse}_d<D>", with
/// "_q<G>" appended where a block computes G > 1 query heads and "_split"
/// where it computes a split of the keys.
std::string attentionDecodeKernelName(const AttentionDecodeOptions &options);
/// "mx_attention_merge_d<D>".
std::string attentionMergeKernelName(int64_t headDim);

/// Adds to `module` the attention of one query row per block:
///   gpu.func @<name>(%q: memref<?xf32>, %k: memref<?xf32, strided<[1],
///     offset: ?>>, %v: (as %k), %out: memref<?xf32>,
///     [%tiles: memref<?xi32>, %num_tiles: index,] (sparse only)
///     %keys: index, %heads: index, %kv_heads: index, %k_stride: index,
///     %v_stride: index, %queries: index, %scale: f32,
///     %key_offset: memref<1xi64>, %out_head_stride: index,
///     %out_row_stride: index) kernel
/// (the dense form's arguments are attentionCalleeType's, KernelABI.h).
/// The kernel reads keys + key_offset[0] as its keys (a decode step's
/// position from device memory), and writes output row i of head h at
/// out[h * out_head_stride + i * out_row_stride ...].
/// q is [heads, queries, D] (row-major), out as its strides say; key j of KV
/// head g is k[g * k_stride + j * D ...] (likewise v with v_stride), so a
/// layer's slice of a KV cache [kv_heads, max_keys, D] is read where it is.
/// Query head h reads KV head h / (heads / kv_heads). The grid is (heads / G,
/// queries) for G = options.groupHeads: block (b, i) computes query row i of
/// heads bG .. bG + G - 1, which sits at position keys - queries + i and sees
/// the keys up to it (causal; decode has queries = 1 and sees every key).
/// The G heads share their KV head, and each key and value the block loads
/// serves all G; each head's arithmetic is the same, in the same order, for
/// every G (the same bits). The dense kernel walks the tiles of
/// those keys; the sparse one walks the num_tiles tile indices in %tiles (a
/// KV-tile mask's kept tiles: whole tiles, as the span table's mask gives
/// for runs aligned to kAttentionTile keys) for every row, so that masked
/// tiles cost nothing. kAttentionThreads threads per block; each warp takes
/// every 4th walked tile: a lane scores two keys of the tile against q (held
/// in shared memory, pre-scaled), the warp updates its running max and sum
/// (online softmax) and accumulates p * v with each lane owning D / 32
/// output dimensions (one vector load per key; below D = 32, 32 / D lanes
/// share a dimension and split the tile's keys); the four warps' states
/// combine through shared memory. No key visible: zeros.
///
/// With options.splitKeys (flash-decoding: a decode step's few blocks, one
/// per group of query heads, would leave most multiprocessors idle), two
/// arguments follow: %partial: memref<?xf32>, %splits: index (S). The grid
/// is (heads / G * S, queries): block (b * S + s, i) walks the tiles 4s +
/// w, 4(s + S) + w, ... (warp w) of the same row, and writes, for each of
/// its heads h, record r = (h * queries + i) * S + s of %partial instead of
/// the output: the unnormalized sum of p * v at partial[r * D ...] and the
/// max and the sum of p at partial[R * D + 2r], [R * D + 2r + 1] (R = heads
/// * queries * S records; a split with no key: -inf, 0, zeros). %out and
/// its strides are not used; the merge kernel writes the output.
::mlir::gpu::GPUFuncOp
buildAttentionDecodeKernel(OpBuilder &b, ::mlir::gpu::GPUModuleOp module,
                           const AttentionDecodeOptions &options);

/// Adds to `module` the merge of a split attention's records:
///   gpu.func @mx_attention_merge_d<D>(%partial: memref<?xf32>,
///     %out: memref<?xf32>, %heads: index, %queries: index, %splits: index,
///     %out_head_stride: index, %out_row_stride: index) kernel
/// Grid (heads, queries), kAttentionThreads threads: thread e < D of block
/// (h, i) rescales the S records of head h, row i to their largest max M
/// and writes out[h * out_head_stride + i * out_row_stride + e] =
/// sum_s e^(m_s - M) acc_s[e] / sum_s e^(m_s - M) l_s (zero where no split
/// saw a key).
::mlir::gpu::GPUFuncOp
buildAttentionMergeKernel(OpBuilder &b, ::mlir::gpu::GPUModuleOp module,
                          int64_t headDim);

} // namespace mlir::mxc::kernels

#endif // MXC_GPU_KERNELS_H
