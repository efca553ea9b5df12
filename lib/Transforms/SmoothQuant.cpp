//===- SmoothQuant.cpp - Move activation outliers into the weights --------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Constants.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCSMOOTHQUANTPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

/// The operand index of the constant 1-D gain of `producer` if it is a
/// per-channel multiply `x * g[k]` (a linalg.generic with a mulf body) whose
/// result only `readers` read.
std::optional<unsigned> foldableGain(linalg::GenericOp producer,
                                     ArrayRef<MatmulOp> readers, int64_t k) {
  if (producer.getNumDpsInputs() != 2 || producer->getNumResults() != 1)
    return std::nullopt;
  for (Operation *user : producer->getResult(0).getUsers())
    if (!llvm::is_contained(readers, dyn_cast<MatmulOp>(user)))
      return std::nullopt;
  Block &body = producer.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(body.front());
  if (!mul || body.getTerminator()->getOperand(0) != mul.getResult())
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    OpOperand *operand = producer.getDpsInputOperand(i);
    auto type = dyn_cast<RankedTensorType>(operand->get().getType());
    AffineMap map = producer.getMatchingIndexingMap(operand);
    if (!type || type.getRank() != 1 || type.getDimSize(0) != k ||
        !type.getElementType().isF32() || map.getNumResults() != 1 ||
        map.getResult(0) !=
            getAffineDimExpr(map.getNumDims() - 1, producer.getContext()) ||
        !readFloatConstant(operand->get()))
      continue;
    return i;
  }
  return std::nullopt;
}

/// x * (1/s) along the last axis, as a new linalg.generic after x.
Value insertScale(OpBuilder &b, Location loc, Value x,
                  const std::vector<double> &s) {
  auto type = cast<RankedTensorType>(x.getType());
  const int64_t rank = type.getRank(), k = type.getShape().back();
  std::vector<float> inverse = num::smoothInputFactors(s);
  Value factors =
      createFloatConstant(b, loc, RankedTensorType::get({k}, b.getF32Type()),
                          inverse, "mxc_smooth_scale");
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, x, d));
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                       type.getElementType(), dynamic);
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap last =
      AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, ctx)}, ctx);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{x, factors}, init,
             ArrayRef<AffineMap>{id, last, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value f = args[1];
               if (args[0].getType() != f.getType())
                 f = arith::TruncFOp::create(nb, l, args[0].getType(), f);
               linalg::YieldOp::create(
                   nb, l, arith::MulFOp::create(nb, l, args[0], f).getResult());
             })
      .getResult(0);
}

