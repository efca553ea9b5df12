//===- ByteLevel.cpp - Byte-level BPE (GPT-2, Llama 3, SmolLM) ------------===//
//
// The byte-level half of the Tokenizer: GPT-2's byte spelling, the two
// pre-tokenizer expressions (matched by hand, as llama.cpp does, on ICU's
// Unicode categories), merges by rank, and mxc's file of the vocabulary.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Tokenizer.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"

#include <unicode/uchar.h>

#include <cstring>

using namespace mxc::frontend;

namespace {

llvm::Error error(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

/// GPT-2's bytes_to_unicode: printable Latin-1 bytes ('!'..'~', '¡'..'¬',
/// '®'..'ÿ') spell themselves, the other 68 take U+0100 on in byte order.
struct ByteSpelling {
  char32_t ofByte[256];
  llvm::DenseMap<char32_t, uint8_t> byteOf;
  ByteSpelling() {
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      ofByte[b] = printable ? b : 0x100 + next++;
      byteOf[ofByte[b]] = b;
    }
  }
};

const ByteSpelling &byteSpelling() {
  static const ByteSpelling spelling;
  return spelling;
}

void appendUTF8(char32_t c, std::string &out) {
  char buffer[4];
  char *end = buffer;
  llvm::ConvertCodePointToUTF8(c, end);
  out.append(buffer, end);
}

/// The code point at `text[at]` and its length in bytes; an invalid byte is
/// itself (as U+FFFD's category: other) with length 1.
std::pair<char32_t, unsigned> codePointAt(llvm::StringRef text, size_t at) {
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(text.data() + at);
  unsigned length = llvm::getNumBytesForUTF8(*begin);
  if (at + length > text.size() ||
      !llvm::isLegalUTF8Sequence(begin, begin + length))
    return {0xFFFD, 1};
  llvm::UTF32 c;
  const llvm::UTF8 *source = begin;
  llvm::UTF32 *target = &c;
  if (llvm::ConvertUTF8toUTF32(&source, source + length, &target, target + 1,
                               llvm::strictConversion) != llvm::conversionOK)
    return {0xFFFD, 1};
  return {c, length};
}

/// The classes the pre-tokenizer expressions test: \s (White_Space), \p{L},
/// \p{N}, and everything else.
enum class CharClass : uint8_t { Space, Letter, Number, Other };

CharClass classify(char32_t c) {
  if (u_isUWhiteSpace(c))
    return CharClass::Space;
  switch (u_charType(c)) {
  case U_UPPERCASE_LETTER:
  case U_LOWERCASE_LETTER:
  case U_TITLECASE_LETTER:
  case U_MODIFIER_LETTER:
  case U_OTHER_LETTER:
    return CharClass::Letter;
  case U_DECIMAL_DIGIT_NUMBER:
  case U_LETTER_NUMBER:
  case U_OTHER_NUMBER:
    return CharClass::Number;
  default:
    return CharClass::Other;
  }
}

/// A text as code points with their classes and byte offsets.
struct CodePoints {
  std::vector<char32_t> cp;
  std::vector<CharClass> cls;
  std::vector<size_t> offset; ///< one more than cp: the text's end last
  explicit CodePoints(llvm::StringRef text) {
    for (size_t at = 0; at < text.size();) {
      auto [c, length] = codePointAt(text, at);
      cp.push_back(c);
      cls.push_back(classify(c));
      offset.push_back(at);
      at += length;
    }
    offset.push_back(text.size());
  }
  size_t size() const { return cp.size(); }
};

char32_t asciiLower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/// The length of the contraction ('s 't 're 've 'm 'll 'd) at `i`, or 0.
size_t contractionAt(const CodePoints &t, size_t i, bool anyCase) {
  if (t.cp[i] != '\'' || i + 1 >= t.size())
    return 0;
  auto at = [&](size_t k) -> char32_t {
    if (k >= t.size())
      return 0;
    return anyCase ? asciiLower(t.cp[k]) : t.cp[k];
  };
  char32_t a = at(i + 1), b = at(i + 2);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/// Where a run of class `c` that starts at `i` ends, at most `limit` long.
size_t runEnd(const CodePoints &t, size_t i, CharClass c,
              size_t limit = SIZE_MAX) {
  size_t k = i;
  while (k < t.size() && t.cls[k] == c && k - i < limit)
    ++k;
  return k;
}

/// `\s+(?!\S)|\s+` at `i` (a whitespace code point): a run of whitespace,
/// less its last code point when a non-space follows and the run is longer
/// than one (that one then leads the next chunk).
size_t spaceEnd(const CodePoints &t, size_t i) {
  size_t k = runEnd(t, i, CharClass::Space);
  return k < t.size() && k - i >= 2 ? k - 1 : k;
}

/// GPT-2's expression at `i`: the end of the chunk that starts there.
size_t gpt2ChunkEnd(const CodePoints &t, size_t i) {
  if (size_t n = contractionAt(t, i, /*anyCase=*/false))
    return i + n;
  // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`
  size_t j = i + (t.cp[i] == ' ' ? 1 : 0);
  if (j < t.size() && t.cls[j] != CharClass::Space)
    return runEnd(t, j, t.cls[j]);
  return spaceEnd(t, i);
}

bool isNewline(char32_t c) { return c == '\r' || c == '\n'; }

/// Llama 3's expression at `i`.
size_t llama3ChunkEnd(const CodePoints &t, size_t i) {
  if (size_t n = contractionAt(t, i, /*anyCase=*/true))
    return i + n;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (t.cls[i] != CharClass::Letter && t.cls[i] != CharClass::Number &&
      !isNewline(t.cp[i]) && i + 1 < t.size() &&
      t.cls[i + 1] == CharClass::Letter)
    return runEnd(t, i + 1, CharClass::Letter);
  if (t.cls[i] == CharClass::Letter)
    return runEnd(t, i, CharClass::Letter);
  // \p{N}{1,3}
  if (t.cls[i] == CharClass::Number)
    return runEnd(t, i, CharClass::Number, 3);
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  size_t j = i + (t.cp[i] == ' ' ? 1 : 0);
  if (j < t.size() && t.cls[j] == CharClass::Other) {
    size_t k = runEnd(t, j, CharClass::Other);
    while (k < t.size() && isNewline(t.cp[k]))
      ++k;
    return k;
  }
  // \s*[\r\n]+ : up to the run's last newline.
  size_t k = runEnd(t, i, CharClass::Space);
  for (size_t m = k; m > i; --m)
    if (isNewline(t.cp[m - 1]))
      return m;
  return spaceEnd(t, i);
}

constexpr llvm::StringLiteral kMagic = "MXCBBPE1";

} // namespace

std::string mxc::frontend::spellByteLevel(llvm::StringRef bytes) {
  std::string out;
  for (unsigned char b : bytes)
    appendUTF8(byteSpelling().ofByte[b], out);
  return out;
}

std::optional<std::string>
mxc::frontend::unspellByteLevel(llvm::StringRef spelled) {
  std::string out;
  for (size_t at = 0; at < spelled.size();) {
    auto [c, length] = codePointAt(spelled, at);
    auto it = byteSpelling().byteOf.find(c);
    if (it == byteSpelling().byteOf.end())
      return std::nullopt;
    out += static_cast<char>(it->second);
    at += length;
  }
  return out;
}

std::vector<llvm::StringRef>
mxc::frontend::splitByteLevel(llvm::StringRef text, ByteLevelSplit split) {
  std::vector<llvm::StringRef> chunks;
  if (split == ByteLevelSplit::GPT2Digits) {
    // Each number code point alone; GPT-2's expression between them.
    CodePoints t(text);
    size_t begin = 0;
    for (size_t i = 0; i <= t.size(); ++i) {
      if (i < t.size() && t.cls[i] != CharClass::Number)
        continue;
      llvm::append_range(
          chunks, splitByteLevel(text.slice(t.offset[begin], t.offset[i]),
                                 ByteLevelSplit::GPT2));
      if (i < t.size())
        chunks.push_back(text.slice(t.offset[i], t.offset[i + 1]));
      begin = i + 1;
    }
    return chunks;
  }
  CodePoints t(text);
  for (size_t i = 0; i < t.size();) {
    size_t end = split == ByteLevelSplit::GPT2 ? gpt2ChunkEnd(t, i)
                                               : llama3ChunkEnd(t, i);
    chunks.push_back(text.slice(t.offset[i], t.offset[end]));
    i = end;
  }
  return chunks;
}

std::string
mxc::frontend::serializeByteLevelTokenizer(const ByteLevelVocabulary &v) {
  std::string out(kMagic);
  auto put = [&](int32_t x) { out.append(reinterpret_cast<char *>(&x), 4); };
  put(static_cast<int32_t>(v.split));
  put((v.ignoreMerges ? 1 : 0) | (v.addBos ? 2 : 0));
  put(v.bos);
  put(v.eos);
  put(static_cast<int32_t>(v.pieces.size()));
  put(static_cast<int32_t>(v.merges.size()));
  for (auto [i, piece] : llvm::enumerate(v.pieces)) {
    out += static_cast<char>(v.special[i] ? 1 : 0);
    put(static_cast<int32_t>(piece.size()));
    out += piece;
  }
  for (auto [left, right] : v.merges) {
    put(left);
    put(right);
  }
  return out;
}

bool Tokenizer::isByteLevelFile(llvm::StringRef bytes) {
  return bytes.starts_with(kMagic);
}

llvm::Expected<Tokenizer> Tokenizer::parseByteLevel(llvm::StringRef bytes,
                                                    int64_t vocab,
                                                    llvm::StringRef path) {
  size_t at = kMagic.size();
  auto bad = [&](const llvm::Twine &what) {
    return error(path + ": byte-level tokenizer: " + what);
  };
  auto get = [&](int32_t &x) {
    if (at + 4 > bytes.size())
      return false;
    std::memcpy(&x, bytes.data() + at, 4);
    at += 4;
    return true;
  };
  int32_t split, flags, count, mergeCount;
  ByteLevelVocabulary v;
  if (!get(split) || !get(flags) || !get(v.bos) || !get(v.eos) || !get(count) ||
      !get(mergeCount))
    return bad("truncated header");
  if (split < 0 || split > 2)
    return bad("unknown pre-tokenizer " + llvm::Twine(split));
  v.split = static_cast<ByteLevelSplit>(split);
  v.ignoreMerges = flags & 1;
  v.addBos = flags & 2;
  if (count <= 0 || count > vocab)
    return bad(llvm::Twine(count) + " tokens for a model of " +
               llvm::Twine(vocab));
  if (mergeCount < 0)
    return bad("a negative merge count");
  for (int32_t id : {v.bos, v.eos})
    if (id < -1 || id >= count)
      return bad("BOS/EOS id " + llvm::Twine(id) + " is not a token");
  if (v.addBos && v.bos < 0)
    return bad("it adds BOS but has none");
  Tokenizer t;
  for (int32_t i = 0; i < count; ++i) {
    int32_t length;
    if (at + 1 > bytes.size())
      return bad("truncated after " + llvm::Twine(i) + " tokens");
    bool special = bytes[at++] != 0;
    if (!get(length) || length < 0 || at + length > bytes.size())
      return bad("truncated after " + llvm::Twine(i) + " tokens");
    v.pieces.emplace_back(bytes.data() + at, length);
    v.special.push_back(special);
    at += length;
    if (!special)
      t.ids.try_emplace(v.pieces.back(), i);
  }
  for (int b = 0; b < 256; ++b) {
    auto it = t.ids.find(llvm::StringRef(std::string(1, static_cast<char>(b))));
    if (it == t.ids.end())
      return bad(llvm::formatv("byte {0:x-2} has no token", b).str());
    t.byteIds[b] = it->second;
  }
  for (int32_t rank = 0; rank < mergeCount; ++rank) {
    int32_t left, right;
    if (!get(left) || !get(right))
      return bad("truncated after " + llvm::Twine(rank) + " merges");
    if (left < 0 || left >= count || right < 0 || right >= count)
      return bad("merge " + llvm::Twine(rank) + " names no token");
    auto it = t.ids.find(v.pieces[left] + v.pieces[right]);
    if (it == t.ids.end())
      return bad("merge " + llvm::Twine(rank) + " makes no token");
    uint64_t key = static_cast<uint64_t>(left) << 32 | uint32_t(right);
    t.mergeRanks.try_emplace(key, rank, it->second);
    v.merges.emplace_back(left, right);
  }
  if (at != bytes.size())
    return bad("trailing bytes");
  t.pieces = v.pieces;
  t.scores.assign(count, 0.f);
  t.byteLevel = std::move(v);
  return std::move(t);
}

void Tokenizer::mergeChunk(llvm::StringRef chunk,
                           std::vector<int32_t> &out) const {
  if (byteLevel->ignoreMerges)
    if (auto it = ids.find(chunk); it != ids.end()) {
      out.push_back(it->second);
      return;
    }
  std::vector<int32_t> symbols(chunk.size());
  for (size_t i = 0; i < chunk.size(); ++i)
    symbols[i] = byteIds[static_cast<unsigned char>(chunk[i])];
  // The lowest-ranked adjacent pair merges first, the leftmost among equal
  // ranks (HF tokenizers' and llama.cpp's order).
  llvm::append_range(
      out,
      mergePairs(std::move(symbols),
                 [&](int32_t left, int32_t right) -> std::optional<PairMerge> {
                   auto it = mergeRanks.find(static_cast<uint64_t>(left) << 32 |
                                             static_cast<uint32_t>(right));
                   if (it == mergeRanks.end())
                     return std::nullopt;
                   return PairMerge{-static_cast<double>(it->second.first),
                                    it->second.second};
                 }));
}

std::vector<int32_t> Tokenizer::encodeByteLevel(llvm::StringRef text,
                                                bool bos) const {
  std::vector<int32_t> tokens;
  if (bos && byteLevel->addBos)
    tokens.push_back(byteLevel->bos);
  for (llvm::StringRef chunk : splitByteLevel(text, byteLevel->split))
    mergeChunk(chunk, tokens);
  return tokens;
}
