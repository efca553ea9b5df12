//===- MergeModules.cpp - mxc-gpu-merge-modules ---------------------------===//
//
// After outlining: all kernels into one gpu.module (one binary), their
// workgroup buffers aligned for vector accesses.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Kernels.h"
#include "mxc/GPU/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUMERGEMODULESPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

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
        if (auto kernel = dyn_cast<gpu::GPUFuncOp>(&op)) {
          // Buffers of a launch's workgroup (a staged GEMV's x) take
          // 16-byte vector accesses.
          kernels::alignWorkgroupBuffers(kernel);
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

} // namespace
