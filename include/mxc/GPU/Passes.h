//===- Passes.h - mxc GPU kernel generation ---------------------*- C++ -*-===//

#ifndef MXC_GPU_PASSES_H
#define MXC_GPU_PASSES_H

#include "mxc/GPU/LaunchGeometry.h"
#include "mxc/Transforms/FormatOption.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::mxc {

/// The names of the kernels' CPU forms for the emulator (mxc-gpu-emulate)
/// start with this: code that is not the host's.
constexpr llvm::StringLiteral kEmulatedPrefix = "mxc_emu_";

/// Where mxc-gpu-mx-kernels puts a GEMV: a kernel launch, or CPU loops.
enum class GemvTarget { CUDA, CPU };

#define GEN_PASS_DECL
#include "mxc/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mxc/GPU/Passes.h.inc"

} // namespace mlir::mxc

#endif // MXC_GPU_PASSES_H
