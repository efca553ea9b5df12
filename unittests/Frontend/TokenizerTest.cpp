//===- TokenizerTest.cpp - The llama2.c tokenizer -------------------------===//

#include "mxc/Frontend/Tokenizer.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

using namespace mxc::frontend;

namespace {

const char *kTokenizer = MXC_SHARED_DIR "/models/stories260K/tok512.bin";

class SharedTokenizer : public ::testing::Test {
protected:
  void SetUp() override {
    if (!llvm::sys::fs::exists(kTokenizer))
      GTEST_SKIP() << "no shared tokenizer at " << kTokenizer;
    auto t = Tokenizer::load(kTokenizer, 512);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    tokenizer = std::make_unique<Tokenizer>(std::move(*t));
  }
  std::string roundTrip(llvm::StringRef text) {
    std::vector<int32_t> ids = tokenizer->encode(text);
    std::string out;
    for (size_t i = 1; i < ids.size(); ++i)
      out += tokenizer->decode(ids[i - 1], ids[i]);
    return out;
  }
  std::unique_ptr<Tokenizer> tokenizer;
};

// DATA.md's check: "Once upon a time" -> [1, 403, 407, 261, 378].
TEST_F(SharedTokenizer, Golden) {
  EXPECT_EQ(tokenizer->encode("Once upon a time"),
            (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tokenizer->encode(""), (std::vector<int32_t>{1}));
  EXPECT_EQ(tokenizer->encode("", /*bos=*/false), std::vector<int32_t>{});
}

TEST_F(SharedTokenizer, RoundTrips) {
  for (const char *text :
       {"Once upon a time, there was a little girl named Lily.",
        "Tom said, \"Look!\"\n\nThe end.", "Zebra & caf\xc3\xa9 \xe2\x9c\x93"})
    EXPECT_EQ(roundTrip(text), text);
}

TEST(Tokenizer, Errors) {
  auto missing = Tokenizer::load("/nonexistent/tok.bin", 512);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot open tokenizer"),
            std::string::npos);
  if (!llvm::sys::fs::exists(kTokenizer))
    return;
  // More pieces than the file has.
  auto truncated = Tokenizer::load(kTokenizer, 100000);
  ASSERT_FALSE(static_cast<bool>(truncated));
  EXPECT_NE(llvm::toString(truncated.takeError()).find("truncated tokenizer"),
            std::string::npos);
}

} // namespace
