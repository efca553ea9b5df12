//===- MXKernels.cpp - mxc-gpu-mx-kernels ---------------------------------===//
//
// The bodies of the GEMV calls convert-mxc-matmul-to-gpu made: the kernel,
// launched with its geometry (CUDA), or the same GEMV as CPU loops around
// the kernel's block decoder (CPU).
//
//===----------------------------------------------------------------------===//

#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/GemvABI.h"
#include "mxc/GPU/Kernels.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUMXKERNELSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

/// The GEMV of the kernel's documented semantics as CPU loops, around the
/// kernel's own block decoder and scale decoding: for every row r and
/// output n, blocks in order, each block's partial sum in the kernel's order.
void buildCPUBody(func::FuncOp func, num::ElemFormat format) {
  Block *entry = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  Location loc = func.getLoc();
  Value words = entry->getArgument(0), scales = entry->getArgument(1),
        x = entry->getArgument(2), y = entry->getArgument(3),
        m = entry->getArgument(4), n = entry->getArgument(5),
        k = entry->getArgument(6);
  const int64_t bits = num::getFormatInfo(format).bits;
  auto cidx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto mul = [&](Value a, Value c) {
    return arith::MulIOp::create(b, loc, a, c).getResult();
  };
  auto add = [&](Value a, Value c) {
    return arith::AddIOp::create(b, loc, a, c).getResult();
  };
  Value zero = cidx(0), one = cidx(1);
  Value blocks = arith::DivUIOp::create(b, loc, k, cidx(32));
  auto rowLoop = scf::ForOp::create(b, loc, zero, m, one);
  b.setInsertionPointToStart(rowLoop.getBody());
  Value r = rowLoop.getInductionVar();
  auto outLoop = scf::ForOp::create(b, loc, zero, n, one);
  b.setInsertionPointToStart(outLoop.getBody());
  Value col = outLoop.getInductionVar();
  Value f0 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  auto blockLoop =
      scf::ForOp::create(b, loc, zero, blocks, one, ValueRange{f0});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(blockLoop.getBody());
    Value j = blockLoop.getInductionVar();
    Value at = mul(add(mul(col, blocks), j), cidx(bits));
    SmallVector<Value> w;
    for (int64_t i = 0; i < bits; ++i)
      w.push_back(memref::LoadOp::create(b, loc, words, add(at, cidx(i))));
    kernels::GemvOptions options;
    options.format = format;
    options.nativeFP8 = false;
    int factorLog2 = 0;
    SmallVector<Value> values =
        kernels::buildBlockDecode(b, loc, options, w, factorLog2);
    Value scale = buildScaleValue(
        b, loc,
        memref::LoadOp::create(b, loc, scales, add(mul(col, blocks), j)));
    Value xBase = add(mul(r, k), mul(j, cidx(32)));
    Value partial = f0;
    for (int e = 0; e < 32; ++e) {
      Value xv = memref::LoadOp::create(b, loc, x, add(xBase, cidx(e)));
      partial = math::FmaOp::create(b, loc, values[e], xv, partial);
    }
    Value unfactor = arith::ConstantOp::create(
        b, loc,
        b.getF32FloatAttr(static_cast<float>(std::ldexp(1.0, -factorLog2))));
    Value next = math::FmaOp::create(
        b, loc, arith::MulFOp::create(b, loc, partial, unfactor), scale,
        blockLoop.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
  }
  memref::StoreOp::create(b, loc, blockLoop.getResult(0), y,
                          add(mul(r, n), col));
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, loc);
}

struct MXCGPUMXKernelsPass
    : mlir::mxc::impl::MXCGPUMXKernelsPassBase<MXCGPUMXKernelsPass> {
  using MXCGPUMXKernelsPassBase::MXCGPUMXKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<int> smVersion = kernels::chipVersion(chip);
    if (target == GemvTarget::CUDA && !smVersion) {
      module.emitError() << "mxc-gpu-mx-kernels: chip must be sm_XY, not '"
                         << chip << "'";
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> callees;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isDeclaration() && func.getName().starts_with(kGemvCalleePrefix))
        callees.push_back(func);
    for (func::FuncOp callee : callees) {
      auto gemv = parseGemvCalleeName(callee.getName());
      if (!gemv || callee.getFunctionType() != gemvCalleeType(&getContext())) {
        callee.emitError() << "mxc-gpu-mx-kernels: not a GEMV mxc knows";
        return signalPassFailure();
      }
      auto [format, batch] = *gemv;
      callee.setPrivate();
      if (target == GemvTarget::CPU) {
        buildCPUBody(callee, format);
        continue;
      }
      buildKernelBody(module, callee, {format, batch, *smVersion >= 89});
      launchCalls(module, callee, batch);
    }
  }

  /// The kernel's body, moved into `callee` (a device function once
  /// outlined with the launches that call it).
  void buildKernelBody(ModuleOp module, func::FuncOp callee,
                       const kernels::GemvOptions &options) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto scratch = gpu::GPUModuleOp::create(b, module.getLoc(), "mxc_scratch");
    gpu::GPUFuncOp kernel = kernels::buildGemvKernel(b, scratch, options);
    callee.getBody().takeBody(kernel.getBody());
    callee.walk([](gpu::ReturnOp ret) {
      OpBuilder r(ret);
      func::ReturnOp::create(r, ret.getLoc());
      ret.erase();
    });
    scratch.erase();
  }

  /// Each call becomes a launch of the kernel's geometry that calls it.
  void launchCalls(ModuleOp module, func::FuncOp callee, int64_t batch) {
    std::optional<SymbolTable::UseRange> uses = callee.getSymbolUses(module);
    if (!uses)
      return;
    SmallVector<func::CallOp> calls;
    for (const SymbolTable::SymbolUse &use : *uses)
      if (auto call = dyn_cast<func::CallOp>(use.getUser()))
        calls.push_back(call);
    for (func::CallOp call : calls) {
      OpBuilder b(call);
      Location loc = call.getLoc();
      Value m = call.getOperand(4), n = call.getOperand(5);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value gridX = arith::CeilDivUIOp::create(
          b, loc, n,
          arith::ConstantIndexOp::create(b, loc, kernels::kGemvWarpsPerBlock));
      Value gridY = arith::CeilDivUIOp::create(
          b, loc, m, arith::ConstantIndexOp::create(b, loc, batch));
      Value threads = arith::ConstantIndexOp::create(
          b, loc, 32 * kernels::kGemvWarpsPerBlock);
      auto launch =
          gpu::LaunchOp::create(b, loc, gridX, gridY, one, threads, one, one);
      Block &body = launch.getBody().front();
      call->moveBefore(&body, body.end());
      b.setInsertionPointToEnd(&body);
      gpu::TerminatorOp::create(b, loc);
    }
  }
};

} // namespace
