//===- KernelBuilder.cpp - Shared helpers of the GPU kernel builders ------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace mlir::mxc;

MemRefType kernels::dynamic(Type element) {
  return MemRefType::get({ShapedType::kDynamic}, element);
}

::mlir::gpu::GPUFuncOp kernels::createKernel(ImplicitLocOpBuilder &b,
                                             ::mlir::gpu::GPUModuleOp module,
                                             StringRef name, TypeRange inputs,
                                             int64_t threads,
                                             TypeRange workgroup) {
  b.setInsertionPointToEnd(module.getBody());
  auto func = ::mlir::gpu::GPUFuncOp::create(
      b, name, b.getFunctionType(inputs, {}), workgroup);
  func->setAttr(::mlir::gpu::GPUDialect::getKernelFuncAttrName(),
                b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  alignWorkgroupBuffers(func);
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

std::optional<int> mlir::mxc::kernels::chipVersion(llvm::StringRef chip) {
  int version = 0;
  if (!chip.consume_front("sm_") ||
      chip.take_while(llvm::isDigit).getAsInteger(10, version))
    return std::nullopt;
  return version;
}

void mlir::mxc::kernels::alignWorkgroupBuffers(::mlir::gpu::GPUFuncOp func) {
  auto align = IntegerAttr::get(IntegerType::get(func.getContext(), 64),
                                kWorkgroupAlignment);
  for (unsigned i = 0; i < func.getNumWorkgroupAttributions(); ++i)
    if (!func.getWorkgroupAttributionAttr(
            i, LLVM::LLVMDialect::getAlignAttrName()))
      func.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                       align);
}
