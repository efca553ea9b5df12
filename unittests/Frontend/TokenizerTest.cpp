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

/// A small SentencePiece-style tokenizer.json; `extra` is spliced into its
/// root object, `model` into its model object.
std::string tokenizerJSON(const std::string &extra = "",
                          const std::string &model = "") {
  return R"({"added_tokens": [{"id": 0, "content": "<unk>"},
                              {"id": 1, "content": "<s>"},
                              {"id": 2, "content": "</s>"}],)" +
         extra + R"("model": {"type": "BPE", "byte_fallback": true,)" + model +
         R"("vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3,
                      "a": 4, "b": 5, "ab": 6, "\u2581ab": 7},
            "merges": ["a b", ["\u2581", "ab"]]}})";
}

std::string convertError(const std::string &json) {
  llvm::Expected<std::string> t = convertTokenizerJSON(json, "t.json");
  EXPECT_FALSE(static_cast<bool>(t));
  return t ? "" : llvm::toString(t.takeError());
}

// Both merge spellings; the metaspace becomes ' '; a merge's rank orders
// its piece.
TEST(TokenizerJSON, ConvertsSentencePieceBPE) {
  llvm::Expected<std::string> bytes =
      convertTokenizerJSON(tokenizerJSON(), "t.json");
  ASSERT_TRUE(static_cast<bool>(bytes)) << llvm::toString(bytes.takeError());
  llvm::Expected<Tokenizer> t = Tokenizer::parse(*bytes, 8, "t.json");
  ASSERT_TRUE(static_cast<bool>(t));
  EXPECT_EQ(t->piece(3), " ");
  EXPECT_EQ(t->piece(7), " ab");
  EXPECT_EQ(t->scoreList()[6], 0.0f);   // "ab": merge 0
  EXPECT_EQ(t->scoreList()[7], -1.0f);  // " ab": merge 1
  EXPECT_LT(t->scoreList()[4], -1e20f); // "a": made by no merge
  EXPECT_EQ(t->encode("ab ab"), (std::vector<int32_t>{1, 7, 7}));
  EXPECT_EQ(t->encode("ba", false), (std::vector<int32_t>{3, 5, 4}));
}

TEST(TokenizerJSON, RefusesWhatItDoesNotRead) {
  EXPECT_NE(convertError("[]").find("no \"model\" object"), std::string::npos);
  EXPECT_NE(convertError(tokenizerJSON(
                             R"("pre_tokenizer": {"type": "Sequence",
                                 "pretokenizers": [{"type": "ByteLevel"}]},)"))
                .find("byte-level BPE (GPT-2, Llama 3, SmolLM) is not "
                      "supported yet"),
            std::string::npos);
  std::string unigram = tokenizerJSON();
  unigram.replace(unigram.find("\"BPE\""), 5, "\"Unigram\"");
  EXPECT_NE(convertError(unigram).find("model type 'Unigram' is not supported"),
            std::string::npos);
  std::string noFallback = tokenizerJSON();
  noFallback.replace(noFallback.find("true"), 4, "false");
  EXPECT_NE(convertError(noFallback).find("without byte_fallback"),
            std::string::npos);
  std::string gap = tokenizerJSON();
  gap.replace(gap.find("\"b\": 5"), 6, "\"b\": 9");
  EXPECT_NE(convertError(gap).find("no token has id 5"), std::string::npos);
  std::string badMerge = tokenizerJSON();
  badMerge.replace(badMerge.find("\"a b\""), 5, "\"b a\"");
  EXPECT_NE(convertError(badMerge).find("merge 0 ('b', 'a') makes no piece"),
            std::string::npos);
  std::string specials = tokenizerJSON();
  specials.replace(specials.find("\"<s>\": 1"), 8, "\"<s>\": 6");
  EXPECT_NE(convertError(specials).find("is both"), std::string::npos);
}

} // namespace
