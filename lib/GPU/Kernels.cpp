//===- Kernels.cpp - MX GPU kernels as gpu.func
//-----------------------------===//

#include "mxc/GPU/Kernels.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

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

  /// Warp sum by butterfly shuffles.
  Value warpSum(Value v) {
    for (int offset = 16; offset >= 1; offset /= 2)
      v = addf(v, ::mlir::gpu::ShuffleOp::create(b, v, offset, 32,
                                                 ::mlir::gpu::ShuffleMode::XOR)
                      .getShuffleResult());
    return v;
  }
  Value warpMax(Value v) {
    for (int offset = 16; offset >= 1; offset /= 2)
      v = arith::MaximumFOp::create(
          b, v,
          ::mlir::gpu::ShuffleOp::create(b, v, offset, 32,
                                         ::mlir::gpu::ShuffleMode::XOR)
              .getShuffleResult());
    return v;
  }
};

MemRefType dynamic(Type element) {
  return MemRefType::get({ShapedType::kDynamic}, element);
}

::mlir::gpu::GPUFuncOp createKernel(ImplicitLocOpBuilder &b,
                                    ::mlir::gpu::GPUModuleOp module,
                                    StringRef name, TypeRange inputs,
                                    int64_t threads, TypeRange workgroup = {}) {
  b.setInsertionPointToEnd(module.getBody());
  auto func = ::mlir::gpu::GPUFuncOp::create(
      b, name, b.getFunctionType(inputs, {}), workgroup);
  func->setAttr(::mlir::gpu::GPUDialect::getKernelFuncAttrName(),
                b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

/// The 32 values of one MX block from its packed 32-bit words, each equal
/// to the element times 2^factorLog2 (see buildBlockDecode).
SmallVector<Value> decodeBlock(KernelBuilder &k, const kernels::GemvOptions &o,
                               ArrayRef<Value> words, int &factorLog2) {
  ImplicitLocOpBuilder &b = k.b;
  SmallVector<Value> v(32);
  auto pairs = [&](auto halfOf) {
    // halfOf(e) -> the f16 bit pattern (i32, low 16 bits) of element e.
    for (int e = 0; e < 32; e += 2) {
      Value packed = k.orI(halfOf(e), k.shl(halfOf(e + 1), 16));
      std::tie(v[e], v[e + 1]) = k.f16PairToF32(packed);
    }
  };
  switch (o.format) {
  case num::ElemFormat::E2M1: {
    // Bits s.ee.m -> f16 s.000ee.m000000000, whose value is the element's
    // times 2^-14 (the exponent bias 15 instead of 1), subnormals included.
    factorLog2 = -14;
    for (int w = 0; w < 4; ++w)
      for (int p = 0; p < 4; ++p) {
        Value t = k.shr(words[w], 8 * p);
        Value h = k.orI(
            k.orI(k.shl(k.andI(t, 0x7), 9), k.shl(k.andI(t, 0x8), 12)),
            k.orI(k.shl(k.andI(t, 0x70), 21), k.shl(k.andI(t, 0x80), 24)));
        std::tie(v[8 * w + 2 * p], v[8 * w + 2 * p + 1]) = k.f16PairToF32(h);
      }
    break;
  }
  case num::ElemFormat::E2M3:
  case num::ElemFormat::E3M2: {
    // s.ee.mmm -> f16 exponent field ee, mantissa mmm (the element times
    // 2^-14); s.eee.mm -> exponent eee, mantissa mm (times 2^-12).
    const bool e2m3 = o.format == num::ElemFormat::E2M3;
    factorLog2 = e2m3 ? -14 : -12;
    pairs([&](int e) {
      int bit = 6 * e, w = bit / 32, off = bit % 32;
      Value c = k.shr(words[w], off);
      if (off > 26)
        c = k.orI(c, k.shl(words[w + 1], 32 - off));
      return k.orI(k.shl(k.andI(c, 0x1F), e2m3 ? 7 : 8),
                   k.shl(k.andI(c, 0x20), 10));
    });
    break;
  }
  case num::ElemFormat::E5M2:
    // An E5M2 byte is the high byte of the f16 with the same value.
    factorLog2 = 0;
    pairs([&](int e) {
      return k.shl(k.andI(k.shr(words[e / 4], 8 * (e % 4)), 0xFF), 8);
    });
    break;
  case num::ElemFormat::E4M3:
    if (o.nativeFP8) {
      factorLog2 = 0;
      auto i8x2 = VectorType::get({2}, b.getI8Type());
      for (int e = 0; e < 32; e += 2) {
        Value pair = vector::FromElementsOp::create(
            b, VectorType::get({1}, b.getI16Type()),
            ValueRange{arith::TruncIOp::create(
                b, b.getI16Type(), k.shr(words[e / 4], 8 * (e % 4)))});
        Value h2 = NVVM::ConvertF8x2ToF16x2Op::create(
            b, VectorType::get({2}, b.getF16Type()),
            vector::BitCastOp::create(b, i8x2, pair), /*relu=*/false,
            b.getType<Float8E4M3FNType>());
        Value f2 = arith::ExtFOp::create(b, VectorType::get({2}, k.f32()), h2);
        v[e] = vector::ExtractOp::create(b, f2, 0);
        v[e + 1] = vector::ExtractOp::create(b, f2, 1);
      }
    } else {
      // s.eeee.mmm -> f16 exponent field eeee, mantissa mmm: the element
      // times 2^-8.
      factorLog2 = -8;
      pairs([&](int e) {
        Value c = k.shr(words[e / 4], 8 * (e % 4));
        return k.orI(k.shl(k.andI(c, 0x7F), 7), k.shl(k.andI(c, 0x80), 8));
      });
    }
    break;
  case num::ElemFormat::Int8:
    // Two's complement code q is the value q * 2^-6.
    factorLog2 = 6;
    for (int e = 0; e < 32; ++e) {
      Value byte = arith::TruncIOp::create(b, b.getI8Type(),
                                           k.shr(words[e / 4], 8 * (e % 4)));
      v[e] = arith::SIToFPOp::create(b, k.f32(), byte);
    }
    break;
  }
  return v;
}

} // namespace

SmallVector<Value> mlir::mxc::kernels::buildBlockDecode(OpBuilder &builder,
                                                        Location loc,
                                                        const GemvOptions &o,
                                                        ArrayRef<Value> words,
                                                        int &factorLog2) {
  ImplicitLocOpBuilder b(loc, builder);
  KernelBuilder k{b};
  return decodeBlock(k, o, words, factorLog2);
}

std::optional<int> mlir::mxc::kernels::chipVersion(llvm::StringRef chip) {
  int version = 0;
  if (!chip.consume_front("sm_") ||
      chip.take_while(llvm::isDigit).getAsInteger(10, version))
    return std::nullopt;
  return version;
}

std::string mlir::mxc::kernels::gemvKernelName(const GemvOptions &o) {
  return "mx_gemv_" + std::string(num::getFormatInfo(o.format).name) + "_b" +
         std::to_string(o.batch);
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildGemvKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module, const GemvOptions &o) {
  const int64_t bits = num::getFormatInfo(o.format).bits;
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  auto func = createKernel(
      b, module, gemvKernelName(o),
      {dynamic(b.getI32Type()), dynamic(b.getI8Type()), dynamic(k.f32()),
       dynamic(k.f32()), b.getIndexType(), b.getIndexType(), b.getIndexType()},
      32 * kGemvWarpsPerBlock);
  Value w = func.getArgument(0), scales = func.getArgument(1),
        x = func.getArgument(2), y = func.getArgument(3),
        m = func.getArgument(4), n = func.getArgument(5),
        kdim = func.getArgument(6);
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value bid = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x);
  // Rows tile * batch + r of x (block y is the row tile); rows past m read
  // row m - 1 and store nothing.
  Value tile = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::y);
  Value lastRow = arith::SubIOp::create(b, m, k.cidx(1));
  SmallVector<Value> xRows, rowValid;
  for (int64_t r = 0; r < o.batch; ++r) {
    Value xr = k.add(k.mul(tile, k.cidx(o.batch)), k.cidx(r));
    rowValid.push_back(
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, xr, m));
    xRows.push_back(xr);
  }
  Value c32 = k.cidx(32);
  Value lane = arith::RemUIOp::create(b, tid, c32);
  Value row = k.add(k.mul(bid, k.cidx(kGemvWarpsPerBlock)),
                    arith::DivUIOp::create(b, tid, c32));
  Value inRange = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, n);
  auto ifRow = scf::IfOp::create(b, inRange, /*withElse=*/false);
  b.setInsertionPointToStart(ifRow.thenBlock());

  Value blocks = arith::DivUIOp::create(b, kdim, c32);
  Value rowWords = k.mul(blocks, k.cidx(bits));
  Value wordBase = k.mul(row, rowWords);
  Value scaleBase = k.mul(row, blocks);
  SmallVector<Value> init(o.batch, k.cf32(0.0));
  auto loop = scf::ForOp::create(b, lane, blocks, c32, init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    // The block's packed codes: 16-byte loads (8-byte for FP6's 24 bytes).
    Value at = k.add(wordBase, k.mul(j, k.cidx(bits)));
    SmallVector<Value> words;
    const int64_t width = bits == 6 ? 2 : 4;
    for (int64_t i = 0; i < bits; i += width) {
      auto type = VectorType::get({width}, b.getI32Type());
      Value vec =
          vector::LoadOp::create(b, type, w, ValueRange{k.add(at, k.cidx(i))},
                                 false, llvm::MaybeAlign(4 * width));
      for (int64_t e = 0; e < width; ++e)
        words.push_back(vector::ExtractOp::create(b, vec, e));
    }
    int factorLog2 = 0;
    SmallVector<Value> values = decodeBlock(k, o, words, factorLog2);
    Value scale = buildScaleValue(
        b, b.getLoc(),
        memref::LoadOp::create(b, scales, ValueRange{k.add(scaleBase, j)}));
    Value unfactor = k.cf32(std::ldexp(1.0, -factorLog2));
    SmallVector<Value> next;
    for (int64_t r = 0; r < o.batch; ++r) {
      Value xRow = arith::MinUIOp::create(b, xRows[r], lastRow);
      Value xBase = k.add(k.mul(xRow, kdim), k.mul(j, c32));
      Value partial = k.cf32(0.0);
      for (int q = 0; q < 8; ++q) {
        Value xv =
            vector::LoadOp::create(b, VectorType::get({4}, k.f32()), x,
                                   ValueRange{k.add(xBase, k.cidx(4 * q))},
                                   false, llvm::MaybeAlign(16));
        for (int e = 0; e < 4; ++e)
          partial = k.fma(values[4 * q + e],
                          vector::ExtractOp::create(b, xv, e), partial);
      }
      next.push_back(
          k.fma(k.mulf(partial, unfactor), scale, loop.getRegionIterArgs()[r]));
    }
    scf::YieldOp::create(b, next);
  }
  Value isLeader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.cidx(0));
  for (int64_t r = 0; r < o.batch; ++r) {
    Value sum = k.warpSum(loop.getResult(r));
    auto ifLeader = scf::IfOp::create(
        b, arith::AndIOp::create(b, isLeader, rowValid[r]), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifLeader.thenBlock());
    memref::StoreOp::create(b, sum, y,
                            ValueRange{k.add(k.mul(xRows[r], n), row)});
  }
  b.setInsertionPointAfter(ifRow);
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}

