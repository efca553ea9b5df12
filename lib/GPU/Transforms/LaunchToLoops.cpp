//===- LaunchToLoops.cpp - mxc-gpu-launch-to-loops ------------------------===//

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
#define GEN_PASS_DEF_MXCGPULAUNCHTOLOOPSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

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
