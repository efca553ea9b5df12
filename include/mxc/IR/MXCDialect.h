//===- MXCDialect.h - The mxc dialect ---------------------------*- C++ -*-===//

#ifndef MXC_IR_MXCDIALECT_H
#define MXC_IR_MXCDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "mxc/IR/MXCOpsDialect.h.inc"

#endif // MXC_IR_MXCDIALECT_H
