//===- MXCDialect.cpp - The mxc dialect -----------------------------------===//

#include "mxc/IR/MXCDialect.h"
#include "mxc/IR/MXCAttrs.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mxc;

#include "mxc/IR/MXCOpsDialect.cpp.inc"

void MXCDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "mxc/IR/MXCOps.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}
