//===- Passes.h - mxc transformation passes ---------------------*- C++ -*-===//

#ifndef MXC_TRANSFORMS_PASSES_H
#define MXC_TRANSFORMS_PASSES_H

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/Transforms/FormatOption.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::mxc {

#define GEN_PASS_DECL
#include "mxc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mxc/Transforms/Passes.h.inc"

} // namespace mlir::mxc

#endif // MXC_TRANSFORMS_PASSES_H
