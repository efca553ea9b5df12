//===- Threads.cpp - How many threads mxc's parallel work uses ------------===//

#include "mxc/Support/Threads.h"

#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace {
std::atomic<unsigned> threadCount{0};
} // namespace

unsigned mxc::getThreadCount() {
  if (unsigned n = threadCount.load())
    return n;
  return std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

void mxc::setThreadCount(unsigned threads) { threadCount = threads; }

void mxc::parallelFor(size_t n, llvm::function_ref<void(size_t)> body) {
  const size_t workers = std::min<size_t>(n, getThreadCount());
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i)
      body(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++)
      body(i);
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t)
    threads.emplace_back(work);
  work();
  for (std::thread &t : threads)
    t.join();
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
