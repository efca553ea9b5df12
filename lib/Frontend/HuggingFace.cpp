//===- HuggingFace.cpp - HuggingFace Llama checkpoints (safetensors) ------===//
//
// config.json and the weights in one model.safetensors or in the shards that
// model.safetensors.index.json names; tensors F32, F16 or BF16, and matmul
// weights already in MXFP4 as gpt-oss stores them: `<name>_blocks` (U8,
// [rows, cols/32, 16], two E2M1 codes a byte, the even element in the low
// nibble: OCP's packing, mxc's own) and `<name>_scales` (U8 E8M0,
// [rows, cols/32]).
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <sys/mman.h>

using namespace mxc::frontend;
namespace num = mxc::numerics;
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

} // namespace

llvm::Expected<llvm::json::Value> mxc::frontend::parseJSON(StringRef text,
                                                           StringRef path) {
  if (jsonDepth(text) > kMaxJSONDepth)
    return error(path + ": JSON nested deeper than " +
                 llvm::Twine(kMaxJSONDepth) + " levels");
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return error(path + ": invalid JSON: " + llvm::toString(json.takeError()));
  return json;
}

namespace {

/// One .safetensors file: its header, and where its data section lies.
struct Shard {
  std::string path;
  llvm::json::Object header;
  const char *data = nullptr;
  uint64_t dataSize = 0;
  /// Offset of the data section in the file (8 + header length).
  uint64_t dataStart = 0;
};

llvm::Expected<Shard> readShard(const llvm::MemoryBuffer &buffer,
                                StringRef path) {
  StringRef bytes = buffer.getBuffer();
  uint64_t headerSize = 0;
  if (bytes.size() < 8 || (std::memcpy(&headerSize, bytes.data(), 8),
                           headerSize > bytes.size() - 8))
    return error(path + ": truncated safetensors header");
  llvm::Expected<llvm::json::Value> json =
      parseJSON(bytes.substr(8, headerSize), (path + " (header)").str());
  if (!json)
    return json.takeError();
  llvm::json::Object *header = json->getAsObject();
  if (!header)
    return error(path + ": the safetensors header is no JSON object");
  Shard shard;
  shard.path = path.str();
  shard.header = std::move(*header);
  shard.dataStart = 8 + headerSize;
  shard.data = bytes.data() + shard.dataStart;
  shard.dataSize = bytes.size() - shard.dataStart;
  return shard;
}

int64_t dtypeBytes(StringRef dtype) {
  if (dtype == "F32")
    return 4;
  if (dtype == "F16" || dtype == "BF16")
    return 2;
  if (dtype == "U8")
    return 1;
  return 0;
}

std::string shapeText(ArrayRef<int64_t> shape) {
  std::string text;
  for (int64_t d : shape)
    text += (text.empty() ? "" : "x") + std::to_string(d);
  return text;
}

/// F32 tensors from this size on are read in place.
constexpr size_t kInPlaceBytes = 1 << 20;

/// The tensors of every shard of a checkpoint, by name.
class Tensors {
public:
  Tensors(std::vector<Shard> shards, LlamaModel &model)
      : shards(std::move(shards)), model(model) {}

  /// Indexes every shard's tensors; a name in two shards is an error.
  llvm::Error index() {
    for (const Shard &shard : shards)
      for (const auto &entry : shard.header) {
        StringRef name = entry.first;
        if (name == "__metadata__")
          continue;
        auto [it, inserted] = where.try_emplace(name, &shard);
        if (!inserted)
          return error("tensor '" + name + "' is in both " + it->second->path +
                       " and " + shard.path);
      }
    return llvm::Error::success();
  }

  bool has(StringRef name) const { return where.count(name); }

