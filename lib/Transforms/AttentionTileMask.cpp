//===- AttentionTileMask.cpp - Span table to KV-tile mask -----------------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCATTENTIONTILEMASKPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// Builds the [queries, tiles] i8 tile mask of `op` (static keys).
Value buildTileMask(OpBuilder &b, AttentionOp op, int64_t tile) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value spans = op.getSpans();
  auto spanType = cast<RankedTensorType>(spans.getType());
  Type spanElement = spanType.getElementType();
  const int64_t keys = op.getKey().getType().getDimSize(1);
  const int64_t queries = op.getQuery().getType().getDimSize(1);
  const int64_t tiles = llvm::divideCeil(keys, tile);
  const int64_t paddedKeys = tiles * tile;
  const int64_t sink = op.getSinkAttr().getInt();
  const bool keepSelf = op.getKeepSelf();
  Type i8 = b.getI8Type(), i32 = b.getI32Type();

  SmallVector<Value> dynamicQueries;
  if (ShapedType::isDynamic(queries))
    dynamicQueries.push_back(tensor::DimOp::create(b, loc, spans, 0));
  auto index = [&](OpBuilder &nb, Location l, unsigned d) {
    return linalg::IndexOp::create(nb, l, d).getResult();
  };
  auto cst = [&](OpBuilder &nb, Location l, int64_t v, Type t) {
    return arith::ConstantOp::create(nb, l, t, nb.getIntegerAttr(t, v))
        .getResult();
  };
  auto asSpanInt = [&](OpBuilder &nb, Location l, Value idx) {
    return arith::IndexCastOp::create(nb, l, spanElement, idx).getResult();
  };
  // Position of query row i: keys - queries + i (queries may be dynamic).
  Value numQueries = tensor::DimOp::create(b, loc, spans, 0);
  Value firstPosition = arith::SubIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, keys), numQueries);

  // vis[i, j] = 1 when key j is in one of row i's spans: an OR-reduction
  // over the slots, starting from 0.
  auto keyType = RankedTensorType::get({queries, paddedKeys}, i8);
  Value zeros =
      linalg::FillOp::create(b, loc, cst(b, loc, 0, i8),
                             tensor::EmptyOp::create(b, loc, keyType.getShape(),
                                                     i8, dynamicQueries)
                                 .getResult())
          .getResult(0);
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  AffineMap startMap =
      AffineMap::get(3, 0, {d0, d2, getAffineConstantExpr(0, ctx)}, ctx);
  AffineMap endMap =
      AffineMap::get(3, 0, {d0, d2, getAffineConstantExpr(1, ctx)}, ctx);
  AffineMap keyMap = AffineMap::get(3, 0, {d0, d1}, ctx);
  Value inSpan =
      linalg::GenericOp::create(
          b, loc, keyType, ValueRange{spans, spans}, zeros,
          ArrayRef<AffineMap>{startMap, endMap, keyMap},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value j = asSpanInt(nb, l, index(nb, l, 1));
            Value afterStart = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::sle, args[0], j);
            Value beforeEnd = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::slt, j, args[1]);
            Value in = arith::ExtUIOp::create(
                nb, l, nb.getI8Type(),
                arith::AndIOp::create(nb, l, afterStart, beforeEnd));
            linalg::YieldOp::create(
                nb, l, arith::OrIOp::create(nb, l, args[2], in).getResult());
          })
          .getResult(0);

  // Visible: causal, and in a span, below the sink, or (keep_self) at p.
  AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  Value visible =
      linalg::GenericOp::create(
          b, loc, keyType, inSpan,
          tensor::EmptyOp::create(b, loc, keyType.getShape(), i8,
                                  dynamicQueries)
              .getResult(),
          ArrayRef<AffineMap>{id2, id2},
          SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value i = index(nb, l, 0), j = index(nb, l, 1);
            Value position = arith::AddIOp::create(nb, l, firstPosition, i);
            Value causal = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ule, j, position);
            Value allowed = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ne, args[0], cst(nb, l, 0, i8));
            allowed = arith::OrIOp::create(
                nb, l, allowed,
                arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::ult, j,
                    arith::ConstantIndexOp::create(nb, l, sink)));
            if (keepSelf)
              allowed = arith::OrIOp::create(
                  nb, l, allowed,
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, j,
                                        position));
            linalg::YieldOp::create(
                nb, l,
                arith::ExtUIOp::create(
                    nb, l, nb.getI8Type(),
                    arith::AndIOp::create(nb, l, causal, allowed))
                    .getResult());
          })
          .getResult(0);

  // Visible keys per tile, then the state: 0 none, 2 all, 1 some.
  Value perTile = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({queries, tiles, tile}, i8), visible,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, visible, 0),
                             b.getIndexAttr(tiles), b.getIndexAttr(tile)});
  auto countType = RankedTensorType::get({queries, tiles}, i32);
  Value countInit = linalg::FillOp::create(
                        b, loc, cst(b, loc, 0, i32),
                        tensor::EmptyOp::create(b, loc, countType.getShape(),
                                                i32, dynamicQueries)
                            .getResult())
                        .getResult(0);
  Value counts =
      linalg::GenericOp::create(
          b, loc, countType, perTile, countInit,
          ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, ctx),
                              AffineMap::get(3, 0, {d0, d1}, ctx)},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value v = arith::ExtUIOp::create(nb, l, nb.getI32Type(), args[0]);
            linalg::YieldOp::create(
                nb, l, arith::AddIOp::create(nb, l, args[1], v).getResult());
          })
          .getResult(0);
  return linalg::GenericOp::create(
             b, loc, RankedTensorType::get({queries, tiles}, i8), counts,
             tensor::EmptyOp::create(b, loc, countType.getShape(), i8,
                                     dynamicQueries)
                 .getResult(),
             ArrayRef<AffineMap>{id2, id2},
             SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               // Keys in tile t: min(tile, keys - t * tile).
               Value t = arith::IndexCastOp::create(nb, l, nb.getI32Type(),
                                                    index(nb, l, 1));
               Value begin =
                   arith::MulIOp::create(nb, l, t, cst(nb, l, tile, i32));
               Value length = arith::MinSIOp::create(
                   nb, l, cst(nb, l, tile, i32),
                   arith::SubIOp::create(nb, l, cst(nb, l, keys, i32), begin));
               Value none =
                   arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                         args[0], cst(nb, l, 0, i32));
               Value all = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::eq, args[0], length);
               Value state = arith::SelectOp::create(
                   nb, l, all, cst(nb, l, 2, i8), cst(nb, l, 1, i8));
               state = arith::SelectOp::create(nb, l, none, cst(nb, l, 0, i8),
                                               state);
               linalg::YieldOp::create(nb, l, state);
             })
      .getResult(0);
}

struct MXCAttentionTileMaskPass
    : mlir::mxc::impl::MXCAttentionTileMaskPassBase<MXCAttentionTileMaskPass> {
  using MXCAttentionTileMaskPassBase::MXCAttentionTileMaskPassBase;

  void runOnOperation() override {
    if (tile < 0) {
      getOperation()->emitError()
          << "mxc-attention-tile-mask: tile must be >= 0, got "
          << static_cast<int64_t>(tile);
      return signalPassFailure();
    }
    getOperation()->walk([&](AttentionOp op) {
      if (!op.getSpans() || op.getTileMask())
        return;
      if (op.getKey().getType().isDynamicDim(1)) {
        op.emitRemark() << "no tile mask: the key length is dynamic";
        return;
      }
      if (tile > 0)
        op.setTileAttr(OpBuilder(op).getI64IntegerAttr(tile));
      OpBuilder b(op);
      Value mask = buildTileMask(b, op, op.getTileAttr().getInt());
      op.getTileMaskMutable().assign(mask);
      ++numMasked;
    });
  }
};

} // namespace
