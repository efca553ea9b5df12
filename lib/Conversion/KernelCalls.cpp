//===- KernelCalls.cpp - Ops as calls of a kernel's function --------------===//

#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/Sequence.h"

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

Value mlir::mxc::buildScaleBytes(OpBuilder &b, Location loc, Value scales) {
  auto type = cast<RankedTensorType>(scales.getType());
  auto bytesType = RankedTensorType::get(type.getShape(), b.getI8Type());
  if (auto constant = scales.getDefiningOp<arith::ConstantOp>()) {
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return arith::ConstantOp::create(b, loc, bytesType,
                                       dense.bitcast(b.getI8Type()));
    // A resource holds raw bytes: the same blob, seen as i8.
    if (auto resource =
            dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      return arith::ConstantOp::create(
          b, loc, bytesType,
          DenseResourceElementsAttr::get(bytesType, resource.getRawHandle()));
  }
  return arith::BitcastOp::create(b, loc, bytesType, scales);
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

void mlir::mxc::replaceByKernelResult(OpBuilder &b, Operation *op, Value y) {
  auto type = cast<MemRefType>(y.getType());
  Value result = bufferization::ToTensorOp::create(
      b, op->getLoc(),
      RankedTensorType::get(type.getShape(), type.getElementType()), y,
      /*restrict=*/true, /*writable=*/true);
  Type wanted = op->getResult(0).getType();
  if (result.getType() != wanted)
    result = tensor::CastOp::create(b, op->getLoc(), wanted, result);
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
}

MemRefType mlir::mxc::anyStrided(Type element, int64_t rank) {
  const int64_t d = ShapedType::kDynamic;
  SmallVector<int64_t> dynamic(rank, d);
  return MemRefType::get(
      dynamic, element,
      StridedLayoutAttr::get(element.getContext(), d, dynamic));
}

Value mlir::mxc::widenToF32(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType().isF32())
    return tensor;
  return arith::ExtFOp::create(b, loc, type.clone(b.getF32Type()), tensor);
}

bool mlir::mxc::isPlainF32Attention(AttentionOp op) {
  return !op.getQuantAttr() && isCausalF32Attention(op);
}

bool mlir::mxc::isCausalF32Attention(AttentionOp op) {
  if (op.getSpans() || op.getTileMask())
    return false;
  return llvm::all_of(op->getOperandTypes(),
                      [](Type t) {
                        return cast<ShapedType>(t).getElementType().isF32();
                      }) &&
         op.getResult().getType().getElementType().isF32();
}

Value mlir::mxc::flattenToDynamic(OpBuilder &b, Location loc, Value buffer) {
  ReassociationIndices all = llvm::to_vector<2>(
      llvm::seq<int64_t>(0, cast<MemRefType>(buffer.getType()).getRank()));
  Value flat = memref::CollapseShapeOp::create(
      b, loc, buffer, SmallVector<ReassociationIndices>{all});
  auto type = cast<MemRefType>(flat.getType());
  if (!type.hasStaticShape())
    return flat;
  return memref::CastOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, type.getElementType()),
      flat);
}

Value mlir::mxc::bufferOfTensor(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  const int64_t d = ShapedType::kDynamic;
  auto exact = MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), d,
                             SmallVector<int64_t>(type.getRank(), d)));
  Value buffer = bufferization::ToBufferOp::create(b, loc, exact, tensor,
                                                   /*readOnly=*/true);
  return memref::CastOp::create(
      b, loc, anyStrided(type.getElementType(), type.getRank()), buffer);
}

func::FuncOp mlir::mxc::declareCPUKernel(ModuleOp module, StringRef name,
                                         FunctionType type, StringRef pass) {
  func::FuncOp callee = declareKernelFunction(module, name, type, pass,
                                              "the CPU kernel's function");
  if (callee)
    callee->setAttr("llvm.emit_c_interface",
                    UnitAttr::get(module.getContext()));
  return callee;
}
