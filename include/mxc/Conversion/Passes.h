//===- Passes.h - mxc lowering passes ---------------------------*- C++ -*-===//

#ifndef MXC_CONVERSION_PASSES_H
#define MXC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::mxc {

#define GEN_PASS_DECL
#include "mxc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mxc/Conversion/Passes.h.inc"

} // namespace mlir::mxc

#endif // MXC_CONVERSION_PASSES_H
