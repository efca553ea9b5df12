//===- MXCOps.cpp - mxc operations ----------------------------------------===//

#include "mxc/IR/MXCOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mxc;

/// "[4, ?, 64]": a shape as verifier messages print it.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << '?';
    else
      os << d;
  });
  os << ']';
  return result;
}

/// Whether two dimensions can be equal: equal, or one of them dynamic.
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static bool compatibleShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip_equal(a, b), [](auto dims) {
           return compatibleDims(std::get<0>(dims), std::get<1>(dims));
         });
}

//===----------------------------------------------------------------------===//
// AssembleOp / DisassembleOp
//===----------------------------------------------------------------------===//

/// Checks `data` and `scales` against the storage types of `type`.
static LogicalResult verifyStorage(Operation *op, MXTensorType type,
                                   RankedTensorType data,
                                   RankedTensorType scales) {
  RankedTensorType expectedData = type.getDataType();
  RankedTensorType expectedScales = type.getScalesType();
  if (!compatibleShapes(data.getShape(), expectedData.getShape()))
    return op->emitOpError() << "data shape " << formatShape(data.getShape())
                             << " does not match the packed storage of " << type
                             << ", " << formatShape(expectedData.getShape());
  if (!compatibleShapes(scales.getShape(), expectedScales.getShape()))
    return op->emitOpError()
           << "scales shape " << formatShape(scales.getShape())
           << " does not match the blocks of " << type << ", "
           << formatShape(expectedScales.getShape());
  return success();
}

LogicalResult AssembleOp::verify() {
  return verifyStorage(*this, getResult().getType(), getData().getType(),
                       getScales().getType());
}

LogicalResult DisassembleOp::verify() {
  return verifyStorage(*this, getInput().getType(), getData().getType(),
                       getScales().getType());
}

LogicalResult DisassembleOp::fold(FoldAdaptor,
                                  SmallVectorImpl<OpFoldResult> &results) {
  auto assemble = getInput().getDefiningOp<AssembleOp>();
  if (!assemble || assemble.getData().getType() != getData().getType() ||
      assemble.getScales().getType() != getScales().getType())
    return failure();
  results.push_back(assemble.getData());
  results.push_back(assemble.getScales());
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (!compatibleShapes(in, out))
    return emitOpError() << "result shape " << formatShape(out)
                         << " does not match the input shape "
                         << formatShape(in);
  return success();
}

LogicalResult DequantizeOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (!compatibleShapes(in, out))
    return emitOpError() << "result shape " << formatShape(out)
                         << " does not match the input shape "
                         << formatShape(in);
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Checks a calibration statistic: f32 elements of shape `expected`.
static LogicalResult verifyStatistic(Operation *op, StringRef name,
                                     ElementsAttr attr,
                                     ArrayRef<int64_t> expected) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32() ||
      !compatibleShapes(type.getShape(), expected))
    return op->emitOpError() << "'" << name << "' must be f32 of shape "
                             << formatShape(expected) << ", got " << type;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob();
        blob && static_cast<int64_t>(blob->getData().size()) !=
                    type.getNumElements() * 4)
      return op->emitOpError()
             << "'" << name << "' resource holds " << blob->getData().size()
             << " bytes, its type " << type << " needs "
             << type.getNumElements() * 4;
  return success();
}

LogicalResult MatmulOp::verify() {
  auto weight = cast<ShapedType>(getWeight().getType());
  ArrayRef<int64_t> w = weight.getShape();
  if (w.size() != 2)
    return emitOpError() << "weight must have rank 2 ([out_features, "
                            "in_features]), got rank "
                         << w.size();
  auto input = cast<ShapedType>(getInput().getType());
  ArrayRef<int64_t> x = input.getShape();
  if (x.empty())
    return emitOpError() << "input must have rank >= 1";
  if (!compatibleDims(x.back(), w[1]))
    return emitOpError() << "input reduction size " << x.back()
                         << " does not match the weight's " << w[1];
  auto mxInput = dyn_cast<MXTensorType>(input);
  auto mxWeight = dyn_cast<MXTensorType>(weight);
  if (mxInput && mxWeight && mxInput.getBlockSize() != mxWeight.getBlockSize())
    return emitOpError() << "input block size " << mxInput.getBlockSize()
                         << " does not match the weight block size "
                         << mxWeight.getBlockSize();
  SmallVector<int64_t> expected(x.drop_back());
  expected.push_back(w[0]);
  ArrayRef<int64_t> y = getResult().getType().getShape();
  if (!compatibleShapes(expected, y))
    return emitOpError() << "result shape " << formatShape(y)
                         << " does not match the expected "
                         << formatShape(expected);
  if (ElementsAttr absMax = getActAbsmaxAttr())
    if (failed(verifyStatistic(*this, "act_absmax", absMax, {w[1]})))
      return failure();
  if (ElementsAttr hessian = getHessianAttr())
    if (failed(verifyStatistic(*this, "hessian", hessian, {w[1], w[1]})))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  if (getInput().getType().getRank() == 0)
    return emitOpError() << "input must have rank >= 1 (softmax runs over "
                            "the last axis)";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

double AttentionOp::getScaleValue() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 /
         std::sqrt(static_cast<double>(getQuery().getType().getShape().back()));
}

