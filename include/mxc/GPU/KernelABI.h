//===- KernelABI.h - The calls through which a model reaches a kernel -*- C++
//-*-//
//
// convert-mxc-matmul-to-gpu and convert-mxc-attention-to-gpu (before the mxc
// lowerings) make each MX matmul a call of a declared function
// @mxc_gemv_<format>_b<batch>, and each plain attention a call of
// @mxc_attention_d<D>; later mxc-gpu-mx-kernels gives the functions their
// bodies (the kernel, or CPU loops). Both sides name and type the functions
// here.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_GPU_KERNELABI_H
#define MXC_GPU_KERNELABI_H

#include "mxc/Numerics/Formats.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeRange.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"

#include <optional>
#include <string>
#include <utility>

namespace mlir::mxc {

/// Every GEMV callee's name starts with this.
constexpr llvm::StringLiteral kGemvCalleePrefix = "mxc_gemv_";

/// "mxc_gemv_<format>_b<batch>".
inline std::string gemvCalleeName(::mxc::numerics::ElemFormat format,
                                  int64_t batch) {
  return (kGemvCalleePrefix + ::mxc::numerics::getFormatInfo(format).name +
          "_b" + std::to_string(batch))
      .str();
}

/// The format and batch of a callee name, or nothing if it is not one
/// (unknown format, batch outside 1..16).
inline std::optional<std::pair<::mxc::numerics::ElemFormat, int64_t>>
parseGemvCalleeName(llvm::StringRef name) {
  if (!name.consume_front(kGemvCalleePrefix))
    return std::nullopt;
  auto [formatName, batchText] = name.rsplit("_b");
  std::optional<::mxc::numerics::ElemFormat> format =
      ::mxc::numerics::parseElemFormat(formatName.str());
  int64_t batch = 0;
  if (!format || batchText.getAsInteger(10, batch) || batch < 1 || batch > 16)
    return std::nullopt;
  return std::make_pair(*format, batch);
}

/// The callee's type, the GEMV kernel's arguments: (words: memref<?xi32>,
/// scales: memref<?xi8>, x: memref<?xf32>, y: memref<?xf32>, m, n, k,
/// residual: memref<?xf32>, add_residual: index). y = x W^T, plus residual
/// (an [m, n] buffer: a transformer's residual stream) where add_residual
/// is not 0; otherwise residual is not read (any buffer, y itself).
inline FunctionType gemvCalleeType(MLIRContext *ctx) {
  Type index = IndexType::get(ctx);
  auto dynamic = [](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  return FunctionType::get(
      ctx,
      {dynamic(IntegerType::get(ctx, 32)), dynamic(IntegerType::get(ctx, 8)),
       dynamic(Float32Type::get(ctx)), dynamic(Float32Type::get(ctx)), index,
       index, index, dynamic(Float32Type::get(ctx)), index},
      {});
}

/// Whether the attention kernel takes head dimension `headDim`: 4, 8, 16,
/// or a multiple of 32 up to 128.
inline bool isAttentionHeadDimSupported(int64_t headDim) {
  return headDim >= 4 && headDim <= 128 &&
         (headDim < 32 ? 32 % headDim == 0 : headDim % 32 == 0);
}

/// Every attention callee's name starts with this.
constexpr llvm::StringLiteral kAttentionCalleePrefix = "mxc_attention_d";

/// "mxc_attention_d<D>".
inline std::string attentionCalleeName(int64_t headDim) {
  return (kAttentionCalleePrefix + llvm::Twine(headDim)).str();
}

/// The head dimension of a callee name, or nothing if it is not one.
inline std::optional<int64_t> parseAttentionCalleeName(llvm::StringRef name) {
  int64_t headDim = 0;
  if (!name.consume_front(kAttentionCalleePrefix) ||
      name.getAsInteger(10, headDim) || headDim < 1)
    return std::nullopt;
  return headDim;
}

/// A key or value buffer of the attention: 1-D from the first element of KV
/// head 0 (a layer's slice of the KV cache starts at an offset).
inline MemRefType attentionKVType(MLIRContext *ctx) {
  return MemRefType::get(
      {ShapedType::kDynamic}, Float32Type::get(ctx),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, {1}));
}

/// The attention's key offset: one i64 in memory (device memory on a GPU),
/// added to `keys`. A decode step's position enters through it, so that
/// the step's kernel parameters do not depend on the position and a
/// captured CUDA graph replays at any position (mxc-gpu-device-position);
/// elsewhere it holds 0.
inline MemRefType attentionKeyOffsetType(MLIRContext *ctx) {
  return MemRefType::get({1}, IntegerType::get(ctx, 64));
}

/// The attention callee's type, the dense decode attention kernel's
/// arguments: (q: memref<?xf32>, k, v: attentionKVType, out: memref<?xf32>,
/// keys, heads, kv_heads, k_stride, v_stride, queries: index, scale: f32,
/// key_offset: attentionKeyOffsetType, out_head_stride, out_row_stride:
/// index). The keys are keys + key_offset[0]; output row i of head h starts
/// at out[h * out_head_stride + i * out_row_stride] (queries * D and D:
/// [heads, queries, D] as q; D and heads * D: [queries, heads, D], the
/// layout the output projection reads).
inline FunctionType attentionCalleeType(MLIRContext *ctx) {
  Type index = IndexType::get(ctx), f32 = Float32Type::get(ctx);
  Type flat = MemRefType::get({ShapedType::kDynamic}, f32),
       kv = attentionKVType(ctx);
  return FunctionType::get(ctx,
                           {flat, kv, kv, flat, index, index, index, index,
                            index, index, f32, attentionKeyOffsetType(ctx),
                            index, index},
                           {});
}

} // namespace mlir::mxc

#endif // MXC_GPU_KERNELABI_H
