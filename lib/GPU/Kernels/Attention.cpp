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
  std::string name = std::string("mx_attention_decode_") +
                     (o.sparse ? "sparse" : "dense") + "_d" +
                     std::to_string(o.headDim);
  if (o.groupHeads > 1)
    name += "_q" + std::to_string(o.groupHeads);
  if (o.splitKeys)
    name += "_split";
  return name;
}

std::string mlir::mxc::kernels::attentionMergeKernelName(int64_t headDim) {
  return "mx_attention_merge_d" + std::to_string(headDim);
}

namespace {
/// Where a split attention's records are (Kernels.h): the first of head h,
/// row i's S records, (h * queries + i) * S; and the first float of the
/// records' maxima and sums, after the R * D floats of their outputs (R =
/// heads * queries * S), record r's max at 2r and its sum at 2r + 1 past it.
Value firstRecord(KernelBuilder &k, Value h, Value row, Value queries,
                  Value splits) {
  return k.mul(k.add(k.mul(h, queries), row), splits);
}
Value recordStats(KernelBuilder &k, Value heads, Value queries, Value splits,
                  Value d) {
  return k.mul(k.mul(k.mul(heads, queries), splits), d);
}
} // namespace

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildAttentionDecodeKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module,
    const AttentionDecodeOptions &o) {
  assert(isAttentionHeadDimSupported(o.headDim) && "unsupported head dim");
  assert(o.groupHeads >= 1 && o.groupHeads <= kMaxAttentionGroupHeads &&
         "unsupported group of query heads");
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  // A lane owns perLane output dimensions; below D = 32, `groups` lanes
  // share one and take every groups-th key of a tile each. The block
  // computes G query heads; every per-head value below is a vector of G.
  const int64_t d = o.headDim, G = o.groupHeads, warps = kAttentionThreads / 32,
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
  if (o.splitKeys)
    inputs.append({dynamic(k.f32()), index});
  auto func = createKernel(b, module, attentionDecodeKernelName(o), inputs,
                           kAttentionThreads,
                           {shared(G * d), shared(warps * G), shared(warps * G),
                            shared(warps * G * d)});
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
        outRowStride = func.getArgument(scalars + 9),
        partial = o.splitKeys ? func.getArgument(scalars + 10) : Value(),
        splits = o.splitKeys ? func.getArgument(scalars + 11) : k.cidx(1);
  Value qShared = func.getWorkgroupAttributions()[0],
        mShared = func.getWorkgroupAttributions()[1],
        lShared = func.getWorkgroupAttributions()[2],
        accShared = func.getWorkgroupAttributions()[3];
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  // The block's first query head, and its split of the keys.
  Value blockX =
      ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x).getResult();
  Value split = k.cidx(0);
  if (o.splitKeys) {
    split = arith::RemUIOp::create(b, blockX, splits);
    blockX = arith::DivUIOp::create(b, blockX, splits);
  }
  Value h = k.mul(blockX, k.cidx(G));
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
  // q * scale of the G heads into shared memory, head j at j * D.
  {
    auto loop =
        scf::ForOp::create(b, tid, k.cidx(G * d), k.cidx(kAttentionThreads));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value e = loop.getInductionVar();
    Value j = arith::DivUIOp::create(b, e, dIdx);
    Value qRow = k.mul(k.add(k.mul(k.add(h, j), queries), row), dIdx);
    Value v = memref::LoadOp::create(
        b, q,
        ValueRange{
            k.add(qRow, arith::RemUIOp::create(b, e, dIdx).getResult())});
    memref::StoreOp::create(b, k.mulf(v, scale), qShared, ValueRange{e});
  }
  ::mlir::gpu::BarrierOp::create(b);

  // Each warp walks tiles warp, warp + 4, ... (of split s of S: tiles
  // 4s + warp, 4(s + S) + warp, ...): state (m, l, acc[perLane]) per head,
  // head j's at j * stateSize.
  const int64_t stateSize = 2 + perLane;
  SmallVector<Value> init;
  for (int64_t j = 0; j < G; ++j) {
    init.append({ninf, zero});
    init.append(perLane, zero);
  }
  Value firstTile = warp, tileStep = k.cidx(warps);
  if (o.splitKeys) {
    firstTile = k.add(warp, k.mul(split, tileStep));
    tileStep = k.mul(tileStep, splits);
  }
  auto loop = scf::ForOp::create(b, firstTile, numTiles, tileStep, init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    // A warp barrier opens each tile: LLVM treats it as touching memory, so
    // it keeps the reads of the heads' q from shared memory in the loop
    // (broadcasts, a warp instruction per 32 keys' FMA) instead of hoisting
    // G * D values into registers. Hoisted, q took 168 registers and spilled
    // 8 to 24 bytes at D = 128 for one head, up to 1108 bytes for 8 (ptxas
    // -v); kept in shared memory, the forms of 1 to 4 heads use 38 to 106
    // and only the sparse D = 128 split form spills (8 bytes).
    NVVM::SyncWarpOp::create(b, k.c32(-1));
    Value t = loop.getInductionVar();
    Value tile = o.sparse ? arith::IndexCastOp::create(
                                b, index,
                                memref::LoadOp::create(b, tiles, ValueRange{t}))
                                .getResult()
                          : t;
    Value first = k.mul(tile, k.cidx(kAttentionTile));
    Value last = arith::SubIOp::create(b, rowKeys, k.cidx(1));
    // Scores of the lane's keys first + lane + 32 i (-inf past the end)
    // against each head: scores[j][i]. A key is loaded once for all heads.
    SmallVector<SmallVector<Value>> scores(G);
    SmallVector<Value> valid;
    for (int64_t i = 0; i < keysPerLane; ++i) {
      Value key = k.add(first, k.add(lane, k.cidx(32 * i)));
      Value ok = lessThan(key, rowKeys);
      Value at =
          k.add(kBase, k.mul(arith::MinUIOp::create(b, key, last), dIdx));
      SmallVector<Value> dots(G, zero);
      for (int64_t c = 0; c < d; c += 4) {
        Value kv = vector::LoadOp::create(b, VectorType::get({4}, k.f32()), kc,
                                          ValueRange{k.add(at, k.cidx(c))},
                                          false, llvm::MaybeAlign(16));
        SmallVector<Value> kElems;
        for (int e = 0; e < 4; ++e)
          kElems.push_back(vector::ExtractOp::create(b, kv, e));
        for (int64_t j = 0; j < G; ++j)
          for (int e = 0; e < 4; ++e)
            dots[j] = k.fma(kElems[e],
                            memref::LoadOp::create(
                                b, qShared, ValueRange{k.cidx(j * d + c + e)}),
                            dots[j]);
      }
      for (int64_t j = 0; j < G; ++j)
        scores[j].push_back(select(ok, dots[j], ninf));
      valid.push_back(ok);
    }
    ValueRange state = loop.getRegionIterArgs();
    SmallVector<Value> mNew(G), l(G), acc;
    SmallVector<SmallVector<Value>> p(G);
    for (int64_t j = 0; j < G; ++j) {
      Value tileMax = scores[j][0];
      for (int64_t i = 1; i < keysPerLane; ++i)
        tileMax = arith::MaximumFOp::create(b, tileMax, scores[j][i]);
      tileMax = k.warpMax(tileMax);
      Value m = state[j * stateSize];
      mNew[j] = arith::MaximumFOp::create(b, m, tileMax);
      Value empty = isNegInf(mNew[j]);
      Value alpha =
          select(empty, k.cf32(1.0),
                 math::ExpOp::create(b, arith::SubFOp::create(b, m, mNew[j])));
      Value pSum = zero;
      for (int64_t i = 0; i < keysPerLane; ++i) {
        Value e = math::ExpOp::create(
            b, arith::SubFOp::create(b, scores[j][i], mNew[j]));
        p[j].push_back(
            select(arith::AndIOp::create(
                       b, valid[i],
                       arith::XOrIOp::create(
                           b, empty, arith::ConstantIntOp::create(b, 1, 1))),
                   e, zero));
        pSum = k.addf(pSum, p[j].back());
      }
      l[j] = k.fma(state[j * stateSize + 1], alpha, k.warpSum(pSum));
      for (int64_t i = 0; i < perLane; ++i)
        acc.push_back(k.mulf(state[j * stateSize + 2 + i], alpha));
    }
    // acc += p_j * v[key j, lane's dims] for the lane's keys j of the tile
    // (all of them, or every groups-th below D = 32), for every head from
    // one load of the value: a loop (not unrolled here), so that ptxas keeps
    // the loads in registers.
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
      Value source = arith::IndexCastOp::create(b, b.getI32Type(), j);
      Value key = arith::MinUIOp::create(
          b, k.add(first, k.add(j, k.cidx(32 * half))), last);
      Value at = k.add(vBase, k.add(k.mul(key, dIdx), dims));
      Value vv = vector::LoadOp::create(
          b, VectorType::get({perLane}, k.f32()), vc, ValueRange{at}, false,
          llvm::MaybeAlign(4 * (perLane & -perLane)));
      SmallVector<Value> updated;
      for (int64_t head = 0; head < G; ++head) {
        Value pj =
            ::mlir::gpu::ShuffleOp::create(b, p[head][half], source, k.c32(32),
                                           ::mlir::gpu::ShuffleMode::IDX)
                .getShuffleResult();
        for (int64_t i = 0; i < perLane; ++i)
          updated.push_back(
              k.fma(pj, vector::ExtractOp::create(b, vv, i),
                    keyLoop.getRegionIterArgs()[head * perLane + i]));
      }
      scf::YieldOp::create(b, updated);
      b.setInsertionPointAfter(keyLoop);
      acc.assign(keyLoop.getResults().begin(), keyLoop.getResults().end());
    }
    SmallVector<Value> next;
    for (int64_t j = 0; j < G; ++j) {
      next.append({mNew[j], l[j]});
      next.append(acc.begin() + j * perLane, acc.begin() + (j + 1) * perLane);
    }
    scf::YieldOp::create(b, next);
  }
  // Each warp's state to shared memory (head j of warp w at w * G + j); then
  // combine per head and output dimension.
  auto slot = [&](int64_t j) {
    return k.add(k.mul(warp, k.cidx(G)), k.cidx(j));
  };
  {
    auto ifLane = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.cidx(0)),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifLane.thenBlock());
    for (int64_t j = 0; j < G; ++j) {
      memref::StoreOp::create(b, loop.getResult(j * stateSize), mShared,
                              ValueRange{slot(j)});
      memref::StoreOp::create(b, loop.getResult(j * stateSize + 1), lShared,
                              ValueRange{slot(j)});
    }
  }
  {
    // Below D = 32 the lanes of one dimension add up their keys' shares
    // (lanes d apart), and the first D lanes store.
    SmallVector<SmallVector<Value>> acc(G);
    for (int64_t j = 0; j < G; ++j) {
      for (int64_t i = 0; i < perLane; ++i)
        acc[j].push_back(loop.getResult(j * stateSize + 2 + i));
      for (int64_t offset = d; offset < 32 && groups > 1; offset *= 2)
        acc[j][0] =
            k.addf(acc[j][0],
                   ::mlir::gpu::ShuffleOp::create(b, acc[j][0], offset, 32,
                                                  ::mlir::gpu::ShuffleMode::XOR)
                       .getShuffleResult());
    }
    auto ifOwner =
        scf::IfOp::create(b, lessThan(lane, k.cidx(32 / groups)), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOwner.thenBlock());
    for (int64_t j = 0; j < G; ++j)
      for (int64_t i = 0; i < perLane; ++i)
        memref::StoreOp::create(
            b, acc[j][i], accShared,
            ValueRange{k.add(k.mul(slot(j), dIdx),
                             k.add(k.mul(lane, k.cidx(perLane)), k.cidx(i)))});
  }
  ::mlir::gpu::BarrierOp::create(b);
  {
    auto ifDim = scf::IfOp::create(b, lessThan(tid, dIdx), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifDim.thenBlock());
    for (int64_t j = 0; j < G; ++j) {
      SmallVector<Value> ms;
      Value mAll = ninf;
      for (int64_t w = 0; w < warps; ++w) {
        ms.push_back(
            memref::LoadOp::create(b, mShared, ValueRange{k.cidx(w * G + j)}));
        mAll = arith::MaximumFOp::create(b, mAll, ms.back());
      }
      Value lAll = zero, weighted = zero;
      for (int64_t w = 0; w < warps; ++w) {
        Value f = select(
            isNegInf(ms[w]), zero,
            math::ExpOp::create(b, arith::SubFOp::create(b, ms[w], mAll)));
        lAll = k.fma(
            memref::LoadOp::create(b, lShared, ValueRange{k.cidx(w * G + j)}),
            f, lAll);
        weighted = k.fma(
            memref::LoadOp::create(
                b, accShared, ValueRange{k.add(k.cidx((w * G + j) * d), tid)}),
            f, weighted);
      }
      if (o.splitKeys) {
        // The split's record: its max, sum and unnormalized output.
        Value record = k.add(
            firstRecord(k, k.add(h, k.cidx(j)), row, queries, splits), split);
        memref::StoreOp::create(b, weighted, partial,
                                ValueRange{k.add(k.mul(record, dIdx), tid)});
        auto ifFirst = scf::IfOp::create(
            b,
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, k.cidx(0)),
            false);
        OpBuilder::InsertionGuard first(b);
        b.setInsertionPointToStart(ifFirst.thenBlock());
        Value at = k.add(recordStats(k, heads, queries, splits, dIdx),
                         k.mul(record, k.cidx(2)));
        memref::StoreOp::create(b, mAll, partial, ValueRange{at});
        memref::StoreOp::create(b, lAll, partial,
                                ValueRange{k.add(at, k.cidx(1))});
        continue;
      }
      Value result = select(
          arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, lAll, zero),
          arith::DivFOp::create(b, weighted, lAll), zero);
      Value outRow = k.add(k.mul(k.add(h, k.cidx(j)), outHeadStride),
                           k.mul(row, outRowStride));
      memref::StoreOp::create(b, result, out, ValueRange{k.add(outRow, tid)});
    }
  }
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildAttentionMergeKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module, int64_t headDim) {
  assert(isAttentionHeadDimSupported(headDim) && "unsupported head dim");
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  Type index = b.getIndexType();
  auto func = createKernel(
      b, module, attentionMergeKernelName(headDim),
      {dynamic(k.f32()), dynamic(k.f32()), index, index, index, index, index},
      kAttentionThreads, {});
  Value partial = func.getArgument(0), out = func.getArgument(1),
        heads = func.getArgument(2), queries = func.getArgument(3),
        splits = func.getArgument(4), outHeadStride = func.getArgument(5),
        outRowStride = func.getArgument(6);
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value h = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value row = ::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::y);
  Value dIdx = k.cidx(headDim), zero = k.cf32(0.0), ninf = k.cf32(-INFINITY);
  auto ifDim = scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid, dIdx), false);
  b.setInsertionPointToStart(ifDim.thenBlock());
  Value first = firstRecord(k, h, row, queries, splits);
  Value stats = recordStats(k, heads, queries, splits, dIdx);
  auto statOf = [&](Value s, int64_t which) {
    return memref::LoadOp::create(
               b, partial,
               ValueRange{k.add(stats, k.add(k.mul(k.add(first, s), k.cidx(2)),
                                             k.cidx(which)))})
        .getResult();
  };
  // The largest of the splits' maxima, then the splits' sums and outputs
  // rescaled to it (an empty split, max -inf, counts nothing).
  auto maxLoop =
      scf::ForOp::create(b, k.cidx(0), splits, k.cidx(1), ValueRange{ninf});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(maxLoop.getBody());
    scf::YieldOp::create(b, ValueRange{arith::MaximumFOp::create(
                                b, maxLoop.getRegionIterArgs()[0],
                                statOf(maxLoop.getInductionVar(), 0))});
  }
  Value mAll = maxLoop.getResult(0);
  auto sumLoop = scf::ForOp::create(b, k.cidx(0), splits, k.cidx(1),
                                    ValueRange{zero, zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(sumLoop.getBody());
    Value s = sumLoop.getInductionVar();
    Value m = statOf(s, 0);
    Value f = arith::SelectOp::create(
        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, ninf), zero,
        math::ExpOp::create(b, arith::SubFOp::create(b, m, mAll)));
    Value acc = memref::LoadOp::create(
        b, partial, ValueRange{k.add(k.mul(k.add(first, s), dIdx), tid)});
    scf::YieldOp::create(
        b, ValueRange{k.fma(statOf(s, 1), f, sumLoop.getRegionIterArgs()[0]),
                      k.fma(acc, f, sumLoop.getRegionIterArgs()[1])});
  }
  Value lAll = sumLoop.getResult(0), o = sumLoop.getResult(1);
  Value result = arith::SelectOp::create(
      b, arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, lAll, zero),
      arith::DivFOp::create(b, o, lAll), zero);
  Value outRow = k.add(k.mul(h, outHeadStride), k.mul(row, outRowStride));
  memref::StoreOp::create(b, result, out, ValueRange{k.add(outRow, tid)});
  b.setInsertionPointAfter(ifDim);
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
