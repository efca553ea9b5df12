//===- Tokenizer.h - SentencePiece-style and byte-level BPE -----*- C++ -*-===//

#ifndef MXC_FRONTEND_TOKENIZER_H
#define MXC_FRONTEND_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::frontend {

/// The byte-level BPE tokenizer's pre-tokenizer: the regular expression
/// that splits a text into the chunks BPE then merges within.
enum class ByteLevelSplit : int32_t {
  /// GPT-2's ('s|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+).
  GPT2 = 0,
  /// Llama 3's (case-insensitive contractions, a letter run with one
  /// leading non-letter, digits in threes, newlines kept apart).
  Llama3 = 1,
  /// Every digit alone (HF's Digits pre-tokenizer), the rest by GPT-2's
  /// expression: SmolLM's.
  GPT2Digits = 2,
};

/// A byte-level BPE vocabulary (GPT-2, Llama 3, SmolLM) as mxc keeps it.
struct ByteLevelVocabulary {
  /// Each token's bytes (a special token's: its text).
  std::vector<std::string> pieces;
  /// Whether each token is special (added, control): never made by merges,
  /// written as text in GGUF.
  std::vector<bool> special;
  /// The merges, by rank: the pair of token ids merged.
  std::vector<std::pair<int32_t, int32_t>> merges;
  ByteLevelSplit split = ByteLevelSplit::GPT2;
  /// A chunk that is a token as a whole is that token, whatever the merges
  /// (Llama 3's "ignore_merges").
  bool ignoreMerges = false;
  /// Whether an encoded text starts with `bos`.
  bool addBos = false;
  int32_t bos = -1, eos = -1; ///< -1: none
};

/// A BPE tokenizer of either kind mxc reads:
/// - SentencePiece-style (Llama 2, TinyLlama, Mistral, llama2.c), in
///   llama2.c's file format: int32 max_token_length, then per id a float32
///   score, an int32 length and the piece's bytes. Ids 0, 1, 2 are <unk>,
///   BOS, EOS; byte fallbacks <0xXX>.
/// - Byte-level (GPT-2, Llama 3, SmolLM), in mxc's file format (see
///   serializeByteLevelTokenizer): every byte is a token, texts split by the
///   pre-tokenizer's expression, merges applied by rank.
/// Compiled models and GGUF exports carry these bytes.
class Tokenizer {
public:
  /// SentencePiece's BOS and EOS ids.
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;

  /// Loads `vocab` pieces from `path`.
  static llvm::Expected<Tokenizer> load(llvm::StringRef path, int64_t vocab);
  /// Reads a tokenizer of `vocab` tokens from the file contents `bytes`
  /// (either format); `path` names them in errors. A byte-level vocabulary
  /// may have fewer tokens than the model (padded embeddings).
  static llvm::Expected<Tokenizer> parse(llvm::StringRef bytes, int64_t vocab,
                                         llvm::StringRef path);

  /// Encodes `text`. SentencePiece: BOS (if `bos`), the dummy-prefix piece
  /// " " for a non-empty text, each UTF-8 code point as its piece or as byte
  /// fallbacks (byte + 3), then repeated merges of the adjacent pair whose
  /// concatenation is the highest-scoring piece. Byte-level: BOS (if `bos`
  /// and the vocabulary adds one), then per chunk of the pre-tokenizer its
  /// bytes merged pair by pair, the lowest-ranked merge first (leftmost
  /// among equals). Special tokens' texts inside `text` stay text.
  std::vector<int32_t> encode(llvm::StringRef text, bool bos = true) const;

  /// The text of `token` following `previous` (SentencePiece: a leading
  /// space after BOS is dropped; byte fallbacks become their byte).
  /// Byte-level: the token's bytes, which may be part of a UTF-8 sequence.
  std::string decode(int32_t previous, int32_t token) const;

  bool isByteLevel() const { return byteLevel.has_value(); }
  /// The byte-level vocabulary (only if isByteLevel()).
  const ByteLevelVocabulary &byteLevelVocabulary() const { return *byteLevel; }
  /// The token a perplexity window starts with: BOS, or a vocabulary
  /// without one, EOS (GPT-2's document separator), else token 0.
  int32_t documentStart() const;
  /// The tokens whose generation ends a text (BOS and EOS, those it has).
  std::vector<int32_t> stopTokens() const;

