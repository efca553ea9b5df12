//===- TestSoftmaxClip.cpp - Print the EXAQ clip analysis -----------------===//
//
// A test-only pass that shows the clipping-value analysis as remarks, so lit
// can check it apart from the transform that consumes it.
//
//===----------------------------------------------------------------------===//

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::mxc;

namespace {

struct TestSoftmaxClipPass : PassWrapper<TestSoftmaxClipPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestSoftmaxClipPass)

  TestSoftmaxClipPass() = default;
  TestSoftmaxClipPass(const TestSoftmaxClipPass &pass) : PassWrapper(pass) {}

  StringRef getArgument() const final { return "mxc-test-softmax-clip"; }
  StringRef getDescription() const final {
    return "Print the EXAQ clip analysis of every softmax as a remark";
  }

  Option<int64_t> bits{*this, "bits", llvm::cl::desc("Bit width"),
                       llvm::cl::init(2)};
  Option<bool> samples{*this, "samples",
                       llvm::cl::desc("Optimise on samples, not a Gaussian"),
                       llvm::cl::init(false)};

  void runOnOperation() override {
    if (bits < 1 || bits > 8) {
      getOperation()->emitError()
          << "mxc-test-softmax-clip: bits must be 1 to 8, not "
          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    getOperation()->walk([&](Operation *op) {
      if (!isa<SoftmaxOp, AttentionOp>(op))
        return;
      auto stats = op->getAttrOfType<SoftmaxStatsAttr>("stats");
      if (!stats) {
        op->emitRemark() << "no statistics";
        return;
      }
      std::string reason;
      FailureOr<SoftmaxClipChoice> choice = chooseSoftmaxClip(
          stats, bits,
          samples ? SoftmaxClipMode::Samples : SoftmaxClipMode::Analytic,
          /*zeroFloor=*/false, reason);
      if (failed(choice)) {
        op->emitRemark() << "no choice: " << reason;
        return;
      }
      std::string text;
      llvm::raw_string_ostream os(text);
      os << llvm::format("bits = %d, clip = %.4f, error = %.3e; observed "
                         "min: %.3e, -8: %.3e",
                         static_cast<int>(choice->bits), choice->clip,
                         choice->error, choice->errorAtObservedMin,
                         choice->errorAtMinus8);
      op->emitRemark() << text;
    });
  }
};

} // namespace

namespace mxc::test {
void registerTestPasses() { PassRegistration<TestSoftmaxClipPass>(); }
} // namespace mxc::test
