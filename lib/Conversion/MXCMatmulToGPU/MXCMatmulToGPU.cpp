//===- MXCMatmulToGPU.cpp - convert-mxc-matmul-to-gpu ---------------------===//
//
// On the GPU path the model's MX matmuls run mxc's GEMV kernel instead of a
// generic loop nest: each becomes a call of @mxc_gemv_<format>_b<batch> on
// buffers in the kernel's ABI (mxc/GPU/KernelABI.h), which mxc-gpu-mx-kernels
// later gives a body.
//
//===----------------------------------------------------------------------===//

#include "../KernelCalls.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/GPU/KernelABI.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCMATMULTOGPUPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

/// Activation rows of the kernel variants: one for decode, a tile of 8 for
/// prefill.
constexpr int64_t kDecodeBatch = 1, kPrefillBatch = 8;

/// The tensor `result` is added to, if its only use is an element-wise add
/// of two [M, N] tensors (a transformer's residual connection) whose other
/// operand is available where `result` is computed.
Value residualOf(Value result, Operation *at, DominanceInfo &dominance) {
  if (!result.hasOneUse())
    return {};
  // Upstream's matcher: all loops parallel, two inputs and one init, identity
  // maps, a body of one operation on the two inputs; here an addf.
  auto add = dyn_cast<linalg::GenericOp>(*result.user_begin());
  if (!add || !linalg::isaElemwiseSingleBinaryOpInterface(add) ||
      add->getResult(0).getType() != result.getType())
    return {};
  Block *body = add.getBlock();
  auto sum =
      body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!sum || !llvm::is_contained(sum->getOperands(), body->getArgument(0)) ||
      !llvm::is_contained(sum->getOperands(), body->getArgument(1)))
    return {};
  Value other = add.getDpsInputs()[0] == result ? add.getDpsInputs()[1]
                                                : add.getDpsInputs()[0];
  if (other == result || other.getType() != result.getType() ||
      !dominance.properlyDominates(other, at))
    return {};
  return other;
}

struct ConvertMXCMatmulToGPUPass
    : mlir::mxc::impl::ConvertMXCMatmulToGPUPassBase<
          ConvertMXCMatmulToGPUPass> {
  // A module pass: it declares the callees in the module.
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    DominanceInfo dominance(module);
    for (MatmulOp op : matmuls)
      if (failed(rewrite(op, module, dominance)))
        return signalPassFailure();
  }

  /// The callee for `format` and `batch`, declared once per module.
  func::FuncOp declare(ModuleOp module, num::ElemFormat format, int64_t batch) {
    return declareKernelFunction(module, gemvCalleeName(format, batch),
                                 gemvCalleeType(module.getContext()),
                                 "convert-mxc-matmul-to-gpu",
                                 "the GEMV kernel's function");
  }

  LogicalResult rewrite(MatmulOp op, ModuleOp module,
                        DominanceInfo &dominance) {
    auto weightType = dyn_cast<MXTensorType>(op.getWeight().getType());
    auto inputType = cast<ShapedType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    // What the kernel computes: [M, K] x [N, K]^T in f32, blocks of 32.
    if (!weightType || weightType.getBlockSize() != 32 ||
        inputType.getRank() != 2 || resultType.getRank() != 2 ||
        !resultType.getElementType().isF32() ||
        (!isa<MXTensorType>(inputType) && !inputType.getElementType().isF32()))
      return success();
    func::FuncOp decodeCallee =
                     declare(module, weightType.getFormat(), kDecodeBatch),
                 prefillCallee =
                     declare(module, weightType.getFormat(), kPrefillBatch);
    if (!decodeCallee || !prefillCallee)
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    const int64_t n = weightType.getShape()[0], k = weightType.getShape()[1];
    const int64_t paddedK = weightType.getNumBlocksPerRow() * 32;
    Type f32 = b.getF32Type();

    // x as f32 [M, K'] (K' = K rounded up to blocks), zero padded into a
    // buffer of its own where K' > K, contiguous (identity layout): the
    // kernel reads it with 16-byte vector loads.
    Value x = op.getInput();
    if (auto mx = dyn_cast<MXTensorType>(x.getType()))
      x = DequantizeOp::create(b, loc,
                               RankedTensorType::get(mx.getShape(), f32), x);
    Value rows = tensor::DimOp::create(b, loc, x, 0);
    const int64_t mDim = inputType.getShape()[0];
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(mDim))
      dynamicRows.push_back(rows);
    auto xType = RankedTensorType::get({mDim, paddedK}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    // Without padding, x is read where it is, unless its buffer is not
    // contiguous (bufferization copies it then, for the identity layout
    // below): a copy kernel fewer per matmul.
    if (paddedK != k)
      x = tensor::createPadHighOp(xType, x, zero, /*nofold=*/false, loc, b);
    Value xBuffer = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(xType.getShape(), f32), x, /*readOnly=*/true);

    // The weight's storage (the constants of an mxc.assemble, or the
    // storage of any other MX value) as 32-bit words and scale bytes.
    auto [dataTensor, scalesTensor] =
        buildWeightStorage(b, loc, op.getWeight());
    RankedTensorType dataType = weightType.getDataType();
    Value data = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(dataType.getShape(), b.getI8Type()), dataTensor,
        /*readOnly=*/true);
    Value bytes = memref::CollapseShapeOp::create(
        b, loc, data, SmallVector<ReassociationIndices>{{0, 1}});
    int64_t byteCount = dataType.getNumElements();
    Value words = memref::ViewOp::create(
        b, loc, MemRefType::get({byteCount / 4}, b.getI32Type()), bytes,
        arith::ConstantIndexOp::create(b, loc, 0), ValueRange{});
    words = memref::CastOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()), words);
    RankedTensorType scalesType = weightType.getScalesType();
    Value scaleBytes = buildScaleBytes(b, loc, scalesTensor);
    Value scales = flattenToDynamic(
        b, loc,
        bufferization::ToBufferOp::create(
            b, loc, MemRefType::get(scalesType.getShape(), b.getI8Type()),
            scaleBytes, /*readOnly=*/true));

    // y [M, N], written by the call; the residual added after the matmul
    // is added by the kernel (one kernel fewer).
    auto yType = MemRefType::get({mDim, n}, f32);
    Value y = memref::AllocOp::create(b, loc, yType, dynamicRows);
    Value residual = residualOf(op.getResult(), op, dominance);
    Value yFlat = flattenToDynamic(b, loc, y);
    SmallVector<Value> operands = {
        words,
        scales,
        flattenToDynamic(b, loc, xBuffer),
        yFlat,
        rows,
        arith::ConstantIndexOp::create(b, loc, n),
        arith::ConstantIndexOp::create(b, loc, paddedK),
        residual
            ? flattenToDynamic(b, loc,
                               bufferization::ToBufferOp::create(
                                   b, loc, yType, residual, /*readOnly=*/true))
            : yFlat,
        arith::ConstantIndexOp::create(b, loc, residual ? 1 : 0)};
    Value decode =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rows,
                              arith::ConstantIndexOp::create(b, loc, 1));
    auto dispatch = scf::IfOp::create(b, loc, decode, /*withElse=*/true);
    for (auto [block, callee] :
         {std::pair{dispatch.thenBlock(), decodeCallee},
          std::pair{dispatch.elseBlock(), prefillCallee}}) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(block);
      func::CallOp::create(b, loc, callee, operands);
    }
    if (residual) {
      replaceByKernelResult(b, *op->user_begin(), y);
      op.erase();
    } else {
      replaceByKernelResult(b, op, y);
    }
    return success();
  }
};

} // namespace
