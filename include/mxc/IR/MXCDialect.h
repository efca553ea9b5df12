//===- MXCDialect.h - The mxc dialect ---------------------------*- C++ -*-===//

#ifndef MXC_IR_MXCDIALECT_H
#define MXC_IR_MXCDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "mxc/IR/MXCOpsDialect.h.inc"

namespace mlir::mxc {

/// A unit attribute on a model function's argument: the position (in the
/// sequence) of its first token, an index. On the CUDA path the argument
/// becomes a buffer in device memory (mxc-gpu-device-position).
constexpr llvm::StringLiteral kPositionArgAttr = "mxc.position";

} // namespace mlir::mxc

#endif // MXC_IR_MXCDIALECT_H
