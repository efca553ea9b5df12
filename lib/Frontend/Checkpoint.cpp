//===- Checkpoint.cpp - Llama checkpoints: llama2.c and HuggingFace -------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/GGUF.h"
#include "mxc/Support/Output.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mxc::frontend;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The deepest nesting of arrays and objects in the JSON text `text`
/// (strings skipped), without parsing it.
int jsonDepth(StringRef text) {
  int depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (inString) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        inString = false;
    } else if (ch == '"') {
      inString = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return deepest;
}

/// llvm::json::parse, refusing nesting deeper than kMaxJSONDepth first.
llvm::Expected<llvm::json::Value> parseJSON(StringRef text, StringRef path) {
  if (jsonDepth(text) > kMaxJSONDepth)
    return error(path + ": JSON nested deeper than " +
                 llvm::Twine(kMaxJSONDepth) + " levels");
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return error(path + ": invalid JSON: " + llvm::toString(json.takeError()));
  return json;
}

} // namespace

llvm::Error mxc::frontend::checkFiniteWeights(const LlamaModel &model,
                                              StringRef path) {
  auto check = [&](ArrayRef<float> values,
                   const llvm::Twine &name) -> llvm::Error {
    for (size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        return error(path + ": tensor " + name + " holds " +
                     (std::isnan(values[i]) ? "NaN" : "an infinity") +
                     " at element " + llvm::Twine(i) +
                     "; mxc needs finite weights");
    return llvm::Error::success();
  };
  if (llvm::Error e = check(model.tokenEmbedding, "token_embedding"))
    return e;
  for (auto [l, layer] : llvm::enumerate(model.layers)) {
    std::string prefix = "layers." + std::to_string(l) + ".";
    for (auto [name, values] :
         {std::pair{"attention_norm", layer.attentionNorm},
          std::pair{"wq", layer.wq}, std::pair{"wk", layer.wk},
          std::pair{"wv", layer.wv}, std::pair{"wo", layer.wo},
          std::pair{"ffn_norm", layer.ffnNorm}, std::pair{"w1", layer.w1},
          std::pair{"w2", layer.w2}, std::pair{"w3", layer.w3}})
      if (llvm::Error e = check(values, prefix + name))
        return e;
  }
  if (llvm::Error e = check(model.finalNorm, "final_norm"))
    return e;
  if (model.classifier.data() != model.tokenEmbedding.data())
    return check(model.classifier, "classifier");
  return llvm::Error::success();
}

llvm::Error mxc::frontend::validateConfig(const LlamaConfig &c,
                                          StringRef path) {
  auto bad = [&](const llvm::Twine &what) { return error(path + ": " + what); };
  if (c.dim <= 0 || c.hiddenDim <= 0 || c.layers <= 0 || c.heads <= 0 ||
      c.kvHeads <= 0 || c.vocab <= 0 || c.seqLen <= 0)
    return bad("invalid model dimensions (dim " + llvm::Twine(c.dim) +
               ", hidden " + llvm::Twine(c.hiddenDim) + ", layers " +
               llvm::Twine(c.layers) + ", heads " + llvm::Twine(c.heads) +
               ", kv heads " + llvm::Twine(c.kvHeads) + ", vocab " +
               llvm::Twine(c.vocab) + ", seq_len " + llvm::Twine(c.seqLen) +
               ")");
  if (c.dim % c.heads != 0 || c.heads % c.kvHeads != 0 || c.headDim() % 2 != 0)
    return bad("dim must split into heads of even size, and heads into kv "
               "head groups");
  if (c.dim > (1 << 20) || c.hiddenDim > (1 << 22) || c.vocab > (1 << 24) ||
      c.layers > 4096)
    return bad("model dimensions are implausibly large");
  if (c.seqLen < 2)
    return bad("seq_len " + llvm::Twine(c.seqLen) +
               " is too short: a window holds BOS and at least one token");
  if (c.seqLen > (1 << 20))
    return bad("seq_len " + llvm::Twine(c.seqLen) +
               " is implausibly large (mxc allocates a KV cache of seq_len "
               "positions; at most 2^20)");
  if (!(c.normEps > 0) || !std::isfinite(c.normEps))
    return bad("the RMSNorm epsilon must be finite and positive, not " +
               std::to_string(c.normEps));
  if (!(c.ropeTheta > 0) || !std::isfinite(c.ropeTheta))
    return bad("the RoPE base (rope_theta) must be finite and positive, not " +
               std::to_string(c.ropeTheta));
  return llvm::Error::success();
}

namespace {

/// Hands out consecutive float arrays of a mapped region, with bounds checks.
class Cursor {
public:
  Cursor(const float *begin, size_t count) : at(begin), left(count) {}
  bool take(size_t n, ArrayRef<float> &out) {
    if (n > left)
      return false;
    out = ArrayRef<float>(at, n);
    at += n;
    left -= n;
    return true;
  }
  bool skip(size_t n) {
    ArrayRef<float> ignored;
    return take(n, ignored);
  }
  size_t remaining() const { return left; }

private:
  const float *at;
  size_t left;
};

} // namespace

int64_t LlamaModel::numParameters() const {
  int64_t n = tokenEmbedding.size() + finalNorm.size();
  if (classifier.data() != tokenEmbedding.data())
    n += classifier.size();
  for (const LlamaLayer &l : layers)
    n += l.attentionNorm.size() + l.wq.size() + l.wk.size() + l.wv.size() +
         l.wo.size() + l.ffnNorm.size() + l.w1.size() + l.w2.size() +
         l.w3.size();
  return n;
}

llvm::Expected<LlamaModel> mxc::frontend::loadLlama2c(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open checkpoint '" + path +
                 "': " + buffer.getError().message());
  return readLlama2c(std::move(*buffer), path);
}

