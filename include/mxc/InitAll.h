//===- InitAll.h - Register everything mxc provides -------------*- C++ -*-===//

#ifndef MXC_INITALL_H
#define MXC_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mxc {

/// Adds the mxc dialect to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers mxc's passes and pipelines with the global pass registry.
void registerAllPasses();

} // namespace mxc

#endif // MXC_INITALL_H
