//===- Passes.h - mxc GPU kernel generation ---------------------*- C++ -*-===//

#ifndef MXC_GPU_PASSES_H
#define MXC_GPU_PASSES_H

#include "mxc/Transforms/FormatOption.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::mxc {

/// Where mxc-gpu-mx-kernels puts a GEMV: a kernel launch, or CPU loops.
enum class GemvTarget { CUDA, CPU };

/// What gpu-module-to-binary writes: PTX text, a cubin (ptxas) or a fatbin.
enum class BinaryFormat { ISA, Bin, Fatbin };

#define GEN_PASS_DECL
#include "mxc/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mxc/GPU/Passes.h.inc"

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

/// gpu.module(scf -> cf, convert-gpu-to-nvvm), then gpu-module-to-binary.
void buildGPUToBinaryPipeline(OpPassManager &pm,
                              const GPUToBinaryOptions &options);

/// Registers the GPU passes and `mxc-gpu-to-binary`.
void registerGPUPasses();

} // namespace mlir::mxc

#endif // MXC_GPU_PASSES_H