LogicalResult AttentionOp::verify() {
  RankedTensorType qType = getQuery().getType(), kType = getKey().getType(),
                   vType = getValue().getType(),
                   resultType = getResult().getType();
  for (auto [name, type] : {std::pair{"query", qType}, std::pair{"key", kType},
                            std::pair{"value", vType}})
    if (type.getRank() != 3)
      return emitOpError() << name
                           << " must have rank 3 ([heads, sequence, "
                              "head_dim]), got rank "
                           << type.getRank();
  if (qType.getElementType() != kType.getElementType() ||
      qType.getElementType() != vType.getElementType() ||
      qType.getElementType() != resultType.getElementType())
    return emitOpError() << "query, key, value and result must have the same "
                            "element type";

  ArrayRef<int64_t> q = qType.getShape(), k = kType.getShape(),
                    v = vType.getShape();
  if (!compatibleDims(k[0], v[0]) || !compatibleDims(k[1], v[1]))
    return emitOpError() << "key shape " << formatShape(k)
                         << " and value shape " << formatShape(v)
                         << " differ in heads or sequence length";
  if (!compatibleDims(q[2], k[2]))
    return emitOpError() << "query head_dim " << q[2]
                         << " does not match key head_dim " << k[2];
  if (!ShapedType::isDynamic(q[0]) && !ShapedType::isDynamic(k[0]) &&
      (k[0] == 0 || q[0] % k[0] != 0))
    return emitOpError() << "query heads (" << q[0]
                         << ") must be a multiple of key/value heads (" << k[0]
                         << ")";
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(k[1]) &&
      q[1] > k[1])
    return emitOpError() << "more queries (" << q[1] << ") than keys (" << k[1]
                         << "): queries are the last positions of the key "
                            "sequence";
  SmallVector<int64_t> expected = {q[0], q[1], v[2]};
  if (!compatibleShapes(expected, resultType.getShape()))
    return emitOpError() << "result shape "
                         << formatShape(resultType.getShape())
                         << " does not match the expected "
                         << formatShape(expected);

  if (Value spans = getSpans()) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(spans.getType()).getShape();
    if (s.size() != 3 || !compatibleDims(s[2], 2))
      return emitOpError() << "span table must have shape [queries, slots, "
                              "2], got "
                           << formatShape(s);
    if (!compatibleDims(s[0], q[1]))
      return emitOpError() << "span table has " << s[0]
                           << " rows but there are " << q[1] << " queries";
    if (Value mask = getTileMask()) {
      ArrayRef<int64_t> m = cast<RankedTensorType>(mask.getType()).getShape();
      int64_t tile = getTileAttr().getInt();
      int64_t tiles = ShapedType::isDynamic(k[1]) || tile <= 0
                          ? ShapedType::kDynamic
                          : llvm::divideCeil(k[1], tile);
      SmallVector<int64_t> expectedMask = {q[1], tiles};
      if (!compatibleShapes(m, expectedMask))
        return emitOpError() << "tile mask shape " << formatShape(m)
                             << " does not match [queries, ceil(keys / tile)] "
                                "= "
                             << formatShape(expectedMask);
    }
  } else if (getTileMask()) {
    return emitOpError() << "a tile mask needs a span table";
  } else if (getSink() != 0 || getKeepSelf()) {
    return emitOpError() << "'sink' and 'keep_self' apply only to span-sparse "
                            "attention (with a span table)";
  }

  if (std::optional<APFloat> scale = getScale()) {
    double value = scale->convertToDouble();
    if (!std::isfinite(value) || !(value > 0))
      return emitOpError() << "scale must be positive and finite, got "
                           << value;
  }
  // I64Attr getters are unsigned: read the attributes as signed values.
  if (int64_t tile = getTileAttr().getInt(); tile <= 0)
    return emitOpError() << "tile must be positive, got " << tile;
  if (int64_t sink = getSinkAttr().getInt(); sink < 0)
    return emitOpError() << "sink must be non-negative, got " << sink;
  return success();
}

#define GET_OP_CLASSES
#include "mxc/IR/MXCOps.cpp.inc"
