//===- MXCAttrs.h - mxc attributes and enums --------------------*- C++ -*-===//

#ifndef MXC_IR_MXCATTRS_H
#define MXC_IR_MXCATTRS_H

#include "mxc/Numerics/Exaq.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/APFloat.h"

#include "mxc/IR/MXCOpsEnums.h.inc"

namespace mlir::mxc::detail {
/// Parses a float64 literal (an attribute parameter).
FailureOr<llvm::APFloat> parseF64(AsmParser &parser);
/// Parses `true` or `false` (an attribute parameter).
FailureOr<bool> parseBool(AsmParser &parser);
/// Prints a float32 array as `[v, ...]` so that it parses back to the same
/// floats (upstream's DenseF32ArrayAttr printer keeps six digits).
void printF32Array(AsmPrinter &printer, DenseF32ArrayAttr array);
} // namespace mlir::mxc::detail

#define GET_ATTRDEF_CLASSES
#include "mxc/IR/MXCOpsAttributes.h.inc"

#endif // MXC_IR_MXCATTRS_H
