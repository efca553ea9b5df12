//===- LlamaBuilder.h - A Llama model as mxc IR -----------------*- C++ -*-===//

#ifndef MXC_FRONTEND_LLAMABUILDER_H
#define MXC_FRONTEND_LLAMABUILDER_H

#include "mxc/Frontend/Checkpoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace mxc::frontend {

/// Builds the prefill of a token window as
///   func.func @forward(%tokens: tensor<?xi32>) -> tensor<?x{vocab}xf32>
/// (token i at position i, causal; logits of every position) from linalg,
/// tensor, arith and math ops and the mxc ops matmul (float weights, ready
/// for the PTQ passes) and attention. RMSNorm gains are per-channel
/// multiplies that SmoothQuant can fold into. Weights are dense resources
/// that point into the model's memory, without a copy: `model` must outlive
/// the module.
mlir::OwningOpRef<mlir::ModuleOp> buildLlamaForward(mlir::MLIRContext &context,
                                                    const LlamaModel &model);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_LLAMABUILDER_H
