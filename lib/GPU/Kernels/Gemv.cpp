//===- Gemv.cpp - The MX GEMV / row-tiled GEMM kernel
//----------------------===//

#include "KernelBuilder.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/KernelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>
#include <iterator>

using namespace mlir;
using namespace mlir::mxc;
using namespace mlir::mxc::kernels;
namespace num = ::mxc::numerics;

namespace {

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
    // times 2^-14 (the exponent bias 15 instead of 1), subnormals included:
    // its high byte is s000eem0. Word w's 4 low nibbles (elements 8w + 2i)
    // become 4 such bytes in a word with two masks and two shifts, its 4
    // high nibbles likewise, and each word of bytes 4 f16 values with 3
    // operations (about 2 a value, against 6 nibble by nibble).
    factorLog2 = -14;
    const auto mask = static_cast<int32_t>(0xFF00FF00u);
    for (int w = 0; w < 4; ++w) {
      Value lowBytes = k.orI(k.shl(k.andI(words[w], 0x07070707), 1),
                             k.shl(k.andI(words[w], 0x08080808), 4));
      Value highBytes =
          k.orI(k.andI(k.shr(words[w], 3), 0x0E0E0E0E),
                k.andI(words[w], static_cast<int32_t>(0x80808080u)));
      // Bytes i of lowBytes and highBytes: elements 8w + 2i and 8w + 2i + 1.
      auto [e0, e4] = k.f16PairToF32(k.andI(k.shl(lowBytes, 8), mask));
      auto [e2, e6] = k.f16PairToF32(k.andI(lowBytes, mask));
      auto [e1, e5] = k.f16PairToF32(k.andI(k.shl(highBytes, 8), mask));
      auto [e3, e7] = k.f16PairToF32(k.andI(highBytes, mask));
      Value decoded[8] = {e0, e1, e2, e3, e4, e5, e6, e7};
      std::copy(std::begin(decoded), std::end(decoded), v.begin() + 8 * w);
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
    // An E5M2 byte is the high byte of the f16 with the same value: a
    // word's bytes 0 and 2 shifted up a byte and masked are an f16 pair,
    // its bytes 1 and 3 masked another.
    factorLog2 = 0;
    for (int w = 0; w < 8; ++w) {
      const auto mask = static_cast<int32_t>(0xFF00FF00u);
      std::tie(v[4 * w], v[4 * w + 2]) =
          k.f16PairToF32(k.andI(k.shl(words[w], 8), mask));
      std::tie(v[4 * w + 1], v[4 * w + 3]) =
          k.f16PairToF32(k.andI(words[w], mask));
    }
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
      // times 2^-8. A word's bytes 0 and 2 land in an f16 pair shifted
      // up 7 (sign 8), its bytes 1 and 3 shifted down 1 (sign in place):
      // masks and shifts on the word, not byte by byte.
      factorLog2 = -8;
      const auto magnitude = static_cast<int32_t>(0x3F803F80u),
                 sign = static_cast<int32_t>(0x80008000u);
      for (int w = 0; w < 8; ++w) {
        Value even = k.orI(k.andI(k.shl(words[w], 7), magnitude),
                           k.andI(k.shl(words[w], 8), sign));
        Value odd = k.orI(k.andI(k.shr(words[w], 1), magnitude),
                          k.andI(words[w], sign));
        std::tie(v[4 * w], v[4 * w + 2]) = k.f16PairToF32(even);
        std::tie(v[4 * w + 1], v[4 * w + 3]) = k.f16PairToF32(odd);
      }
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

void mlir::mxc::kernels::buildGemvStore(OpBuilder &b, Location loc, Value sum,
                                        Value residual, Value addResidual,
                                        Value y, Value at) {
  Value asked =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, addResidual,
                            arith::ConstantIndexOp::create(b, loc, 0));
  auto withResidual = scf::IfOp::create(b, loc, b.getF32Type(), asked, true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(withResidual.thenBlock());
    scf::YieldOp::create(
        b, loc,
        ValueRange{arith::AddFOp::create(
            b, loc, memref::LoadOp::create(b, loc, residual, ValueRange{at}),
            sum)});
    b.setInsertionPointToStart(withResidual.elseBlock());
    scf::YieldOp::create(b, loc, ValueRange{sum});
  }
  memref::StoreOp::create(b, loc, withResidual.getResult(0), y, ValueRange{at});
}

MemRefType mlir::mxc::kernels::gemvStageType(MLIRContext *ctx, int64_t batch) {
  return MemRefType::get({batch * kGemvStageBlocks * kGemvStageStride},
                         Float32Type::get(ctx), MemRefLayoutAttrInterface(),
                         ::mlir::gpu::AddressSpaceAttr::get(
                             ctx, ::mlir::gpu::AddressSpace::Workgroup));
}

std::string mlir::mxc::kernels::gemvKernelName(const GemvOptions &o) {
  return "mx_gemv_" + std::string(num::getFormatInfo(o.format).name) + "_b" +
         std::to_string(o.batch) +
         (o.unstaged && isGemvStaged(o.batch) ? "_unstaged" : "");
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildGemvKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module, const GemvOptions &o) {
  const int64_t bits = num::getFormatInfo(o.format).bits;
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  const bool staged = isGemvStaged(o.batch) && !o.unstaged;
  SmallVector<Type> workgroup;
  if (staged)
    workgroup.push_back(gemvStageType(b.getContext(), o.batch));
  auto func =
      createKernel(b, module, gemvKernelName(o),
                   llvm::to_vector(gemvCalleeType(b.getContext()).getInputs()),
                   32 * kGemvWarpsPerBlock, workgroup);
  Value w = func.getArgument(0), scales = func.getArgument(1),
        x = func.getArgument(2), y = func.getArgument(3),
        m = func.getArgument(4), n = func.getArgument(5),
        kdim = func.getArgument(6), residual = func.getArgument(7),
        addResidual = func.getArgument(8);
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
  // Staged, every warp of the block meets at its barriers: a warp past n
  // computes row n - 1 and stores nothing. Otherwise it does nothing.
  scf::IfOp ifRow;
  if (staged) {
    row =
        arith::MinUIOp::create(b, row, arith::SubIOp::create(b, n, k.cidx(1)));
  } else {
    ifRow = scf::IfOp::create(b, inRange, /*withElse=*/false);
    b.setInsertionPointToStart(ifRow.thenBlock());
  }

  Value blocks = arith::DivUIOp::create(b, kdim, c32);
  Value rowWords = k.mul(blocks, k.cidx(bits));
  Value wordBase = k.mul(row, rowWords);
  Value scaleBase = k.mul(row, blocks);
  // Block j's packed codes (16-byte loads; 8-byte for FP6's 24 bytes) and
  // its scale byte: the loads from DRAM.
  struct BlockLoads {
    SmallVector<Value> words;
    Value scale;
  };
  auto loadBlock = [&](Value j) {
    BlockLoads loads;
    loads.words =
        k.loadBlockWords(w, k.add(wordBase, k.mul(j, k.cidx(bits))), bits);
    loads.scale =
        memref::LoadOp::create(b, scales, ValueRange{k.add(scaleBase, j)});
    return loads;
  };
  // The rows of x the tile reads (rows past m read row m - 1).
  SmallVector<Value> xRowsRead;
  for (int64_t r = 0; r < o.batch; ++r)
    xRowsRead.push_back(arith::MinUIOp::create(b, xRows[r], lastRow));
  // Elements `at` .. `at` + 3 of block j of x's row r (of the tile): from x.
  auto xFromGlobal = [&](Value j, int64_t r, Value at) {
    Value xBase = k.add(k.mul(xRowsRead[r], kdim), k.mul(j, c32));
    return vector::LoadOp::create(b, VectorType::get({4}, k.f32()), x,
                                  ValueRange{k.add(xBase, at)}, false,
                                  llvm::MaybeAlign(16))
        .getResult();
  };
  // The block's contribution to each row's sum: decoded in registers,
  // dotted with x (xChunk(r, q): elements 4q .. 4q + 3 of the block's 32
  // of row r), scaled.
  auto accumulateBlock = [&](const BlockLoads &loads, ValueRange acc,
                             function_ref<Value(int64_t, int64_t)> xChunk) {
    int factorLog2 = 0;
    SmallVector<Value> values = decodeBlock(k, o, loads.words, factorLog2);
    Value scale = buildScaleValue(b, b.getLoc(), loads.scale);
    Value unfactor = k.cf32(std::ldexp(1.0, -factorLog2));
    SmallVector<Value> next;
    for (int64_t r = 0; r < o.batch; ++r) {
      Value partial = k.cf32(0.0);
      for (int q = 0; q < 8; ++q) {
        Value xv = xChunk(r, q);
        for (int e = 0; e < 4; ++e)
          partial = k.fma(values[4 * q + e],
                          vector::ExtractOp::create(b, xv, e), partial);
      }
      next.push_back(k.fma(k.mulf(partial, unfactor), scale, acc[r]));
    }
    return next;
  };
  const int64_t unroll = kGemvBlocksInFlight;
  Value isLeader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.cidx(0));
  // Lane 0 of each warp stores the rows' sums.
  auto storeSums = [&](ValueRange sums, Value valid) {
    for (int64_t r = 0; r < o.batch; ++r) {
      Value sum = k.warpSum(sums[r]);
      Value store = arith::AndIOp::create(b, isLeader, rowValid[r]);
      if (valid)
        store = arith::AndIOp::create(b, store, valid);
      auto ifLeader = scf::IfOp::create(b, store, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifLeader.thenBlock());
      buildGemvStore(b, b.getLoc(), sum, residual, addResidual, y,
                     k.add(k.mul(xRows[r], n), row));
    }
  };
  if (staged) {
    // x in chunks of kGemvStageBlocks blocks through shared memory: the
    // block's threads load a chunk with coalesced 16-byte loads (thread t
    // the t-th 16 bytes, and so on), block i at i * kGemvStageStride
    // floats (4 of padding after each block's 32: a lane's 16-byte reads of
    // its block then hit distinct banks within each quarter warp); then
    // each warp's lane l takes blocks l, l + 32, l + 64, l + 96 of the
    // chunk, their codes loaded before the barriers (loads in flight), and
    // reads their x from shared memory: the same blocks in the same order
    // as unstaged (the same bits).
    Value xs = func.getWorkgroupAttributions()[0];
    const int64_t chunk = kGemvStageBlocks, stride = kGemvStageStride;
    Value chunks = arith::CeilDivUIOp::create(b, blocks, k.cidx(chunk));
    Value lastBlock = arith::SubIOp::create(b, blocks, k.cidx(1));
    SmallVector<Value> init(o.batch, k.cf32(0.0));
    auto loop = scf::ForOp::create(b, k.cidx(0), chunks, k.cidx(1), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value base = k.mul(loop.getInductionVar(), k.cidx(chunk));
      SmallVector<Value> valid;
      SmallVector<BlockLoads> loads;
      for (int64_t u = 0; u < unroll; ++u) {
        Value j = k.add(base, k.add(lane, k.cidx(32 * u)));
        valid.push_back(
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, j, blocks));
        loads.push_back(loadBlock(arith::MinUIOp::create(b, j, lastBlock)));
      }
      // The previous chunk's readers are done; stage this one.
      ::mlir::gpu::BarrierOp::create(b);
      const int64_t threads = 32 * kGemvWarpsPerBlock;
      // Items past the last block copy the last block again (into slots no
      // valid block reads): no branch between the barriers.
      for (int64_t i = 0; i < chunk * 8 / threads; ++i) {
        Value item = k.add(tid, k.cidx(threads * i));
        Value jb = arith::DivUIOp::create(b, item, k.cidx(8));
        Value q = arith::RemUIOp::create(b, item, k.cidx(8));
        Value j = arith::MinUIOp::create(b, k.add(base, jb), lastBlock);
        for (int64_t r = 0; r < o.batch; ++r) {
          Value v = xFromGlobal(j, r, k.mul(q, k.cidx(4)));
          Value to =
              k.add(k.cidx(r * chunk * stride),
                    k.add(k.mul(jb, k.cidx(stride)), k.mul(q, k.cidx(4))));
          vector::StoreOp::create(b, v, xs, ValueRange{to}, false,
                                  llvm::MaybeAlign(16));
        }
      }
      ::mlir::gpu::BarrierOp::create(b);
      SmallVector<Value> acc(loop.getRegionIterArgs());
      for (int64_t u = 0; u < unroll; ++u) {
        Value jb = k.add(lane, k.cidx(32 * u));
        SmallVector<Value> next =
            accumulateBlock(loads[u], acc, [&](int64_t r, int64_t q) {
              Value at = k.add(k.cidx(r * chunk * stride + 4 * q),
                               k.mul(jb, k.cidx(stride)));
              return vector::LoadOp::create(b, VectorType::get({4}, k.f32()),
                                            xs, ValueRange{at}, false,
                                            llvm::MaybeAlign(16))
                  .getResult();
            });
        for (int64_t r = 0; r < o.batch; ++r)
          acc[r] = arith::SelectOp::create(b, valid[u], next[r], acc[r]);
      }
      scf::YieldOp::create(b, acc);
    }
    storeSums(loop.getResults(), inRange);
    ::mlir::gpu::ReturnOp::create(b);
    return func;
  }
  // Lane l takes blocks l, l + 32, ...: kGemvBlocksInFlight of them per
  // step, their codes loaded before any is decoded (several loads in
  // flight per lane), then the rest one at a time. The lane adds its blocks
  // in the same order either way (the same bits as one at a time).
  Value span = k.cidx(32 * (unroll - 1));
  // Steps start below max(blocks, span) - span: all their blocks exist.
  Value limit =
      arith::SubIOp::create(b, arith::MaxUIOp::create(b, blocks, span), span);
  SmallVector<Value> init(o.batch, k.cf32(0.0));
  auto steps = scf::ForOp::create(b, lane, limit, k.cidx(32 * unroll), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(steps.getBody());
    Value j = steps.getInductionVar();
    SmallVector<BlockLoads> loads;
    for (int64_t u = 0; u < unroll; ++u)
      loads.push_back(loadBlock(k.add(j, k.cidx(32 * u))));
    SmallVector<Value> acc(steps.getRegionIterArgs());
    for (int64_t u = 0; u < unroll; ++u) {
      Value ju = k.add(j, k.cidx(32 * u));
      acc = accumulateBlock(loads[u], acc, [&](int64_t r, int64_t q) {
        return xFromGlobal(ju, r, k.cidx(4 * q));
      });
    }
    scf::YieldOp::create(b, acc);
  }
  // The first block the steps left: lane + 32 * unroll * (their count).
  Value stepCount = arith::SelectOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, lane, limit),
      arith::CeilDivUIOp::create(b, arith::SubIOp::create(b, limit, lane),
                                 k.cidx(32 * unroll)),
      k.cidx(0));
  Value rest = k.add(lane, k.mul(stepCount, k.cidx(32 * unroll)));
  auto loop = scf::ForOp::create(b, rest, blocks, c32, steps.getResults());
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    scf::YieldOp::create(
        b, accumulateBlock(loadBlock(j), loop.getRegionIterArgs(),
                           [&](int64_t r, int64_t q) {
                             return xFromGlobal(j, r, k.cidx(4 * q));
                           }));
  }
  storeSums(loop.getResults(), Value());
  b.setInsertionPointAfter(ifRow);
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
