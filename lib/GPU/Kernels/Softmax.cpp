//===- Softmax.cpp - The exact and EXAQ row softmax kernels ---------------===//

#include "KernelBuilder.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mxc;
using namespace mlir::mxc::kernels;
namespace num = ::mxc::numerics;

std::string mlir::mxc::kernels::softmaxKernelName(const SoftmaxOptions &o) {
  return o.bits == 0 ? "mx_softmax_exact"
                     : "mx_softmax_exaq" + std::to_string(o.bits) +
                           (o.codes ? "_codes" : "");
}

::mlir::gpu::GPUFuncOp
mlir::mxc::kernels::buildSoftmaxKernel(OpBuilder &builder,
                                       ::mlir::gpu::GPUModuleOp module,
                                       const SoftmaxOptions &o) {
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  const int64_t warps = kSoftmaxThreads / 32, levels = int64_t(1) << o.bits;
  // Up to 16 codes, each warp counts them with ballots (below).
  const bool ballotCounts = o.bits && levels <= kSoftmaxBallotLevels;
  assert((!o.codes || ballotCounts) && "codes only up to 4 bits");
  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), ::mlir::gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t n, Type t) {
    return MemRefType::get({n}, t, MemRefLayoutAttrInterface(), workgroup);
  };
  SmallVector<Type> inputs = {dynamic(k.f32()),
                              dynamic(o.codes ? b.getI8Type() : k.f32()),
                              b.getIndexType()};
  SmallVector<Type> smem = {shared(warps, k.f32())};
  if (o.bits) {
    inputs.append(
        {k.f32(), k.f32(), dynamic(k.f32()), dynamic(b.getI32Type())});
    if (o.codes)
      inputs.push_back(dynamic(k.f32())); // the row's output per code
    // The LUT, the row's code counts, the row's output per code.
    smem.append({shared(levels, k.f32()), shared(levels, b.getI32Type()),
                 shared(levels, k.f32())});
    // Each warp's counts.
    if (ballotCounts)
      smem.push_back(shared(warps * levels, b.getI32Type()));
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
  // Block-wide reduction of one f32 per thread through shared memory: a
  // max (NaN-propagating, or ignoring NaN: maxnumf) or a sum.
  enum class Reduce { Max, MaxNum, Sum };
  auto combine = [&](Reduce kind, Value x, Value y) -> Value {
    switch (kind) {
    case Reduce::Max:
      return arith::MaximumFOp::create(b, x, y);
    case Reduce::MaxNum:
      return arith::MaxNumFOp::create(b, x, y);
    case Reduce::Sum:
      return k.addf(x, y);
    }
    llvm_unreachable("unknown reduction");
  };
  auto blockReduce = [&](Value v, Reduce kind) {
    v = kind == Reduce::Max      ? k.warpMax(v)
        : kind == Reduce::MaxNum ? k.warpMaxNum(v)
                                 : k.warpSum(v);
    {
      auto ifLane = scf::IfOp::create(b, isLane0, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifLane.thenBlock());
      memref::StoreOp::create(b, v, partials, ValueRange{warp});
    }
    ::mlir::gpu::BarrierOp::create(b);
    Value r = memref::LoadOp::create(b, partials, ValueRange{k.cidx(0)});
    for (int64_t i = 1; i < warps; ++i)
      r = combine(kind, r,
                  memref::LoadOp::create(b, partials, ValueRange{k.cidx(i)}));
    ::mlir::gpu::BarrierOp::create(b);
    return r;
  };

  Value ninf = k.cf32(-INFINITY);
  if (o.bits == 0) {
    Value rowMax = blockReduce(
        overRow({ninf},
                [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                  return {combine(Reduce::Max, acc[0], v)};
                })
            .getResult(0),
        Reduce::Max);
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
        Reduce::Sum);
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

  // EXAQ. One pass over the row finds its max, which ignores NaN as the
  // library does (the codes and counts of a row with a NaN are those of its
  // other values; its outputs are NaN), and whether it has a NaN (1 or 0,
  // max-reduced).
  auto maxAndNaN =
      overRow({ninf, k.cf32(0.0)},
              [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                Value nan =
                    arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, v, v);
                return {combine(Reduce::MaxNum, acc[0], v),
                        arith::SelectOp::create(b, nan, k.cf32(1.0), acc[1])};
              });
  Value rowMax = blockReduce(maxAndNaN.getResult(0), Reduce::MaxNum);
  Value isNaNRow = arith::CmpFOp::create(
      b, arith::CmpFPredicate::OGT,
      blockReduce(maxAndNaN.getResult(1), Reduce::Max), k.cf32(0.0));

  // The LUT and zeroed counts in shared memory.
  Value clip = func.getArgument(3), inverseStep = func.getArgument(4),
        table = func.getArgument(5), countsOut = func.getArgument(6);
  Value lut = func.getWorkgroupAttributions()[1];
  Value counts = func.getWorkgroupAttributions()[2];
  Value outTable = func.getWorkgroupAttributions()[3];
  Value nLevels = k.cidx(levels);
  Value isLevel =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid, nLevels);
  {
    auto ifInit = scf::IfOp::create(b, isLevel, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifInit.thenBlock());
    memref::StoreOp::create(b,
                            memref::LoadOp::create(b, table, ValueRange{tid}),
                            lut, ValueRange{tid});
    memref::StoreOp::create(b, k.c32(0), counts, ValueRange{tid});
  }
  ::mlir::gpu::BarrierOp::create(b);
  // The code of x - max as numerics::ExaqQuantizer::code; -1 when masked.
  auto codeOf = [&](Value v) {
    Value q = buildExaqCode(b, b.getLoc(), arith::SubFOp::create(b, v, rowMax),
                            clip, inverseStep, levels);
    Value masked = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, v, ninf);
    return arith::SelectOp::create(b, masked, k.c32(-1), q).getResult();
  };
  if (ballotCounts) {
    // Per-row code counts without contention: the block walks the row in
    // steps of its threads (every lane of a warp in every step, past the
    // end with code -1), and per code a warp's ballot of "my value has it"
    // and its popcount add to that code's count, which every lane carries
    // in a register. Then lane 0 of each warp stores its counts, and the
    // first 2^bits threads add up the warps' (integers: exact in any order).
    Value warpCounts = func.getWorkgroupAttributions()[4];
    SmallVector<Value> init(levels, k.c32(0));
    auto loop = scf::ForOp::create(b, k.cidx(0), n, threads, init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value i = k.add(loop.getInductionVar(), tid);
      Value inRow = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, i, n);
      Value at = k.add(base, arith::SelectOp::create(b, inRow, i, k.cidx(0)));
      Value q = arith::SelectOp::create(
          b, inRow, codeOf(memref::LoadOp::create(b, x, ValueRange{at})),
          k.c32(-1));
      SmallVector<Value> next;
      for (int64_t c = 0; c < levels; ++c) {
        Value votes = NVVM::VoteSyncOp::create(
            b, b.getI32Type(), k.c32(-1),
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, q, k.c32(c)),
            NVVM::VoteSyncKind::ballot);
        next.push_back(arith::AddIOp::create(b, loop.getRegionIterArgs()[c],
                                             LLVM::CtPopOp::create(b, votes)));
      }
      scf::YieldOp::create(b, next);
    }
    {
      auto ifLane = scf::IfOp::create(b, isLane0, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifLane.thenBlock());
      for (int64_t c = 0; c < levels; ++c)
        memref::StoreOp::create(
            b, loop.getResult(c), warpCounts,
            ValueRange{k.add(k.mul(warp, nLevels), k.cidx(c))});
    }
    ::mlir::gpu::BarrierOp::create(b);
    {
      auto ifLevel = scf::IfOp::create(b, isLevel, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifLevel.thenBlock());
      Value total = k.c32(0);
      for (int64_t w = 0; w < warps; ++w)
        total = arith::AddIOp::create(
            b, total,
            memref::LoadOp::create(b, warpCounts,
                                   ValueRange{k.add(k.cidx(w * levels), tid)}));
      memref::StoreOp::create(b, total, counts, ValueRange{tid});
    }
  } else {
    // More codes than a warp's ballots pay for: shared-memory atomics.
    overRow(
        ValueRange(), [&](Value, Value v, ValueRange) -> SmallVector<Value> {
          Value q = codeOf(v);
          auto ifCounted = scf::IfOp::create(
              b,
              arith::CmpIOp::create(b, arith::CmpIPredicate::sge, q, k.c32(0)),
              false);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifCounted.thenBlock());
          memref::AtomicRMWOp::create(
              b, arith::AtomicRMWKind::addi, k.c32(1), counts,
              ValueRange{arith::IndexCastOp::create(b, b.getIndexType(), q)});
          return {};
        });
  }
  ::mlir::gpu::BarrierOp::create(b);
  // sum = sum_q f32(count_q) * LUT[q], in order, as the library does; each
  // thread computes it (2^bits multiply-adds; no exponentials).
  Value sum = k.cf32(0.0);
  for (int64_t q = 0; q < levels; ++q) {
    Value c = memref::LoadOp::create(b, counts, ValueRange{k.cidx(q)});
    Value l = memref::LoadOp::create(b, lut, ValueRange{k.cidx(q)});
    sum = k.addf(sum, k.mulf(arith::UIToFPOp::create(b, k.f32(), c), l));
  }
  Value zeroSum =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, k.cf32(0.0));
  {
    // The row's output per code, once (one division per code, not per
    // value): LUT[q] / sum, 0 where the sum is (a fully masked row); and
    // the counts out.
    auto ifLevel = scf::IfOp::create(b, isLevel, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifLevel.thenBlock());
    Value r = arith::DivFOp::create(
        b, memref::LoadOp::create(b, lut, ValueRange{tid}), sum);
    memref::StoreOp::create(b,
                            arith::SelectOp::create(b, zeroSum, k.cf32(0.0), r),
                            outTable, ValueRange{tid});
    memref::StoreOp::create(
        b, memref::LoadOp::create(b, counts, ValueRange{tid}), countsOut,
        ValueRange{k.add(k.mul(row, nLevels), tid)});
    // The compact form's table: NaN throughout for a row with a NaN.
    if (o.codes)
      memref::StoreOp::create(
          b,
          arith::SelectOp::create(
              b, isNaNRow, k.cf32(NAN),
              arith::SelectOp::create(b, zeroSum, k.cf32(0.0), r)),
          func.getArgument(7), ValueRange{k.add(k.mul(row, nLevels), tid)});
  }
  ::mlir::gpu::BarrierOp::create(b);
  if (o.codes) {
    // Each value's code as a byte: -1 where masked, but 0 in a row with a
    // NaN (whose table is NaN, as all its outputs).
    overRow(
        ValueRange(), [&](Value at, Value v, ValueRange) -> SmallVector<Value> {
          Value q = codeOf(v);
          Value masked =
              arith::CmpIOp::create(b, arith::CmpIPredicate::slt, q, k.c32(0));
          q = arith::SelectOp::create(
              b, arith::AndIOp::create(b, masked, isNaNRow), k.c32(0), q);
          memref::StoreOp::create(b,
                                  arith::TruncIOp::create(b, b.getI8Type(), q),
                                  y, ValueRange{at});
          return {};
        });
    ::mlir::gpu::ReturnOp::create(b);
    return func;
  }
  Value nan = k.cf32(NAN);
  overRow(
      ValueRange(), [&](Value at, Value v, ValueRange) -> SmallVector<Value> {
        Value q = codeOf(v);
        Value masked =
            arith::CmpIOp::create(b, arith::CmpIPredicate::slt, q, k.c32(0));
        Value safe = arith::SelectOp::create(b, masked, k.c32(0), q);
        Value r = memref::LoadOp::create(
            b, outTable,
            ValueRange{arith::IndexCastOp::create(b, b.getIndexType(), safe)});
        r = arith::SelectOp::create(b, masked, k.cf32(0.0), r);
        r = arith::SelectOp::create(b, isNaNRow, nan, r);
        memref::StoreOp::create(b, r, y, ValueRange{at});
        return {};
      });
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
