//===- Tokenizer.cpp - The llama2.c tokenizer -----------------------------===//

#include "mxc/Frontend/Tokenizer.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <queue>

using namespace mxc::frontend;

llvm::Expected<Tokenizer> Tokenizer::load(llvm::StringRef path, int64_t vocab) {
  auto buffer = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot open tokenizer '" + path +
                                       "': " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), vocab, path);
}

llvm::Expected<Tokenizer> Tokenizer::parse(llvm::StringRef bytes, int64_t vocab,
                                           llvm::StringRef path) {
  size_t at = 4; // int32 max_token_length, unused.
  Tokenizer t;
  auto truncated = [&] {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": truncated tokenizer after " +
                                       llvm::Twine(t.pieces.size()) + " of " +
                                       llvm::Twine(vocab) + " pieces");
  };
  for (int64_t i = 0; i < vocab; ++i) {
    float score;
    int32_t length;
    if (at + 8 > bytes.size())
      return truncated();
    std::memcpy(&score, bytes.data() + at, 4);
    std::memcpy(&length, bytes.data() + at + 4, 4);
    at += 8;
    if (length < 0 || at + length > bytes.size())
      return truncated();
    t.pieces.emplace_back(bytes.data() + at, length);
    t.scores.push_back(score);
    t.ids.try_emplace(t.pieces.back(), static_cast<int32_t>(i));
    at += length;
  }
  return std::move(t);
}

std::vector<int32_t> Tokenizer::encode(llvm::StringRef text, bool bos) const {
  std::vector<int32_t> tokens;
  if (bos)
    tokens.push_back(kBos);
  if (text.empty())
    return tokens;
  auto lookup = [&](llvm::StringRef piece) -> int32_t {
    auto it = ids.find(piece);
    return it == ids.end() ? -1 : it->second;
  };
  std::vector<int32_t> symbols;
  if (int32_t space = lookup(" "); space >= 0)
    symbols.push_back(space);
  // One symbol per UTF-8 code point, or its bytes as fallbacks.
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    unsigned char lead = text[i];
    if ((lead & 0xE0) == 0xC0)
      length = 2;
    else if ((lead & 0xF0) == 0xE0)
      length = 3;
    else if ((lead & 0xF8) == 0xF0)
      length = 4;
    length = std::min(length, text.size() - i);
    llvm::StringRef codePoint = text.substr(i, length);
    if (int32_t id = lookup(codePoint); id >= 0) {
      symbols.push_back(id);
    } else {
      for (unsigned char byte : codePoint)
        symbols.push_back(static_cast<int32_t>(byte) + 3);
    }
    i += length;
  }
  // Merge the best-scoring adjacent pair until none merges; among equal
  // scores the leftmost pair goes first. A linked list of symbols and a
  // priority queue of candidate pairs make this O(n log n); an entry is
  // stale once either of its symbols has changed.
  const size_t n = symbols.size();
  std::vector<int64_t> prev(n), next(n);
  std::vector<uint32_t> version(n, 0);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int64_t>(i + 1) : -1;
  }
  struct Candidate {
    float score;
    int64_t left, right;
    uint32_t leftVersion, rightVersion;
    int32_t merged;
    bool operator<(const Candidate &o) const {
      // std::priority_queue pops the largest: higher score, then leftmost.
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int64_t left, int64_t right) {
    if (left < 0 || right < 0)
      return;
    int32_t id = lookup(pieces[symbols[left]] + pieces[symbols[right]]);
    if (id >= 0)
      queue.push({scores[id], left, right, version[left], version[right], id});
  };
  for (size_t i = 0; i + 1 < n; ++i)
    consider(i, i + 1);
  std::vector<bool> alive(n, true);
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    if (!alive[c.left] || !alive[c.right] || next[c.left] != c.right ||
        version[c.left] != c.leftVersion || version[c.right] != c.rightVersion)
      continue;
    symbols[c.left] = c.merged;
    ++version[c.left];
    alive[c.right] = false;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0)
      prev[next[c.right]] = c.left;
    consider(prev[c.left], c.left);
    consider(c.left, next[c.left]);
  }
  std::vector<int32_t> merged;
  for (int64_t i = n ? 0 : -1; i >= 0; i = next[i])
    merged.push_back(symbols[i]);
  symbols = std::move(merged);
  tokens.insert(tokens.end(), symbols.begin(), symbols.end());
  return tokens;
}

std::string Tokenizer::decode(int32_t previous, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(pieces.size()))
    return "";
  llvm::StringRef piece = pieces[token];
  if (previous == kBos && piece.starts_with(" "))
    piece = piece.drop_front();
  unsigned byte;
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.ends_with(">") &&
      !piece.substr(3, 2).getAsInteger(16, byte))
    return std::string(1, static_cast<char>(byte));
  return piece.str();
}

std::string
mxc::frontend::serializeLlama2cTokenizer(llvm::ArrayRef<std::string> pieces,
                                         llvm::ArrayRef<float> scores) {
  assert(pieces.size() == scores.size());
  int32_t maxLength = 0;
  for (const std::string &p : pieces)
    maxLength = std::max(maxLength, static_cast<int32_t>(p.size()));
  std::string out;
  auto put = [&](const void *p, size_t n) {
    out.append(static_cast<const char *>(p), n);
  };
  put(&maxLength, 4);
  for (auto [piece, score] : llvm::zip_equal(pieces, scores)) {
    int32_t length = piece.size();
    put(&score, 4);
    put(&length, 4);
    out += piece;
  }
  return out;
}
