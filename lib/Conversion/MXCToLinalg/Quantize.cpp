//===- Quantize.cpp - mxc.quantize to linalg on tensors -------------------===//

#include "Patterns.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

/// An empty tensor of `shape` (dimension 0 may be dynamic, sized like
/// dimension 0 of the 2-D `like`).
Value emptyLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                Type elementType, Value like) {
  SmallVector<Value> dynamic;
  if (ShapedType::isDynamic(shape[0]))
    dynamic.push_back(tensor::DimOp::create(b, loc, like, 0));
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamic);
}

SmallVector<utils::IteratorType> parallel(unsigned n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// mxc.quantize -> the (data, scales) storage of its result.
struct LowerQuantize : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getInput().getType().getElementType().getIntOrFloatBitWidth() > 32)
      return rewriter.notifyMatchFailure(op, "input wider than f32");
    Location loc = op.getLoc();
    MXTensorType type = op.getResult().getType();
    Type inputElement = op.getInput().getType().getElementType();

    const num::ElemFormat format = type.getFormat();
    const num::RoundingMode mode = op.getRounding() == RoundingMode::NearestAway
                                       ? num::RoundingMode::NearestAway
                                       : num::RoundingMode::NearestEven;
    const bool ceil = op.getScale() == ScaleChoice::Ceil;
    const int64_t block = type.getBlockSize();
    const int64_t k = type.getBlockAxisSize();
    const int64_t numBlocks = type.getNumBlocksPerRow();
    const int64_t blockBytes = type.getBlockBytes();
    const unsigned bits = num::getFormatInfo(format).bits;
    Type f32 = rewriter.getF32Type(), i8 = rewriter.getI8Type();
    Type e8m0 = rewriter.getType<Float8E8M0FNUType>();

    // [R, K] -> [R, numBlocks * block] (zero padded) -> [R, numBlocks, block].
    Value x = buildCollapseTo2D(rewriter, loc, adaptor.getInput());
    const int64_t rows = cast<RankedTensorType>(x.getType()).getDimSize(0);
    if (numBlocks * block != k) {
      auto padded =
          RankedTensorType::get({rows, numBlocks * block}, inputElement);
      Value zero = arith::ConstantOp::create(
          rewriter, loc, rewriter.getFloatAttr(inputElement, 0.0));
      x = tensor::PadOp::create(
          rewriter, loc, padded, x,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                 rewriter.getIndexAttr(numBlocks * block - k)},
          zero);
    }
    SmallVector<OpFoldResult> blockedSizes = {
        tensor::getMixedSize(rewriter, loc, x, 0),
        rewriter.getIndexAttr(numBlocks), rewriter.getIndexAttr(block)};
    Value blocked = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({rows, numBlocks, block}, inputElement), x,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}}, blockedSizes);

    MLIRContext *ctx = rewriter.getContext();
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap dropLast3 = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);

    // Block maxima of |x|; maximumf propagates NaN, and Inf is a maximum.
    Value zeroF32 =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    Value amaxInit = linalg::FillOp::create(
                         rewriter, loc, zeroF32,
                         emptyLike(rewriter, loc, {rows, numBlocks}, f32, x))
                         .getResult(0);
    Value amax =
        linalg::GenericOp::create(
            rewriter, loc, amaxInit.getType(), blocked, amaxInit,
            ArrayRef<AffineMap>{id3, dropLast3},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value v = math::AbsFOp::create(
                  b, l, buildFloatCast(b, l, args[0], b.getF32Type()));
              linalg::YieldOp::create(
                  b, l,
                  arith::MaximumFOp::create(b, l, args[1], v).getResult());
            })
            .getResult(0);

    // E8M0 scale of each block.
    Value scales =
        linalg::GenericOp::create(
            rewriter, loc, RankedTensorType::get({rows, numBlocks}, e8m0), amax,
            emptyLike(rewriter, loc, {rows, numBlocks}, e8m0, x),
            ArrayRef<AffineMap>{id2, id2}, parallel(2),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = buildScaleFromAmax(b, l, format, args[0], ceil);
              linalg::YieldOp::create(
                  b, l,
                  arith::BitcastOp::create(b, l, b.getType<Float8E8M0FNUType>(),
                                           s)
                      .getResult());
            })
            .getResult(0);

    // Element codes, one per byte; blocks with a NaN scale get code 0.
    Value codes =
        linalg::GenericOp::create(
            rewriter, loc, RankedTensorType::get({rows, numBlocks, block}, i8),
            ValueRange{blocked, scales},
            emptyLike(rewriter, loc, {rows, numBlocks, block}, i8, x),
            ArrayRef<AffineMap>{id3, dropLast3, id3}, parallel(3),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = arith::BitcastOp::create(b, l, b.getI8Type(), args[1]);
              Value scaled = arith::MulFOp::create(
                  b, l, buildFloatCast(b, l, args[0], b.getF32Type()),
                  buildInverseScale(b, l, s));
              Value code = buildEncodeElement(b, l, format, mode, scaled);
              Value isNaN = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::eq, s,
                  arith::ConstantIntOp::create(b, l, num::kE8M0NaN, 8));
              Value zero = arith::ConstantIntOp::create(b, l, 0, 8);
              linalg::YieldOp::create(
                  b, l,
                  arith::SelectOp::create(b, l, isNaN, zero, code).getResult());
            })
            .getResult(0);

    // Pack: byte j of a block holds bits [8j, 8j + 8) of the LSB-first
    // stream, from codes i0 = 8j / w and i1 = (8j + 7) / w (equal for w = 8).
    Value packed = codes;
    if (bits != 8) {
      packed =
          linalg::GenericOp::create(
              rewriter, loc,
              RankedTensorType::get({rows, numBlocks, blockBytes}, i8),
              ValueRange{},
              emptyLike(rewriter, loc, {rows, numBlocks, blockBytes}, i8, x),
              ArrayRef<AffineMap>{id3}, parallel(3),
              [&](OpBuilder &b, Location l, ValueRange) {
                auto idx = [&](int64_t v) {
                  return arith::ConstantIndexOp::create(b, l, v).getResult();
                };
                Value r = linalg::IndexOp::create(b, l, 0);
                Value n = linalg::IndexOp::create(b, l, 1);
                Value j = linalg::IndexOp::create(b, l, 2);
                Value bit = arith::MulIOp::create(b, l, j, idx(8));
                Value i0 = arith::DivUIOp::create(b, l, bit, idx(bits));
                Value i1 = arith::DivUIOp::create(
                    b, l, arith::AddIOp::create(b, l, bit, idx(7)), idx(bits));
                auto codeAt = [&](Value i) {
                  Value c = tensor::ExtractOp::create(b, l, codes,
                                                      ValueRange{r, n, i});
                  return arith::ExtUIOp::create(b, l, b.getI32Type(), c)
                      .getResult();
                };
                auto c32 = [&](int64_t v) {
                  return arith::ConstantIntOp::create(b, l, v, 32).getResult();
                };
                Value word = arith::OrIOp::create(
                    b, l, codeAt(i0),
                    arith::ShLIOp::create(b, l, codeAt(i1), c32(bits)));
                Value shift = arith::IndexCastOp::create(
                    b, l, b.getI32Type(),
                    arith::SubIOp::create(
                        b, l, bit, arith::MulIOp::create(b, l, i0, idx(bits))));
                Value byte = arith::ShRUIOp::create(b, l, word, shift);
                linalg::YieldOp::create(
                    b, l,
                    arith::TruncIOp::create(b, l, b.getI8Type(), byte)
                        .getResult());
              })
              .getResult(0);
    }

    // [R, numBlocks, blockBytes] -> [R, rowBytes] -> storage shapes.
    Value data = tensor::CollapseShapeOp::create(
        rewriter, loc, packed, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    data = buildExpandFrom2D(rewriter, loc, data, type.getDataType(),
                             adaptor.getInput());
    Value scaleStorage = buildExpandFrom2D(
        rewriter, loc, scales, type.getScalesType(), adaptor.getInput());
    rewriter.replaceOpWithMultiple(
        op, SmallVector<SmallVector<Value>>{{data, scaleStorage}});
    return success();
  }
};

} // namespace

LogicalResult mlir::mxc::checkLowerable(QuantizeOp op) {
  Type inputElement = op.getInput().getType().getElementType();
  if (inputElement.getIntOrFloatBitWidth() > 32)
    return op.emitOpError()
           << "cannot lower a quantization of " << inputElement
           << " values: narrowing them to f32 first would round twice; "
              "convert the input to f32 explicitly if that is intended";
  return success();
}

void mlir::mxc::populateQuantizeLowering(const TypeConverter &converter,
                                         RewritePatternSet &patterns) {
  patterns.add<LowerQuantize>(converter, patterns.getContext());
}
