//===- Version.cpp - mxc's version ----------------------------------------===//

#include "mxc/Support/Version.h"
#include "GitVersion.inc"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"

const char *mxc::version() { return MXC_VERSION; }

const char *mxc::gitCommit() { return MXC_GIT_COMMIT; }

void mxc::setVersionPrinter(const char *tool) {
  static const char *name;
  name = tool;
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << name << " (mxc " << version() << ", git " << gitCommit() << ")\n"
       << "  built on LLVM/MLIR " << LLVM_VERSION_STRING << "\n";
  });
}