llvm::Expected<LlamaModel>
mxc::frontend::readLlama2c(std::unique_ptr<llvm::MemoryBuffer> buffer,
                           StringRef path) {
  LlamaModel model;
  model.mapped = std::move(buffer);
  StringRef bytes = model.mapped->getBuffer();
  if (bytes.size() < 28)
    return error(path + ": not a llama2.c checkpoint: " +
                 llvm::Twine(bytes.size()) + " bytes, the header needs 28");
  int32_t header[7];
  std::memcpy(header, bytes.data(), sizeof(header));
  LlamaConfig &c = model.config;
  c.dim = header[0];
  c.hiddenDim = header[1];
  c.layers = header[2];
  c.heads = header[3];
  c.kvHeads = header[4];
  bool sharedClassifier = header[5] > 0;
  c.vocab = std::abs(static_cast<int64_t>(header[5]));
  c.seqLen = header[6];
  if (llvm::Error e = validateConfig(c, path))
    return std::move(e);

  if ((bytes.size() - 28) % 4 != 0)
    return error(path + ": truncated checkpoint (size is not a whole number "
                        "of floats)");
  Cursor cursor(reinterpret_cast<const float *>(bytes.data() + 28),
                (bytes.size() - 28) / 4);
  const size_t dim = c.dim, hidden = c.hiddenDim, kvDim = c.kvDim(),
               layers = c.layers;
  std::vector<ArrayRef<float>> att(layers), wq(layers), wk(layers), wv(layers),
      wo(layers), ffn(layers), w1(layers), w2(layers), w3(layers);
  auto takeLayers = [&](std::vector<ArrayRef<float>> &dst, size_t each) {
    ArrayRef<float> all;
    if (!cursor.take(each * layers, all))
      return false;
    for (size_t l = 0; l < layers; ++l)
      dst[l] = all.slice(l * each, each);
    return true;
  };
  bool ok = cursor.take(c.vocab * dim, model.tokenEmbedding) &&
            takeLayers(att, dim) && takeLayers(wq, dim * dim) &&
            takeLayers(wk, kvDim * dim) && takeLayers(wv, kvDim * dim) &&
            takeLayers(wo, dim * dim) && takeLayers(ffn, dim) &&
            takeLayers(w1, hidden * dim) && takeLayers(w2, dim * hidden) &&
            takeLayers(w3, hidden * dim) && cursor.take(dim, model.finalNorm);
  // The two legacy RoPE tables, [seq_len, head_dim / 2] each, are skipped.
  ok = ok && cursor.skip(c.seqLen * c.headDim());
  if (ok && !sharedClassifier)
    ok = cursor.take(c.vocab * dim, model.classifier);
  if (!ok)
    return error(path + ": truncated checkpoint: the header promises more "
                        "weights than the file holds");
  if (size_t extra = cursor.remaining())
    return error(path + ": the file holds " + llvm::Twine(extra) +
                 " more floats than the model its header describes (dim " +
                 llvm::Twine(c.dim) + ", hidden " + llvm::Twine(c.hiddenDim) +
                 ", layers " + llvm::Twine(c.layers) + ", heads " +
                 llvm::Twine(c.heads) + ", kv heads " + llvm::Twine(c.kvHeads) +
                 ", vocab " + llvm::Twine(c.vocab) + ", seq_len " +
                 llvm::Twine(c.seqLen) + "): a wrong header?");
  if (sharedClassifier)
    model.classifier = model.tokenEmbedding;
  for (size_t l = 0; l < layers; ++l)
    model.layers.push_back(
        {att[l], wq[l], wk[l], wv[l], wo[l], ffn[l], w1[l], w2[l], w3[l]});
  if (llvm::Error e = checkFiniteWeights(model, path))
    return std::move(e);
  return std::move(model);
}

