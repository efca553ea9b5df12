//===- Tokenizer.cpp - SentencePiece-style BPE, tokenizer.json ------------===//

#include "mxc/Frontend/Tokenizer.h"
#include "mxc/Frontend/Checkpoint.h"

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
  if (isByteLevelFile(bytes))
    return parseByteLevel(bytes, vocab, path);
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
  if (byteLevel)
    return encodeByteLevel(text, bos);
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
  symbols =
      mergePairs(std::move(symbols),
                 [&](int32_t left, int32_t right) -> std::optional<PairMerge> {
                   int32_t id = lookup(pieces[left] + pieces[right]);
                   if (id < 0)
                     return std::nullopt;
                   return PairMerge{scores[id], id};
                 });
  tokens.insert(tokens.end(), symbols.begin(), symbols.end());
  return tokens;
}

std::vector<int32_t> mxc::frontend::mergePairs(
    std::vector<int32_t> symbols,
    llvm::function_ref<std::optional<PairMerge>(int32_t, int32_t)> merge) {
  // A linked list of symbols and a priority queue of candidate pairs make
  // this O(n log n); a candidate is stale once either of its symbols has
  // changed.
  const size_t n = symbols.size();
  std::vector<int64_t> prev(n), next(n);
  std::vector<uint32_t> version(n, 0);
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int64_t>(i + 1) : -1;
  }
  struct Candidate {
    double priority;
    int64_t left, right;
    uint32_t leftVersion, rightVersion;
    int32_t merged;
    bool operator<(const Candidate &o) const {
      // std::priority_queue pops the largest: highest priority, then
      // leftmost.
      return priority != o.priority ? priority < o.priority : left > o.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int64_t left, int64_t right) {
    if (left < 0 || right < 0)
      return;
    if (std::optional<PairMerge> m = merge(symbols[left], symbols[right]))
      queue.push(
          {m->priority, left, right, version[left], version[right], m->merged});
  };
  for (size_t i = 0; i + 1 < n; ++i)
    consider(i, i + 1);
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
  return merged;
}

std::string Tokenizer::decode(int32_t previous, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(pieces.size()))
    return "";
  if (byteLevel)
    return pieces[token];
  llvm::StringRef piece = pieces[token];
  if (previous == kBos && piece.starts_with(" "))
    piece = piece.drop_front();
  unsigned byte;
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.ends_with(">") &&
      !piece.substr(3, 2).getAsInteger(16, byte))
    return std::string(1, static_cast<char>(byte));
  return piece.str();
}

int32_t Tokenizer::documentStart() const {
  if (!byteLevel)
    return kBos;
  if (byteLevel->bos >= 0)
    return byteLevel->bos;
  return std::max(byteLevel->eos, 0);
}

std::vector<int32_t> Tokenizer::stopTokens() const {
  if (!byteLevel)
    return {kBos, kEos};
  std::vector<int32_t> stop;
  for (int32_t id : {byteLevel->bos, byteLevel->eos})
    if (id >= 0)
      stop.push_back(id);
  return stop;
}

