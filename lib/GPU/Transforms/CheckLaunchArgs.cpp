//===- CheckLaunchArgs.cpp - mxc-gpu-check-launch-args --------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUCHECKLAUNCHARGSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// Every buffer a launch passes must be one the device can reach: a
/// function argument (the caller's), an allocation (device memory), a
/// constant global (uploaded by the runtime), or a view of one; not a
/// mutable host global or the host stack.
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
        if (auto get = dyn_cast<memref::GetGlobalOp>(def)) {
          auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
              get, get.getNameAttr());
          if (global && global.getConstant())
            continue;
        }
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
