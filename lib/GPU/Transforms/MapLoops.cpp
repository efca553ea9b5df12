//===- MapLoops.cpp - mxc-gpu-map-loops -----------------------------------===//
//
// The generic half of the model's GPU path: bufferized linalg becomes
// scf.parallel loops mapped onto blocks and threads, which upstream
// convert-parallel-loops-to-gpu turns into gpu.launch.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUMAPLOOPSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// Whether `op` sits inside a loop whose iterations are independent tasks.
bool insideTask(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
         op->getParentOfType<scf::ForallOp>();
}

/// memref.copy as an scf.for nest of loads and stores (inside a task, where
/// each thread copies its own small buffer).
void copyAsLoops(RewriterBase &rewriter, memref::CopyOp copy) {
  Location loc = copy.getLoc();
  Value source = copy.getSource(), target = copy.getTarget();
  auto type = cast<MemRefType>(source.getType());
  SmallVector<Value> lower, upper, steps;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    lower.push_back(arith::ConstantIndexOp::create(rewriter, loc, 0));
    upper.push_back(memref::DimOp::create(rewriter, loc, source, d));
    steps.push_back(arith::ConstantIndexOp::create(rewriter, loc, 1));
  }
  scf::buildLoopNest(rewriter, loc, lower, upper, steps,
                     [&](OpBuilder &b, Location l, ValueRange ivs) {
                       Value v = memref::LoadOp::create(b, l, source, ivs);
                       memref::StoreOp::create(b, l, v, target, ivs);
                     });
  rewriter.eraseOp(copy);
}

struct MXCGPUMapLoopsPass
    : mlir::mxc::impl::MXCGPUMapLoopsPassBase<MXCGPUMapLoopsPass> {
  using MXCGPUMapLoopsPassBase::MXCGPUMapLoopsPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    if (threads < 1 || threads > 1024) {
      func.emitError() << "mxc-gpu-map-loops: threads must be 1 to 1024, not "
                       << static_cast<int64_t>(threads);
      return signalPassFailure();
    }

    // It runs on buffers: a linalg op still on tensors has no loops to map.
    WalkResult onTensors = func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        return WalkResult::advance();
      op->emitError() << "mxc-gpu-map-loops runs on buffers (after one-shot "
                         "bufferization, as in mxc-linalg-to-gpu); this "
                         "linalg op is on tensors";
      return WalkResult::interrupt();
    });
    if (onTensors.wasInterrupted())
      return signalPassFailure();

    // 1. A task's own buffers live in its thread: static ones become allocas
    //    (registers or local memory); a dynamic one has no GPU form.
    SmallVector<memref::AllocOp> taskBuffers;
    func.walk([&](memref::AllocOp alloc) {
      if (insideTask(alloc))
        taskBuffers.push_back(alloc);
    });
    for (memref::AllocOp alloc : taskBuffers) {
      if (!alloc.getType().hasStaticShape()) {
        alloc.emitError()
            << "mxc-gpu-map-loops: a buffer of dynamic size inside a "
               "parallel task has no GPU form yet (attention with a span "
               "table needs one per row)";
        return signalPassFailure();
      }
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.setInsertionPoint(alloc);
      rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                    alloc.getDynamicSizes(),
                                                    alloc.getAlignmentAttr());
    }

    // 2. Copies: a parallel linalg.copy at the top, loops inside a task.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      if (insideTask(copy)) {
        copyAsLoops(rewriter, copy);
        continue;
      }
      linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      rewriter.eraseOp(copy);
    }

    // 3. Tasks: scf.forall -> scf.parallel.
    SmallVector<scf::ForallOp> foralls;
    func.walk([&](scf::ForallOp op) { foralls.push_back(op); });
    for (scf::ForallOp op : foralls) {
      rewriter.setInsertionPoint(op);
      if (failed(scf::forallToParallelLoop(rewriter, op))) {
        op.emitError() << "mxc-gpu-map-loops: cannot make this scf.forall an "
                          "scf.parallel";
        return signalPassFailure();
      }
    }

    // 4. linalg: parallel loops at the top level, sequential ones inside a
    //    task (the thread runs them).
    SmallVector<linalg::LinalgOp> linalgOps;
    func.walk([&](linalg::LinalgOp op) { linalgOps.push_back(op); });
    for (linalg::LinalgOp op : linalgOps) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          insideTask(op) ? linalg::linalgOpToLoops(rewriter, op)
                         : linalg::linalgOpToParallelLoops(rewriter, op);
      if (failed(loops)) {
        op->emitError() << "mxc-gpu-map-loops: cannot lower to loops";
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }

    // 5. Each top-level parallel loop: its dimensions collapsed into one,
    //    tiled by `threads` (blocks x threads); anything parallel nested in
    //    it runs sequentially in the thread.
    SmallVector<scf::ParallelOp> outermost;
    func.walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        outermost.push_back(op);
    });
    for (scf::ParallelOp op : outermost) {
      if (op.getNumLoops() > 1) {
        std::vector<unsigned> all(op.getNumLoops());
        std::iota(all.begin(), all.end(), 0u);
        Block *block = op->getBlock();
        Operation *next = op->getNextNode();
        rewriter.setInsertionPoint(op);
        collapseParallelLoops(rewriter, op, {all});
        op = cast<scf::ParallelOp>(next ? next->getPrevNode() : &block->back());
      }
      auto [outer, inner] = scf::tileParallelLoop(op, {int64_t(threads)},
                                                  /*noMinMaxBounds=*/true);
      auto id = AffineMap::getMultiDimIdentityMap(1, ctx);
      auto dim = [&](gpu::Processor p) {
        return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
      };
      if (failed(gpu::setMappingAttr(outer, {dim(gpu::Processor::BlockX)})) ||
          failed(gpu::setMappingAttr(inner, {dim(gpu::Processor::ThreadX)})))
        return signalPassFailure();
      inner.getBody()->walk([&](scf::ParallelOp nested) {
        SmallVector<gpu::ParallelLoopDimMappingAttr> sequential(
            nested.getNumLoops(), dim(gpu::Processor::Sequential));
        (void)gpu::setMappingAttr(nested, sequential);
      });
    }
  }
};

} // namespace
