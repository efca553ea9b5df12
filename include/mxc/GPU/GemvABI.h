//===- GemvABI.h - The calls through which a model reaches the GEMV -*- C++
//-*-//
//
// convert-mxc-matmul-to-gpu (before the mxc lowerings) makes each MX matmul
// a call of a declared function @mxc_gemv_<format>_b<batch>; later
// mxc-gpu-mx-kernels gives the function its body (the kernel, or CPU loops).
// Both sides name and type the function here.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_GPU_GEMVABI_H
#define MXC_GPU_GEMVABI_H

#include "mxc/Numerics/Formats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringRef.h"

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
/// scales: memref<?xi8>, x: memref<?xf32>, y: memref<?xf32>, m, n, k).
inline FunctionType gemvCalleeType(MLIRContext *ctx) {
  Type index = IndexType::get(ctx);
  auto dynamic = [](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  return FunctionType::get(
      ctx,
      {dynamic(IntegerType::get(ctx, 32)), dynamic(IntegerType::get(ctx, 8)),
       dynamic(Float32Type::get(ctx)), dynamic(Float32Type::get(ctx)), index,
       index, index},
      {});
}

} // namespace mlir::mxc

#endif // MXC_GPU_GEMVABI_H