  /// The bytes of tensor `name`, checked: its dtype one of `dtypes`, its
  /// shape `shape`, its bytes inside its file.
  llvm::Expected<StringRef> bytes(StringRef name, ArrayRef<int64_t> shape,
                                  ArrayRef<StringRef> dtypes,
                                  StringRef &dtype) const {
    auto it = where.find(name);
    if (it == where.end())
      return error(firstPath() + ": missing tensor '" + name + "'");
    const Shard &shard = *it->second;
    const llvm::json::Object *t = shard.header.getObject(name);
    if (!t)
      return error(shard.path + ": tensor '" + name + "' is no JSON object");
    dtype = t->getString("dtype").value_or("?");
    if (!llvm::is_contained(dtypes, dtype)) {
      std::string allowed;
      for (StringRef d : dtypes)
        allowed += (allowed.empty() ? "" : ", ") + d.str();
      return error(shard.path + ": tensor '" + name + "' is " + dtype +
                   "; mxc reads it as " + allowed);
    }
    std::vector<int64_t> got;
    if (const llvm::json::Array *dims = t->getArray("shape"))
      for (const llvm::json::Value &d : *dims)
        got.push_back(d.getAsInteger().value_or(-1));
    if (got != std::vector<int64_t>(shape.begin(), shape.end()))
      return error(shard.path + ": tensor '" + name + "' has shape [" +
                   shapeText(got) + "], the config implies [" +
                   shapeText(shape) + "]");
    const llvm::json::Array *offsets = t->getArray("data_offsets");
    if (!offsets || offsets->size() != 2)
      return error(shard.path + ": tensor '" + name + "' has no offsets");
    int64_t begin = (*offsets)[0].getAsInteger().value_or(-1);
    int64_t end = (*offsets)[1].getAsInteger().value_or(-1);
    if (begin < 0 || end < begin || static_cast<uint64_t>(end) > shard.dataSize)
      return error(shard.path + ": tensor '" + name + "' (bytes " +
                   llvm::Twine(begin) + " to " + llvm::Twine(end) +
                   ") lies outside the file's " + llvm::Twine(shard.dataSize) +
                   " data bytes (truncated?)");
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    if (end - begin != count * dtypeBytes(dtype))
      return error(shard.path + ": tensor '" + name + "' has " +
                   llvm::Twine(end - begin) + " bytes, its shape needs " +
                   llvm::Twine(count * dtypeBytes(dtype)));
    return StringRef(shard.data + begin, end - begin);
  }

  /// Tensor `name` of `shape` as floats: F32 in place where it is aligned
  /// (the format does not align tensors) and large, else copied; F16 and
  /// BF16 converted (exactly), or with `defer` left for
  /// LlamaModel::materialize() (their finiteness checked now).
  llvm::Expected<ArrayRef<float>>
  floats(StringRef name, ArrayRef<int64_t> shape, bool defer = false) const {
    StringRef dtype;
    llvm::Expected<StringRef> raw =
        bytes(name, shape, {"F32", "F16", "BF16"}, dtype);
    if (!raw)
      return raw.takeError();
    size_t count = raw->size() / dtypeBytes(dtype);
    if (defer && dtype != "F32")
      return deferred(name, *raw, dtype == "BF16");
    // Small F32 tensors (norms) are copied: in place they would keep a
    // converted checkpoint's files mapped.
    if (dtype == "F32" && raw->size() >= kInPlaceBytes &&
        reinterpret_cast<uintptr_t>(raw->data()) % alignof(float) == 0) {
      inPlace = true;
      return ArrayRef<float>(reinterpret_cast<const float *>(raw->data()),
                             count);
    }
    std::vector<float> &out = own(count);
    if (dtype == "F32") {
      std::memcpy(out.data(), raw->data(), raw->size());
    } else {
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, raw->data() + 2 * i, 2);
        out[i] = dtype == "F16" ? num::decodeF16(bits) : num::decodeBF16(bits);
      }
    }
    return ArrayRef<float>(out);
  }

  /// Whether a tensor points into the files (else they can go once read).
  bool pointsIntoFiles() const { return inPlace || !model.deferred.empty(); }

  /// F16/BF16 `raw` in reserved memory, converted on materialize().
  llvm::Expected<ArrayRef<float>> deferred(StringRef name, StringRef raw,
                                           bool bf16) const {
    const size_t count = raw.size() / 2;
    // Non-finite: the exponent all ones.
    const uint16_t exponent = bf16 ? 0x7F80 : 0x7C00;
    for (size_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, raw.data() + 2 * i, 2);
      if ((bits & exponent) == exponent)
        return error(firstPath() + ": tensor " + name + " holds " +
                     ((bits & ~exponent & 0x7FFF) ? "NaN" : "an infinity") +
                     " at element " + llvm::Twine(i) +
                     "; mxc needs finite weights");
    }
    LlamaModel::Deferred d;
    d.source = raw.data();
    d.sourceMapped = model.inMappedFile(raw.data(), raw.size());
    d.bf16 = bf16;
    // The check read the file's pages: they go until materialize().
    if (d.sourceMapped)
      dropPages(raw.data(), raw.size());
    auto block = std::make_unique<LlamaModel::Reserved>();
    block->bytes = count * sizeof(float);
    void *memory = ::mmap(nullptr, block->bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED)
      return error("cannot reserve " + llvm::Twine(block->bytes >> 20) +
                   " MiB for tensor '" + name + "'");
    block->data = static_cast<float *>(memory);
    model.deferred[block->data] = d;
    ArrayRef<float> floats(block->data, count);
    model.reserved.push_back(std::move(block));
    return floats;
  }

  std::vector<float> &own(size_t count) const {
    model.owned.push_back(std::make_unique<std::vector<float>>(count));
    return *model.owned.back();
  }

  std::string firstPath() const {
    return shards.empty() ? std::string("safetensors") : shards.front().path;
  }

