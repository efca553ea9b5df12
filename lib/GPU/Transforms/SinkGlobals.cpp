//===- SinkGlobals.cpp - mxc-gpu-sink-globals -----------------------------===//
//
// Before outlining: the weights a kernel reads go into its launch, so that
// outlining puts them in the device module.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUSINKGLOBALSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// What goes into a launch with the ops that use it: a global (a weight),
/// a pure view of something that goes in, and the index computations that
/// upstream's gpu-launch-sink-index-computations sinks (constants, dims), so
/// that a kernel sees its bounds and strides as constants, not parameters.
bool isSinkingBeneficiary(Operation *op) {
  if (isa<memref::GetGlobalOp, arith::ConstantOp, memref::DimOp,
          arith::SelectOp, arith::CmpIOp>(op))
    return true;
  return isa<ViewLikeOpInterface>(op) && isPure(op);
}

struct MXCGPUSinkGlobalsPass
    : mlir::mxc::impl::MXCGPUSinkGlobalsPassBase<MXCGPUSinkGlobalsPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([](gpu::LaunchOp launch) {
      return failed(sinkOperationsIntoLaunchOp(launch, isSinkingBeneficiary))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
