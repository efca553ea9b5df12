//===- GPUPipeline.cpp - A model's GPU path -------------------------------===//

#include "mxc/GPU/Passes.h"
#include "mxc/Pipelines/Pipelines.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::mxc::buildLinalgToGPUPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  // Element-wise chains into one linalg.generic each, so into one launch:
  // a norm's normalization and gain, RoPE's rotations and the transpose to
  // the attention's head-major layout after them.
  pm.addNestedPass<func::FuncOp>(createMXCGPUGeneralizeTransposesPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  // An op whose result is inserted into a slice (the KV cache) writes the
  // slice itself. After the fusion, which resets unread outputs to
  // tensor.empty.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  buildBufferizePipeline(pm, /*deallocate=*/true);
  // The insertion of a slice into itself is then a copy of a view onto
  // the same view: CSE makes the two views one, the canonicalizer drops it.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
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
  MXCGPUMXKernelsPassOptions kernels;
  kernels.target = GemvTarget::CPU;
  pm.addPass(createMXCGPUMXKernelsPass(kernels));
  pm.addNestedPass<func::FuncOp>(createMXCGPULaunchToLoopsPass());
  buildLoopsToLLVMPipeline(pm, options);
}

void mlir::mxc::buildGPUToCUDAPipeline(OpPassManager &pm,
                                       const CUDAPipelineOptions &options) {
  MXCGPUMXKernelsPassOptions kernels;
  kernels.target = GemvTarget::CUDA;
  kernels.chip = options.chip;
  if (!options.tensorCores)
    kernels.gemmMinRows = 0;
  pm.addPass(createMXCGPUMXKernelsPass(kernels));
  // One device module holding every kernel and the small tables they read;
  // the weights stay in the host object (mxc-gpu-device-constants).
  pm.addNestedPass<func::FuncOp>(createMXCGPUSinkGlobalsPass());
  // A decode step's position in device memory: its graph then replays.
  pm.addPass(createMXCGPUDevicePositionPass());
  pm.addPass(createGpuKernelOutliningPass());
  MXCGPUMergeModulesPassOptions merge;
  merge.moduleName = "mxc_model";
  pm.addPass(createMXCGPUMergeModulesPass(merge));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createMXCGPUCheckLaunchArgsPass());
  if (options.emulation) {
    MXCGPUEmulatePassOptions emulate;
    emulate.keep = true;
    pm.addPass(createMXCGPUEmulatePass(emulate));
  }
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  // PTX 8.0 (CUDA 12.0) knows every chip up to sm_90.
  target.features = "+ptx80";
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  GPUToBinaryOptions binary;
  binary.format = options.format.getValue();
  binary.toolkit = options.toolkit.getValue();
  buildGPUToBinaryPipeline(pm, binary);

  // The host: allocation (device memory, from mxc's runtime), the device
  // copies of the weights, launches, deallocation.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  FinalizeMemRefToLLVMConversionPassOptions memory;
  memory.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memory));
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createMXCGPUDeviceConstantsPass());
  if (options.emulation)
    pm.addPass(createMXCGPUEmulateEntriesPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::mxc::buildGPUToBinaryPipeline(OpPassManager &pm,
                                         const GPUToBinaryOptions &options) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  // The tensor-core GEMM's nvgpu.ldmatrix (nvvm.ldmatrix on the address of
  // its memref and index).
  kernels.addPass(createConvertNVGPUToNVVMPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  // nvgpu's conversion casts memrefs to their descriptors, which the NVVM
  // lowering has converted since.
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format == BinaryFormat::ISA   ? "isa"
                             : options.format == BinaryFormat::Bin ? "bin"
                                                                   : "fatbin";
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::mxc::registerGPUPipelines() {
  PassPipelineRegistration<GPUToBinaryOptions>(
      "mxc-gpu-to-binary",
      "Lower every gpu.module to NVVM and serialize it (PTX, cubin or "
      "fatbin) with the CUDA toolkit",
      buildGPUToBinaryPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "mxc-linalg-to-gpu",
      "A model's GPU path from linalg on tensors: fuse element-wise ops, "
      "bufferize, map loops onto "
      "blocks and threads (mxc-gpu-map-loops), gpu.launch, and check that the "
      "host touches no buffer",
      buildLinalgToGPUPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "mxc-gpu-on-cpu",
      "Run the gpu.launch form of mxc-linalg-to-gpu on the CPU: each launch "
      "as loops (mxc-gpu-launch-to-loops), then the CPU lowering to LLVM",
      buildGPUOnCPUPipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "mxc-gpu-to-cuda",
      "Compile the gpu.launch form of mxc-linalg-to-gpu for CUDA: outline "
      "the kernels into one gpu.module, NVVM, a binary from the CUDA "
      "toolkit, and host code in the LLVM dialect that calls mxc's runtime "
      "(mgpu*, device memory for every buffer, the weights' device copies)",
      buildGPUToCUDAPipeline);
}