bool Tokenizer::operator==(const Tokenizer &other) const {
  if (byteLevel.has_value() != other.byteLevel.has_value())
    return false;
  if (!byteLevel)
    return pieces == other.pieces && scores == other.scores;
  const ByteLevelVocabulary &a = *byteLevel, &b = *other.byteLevel;
  return a.pieces == b.pieces && a.special == b.special &&
         a.merges == b.merges && a.split == b.split &&
         a.ignoreMerges == b.ignoreMerges && a.addBos == b.addBos &&
         a.bos == b.bos && a.eos == b.eos;
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

namespace {

llvm::Error tokenizerError(llvm::StringRef path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

/// Whether the tokenizer.json component `v` (a pre-tokenizer or decoder,
/// maybe a Sequence of them) is or holds one of type `type`.
bool holdsType(const llvm::json::Value *v, llvm::StringRef type) {
  const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
  if (!o)
    return false;
  if (o->getString("type") == type)
    return true;
  for (const char *key : {"pretokenizers", "decoders", "normalizers"})
    if (const llvm::json::Array *a = o->getArray(key))
      for (const llvm::json::Value &item : *a)
        if (holdsType(&item, type))
          return true;
  return false;
}

/// A piece of tokenizer.json in llama2.c's spelling: '▁' (U+2581) as ' '.
std::string fromMetaspace(llvm::StringRef piece) {
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.substr(i).starts_with("\xe2\x96\x81")) {
      out += ' ';
      i += 3;
    } else {
      out += piece[i++];
    }
  }
  return out;
}

/// The pair of merge `merge` ("a b" or ["a", "b"]) into `left` and `right`.
bool parseMerge(const llvm::json::Value &merge, std::string &left,
                std::string &right) {
  if (std::optional<llvm::StringRef> s = merge.getAsString()) {
    auto [l, r] = s->split(' ');
    left = l.str();
    right = r.str();
    return true;
  }
  const llvm::json::Array *pair = merge.getAsArray();
  if (!pair || pair->size() != 2 || !(*pair)[0].getAsString() ||
      !(*pair)[1].getAsString())
    return false;
  left = (*pair)[0].getAsString()->str();
  right = (*pair)[1].getAsString()->str();
  return true;
}

/// The pre-tokenizer expressions of GPT-2 (the ByteLevel pre-tokenizer's
/// own; converted files spell it out, some without the last "|\s+") and
/// Llama 3, as tokenizer.json's Split patterns write them.
constexpr llvm::StringLiteral kGPT2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";
constexpr llvm::StringLiteral kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// The byte-level pre-tokenizer `v` stands for: GPT-2's expression (the
/// ByteLevel pre-tokenizer with use_regex, or a Split of it), Llama 3's (a
/// Split of it), either after individual digits (Digits), in a Sequence.
llvm::Expected<ByteLevelSplit> byteLevelSplit(const llvm::json::Value *v,
                                              llvm::StringRef path) {
  std::vector<const llvm::json::Object *> steps;
  const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
  if (o && o->getString("type") == "Sequence") {
    if (const llvm::json::Array *a = o->getArray("pretokenizers"))
      for (const llvm::json::Value &item : *a)
        steps.push_back(item.getAsObject());
  } else {
    steps.push_back(o);
  }
  std::optional<ByteLevelSplit> expression;
  bool digits = false;
  for (const llvm::json::Object *step : steps) {
    llvm::StringRef type =
        step ? step->getString("type").value_or("?") : "null";
    std::optional<ByteLevelSplit> found;
    if (type == "ByteLevel") {
      if (step->getBoolean("add_prefix_space").value_or(false))
        return tokenizerError(path, "a ByteLevel pre-tokenizer with "
                                    "add_prefix_space is not supported");
      if (step->getBoolean("use_regex").value_or(true))
        found = ByteLevelSplit::GPT2;
    } else if (type == "Split") {
      const llvm::json::Object *pattern = step->getObject("pattern");
      std::optional<llvm::StringRef> regex =
          pattern ? pattern->getString("Regex") : std::nullopt;
      if (regex && (*regex == kGPT2Regex ||
                    *regex == kGPT2Regex.drop_back(strlen("|\\s+"))))
        found = ByteLevelSplit::GPT2;
      else if (regex && *regex == kLlama3Regex)
        found = ByteLevelSplit::Llama3;
      else
        return tokenizerError(
            path, "the Split pre-tokenizer's pattern " +
                      (regex ? "'" + *regex + "'" : llvm::Twine("(no Regex)")) +
                      " is not supported (mxc knows GPT-2's and Llama 3's)");
      if (step->getString("behavior").value_or("Isolated") != "Isolated" ||
          step->getBoolean("invert").value_or(false))
        return tokenizerError(path, "a Split pre-tokenizer that does not "
                                    "isolate its matches is not supported");
    } else if (type == "Digits" &&
               step->getBoolean("individual_digits").value_or(false) &&
               !expression) {
      digits = true;
    } else {
      return tokenizerError(path, "the pre-tokenizer '" + type +
                                      "' is not supported with byte-level "
                                      "BPE");
    }
    if (found && expression)
      return tokenizerError(path, "two pre-tokenizer expressions");
    if (found)
      expression = found;
  }
  if (!expression)
    return tokenizerError(path, "byte-level BPE without a pre-tokenizer "
                                "expression is not supported");
  if (digits && *expression != ByteLevelSplit::GPT2)
    return tokenizerError(path, "Digits before Llama 3's expression is not "
                                "supported");
  return digits ? ByteLevelSplit::GPT2Digits : *expression;
}

/// The first TemplateProcessing's leading special token (the BOS a text
/// gets), searched through Sequences.
std::optional<llvm::StringRef> templateBos(const llvm::json::Value *processor) {
  const llvm::json::Object *o = processor ? processor->getAsObject() : nullptr;
  if (!o)
    return std::nullopt;
  if (const llvm::json::Array *a = o->getArray("processors"))
    for (const llvm::json::Value &item : *a)
      if (std::optional<llvm::StringRef> bos = templateBos(&item))
        return bos;
  if (o->getString("type") != "TemplateProcessing")
    return std::nullopt;
  const llvm::json::Array *single = o->getArray("single");
  if (!single || single->empty() || !single->front().getAsObject())
    return std::nullopt;
  const llvm::json::Object *special =
      single->front().getAsObject()->getObject("SpecialToken");
  return special ? special->getString("id") : std::nullopt;
}

/// mxc's byte-level file of the tokenizer.json `root` whose model is BPE and
/// whose pre-tokenizer or decoder is ByteLevel.
llvm::Expected<std::string>
convertByteLevelJSON(const llvm::json::Object &root,
                     const llvm::json::Object &model, llvm::StringRef path) {
  if (const llvm::json::Value *n = root.get("normalizer");
      n && n->kind() != llvm::json::Value::Null)
    return tokenizerError(path, "a normalizer with byte-level BPE is not "
                                "supported");
  if (!holdsType(root.get("decoder"), "ByteLevel"))
    return tokenizerError(path, "byte-level BPE needs the ByteLevel decoder");
  if (!model.getString("continuing_subword_prefix").value_or("").empty() ||
      !model.getString("end_of_word_suffix").value_or("").empty())
    return tokenizerError(path, "BPE with subword prefixes or suffixes is not "
                                "supported");
  llvm::Expected<ByteLevelSplit> split =
      byteLevelSplit(root.get("pre_tokenizer"), path);
  if (!split)
    return split.takeError();
  const llvm::json::Object *vocab = model.getObject("vocab");
  const llvm::json::Array *merges = model.getArray("merges");
  if (!vocab || !merges)
    return tokenizerError(path, "the BPE model has no vocab or no merges");

  ByteLevelVocabulary v;
  v.split = *split;
  v.ignoreMerges = model.getBoolean("ignore_merges").value_or(false);
  std::vector<std::optional<std::string>> pieces;
  std::vector<bool> special;
  llvm::StringMap<int32_t> ids; // by tokenizer.json's spelling or text
  auto add = [&](llvm::StringRef name, llvm::StringRef piece, int64_t id,
                 bool isSpecial) -> llvm::Error {
    if (id < 0 || id > (int64_t(1) << 24))
      return tokenizerError(path,
                            "token '" + name + "' has id " + llvm::Twine(id));
    if (static_cast<size_t>(id) >= pieces.size()) {
      pieces.resize(id + 1);
      special.resize(id + 1);
    }
    if (pieces[id] && *pieces[id] != piece)
      return tokenizerError(path, "id " + llvm::Twine(id) + " is two tokens");
    pieces[id] = piece.str();
    special[id] = special[id] || isSpecial;
    ids[name] = id;
    return llvm::Error::success();
  };
  // Added tokens are text; the vocabulary's tokens are spelled bytes.
  llvm::StringMap<int64_t> added;
  if (const llvm::json::Array *list = root.getArray("added_tokens"))
    for (const llvm::json::Value &item : *list) {
      const llvm::json::Object *o = item.getAsObject();
      std::optional<llvm::StringRef> content =
          o ? o->getString("content") : std::nullopt;
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      if (!content || !id)
        return tokenizerError(path, "an added token without content or id");
      added[*content] = *id;
      if (llvm::Error e = add(*content, *content, *id, /*isSpecial=*/true))
        return std::move(e);
    }
  for (const auto &entry : *vocab) {
    llvm::StringRef name = entry.first;
    std::optional<int64_t> id = entry.second.getAsInteger();
    if (!id)
      return tokenizerError(path, "the id of '" + name + "' is not an integer");
    if (auto it = added.find(name); it != added.end() && it->second == *id)
      continue;
    std::optional<std::string> bytes = unspellByteLevel(name);
    if (!bytes)
      return tokenizerError(path, "token '" + name +
                                      "' is not spelled in GPT-2's bytes");
    if (llvm::Error e = add(name, *bytes, *id, /*isSpecial=*/false))
      return std::move(e);
  }
  for (auto [i, piece] : llvm::enumerate(pieces))
    if (!piece)
      return tokenizerError(path, "no token has id " + llvm::Twine(i));
  for (auto [rank, merge] : llvm::enumerate(*merges)) {
    std::string left, right;
    if (!parseMerge(merge, left, right))
      return tokenizerError(path, "merge " + llvm::Twine(rank) +
                                      " is neither \"a b\" nor [a, b]");
    auto l = ids.find(left), r = ids.find(right);
    if (l == ids.end() || r == ids.end() || !ids.count(left + right))
      return tokenizerError(path, "merge " + llvm::Twine(rank) + " ('" + left +
                                      "', '" + right +
                                      "') makes no token of the vocabulary");
    v.merges.emplace_back(l->second, r->second);
  }
  auto idOf = [&](llvm::StringRef text) -> int32_t {
    auto it = ids.find(text);
    return it == ids.end() ? -1 : it->second;
  };
  if (std::optional<llvm::StringRef> bos =
          templateBos(root.get("post_processor"))) {
    v.bos = idOf(*bos);
    if (v.bos < 0)
      return tokenizerError(path, "the post-processor's BOS '" + *bos +
                                      "' is not a token");
    v.addBos = true;
  } else {
    for (llvm::StringRef name : {"<|begin_of_text|>", "<s>"})
      if (v.bos < 0)
        v.bos = idOf(name);
  }
  for (llvm::StringRef name :
       {"<|end_of_text|>", "<|endoftext|>", "</s>", "<|im_end|>"})
    if (v.eos < 0)
      v.eos = idOf(name);
  for (auto [piece, isSpecial] : llvm::zip_equal(pieces, special)) {
    v.pieces.push_back(std::move(*piece));
    v.special.push_back(isSpecial);
  }
  return serializeByteLevelTokenizer(v);
}

} // namespace

