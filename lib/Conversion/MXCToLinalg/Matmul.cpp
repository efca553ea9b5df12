//===- Matmul.cpp - mxc.matmul to a decoding linalg reduction -------------===//

#include "Patterns.h"
#include "mxc/Conversion/MXCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::mxc;

namespace {

bool isSupportedFloat(Type type) {
  return isa<FloatType>(type) && type.getIntOrFloatBitWidth() <= 32;
}

/// mxc.matmul, its MX operands as (data, scales) storage -> one linalg
/// reduction that decodes MX codes in its body.
struct LowerMatmul : OpConversionPattern<MatmulOp> {
  LowerMatmul(const TypeConverter &converter, MLIRContext *context,
              bool rowsInnermost)
      : OpConversionPattern(converter, context), rowsInnermost(rowsInnermost) {}
  /// Loop over the rows innermost (see populateMatmulLowering).
  bool rowsInnermost;

  LogicalResult
  matchAndRewrite(MatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto mxInput = dyn_cast<MXTensorType>(op.getInput().getType());
    RankedTensorType resultType = op.getResult().getType();
    if ((!mxInput &&
         !isSupportedFloat(
             cast<ShapedType>(op.getInput().getType()).getElementType())) ||
        !isSupportedFloat(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto weightType = cast<ShapedType>(op.getWeight().getType());
    auto mxWeight = dyn_cast<MXTensorType>(weightType);
    const int64_t k = weightType.getShape()[1];
    const int64_t n = weightType.getShape()[0];
    // The reduction runs in blocks: the MX weight's, else the MX input's,
    // else one block of K.
    const int64_t block = mxWeight  ? mxWeight.getBlockSize()
                          : mxInput ? mxInput.getBlockSize()
                                    : k;
    const int64_t numBlocks = llvm::divideCeil(k, block);

    // A float [R, K] operand as [R, numBlocks, block], zero padded.
    auto blockFloat = [&](Value x) -> Value {
      auto xType = cast<RankedTensorType>(x.getType());
      if (numBlocks * block != k) {
        Value zero = arith::ConstantOp::create(
            rewriter, loc, rewriter.getFloatAttr(xType.getElementType(), 0.0));
        x = tensor::PadOp::create(
            rewriter, loc,
            RankedTensorType::get({xType.getDimSize(0), numBlocks * block},
                                  xType.getElementType()),
            x,
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                   rewriter.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{
                rewriter.getIndexAttr(0),
                rewriter.getIndexAttr(numBlocks * block - k)},
            zero);
      }
      return tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({xType.getDimSize(0), numBlocks, block},
                                xType.getElementType()),
          x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
          ArrayRef<OpFoldResult>{tensor::getMixedSize(rewriter, loc, x, 0),
                                 rewriter.getIndexAttr(numBlocks),
                                 rewriter.getIndexAttr(block)});
    };

    ValueRange weight = adaptor.getWeight();
    Value weightTable;
    if (mxWeight) {
      weightTable = buildDecodeTable(rewriter, loc, mxWeight.getFormat());
    }

    // Loops (m, n, b, i): activation (m, b, i), weight scale (n, b), output
    // (m, n). With rowsInnermost, loops (n, b, i, m) instead: the
    // activation from its transpose [b, i, m], the output [n, m] transposed
    // back at the end. Each output is the same f32 sum in k order either
    // way.
    const unsigned dm = rowsInnermost ? 3 : 0, dn = rowsInnermost ? 0 : 1,
                   db = rowsInnermost ? 1 : 2, di = rowsInnermost ? 2 : 3;
    auto dims = [&](ArrayRef<unsigned> ds) {
      SmallVector<AffineExpr> exprs;
      for (unsigned d : ds)
        exprs.push_back(getAffineDimExpr(d, ctx));
      return AffineMap::get(4, 0, exprs, ctx);
    };

    // The activations as f32 [M, numBlocks, block], zero padded: an MX input
    // is decoded once here (M rows, small next to the weight); a float input
    // is padded and reshaped.
    Value blocked, inputLeading;
    if (mxInput) {
      ValueRange storage = adaptor.getInput();
      Value data = buildCollapseTo2D(rewriter, loc, storage[0]);
      Value scales = buildCollapseTo2D(rewriter, loc, storage[1]);
      Value table = buildDecodeTable(rewriter, loc, mxInput.getFormat());
      int64_t rows = cast<RankedTensorType>(data.getType()).getDimSize(0);
      SmallVector<Value> dynamicRows;
      if (ShapedType::isDynamic(rows))
        dynamicRows.push_back(tensor::DimOp::create(rewriter, loc, data, 0));
      Value init = tensor::EmptyOp::create(
          rewriter, loc, ArrayRef<int64_t>{rows, numBlocks, block},
          rewriter.getF32Type(), dynamicRows);
      blocked =
          linalg::GenericOp::create(
              rewriter, loc, init.getType(), ValueRange{}, init,
              ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, ctx)},
              SmallVector<utils::IteratorType>(3,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &b, Location l, ValueRange) {
                linalg::YieldOp::create(
                    b, l,
                    buildDecodeElement(b, l, mxInput, table, data, scales,
                                       linalg::IndexOp::create(b, l, 0),
                                       linalg::IndexOp::create(b, l, 1),
                                       linalg::IndexOp::create(b, l, 2)));
              })
              .getResult(0);
      inputLeading = storage[0];
    } else {
      Value input = adaptor.getInput().front();
      blocked = blockFloat(buildCollapseTo2D(rewriter, loc, input));
      inputLeading = input;
    }
    Value rowsLike = blocked;
    const int64_t m = cast<RankedTensorType>(rowsLike.getType()).getDimSize(0);
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(m))
      dynamicRows.push_back(tensor::DimOp::create(rewriter, loc, rowsLike, 0));
    // [m, b, i] -> [b, i, m] with the rows innermost.
    auto transposed = [&](Value x, ArrayRef<int64_t> shape,
                          ArrayRef<int64_t> permutation) -> Value {
      Value init = tensor::EmptyOp::create(
          rewriter, loc, shape,
          cast<RankedTensorType>(x.getType()).getElementType(), dynamicRows);
      return linalg::TransposeOp::create(rewriter, loc, x, init, permutation)
          .getResult()
          .front();
    };
    SmallVector<Value> inputs = {
        rowsInnermost ? transposed(blocked, {numBlocks, block, m}, {1, 2, 0})
                      : blocked};
    SmallVector<AffineMap> maps = {rowsInnermost ? dims({db, di, dm})
                                                 : dims({dm, db, di})};
    Value weightData;
    if (mxWeight) {
      inputs.push_back(buildCollapseTo2D(rewriter, loc, weight[1]));
      maps.push_back(dims({dn, db}));
      weightData = buildCollapseTo2D(rewriter, loc, weight[0]);
    } else {
      inputs.push_back(blockFloat(weight.front()));
      maps.push_back(dims({dn, db, di}));
    }

