//===- Progress.h - Progress lines of long work on stderr -------*- C++ -*-===//
//
// What a tool prints while it works: on a terminal every stage and step as
// it comes, with the time since the start; off a terminal (a log, CI) a line
// at most every `interval` seconds, so that long work is never silent and
// short work prints nothing; nothing when quiet.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_SUPPORT_PROGRESS_H
#define MXC_SUPPORT_PROGRESS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>

namespace mxc {

class ProgressPrinter {
public:
  /// Lines go to `os` as "[tool 1.2 s] stage"; `terminal` says whether `os`
  /// is one.
  ProgressPrinter(llvm::StringRef tool, llvm::raw_ostream &os, bool terminal,
                  double interval = 10);

  void setQuiet(bool q) { quiet = q; }
  void operator()(const llvm::Twine &line);

private:
  using Clock = std::chrono::steady_clock;
  std::string tool;
  llvm::raw_ostream &os;
  bool terminal, quiet = false;
  double interval;
  Clock::time_point start, lastPrinted;
};

} // namespace mxc

#endif // MXC_SUPPORT_PROGRESS_H