llvm::Expected<LlamaModel> mxc::frontend::loadHuggingFace(StringRef dir) {
  llvm::SmallString<256> configPath(dir), weightsPath(dir);
  llvm::sys::path::append(configPath, "config.json");
  llvm::sys::path::append(weightsPath, "model.safetensors");
  auto configBuffer = llvm::MemoryBuffer::getFile(configPath);
  if (!configBuffer)
    return error("cannot open '" + configPath +
                 "': " + configBuffer.getError().message());
  llvm::Expected<HuggingFaceConfig> hf =
      parseHuggingFaceConfig((*configBuffer)->getBuffer(), configPath);
  if (!hf)
    return hf.takeError();
  auto buffer = llvm::MemoryBuffer::getFile(weightsPath, false, false);
  if (!buffer)
    return error("cannot open '" + weightsPath +
                 "': " + buffer.getError().message());
  return readSafetensors(std::move(*buffer), *hf, weightsPath);
}

llvm::Expected<HuggingFaceConfig>
mxc::frontend::parseHuggingFaceConfig(StringRef text, StringRef configPath) {
  llvm::Expected<llvm::json::Value> json = parseJSON(text, configPath);
  if (!json)
    return json.takeError();
  const llvm::json::Object *config = json->getAsObject();
  if (!config)
    return error(configPath + ": expected a JSON object");
  bool llama = false;
  if (const llvm::json::Array *arch = config->getArray("architectures"))
    for (const llvm::json::Value &a : *arch)
      llama |= a.getAsString() == StringRef("LlamaForCausalLM");
  if (!llama)
    return error(configPath + ": unsupported architecture (mxc imports "
                              "LlamaForCausalLM)");
  auto integer = [&](StringRef key, int64_t fallback) -> int64_t {
    if (std::optional<int64_t> v = config->getInteger(key))
      return *v;
    return fallback;
  };
  HuggingFaceConfig hf;
  LlamaConfig &c = hf.config;
  c.dim = integer("hidden_size", 0);
  c.hiddenDim = integer("intermediate_size", 0);
  c.layers = integer("num_hidden_layers", 0);
  c.heads = integer("num_attention_heads", 0);
  c.kvHeads = integer("num_key_value_heads", c.heads);
  c.vocab = integer("vocab_size", 0);
  c.seqLen = integer("max_position_embeddings", 0);
  c.normEps = config->getNumber("rms_norm_eps").value_or(1e-5);
  c.ropeTheta = config->getNumber("rope_theta").value_or(10000.0);
  if (std::optional<StringRef> act = config->getString("hidden_act");
      act && *act != "silu")
    return error(configPath + ": hidden_act '" + *act +
                 "' is not supported (mxc's Llama MLP is SiLU-gated)");
  if (const llvm::json::Value *scaling = config->get("rope_scaling");
      scaling && scaling->kind() != llvm::json::Value::Null) {
    std::string type = "?";
    if (const llvm::json::Object *o = scaling->getAsObject())
      for (StringRef key : {"rope_type", "type"})
        if (std::optional<StringRef> t = o->getString(key))
          type = t->str();
    return error(configPath + ": rope_scaling of type '" + type +
                 "' is not implemented (mxc applies plain RoPE)");
  }
  if (llvm::Error e = validateConfig(c, configPath))
    return std::move(e);
  if (std::optional<int64_t> headDim = config->getInteger("head_dim");
      headDim && *headDim != c.headDim())
    return error(configPath + ": head_dim " + llvm::Twine(*headDim) +
                 " is not hidden_size / num_attention_heads");
  hf.tiedEmbeddings = config->getBoolean("tie_word_embeddings").value_or(false);
  return hf;
}