    // f32 accumulator [M, N] ([N, M] with the rows innermost),
    // zero-initialized.
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    Value acc =
        linalg::FillOp::create(
            rewriter, loc, zero,
            tensor::EmptyOp::create(rewriter, loc,
                                    rowsInnermost ? ArrayRef<int64_t>{n, m}
                                                  : ArrayRef<int64_t>{m, n},
                                    rewriter.getF32Type(), dynamicRows)
                .getResult())
            .getResult(0);
    maps.push_back(rowsInnermost ? dims({dn, dm}) : dims({dm, dn}));
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::reduction);
    iterators[dm] = iterators[dn] = utils::IteratorType::parallel;

    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, acc.getType(), inputs, acc, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value col = linalg::IndexOp::create(b, l, dn);
              Value blk = linalg::IndexOp::create(b, l, db);
              Value i = linalg::IndexOp::create(b, l, di);
              // An MX weight's scale arrives through its indexing map, once
              // per block; its code is unpacked from the packed row.
              Value w;
              if (mxWeight) {
                Value weightScale =
                    arith::BitcastOp::create(b, l, b.getI8Type(), args[1]);
                Value weightCode =
                    buildExtractCode(b, l, mxWeight, weightData, col, blk, i);
                w = arith::MulFOp::create(
                    b, l,
                    tensor::ExtractOp::create(
                        b, l, weightTable,
                        ValueRange{arith::IndexCastUIOp::create(
                            b, l, b.getIndexType(), weightCode)}),
                    buildScaleValue(b, l, weightScale));
              } else {
                w = buildFloatCast(b, l, args[1], b.getF32Type());
              }
              Value x = buildFloatCast(b, l, args[0], b.getF32Type());
              Value product = arith::MulFOp::create(b, l, x, w);
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args.back(), product)
                      .getResult());
            })
            .getResult(0);

    if (rowsInnermost)
      sum = transposed(sum, {m, n}, {1, 0});

    // Convert to the result element type, then restore leading dimensions.
    Type resultElement = resultType.getElementType();
    if (resultElement != rewriter.getF32Type()) {
      AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
      Value init = tensor::EmptyOp::create(
          rewriter, loc, ArrayRef<int64_t>{m, n}, resultElement, dynamicRows);
      sum = linalg::GenericOp::create(
                rewriter, loc, init.getType(), sum, init,
                ArrayRef<AffineMap>{id, id},
                SmallVector<utils::IteratorType>(2,
                                                 utils::IteratorType::parallel),
                [&](OpBuilder &b, Location l, ValueRange args) {
                  linalg::YieldOp::create(
                      b, l, buildFloatCast(b, l, args[0], resultElement));
                })
                .getResult(0);
    }
    rewriter.replaceOp(
        op, buildExpandFrom2D(rewriter, loc, sum, resultType, inputLeading));
    return success();
  }
};

} // namespace

LogicalResult mlir::mxc::checkLowerable(MatmulOp op) {
  Type input = cast<ShapedType>(op.getInput().getType()).getElementType();
  Type result = op.getResult().getType().getElementType();
  if (!isa<MXTensorType>(op.getInput().getType()) && !isSupportedFloat(input))
    return op.emitOpError() << "cannot lower a matmul with " << input
                            << " inputs: the CPU lowering accumulates in "
                               "f32 and takes f16, bf16 or f32";
  if (!isSupportedFloat(result))
    return op.emitOpError() << "cannot lower a matmul with " << result
                            << " results: the CPU lowering accumulates in "
                               "f32 and yields f16, bf16 or f32";
  return success();
}

void mlir::mxc::populateMatmulLowering(const TypeConverter &converter,
                                       RewritePatternSet &patterns,
                                       bool rowsInnermost) {
  patterns.add<LowerMatmul>(converter, patterns.getContext(), rowsInnermost);
}
