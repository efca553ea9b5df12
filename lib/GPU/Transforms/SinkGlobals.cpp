//===- SinkGlobals.cpp - mxc-gpu-sink-globals -----------------------------===//
//
// Before outlining: the small constant tables a kernel reads go into its
// launch, so that outlining puts them in the device module; the weights stay
// launch operands (mxc-gpu-device-constants).
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUSINKGLOBALSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// The bytes of a statically shaped memref, or -1.
int64_t bytesOf(MemRefType type) {
  if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return -1;
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

struct MXCGPUSinkGlobalsPass
    : mlir::mxc::impl::MXCGPUSinkGlobalsPassBase<MXCGPUSinkGlobalsPass> {
  using Base::Base;

  /// What goes into a launch with the ops that use it: a global of at most
  /// max-bytes, a pure view of something that goes in, and the index
  /// computations that upstream's gpu-launch-sink-index-computations sinks
  /// (constants, dims), so that a kernel sees its bounds and strides as
  /// constants, not parameters.
  bool isSinkingBeneficiary(Operation *op) const {
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      // A mutable global (a counter the kernels write) goes into the device
      // module whatever its size: only constants are uploaded.
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          get, get.getNameAttr());
      if (global && !global.getConstant())
        return true;
      int64_t bytes = bytesOf(get.getType());
      return bytes >= 0 && bytes <= maxBytes;
    }
    if (isa<arith::ConstantOp, memref::DimOp, arith::SelectOp, arith::CmpIOp>(
            op))
      return true;
    return isa<ViewLikeOpInterface>(op) && isPure(op);
  }

  void runOnOperation() override {
    auto sinks = [this](Operation *op) { return isSinkingBeneficiary(op); };
    WalkResult result = getOperation().walk([&](gpu::LaunchOp launch) {
      return failed(sinkOperationsIntoLaunchOp(launch, sinks))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
