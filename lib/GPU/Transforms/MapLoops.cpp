//===- MapLoops.cpp - mxc-gpu-map-loops -----------------------------------===//
//
// The generic half of the model's GPU path: bufferized linalg becomes
// scf.parallel loops mapped onto blocks and threads, which upstream
// convert-parallel-loops-to-gpu turns into gpu.launch.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
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

/// The output buffer's initial value, when a linalg.fill of a fresh buffer
/// just before `op` gives it and nothing else touches the buffer between
/// them: the fill then need not be a kernel of its own.
linalg::FillOp foldableFill(linalg::GenericOp op) {
  Value out = op.getDpsInits()[0];
  if (!out.getDefiningOp<memref::AllocOp>())
    return {};
  linalg::FillOp fill;
  for (Operation *user : out.getUsers()) {
    if (user == op.getOperation() || isa<memref::DeallocOp>(user))
      continue;
    if (user->getBlock() != op->getBlock())
      return {};
    if (user->isBeforeInBlock(op)) {
      auto candidate = dyn_cast<linalg::FillOp>(user);
      if (!candidate || fill)
        return {};
      fill = candidate;
    }
  }
  return fill;
}

/// A top-level reduction (parallel dimensions, then reduction dimensions,
/// one output indexed by the parallel dimensions alone): a parallel loop
/// over the output elements whose thread carries the accumulator in a
/// register through its sequential loop over the reduced dimensions, and
/// stores it once. linalg's own loops would load and store the output
/// element at every reduced element: global memory, and on a GPU a round
/// trip per element. The order of the reduction is the same (ascending),
/// so the result is the CPU path's bit for bit. A fill of the output just
/// before it becomes the accumulator's start value.
LogicalResult reductionInRegisters(RewriterBase &rewriter,
                                   linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return failure();
  unsigned numParallel = op.getNumParallelLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if ((d < numParallel) != linalg::isParallelIterator(iterators[d]))
      return failure();
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (!outMap.isProjectedPermutation() || outMap.getNumResults() != numParallel)
    return failure();
  for (AffineExpr e : outMap.getResults())
    if (cast<AffineDimExpr>(e).getPosition() >= numParallel)
      return failure();

  Location loc = op.getLoc();
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  auto value = [&](OpFoldResult r) {
    return getValueOrCreateConstantIndexOp(rewriter, loc, r);
  };
  SmallVector<Value> lower, upper, steps;
  for (Range r : ranges) {
    lower.push_back(value(r.offset));
    upper.push_back(value(r.size));
    steps.push_back(value(r.stride));
  }
  linalg::FillOp fill = foldableFill(op);
  Value out = init->get();
  auto indices = [&](OpBuilder &b, AffineMap map, ValueRange ivs) {
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        result.push_back(ivs[dim.getPosition()]);
      else
        result.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
    }
    return result;
  };
  auto parallel = scf::ParallelOp::create(
      rewriter, loc, ArrayRef(lower).take_front(numParallel),
      ArrayRef(upper).take_front(numParallel),
      ArrayRef(steps).take_front(numParallel));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(parallel.getBody());
  SmallVector<Value> ivs(parallel.getInductionVars());
  Value start = fill ? fill.getInputs()[0]
                     : memref::LoadOp::create(rewriter, loc, out,
                                              indices(rewriter, outMap, ivs))
                           .getResult();
  Block *body = op.getBlock();
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loc, ArrayRef(lower).drop_front(numParallel),
      ArrayRef(upper).drop_front(numParallel),
      ArrayRef(steps).drop_front(numParallel), ValueRange{start},
      [&](OpBuilder &b, Location l, ValueRange inner, ValueRange acc) {
        SmallVector<Value> all(ivs);
        llvm::append_range(all, inner);
        IRMapping map;
        for (OpOperand *in : op.getDpsInputOperands()) {
          Value arg = body->getArgument(in->getOperandNumber());
          Value v = in->get();
          if (isa<MemRefType>(v.getType()))
            v = memref::LoadOp::create(
                b, l, v, indices(b, op.getMatchingIndexingMap(in), all));
          map.map(arg, v);
        }
        map.map(body->getArgument(init->getOperandNumber()), acc[0]);
        for (Operation &inner : body->without_terminator()) {
          if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
            map.map(index.getResult(), all[index.getDim()]);
            continue;
          }
          b.clone(inner, map);
        }
        return scf::ValueVector{
            map.lookupOrDefault(body->getTerminator()->getOperand(0))};
      });
  memref::StoreOp::create(rewriter, loc, nest.results[0], out,
                          indices(rewriter, outMap, ivs));
  if (fill)
    rewriter.eraseOp(fill);
  return success();
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
    //    Top-level reductions first, so that they may take over the fill
    //    before them.
    SmallVector<linalg::GenericOp> reductions;
    func.walk([&](linalg::GenericOp op) {
      if (!insideTask(op))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions) {
      rewriter.setInsertionPoint(op);
      if (succeeded(reductionInRegisters(rewriter, op)))
        rewriter.eraseOp(op);
    }
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
