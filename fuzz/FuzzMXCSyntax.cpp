//===- FuzzMXCSyntax.cpp - libFuzzer target: mxc types and attributes -----===//
//
// Any text as an MLIR type and as an attribute, with the mxc dialect
// loaded: the parser and the verifiers (!mxc.mx, #mxc.exaq,
// #mxc.softmax_stats) answer with a value or a diagnostic, never a crash.
// Values that parse are printed and must parse back to themselves.
//
//===----------------------------------------------------------------------===//

#include "mxc/IR/MXCDialect.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *c = new mlir::MLIRContext();
    c->loadDialect<mlir::mxc::MXCDialect>();
    return c;
  }();
  mlir::ScopedDiagnosticHandler quiet(
      context, [](mlir::Diagnostic &) { return mlir::success(); });
  std::string text(reinterpret_cast<const char *>(data), size);
  // Round trips are checked for mxc's own types and attributes only.
  mlir::Type type = mlir::parseType(text, context);
  if (type && llvm::isa<mlir::mxc::MXTensorType>(type)) {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    type.print(os);
    if (mlir::parseType(printed, context) != type)
      std::abort();
  }
  mlir::Attribute attr = mlir::parseAttribute(text, context);
  if (attr && attr.getDialect().getNamespace() == "mxc") {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    attr.print(os);
    if (mlir::parseAttribute(printed, context) != attr)
      std::abort();
  }
  return 0;
}