llvm::Expected<LlamaModel>
mxc::frontend::readSafetensors(std::unique_ptr<llvm::MemoryBuffer> buffer,
                               const HuggingFaceConfig &hf,
                               StringRef weightsPath) {
  LlamaModel model;
  model.config = hf.config;
  const LlamaConfig &c = model.config;
  model.mapped = std::move(buffer);
  StringRef bytes = model.mapped->getBuffer();
  uint64_t headerSize = 0;
  if (bytes.size() < 8 || (std::memcpy(&headerSize, bytes.data(), 8),
                           headerSize > bytes.size() - 8))
    return error(weightsPath + ": truncated safetensors header");
  llvm::Expected<llvm::json::Value> headerJson =
      parseJSON(bytes.substr(8, headerSize), (weightsPath + " (header)").str());
  if (!headerJson)
    return headerJson.takeError();
  const llvm::json::Object *tensors = headerJson->getAsObject();
  if (!tensors)
    return error(weightsPath + ": the safetensors header is no JSON object");
  const char *data = bytes.data() + 8 + headerSize;
  const uint64_t dataSize = bytes.size() - 8 - headerSize;

  auto tensor =
      [&](const std::string &name,
          ArrayRef<int64_t> shape) -> llvm::Expected<ArrayRef<float>> {
    const llvm::json::Object *t = tensors->getObject(name);
    if (!t)
      return error(weightsPath + ": missing tensor '" + name + "'");
    if (t->getString("dtype") != StringRef("F32"))
      return error(weightsPath + ": tensor '" + name +
                   "' is not F32 (mxc imports f32 checkpoints)");
    const llvm::json::Array *dims = t->getArray("shape");
    const llvm::json::Array *offsets = t->getArray("data_offsets");
    std::vector<int64_t> got;
    if (dims)
      for (const llvm::json::Value &d : *dims)
        got.push_back(d.getAsInteger().value_or(-1));
    if (got != std::vector<int64_t>(shape.begin(), shape.end())) {
      std::string want, have;
      for (int64_t d : shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int64_t d : got)
        have += (have.empty() ? "" : "x") + std::to_string(d);
      return error(weightsPath + ": tensor '" + name + "' has shape [" + have +
                   "], the config implies [" + want + "]");
    }
    if (!offsets || offsets->size() != 2)
      return error(weightsPath + ": tensor '" + name + "' has no offsets");
    int64_t begin = (*offsets)[0].getAsInteger().value_or(-1);
    int64_t end = (*offsets)[1].getAsInteger().value_or(-1);
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    if (begin < 0 || end < begin || static_cast<uint64_t>(end) > dataSize)
      return error(weightsPath + ": tensor '" + name + "' (bytes " +
                   llvm::Twine(begin) + " to " + llvm::Twine(end) +
                   ") lies outside the file's " + llvm::Twine(dataSize) +
                   " data bytes (truncated?)");
    if (end - begin != count * 4)
      return error(weightsPath + ": tensor '" + name + "' has " +
                   llvm::Twine(end - begin) + " bytes, its shape needs " +
                   llvm::Twine(count * 4));
    // The format does not align tensors: a header whose length is not a
    // multiple of 4 leaves them unaligned, and they are copied.
    if ((8 + headerSize + begin) % alignof(float) != 0) {
      auto copy = std::make_unique<std::vector<float>>(count);
      std::memcpy(copy->data(), data + begin, count * 4);
      ArrayRef<float> result(*copy);
      model.owned.push_back(std::move(copy));
      return result;
    }
    return ArrayRef<float>(reinterpret_cast<const float *>(data + begin),
                           count);
  };
  // HF stores q/k rows permuted for rotate_half RoPE: its row
  // h*hd + j*(hd/2) + i is llama2.c's row h*hd + 2i + j. Undo it.
  auto unpermute = [&](ArrayRef<float> w, int64_t heads) {
    const int64_t hd = c.headDim(), in = c.dim;
    auto out = std::make_unique<std::vector<float>>(w.size());
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t i = 0; i < hd / 2; ++i)
          std::copy_n(w.data() + (h * hd + j * (hd / 2) + i) * in, in,
                      out->data() + (h * hd + 2 * i + j) * in);
    ArrayRef<float> result(*out);
    model.owned.push_back(std::move(out));
    return result;
  };

  auto embed = tensor("model.embed_tokens.weight", {c.vocab, c.dim});
  if (!embed)
    return embed.takeError();
  model.tokenEmbedding = *embed;
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    LlamaLayer layer;
    struct Item {
      const char *name;
      ArrayRef<float> *dst;
      std::vector<int64_t> shape;
    } items[] = {
        {"input_layernorm.weight", &layer.attentionNorm, {c.dim}},
        {"self_attn.q_proj.weight", &layer.wq, {c.dim, c.dim}},
        {"self_attn.k_proj.weight", &layer.wk, {c.kvDim(), c.dim}},
        {"self_attn.v_proj.weight", &layer.wv, {c.kvDim(), c.dim}},
        {"self_attn.o_proj.weight", &layer.wo, {c.dim, c.dim}},
        {"post_attention_layernorm.weight", &layer.ffnNorm, {c.dim}},
        {"mlp.gate_proj.weight", &layer.w1, {c.hiddenDim, c.dim}},
        {"mlp.down_proj.weight", &layer.w2, {c.dim, c.hiddenDim}},
        {"mlp.up_proj.weight", &layer.w3, {c.hiddenDim, c.dim}},
    };
    for (Item &item : items) {
      auto t = tensor(p + item.name, item.shape);
      if (!t)
        return t.takeError();
      *item.dst = *t;
    }
    layer.wq = unpermute(layer.wq, c.heads);
    layer.wk = unpermute(layer.wk, c.kvHeads);
    model.layers.push_back(layer);
  }
  auto norm = tensor("model.norm.weight", {c.dim});
  if (!norm)
    return norm.takeError();
  model.finalNorm = *norm;
  if (hf.tiedEmbeddings) {
    model.classifier = model.tokenEmbedding;
  } else {
    auto head = tensor("lm_head.weight", {c.vocab, c.dim});
    if (!head)
      return head.takeError();
    model.classifier = *head;
  }
  if (llvm::Error e = checkFiniteWeights(model, weightsPath))
    return std::move(e);
  return std::move(model);
}

