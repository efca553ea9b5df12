//===- Attention.cpp - The dense and span-sparse decode attention kernels -===//

#include "KernelBuilder.h"
#include "mxc/GPU/KernelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace mlir;
using namespace mlir::mxc;
using namespace mlir::mxc::kernels;
namespace num = ::mxc::numerics;

std::string
mlir::mxc::kernels::attentionDecodeKernelName(const AttentionDecodeOptions &o) {
  return std::string("mx_attention_decode_") + (o.sparse ? "sparse" : "dense") +
         "_d" + std::to_string(o.headDim);
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildAttentionDecodeKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module,
    const AttentionDecodeOptions &o) {
  assert(isAttentionHeadDimSupported(o.headDim) && "unsupported head dim");
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  // A lane owns perLane output dimensions; below D = 32, `groups` lanes
  // share one and take every groups-th key of a tile each.
  const int64_t d = o.headDim, warps = kAttentionThreads / 32,
                perLane = std::max<int64_t>(1, d / 32),
                groups = std::max<int64_t>(1, 32 / d),
                keysPerLane = kAttentionTile / 32;
  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), ::mlir::gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t n) {
    return MemRefType::get({n}, k.f32(), MemRefLayoutAttrInterface(),
                           workgroup);
  };
  Type index = b.getIndexType();
  SmallVector<Type> inputs(attentionCalleeType(b.getContext()).getInputs());
  if (o.sparse)
    inputs.insert(inputs.begin() + 4, {dynamic(b.getI32Type()), index});
  auto func = createKernel(
      b, module, attentionDecodeKernelName(o), inputs, kAttentionThreads,
      {shared(d), shared(warps), shared(warps), shared(warps * d)});
  const unsigned scalars = o.sparse ? 6 : 4;
  Value q = func.getArgument(0), kc = func.getArgument(1),
        vc = func.getArgument(2), out = func.getArgument(3),
        tiles = o.sparse ? func.getArgument(4) : Value(),
        keys = func.getArgument(scalars), heads = func.getArgument(scalars + 1),
        kvHeads = func.getArgument(scalars + 2),
        kStride = func.getArgument(scalars + 3),
        vStride = func.getArgument(scalars + 4),
        queries = func.getArgument(scalars + 5),
        scale = func.getArgument(scalars + 6),
        keyOffset = func.getArgument(scalars + 7),
        outHeadStride = func.getArgument(scalars + 8),
        outRowStride = func.getArgument(scalars + 9);
  Value qShared = func.getWorkgroupAttributions()[0],
        mShared = func.getWorkgroupAttributions()[1],
        lShared = func.getWorkgroupAttributions()[2],
        accShared = func.getWorkgroupAttributions()[3];
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value h = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value row = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::y);
  Value lane = arith::RemUIOp::create(b, tid, k.cidx(32));
  Value warp = arith::DivUIOp::create(b, tid, k.cidx(32));
  Value g =
      arith::DivUIOp::create(b, h, arith::DivUIOp::create(b, heads, kvHeads));
  Value dIdx = k.cidx(d);
  keys = k.add(keys,
               arith::IndexCastOp::create(
                   b, index, memref::LoadOp::create(b, keyOffset, k.cidx(0))));
  // Query row `row` sits at position keys - queries + row: it sees the keys
  // below rowKeys (causal).
  Value rowKeys =
      k.add(arith::SubIOp::create(b, keys, queries), k.add(row, k.cidx(1)));
  Value numTiles =
      o.sparse ? func.getArgument(5)
               : arith::CeilDivUIOp::create(b, rowKeys, k.cidx(kAttentionTile))
                     .getResult();
  Value kBase = k.mul(g, kStride), vBase = k.mul(g, vStride);
  Value qRow = k.mul(k.add(k.mul(h, queries), row), dIdx);
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
        b, q, ValueRange{k.add(qRow, loop.getInductionVar())});
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
    Value last = arith::SubIOp::create(b, rowKeys, k.cidx(1));
    // Scores of the lane's keys first + lane + 32 i (-inf past the end).
    SmallVector<Value> scores, valid;
    for (int64_t i = 0; i < keysPerLane; ++i) {
      Value key = k.add(first, k.add(lane, k.cidx(32 * i)));
      Value ok = lessThan(key, rowKeys);
      Value at =
          k.add(kBase, k.mul(arith::MinUIOp::create(b, key, last), dIdx));
      Value dot = zero;
      for (int64_t c = 0; c < d; c += 4) {
        Value kv = vector::LoadOp::create(b, VectorType::get({4}, k.f32()), kc,
                                          ValueRange{k.add(at, k.cidx(c))},
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
    // acc += p_j * v[key j, lane's dims] for the lane's keys j of the tile
    // (all of them, or every groups-th below D = 32): a loop (not unrolled
    // here), so that ptxas keeps the loads in registers.
    Value dims = k.mul(lane, k.cidx(perLane)), keyGroup = lane;
    if (groups > 1) {
      dims = arith::RemUIOp::create(b, lane, dIdx);
      keyGroup = arith::DivUIOp::create(b, lane, dIdx);
    }
    for (int64_t half = 0; half < keysPerLane; ++half) {
      auto keyLoop =
          scf::ForOp::create(b, k.cidx(0), k.cidx(32 / groups), k.cidx(1), acc);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(keyLoop.getBody());
      // Key j * groups + keyGroup of this half of the tile.
      Value j = keyLoop.getInductionVar();
      if (groups > 1)
        j = k.add(k.mul(j, k.cidx(groups)), keyGroup);
      Value pj =
          ::mlir::gpu::ShuffleOp::create(
              b, p[half], arith::IndexCastOp::create(b, b.getI32Type(), j),
              k.c32(32), ::mlir::gpu::ShuffleMode::IDX)
              .getShuffleResult();
      Value key = arith::MinUIOp::create(
          b, k.add(first, k.add(j, k.cidx(32 * half))), last);
      Value at = k.add(vBase, k.add(k.mul(key, dIdx), dims));
      Value vv = vector::LoadOp::create(
          b, VectorType::get({perLane}, k.f32()), vc, ValueRange{at}, false,
          llvm::MaybeAlign(4 * (perLane & -perLane)));
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
  {
    // Below D = 32 the lanes of one dimension add up their keys' shares
    // (lanes d apart), and the first D lanes store.
    SmallVector<Value> acc(std::next(loop.getResults().begin(), 2),
                           loop.getResults().end());
    for (int64_t offset = d; offset < 32 && groups > 1; offset *= 2)
      acc[0] = k.addf(
          acc[0], ::mlir::gpu::ShuffleOp::create(b, acc[0], offset, 32,
                                                 ::mlir::gpu::ShuffleMode::XOR)
                      .getShuffleResult());
    auto ifOwner =
        scf::IfOp::create(b, lessThan(lane, k.cidx(32 / groups)), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOwner.thenBlock());
    for (int64_t i = 0; i < perLane; ++i)
      memref::StoreOp::create(
          b, acc[i], accShared,
          ValueRange{k.add(k.mul(warp, dIdx),
                           k.add(k.mul(lane, k.cidx(perLane)), k.cidx(i)))});
  }
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
    Value outRow = k.add(k.mul(h, outHeadStride), k.mul(row, outRowStride));
    memref::StoreOp::create(b, result, out, ValueRange{k.add(outRow, tid)});
  }
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
