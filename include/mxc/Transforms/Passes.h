//===- Passes.h - mxc transformation passes ---------------------*- C++ -*-===//

#ifndef MXC_TRANSFORMS_PASSES_H
#define MXC_TRANSFORMS_PASSES_H

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/IR/MXCAttrs.h"
#include "mxc/Numerics/MX.h"
#include "mxc/Transforms/FormatOption.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Action.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir::mxc {

/// mxc-gptq quantizing one matmul's weight, as an action (mlir::tracing): a
/// driver's action handler (MLIRContext::registerActionHandler) sees each
/// one, with the matmul's name and its place among those the pass quantizes,
/// and can show progress.
class GPTQMatmulAction : public tracing::ActionImpl<GPTQMatmulAction> {
public:
  GPTQMatmulAction(ArrayRef<IRUnit> units, StringRef name, int64_t index,
                   int64_t total)
      : ActionImpl(units), name(name.str()), index(index), total(total) {}
  static constexpr StringLiteral tag = "mxc-gptq-matmul";
  void print(raw_ostream &os) const override {
    os << tag << " " << name << " (" << index << "/" << total << ")";
  }
  /// The matmul's name ("layers.3.wq"), or "".
  std::string name;
  /// 1-based place among `total`.
  int64_t index, total;
};

#define GEN_PASS_DECL
#include "mxc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mxc/Transforms/Passes.h.inc"

} // namespace mlir::mxc

#endif // MXC_TRANSFORMS_PASSES_H
