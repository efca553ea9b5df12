//===- Constants.cpp - Weight and statistic constants for PTQ passes ------===//

#include "mxc/Transforms/Constants.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::mxc;

/// The f32 data of a resource that fills its type; none for a resource
/// without its blob or whose blob is short.
static std::optional<ArrayRef<float>>
resourceFloats(DenseF32ResourceElementsAttr resource) {
  std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
  if (!data || static_cast<int64_t>(data->size()) !=
                   cast<ShapedType>(resource.getType()).getNumElements())
    return std::nullopt;
  return data;
}

std::optional<std::vector<float>>
mlir::mxc::readFloatElements(ElementsAttr attr) {
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resourceFloats(resource);
    if (!data)
      return std::nullopt;
    return std::vector<float>(data->begin(), data->end());
  }
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    std::vector<float> values;
    values.reserve(dense.getNumElements());
    for (APFloat v : dense.getValues<APFloat>()) {
      bool losesInfo;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      values.push_back(v.convertToFloat());
    }
    return values;
  }
  return std::nullopt;
}

std::optional<std::vector<double>>
mlir::mxc::readDoubleElements(ElementsAttr attr) {
  if (auto resource = dyn_cast_if_present<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resourceFloats(resource);
    if (!data)
      return std::nullopt;
    return std::vector<double>(data->begin(), data->end());
  }
  std::optional<std::vector<float>> values = readFloatElements(attr);
  if (!values)
    return std::nullopt;
  return std::vector<double>(values->begin(), values->end());
}

std::optional<std::vector<float>> mlir::mxc::readFloatConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  return readFloatElements(dyn_cast<ElementsAttr>(constant.getValue()));
}

/// A dense or dense_resource attribute of `type` holding `bytes`.
static ElementsAttr elementsOf(RankedTensorType type, ArrayRef<char> bytes,
                               StringRef resourceName) {
  if (type.getNumElements() <= kResourceThreshold)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  return DenseResourceElementsAttr::get(
      type, resourceName,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
}

ElementsAttr mlir::mxc::createFloatElements(RankedTensorType type,
                                            ArrayRef<float> values,
                                            StringRef resourceName) {
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return elementsOf(type, bytes, resourceName);
}

Value mlir::mxc::createFloatConstant(OpBuilder &b, Location loc,
                                     RankedTensorType type,
                                     ArrayRef<float> values,
                                     StringRef resourceName) {
  return arith::ConstantOp::create(
      b, loc, type,
      cast<TypedAttr>(createFloatElements(type, values, resourceName)));
}

Value mlir::mxc::createMXConstant(OpBuilder &b, Location loc, MXTensorType type,
                                  const ::mxc::numerics::MXTensor &tensor,
                                  StringRef resourceName) {
  auto bytesOf = [](const std::vector<uint8_t> &v) {
    return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size());
  };
  RankedTensorType dataType = type.getDataType();
  RankedTensorType scalesType = type.getScalesType();
  Value data = arith::ConstantOp::create(
      b, loc, dataType,
      cast<TypedAttr>(elementsOf(dataType, bytesOf(tensor.data),
                                 (resourceName + "_data").str())));
  Value scales = arith::ConstantOp::create(
      b, loc, scalesType,
      cast<TypedAttr>(elementsOf(scalesType, bytesOf(tensor.scales),
                                 (resourceName + "_scales").str())));
  return AssembleOp::create(b, loc, type, data, scales);
}

/// The bytes of a constant `value` of 8-bit elements (i8 codes, f8E8M0FNU
/// scales), if it is one that fills its type.
static std::optional<std::vector<uint8_t>> readByteConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto type = cast<ShapedType>(constant.getType());
  if (!type.getElementType().isIntOrFloat() ||
      type.getElementTypeBitWidth() != 8)
    return std::nullopt;
  ArrayRef<char> raw;
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    raw = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    raw = dense.getRawData();
    if (dense.isSplat() && raw.size() == 1)
      return std::vector<uint8_t>(type.getNumElements(), uint8_t(raw[0]));
  } else {
    return std::nullopt;
  }
  if (static_cast<int64_t>(raw.size()) != type.getNumElements())
    return std::nullopt;
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

