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
  PassOptions::Option<bool> matmulRowsInnermost{
      *this, "matmul-rows-innermost",
      llvm::cl::desc("convert-mxc-to-linalg's matmul-rows-innermost: for "
                     "code that runs many rows at a time (calibration)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> matmulKernels{
      *this, "matmul-kernels",
      llvm::cl::desc("Run MX and f32 matmuls in mxc's CPU kernel "
                     "(convert-mxc-matmul-to-cpu): SIMD decode, threads; "
                     "sums equal the generic lowering's within f32 rounding. "
                     "Their MX activations' quantize-dequantize too "
                     "(convert-mxc-quantize-to-cpu, bit-exact). "
                     "Under mlir-runner, load libmxc_cpu_kernels.so"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> attentionKernels{
      *this, "attention-kernels",
      llvm::cl::desc("Run causal attentions without span table (the exact "
                     "or the EXAQ softmax) in mxc's CPU kernel "
                     "(convert-mxc-attention-to-cpu): SIMD, threads; equal "
                     "to the generated loops within f32 rounding (EXAQ: the "
                     "same codes). Not with count-attention-tiles. Under "
                     "mlir-runner, load libmxc_cpu_kernels.so"),
      llvm::cl::init(false)};
};

/// mxc + upstream IR on tensors -> LLVM dialect, for mlir-runner or the
/// ExecutionEngine: convert-mxc-to-linalg, one-shot bufferization, loops,
/// and the LLVM conversions.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Its first half (`mxc-lower-to-linalg`): the attention tile masks and
/// convert-mxc-to-linalg, to upstream ops on tensors.
void buildMXCToLinalgPipeline(OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// Its second half: bufferization, loops and the LLVM conversions.
void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options);

/// One-shot bufferization of tensors and functions (identity layouts at
/// function boundaries), then, with `deallocate`, ownership-based
/// deallocation.
/// `earlyDealloc` (with `deallocate`): each buffer freed right after the
/// last use of it or its views in its block (mxc-early-dealloc), not at the
/// block's end; for code whose ops finish before the next starts (the CPU),
/// not for asynchronous GPU launches.
void buildBufferizePipeline(OpPassManager &pm, bool deallocate,
                            bool earlyDealloc = false);

/// Buffers and loops (linalg, scf, affine, vector) -> LLVM dialect.
void buildLoopsToLLVMPipeline(OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// Registers `mxc-lower-to-llvm` and `mxc-lower-to-linalg`.
void registerCPUPipeline();

/// Options of the GPU pipelines.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads per block of the generic kernels"),
      llvm::cl::init(256)};
};

/// What gpu-module-to-binary writes: PTX text, a cubin (ptxas) or a fatbin.
enum class BinaryFormat { ISA, Bin, Fatbin };

/// The values of a BinaryFormat option.
inline llvm::cl::ValuesClass binaryFormatValues() {
  return llvm::cl::values(
      clEnumValN(BinaryFormat::ISA, "isa", "PTX text"),
      clEnumValN(BinaryFormat::Bin, "bin", "a cubin (runs ptxas)"),
      clEnumValN(BinaryFormat::Fatbin, "fatbin", "a fatbin (runs fatbinary)"));
}

/// Options of the `mxc-gpu-to-binary` pipeline.
struct GPUToBinaryOptions : public PassPipelineOptions<GPUToBinaryOptions> {
  PassOptions::Option<BinaryFormat> format{
      *this, "format", llvm::cl::desc("What to write"),
      llvm::cl::init(BinaryFormat::ISA), binaryFormatValues()};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit", llvm::cl::desc("CUDA toolkit root (ptxas, libdevice)"),
      llvm::cl::init("/usr/local/cuda")};
};

/// `mxc-gpu-to-binary`: in every gpu.module, scf -> cf and
/// convert-gpu-to-nvvm; then gpu-module-to-binary.
void buildGPUToBinaryPipeline(OpPassManager &pm,
                              const GPUToBinaryOptions &options);

/// Options of `mxc-gpu-to-cuda`.
struct CUDAPipelineOptions : public PassPipelineOptions<CUDAPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target chip: sm_80, sm_90, ..."),
      llvm::cl::init("sm_90")};
  PassOptions::Option<BinaryFormat> format{
      *this, "format", llvm::cl::desc("What the kernels become"),
      llvm::cl::init(BinaryFormat::Bin), binaryFormatValues()};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit", llvm::cl::desc("CUDA toolkit root (ptxas, libdevice)"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<bool> emulation{
      *this, "emulation",
      llvm::cl::desc("Also compile the kernels for this CPU, as functions "
                     "that the CPU stand-in for libcuda's emulator runs "
                     "(mxc-gpu-emulate{keep}; tests without a GPU)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("sm_80 and newer: prefill matmuls of at least "
                     "kGemmMinRows rows with the tensor-core GEMM (x rounded "
                     "to bf16) instead of the f32 GEMV"),
      llvm::cl::init(true)};
};

/// `mxc-gpu-to-cuda`: the gpu.launch form -> one gpu.module with every
/// kernel and the small tables they read (mxc-gpu-sink-globals, outlining,
/// mxc-gpu-merge-modules) -> NVVM -> a binary, and the host code in the LLVM
/// dialect calling mxc's runtime: mgpu*, _mlir_memref_to_llvm_alloc / _free
/// (device memory) and mxc_cuda_device_constant (the weights, which stay in
/// the host object, uploaded once: mxc-gpu-device-constants).
void buildGPUToCUDAPipeline(OpPassManager &pm,
                            const CUDAPipelineOptions &options);

/// `mxc-linalg-to-gpu`: linalg on tensors -> element-wise fusion (upstream's
/// linalg-fuse-elementwise-ops) -> buffers -> scf.parallel mapped
/// onto blocks and threads -> gpu.launch; the host keeps allocation,
/// launches and deallocation only (checked).
void buildLinalgToGPUPipeline(OpPassManager &pm,
                              const GPUPipelineOptions &options);

/// `mxc-gpu-on-cpu`: the gpu.launch form as CPU loops, down to LLVM (tests
/// the GPU path's mapping without a GPU).
void buildGPUOnCPUPipeline(OpPassManager &pm,
                           const CPUPipelineOptions &options);

/// Registers `mxc-linalg-to-gpu`, `mxc-gpu-on-cpu`, `mxc-gpu-to-cuda` and
/// `mxc-gpu-to-binary`.
void registerGPUPipelines();

} // namespace mlir::mxc

#endif // MXC_PIPELINES_PIPELINES_H