llvm::Expected<std::string>
mxc::frontend::convertTokenizerJSON(llvm::StringRef text,
                                    llvm::StringRef path) {
  llvm::Expected<llvm::json::Value> json = parseJSON(text, path);
  if (!json)
    return json.takeError();
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return tokenizerError(path, "no \"model\" object (not a tokenizer.json?)");
  llvm::StringRef type = model->getString("type").value_or("?");
  if (type != "BPE")
    return tokenizerError(path, "model type '" + type +
                                    "' is not supported (mxc reads BPE)");
  if (holdsType(root->get("pre_tokenizer"), "ByteLevel") ||
      holdsType(root->get("decoder"), "ByteLevel"))
    return convertByteLevelJSON(*root, *model, path);
  if (!model->getBoolean("byte_fallback").value_or(false))
    return tokenizerError(path, "BPE without byte_fallback is not supported "
                                "(mxc's tokenizer falls back to <0xXX> "
                                "pieces)");
  const llvm::json::Object *vocab = model->getObject("vocab");
  const llvm::json::Array *merges = model->getArray("merges");
  if (!vocab || !merges)
    return tokenizerError(path, "the BPE model has no vocab or no merges");

  // Pieces by id: the vocabulary, then added tokens.
  std::vector<std::optional<std::string>> pieces;
  llvm::StringMap<int64_t> ids;
  auto add = [&](llvm::StringRef piece, int64_t id) -> llvm::Error {
    if (id < 0 || id > (int64_t(1) << 24))
      return tokenizerError(path,
                            "token '" + piece + "' has id " + llvm::Twine(id));
    if (static_cast<size_t>(id) >= pieces.size())
      pieces.resize(id + 1);
    if (pieces[id] && *pieces[id] != fromMetaspace(piece))
      return tokenizerError(path, "id " + llvm::Twine(id) + " is both '" +
                                      *pieces[id] + "' and '" + piece + "'");
    pieces[id] = fromMetaspace(piece);
    ids[piece] = id;
    return llvm::Error::success();
  };
  for (const auto &entry : *vocab) {
    std::optional<int64_t> id = entry.second.getAsInteger();
    if (!id)
      return tokenizerError(path, "the id of '" + entry.first.str() +
                                      "' is not an integer");
    if (llvm::Error e = add(entry.first, *id))
      return std::move(e);
  }
  if (const llvm::json::Array *added = root->getArray("added_tokens"))
    for (const llvm::json::Value &v : *added) {
      const llvm::json::Object *o = v.getAsObject();
      std::optional<llvm::StringRef> content =
          o ? o->getString("content") : std::nullopt;
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      if (!content || !id)
        return tokenizerError(path, "an added token without content or id");
      if (llvm::Error e = add(*content, *id))
        return std::move(e);
    }
  for (auto [i, piece] : llvm::enumerate(pieces))
    if (!piece)
      return tokenizerError(path, "no token has id " + llvm::Twine(i));
  if (pieces.size() < 3 || *pieces[1] != "<s>" || *pieces[2] != "</s>")
    return tokenizerError(path, "mxc needs <s> at id 1 and </s> at id 2");

  // Scores from merge ranks: the earlier a piece's first merge, the higher.
  std::vector<float> scores(pieces.size(), -1e30f);
  for (auto [rank, merge] : llvm::enumerate(*merges)) {
    std::string left, right;
    if (!parseMerge(merge, left, right))
      return tokenizerError(path, "merge " + llvm::Twine(rank) +
                                      " is neither \"a b\" nor [a, b]");
    auto it = ids.find(left + right);
    if (!ids.count(left) || !ids.count(right) || it == ids.end())
      return tokenizerError(path, "merge " + llvm::Twine(rank) + " ('" + left +
                                      "', '" + right +
                                      "') makes no piece of the vocabulary");
    float &score = scores[it->second];
    score = std::max(score, -static_cast<float>(rank));
  }
  std::vector<std::string> list;
  for (std::optional<std::string> &piece : pieces)
    list.push_back(std::move(*piece));
  return serializeLlama2cTokenizer(list, scores);
}
