//===- Output.h - Writing output files without losing any ------*- C++ -*-===//
//
// Every file a tool writes (a compiled model, an object, a report, logits, a
// checkpoint) goes through writeFileAtomically: a failure never leaves a
// partial file, never destroys the file that was there before, and always
// names the file.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_SUPPORT_OUTPUT_H
#define MXC_SUPPORT_OUTPUT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <utility>

namespace mxc {

/// Writes the file `path` through `write`. A regular file (or a new one) is
/// written to a temporary file next to it, which replaces `path` only when
/// `write` succeeded and every byte reached the disk: a failure (a full
/// disk, an error from `write`) leaves the previous file at `path` as it
/// was and no temporary behind. "-" is stdout; an existing device or pipe
/// is written in place. Every I/O error names the file.
llvm::Error writeFileAtomically(
    llvm::StringRef path,
    llvm::function_ref<llvm::Error(llvm::raw_fd_ostream &)> write);

/// A file named on a command line: the flag that names it and its path.
using NamedFile = std::pair<llvm::StringRef, llvm::StringRef>;

/// An error naming the flag if an output cannot be written where it is
/// named (a directory, a missing or unwritable directory), or naming both
/// flags if an output is the same file as another output or as one of the
/// inputs (paths that are empty or "-" are skipped). Inputs may repeat each
/// other. Tools call it before any work.
llvm::Error checkOutputsDistinct(llvm::ArrayRef<NamedFile> outputs,
                                 llvm::ArrayRef<NamedFile> inputs);

} // namespace mxc

#endif // MXC_SUPPORT_OUTPUT_H
