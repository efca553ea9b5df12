//===- TokenizerTest.cpp - SentencePiece-style and byte-level BPE ---------===//

#include "mxc/Frontend/Tokenizer.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"

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
                .find("byte-level BPE needs the ByteLevel decoder"),
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

using Chunks = std::vector<std::string>;

Chunks split(llvm::StringRef text, ByteLevelSplit how) {
  Chunks out;
  for (llvm::StringRef chunk : splitByteLevel(text, how))
    out.push_back(chunk.str());
  return out;
}

// The chunks below are derived by hand from the expressions (the comments
// name the alternative that matches), not from the code.
TEST(ByteLevel, SplitsAsGPT2) {
  auto gpt2 = [](llvm::StringRef t) { return split(t, ByteLevelSplit::GPT2); };
  // Contractions are lower-case only: "'" alone before "LL".
  EXPECT_EQ(gpt2("I'LL don't 'Twas"),
            (Chunks{"I", "'", "LL", " don", "'t", " '", "Twas"}));
  // A whitespace run gives its last space to the next word (\s+(?!\S));
  // one whitespace before a non-space stands alone (\s+); at the end the
  // run stays whole.
  EXPECT_EQ(gpt2("a  b\t\tc  \n"),
            (Chunks{"a", " ", " b", "\t", "\t", "c", "  \n"}));
  EXPECT_EQ(gpt2("x\n\n  y"), (Chunks{"x", "\n\n ", " y"}));
  EXPECT_EQ(gpt2("end.\n\nNext"), (Chunks{"end", ".", "\n", "\n", "Next"}));
  // Digits in one run with their space; punctuation runs.
  EXPECT_EQ(gpt2("12345 3.14 (hi)!?"),
            (Chunks{"12345", " 3", ".", "14", " (", "hi", ")!?"}));
  // Letters of every script (é, CJK, Greek), numbers of others (Arabic-
  // Indic digits Nd, ½ No), emoji are neither.
  EXPECT_EQ(gpt2("Café 東京 Ελλάδα ٣٤٥½ 🐶🐱!"),
            (Chunks{"Café", " 東京", " Ελλάδα", " ٣٤٥½", " 🐶🐱!"}));
  EXPECT_EQ(gpt2(""), Chunks{});
}

TEST(ByteLevel, SplitsAsLlama3) {
  auto llama3 = [](llvm::StringRef t) {
    return split(t, ByteLevelSplit::Llama3);
  };
  // Contractions in any case; a letter run takes one leading non-letter.
  EXPECT_EQ(llama3("I'LL don't 'Twas (hi)"),
            (Chunks{"I", "'LL", " don", "'t", " '", "Twas", " (", "hi", ")"}));
  EXPECT_EQ(llama3("'Twas"), (Chunks{"'T", "was"}));
  EXPECT_EQ(llama3("(hello)"), (Chunks{"(hello", ")"}));
  // A tab before a letter joins it; newlines end a whitespace chunk
  // (\s*[\r\n]+) and follow punctuation ([\r\n]*).
  EXPECT_EQ(llama3("a  b\t\tc  \n"),
            (Chunks{"a", " ", " b", "\t", "\tc", "  \n"}));
  EXPECT_EQ(llama3("x\n\n  y"), (Chunks{"x", "\n\n", " ", " y"}));
  EXPECT_EQ(llama3("end.\n\nNext"), (Chunks{"end", ".\n\n", "Next"}));
  // Digits in threes, never with a space.
  EXPECT_EQ(llama3("12345 3.14"), (Chunks{"123", "45", " ", "3", ".", "14"}));
  EXPECT_EQ(llama3("Café 東京 🐶🐱!"), (Chunks{"Café", " 東京", " 🐶🐱!"}));
}

TEST(ByteLevel, SplitsDigitsAloneAsSmolLM) {
  EXPECT_EQ(split("ab12 3.4x  ", ByteLevelSplit::GPT2Digits),
            (Chunks{"ab", "1", "2", " ", "3", ".", "4", "x", "  "}));
}

// GPT-2's byte spelling: printable Latin-1 as itself, the rest from U+0100.
TEST(ByteLevel, SpellsBytesAsGPT2) {
  EXPECT_EQ(spellByteLevel("a~"), "a~");
  EXPECT_EQ(spellByteLevel(" "), "\u0120");    // Ġ: byte 32 is the 33rd
  EXPECT_EQ(spellByteLevel("\n"), "\u010A");   // Ċ
  EXPECT_EQ(spellByteLevel("\xAD"), "\u0143"); // Ń: the 68th, last
  EXPECT_EQ(spellByteLevel("\xFF"), "\u00FF");
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  EXPECT_EQ(unspellByteLevel(spellByteLevel(all)), all);
  EXPECT_EQ(unspellByteLevel("\u0144"), std::nullopt); // past the 256
  EXPECT_EQ(unspellByteLevel("\xff"), std::nullopt);   // not UTF-8
}

