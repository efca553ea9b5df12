//===- ProgressTest.cpp - Progress lines on and off a terminal ------------===//

#include "mxc/Support/Progress.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <thread>

using namespace mxc;

namespace {

int lines(const std::string &text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Progress, EveryLineOnATerminal) {
  std::string out;
  llvm::raw_string_ostream os(out);
  ProgressPrinter p("tool", os, /*terminal=*/true);
  p("loading");
  p("window 1");
  EXPECT_EQ(lines(out), 2);
  EXPECT_EQ(out.rfind("[tool ", 0), 0u);
  EXPECT_NE(out.find(" s] loading\n"), std::string::npos);
}

TEST(Progress, OffATerminalAtMostOnePerInterval) {
  std::string out;
  llvm::raw_string_ostream os(out);
  ProgressPrinter p("tool", os, /*terminal=*/false, /*interval=*/0.2);
  // Short work prints nothing.
  p("loading");
  p("window 1");
  EXPECT_EQ(out, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  p("window 2");
  p("window 3");
  EXPECT_EQ(lines(out), 1);
  EXPECT_NE(out.find("] window 2\n"), std::string::npos);
}

TEST(Progress, QuietPrintsNothing) {
  std::string out;
  llvm::raw_string_ostream os(out);
  ProgressPrinter p("tool", os, /*terminal=*/true);
  p.setQuiet(true);
  p("loading");
  EXPECT_EQ(out, "");
}

} // namespace