std::optional<::mxc::numerics::MXTensor>
mlir::mxc::readMXConstant(Value value) {
  auto assemble = value.getDefiningOp<AssembleOp>();
  if (!assemble)
    return std::nullopt;
  auto type = cast<MXTensorType>(assemble.getType());
  ::mxc::numerics::MXTensor t;
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back())
    rows *= d;
  t.layout = {type.getFormat(), type.getBlockSize(), rows,
              type.getShape().back()};
  std::optional<std::vector<uint8_t>> data =
      readByteConstant(assemble.getData());
  std::optional<std::vector<uint8_t>> scales =
      readByteConstant(assemble.getScales());
  if (!data || !scales ||
      static_cast<int64_t>(data->size()) != t.layout.dataBytes() ||
      static_cast<int64_t>(scales->size()) != t.layout.numScales())
    return std::nullopt;
  t.data = std::move(*data);
  t.scales = std::move(*scales);
  return t;
}

StringRef mlir::mxc::getMatmulName(MatmulOp op) {
  if (auto name = dyn_cast<NameLoc>(op.getLoc()))
    return name.getName().getValue();
  return "";
}

void mlir::mxc::reportLocalError(MatmulOp op, StringRef method,
                                 StringRef format, ArrayRef<float> w,
                                 const ::mxc::numerics::QuantizedWeight &q,
                                 const ::mxc::numerics::QuantizedWeight *rtn,
                                 int64_t n, int64_t k) {
  namespace num = ::mxc::numerics;
  if (!rtn)
    rtn = &q;
  Builder b(op.getContext());
  SmallVector<NamedAttribute> fields;
  auto add = [&](StringRef name, double v) {
    fields.push_back(b.getNamedAttr(name, b.getF64FloatAttr(v)));
  };
  const double sqnr = num::weightSQNR(w.data(), q.dequantized, n, k);
  const double rtnSqnr = num::weightSQNR(w.data(), rtn->dequantized, n, k);
  add("weight_sqnr", sqnr);
  add("rtn_weight_sqnr", rtnSqnr);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << method << " " << format << ": ";
  if (std::optional<std::vector<float>> h =
          readFloatElements(op.getHessianAttr())) {
    std::vector<double> hessian(h->begin(), h->end());
    const double mse =
        num::outputMSEFromHessian(w.data(), q.dequantized, n, k, hessian);
    const double rtnMse =
        num::outputMSEFromHessian(w.data(), rtn->dequantized, n, k, hessian);
    const double power = num::outputMSEFromHessian(
        w.data(), std::vector<double>(w.size(), 0.0), n, k, hessian);
    add("output_mse", mse);
    add("rtn_output_mse", rtnMse);
    add("output_power", power);
    os << llvm::format("output MSE %.4e", mse);
    if (rtn != &q)
      os << llvm::format(" (rtn %.4e)", rtnMse);
    os << ", ";
  }
  os << llvm::format("weight SQNR %.2f dB", sqnr);
  if (rtn != &q)
    os << llvm::format(" (rtn %.2f dB)", rtnSqnr);
  op->setAttr("mxc.local_error", b.getDictionaryAttr(fields));
  op.emitRemark() << text;
}

FailureOr<int64_t> mlir::mxc::quantizeMatmulWeights(
    Operation *root, ::mxc::numerics::ElemFormat format, int64_t block,
    ArrayRef<std::string> only, ArrayRef<std::string> exclude,
    WeightQuantizer quantize) {
  int64_t count = 0;
  bool failedAny = false;
  root->walk([&](MatmulOp op) {
    auto named = [&](ArrayRef<std::string> prefixes) {
      return llvm::any_of(prefixes, [&](const std::string &prefix) {
        return getMatmulName(op).starts_with(prefix);
      });
    };
    if ((!only.empty() && !named(only)) || named(exclude))
      return;
    auto weightType = dyn_cast<RankedTensorType>(op.getWeight().getType());
    if (!weightType)
      return; // Already MX.
    std::optional<std::vector<float>> w = readFloatConstant(op.getWeight());
    if (!w) {
      if (auto constant = op.getWeight().getDefiningOp<arith::ConstantOp>())
        if (auto resource =
                dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
          // A weight whose data is missing or short: never read past it.
          constant.emitError()
              << "the weight's resource '" << resource.getRawHandle().getKey()
              << "' is missing or does not hold the "
              << weightType.getNumElements() << " f32 values of " << weightType;
          failedAny = true;
          return;
        }
      op.emitRemark() << "weight left in float: it is not a constant";
      return;
    }
    const int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    std::optional<::mxc::numerics::QuantizedWeight> q = quantize(op, *w, n, k);
    if (!q)
      return;
    auto mxType =
        MXTensorType::get(weightType.getShape(),
                          getMXElementType(op.getContext(), format), block);
    OpBuilder b(op);
    op.getWeightMutable().assign(
        createMXConstant(b, op.getLoc(), mxType, q->tensor, "mxc_weight"));
    ++count;
  });
  if (failedAny)
    return failure();
  return count;
}
