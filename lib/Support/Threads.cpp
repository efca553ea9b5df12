//===- Threads.cpp - How many threads mxc's parallel work uses ------------===//

#include "mxc/Support/Threads.h"

#include "llvm/Support/Parallel.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>

namespace {
std::atomic<unsigned> threadCount{0};
} // namespace

unsigned mxc::getThreadCount() {
  if (unsigned n = threadCount.load())
    return n;
  return std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

void mxc::setThreadCount(unsigned threads) {
  threadCount = threads;
  // llvm::parallelFor's pool: its size is fixed when it first runs (after
  // the tools set this); one thread runs everything on the caller.
  llvm::parallel::strategy = llvm::hardware_concurrency(threads);
}

llvm::cl::opt<int> &
mxc::registerThreadsOption(llvm::cl::OptionCategory &category,
                           llvm::StringRef description) {
  auto &registered = llvm::cl::getRegisteredOptions();
  if (auto it = registered.find("threads"); it != registered.end())
    it->second->removeArgument();
  static llvm::cl::opt<int> threads("threads", llvm::cl::cat(category),
                                    llvm::cl::desc(description),
                                    llvm::cl::init(0));
  return threads;
}