/// Bytes 0..255 as tokens 0..255, then `extra` tokens made by `merges`.
ByteLevelVocabulary
byteVocabulary(std::vector<std::string> extra,
               std::vector<std::pair<std::string, std::string>> merges) {
  ByteLevelVocabulary v;
  for (int b = 0; b < 256; ++b)
    v.pieces.push_back(std::string(1, static_cast<char>(b)));
  llvm::append_range(v.pieces, extra);
  v.special.assign(v.pieces.size(), false);
  auto id = [&](const std::string &piece) {
    return static_cast<int32_t>(llvm::find(v.pieces, piece) - v.pieces.begin());
  };
  for (auto &[left, right] : merges)
    v.merges.emplace_back(id(left), id(right));
  return v;
}

Tokenizer parseVocabulary(const ByteLevelVocabulary &v) {
  llvm::Expected<Tokenizer> t = Tokenizer::parse(serializeByteLevelTokenizer(v),
                                                 v.pieces.size(), "bl.bin");
  EXPECT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  return std::move(*t);
}

// The lowest rank merges first, whatever its place; the leftmost among
// equal ranks.
TEST(ByteLevel, MergesByRank) {
  // 256 "bc", 257 "ab", 258 "abc" = a + bc; 259 "aa".
  Tokenizer t = parseVocabulary(
      byteVocabulary({"bc", "ab", "abc", "aa"},
                     {{"b", "c"}, {"a", "b"}, {"a", "bc"}, {"a", "a"}}));
  EXPECT_TRUE(t.isByteLevel());
  EXPECT_EQ(t.encode("abc", false), (std::vector<int32_t>{258}));
  EXPECT_EQ(t.encode("ab", false), (std::vector<int32_t>{257}));
  EXPECT_EQ(t.encode("aaa", false), (std::vector<int32_t>{259, 'a'}));
  // The space leads the second word's chunk (" abc"), but no merge joins
  // " " to "a": it stays a token of its own.
  EXPECT_EQ(t.encode("abc abc", false), (std::vector<int32_t>{258, ' ', 258}));
  // No BOS unless the vocabulary adds one.
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{257}));
}

TEST(ByteLevel, IgnoreMergesTakesWholeWords) {
  ByteLevelVocabulary v = byteVocabulary({"xyz"}, {});
  EXPECT_EQ(parseVocabulary(v).encode("xyz", false),
            (std::vector<int32_t>{'x', 'y', 'z'}));
  v.ignoreMerges = true;
  EXPECT_EQ(parseVocabulary(v).encode("xyz", false),
            (std::vector<int32_t>{256}));
}

// Bytes out as they came in, whatever UTF-8 sequences tokens split; BOS
// and the window start; the stop tokens.
TEST(ByteLevel, DecodesBytesAndKnowsItsSpecials) {
  ByteLevelVocabulary v =
      byteVocabulary({"\xC3\xA9", "<|bos|>", "<|eos|>"}, {{"\xC3", "\xA9"}});
  v.special[257] = v.special[258] = true;
  v.bos = 257;
  v.eos = 258;
  v.addBos = true;
  Tokenizer t = parseVocabulary(v);
  std::string text = "Caf\xC3\xA9 \xF0\x9F\x90\xB6 <|eos|>";
  std::vector<int32_t> ids = t.encode(text);
  EXPECT_EQ(ids.front(), 257);
  EXPECT_TRUE(llvm::is_contained(ids, 256));  // é merged
  EXPECT_FALSE(llvm::is_contained(ids, 258)); // special text stays text
  std::string out;
  for (size_t i = 1; i < ids.size(); ++i)
    out += t.decode(ids[i - 1], ids[i]);
  EXPECT_EQ(out, text);
  EXPECT_EQ(t.documentStart(), 257);
  EXPECT_EQ(t.stopTokens(), (std::vector<int32_t>{257, 258}));
  v.bos = -1;
  v.addBos = false;
  EXPECT_EQ(parseVocabulary(v).documentStart(), 258); // GPT-2: EOS
}

std::string parseError(const std::string &bytes, int64_t vocab) {
  llvm::Expected<Tokenizer> t = Tokenizer::parse(bytes, vocab, "bl.bin");
  EXPECT_FALSE(static_cast<bool>(t));
  return t ? "" : llvm::toString(t.takeError());
}

TEST(ByteLevel, RefusesBrokenFiles) {
  ByteLevelVocabulary v = byteVocabulary({"ab"}, {{"a", "b"}});
  std::string good = serializeByteLevelTokenizer(v);
  EXPECT_NE(parseError(good, 100).find("257 tokens for a model of 100"),
            std::string::npos);
  EXPECT_NE(parseError(good.substr(0, good.size() - 3), 257)
                .find("truncated after 0 merges"),
            std::string::npos);
  EXPECT_NE(parseError(good + "x", 257).find("trailing bytes"),
            std::string::npos);
  ByteLevelVocabulary noByte = v;
  noByte.pieces[7] = "zz";
  EXPECT_NE(parseError(serializeByteLevelTokenizer(noByte), 257)
                .find("byte 07 has no token"),
            std::string::npos);
  ByteLevelVocabulary badMerge = v;
  badMerge.merges = {{'b', 'a'}};
  EXPECT_NE(parseError(serializeByteLevelTokenizer(badMerge), 257)
                .find("merge 0 makes no token"),
            std::string::npos);
  ByteLevelVocabulary bos = v;
  bos.addBos = true;
  EXPECT_NE(parseError(serializeByteLevelTokenizer(bos), 257)
                .find("it adds BOS but has none"),
            std::string::npos);
}

