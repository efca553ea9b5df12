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
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace mxc {

/// The threads parallel work uses: the last setThreadCount(), else every
/// hardware thread of the process's CPU set.
unsigned getThreadCount();

/// 0 means every hardware thread. Also sizes llvm::parallelFor's pool,
/// which the parallel work runs on; call it before any parallel work.
void setThreadCount(unsigned threads);

/// Computes compute(i) for every i in [0, n), up to getThreadCount() at a
/// time in parallel, and hands each result to consume(i, result) on the
/// calling thread in index order: parallel work followed by a reduction
/// whose result does not depend on the thread count.
template <typename T>
void parallelForInOrder(size_t n, llvm::function_ref<T(size_t)> compute,
                        llvm::function_ref<void(size_t, T &&)> consume) {
  std::vector<T> batch;
  for (size_t begin = 0; begin < n;) {
    const size_t end = std::min<size_t>(n, begin + getThreadCount());
    batch.assign(end - begin, T());
    llvm::parallelFor(0, end - begin,
                      [&](size_t i) { batch[i] = compute(begin + i); });
    for (size_t i = begin; i < end; ++i)
      consume(i, std::move(batch[i - begin]));
    begin = end;
  }
}

/// A tool's --threads option (0: every core) in `category`, created on the
/// first call; call it before parsing the command line. LLVM's libraries
/// register a hidden global --threads of their own, which this one replaces
/// in the tool's command line.
llvm::cl::opt<int> &registerThreadsOption(llvm::cl::OptionCategory &category,
                                          llvm::StringRef description);

} // namespace mxc

#endif // MXC_SUPPORT_THREADS_H
