//===- Outline.cpp - mxc-gpu-sink-globals, mxc-gpu-merge-modules ----------===//
//
// Outlining a model's launches: the weights a kernel reads go into the
// device module with it, and all kernels into one gpu.module (one binary).
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <functional>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUSINKGLOBALSPASS
#define GEN_PASS_DEF_MXCGPUMERGEMODULESPASS
#define GEN_PASS_DEF_MXCGPUCHECKLAUNCHARGSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// Whether `v` is a global, or a view of one: a weight.
bool isGlobalView(Value v) {
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<memref::GetGlobalOp>(def))
    return true;
  auto view = dyn_cast_or_null<ViewLikeOpInterface>(def);
  return view && isPure(def) && isGlobalView(view.getViewSource());
}

struct MXCGPUSinkGlobalsPass
    : mlir::mxc::impl::MXCGPUSinkGlobalsPassBase<MXCGPUSinkGlobalsPass> {
  void runOnOperation() override {
    getOperation().walk([](gpu::LaunchOp launch) {
      Block &body = launch.getBody().front();
      OpBuilder b = OpBuilder::atBlockBegin(&body);
      IRMapping sunk;
      // Clones the chain get_global -> views into the body, source first.
      std::function<Value(Value)> sink = [&](Value v) -> Value {
        if (Value inside = sunk.lookupOrNull(v))
          return inside;
        Operation *def = v.getDefiningOp();
        if (auto view = dyn_cast<ViewLikeOpInterface>(def))
          sink(view.getViewSource());
        b.clone(*def, sunk);
        return sunk.lookup(v);
      };
      launch.getBody().walk([&](Operation *op) {
        for (OpOperand &use : op->getOpOperands())
          if (!launch->isAncestor(use.get().getParentRegion()->getParentOp()) &&
              isGlobalView(use.get()))
            use.set(sink(use.get()));
      });
    });
  }
};

struct MXCGPUMergeModulesPass
    : mlir::mxc::impl::MXCGPUMergeModulesPassBase<MXCGPUMergeModulesPass> {
  using MXCGPUMergeModulesPassBase::MXCGPUMergeModulesPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> parts(module.getOps<gpu::GPUModuleOp>());
    if (parts.empty())
      return;
    if (SymbolTable::lookupSymbolIn(module, moduleName)) {
      module.emitError() << "mxc-gpu-merge-modules: the module already has a "
                            "symbol '"
                         << moduleName << "'";
      return signalPassFailure();
    }
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    // (outlined module, kernel) -> the kernel's name in the merged module:
    // every outlined kernel of a function has the function's name.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp part : parts) {
      for (Operation &op :
           llvm::make_early_inc_range(part.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol) {
          op.emitError() << "mxc-gpu-merge-modules: cannot merge an op "
                            "without a symbol";
          return signalPassFailure();
        }
        StringAttr name = symbol.getNameAttr();
        if (isa<gpu::GPUFuncOp>(&op)) {
          op.remove();
          renamed[{part.getNameAttr(), name}] = mergedSymbols.insert(&op);
          continue;
        }
        // A global copied into several kernels' modules is one global:
        // outlining copies it from the host module under its own name.
        if (Operation *existing = mergedSymbols.lookup(name)) {
          if (!OperationEquivalence::isEquivalentTo(
                  existing, &op, OperationEquivalence::None)) {
            op.emitError() << "mxc-gpu-merge-modules: two different '"
                           << name.getValue() << "'";
            return signalPassFailure();
          }
          continue;
        }
        op.remove();
        mergedSymbols.insert(&op);
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr kernel = renamed.lookup(
          {launch.getKernelModuleName(), launch.getKernelName()});
      if (kernel)
        launch.setKernelAttr(SymbolRefAttr::get(
            merged.getNameAttr(), {FlatSymbolRefAttr::get(kernel)}));
    });
    for (gpu::GPUModuleOp part : parts)
      part.erase();
  }
};

/// Every buffer a launch passes must be one the device can reach: a
/// function argument (the caller's), an allocation (managed memory), or a
/// view of one; not a host global or the host stack.
struct MXCGPUCheckLaunchArgsPass
    : mlir::mxc::impl::MXCGPUCheckLaunchArgsPassBase<
          MXCGPUCheckLaunchArgsPass> {
  void runOnOperation() override {
    WalkResult walk = getOperation().walk([](gpu::LaunchFuncOp launch) {
      for (auto [i, operand] : llvm::enumerate(launch.getKernelOperands())) {
        if (!isa<BaseMemRefType>(operand.getType()))
          continue;
        Value root = operand;
        while (auto view = root.getDefiningOp<ViewLikeOpInterface>())
          root = view.getViewSource();
        while (auto cast = root.getDefiningOp<memref::CastOp>())
          root = cast.getSource();
        Operation *def = root.getDefiningOp();
        if (!def || isa<memref::AllocOp>(def))
          continue;
        launch.emitError() << "mxc-gpu-check-launch-args: kernel operand #" << i
                           << " comes from '" << def->getName()
                           << "', memory the GPU cannot reach";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