llvm::Expected<LlamaModel> mxc::frontend::loadCheckpoint(StringRef path) {
  if (llvm::sys::fs::is_directory(path))
    return loadHuggingFace(path);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open checkpoint '" + path +
                 "': " + buffer.getError().message());
  if (isGGUF((*buffer)->getBuffer()))
    return readGGUFModel(std::move(*buffer), path);
  return readLlama2c(std::move(*buffer), path);
}

llvm::Error mxc::frontend::writeRandomLlama2c(StringRef path,
                                              const LlamaConfig &c,
                                              unsigned seed) {
  if (llvm::Error e = validateConfig(c, path))
    return e;
  return mxc::writeFileAtomically(path,
                                  [&](llvm::raw_fd_ostream &os) -> llvm::Error {
                                    writeRandomWeights(os, c, seed);
                                    return llvm::Error::success();
                                  });
}

void mxc::frontend::writeRandomWeights(llvm::raw_ostream &os,
                                       const LlamaConfig &c, unsigned seed) {
  int32_t header[7] = {
      static_cast<int32_t>(c.dim),     static_cast<int32_t>(c.hiddenDim),
      static_cast<int32_t>(c.layers),  static_cast<int32_t>(c.heads),
      static_cast<int32_t>(c.kvHeads), static_cast<int32_t>(c.vocab),
      static_cast<int32_t>(c.seqLen)};
  os.write(reinterpret_cast<const char *>(header), sizeof(header));
  std::mt19937 rng(seed);
  auto write = [&](size_t n, float scale, float offset) {
    std::normal_distribution<float> normal(0.0f, scale);
    for (size_t i = 0; i < n; ++i) {
      float v = offset + normal(rng);
      os.write(reinterpret_cast<const char *>(&v), 4);
    }
  };
  const size_t d = c.dim, h = c.hiddenDim, kv = c.kvDim(), l = c.layers;
  write(c.vocab * d, 1.0f / std::sqrt(float(d)), 0); // embedding
  write(l * d, 0.1f, 1.0f);                          // rms_att
  write(l * d * d, 1.0f / std::sqrt(float(d)), 0);   // wq
  write(l * kv * d, 1.0f / std::sqrt(float(d)), 0);  // wk
  write(l * kv * d, 1.0f / std::sqrt(float(d)), 0);  // wv
  write(l * d * d, 1.0f / std::sqrt(float(d)), 0);   // wo
  write(l * d, 0.1f, 1.0f);                          // rms_ffn
  write(l * h * d, 1.0f / std::sqrt(float(d)), 0);   // w1
  write(l * d * h, 1.0f / std::sqrt(float(h)), 0);   // w2
  write(l * h * d, 1.0f / std::sqrt(float(d)), 0);   // w3
  write(d, 0.1f, 1.0f);                              // rms_final
  write(c.seqLen * c.headDim(), 0.0f, 0);            // legacy RoPE tables
}
