//===- GPUPipeline.cpp - A model's GPU path -------------------------------===//

#include "mxc/GPU/Passes.h"
#include "mxc/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::mxc::buildLinalgToGPUPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  buildBufferizePipeline(pm, /*deallocate=*/true);
  OpPassManager &func = pm.nest<func::FuncOp>();
  MXCGPUMapLoopsPassOptions map;
  map.threads = options.threads;
  func.addPass(createMXCGPUMapLoopsPass(map));
  func.addPass(createConvertParallelLoopToGpuPass());
  func.addPass(createCanonicalizerPass());
  func.addPass(createMXCGPUCheckHostPass());
}

void mlir::mxc::buildGPUOnCPUPipeline(OpPassManager &pm,
                                      const CPUPipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(createMXCGPULaunchToLoopsPass());
  buildLoopsToLLVMPipeline(pm, options);
}

void mlir::mxc::registerGPUPipelines() {
  PassPipelineRegistration<GPUPipelineOptions>(
      "mxc-linalg-to-gpu",
      "A model's GPU path from linalg on tensors: bufferize, map loops onto "
      "blocks and threads (mxc-gpu-map-loops), gpu.launch, and check that the "
      "host touches no buffer",
      buildLinalgToGPUPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "mxc-gpu-on-cpu",
      "Run the gpu.launch form of mxc-linalg-to-gpu on the CPU: each launch "
      "as loops (mxc-gpu-launch-to-loops), then the CPU lowering to LLVM",
      buildGPUOnCPUPipeline);
}
