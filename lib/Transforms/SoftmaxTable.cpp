//===- SoftmaxTable.cpp - Fit EXAQ tables to calibration samples ----------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Passes.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCSOFTMAXTABLEPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

struct MXCSoftmaxTablePass
    : mlir::mxc::impl::MXCSoftmaxTablePassBase<MXCSoftmaxTablePass> {
  using MXCSoftmaxTablePassBase::MXCSoftmaxTablePassBase;

  void runOnOperation() override {
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<SoftmaxOp, AttentionOp>(op))
        return;
      auto quant = op->getAttrOfType<ExaqAttr>("quant");
      if (!quant)
        return; // Exact: no table.
      auto stats = op->getAttrOfType<SoftmaxStatsAttr>("stats");
      DenseF32ArrayAttr samples = stats ? stats.getSamples() : nullptr;
      if (!samples || samples.empty()) {
        op->emitError() << "mxc-softmax-table: no calibration samples of the "
                           "softmax input ('stats' with 'samples') to fit "
                           "the EXAQ table to";
        failedAny = true;
        return;
      }
      // fitExaqTable fits the codes' cells; an earlier table is not read.
      std::vector<float> table = ::mxc::numerics::fitExaqTable(
          quant.getQuantizer(), samples.asArrayRef().data(), samples.size());
      op->setAttr("quant", ExaqAttr::get(op->getContext(), quant.getBits(),
                                         quant.getClipValue(),
                                         quant.getZeroFloor(), table));
      ++numFitted;
    });
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
