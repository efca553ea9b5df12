//===- Reference.h - A plain C++ Llama forward pass -------------*- C++ -*-===//
//
// The float model computed directly (llama2.c's forward, for a whole token
// window at once): the independent reference that the compiled model's
// logits are checked against.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_FRONTEND_REFERENCE_H
#define MXC_FRONTEND_REFERENCE_H

#include "mxc/Frontend/Checkpoint.h"

#include <vector>

namespace mxc::frontend {

/// Logits [tokens.size(), vocab] (row-major) of `model` on `tokens`, token i
/// at position i, causal.
std::vector<float> referenceLogits(const LlamaModel &model,
                                   llvm::ArrayRef<int32_t> tokens);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_REFERENCE_H
