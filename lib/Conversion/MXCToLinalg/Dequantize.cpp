//===- Dequantize.cpp - mxc.dequantize to linalg on tensors ---------------===//

#include "Patterns.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// mxc.dequantize of the (data, scales) storage -> one decoding
/// linalg.generic.
struct LowerDequantize : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MXTensorType type = op.getInput().getType();
    RankedTensorType resultType = op.getResult().getType();
    const int64_t block = type.getBlockSize();

    ValueRange storage = adaptor.getInput();
    Value data = buildCollapseTo2D(rewriter, loc, storage[0]);
    Value scales = buildCollapseTo2D(rewriter, loc, storage[1]);
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
    rewriter.replaceOp(
        op, buildExpandFrom2D(rewriter, loc, result2d, resultType, storage[0]));
    return success();
  }
};

} // namespace

void mlir::mxc::populateDequantizeLowering(const TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<LowerDequantize>(converter, patterns.getContext());
}
