//===- Attention.cpp - mxc.attention to a tiled online-softmax loop -------===//

#include "Patterns.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/Numerics/Exaq.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

#include <limits>
#include <optional>

using namespace mlir;
using namespace mlir::mxc;

/// The global that counts visited (element 0) and skipped (element 1) KV
/// tiles when the lowering is instrumented.
static constexpr llvm::StringLiteral kTileCounters =
    "mxc_attention_tile_counts";

namespace {

/// Builds the loop nest of one attention. Scalars are f32; q, k, v elements
/// are extended on load.
class AttentionLowering {
public:
  AttentionLowering(OpBuilder &b, AttentionOp op, AttentionOp::Adaptor operands,
                    Value counters)
      : b(b), loc(op.getLoc()), op(op), operands(operands), counters(counters) {
  }

  Value lower() {
    Value q = operands.getQuery(), k = operands.getKey(),
          v = operands.getValue();
    Value heads = dim(q, 0), queries = dim(q, 1), headDim = dim(q, 2);
    Value kvHeads = dim(k, 0), keys = dim(k, 1), valueDim = dim(v, 2);
    Value group = arith::DivUIOp::create(b, loc, heads, kvHeads);
    Value tile = index(op.getTileAttr().getInt());
    Value tiles = arith::CeilDivUIOp::create(b, loc, keys, tile);
    Value scale = f32(op.getScaleValue());

    RankedTensorType resultType = op.getResult().getType();
    SmallVector<Value> dynamicSizes;
    for (auto [d, size] : llvm::enumerate(resultType.getShape()))
      if (ShapedType::isDynamic(size))
        dynamicSizes.push_back(d == 0 ? heads : d == 1 ? queries : valueDim);
    Value out = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                        b.getF32Type(), dynamicSizes);
    Value firstPosition = arith::SubIOp::create(b, loc, keys, queries);

    // One independent task per (row, head): an scf.forall, which the CPU
    // runs as loops and the GPU pipeline maps onto threads. Everything a
    // task writes (its accumulator, score scratch, key visibility, code
    // counts) is created inside it.
    auto forall =
        scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{queries, heads},
                              ValueRange{out}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value i = forall.getInductionVar(0), h = forall.getInductionVar(1);
    Value position = arith::AddIOp::create(b, loc, firstPosition, i);
    Value visibility = rowVisibility(i, keys, position);
    Value g = arith::DivUIOp::create(b, loc, h, group);
    // The accumulator of the row, tensor<?xf32> of the value dimension.
    Value accInit = linalg::FillOp::create(
                        b, loc, f32(0.0),
                        tensor::EmptyOp::create(
                            b, loc, ArrayRef<int64_t>{ShapedType::kDynamic},
                            b.getF32Type(), ValueRange{valueDim})
                            .getResult())
                        .getResult(0);
    // Running max m, running sum l and accumulator acc over the tiles.
    SmallVector<Value> state;
    if (ExaqAttr quant = op.getQuantAttr())
      state = quantizedRow(buildExaq(quant), tiles, tile, keys, i, position,
                           visibility, h, g, headDim, valueDim, scale, accInit);
    else {
      Value scratch = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{op.getTileAttr().getInt()}, b.getF32Type());
      SmallVector<Value> init = {f32(-inf()), f32(0.0), accInit};
      state = llvm::to_vector(forLoop(tiles, init, [&](Value t, ValueRange s) {
        return processTile(t, tile, keys, i, position, visibility, h, g,
                           headDim, valueDim, scale, scratch, s);
      }));
    }
    // out[h, i, :] = acc / l, or 0 where the row saw no key.
    Value l = state[1];
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, f32(0.0));
    Value row = forLoop(valueDim, state[2], [&](Value d, ValueRange o) {
      Value a = tensor::ExtractOp::create(b, loc, o[0], d);
      Value y = arith::SelectOp::create(b, loc, empty, f32(0.0),
                                        arith::DivFOp::create(b, loc, a, l));
      return SmallVector<Value>{tensor::InsertOp::create(b, loc, y, o[0], d)};
    })[0];
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    tensor::ParallelInsertSliceOp::create(
        b, loc, row, forall.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{h, i, zero},
        ArrayRef<OpFoldResult>{one, one, valueDim},
        ArrayRef<OpFoldResult>{one, one, one});
    b.setInsertionPointAfter(forall);
    out = forall.getResult(0);

    Type element = resultType.getElementType();
    if (element == b.getF32Type())
      return out;
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, b.getContext());
    Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(), element,
                                         dynamicSizes);
    return linalg::GenericOp::create(
               b, loc, resultType, out, init, ArrayRef<AffineMap>{id, id},
               SmallVector<utils::IteratorType>(3,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l, buildFloatCast(nb, l, args[0], element));
               })
        .getResult(0);
  }

