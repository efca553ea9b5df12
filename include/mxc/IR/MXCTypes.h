//===- MXCTypes.h - mxc types -----------------------------------*- C++ -*-===//

#ifndef MXC_IR_MXCTYPES_H
#define MXC_IR_MXCTYPES_H

#include "mxc/Numerics/Formats.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "mxc/IR/MXCOpsTypes.h.inc"

namespace mlir::mxc {
/// The MX format stored in builtin element type `type`, if it is one of
/// f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN or i8 (MXINT8).
std::optional<::mxc::numerics::ElemFormat> getMXFormat(Type type);

/// The builtin element type that stores `format`.
Type getMXElementType(MLIRContext *context, ::mxc::numerics::ElemFormat format);
} // namespace mlir::mxc

#endif // MXC_IR_MXCTYPES_H
