//===- MapLoops.cpp - mxc-gpu-map-loops, mxc-gpu-check-host ---------------===//
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
#define GEN_PASS_DEF_MXCGPUCHECKHOSTPASS
#define GEN_PASS_DEF_MXCGPULAUNCHTOLOOPSPASS
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
                       << threads;
      return signalPassFailure();
    }

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

/// gpu.launch -> one scf.parallel over (blocks, threads) running its body:
/// exact for bodies whose threads do not talk to each other.
struct MXCGPULaunchToLoopsPass
    : mlir::mxc::impl::MXCGPULaunchToLoopsPassBase<MXCGPULaunchToLoopsPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches) {
      Region &body = launch.getBody();
      bool cooperates = false;
      body.walk([&](Operation *op) {
        cooperates |= isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::SubgroupReduceOp,
                          gpu::AllReduceOp>(op);
      });
      if (cooperates || !body.hasOneBlock() || launch.getAsyncToken() ||
          !launch.getAsyncDependencies().empty() ||
          launch.getDynamicSharedMemorySize() ||
          launch.getClusterSizeOperandValues() ||
          launch.getNumWorkgroupAttributions() ||
          launch.getNumPrivateAttributions()) {
        launch.emitError() << "mxc-gpu-launch-to-loops: only a synchronous "
                              "launch of independent threads (no barriers, "
                              "shuffles, shared memory or clusters) runs as "
                              "loops";
        return signalPassFailure();
      }
      Location loc = launch.getLoc();
      rewriter.setInsertionPoint(launch);
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      SmallVector<Value> upper = {grid.x,  grid.y,  grid.z,
                                  block.x, block.y, block.z};
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      SmallVector<Value> lower(6, zero), steps(6, one);
      auto loop = scf::ParallelOp::create(rewriter, loc, lower, upper, steps);
      IRMapping map;
      gpu::KernelDim3 blockIds = launch.getBlockIds();
      gpu::KernelDim3 threadIds = launch.getThreadIds();
      gpu::KernelDim3 gridSize = launch.getGridSize();
      gpu::KernelDim3 blockSize = launch.getBlockSize();
      SmallVector<Value> ivs(loop.getInductionVars());
      SmallVector<std::pair<Value, Value>> args = {
          {blockIds.x, ivs[0]},   {blockIds.y, ivs[1]},
          {blockIds.z, ivs[2]},   {threadIds.x, ivs[3]},
          {threadIds.y, ivs[4]},  {threadIds.z, ivs[5]},
          {gridSize.x, grid.x},   {gridSize.y, grid.y},
          {gridSize.z, grid.z},   {blockSize.x, block.x},
          {blockSize.y, block.y}, {blockSize.z, block.z}};
      for (auto [from, to] : args)
        map.map(from, to);
      rewriter.setInsertionPointToStart(loop.getBody());
      for (Operation &op : body.front().without_terminator())
        rewriter.clone(op, map);
      rewriter.eraseOp(launch);
      // A thread's allocas live as long as its kernel; as loop iterations
      // they would pile up on the stack. Each becomes a heap buffer freed at
      // the end of its block.
      SmallVector<memref::AllocaOp> allocas;
      loop.getBody()->walk(
          [&](memref::AllocaOp alloca) { allocas.push_back(alloca); });
      for (memref::AllocaOp alloca : allocas) {
        rewriter.setInsertionPoint(alloca);
        auto alloc = rewriter.replaceOpWithNewOp<memref::AllocOp>(
            alloca, alloca.getType(), alloca.getDynamicSizes(),
            alloca.getAlignmentAttr());
        rewriter.setInsertionPoint(alloc->getBlock()->getTerminator());
        memref::DeallocOp::create(rewriter, loc, alloc);
      }
    }
  }
};

} // namespace