std::string mlir::mxc::kernels::softmaxKernelName(const SoftmaxOptions &o) {
  return o.bits == 0 ? "mx_softmax_exact"
                     : "mx_softmax_exaq" + std::to_string(o.bits);
}

::mlir::gpu::GPUFuncOp
mlir::mxc::kernels::buildSoftmaxKernel(OpBuilder &builder,
                                       ::mlir::gpu::GPUModuleOp module,
                                       const SoftmaxOptions &o) {
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  const int64_t warps = kSoftmaxThreads / 32, levels = int64_t(1) << o.bits;
  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), ::mlir::gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t n, Type t) {
    return MemRefType::get({n}, t, MemRefLayoutAttrInterface(), workgroup);
  };
  SmallVector<Type> inputs = {dynamic(k.f32()), dynamic(k.f32()),
                              b.getIndexType()};
  SmallVector<Type> smem = {shared(warps, k.f32())};
  if (o.bits) {
    inputs.append(
        {k.f32(), k.f32(), dynamic(k.f32()), dynamic(b.getI32Type())});
    smem.append({shared(levels, k.f32()), shared(levels, b.getI32Type())});
  }
  auto func = createKernel(b, module, softmaxKernelName(o), inputs,
                           kSoftmaxThreads, smem);
  Value x = func.getArgument(0), y = func.getArgument(1),
        n = func.getArgument(2);
  Value partials = func.getWorkgroupAttributions()[0];
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value row = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value threads = k.cidx(kSoftmaxThreads);
  Value base = k.mul(row, n);
  Value lane = arith::RemUIOp::create(b, tid, k.cidx(32));
  Value warp = arith::DivUIOp::create(b, tid, k.cidx(32));
  Value isLane0 =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.cidx(0));

  // A strided loop over the row, one value per iteration.
  auto overRow =
      [&](ValueRange init,
          function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
        auto loop = scf::ForOp::create(b, tid, n, threads, init);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value at = k.add(base, loop.getInductionVar());
        Value v = memref::LoadOp::create(b, x, ValueRange{at});
        SmallVector<Value> next = body(at, v, loop.getRegionIterArgs());
        if (!init.empty()) // Without iter_args the builder made the yield.
          scf::YieldOp::create(b, next);
        return loop;
      };
  // Block-wide reduction of one f32 per thread through shared memory.
  auto blockReduce = [&](Value v, bool max) {
    v = max ? k.warpMax(v) : k.warpSum(v);
    {
      auto ifLane = scf::IfOp::create(b, isLane0, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifLane.thenBlock());
      memref::StoreOp::create(b, v, partials, ValueRange{warp});
    }
    ::mlir::gpu::BarrierOp::create(b);
    Value r = memref::LoadOp::create(b, partials, ValueRange{k.cidx(0)});
    for (int64_t i = 1; i < warps; ++i) {
      Value p = memref::LoadOp::create(b, partials, ValueRange{k.cidx(i)});
      r = max ? arith::MaximumFOp::create(b, r, p).getResult() : k.addf(r, p);
    }
    ::mlir::gpu::BarrierOp::create(b);
    return r;
  };

  Value ninf = k.cf32(-INFINITY);
  Value rowMax = blockReduce(
      overRow({ninf},
              [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                return {arith::MaximumFOp::create(b, acc[0], v)};
              })
          .getResult(0),
      /*max=*/true);

  if (o.bits == 0) {
    // exp(x - max); 0 for a masked (-inf) x.
    auto expShifted = [&](Value v) -> Value {
      Value e = math::ExpOp::create(b, arith::SubFOp::create(b, v, rowMax));
      Value masked =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, v, ninf);
      return arith::SelectOp::create(b, masked, k.cf32(0.0), e);
    };
    Value sum = blockReduce(
        overRow({k.cf32(0.0)},
                [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                  return {k.addf(acc[0], expShifted(v))};
                })
            .getResult(0),
        /*max=*/false);
    // A fully masked row (sum 0) gives zeros, not NaN.
    Value inverse = arith::SelectOp::create(
        b,
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, k.cf32(0.0)),
        k.cf32(0.0), arith::DivFOp::create(b, k.cf32(1.0), sum));
    overRow(ValueRange(),
            [&](Value at, Value v, ValueRange) -> SmallVector<Value> {
              memref::StoreOp::create(b, k.mulf(expShifted(v), inverse), y,
                                      ValueRange{at});
              return {};
            });
    ::mlir::gpu::ReturnOp::create(b);
    return func;
  }

  // EXAQ: LUT and zeroed counts in shared memory.
  Value clip = func.getArgument(3), inverseStep = func.getArgument(4),
        table = func.getArgument(5), countsOut = func.getArgument(6);
  Value lut = func.getWorkgroupAttributions()[1];
  Value counts = func.getWorkgroupAttributions()[2];
  Value nLevels = k.cidx(levels);
  {
    auto ifInit = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid, nLevels),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifInit.thenBlock());
    memref::StoreOp::create(b,
                            memref::LoadOp::create(b, table, ValueRange{tid}),
                            lut, ValueRange{tid});
    memref::StoreOp::create(b, k.c32(0), counts, ValueRange{tid});
  }
  ::mlir::gpu::BarrierOp::create(b);
  Value isNaNRow =
      arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, rowMax, rowMax);
  // The code of x - max as numerics::ExaqQuantizer::code; -1 when masked.
  auto codeOf = [&](Value v) {
    Value q = buildExaqCode(b, b.getLoc(), arith::SubFOp::create(b, v, rowMax),
                            clip, inverseStep, levels);
    Value masked = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, v, ninf);
    return arith::SelectOp::create(b, masked, k.c32(-1), q).getResult();
  };
  // Per-row code counts: shared-memory atomics (2^bits bins).
  overRow(ValueRange(), [&](Value, Value v, ValueRange) -> SmallVector<Value> {
    Value q = codeOf(v);
    auto ifCounted = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::sge, q, k.c32(0)),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifCounted.thenBlock());
    memref::AtomicRMWOp::create(
        b, arith::AtomicRMWKind::addi, k.c32(1), counts,
        ValueRange{arith::IndexCastOp::create(b, b.getIndexType(), q)});
    return {};
  });
  ::mlir::gpu::BarrierOp::create(b);
  // sum = sum_q f32(count_q) * LUT[q], in order, as the library does; each
  // thread computes it (2^bits multiply-adds; no exponentials).
  Value sum = k.cf32(0.0);
  for (int64_t q = 0; q < levels; ++q) {
    Value c = memref::LoadOp::create(b, counts, ValueRange{k.cidx(q)});
    Value l = memref::LoadOp::create(b, lut, ValueRange{k.cidx(q)});
    sum = k.addf(sum, k.mulf(arith::UIToFPOp::create(b, k.f32(), c), l));
  }
  {
    auto ifOut = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid, nLevels),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOut.thenBlock());
    memref::StoreOp::create(
        b, memref::LoadOp::create(b, counts, ValueRange{tid}), countsOut,
        ValueRange{k.add(k.mul(row, nLevels), tid)});
  }
  Value zeroSum =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, k.cf32(0.0));
  Value nan = k.cf32(NAN);
  overRow(
      ValueRange(), [&](Value at, Value v, ValueRange) -> SmallVector<Value> {
        Value q = codeOf(v);
        Value masked =
            arith::CmpIOp::create(b, arith::CmpIPredicate::slt, q, k.c32(0));
        Value safe = arith::SelectOp::create(b, masked, k.c32(0), q);
        Value l = memref::LoadOp::create(
            b, lut,
            ValueRange{arith::IndexCastOp::create(b, b.getIndexType(), safe)});
        Value r = arith::DivFOp::create(b, l, sum);
        r = arith::SelectOp::create(b, arith::OrIOp::create(b, masked, zeroSum),
                                    k.cf32(0.0), r);
        r = arith::SelectOp::create(b, isNaNRow, nan, r);
        memref::StoreOp::create(b, r, y, ValueRange{at});
        return {};
      });
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}

