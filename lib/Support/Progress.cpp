//===- Progress.cpp - Progress lines of long work on stderr ---------------===//

#include "mxc/Support/Progress.h"

#include "llvm/Support/Format.h"

using namespace mxc;

ProgressPrinter::ProgressPrinter(llvm::StringRef tool, llvm::raw_ostream &os,
                                 bool terminal, double interval)
    : tool(tool.str()), os(os), terminal(terminal), interval(interval),
      start(Clock::now()), lastPrinted(start) {}

void ProgressPrinter::operator()(const llvm::Twine &line) {
  if (quiet)
    return;
  Clock::time_point now = Clock::now();
  auto seconds = [](Clock::duration d) {
    return std::chrono::duration<double>(d).count();
  };
  if (!terminal && seconds(now - lastPrinted) < interval)
    return;
  lastPrinted = now;
  os << "[" << tool << " " << llvm::format("%.1f", seconds(now - start))
     << " s] " << line << "\n";
  os.flush();
}