private:
  std::vector<Shard> shards;
  LlamaModel &model;
  llvm::StringMap<const Shard *> where;
  mutable bool inPlace = false;
};

/// HF stores q/k rows permuted for rotate_half RoPE: its row
/// h*hd + j*(hd/2) + i is llama2.c's row h*hd + 2i + j. The rows of `w`
/// (`rowLength` elements each, `heads` heads of `headDim` rows) in llama2.c's
/// order.
template <typename T>
std::vector<T> unpermuteRows(ArrayRef<T> w, int64_t heads, int64_t headDim,
                             int64_t rowLength) {
  std::vector<T> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < headDim / 2; ++i)
        std::copy_n(
            w.data() + (h * headDim + j * (headDim / 2) + i) * rowLength,
            rowLength, out.data() + (h * headDim + 2 * i + j) * rowLength);
  return out;
}

} // namespace

llvm::Expected<LlamaModel>
mxc::frontend::loadHuggingFace(StringRef dir, const LoadOptions &options) {
  llvm::SmallString<256> configPath(dir);
  llvm::sys::path::append(configPath, "config.json");
  auto configBuffer = llvm::MemoryBuffer::getFile(configPath);
  if (!configBuffer)
    return error("cannot open '" + configPath +
                 "': " + configBuffer.getError().message());
  llvm::Expected<HuggingFaceConfig> hf =
      parseHuggingFaceConfig((*configBuffer)->getBuffer(), configPath);
  if (!hf)
    return hf.takeError();

  // One file, or the shards the index names.
  std::vector<std::string> names;
  llvm::SmallString<256> single(dir), indexPath(dir);
  llvm::sys::path::append(single, "model.safetensors");
  llvm::sys::path::append(indexPath, "model.safetensors.index.json");
  if (llvm::sys::fs::exists(single)) {
    names.push_back("model.safetensors");
  } else if (llvm::sys::fs::exists(indexPath)) {
    auto indexBuffer = llvm::MemoryBuffer::getFile(indexPath);
    if (!indexBuffer)
      return error("cannot open '" + indexPath +
                   "': " + indexBuffer.getError().message());
    llvm::Expected<llvm::json::Value> index =
        parseJSON((*indexBuffer)->getBuffer(), indexPath);
    if (!index)
      return index.takeError();
    const llvm::json::Object *map =
        index->getAsObject() ? index->getAsObject()->getObject("weight_map")
                             : nullptr;
    if (!map)
      return error(indexPath + ": no \"weight_map\" object");
    llvm::StringSet<> seen;
    for (const auto &entry : *map) {
      std::optional<StringRef> file = entry.second.getAsString();
      if (!file)
        return error(indexPath + ": the file of tensor '" + entry.first.str() +
                     "' is not a string");
      if (file->empty() || file->contains('/') || file->contains('\\') ||
          *file == "." || *file == "..")
        return error(indexPath + ": tensor '" + entry.first.str() +
                     "' names file '" + *file +
                     "', not a file of this directory");
      if (seen.insert(*file).second)
        names.push_back(file->str());
    }
    // Shards in name order (model-00001-of-00002 first), as the index's
    // keys come in hash order.
    llvm::sort(names);
  } else {
    return error(dir + " has no model.safetensors or "
                       "model.safetensors.index.json");
  }
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<std::string> paths;
  for (const std::string &name : names) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return error("cannot open '" + path +
                   "': " + buffer.getError().message());
    buffers.push_back(std::move(*buffer));
    paths.push_back(std::string(path));
  }
  return readSafetensors(std::move(buffers), paths, *hf, options);
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
    if (type == "llama3") {
      const llvm::json::Object *o = scaling->getAsObject();
      std::optional<double> values[4];
      const char *keys[4] = {"factor", "low_freq_factor", "high_freq_factor",
                             "original_max_position_embeddings"};
      for (int i = 0; i < 4; ++i) {
        values[i] = o->getNumber(keys[i]);
        if (!values[i] || !(*values[i] > 0) || !std::isfinite(*values[i]))
          return error(configPath +
                       ": rope_scaling (llama3) needs a positive " + keys[i]);
      }
      if (!(*values[1] < *values[2]))
        return error(configPath + ": rope_scaling (llama3) needs "
                                  "low_freq_factor < high_freq_factor");
      if (c.dim > 0 && c.heads > 0 && c.dim % c.heads == 0)
        c.ropeFreqFactors =
            llama3RopeFactors(c.headDim(), c.ropeTheta, *values[0], *values[1],
                              *values[2], *values[3]);
    } else if (type != "default") {
      return error(configPath + ": rope_scaling of type '" + type +
                   "' is not implemented (mxc applies plain RoPE and Llama "
                   "3's)");
    }
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
                               const HuggingFaceConfig &hf, StringRef path) {
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  buffers.push_back(std::move(buffer));
  return readSafetensors(std::move(buffers), {path.str()}, hf);
}

