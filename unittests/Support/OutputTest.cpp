//===- OutputTest.cpp - Output files are written whole or not at all ------===//

#include "mxc/Support/Output.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace mxc;

namespace {

/// A fresh directory of this process.
std::string tempDir() {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("mxc-output-test", dir));
  return std::string(dir);
}

std::string contents(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "<missing>";
}

/// The names in `dir`.
std::vector<std::string> listing(const std::string &dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

llvm::Error text(llvm::raw_fd_ostream &os, const char *s) {
  os << s;
  return llvm::Error::success();
}

TEST(Output, WritesAndReplaces) {
  std::string dir = tempDir(), path = dir + "/out.bin";
  ASSERT_FALSE(static_cast<bool>(writeFileAtomically(
      path, [](llvm::raw_fd_ostream &os) { return text(os, "first"); })));
  EXPECT_EQ(contents(path), "first");
  ASSERT_FALSE(static_cast<bool>(writeFileAtomically(
      path, [](llvm::raw_fd_ostream &os) { return text(os, "second"); })));
  EXPECT_EQ(contents(path), "second");
  EXPECT_EQ(listing(dir), std::vector<std::string>{"out.bin"});
}

// A writer that fails half-way leaves the previous file and no temporary.
TEST(Output, FailureKeepsThePreviousFile) {
  std::string dir = tempDir(), path = dir + "/model.mxc";
  ASSERT_FALSE(static_cast<bool>(writeFileAtomically(
      path, [](llvm::raw_fd_ostream &os) { return text(os, "good model"); })));
  llvm::Error e = writeFileAtomically(path, [](llvm::raw_fd_ostream &os) {
    os << "half a model";
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the writer failed");
  });
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_EQ(llvm::toString(std::move(e)), "the writer failed");
  EXPECT_EQ(contents(path), "good model");
  EXPECT_EQ(listing(dir), std::vector<std::string>{"model.mxc"});
}

// A write error of the device (a full disk) is an error naming the file, not
// an abort in the stream's destructor.
TEST(Output, DeviceErrorsNameTheFile) {
  if (!llvm::sys::fs::exists("/dev/full"))
    GTEST_SKIP() << "no /dev/full";
  llvm::Error e =
      writeFileAtomically("/dev/full", [](llvm::raw_fd_ostream &os) {
        for (int i = 0; i < 100000; ++i)
          os << "0123456789";
        return llvm::Error::success();
      });
  ASSERT_TRUE(static_cast<bool>(e));
  std::string message = llvm::toString(std::move(e));
  EXPECT_NE(message.find("cannot write '/dev/full'"), std::string::npos)
      << message;
}

TEST(Output, UnwritableDirectoryIsNamed) {
  std::string path = tempDir() + "/missing/dir/out.bin";
  llvm::Error e = writeFileAtomically(
      path, [](llvm::raw_fd_ostream &os) { return text(os, "x"); });
  ASSERT_TRUE(static_cast<bool>(e));
  std::string message = llvm::toString(std::move(e));
  EXPECT_NE(message.find("cannot write '" + path + "'"), std::string::npos)
      << message;
}

TEST(Output, OutputsMustBeDistinct) {
  std::string dir = tempDir(), model = dir + "/model.bin";
  ASSERT_FALSE(static_cast<bool>(writeFileAtomically(
      model, [](llvm::raw_fd_ostream &os) { return text(os, "weights"); })));
  auto message = [](llvm::Error e) {
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  // Two outputs, spelled differently.
  EXPECT_EQ(
      message(checkOutputsDistinct(
          {{"-o", dir + "/out.mxc"}, {"--report-json", dir + "/./out.mxc"}},
          {})),
      "-o and --report-json name the same file '" + dir + "/out.mxc'");
  // An output over an input.
  EXPECT_NE(
      message(checkOutputsDistinct({{"-o", model}}, {{"the model", model}}))
          .find("is also the model"),
      std::string::npos);
  // Inputs may repeat each other; stdout and empty paths do not count.
  EXPECT_EQ(message(checkOutputsDistinct(
                {{"-o", "-"}, {"--report-json", ""}},
                {{"--calibrate", model}, {"--eval", model}})),
            "");
}

} // namespace
