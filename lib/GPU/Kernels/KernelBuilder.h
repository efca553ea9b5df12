//===- KernelBuilder.h - Shared helpers of the GPU kernel builders -*- C++ -*-//
//
// What every kernel family (Gemv.cpp, Softmax.cpp, Attention.cpp) builds
// with: small arith/gpu helpers over an ImplicitLocOpBuilder, and the
// creation of a kernel gpu.func with its known block size.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_LIB_GPU_KERNELS_KERNELBUILDER_H
#define MXC_LIB_GPU_KERNELS_KERNELBUILDER_H

#include "mxc/GPU/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::mxc::kernels {

/// Small helpers over an ImplicitLocOpBuilder.
struct KernelBuilder {
  ImplicitLocOpBuilder &b;

  Type i32() { return b.getI32Type(); }
  Type f32() { return b.getF32Type(); }
  Value c32(int64_t v) { return arith::ConstantIntOp::create(b, v, 32); }
  Value cidx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value cf32(double v) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(),
                                          llvm::APFloat(static_cast<float>(v)));
  }
  Value andI(Value x, int64_t m) { return arith::AndIOp::create(b, x, c32(m)); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, x, y); }
  Value shl(Value x, int64_t s) {
    return s == 0 ? x : arith::ShLIOp::create(b, x, c32(s)).getResult();
  }
  Value shr(Value x, int64_t s) {
    return s == 0 ? x : arith::ShRUIOp::create(b, x, c32(s)).getResult();
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value addf(Value x, Value y) { return arith::AddFOp::create(b, x, y); }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, x, y); }
  Value fma(Value x, Value y, Value z) {
    return math::FmaOp::create(b, x, y, z);
  }

  /// Two f16 bit patterns packed in an i32 (low half first) as two f32.
  std::pair<Value, Value> f16PairToF32(Value packed) {
    auto h2 = VectorType::get({2}, b.getF16Type());
    auto f2 = VectorType::get({2}, f32());
    Value word = vector::FromElementsOp::create(b, VectorType::get({1}, i32()),
                                                ValueRange{packed});
    Value v = arith::ExtFOp::create(
        b, f2, vector::BitCastOp::create(b, h2, word).getResult());
    return {vector::ExtractOp::create(b, v, 0),
            vector::ExtractOp::create(b, v, 1)};
  }

  /// The `bits` 32-bit words of one packed MX block of `bits`-bit codes at
  /// word `at` of `words` (memref<?xi32>), with 16-byte vector loads (8-byte
  /// for FP6's 24 bytes).
  SmallVector<Value> loadBlockWords(Value words, Value at, int64_t bits) {
    SmallVector<Value> loaded;
    const int64_t width = bits == 6 ? 2 : 4;
    for (int64_t i = 0; i < bits; i += width) {
      Value vec = vector::LoadOp::create(b, VectorType::get({width}, i32()),
                                         words, ValueRange{add(at, cidx(i))},
                                         false, llvm::MaybeAlign(4 * width));
      for (int64_t e = 0; e < width; ++e)
        loaded.push_back(vector::ExtractOp::create(b, vec, e));
    }
    return loaded;
  }

  /// Warp sum by butterfly shuffles.
  Value warpSum(Value v) { return warpReduce<arith::AddFOp>(v); }
  /// Warp max (NaN-propagating: maximumf).
  Value warpMax(Value v) { return warpReduce<arith::MaximumFOp>(v); }
  /// Warp max ignoring NaN (maxnumf), as std::max(m, x) from m = -inf does.
  Value warpMaxNum(Value v) { return warpReduce<arith::MaxNumFOp>(v); }
  /// Warp reduction with the binary op `Op` by butterfly shuffles.
  template <typename Op> Value warpReduce(Value v) {
    for (int offset = 16; offset >= 1; offset /= 2)
      v = Op::create(b, v,
                     ::mlir::gpu::ShuffleOp::create(
                         b, v, offset, 32, ::mlir::gpu::ShuffleMode::XOR)
                         .getShuffleResult());
    return v;
  }
};

/// A 1-D dynamically sized memref of `element`.
MemRefType dynamic(Type element);

/// Creates an empty kernel gpu.func @`name`(`inputs`) at the end of
/// `module`, with `threads` as its known block size and `workgroup` buffers,
/// and sets `b` to its entry block.
::mlir::gpu::GPUFuncOp createKernel(ImplicitLocOpBuilder &b,
                                    ::mlir::gpu::GPUModuleOp module,
                                    StringRef name, TypeRange inputs,
                                    int64_t threads, TypeRange workgroup = {});

} // namespace mlir::mxc::kernels

#endif // MXC_LIB_GPU_KERNELS_KERNELBUILDER_H