  int64_t size() const { return pieces.size(); }
  /// The text of token `id` (SentencePiece: spaces as ' ', byte fallbacks as
  /// "<0xXX>"; byte-level: its bytes).
  llvm::StringRef piece(int64_t id) const { return pieces[id]; }
  /// Every token's merge score, by id (SentencePiece).
  llvm::ArrayRef<float> scoreList() const { return scores; }
  /// Whether `other` encodes every text the same way.
  bool operator==(const Tokenizer &other) const;

private:
  static bool isByteLevelFile(llvm::StringRef bytes);
  static llvm::Expected<Tokenizer>
  parseByteLevel(llvm::StringRef bytes, int64_t vocab, llvm::StringRef path);
  std::vector<int32_t> encodeByteLevel(llvm::StringRef text, bool bos) const;
  /// Appends the tokens of one pre-tokenized chunk.
  void mergeChunk(llvm::StringRef chunk, std::vector<int32_t> &out) const;

  std::vector<std::string> pieces;
  std::vector<float> scores;
  llvm::StringMap<int32_t> ids;
  std::optional<ByteLevelVocabulary> byteLevel;
  /// Byte-level: (left << 32 | right) -> (rank, merged id).
  llvm::DenseMap<uint64_t, std::pair<int32_t, int32_t>> mergeRanks;
  int32_t byteIds[256] = {};
};

/// A merge of two adjacent symbols: the merged id and its priority.
struct PairMerge {
  double priority;
  int32_t merged;
};
/// BPE's merge loop: repeatedly merges the adjacent pair of `symbols` for
/// which `merge` gives the highest priority (the leftmost among equal ones)
/// until `merge` gives none; O(n log n).
std::vector<int32_t> mergePairs(
    std::vector<int32_t> symbols,
    llvm::function_ref<std::optional<PairMerge>(int32_t, int32_t)> merge);

/// mxc's file of a byte-level vocabulary: "MXCBBPE1", int32 split, flags
/// (1: ignore merges, 2: add BOS), bos, eos, token count, merge count; per
/// token a byte (1: special), an int32 length and the bytes; per merge the
/// int32 ids of its pair. Checked when read (Tokenizer::parse).
std::string serializeByteLevelTokenizer(const ByteLevelVocabulary &vocabulary);

/// GPT-2's printable spelling of bytes (each byte one code point: printable
/// Latin-1 as itself, the rest from U+0100 on), as byte-level vocabularies
/// in tokenizer.json and GGUF spell their tokens.
std::string spellByteLevel(llvm::StringRef bytes);
/// The bytes of GPT-2's spelling `spelled`; nullopt if a code point is not
/// one of the 256.
std::optional<std::string> unspellByteLevel(llvm::StringRef spelled);
/// The pre-tokenizer's chunks of `text` (exposed for tests).
std::vector<llvm::StringRef> splitByteLevel(llvm::StringRef text,
                                            ByteLevelSplit split);

/// The tokenizer file equivalent to the HuggingFace tokenizer.json
/// `text` (`path` names it in errors) of SentencePiece-style BPE, as Llama 2,
/// TinyLlama and Mistral ship it: model type BPE with byte_fallback, pieces
/// with the metaspace '▁' for ' ', <s> = 1 and </s> = 2. A merge's rank
/// becomes its piece's score (the first merge of a piece counts), which is
/// how HF's converter derives the merges from SentencePiece scores; pieces
/// no merge makes keep the lowest scores. Byte-level BPE (GPT-2, Llama 3,
/// SmolLM: a ByteLevel pre-tokenizer with GPT-2's or Llama 3's expression)
/// becomes mxc's byte-level file; other model types and pre-tokenizers are
/// refused by name.
llvm::Expected<std::string> convertTokenizerJSON(llvm::StringRef text,
                                                 llvm::StringRef path);

/// The llama2.c tokenizer file of `pieces` with `scores` (the same length).
std::string serializeLlama2cTokenizer(llvm::ArrayRef<std::string> pieces,
                                      llvm::ArrayRef<float> scores);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_TOKENIZER_H
