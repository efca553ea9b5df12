//===- KernelCalls.cpp - Matmuls as calls of a kernel's function ----------===//

#include "KernelCalls.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::mxc;

func::FuncOp mlir::mxc::declareKernelFunction(ModuleOp module, StringRef name,
                                              FunctionType type, StringRef pass,
                                              StringRef what) {
  if (Operation *existing = module.lookupSymbol(name)) {
    auto func = dyn_cast<func::FuncOp>(existing);
    if (func && func.getFunctionType() == type)
      return func;
    existing->emitError() << pass << ": '" << name
                          << "' is taken by something other than " << what;
    return {};
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto callee = func::FuncOp::create(b, module.getLoc(), name, type);
  callee.setPrivate();
  return callee;
}

std::pair<Value, Value>
mlir::mxc::buildWeightStorage(OpBuilder &b, Location loc, Value weight) {
  if (auto assemble = weight.getDefiningOp<AssembleOp>())
    return {assemble.getData(), assemble.getScales()};
  auto type = cast<MXTensorType>(weight.getType());
  auto storage = DisassembleOp::create(b, loc, type.getDataType(),
                                       type.getScalesType(), weight);
  return {storage.getData(), storage.getScales()};
}

void mlir::mxc::replaceByKernelResult(OpBuilder &b, MatmulOp op, Value y) {
  auto type = cast<MemRefType>(y.getType());
  Value result = bufferization::ToTensorOp::create(
      b, op.getLoc(),
      RankedTensorType::get(type.getShape(), type.getElementType()), y,
      /*restrict=*/true, /*writable=*/true);
  if (result.getType() != op.getResult().getType())
    result = tensor::CastOp::create(b, op.getLoc(), op.getResult().getType(),
                                    result);
  op.replaceAllUsesWith(result);
  op.erase();
}