struct MXCSmoothQuantPass
    : mlir::mxc::impl::MXCSmoothQuantPassBase<MXCSmoothQuantPass> {
  using MXCSmoothQuantPassBase::MXCSmoothQuantPassBase;

  void runOnOperation() override {
    if (!(alpha >= 0 && alpha <= 1)) {
      getOperation()->emitError() << "mxc-smoothquant: alpha must be in "
                                     "[0, 1], got "
                                  << static_cast<double>(alpha);
      return signalPassFailure();
    }
    // Matmuls grouped by the activation they read.
    llvm::MapVector<Value, SmallVector<MatmulOp>> groups;
    getOperation()->walk([&](MatmulOp op) {
      if (isa<RankedTensorType>(op.getInput().getType()))
        groups[op.getInput()].push_back(op);
    });
    for (auto &[x, readers] : groups) {
      auto selected = [&](MatmulOp op) {
        StringRef name = getMatmulName(op);
        auto prefixOf = [&](const std::string &p) {
          return name.starts_with(p);
        };
        return (only.empty() || llvm::any_of(only, prefixOf)) &&
               llvm::none_of(exclude, prefixOf);
      };
      int64_t count = llvm::count_if(readers, selected);
      if (count == 0)
        continue;
      if (count < static_cast<int64_t>(readers.size())) {
        readers.front().emitRemark()
            << "not smoothed: some matmuls that read this activation are "
               "left out by only/exclude";
        continue;
      }
      smooth(x, readers);
    }
  }

  void smooth(Value x, ArrayRef<MatmulOp> readers) {
    const int64_t k = cast<RankedTensorType>(x.getType()).getShape().back();
    std::vector<float> absMax(k, 0.0f);
    std::vector<std::vector<float>> weights;
    for (MatmulOp op : readers) {
      std::optional<std::vector<float>> a =
          readFloatElements(op.getActAbsmaxAttr());
      std::optional<std::vector<float>> w = readFloatConstant(op.getWeight());
      if (!a || !w || !isa<RankedTensorType>(op.getWeight().getType())) {
        op.emitRemark() << "not smoothed: SmoothQuant needs 'act_absmax' on "
                           "every matmul that reads this activation and "
                           "float constant weights";
        return;
      }
      for (int64_t j = 0; j < k; ++j)
        absMax[j] = std::max(absMax[j], (*a)[j]);
      weights.push_back(std::move(*w));
    }
    std::vector<std::pair<const float *, int64_t>> weightViews;
    for (auto [i, w] : llvm::enumerate(weights)) {
      MatmulOp op = readers[i];
      weightViews.push_back(
          {w.data(), cast<ShapedType>(op.getWeight().getType()).getDimSize(0)});
    }
    std::vector<double> s =
        num::smoothQuantScales(absMax, weightViews, k, alpha);

    // Weights: W[:, j] * s_j.
    for (auto [index, w] : llvm::enumerate(weights)) {
      MatmulOp op = readers[index];
      num::smoothWeightColumns(w.data(), w.size() / k, s);
      OpBuilder b(op);
      op.getWeightMutable().assign(createFloatConstant(
          b, op.getLoc(), cast<RankedTensorType>(op.getWeight().getType()), w,
          "mxc_smoothed_weight"));
    }

    // Activation: x / s, folded into a producer's gain when possible.
    auto producer = x.getDefiningOp<linalg::GenericOp>();
    std::optional<unsigned> gain =
        producer ? foldableGain(producer, readers, k) : std::nullopt;
    if (gain) {
      OpOperand *operand = producer.getDpsInputOperand(*gain);
      std::vector<float> g = *readFloatConstant(operand->get());
      num::divideBySmoothScales(g.data(), s);
      OpBuilder b(producer);
      operand->set(
          createFloatConstant(b, producer.getLoc(),
                              cast<RankedTensorType>(operand->get().getType()),
                              g, "mxc_smoothed_gain"));
      ++numFolded;
    } else {
      OpBuilder b(x.getContext());
      if (Operation *def = x.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(x).getOwner());
      Value scaled = insertScale(b, x.getLoc(), x, s);
      for (MatmulOp op : readers)
        op.getInputMutable().assign(scaled);
    }

    // Statistics now describe x / s. Readers that shared a Hessian share
    // its smoothed one.
    llvm::DenseMap<Attribute, ElementsAttr> smoothedHessians;
    for (MatmulOp op : readers) {
      std::vector<float> a = *readFloatElements(op.getActAbsmaxAttr());
      num::divideBySmoothScales(a.data(), s);
      auto f32 = Float32Type::get(op.getContext());
      op.setActAbsmaxAttr(createFloatElements(RankedTensorType::get({k}, f32),
                                              a, "mxc_act_absmax"));
      if (!op.getHessianAttr())
        continue;
      ElementsAttr &smoothed = smoothedHessians[op.getHessianAttr()];
      if (!smoothed)
        if (std::optional<std::vector<float>> h =
                readFloatElements(op.getHessianAttr())) {
          num::smoothHessian(h->data(), s);
          smoothed = createFloatElements(RankedTensorType::get({k, k}, f32), *h,
                                         "mxc_hessian");
        }
      if (smoothed)
        op.setHessianAttr(smoothed);
    }
    ++numSmoothed;
  }
};

} // namespace
