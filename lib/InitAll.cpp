//===- InitAll.cpp - Register everything mxc provides ---------------------===//

#include "mxc/InitAll.h"
#include "mxc/IR/MXCDialect.h"

#include "mlir/IR/DialectRegistry.h"

void mxc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::mxc::MXCDialect>();
}

void mxc::registerAllPasses() {}
