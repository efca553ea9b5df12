//===- SoftmaxClip.cpp - Set EXAQ clips from calibration statistics -------===//

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Passes.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCSOFTMAXCLIPPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

struct MXCSoftmaxClipPass
    : mlir::mxc::impl::MXCSoftmaxClipPassBase<MXCSoftmaxClipPass> {
  using MXCSoftmaxClipPassBase::MXCSoftmaxClipPassBase;

  void runOnOperation() override {
    if (bits < 1 || bits > 8) {
      getOperation()->emitError()
          << "mxc-softmax-clip: bits must be in [1, 8], got "
          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<SoftmaxOp, AttentionOp>(op))
        return;
      auto stats = op->getAttrOfType<SoftmaxStatsAttr>("stats");
      if (!stats) {
        op->emitRemark() << "left exact: no calibration statistics ('stats' "
                            "attribute) to choose a clip from";
        ++numLeftExact;
        return;
      }
      std::string reason;
      FailureOr<SoftmaxClipChoice> choice =
          chooseSoftmaxClip(stats, bits, mode, zeroFloor, reason);
      if (failed(choice)) {
        op->emitError() << reason;
        failedAny = true;
        return;
      }
      op->setAttr("quant", ExaqAttr::get(op->getContext(), choice->bits,
                                         choice->clip, zeroFloor));
      ++numQuantized;
    });
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
