//===- Threads.h - How many threads mxc's parallel work uses ----*- C++ -*-===//
//
// One process-wide setting, from each tool's --threads: the windows of
// calibration and evaluation run in parallel, and GPTQ's BLAS uses as many
// threads. Results never depend on it: parallel work is reduced in a fixed
// order.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_SUPPORT_THREADS_H
#define MXC_SUPPORT_THREADS_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"

#include <cstddef>

namespace mxc {

/// The threads parallel work uses: the last setThreadCount(), else every
/// hardware thread of the process's CPU set.
unsigned getThreadCount();

/// 0 means every hardware thread.
void setThreadCount(unsigned threads);

/// Runs body(i) for every i in [0, n) on up to min(n, getThreadCount())
/// threads (the caller's among them) and returns when all are done.
void parallelFor(size_t n, llvm::function_ref<void(size_t)> body);

/// A tool's --threads option (0: every core) in `category`, created on the
/// first call; call it before parsing the command line. LLVM's libraries
/// register a hidden global --threads of their own, which this one replaces
/// in the tool's command line.
llvm::cl::opt<int> &registerThreadsOption(llvm::cl::OptionCategory &category,
                                          llvm::StringRef description);

} // namespace mxc

#endif // MXC_SUPPORT_THREADS_H
