//===- CheckLowered.cpp - Report mxc ops that no lowering removed ---------===//

#include "mxc/Conversion/Passes.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCCHECKLOWEREDPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

bool mentionsMX(TypeRange types) {
  return llvm::any_of(types, [](Type t) { return isa<MXTensorType>(t); });
}

struct MXCCheckLoweredPass
    : mlir::mxc::impl::MXCCheckLoweredPassBase<MXCCheckLoweredPass> {
  void runOnOperation() override {
    bool clean = true;
    getOperation()->walk([&](Operation *op) {
      if (auto func = dyn_cast<FunctionOpInterface>(op)) {
        if (mentionsMX(func.getArgumentTypes()) ||
            mentionsMX(func.getResultTypes())) {
          func.emitError()
              << "function @" << func.getName()
              << " takes or returns MX values; the CPU path passes MX tensors "
                 "as their storage: take or return the data and scales "
                 "tensors and use mxc.assemble / mxc.disassemble inside";
          clean = false;
        }
        return;
      }
      if (!isa<MXCDialect>(op->getDialect()))
        return;
      clean = false;
      if (isa<AssembleOp, DisassembleOp>(op)) {
        // What keeps it alive is a non-mxc user or producer of an MX value.
        Operation *other = nullptr;
        for (Value result : op->getResults())
          for (Operation *user : result.getUsers())
            if (isa<MXTensorType>(result.getType()))
              other = user;
        for (Value operand : op->getOperands())
          if (isa<MXTensorType>(operand.getType()) && operand.getDefiningOp())
            other = operand.getDefiningOp();
        InFlightDiagnostic diag = op->emitOpError()
                                  << "was not folded away: MX values can only "
                                     "flow between mxc ops on the CPU path";
        if (other)
          diag << ", but one reaches '" << other->getName() << "'";
        return;
      }
      op->emitOpError() << "was not lowered by the mxc CPU lowerings";
    });
    if (!clean)
      signalPassFailure();
  }
};

} // namespace
