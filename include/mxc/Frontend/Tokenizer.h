//===- Tokenizer.h - The llama2.c tokenizer ---------------------*- C++ -*-===//

#ifndef MXC_FRONTEND_TOKENIZER_H
#define MXC_FRONTEND_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mxc::frontend {

/// A SentencePiece-style BPE tokenizer in llama2.c's format: int32
/// max_token_length, then per id a float32 score, an int32 length and the
/// piece's bytes. Ids 0, 1, 2 are <unk>, BOS, EOS; byte fallbacks <0xXX>.
class Tokenizer {
public:
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;

  /// Loads `vocab` pieces from `path`.
  static llvm::Expected<Tokenizer> load(llvm::StringRef path, int64_t vocab);
  /// Reads `vocab` pieces from the file contents `bytes`; `path` names them
  /// in errors.
  static llvm::Expected<Tokenizer> parse(llvm::StringRef bytes, int64_t vocab,
                                         llvm::StringRef path);

  /// Encodes `text`: BOS (if `bos`), the dummy-prefix piece " " for a
  /// non-empty text, each UTF-8 code point as its piece or as byte
  /// fallbacks (byte + 3), then repeated merges of the adjacent pair whose
  /// concatenation is the highest-scoring piece.
  std::vector<int32_t> encode(llvm::StringRef text, bool bos = true) const;

  /// The text of `token` following `previous` (a leading space after BOS is
  /// dropped; byte fallbacks become their byte).
  std::string decode(int32_t previous, int32_t token) const;

  int64_t size() const { return pieces.size(); }
  /// The text of token `id` (spaces as ' ', byte fallbacks as "<0xXX>").
  llvm::StringRef piece(int64_t id) const { return pieces[id]; }
  /// Every token's merge score, by id.
  llvm::ArrayRef<float> scoreList() const { return scores; }
  /// Whether `other` has the same pieces and scores (encodes every text the
  /// same way).
  bool operator==(const Tokenizer &other) const {
    return pieces == other.pieces && scores == other.scores;
  }

private:
  std::vector<std::string> pieces;
  std::vector<float> scores;
  llvm::StringMap<int32_t> ids;
};

/// The llama2.c tokenizer file equivalent to the HuggingFace tokenizer.json
/// `text` (`path` names it in errors) of SentencePiece-style BPE, as Llama 2,
/// TinyLlama and Mistral ship it: model type BPE with byte_fallback, pieces
/// with the metaspace '▁' for ' ', <s> = 1 and </s> = 2. A merge's rank
/// becomes its piece's score (the first merge of a piece counts), which is
/// how HF's converter derives the merges from SentencePiece scores; pieces
/// no merge makes keep the lowest scores. Byte-level BPE (GPT-2, Llama 3)
/// and other model types are refused by name.
llvm::Expected<std::string> convertTokenizerJSON(llvm::StringRef text,
                                                 llvm::StringRef path);

/// The llama2.c tokenizer file of `pieces` with `scores` (the same length).
std::string serializeLlama2cTokenizer(llvm::ArrayRef<std::string> pieces,
                                      llvm::ArrayRef<float> scores);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_TOKENIZER_H
