//===- CPUPipeline.cpp - mxc-lower-to-llvm --------------------------------===//

#include "mxc/Conversion/Passes.h"
#include "mxc/Pipelines/Pipelines.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// Marks public functions for C-interface wrappers.
struct AttachCInterfacePass
    : PassWrapper<AttachCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(AttachCInterfacePass)
  StringRef getArgument() const final { return "mxc-attach-c-interface"; }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isDeclaration())
        func->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
  }
};
/// Turns each memref.copy that may not be contiguous (an operand with a
/// strided layout, not a static contiguous shape) into linalg.copy, which
/// becomes loops the LLVM optimizer vectorizes. MemRefToLLVM lowers such a
/// copy to libmlir_c_runner_utils' memrefCopy, which moves one element at a
/// time with its indices recomputed for each: a prefill's KV-cache writes
/// (the new rows into a [heads, positions, head_dim] cache) took 1.6 % of an
/// 85M-parameter model's 2-thread prefill there, on the main thread while
/// the other waited. Contiguous copies keep memref.copy (a memcpy).
struct StridedCopyToLinalgPass
    : PassWrapper<StridedCopyToLinalgPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StridedCopyToLinalgPass)
  StringRef getArgument() const final { return "mxc-strided-copy-to-linalg"; }
  StringRef getDescription() const final {
    return "Turn memref.copy of strided views into linalg.copy (loops)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    auto strided = [](Type type) {
      auto memref = dyn_cast<MemRefType>(type);
      return memref && !memref.getLayout().isIdentity() &&
             !memref::isStaticShapeAndContiguousRowMajor(memref);
    };
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (strided(copy.getSource().getType()) ||
          strided(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
/// Moves each unconditional memref.dealloc up to just after the last op of
/// its block that uses the buffer or any of its views (BufferViewFlowAnalysis:
/// subviews, casts, reshapes, ...; a use nested in a region counts as its
/// ancestor in the block). Ownership-based deallocation frees a block's
/// buffers at the block's end: in a model's straight-line forward that kept
/// every intermediate of every layer alive until the function returned
/// (peak memory the sum of them all) and gave each allocation fresh pages
/// (page faults on every token). A dealloc whose buffer has a use outside
/// its block stays where it is.
struct EarlyDeallocPass
    : PassWrapper<EarlyDeallocPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EarlyDeallocPass)
  StringRef getArgument() const final { return "mxc-early-dealloc"; }
  StringRef getDescription() const final {
    return "Free each buffer right after the last use of it or its views";
  }
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    if (deallocs.empty())
      return;
    BufferViewFlowAnalysis aliases(getOperation());
    for (memref::DeallocOp dealloc : deallocs) {
      Block *block = dealloc->getBlock();
      Operation *last = nullptr;
      bool movable = true;
      for (Value alias : aliases.resolve(dealloc.getMemref())) {
        for (Operation *user : alias.getUsers()) {
          if (user == dealloc)
            continue;
          Operation *inBlock = block->findAncestorOpInBlock(*user);
          if (!inBlock) {
            movable = false;
            break;
          }
          if (inBlock == dealloc || dealloc->isBeforeInBlock(inBlock)) {
            movable = false; // used after its dealloc: leave it be
            break;
          }
          if (!last || last->isBeforeInBlock(inBlock))
            last = inBlock;
        }
        if (!movable)
          break;
      }
      if (movable && last && last->isBeforeInBlock(dealloc))
        dealloc->moveAfter(last);
    }
  }
};
} // namespace

void mlir::mxc::buildMXCToLinalgPipeline(OpPassManager &pm,
                                         const CPUPipelineOptions &options) {
  // Matmuls -> calls of mxc's CPU kernel (before the elementwise conversion:
  // the input's extf and the scales' bitcast become linalg), then their MX
  // activations' quantize-dequantize round trips too.
  if (options.matmulKernels) {
    pm.addPass(createConvertMXCMatmulToCPUPass());
    pm.addPass(createConvertMXCQuantizeToCPUPass());
  }
  // Plain causal attentions -> calls of mxc's CPU attention kernel (the
  // instrumented tile counts need the generated loops).
  if (options.attentionKernels && !options.countAttentionTiles)
    pm.addPass(createConvertMXCAttentionToCPUPass());
  // Elementwise arith/math on tensors -> linalg, so that it bufferizes.
  pm.addPass(createConvertElementwiseToLinalgPass());
  // Which KV tiles each attention reads, while it is still an mxc op.
  pm.addPass(createMXCAttentionTileMaskPass());
  // mxc -> linalg/tensor/arith/scf; MX values become their storage.
  ConvertMXCToLinalgPassOptions convert;
  convert.countAttentionTiles = options.countAttentionTiles;
  convert.matmulRowsInnermost = options.matmulRowsInnermost;
  pm.addPass(createConvertMXCToLinalgPass(convert));
  pm.addPass(createCanonicalizerPass());
}

void mlir::mxc::buildBufferizePipeline(OpPassManager &pm, bool deallocate,
                                       bool earlyDealloc) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A loop may carry a value it recomputes (an MX value requantized per
  // iteration): each iteration's buffer is a new allocation.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (deallocate) {
    bufferization::BufferDeallocationPipelineOptions dealloc;
    bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  }
  // Deallocation may clone buffers that leave a function.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Free each buffer after its last use, not at the end of its block.
  if (deallocate && earlyDealloc)
    pm.addNestedPass<func::FuncOp>(std::make_unique<EarlyDeallocPass>());
}

void mlir::mxc::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                         const CPUPipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(std::make_unique<StridedCopyToLinalgPass>());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createForallToForLoopPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Vector transfers and prints of whole vectors become loops first.
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());

  // -> LLVM dialect.
  if (options.cInterface)
    pm.addPass(std::make_unique<AttachCInterfacePass>());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::mxc::buildLinalgToLLVMPipeline(OpPassManager &pm,
                                          const CPUPipelineOptions &options) {
  buildBufferizePipeline(pm, options.deallocate, /*earlyDealloc=*/true);
  buildLoopsToLLVMPipeline(pm, options);
}

void mlir::mxc::buildCPUPipeline(OpPassManager &pm,
                                 const CPUPipelineOptions &options) {
  buildMXCToLinalgPipeline(pm, options);
  buildLinalgToLLVMPipeline(pm, options);
}

void mlir::mxc::registerCPUPipeline() {
  PassRegistration<EarlyDeallocPass>();
  PassRegistration<StridedCopyToLinalgPass>();
  PassPipelineRegistration<CPUPipelineOptions>(
      "mxc-lower-to-llvm",
      "Lower mxc and upstream IR on tensors to the LLVM dialect for the CPU "
      "(mlir-runner or the ExecutionEngine with libmlir_c_runner_utils)",
      buildCPUPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "mxc-lower-to-linalg",
      "The first half of mxc-lower-to-llvm: lower every mxc op and MX value "
      "to upstream linalg/tensor/arith/scf on tensors",
      buildMXCToLinalgPipeline);
}
