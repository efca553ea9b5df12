//===- CheckHost.cpp - mxc-gpu-check-host ---------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUCHECKHOSTPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// After convert-parallel-loops-to-gpu: nothing outside gpu.launch may read
/// or write a buffer's elements, since they live in GPU-visible memory and
/// the host only allocates, launches and frees.
struct MXCGPUCheckHostPass
    : mlir::mxc::impl::MXCGPUCheckHostPassBase<MXCGPUCheckHostPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Private functions are helpers the pipeline generated (the
    // deallocation's pointer bookkeeping), not the model's code.
    if (func.isPrivate())
      return;
    WalkResult walk = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      bool access = isa<memref::LoadOp, memref::StoreOp, memref::CopyOp,
                        linalg::LinalgOp, scf::ParallelOp, scf::ForallOp>(op);
      // Loads and stores of small host-side buffers (the deallocation's
      // bookkeeping on the stack) are fine.
      if (auto load = dyn_cast<memref::LoadOp>(op))
        access = !load.getMemRef().getDefiningOp<memref::AllocaOp>();
      if (auto store = dyn_cast<memref::StoreOp>(op))
        access = !store.getMemRef().getDefiningOp<memref::AllocaOp>();
      if (!access)
        return WalkResult::advance();
      op->emitError() << "mxc-gpu-check-host: '" << op->getName()
                      << "' runs on the host, outside any gpu.launch";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
