//===- Softmax.cpp - mxc.softmax to linalg and scf on tensors -------------===//

#include "Patterns.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/Numerics/Exaq.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

using IteratorTypes = SmallVector<utils::IteratorType>;

IteratorTypes parallelThenReduction(unsigned parallel, unsigned reduction) {
  IteratorTypes types(parallel, utils::IteratorType::parallel);
  types.append(reduction, utils::IteratorType::reduction);
  return types;
}

/// Lowers one softmax on a 2-D [R, n] view; the builders below share its
/// shapes and maps.
class SoftmaxLowering {
public:
  SoftmaxLowering(OpBuilder &builder, SoftmaxOp op, Value input)
      : b(builder), loc(op.getLoc()), ctx(op.getContext()), op(op),
        input(input) {
    x = buildCollapseTo2D(b, loc, input);
    auto type = cast<RankedTensorType>(x.getType());
    rows = type.getDimSize(0);
    cols = type.getDimSize(1);
    if (ShapedType::isDynamic(rows))
      dynamicRows.push_back(tensor::DimOp::create(b, loc, x, 0));
    if (ShapedType::isDynamic(cols))
      dynamicCols = tensor::DimOp::create(b, loc, x, 1);
    id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    rowOf2 = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  }

  Value lower() {
    Value m =
        rowReduce(-std::numeric_limits<float>::infinity(), x,
                  [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                    return arith::MaximumFOp::create(b, l, acc, v);
                  });
    Value y = op.getQuant() ? quantized(m, *op.getQuant()) : exact(m);
    return buildExpandFrom2D(b, loc, y, op.getResult().getType(), input);
  }

private:
  Value f32(OpBuilder &builder, Value v) {
    return buildFloatCast(builder, loc, v, builder.getF32Type());
  }
  Value f32Const(OpBuilder &builder, double v) {
    return arith::ConstantOp::create(builder, loc, builder.getF32FloatAttr(v));
  }

