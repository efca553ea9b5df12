//===- MXCOps.h - mxc operations --------------------------------*- C++ -*-===//

#ifndef MXC_IR_MXCOPS_H
#define MXC_IR_MXCOPS_H

#include "mxc/IR/MXCAttrs.h"
#include "mxc/IR/MXCDialect.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "mxc/IR/MXCOps.h.inc"

#endif // MXC_IR_MXCOPS_H
