//===- MXCMatmulToCPU.cpp - convert-mxc-matmul-to-cpu ---------------------===//
//
// On the CPU path the model's matmuls run mxc's CPU matmul kernel
// (mxc/Runtime/CPUKernels.h) instead of the generic loop nest: each becomes a
// call of @mxc_cpu_matmul_mx (@mxc_cpu_matmul_mx_activations for MX
// activations in blocks of 32, with their format) or @mxc_cpu_matmul_f32 on
// buffers.
//
//===----------------------------------------------------------------------===//

#include "../KernelCalls.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCMATMULTOCPUPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

constexpr StringLiteral kMXCallee = "mxc_cpu_matmul_mx",
                        kMXActivationsCallee = "mxc_cpu_matmul_mx_activations",
                        kF32Callee = "mxc_cpu_matmul_f32";

struct ConvertMXCMatmulToCPUPass
    : mlir::mxc::impl::ConvertMXCMatmulToCPUPassBase<
          ConvertMXCMatmulToCPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) {
      if (isSupported(op))
        matmuls.push_back(op);
    });
    for (MatmulOp op : matmuls)
      if (failed(rewrite(op, module)))
        return signalPassFailure();
  }

  /// What the kernel computes: a 2-D input (float, or MX) times an MX or f32
  /// weight, with an f32 result.
  static bool isSupported(MatmulOp op) {
    auto inputType = cast<ShapedType>(op.getInput().getType());
    auto weightType = cast<ShapedType>(op.getWeight().getType());
    RankedTensorType resultType = op.getResult().getType();
    if (inputType.getRank() != 2 || !resultType.getElementType().isF32())
      return false;
    if (!isa<MXTensorType>(inputType) &&
        !isa<Float32Type, Float16Type, BFloat16Type>(
            inputType.getElementType()))
      return false;
    return isa<MXTensorType>(weightType) || weightType.getElementType().isF32();
  }

  static func::FuncOp declare(ModuleOp module, StringRef name,
                              FunctionType type) {
    return declareCPUKernel(module, name, type, "convert-mxc-matmul-to-cpu");
  }

  LogicalResult rewrite(MatmulOp op, ModuleOp module) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();

    // x as f32, and what its values are: MX values of a format in blocks of
    // 32 along k (the kernel's xFormat), or any f32.
    Value x = op.getInput();
    int64_t xFormat = -1;
    if (auto mx = dyn_cast<MXTensorType>(x.getType())) {
      if (mx.getBlockSize() == 32)
        xFormat = static_cast<int64_t>(mx.getFormat());
      x = DequantizeOp::create(b, loc,
                               RankedTensorType::get(mx.getShape(), f32), x);
    } else {
      x = widenToF32(b, loc, x);
    }
    const int64_t mDim = cast<ShapedType>(x.getType()).getShape()[0];
    const int64_t n = cast<ShapedType>(op.getWeight().getType()).getShape()[0];
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(mDim))
      dynamicRows.push_back(tensor::DimOp::create(b, loc, x, 0));
    auto yType = MemRefType::get({mDim, n}, f32);
    Value y = memref::AllocOp::create(b, loc, yType, dynamicRows);
    Value yAny = memref::CastOp::create(b, loc, anyStrided(f32, 2), y);

    Type i8 = b.getI8Type();
    if (auto weightType = dyn_cast<MXTensorType>(op.getWeight().getType())) {
      // MX activations in blocks of 32 go to the kernel entry that takes
      // their format; others to the one for any f32.
      const bool mxActivations = xFormat >= 0;
      SmallVector<Type> argTypes = {anyStrided(f32, 2), anyStrided(i8, 2),
                                    anyStrided(i8, 2),  anyStrided(f32, 2),
                                    b.getI32Type(),     b.getI64Type()};
      if (mxActivations)
        argTypes.push_back(b.getI32Type());
      func::FuncOp callee =
          declare(module, mxActivations ? kMXActivationsCallee : kMXCallee,
                  b.getFunctionType(argTypes, {}));
      if (!callee)
        return failure();
      auto [data, scales] = buildWeightStorage(b, loc, op.getWeight());
      scales = buildScaleBytes(b, loc, scales);
      SmallVector<Value> args = {
          bufferOfTensor(b, loc, x),
          bufferOfTensor(b, loc, data),
          bufferOfTensor(b, loc, scales),
          yAny,
          arith::ConstantIntOp::create(
              b, loc, static_cast<int64_t>(weightType.getFormat()), 32),
          arith::ConstantIntOp::create(b, loc, weightType.getBlockSize(), 64)};
      if (mxActivations)
        args.push_back(arith::ConstantIntOp::create(b, loc, xFormat, 32));
      func::CallOp::create(b, loc, callee, args);
    } else {
      func::FuncOp callee =
          declare(module, kF32Callee,
                  b.getFunctionType({anyStrided(f32, 2), anyStrided(f32, 2),
                                     anyStrided(f32, 2)},
                                    {}));
      if (!callee)
        return failure();
      func::CallOp::create(b, loc, callee,
                           ValueRange{bufferOfTensor(b, loc, x),
                                      bufferOfTensor(b, loc, op.getWeight()),
                                      yAny});
    }
    replaceByKernelResult(b, op, y);
    return success();
  }
};

} // namespace