private:
  static double inf() { return std::numeric_limits<double>::infinity(); }
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value dim(Value tensor, int64_t d) {
    return tensor::DimOp::create(b, loc, tensor, d);
  }
  Value load(Value tensor, ValueRange indices) {
    Value e = tensor::ExtractOp::create(b, loc, tensor, indices);
    return buildFloatCast(b, loc, e, b.getF32Type());
  }

  /// An scf.for from 0 to `upper` whose body maps (iv, iter args) to the
  /// values it yields; returns the loop results.
  ValueRange forLoop(Value upper, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return forLoop(index(0), upper, init, body);
  }
  ValueRange forLoop(Value lower, Value upper, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(
        b, loc, lower, upper, index(1), init,
        [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(nb.getInsertionBlock());
          scf::YieldOp::create(b, loc, body(iv, args));
        });
    return loop.getResults();
  }

  /// An scf.if yielding `types`, with both branches built by callbacks.
  ValueRange ifElse(Value cond, TypeRange types,
                    function_ref<SmallVector<Value>()> thenBody,
                    function_ref<SmallVector<Value>()> elseBody) {
    auto ifOp = scf::IfOp::create(b, loc, types, cond, /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, thenBody());
    b.setInsertionPointToEnd(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, elseBody());
    return ifOp.getResults();
  }

  /// Adds one to counter `which` (0 visited, 1 skipped) when instrumented.
  void count(int64_t which) {
    if (!counters)
      return;
    Value at = index(which);
    Value old = memref::LoadOp::create(b, loc, counters, at);
    Value next = arith::AddIOp::create(
        b, loc, old, arith::ConstantIntOp::create(b, loc, 1, 64));
    memref::StoreOp::create(b, loc, next, counters, at);
  }

  /// The state of tile t for the row at `position`: the tile mask's when
  /// there is one, otherwise from causality alone (partial wherever spans
  /// still have to be checked).
  Value tileState(Value t, Value begin, Value end, Value i, Value position) {
    if (Value mask = operands.getTileMask()) {
      Value s = tensor::ExtractOp::create(b, loc, mask, ValueRange{i, t});
      return arith::ExtUIOp::create(b, loc, b.getI32Type(), s);
    }
    auto c32 = [&](int64_t v) {
      return arith::ConstantIntOp::create(b, loc, v, 32).getResult();
    };
    Value afterRow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                           begin, position);
    Value last = arith::SubIOp::create(b, loc, end, index(1));
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                         last, position);
    Value whole = arith::SelectOp::create(
        b, loc, inside, c32(operands.getSpans() ? 1 : 2), c32(1));
    return arith::SelectOp::create(b, loc, afterRow, c32(0), whole);
  }

  /// The keys row i sees (the element mask of partial tiles), tensor<?xi8>
  /// over the keys, built in O(slots + keys): the sink, the own position
  /// and each span, cut at the causal limit. Null without a span table.
  Value rowVisibility(Value i, Value keys, Value position) {
    Value spans = operands.getSpans();
    if (!spans)
      return {};
    Type i8 = b.getI8Type();
    Value one = arith::ConstantIntOp::create(b, loc, 1, 8);
    Value limit = arith::AddIOp::create(b, loc, position, index(1));
    Value visibility =
        linalg::FillOp::create(
            b, loc, arith::ConstantIntOp::create(b, loc, 0, 8).getResult(),
            tensor::EmptyOp::create(b, loc,
                                    ArrayRef<int64_t>{ShapedType::kDynamic}, i8,
                                    ValueRange{keys})
                .getResult())
            .getResult(0);
    // Marks keys [from, to) cut to [0, position].
    auto mark = [&](Value bitmap, Value from, Value to) {
      Value lo = arith::MaxSIOp::create(b, loc, from, index(0));
      Value hi = arith::MinSIOp::create(b, loc, to, limit);
      return forLoop(lo, arith::MaxSIOp::create(b, loc, hi, lo), bitmap,
                     [&](Value j, ValueRange v) {
                       return SmallVector<Value>{
                           tensor::InsertOp::create(b, loc, one, v[0], j)};
                     })[0];
    };
    visibility = mark(visibility, index(0), index(op.getSinkAttr().getInt()));
    if (op.getKeepSelf())
      visibility = mark(visibility, position, limit);
    auto asIndex = [&](Value v) {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v)
          .getResult();
    };
    return forLoop(dim(spans, 1), visibility, [&](Value slot, ValueRange v) {
      Value start = tensor::ExtractOp::create(b, loc, spans,
                                              ValueRange{i, slot, index(0)});
      Value end = tensor::ExtractOp::create(b, loc, spans,
                                            ValueRange{i, slot, index(1)});
      return SmallVector<Value>{mark(v[0], asIndex(start), asIndex(end))};
    })[0];
  }

  /// Whether the row sees key j: the row's bitmap, or causality alone.
  Value isVisible(Value visibility, Value j, Value position) {
    if (!visibility)
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, j,
                                   position);
    Value bit = tensor::ExtractOp::create(b, loc, visibility, j);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, bit,
                                 arith::ConstantIntOp::create(b, loc, 0, 8));
  }

  /// acc[:] + weight * v[g, j, :].
  Value addWeightedValue(Value acc, Value weight, Value g, Value j,
                         Value valueDim) {
    Value v = operands.getValue();
    return forLoop(valueDim, ValueRange{acc}, [&](Value d, ValueRange a) {
      Value x = tensor::ExtractOp::create(b, loc, a[0], d);
      Value y = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, weight, load(v, {g, j, d})));
      return SmallVector<Value>{tensor::InsertOp::create(b, loc, y, a[0], d)};
    })[0];
  }

  /// What the EXAQ path needs, built in each task: the quantizer,
  /// its LUT of 2^b exponentials and a zeroed per-code count tensor.
  struct Exaq {
    ::mxc::numerics::ExaqQuantizer quantizer;
    Value lut, countsInit;
  };
  Exaq buildExaq(ExaqAttr quant) {
    Exaq exaq{quant.getQuantizer(), {}, {}};
    const int64_t levels = exaq.quantizer.levels();
    std::vector<float> table = exaq.quantizer.exponentTable();
    exaq.lut = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({levels}, b.getF32Type()),
                               ArrayRef<float>(table)));
    exaq.countsInit =
        linalg::FillOp::create(
            b, loc, arith::ConstantIntOp::create(b, loc, 0, 32).getResult(),
            tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{levels},
                                    b.getI32Type())
                .getResult())
            .getResult(0);
    return exaq;
  }

  /// Key range [begin, end) of KV tile t and whether row i skips it or sees
  /// all of it (tile states 0 and 2).
  struct TileBounds {
    Value begin, end, skip, full;
  };
  TileBounds tileBounds(Value t, Value tile, Value keys, Value i,
                        Value position) {
    Value begin = arith::MulIOp::create(b, loc, t, tile);
    Value end = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, begin, tile), keys);
    Value state = tileState(t, begin, end, i, position);
    auto is = [&](int64_t value) -> Value {
      return arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq, state,
          arith::ConstantIntOp::create(b, loc, value, 32));
    };
    return {begin, end, is(0), is(2)};
  }

  /// The scaled score q[h, i] . k[g, j] in f32 (the dot product accumulated
  /// over d in order, then times the scale), or -inf where row i does not
  /// see key j (`full`: the whole tile is visible).
  Value score(Value i, Value j, Value position, Value visibility, Value full,
              Value h, Value g, Value headDim, Value scale) {
    Value visible =
        arith::OrIOp::create(b, loc, full, isVisible(visibility, j, position));
    Value q = operands.getQuery(), k = operands.getKey();
    return ifElse(
        visible, b.getF32Type(),
        [&] {
          Value dot = forLoop(
              headDim, ValueRange{f32(0.0)}, [&](Value d, ValueRange acc) {
                Value prod = arith::MulFOp::create(b, loc, load(q, {h, i, d}),
                                                   load(k, {g, j, d}));
                return SmallVector<Value>{
                    arith::AddFOp::create(b, loc, acc[0], prod)};
              })[0];
          return SmallVector<Value>{arith::MulFOp::create(b, loc, dot, scale)};
        },
        [&] { return SmallVector<Value>{f32(-inf())}; })[0];
  }

  /// Walks the visible tiles of row i, calling `perKey(j, score, args)` for
  /// every key of each; returns the final loop-carried values.
  ValueRange walkVisibleKeys(
      Value tiles, Value tile, Value keys, Value i, Value position,
      Value visibility, Value h, Value g, Value headDim, Value scale,
      ValueRange init, bool countTiles,
      function_ref<SmallVector<Value>(Value, Value, ValueRange)> perKey) {
    return forLoop(tiles, init, [&](Value t, ValueRange carried) {
      TileBounds bounds = tileBounds(t, tile, keys, i, position);
      Value begin = bounds.begin, end = bounds.end, skip = bounds.skip,
            full = bounds.full;
      return SmallVector<Value>(ifElse(
          skip, carried.getTypes(),
          [&] {
            if (countTiles)
              count(1);
            return SmallVector<Value>(carried);
          },
          [&] {
            if (countTiles)
              count(0);
            return SmallVector<Value>(
                forLoop(begin, end, carried, [&](Value j, ValueRange a) {
                  return perKey(j,
                                score(i, j, position, visibility, full, h, g,
                                      headDim, scale),
                                a);
                }));
          }));
    });
  }

  /// EXAQ: the row max over the visible keys; then, with the max known, each
  /// visible key's code (the f32 operations of numerics::ExaqQuantizer::code),
  /// a count per code, and acc += LUT[q] v where LUT[q] is not 0 (a key of
  /// weight 0 is dropped); the sum is sum_q count_q LUT[q].
  /// Returns (max, sum, acc) like the exact path. Tiles are counted once.
  /// Scores are computed twice (once per pass) rather than kept: a row's
  /// scores would need a buffer as long as the context.
  SmallVector<Value> quantizedRow(const Exaq &exaq, Value tiles, Value tile,
                                  Value keys, Value i, Value position,
                                  Value visibility, Value h, Value g,
                                  Value headDim, Value valueDim, Value scale,
                                  Value accInit) {
    const ::mxc::numerics::ExaqQuantizer &quantizer = exaq.quantizer;
    const int64_t levels = quantizer.levels();
    Value lut = exaq.lut;
    Value m = walkVisibleKeys(
        tiles, tile, keys, i, position, visibility, h, g, headDim, scale,
        ValueRange{f32(-inf())}, /*countTiles=*/true,
        [&](Value, Value s, ValueRange a) {
          return SmallVector<Value>{arith::MaximumFOp::create(b, loc, a[0], s)};
        })[0];
    ValueRange accumulated = walkVisibleKeys(
        tiles, tile, keys, i, position, visibility, h, g, headDim, scale,
        ValueRange{exaq.countsInit, accInit}, /*countTiles=*/false,
        [&](Value j, Value s, ValueRange a) {
          Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             s, f32(-inf()));
          return SmallVector<Value>(ifElse(
              seen, a.getTypes(),
              [&] {
                Value d = arith::SubFOp::create(b, loc, s, m);
                Value q = arith::IndexCastOp::create(
                    b, loc, b.getIndexType(),
                    buildExaqCode(b, loc, d, f32(quantizer.clipF32()),
                                  f32(quantizer.inverseStepF32()), levels));
                Value c = tensor::ExtractOp::create(b, loc, a[0], q);
                Value counts = tensor::InsertOp::create(
                    b, loc,
                    arith::AddIOp::create(
                        b, loc, c, arith::ConstantIntOp::create(b, loc, 1, 32)),
                    a[0], q);
                Value e = tensor::ExtractOp::create(b, loc, lut, q);
                // A weight of 0 (a zero floor's code 0) drops the key: its
                // value is not read, as in numerics::exaqAttentionReference.
                Value kept = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::UNE, e, f32(0.0));
                Value acc = ifElse(
                    kept, a[1].getType(),
                    [&] {
                      return SmallVector<Value>{
                          addWeightedValue(a[1], e, g, j, valueDim)};
                    },
                    [&] { return SmallVector<Value>{a[1]}; })[0];
                return SmallVector<Value>{counts, acc};
              },
              [&] { return SmallVector<Value>(a); }));
        });
    Value sum = forLoop(
        index(levels), ValueRange{f32(0.0)}, [&](Value q, ValueRange a) {
          Value c = arith::SIToFPOp::create(
              b, loc, b.getF32Type(),
              tensor::ExtractOp::create(b, loc, accumulated[0], q));
          Value term = arith::MulFOp::create(
              b, loc, c, tensor::ExtractOp::create(b, loc, lut, q));
          return SmallVector<Value>{arith::AddFOp::create(b, loc, a[0], term)};
        })[0];
    // A NaN score makes the max NaN but gives code 0 (maxnumf drops NaN):
    // make the row NaN through its sum rather than a silent average.
    Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, m, m);
    sum = arith::SelectOp::create(
        b, loc, nan, f32(std::numeric_limits<double>::quiet_NaN()), sum);
    return {m, sum, accumulated[1]};
  }

  /// One KV tile of one row: scores into `scratch`, then one rescale of the
  /// running sum and accumulator by exp(m - m'), then their update.
  SmallVector<Value> processTile(Value t, Value tile, Value keys, Value i,
                                 Value position, Value visibility, Value h,
                                 Value g, Value headDim, Value valueDim,
                                 Value scale, Value scratch,
                                 ValueRange running) {
    TileBounds bounds = tileBounds(t, tile, keys, i, position);
    Value begin = bounds.begin, end = bounds.end, skip = bounds.skip,
          full = bounds.full;
    TypeRange types = running.getTypes();
    return ifElse(
        skip, types,
        [&] {
          count(1);
          return SmallVector<Value>(running);
        },
        [&] {
          count(0);
          // Scores of the tile (-inf where masked) and their maximum.
          ValueRange scored = forLoop(
              begin, end, ValueRange{f32(-inf()), scratch},
              [&](Value j, ValueRange s) {
                Value score = this->score(i, j, position, visibility, full, h,
                                          g, headDim, scale);
                Value slot = arith::SubIOp::create(b, loc, j, begin);
                return SmallVector<Value>{
                    arith::MaximumFOp::create(b, loc, s[0], score),
                    tensor::InsertOp::create(b, loc, score, s[1], slot)};
              });
          Value m = running[0], l = running[1], acc = running[2];
          Value mNew = arith::MaximumFOp::create(b, loc, m, scored[0]);
          Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             mNew, f32(-inf()));
          return SmallVector<Value>(ifElse(
              seen, types,
              [&] {
                Value correction = math::ExpOp::create(
                    b, loc, arith::SubFOp::create(b, loc, m, mNew));
                Value rescaled = forLoop(
                    valueDim, ValueRange{acc}, [&](Value d, ValueRange a) {
                      Value x = tensor::ExtractOp::create(b, loc, a[0], d);
                      Value y = arith::MulFOp::create(b, loc, x, correction);
                      return SmallVector<Value>{
                          tensor::InsertOp::create(b, loc, y, a[0], d)};
                    })[0];
                ValueRange updated = forLoop(
                    begin, end,
                    ValueRange{arith::MulFOp::create(b, loc, l, correction),
                               rescaled},
                    [&](Value j, ValueRange s) {
                      Value score = tensor::ExtractOp::create(
                          b, loc, scored[1],
                          ValueRange{arith::SubIOp::create(b, loc, j, begin)});
                      Value p = math::ExpOp::create(
                          b, loc, arith::SubFOp::create(b, loc, score, mNew));
                      Value a = addWeightedValue(s[1], p, g, j, valueDim);
                      return SmallVector<Value>{
                          arith::AddFOp::create(b, loc, s[0], p), a};
                    });
                return SmallVector<Value>{mNew, updated[0], updated[1]};
              },
              [&] { return SmallVector<Value>(running); }));
        });
  }

  OpBuilder &b;
  Location loc;
  AttentionOp op;
  /// The operands, as the conversion has them.
  AttentionOp::Adaptor operands;
  Value counters;
};

