//===- GeneralizeTransposes.cpp - mxc-gpu-generalize-transposes -----------===//
//
// Before linalg-fuse-elementwise-ops on the GPU path: each linalg.transpose
// becomes the linalg.generic it names, so that the fusion folds the layout
// change into the op that produces its input (RoPE writes the attention's
// head-major layout itself) instead of leaving a copy kernel of its own.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUGENERALIZETRANSPOSESPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;

namespace {

struct MXCGPUGeneralizeTransposesPass
    : mlir::mxc::impl::MXCGPUGeneralizeTransposesPassBase<
          MXCGPUGeneralizeTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk(
        [&](linalg::TransposeOp op) { transposes.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::TransposeOp op : transposes) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op))) {
        op.emitOpError("could not be generalized");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
