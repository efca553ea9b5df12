//===- MXCQuantizeToCPU.cpp - convert-mxc-quantize-to-cpu -----------------===//
//
// On the CPU path a quantize-dequantize round trip (what the MX activations
// of a matmul become once convert-mxc-matmul-to-cpu hands the kernel f32
// activations) runs mxc's CPU kernel (mxc/Runtime/CPUKernels.h) instead of
// the generated per-element conversion: a call of
// @mxc_cpu_quantize_dequantize on buffers.
//
//===----------------------------------------------------------------------===//

#include "../KernelCalls.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/MX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCQUANTIZETOCPUPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

// The kernel takes the op's scale choice as numerics::ScaleChoice.
static_assert(static_cast<int>(ScaleChoice::Spec) ==
                  static_cast<int>(num::ScaleChoice::Spec) &&
              static_cast<int>(ScaleChoice::Ceil) ==
                  static_cast<int>(num::ScaleChoice::Ceil));

namespace {

constexpr StringLiteral kCallee = "mxc_cpu_quantize_dequantize";

struct ConvertMXCQuantizeToCPUPass
    : mlir::mxc::impl::ConvertMXCQuantizeToCPUPassBase<
          ConvertMXCQuantizeToCPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<DequantizeOp> roundTrips;
    module.walk([&](DequantizeOp op) {
      if (isSupported(op))
        roundTrips.push_back(op);
    });
    // One call per mxc.quantize, however many dequantizes read it.
    llvm::DenseMap<Operation *, Value> roundTripOf;
    for (DequantizeOp op : roundTrips) {
      auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
      Value &result = roundTripOf[quantize];
      if (!result && failed(build(quantize, module, result)))
        return signalPassFailure();
      Value replacement = result;
      if (replacement.getType() != op.getResult().getType()) {
        OpBuilder b(op);
        replacement = tensor::CastOp::create(b, op.getLoc(),
                                             op.getResult().getType(), result);
      }
      op.getResult().replaceAllUsesWith(replacement);
      op.erase();
    }
    for (auto &entry : roundTripOf)
      if (entry.first->use_empty())
        entry.first->erase();
  }

  /// What the kernel computes: the f32 dequantize of a 2-D mxc.quantize.
  static bool isSupported(DequantizeOp op) {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    return quantize && op.getResult().getType().getRank() == 2 &&
           op.getResult().getType().getElementType().isF32();
  }

  /// The kernel's call on the input of `quantize` (widened to f32), right
  /// after it; `result` its f32 tensor.
  LogicalResult build(QuantizeOp quantize, ModuleOp module, Value &result) {
    OpBuilder b(quantize);
    b.setInsertionPointAfter(quantize);
    Location loc = quantize.getLoc();
    Type f32 = b.getF32Type();
    func::FuncOp callee = declareCPUKernel(
        module, kCallee,
        b.getFunctionType({anyStrided(f32, 2), anyStrided(f32, 2),
                           b.getI32Type(), b.getI64Type(), b.getI32Type(),
                           b.getI32Type()},
                          {}),
        "convert-mxc-quantize-to-cpu");
    if (!callee)
      return failure();

    Value x = widenToF32(b, loc, quantize.getInput());
    auto f32Type = cast<RankedTensorType>(x.getType());
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < 2; ++d)
      if (f32Type.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(b, loc, x, d));
    auto yType = MemRefType::get(f32Type.getShape(), f32);
    Value y = memref::AllocOp::create(b, loc, yType, dynamicSizes);

    auto mx = cast<MXTensorType>(quantize.getResult().getType());
    const num::RoundingMode rounding =
        quantize.getRounding() == RoundingMode::NearestAway
            ? num::RoundingMode::NearestAway
            : num::RoundingMode::NearestEven;
    func::CallOp::create(
        b, loc, callee,
        ValueRange{bufferOfTensor(b, loc, x),
                   memref::CastOp::create(b, loc, anyStrided(f32, 2), y),
                   arith::ConstantIntOp::create(
                       b, loc, static_cast<int64_t>(mx.getFormat()), 32),
                   arith::ConstantIntOp::create(b, loc, mx.getBlockSize(), 64),
                   arith::ConstantIntOp::create(
                       b, loc, static_cast<int64_t>(rounding), 32),
                   arith::ConstantIntOp::create(
                       b, loc, static_cast<int64_t>(quantize.getScale()), 32)});
    result = bufferization::ToTensorOp::create(b, loc, f32Type, y,
                                               /*restrict=*/true,
                                               /*writable=*/true);
    return success();
  }
};

} // namespace
