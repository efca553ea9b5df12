//===- InitAll.cpp - Register everything mxc provides ---------------------===//

#include "mxc/InitAll.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCDialect.h"
#include "mxc/Pipelines/Pipelines.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"

void mxc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::mxc::MXCDialect>();
}

void mxc::registerAllPasses() {
  mlir::mxc::registerMXCConversionPasses();
  mlir::mxc::registerMXCTransformsPasses();
  mlir::mxc::registerCPUPipeline();
  mlir::mxc::registerGPUPipelines();
  mlir::mxc::registerMXCGPUPasses();
}
