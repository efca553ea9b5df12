//===- Tokenizer.cpp - The llama2.c tokenizer -----------------------------===//

#include "mxc/Frontend/Tokenizer.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

using namespace mxc::frontend;

llvm::Expected<Tokenizer> Tokenizer::load(llvm::StringRef path, int64_t vocab) {
  auto buffer = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot open tokenizer '" + path +
                                       "': " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
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
  // Merge the best-scoring adjacent pair until none merges.
  while (true) {
    float best = -1e30f;
    int32_t bestId = -1;
    size_t bestAt = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      std::string merged = pieces[symbols[i]] + pieces[symbols[i + 1]];
      int32_t id = lookup(merged);
      if (id >= 0 && scores[id] > best) {
        best = scores[id];
        bestId = id;
        bestAt = i;
      }
    }
    if (bestId < 0)
      break;
    symbols[bestAt] = bestId;
    symbols.erase(symbols.begin() + bestAt + 1);
  }
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
