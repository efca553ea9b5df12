//===- MXCAttentionToCPU.cpp - convert-mxc-attention-to-cpu ---------------===//
//
// On the CPU path an f32 mxc.attention without span table or tile mask
// (causal grouped-query attention: every layer of a model compiled without
// span-sparse attention) runs mxc's CPU attention kernel
// (mxc/Runtime/CPUKernels.h) instead of the generated scalar loop nest: a
// call of @mxc_cpu_attention on buffers, or with an EXAQ softmax of
// @mxc_cpu_attention_exaq, which also takes the quantizer's table, clip and
// inverse step.
//
//===----------------------------------------------------------------------===//

#include "../KernelCalls.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/Exaq.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCATTENTIONTOCPUPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

constexpr StringLiteral kCallee = "mxc_cpu_attention";
constexpr StringLiteral kExaqCallee = "mxc_cpu_attention_exaq";

struct ConvertMXCAttentionToCPUPass
    : mlir::mxc::impl::ConvertMXCAttentionToCPUPassBase<
          ConvertMXCAttentionToCPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<AttentionOp> attentions;
    module.walk([&](AttentionOp op) {
      if (isCausalF32Attention(op))
        attentions.push_back(op);
    });
    for (AttentionOp op : attentions)
      if (failed(rewrite(op, module)))
        return signalPassFailure();
  }

  LogicalResult rewrite(AttentionOp op, ModuleOp module) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    ExaqAttr exaq = op.getQuantAttr();
    SmallVector<Type> argTypes = {anyStrided(f32, 3), anyStrided(f32, 3),
                                  anyStrided(f32, 3), anyStrided(f32, 3), f32};
    if (exaq)
      argTypes.append({anyStrided(f32, 1), f32, f32});
    func::FuncOp callee = declareCPUKernel(module, exaq ? kExaqCallee : kCallee,
                                           b.getFunctionType(argTypes, {}),
                                           "convert-mxc-attention-to-cpu");
    if (!callee)
      return failure();
    RankedTensorType resultType = op.getResult().getType();
    SmallVector<Value> dynamicSizes;
    for (auto [d, size] : llvm::enumerate(resultType.getShape()))
      if (ShapedType::isDynamic(size))
        dynamicSizes.push_back(tensor::DimOp::create(
            b, loc, d == 2 ? op.getValue() : op.getQuery(), d));
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get(resultType.getShape(), f32), dynamicSizes);
    SmallVector<Value> args = {
        bufferOfTensor(b, loc, op.getQuery()),
        bufferOfTensor(b, loc, op.getKey()),
        bufferOfTensor(b, loc, op.getValue()),
        memref::CastOp::create(b, loc, anyStrided(f32, 3), out),
        arith::ConstantOp::create(b, loc,
                                  b.getF32FloatAttr(op.getScaleValue()))};
    if (exaq) {
      // The table the generated lowering would use, and the quantizer's f32
      // constants of its codes.
      ::mxc::numerics::ExaqQuantizer quantizer = exaq.getQuantizer();
      std::vector<float> table = quantizer.exponentTable();
      Value lut = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({static_cast<int64_t>(table.size())}, f32),
              ArrayRef<float>(table)));
      args.push_back(bufferOfTensor(b, loc, lut));
      args.push_back(arith::ConstantOp::create(
          b, loc, b.getF32FloatAttr(quantizer.clipF32())));
      args.push_back(arith::ConstantOp::create(
          b, loc, b.getF32FloatAttr(quantizer.inverseStepF32())));
    }
    func::CallOp::create(b, loc, callee, args);
    replaceByKernelResult(b, op, out);
    return success();
  }
};

} // namespace