/// A small byte-level tokenizer.json: every byte spelled, merges "a b" and
/// "Ġ ab"; `pre` is its pre-tokenizer.
std::string byteLevelJSON(const std::string &pre,
                          const std::string &extra = "") {
  std::string vocab;
  for (int b = 0; b < 256; ++b) {
    llvm::json::Value spelled(spellByteLevel(std::string(1, char(b))));
    std::string key;
    llvm::raw_string_ostream(key) << spelled;
    vocab += key + ": " + std::to_string(b) + ", ";
  }
  return R"({"added_tokens": [{"id": 259, "content": "<|endoftext|>"}],
             "normalizer": null, "pre_tokenizer": )" +
         pre + R"(, "decoder": {"type": "ByteLevel"},)" + extra +
         R"("model": {"type": "BPE", "vocab": {)" + vocab +
         R"("ab": 256, "\u0120ab": 257, "\u0120abab": 258,
            "<|endoftext|>": 259},
            "merges": ["a b", ["\u0120", "ab"], "\u0120ab ab"]}})";
}

TEST(TokenizerJSON, ConvertsByteLevelBPE) {
  llvm::Expected<std::string> bytes = convertTokenizerJSON(
      byteLevelJSON(R"({"type": "ByteLevel", "use_regex": true})"), "t.json");
  ASSERT_TRUE(static_cast<bool>(bytes)) << llvm::toString(bytes.takeError());
  llvm::Expected<Tokenizer> t = Tokenizer::parse(*bytes, 260, "t.json");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  ASSERT_TRUE(t->isByteLevel());
  const ByteLevelVocabulary &v = t->byteLevelVocabulary();
  EXPECT_EQ(v.split, ByteLevelSplit::GPT2);
  EXPECT_EQ(t->piece(257), " ab"); // "Ġab" unspelled
  EXPECT_TRUE(v.special[259]);
  EXPECT_EQ(v.eos, 259);
  EXPECT_EQ(v.bos, -1);
  EXPECT_FALSE(v.addBos);
  // " ab" + "ab" merge inside one chunk (" abab"), not across chunks.
  EXPECT_EQ(t->encode("ab abab ab", true),
            (std::vector<int32_t>{256, 258, 257}));

  // Llama 3's layout: Split with its expression, a BOS template.
  std::string llama3 = byteLevelJSON(
      R"({"type": "Sequence", "pretokenizers": [
           {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
            "behavior": "Isolated", "invert": false},
           {"type": "ByteLevel", "use_regex": false}]})",
      R"("post_processor": {"type": "TemplateProcessing", "single": [
           {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
           {"Sequence": {"id": "A", "type_id": 0}}]},)");
  bytes = convertTokenizerJSON(llama3, "t.json");
  ASSERT_TRUE(static_cast<bool>(bytes)) << llvm::toString(bytes.takeError());
  t = Tokenizer::parse(*bytes, 260, "t.json");
  ASSERT_TRUE(static_cast<bool>(t));
  EXPECT_EQ(t->byteLevelVocabulary().split, ByteLevelSplit::Llama3);
  EXPECT_EQ(t->encode("ab"), (std::vector<int32_t>{259, 256}));
}

TEST(TokenizerJSON, RefusesByteLevelItDoesNotRead) {
  EXPECT_NE(convertError(byteLevelJSON(R"({"type": "ByteLevel",
                                           "add_prefix_space": true})"))
                .find("add_prefix_space is not supported"),
            std::string::npos);
  EXPECT_NE(
      convertError(
          byteLevelJSON(R"({"type": "Split", "pattern": {"Regex": "\\s+"}})"))
          .find("the Split pre-tokenizer's pattern '\\s+' is not "
                "supported (mxc knows GPT-2's and Llama 3's)"),
      std::string::npos);
  EXPECT_NE(convertError(byteLevelJSON(R"({"type": "Metaspace"})"))
                .find("the pre-tokenizer 'Metaspace' is not supported with "
                      "byte-level BPE"),
            std::string::npos);
  std::string normalized = byteLevelJSON(R"({"type": "ByteLevel"})");
  normalized.replace(normalized.find("\"normalizer\": null"), 18,
                     "\"normalizer\": {\"type\": \"NFC\"}");
  EXPECT_NE(convertError(normalized).find("a normalizer with byte-level BPE"),
            std::string::npos);
  std::string unspelled = byteLevelJSON(R"({"type": "ByteLevel"})");
  unspelled.replace(unspelled.find("\"ab\": 256"), 9, "\"a\u0200\": 256");
  EXPECT_NE(convertError(unspelled).find("is not spelled in GPT-2's bytes"),
            std::string::npos);
}

} // namespace
