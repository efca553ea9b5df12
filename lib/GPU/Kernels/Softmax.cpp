//===- Softmax.cpp - The exact and EXAQ row softmax kernels ---------------===//

#include "KernelBuilder.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
  // The row max. EXAQ ignores NaN in it, as the library does (its codes and
  // counts of a row with a NaN are those of the other values; its outputs
  // are NaN).
  const Reduce maxKind = o.bits ? Reduce::MaxNum : Reduce::Max;
  Value rowMax = blockReduce(
      overRow({ninf},
              [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                return {combine(maxKind, acc[0], v)};
              })
          .getResult(0),
      maxKind);

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
  // 1 where the row has a NaN: a max of per-thread flags.
  Value isNaNRow = arith::CmpFOp::create(
      b, arith::CmpFPredicate::OGT,
      blockReduce(
          overRow({k.cf32(0.0)},
                  [&](Value, Value v, ValueRange acc) -> SmallVector<Value> {
                    Value nan = arith::CmpFOp::create(
                        b, arith::CmpFPredicate::UNO, v, v);
                    return {
                        arith::SelectOp::create(b, nan, k.cf32(1.0), acc[0])};
                  })
              .getResult(0),
          Reduce::Max),
      k.cf32(0.0));
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