struct LowerAttention : OpConversionPattern<AttentionOp> {
  LowerAttention(const TypeConverter &converter, MLIRContext *ctx,
                 bool countTiles)
      : OpConversionPattern(converter, ctx), countTiles(countTiles) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getQuery().getType().getElementType().getIntOrFloatBitWidth() > 32)
      return rewriter.notifyMatchFailure(op, "not lowerable");
    Value counters;
    if (countTiles)
      counters = getOrCreateCounters(rewriter, op);
    rewriter.replaceOp(
        op, AttentionLowering(rewriter, op, adaptor, counters).lower());
    return success();
  }

private:
  /// The counters global: the module's own if it declares one (so that a
  /// test can read it), else a new private one. Returned as the value of a
  /// memref.get_global at the op.
  static Value getOrCreateCounters(OpBuilder &rewriter, AttentionOp op) {
    auto module = op->getParentOfType<ModuleOp>();
    auto type = MemRefType::get({2}, rewriter.getI64Type());
    auto global = module.lookupSymbol<memref::GlobalOp>(kTileCounters);
    if (!global) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      global = memref::GlobalOp::create(
          rewriter, op.getLoc(), kTileCounters,
          rewriter.getStringAttr("private"), type,
          DenseElementsAttr::get(
              RankedTensorType::get({2}, rewriter.getI64Type()),
              ArrayRef<int64_t>{0, 0}),
          /*constant=*/false, /*alignment=*/nullptr);
    }
    return memref::GetGlobalOp::create(rewriter, op.getLoc(), type,
                                       global.getSymName())
        ->getResult(0);
  }

  bool countTiles;
};

} // namespace

LogicalResult mlir::mxc::checkLowerable(AttentionOp op) {
  Type element = op.getQuery().getType().getElementType();
  if (element.getIntOrFloatBitWidth() > 32)
    return op.emitOpError() << "cannot lower an attention on " << element
                            << " values: the CPU lowering computes in f32 "
                               "and takes f16, bf16 or f32";
  return success();
}

void mlir::mxc::populateAttentionLowering(const TypeConverter &converter,
                                          RewritePatternSet &patterns,
                                          bool countTiles) {
  patterns.add<LowerAttention>(converter, patterns.getContext(), countTiles);
}