std::string
mlir::mxc::kernels::attentionDecodeKernelName(const AttentionDecodeOptions &o) {
  return std::string("mx_attention_decode_") + (o.sparse ? "sparse" : "dense") +
         "_d" + std::to_string(o.headDim);
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildAttentionDecodeKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module,
    const AttentionDecodeOptions &o) {
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  const int64_t d = o.headDim, warps = kAttentionThreads / 32, perLane = d / 32,
                keysPerLane = kAttentionTile / 32;
  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), ::mlir::gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t n) {
    return MemRefType::get({n}, k.f32(), MemRefLayoutAttrInterface(),
                           workgroup);
  };
  Type index = b.getIndexType();
  auto func = createKernel(
      b, module, attentionDecodeKernelName(o),
      {dynamic(k.f32()), dynamic(k.f32()), dynamic(k.f32()), dynamic(k.f32()),
       dynamic(b.getI32Type()), index, index, index, index, k.f32()},
      kAttentionThreads,
      {shared(d), shared(warps), shared(warps), shared(warps * d)});
  Value q = func.getArgument(0), kc = func.getArgument(1),
        vc = func.getArgument(2), out = func.getArgument(3),
        tiles = func.getArgument(4), numTiles = func.getArgument(5),
        keys = func.getArgument(6), heads = func.getArgument(7),
        kvHeads = func.getArgument(8), scale = func.getArgument(9);
  Value qShared = func.getWorkgroupAttributions()[0],
        mShared = func.getWorkgroupAttributions()[1],
        lShared = func.getWorkgroupAttributions()[2],
        accShared = func.getWorkgroupAttributions()[3];
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value h = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value lane = arith::RemUIOp::create(b, tid, k.cidx(32));
  Value warp = arith::DivUIOp::create(b, tid, k.cidx(32));
  Value g =
      arith::DivUIOp::create(b, h, arith::DivUIOp::create(b, heads, kvHeads));
  Value dIdx = k.cidx(d);
  Value kvBase = k.mul(k.mul(g, keys), dIdx); // element offset of head g
  auto lessThan = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y)
        .getResult();
  };
  auto select = [&](Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y).getResult();
  };
  Value ninf = k.cf32(-INFINITY), zero = k.cf32(0.0);
  auto isNegInf = [&](Value x) {
    return arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, x, ninf)
        .getResult();
  };

  // q * scale into shared memory.
  {
    auto loop = scf::ForOp::create(b, tid, dIdx, k.cidx(kAttentionThreads));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value v = memref::LoadOp::create(
        b, q, ValueRange{k.add(k.mul(h, dIdx), loop.getInductionVar())});
    memref::StoreOp::create(b, k.mulf(v, scale), qShared,
                            ValueRange{loop.getInductionVar()});
  }
  ::mlir::gpu::BarrierOp::create(b);

  // Each warp walks tiles warp, warp + 4, ...: state (m, l, acc[perLane]).
  SmallVector<Value> init = {ninf, zero};
  init.append(perLane, zero);
  auto loop = scf::ForOp::create(b, warp, numTiles, k.cidx(warps), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    Value tile = o.sparse ? arith::IndexCastOp::create(
                                b, index,
                                memref::LoadOp::create(b, tiles, ValueRange{t}))
                                .getResult()
                          : t;
    Value first = k.mul(tile, k.cidx(kAttentionTile));
    Value last = arith::SubIOp::create(b, keys, k.cidx(1));
    // Scores of the lane's keys first + lane + 32 i (-inf past the end).
    SmallVector<Value> scores, valid;
    for (int64_t i = 0; i < keysPerLane; ++i) {
      Value key = k.add(first, k.add(lane, k.cidx(32 * i)));
      Value ok = lessThan(key, keys);
      Value row =
          k.add(kvBase, k.mul(arith::MinUIOp::create(b, key, last), dIdx));
      Value dot = zero;
      for (int64_t c = 0; c < d; c += 4) {
        Value kv = vector::LoadOp::create(b, VectorType::get({4}, k.f32()), kc,
                                          ValueRange{k.add(row, k.cidx(c))},
                                          false, llvm::MaybeAlign(16));
        for (int e = 0; e < 4; ++e)
          dot = k.fma(
              vector::ExtractOp::create(b, kv, e),
              memref::LoadOp::create(b, qShared, ValueRange{k.cidx(c + e)}),
              dot);
      }
      scores.push_back(select(ok, dot, ninf));
      valid.push_back(ok);
    }
    Value tileMax = scores[0];
    for (int64_t i = 1; i < keysPerLane; ++i)
      tileMax = arith::MaximumFOp::create(b, tileMax, scores[i]);
    tileMax = k.warpMax(tileMax);
    ValueRange state = loop.getRegionIterArgs();
    Value m = state[0];
    Value mNew = arith::MaximumFOp::create(b, m, tileMax);
    Value empty = isNegInf(mNew);
    Value alpha =
        select(empty, k.cf32(1.0),
               math::ExpOp::create(b, arith::SubFOp::create(b, m, mNew)));
    SmallVector<Value> p;
    Value pSum = zero;
    for (int64_t i = 0; i < keysPerLane; ++i) {
      Value e =
          math::ExpOp::create(b, arith::SubFOp::create(b, scores[i], mNew));
      p.push_back(
          select(arith::AndIOp::create(
                     b, valid[i],
                     arith::XOrIOp::create(
                         b, empty, arith::ConstantIntOp::create(b, 1, 1))),
                 e, zero));
      pSum = k.addf(pSum, p.back());
    }
    Value l = k.fma(state[1], alpha, k.warpSum(pSum));
    SmallVector<Value> acc;
    for (int64_t i = 0; i < perLane; ++i)
      acc.push_back(k.mulf(state[2 + i], alpha));
    // acc += p_j * v[key j, lane's dims] for every key j of the tile: a
    // loop (not unrolled here), so that ptxas keeps the loads in registers.
    Value dims = k.mul(lane, k.cidx(perLane));
    for (int64_t half = 0; half < keysPerLane; ++half) {
      auto keyLoop =
          scf::ForOp::create(b, k.cidx(0), k.cidx(32), k.cidx(1), acc);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(keyLoop.getBody());
      Value j = keyLoop.getInductionVar();
      Value pj =
          ::mlir::gpu::ShuffleOp::create(
              b, p[half], arith::IndexCastOp::create(b, b.getI32Type(), j),
              k.c32(32), ::mlir::gpu::ShuffleMode::IDX)
              .getShuffleResult();
      Value key = arith::MinUIOp::create(
          b, k.add(first, k.add(j, k.cidx(32 * half))), last);
      Value at = k.add(kvBase, k.add(k.mul(key, dIdx), dims));
      Value vv = vector::LoadOp::create(b, VectorType::get({perLane}, k.f32()),
                                        vc, ValueRange{at}, false,
                                        llvm::MaybeAlign(4 * perLane));
      SmallVector<Value> updated;
      for (int64_t i = 0; i < perLane; ++i)
        updated.push_back(k.fma(pj, vector::ExtractOp::create(b, vv, i),
                                keyLoop.getRegionIterArgs()[i]));
      scf::YieldOp::create(b, updated);
      b.setInsertionPointAfter(keyLoop);
      acc.assign(keyLoop.getResults().begin(), keyLoop.getResults().end());
    }
    SmallVector<Value> next = {mNew, l};
    next.append(acc);
    scf::YieldOp::create(b, next);
  }
  // Each warp's state to shared memory; then combine per output dimension.
  {
    auto ifLane = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.cidx(0)),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifLane.thenBlock());
    memref::StoreOp::create(b, loop.getResult(0), mShared, ValueRange{warp});
    memref::StoreOp::create(b, loop.getResult(1), lShared, ValueRange{warp});
  }
  for (int64_t i = 0; i < perLane; ++i)
    memref::StoreOp::create(
        b, loop.getResult(2 + i), accShared,
        ValueRange{k.add(k.mul(warp, dIdx),
                         k.add(k.mul(lane, k.cidx(perLane)), k.cidx(i)))});
  ::mlir::gpu::BarrierOp::create(b);
  {
    auto ifDim = scf::IfOp::create(b, lessThan(tid, dIdx), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifDim.thenBlock());
    SmallVector<Value> ms;
    Value mAll = ninf;
    for (int64_t w = 0; w < warps; ++w) {
      ms.push_back(memref::LoadOp::create(b, mShared, ValueRange{k.cidx(w)}));
      mAll = arith::MaximumFOp::create(b, mAll, ms.back());
    }
    Value lAll = zero, o = zero;
    for (int64_t w = 0; w < warps; ++w) {
      Value f =
          select(isNegInf(ms[w]), zero,
                 math::ExpOp::create(b, arith::SubFOp::create(b, ms[w], mAll)));
      lAll = k.fma(memref::LoadOp::create(b, lShared, ValueRange{k.cidx(w)}), f,
                   lAll);
      o = k.fma(memref::LoadOp::create(b, accShared,
                                       ValueRange{k.add(k.cidx(w * d), tid)}),
                f, o);
    }
    Value result =
        select(arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, lAll, zero),
               arith::DivFOp::create(b, o, lAll), zero);
    memref::StoreOp::create(b, result, out,
                            ValueRange{k.add(k.mul(h, dIdx), tid)});
  }
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
