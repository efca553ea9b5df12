//===- Pipelines.h - Named mxc pass pipelines -------------------*- C++ -*-===//

#ifndef MXC_PIPELINES_PIPELINES_H
#define MXC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::mxc {

/// Options of `mxc-lower-to-llvm`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit C-callable wrappers (llvm.emit_c_interface) for "
                     "every public function, for callers that pass memref "
                     "descriptors: the ExecutionEngine, C, Python"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> deallocate{
      *this, "deallocate",
      llvm::cl::desc("Insert buffer deallocations (ownership-based); off "
                     "leaks every temporary buffer"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> countAttentionTiles{
      *this, "count-attention-tiles",
      llvm::cl::desc("Count visited and skipped KV tiles of every attention "
                     "in the global @mxc_attention_tile_counts (tests, "
                     "benchmarks)"),
      llvm::cl::init(false)};
};

/// mxc + upstream IR on tensors -> LLVM dialect, for mlir-runner or the
/// ExecutionEngine: mxc lowerings, a check that nothing of mxc is left,
/// one-shot bufferization, loops, and the LLVM conversions.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Its first half (`mxc-lower-to-linalg`): the mxc lowerings to upstream ops
/// on tensors and the check that nothing of mxc is left.
void buildMXCToLinalgPipeline(OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// Its second half: bufferization, loops and the LLVM conversions.
void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options);

/// Registers `mxc-lower-to-llvm` and `mxc-lower-to-linalg`.
void registerCPUPipeline();

} // namespace mlir::mxc

#endif // MXC_PIPELINES_PIPELINES_H