llvm::Expected<LlamaModel> mxc::frontend::readSafetensors(
    std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers,
    ArrayRef<std::string> paths, const HuggingFaceConfig &hf,
    const LoadOptions &options) {
  assert(buffers.size() == paths.size() && "a path per file");
  LlamaModel model;
  model.config = hf.config;
  const LlamaConfig &c = model.config;
  std::vector<Shard> shards;
  for (auto [buffer, path] : llvm::zip_equal(buffers, paths)) {
    llvm::Expected<Shard> shard = readShard(*buffer, path);
    if (!shard)
      return shard.takeError();
    shards.push_back(std::move(*shard));
    model.mapped.push_back(std::move(buffer));
  }
  Tensors tensors(std::move(shards), model);
  if (llvm::Error e = tensors.index())
    return std::move(e);

  int64_t mxCount = 0;
  // A matmul weight `base`.weight of [rows, cols], or its MXFP4 form
  // `base`_blocks + `base`_scales; q/k (`heads` > 0) unpermuted.
  auto matmul = [&](const std::string &base, const std::string &mxName,
                    int64_t rows, int64_t cols, int64_t heads,
                    bool defer = false) -> llvm::Expected<ArrayRef<float>> {
    std::string blocksName = base + "_blocks", scalesName = base + "_scales";
    if (tensors.has(base + ".weight") || !tensors.has(blocksName)) {
      llvm::Expected<ArrayRef<float>> w =
          tensors.floats(base + ".weight", {rows, cols}, defer);
      if (!w || heads == 0)
        return w;
      if (auto d = model.deferred.find(w->data()); d != model.deferred.end()) {
        // Unpermuted when converted.
        d->second.heads = heads;
        d->second.headDim = c.headDim();
        d->second.rowLength = cols;
        return w;
      }
      std::vector<float> &out = tensors.own(w->size());
      out = unpermuteRows(*w, heads, c.headDim(), cols);
      return ArrayRef<float>(out);
    }
    if (cols % 32 != 0)
      return error(tensors.firstPath() + ": tensor '" + blocksName +
                   "' holds rows of " + llvm::Twine(cols) +
                   " weights, not whole MXFP4 blocks of 32");
    StringRef dtype;
    llvm::Expected<StringRef> blocks =
        tensors.bytes(blocksName, {rows, cols / 32, 16}, {"U8"}, dtype);
    if (!blocks)
      return blocks.takeError();
    llvm::Expected<StringRef> scales =
        tensors.bytes(scalesName, {rows, cols / 32}, {"U8"}, dtype);
    if (!scales)
      return scales.takeError();
    num::MXTensor t;
    t.layout = {num::ElemFormat::E2M1, 32, rows, cols};
    t.data.assign(blocks->bytes_begin(), blocks->bytes_end());
    t.scales.assign(scales->bytes_begin(), scales->bytes_end());
    if (heads > 0) {
      t.data = unpermuteRows(ArrayRef<uint8_t>(t.data), heads, c.headDim(),
                             cols / 2);
      t.scales = unpermuteRows(ArrayRef<uint8_t>(t.scales), heads, c.headDim(),
                               cols / 32);
    }
    if (auto nan = llvm::find(t.scales, num::kE8M0NaN); nan != t.scales.end())
      return error(tensors.firstPath() + ": tensor '" + scalesName +
                   "' has scale byte 0xFF at element " +
                   llvm::Twine(nan - t.scales.begin()) +
                   ", which OCP MX reads as NaN");
    std::vector<double> values = num::dequantize(t);
    std::vector<float> &out = tensors.own(values.size());
    std::copy(values.begin(), values.end(), out.begin());
    model.mxWeights[mxName] = std::move(t);
    ++mxCount;
    return ArrayRef<float>(out);
  };

  auto embed = tensors.floats("model.embed_tokens.weight", {c.vocab, c.dim});
  if (!embed)
    return embed.takeError();
  model.tokenEmbedding = *embed;
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    std::string m = "layers." + std::to_string(l) + ".";
    LlamaLayer layer;
    auto attentionNorm = tensors.floats(p + "input_layernorm.weight", {c.dim});
    if (!attentionNorm)
      return attentionNorm.takeError();
    layer.attentionNorm = *attentionNorm;
    auto ffnNorm =
        tensors.floats(p + "post_attention_layernorm.weight", {c.dim});
    if (!ffnNorm)
      return ffnNorm.takeError();
    layer.ffnNorm = *ffnNorm;
    struct Item {
      const char *name, *mxName;
      ArrayRef<float> *dst;
      int64_t rows, cols, heads;
    } items[] = {
        {"self_attn.q_proj", "wq", &layer.wq, c.dim, c.dim, c.heads},
        {"self_attn.k_proj", "wk", &layer.wk, c.kvDim(), c.dim, c.kvHeads},
        {"self_attn.v_proj", "wv", &layer.wv, c.kvDim(), c.dim, 0},
        {"self_attn.o_proj", "wo", &layer.wo, c.dim, c.dim, 0},
        {"mlp.gate_proj", "w1", &layer.w1, c.hiddenDim, c.dim, 0},
        {"mlp.down_proj", "w2", &layer.w2, c.dim, c.hiddenDim, 0},
        {"mlp.up_proj", "w3", &layer.w3, c.hiddenDim, c.dim, 0},
    };
    for (Item &item : items) {
      auto w = matmul(p + item.name, m + item.mxName, item.rows, item.cols,
                      item.heads, options.deferConversion);
      if (!w)
        return w.takeError();
      *item.dst = *w;
    }
    model.layers.push_back(layer);
  }
  auto norm = tensors.floats("model.norm.weight", {c.dim});
  if (!norm)
    return norm.takeError();
  model.finalNorm = *norm;
  if (hf.tiedEmbeddings) {
    model.classifier = model.tokenEmbedding;
  } else {
    auto head = matmul("lm_head", "classifier", c.vocab, c.dim, 0);
    if (!head)
      return head.takeError();
    model.classifier = *head;
  }
  if (mxCount)
    model.notes.push_back(std::to_string(mxCount) +
                          " MXFP4 tensors decoded to float" + kKeepHint.str());
  if (llvm::Error e = checkFiniteWeights(model, tensors.firstPath()))
    return std::move(e);
  // Converted (F16, BF16) or copied tensors do not need the files: unmapped,
  // their pages leave the process (a 1.1B bf16 checkpoint: 2.2 GB).
  if (!tensors.pointsIntoFiles())
    model.mapped.clear();
  return std::move(model);
}

void mxc::frontend::writeSafetensors(llvm::raw_ostream &os,
                                     ArrayRef<SafetensorsTensor> tensors) {
  std::string header;
  llvm::raw_string_ostream hs(header);
  llvm::json::OStream json(hs);
  uint64_t offset = 0;
  json.object([&] {
    for (const SafetensorsTensor &t : tensors)
      json.attributeObject(t.name, [&] {
        json.attribute("dtype", t.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t d : t.shape)
            json.value(d);
        });
        json.attributeArray("data_offsets", [&] {
          json.value(offset);
          json.value(offset + t.bytes.size());
        });
        offset += t.bytes.size();
      });
  });
  // Padded with spaces so that the data starts 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');
  uint64_t size = header.size();
  char sizeBytes[8];
  std::memcpy(sizeBytes, &size, 8);
  os.write(sizeBytes, 8);
  os << header;
  for (const SafetensorsTensor &t : tensors)
    os << t.bytes;
}
