//===- MXCAttrs.cpp - mxc attributes and enums ----------------------------===//

#include "mxc/IR/MXCAttrs.h"
#include "mxc/IR/MXCDialect.h"

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

LogicalResult ExaqAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t bits, llvm::APFloat clip) {
  if (bits < 1 || bits > 8)
    return emitError() << "EXAQ bit width must be in [1, 8], got " << bits;
  double value = clip.convertToDouble();
  if (!std::isfinite(value) || !(value < 0))
    return emitError() << "EXAQ clip must be negative and finite, got "
                       << value;
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