  /// An empty [R, n] (or [R]) tensor of `element`.
  Value empty2d(Type element) {
    SmallVector<Value> dyn(dynamicRows);
    if (dynamicCols)
      dyn.push_back(dynamicCols);
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, cols},
                                   element, dyn);
  }
  Value emptyRows(Type element) {
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows}, element,
                                   dynamicRows);
  }

  /// Per-row reduction of the f32 values of `in` ([R, n]) with `combine`.
  Value
  rowReduce(double init, Value in,
            function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
    Value acc = linalg::FillOp::create(b, loc, f32Const(b, init),
                                       emptyRows(b.getF32Type()))
                    .getResult(0);
    return linalg::GenericOp::create(
               b, loc, acc.getType(), in, acc, ArrayRef<AffineMap>{id2, rowOf2},
               parallelThenReduction(1, 1),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l, combine(nb, l, args[1], f32(nb, args[0])));
               })
        .getResult(0);
  }

  /// An elementwise [R, n] map of (x, row max, extra...) to `element`.
  Value rowwise(Type element, ValueRange rowInputs, ValueRange fullInputs,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    SmallVector<Value> inputs(fullInputs);
    SmallVector<AffineMap> maps(fullInputs.size(), id2);
    for (Value v : rowInputs) {
      inputs.push_back(v);
      maps.push_back(rowOf2);
    }
    maps.push_back(id2);
    Value init = empty2d(element);
    return linalg::GenericOp::create(
               b, loc, init.getType(), inputs, init, maps,
               parallelThenReduction(2, 0),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, body(nb, l, args));
               })
        .getResult(0);
  }

  Value isNegInf(OpBuilder &nb, Location l, Value v) {
    return arith::CmpFOp::create(
        nb, l, arith::CmpFPredicate::OEQ, v,
        f32Const(nb, -std::numeric_limits<float>::infinity()));
  }

  /// y = exp(x - m) / sum exp(x - m); a fully masked row (m = -inf) is 0.
  Value exact(Value m) {
    Type f32Type = b.getF32Type();
    Value e = rowwise(
        f32Type, m, x,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value exp = math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, f32(nb, args[0]), args[1]));
          return arith::SelectOp::create(nb, l, isNegInf(nb, l, args[1]),
                                         f32Const(nb, 0.0), exp);
        });
    Value sum =
        rowReduce(0.0, e, [](OpBuilder &nb, Location l, Value acc, Value v) {
          return arith::AddFOp::create(nb, l, acc, v).getResult();
        });
    Type resultElement = op.getResult().getType().getElementType();
    return rowwise(resultElement, sum, e,
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Value zero = f32Const(nb, 0.0);
                     Value isZero = arith::CmpFOp::create(
                         nb, l, arith::CmpFPredicate::OEQ, args[1], zero);
                     Value y = arith::SelectOp::create(
                         nb, l, isZero, zero,
                         arith::DivFOp::create(nb, l, args[0], args[1]));
                     return buildFloatCast(nb, l, y, resultElement);
                   });
  }

  /// EXAQ: codes, a per-row histogram of codes, sum_q count_q * LUT[q], and
  /// y = LUT[q] / sum; the f32 operations and their order are those of
  /// numerics::exaqSoftmaxRow.
  Value quantized(Value m, ExaqAttr quant) {
    num::ExaqQuantizer quantizer = quant.getQuantizer();
    const int64_t levels = quantizer.levels();
    Type i32 = b.getI32Type(), f32Type = b.getF32Type();

    // Codes; masked positions get the extra code `levels`.
    Value codes = rowwise(
        i32, m, x, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value xv = f32(nb, args[0]);
          Value d = arith::SubFOp::create(nb, l, xv, args[1]);
          Value code =
              buildExaqCode(nb, l, d, f32Const(nb, quantizer.clipF32()),
                            f32Const(nb, quantizer.inverseStepF32()), levels);
          return arith::SelectOp::create(
              nb, l, isNegInf(nb, l, xv),
              arith::ConstantIntOp::create(nb, l, levels, 32), code);
        });

    // Histogram: counts[r, q] for q in [0, levels], with a real
    // read-increment-write per element (what makes the sum cheap).
    Value zero32 = arith::ConstantIntOp::create(b, loc, 0, 32);
    Value counts =
        linalg::FillOp::create(
            b, loc, zero32,
            tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, levels + 1},
                                    i32, dynamicRows)
                .getResult())
            .getResult(0);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value numRows = tensor::DimOp::create(b, loc, x, 0);
    Value numCols = tensor::DimOp::create(b, loc, x, 1);
    counts = scf::ForOp::create(
                 b, loc, c0, numRows, c1, counts,
                 [&](OpBuilder &nb, Location l, Value r, ValueRange rowArgs) {
                   Value rowCounts =
                       scf::ForOp::create(
                           nb, l, c0, numCols, c1, rowArgs,
                           [&](OpBuilder &ib, Location il, Value i,
                               ValueRange args) {
                             Value q = arith::IndexCastOp::create(
                                 ib, il, ib.getIndexType(),
                                 tensor::ExtractOp::create(ib, il, codes,
                                                           ValueRange{r, i}));
                             Value count = tensor::ExtractOp::create(
                                 ib, il, args[0], ValueRange{r, q});
                             Value next = arith::AddIOp::create(
                                 ib, il, count,
                                 arith::ConstantIntOp::create(ib, il, 1, 32));
                             scf::YieldOp::create(
                                 ib, il,
                                 tensor::InsertOp::create(ib, il, next, args[0],
                                                          ValueRange{r, q})
                                     .getResult());
                           })
                           .getResult(0);
                   scf::YieldOp::create(nb, l, rowCounts);
                 })
                 .getResult(0);

    // sum_q f32(count_q) * LUT[q], q ascending, masked slot excluded.
    std::vector<float> lutValues = quantizer.exponentTable();
    Value lut = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({levels}, f32Type),
                               ArrayRef<float>(lutValues)));
    Value counted = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows, levels}, i32), counts,
        ValueRange{}, dynamicRows, ValueRange{}, ArrayRef<int64_t>{0, 0},
        ArrayRef<int64_t>{rows, levels}, ArrayRef<int64_t>{1, 1});
    Value sumInit =
        linalg::FillOp::create(b, loc, f32Const(b, 0.0), emptyRows(f32Type))
            .getResult(0);
    AffineMap lutMap = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    Value sum =
        linalg::GenericOp::create(
            b, loc, sumInit.getType(), ValueRange{counted, lut}, sumInit,
            ArrayRef<AffineMap>{id2, lutMap, rowOf2},
            parallelThenReduction(1, 1),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value count =
                  arith::SIToFPOp::create(nb, l, nb.getF32Type(), args[0]);
              Value term = arith::MulFOp::create(nb, l, count, args[1]);
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddFOp::create(nb, l, args[2], term).getResult());
            })
            .getResult(0);

    // y = LUT[q] / sum; masked or empty rows give 0, a NaN row gives NaN.
    Type resultElement = op.getResult().getType().getElementType();
    return rowwise(
        resultElement, ValueRange{m, sum}, codes,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value q = args[0], rowMax = args[1], rowSum = args[2];
          Value last = arith::ConstantIntOp::create(nb, l, levels - 1, 32);
          Value masked =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt, q, last);
          Value safeQ = arith::MinSIOp::create(nb, l, q, last);
          Value e =
              tensor::ExtractOp::create(nb, l, lut,
                                        ValueRange{arith::IndexCastOp::create(
                                            nb, l, nb.getIndexType(), safeQ)});
          Value zero = f32Const(nb, 0.0);
          Value empty = arith::OrIOp::create(
              nb, l, masked,
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, rowSum,
                                    zero));
          Value y = arith::SelectOp::create(
              nb, l, empty, zero, arith::DivFOp::create(nb, l, e, rowSum));
          Value isNaN = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO,
                                              rowMax, rowMax);
          y = arith::SelectOp::create(
              nb, l, isNaN,
              f32Const(nb, std::numeric_limits<double>::quiet_NaN()), y);
          return buildFloatCast(nb, l, y, resultElement);
        });
  }

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  SoftmaxOp op;
  /// The input, as the conversion has it.
  Value input;
  Value x;
  int64_t rows, cols;
  SmallVector<Value> dynamicRows;
  Value dynamicCols;
  AffineMap id2, rowOf2;
};

struct LowerSoftmax : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getInput().getType().getElementType().getIntOrFloatBitWidth() > 32)
      return rewriter.notifyMatchFailure(op, "wider than f32");
    rewriter.replaceOp(
        op, SoftmaxLowering(rewriter, op, adaptor.getInput()).lower());
    return success();
  }
};

} // namespace

LogicalResult mlir::mxc::checkLowerable(SoftmaxOp op) {
  Type element = op.getInput().getType().getElementType();
  if (element.getIntOrFloatBitWidth() > 32)
    return op.emitOpError() << "cannot lower a softmax of " << element
                            << " values: the CPU lowering computes in f32 "
                               "and takes f16, bf16 or f32";
  return success();
}

void mlir::mxc::populateSoftmaxLowering(const TypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns.add<LowerSoftmax>(converter, patterns.getContext());
}
