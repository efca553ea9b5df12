//===- QuantizeActivations.cpp - MX activations for MX matmuls ------------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCQUANTIZEACTIVATIONSPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

struct MXCQuantizeActivationsPass
    : mlir::mxc::impl::MXCQuantizeActivationsPassBase<
          MXCQuantizeActivationsPass> {
  using MXCQuantizeActivationsPassBase::MXCQuantizeActivationsPassBase;

  void runOnOperation() override {
    const num::ElemFormat f = format;
    getOperation()->walk([&](MatmulOp op) {
      auto weight = dyn_cast<MXTensorType>(op.getWeight().getType());
      auto input = dyn_cast<RankedTensorType>(op.getInput().getType());
      if (!weight || !input || !num::isValidBlockSize(f, weight.getBlockSize()))
        return;
      auto type = MXTensorType::get(input.getShape(),
                                    getMXElementType(op.getContext(), f),
                                    weight.getBlockSize());
      OpBuilder b(op);
      Value quantized = QuantizeOp::create(b, op.getLoc(), type, op.getInput(),
                                           RoundingMode::NearestEven, scales);
      op.getInputMutable().assign(quantized);
      ++numQuantized;
    });
  }
};

} // namespace
