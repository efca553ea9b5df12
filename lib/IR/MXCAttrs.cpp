//===- MXCAttrs.cpp - mxc attributes and enums ----------------------------===//

#include "mxc/IR/MXCAttrs.h"
#include "mxc/IR/MXCDialect.h"
#include "mxc/Numerics/Exaq.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mxc;

#include "mxc/IR/MXCOpsEnums.cpp.inc"

FailureOr<llvm::APFloat> mlir::mxc::detail::parseF64(AsmParser &parser) {
  double value;
  if (parser.parseFloat(value))
    return failure();
  return llvm::APFloat(value);
}

FailureOr<bool> mlir::mxc::detail::parseBool(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected 'true' or 'false'");
}

void mlir::mxc::detail::printF32Array(AsmPrinter &printer,
                                      DenseF32ArrayAttr array) {
  // Every float is a double, and printFloat prints a double so that it
  // parses back exactly; the parser then narrows it to the same float.
  printer << '[';
  llvm::interleaveComma(array.asArrayRef(), printer, [&](float v) {
    printer.printFloat(llvm::APFloat(static_cast<double>(v)));
  });
  printer << ']';
}

LogicalResult ExaqAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t bits, llvm::APFloat clip, bool zeroFloor,
                               DenseF32ArrayAttr table) {
  if (bits < 1 || bits > 8)
    return emitError() << "EXAQ bit width must be in [1, 8], got " << bits;
  double value = clip.convertToDouble();
  if (!std::isfinite(value) || !(value < 0))
    return emitError() << "EXAQ clip must be negative and finite, got "
                       << value;
  if (value < ::mxc::numerics::kMinExaqClip)
    return emitError() << "EXAQ clip must be at least "
                       << ::mxc::numerics::kMinExaqClip
                       << " (the levels are computed in f32, whose smallest "
                          "value is about e^-103), got "
                       << value;
  if (!table)
    return success();
  ArrayRef<float> t = table.asArrayRef();
  if (static_cast<int64_t>(t.size()) != (int64_t(1) << bits))
    return emitError() << "EXAQ table must have 2^bits = "
                       << (int64_t(1) << bits) << " entries, got " << t.size();
  for (auto [q, v] : llvm::enumerate(t)) {
    if (!(v >= 0.0f && v <= 1.0f))
      return emitError() << "EXAQ table entries must be in [0, 1], entry " << q
                         << " is " << v;
    if (q > 0 && v < t[q - 1])
      return emitError() << "EXAQ table entries must not decrease, entry " << q
                         << " (" << v << ") is below entry " << q - 1 << " ("
                         << t[q - 1] << ")";
  }
  if (t.back() != 1.0f)
    return emitError() << "EXAQ table's last entry (the row maximum's code) "
                          "must be 1, got "
                       << t.back();
  if (zeroFloor && t.front() != 0.0f)
    return emitError() << "EXAQ table's first entry must be 0 with zero_floor, "
                          "got "
                       << t.front();
  return success();
}

::mxc::numerics::ExaqQuantizer ExaqAttr::getQuantizer() const {
  ::mxc::numerics::ExaqQuantizer q{static_cast<int>(getBits()), getClipValue(),
                                   getZeroFloor()};
  if (DenseF32ArrayAttr table = getTable())
    q.table.assign(table.asArrayRef().begin(), table.asArrayRef().end());
  return q;
}

LogicalResult
SoftmaxStatsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         llvm::APFloat mean, llvm::APFloat std,
                         llvm::APFloat min, int64_t count,
                         DenseF32ArrayAttr samples) {
  double meanValue = mean.convertToDouble(), stdValue = std.convertToDouble(),
         minValue = min.convertToDouble();
  if (count < 0)
    return emitError() << "softmax statistics count must be >= 0, got "
                       << count;
  if (!std::isfinite(stdValue) || stdValue < 0)
    return emitError() << "softmax statistics std must be finite and >= 0, "
                          "got "
                       << stdValue;
  if (!(minValue <= meanValue && meanValue <= 0))
    return emitError() << "softmax statistics need min <= mean <= 0 (they "
                          "describe x - max(x)), got min "
                       << minValue << " and mean " << meanValue;
  if (samples)
    for (auto [i, v] : llvm::enumerate(samples.asArrayRef()))
      if (!std::isfinite(v) || v > 0)
        return emitError() << "softmax statistics sample " << i << " is " << v
                           << "; samples of x - max(x) are finite and <= 0";
  return success();
}

#define GET_ATTRDEF_CLASSES
#include "mxc/IR/MXCOpsAttributes.cpp.inc"

void MXCDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mxc/IR/MXCOpsAttributes.cpp.inc"
      >();
}
