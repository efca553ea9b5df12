//===- Version.h - mxc's version, for --version and Python ------*- C++ -*-===//

#ifndef MXC_SUPPORT_VERSION_H
#define MXC_SUPPORT_VERSION_H

#include "llvm/Support/raw_ostream.h"

namespace mxc {

/// mxc's release version ("0.1.0").
const char *version();
/// The git commit mxc was built from ("1a2b3c4d5e6f", "-modified" appended
/// for a tree with uncommitted changes; "unknown" outside git).
const char *gitCommit();

/// Makes `--version` of the LLVM command-line tool `tool` print its name,
/// mxc's version and commit, then the LLVM it is built on.
void setVersionPrinter(const char *tool);

} // namespace mxc

#endif // MXC_SUPPORT_VERSION_H
