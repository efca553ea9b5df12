//===- LowerDequantize.cpp - mxc.dequantize to linalg on tensors ----------===//

#include "mxc/Conversion/MXCodegen.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCLOWERDEQUANTIZEPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

struct LowerDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Every mxc.dequantize lowers.
  static LogicalResult checkLowerable(DequantizeOp) { return success(); }

  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MXTensorType type = op.getInput().getType();
    RankedTensorType resultType = op.getResult().getType();
    const int64_t block = type.getBlockSize();

    auto storage = DisassembleOp::create(rewriter, loc, type.getDataType(),
                                         type.getScalesType(), op.getInput());
    Value data = buildCollapseTo2D(rewriter, loc, storage.getData());
    Value scales = buildCollapseTo2D(rewriter, loc, storage.getScales());
    Value table = buildDecodeTable(rewriter, loc, type.getFormat());

    // [R, K] output; R is dynamic when any leading dimension is.
    int64_t rows = cast<RankedTensorType>(data.getType()).getDimSize(0);
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(rows))
      dynamicRows.push_back(tensor::DimOp::create(rewriter, loc, data, 0));
    Value init = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{rows, type.getBlockAxisSize()},
        resultType.getElementType(), dynamicRows);

    Value result2d =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(), ValueRange{}, init,
            ArrayRef<AffineMap>{
                AffineMap::getMultiDimIdentityMap(2, rewriter.getContext())},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange) {
              Value r = linalg::IndexOp::create(b, l, 0);
              Value k = linalg::IndexOp::create(b, l, 1);
              Value blockSize = arith::ConstantIndexOp::create(b, l, block);
              Value n = arith::DivUIOp::create(b, l, k, blockSize);
              Value i = arith::RemUIOp::create(b, l, k, blockSize);
              Value value =
                  buildDecodeElement(b, l, type, table, data, scales, r, n, i);
              linalg::YieldOp::create(
                  b, l,
                  buildFloatCast(b, l, value, resultType.getElementType()));
            })
            .getResult(0);
    rewriter.replaceOp(op, buildExpandFrom2D(rewriter, loc, result2d,
                                             resultType, storage.getData()));
    return success();
  }
};

struct MXCLowerDequantizePass
    : mlir::mxc::impl::MXCLowerDequantizePassBase<MXCLowerDequantizePass> {
  void runOnOperation() override {
    FailureOr<int64_t> lowered =
        lowerAll<DequantizeOp, LowerDequantize>(getOperation());
    if (failed(lowered))
      return signalPassFailure();
    numLowered += *lowered;
  }
};

} // namespace
