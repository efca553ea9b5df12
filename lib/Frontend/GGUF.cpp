//===- GGUF.cpp - GGUF files: llama.cpp's model format --------------------===//

#include "mxc/Frontend/GGUF.h"
#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/Numerics/Element.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mxc::frontend;
namespace num = mxc::numerics;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr int64_t kQK = 32; // elements of a Q4_0, Q8_0 or MXFP4 block
/// SentencePiece's word-boundary mark, U+2581, which llama2.c writes as ' '.
constexpr StringRef kSpaceMark = "\xE2\x96\x81";

struct TypeTraits {
  int64_t blockElements;
  int64_t blockBytes;
};

std::optional<TypeTraits> traitsOf(uint32_t type) {
  switch (static_cast<GGMLType>(type)) {
  case GGMLType::F32:
    return TypeTraits{1, 4};
  case GGMLType::F16:
  case GGMLType::BF16:
    return TypeTraits{1, 2};
  case GGMLType::Q4_0:
    return TypeTraits{kQK, 2 + kQK / 2};
  case GGMLType::Q8_0:
    return TypeTraits{kQK, 2 + kQK};
  case GGMLType::MXFP4:
    return TypeTraits{kQK, 1 + kQK / 2};
  }
  return std::nullopt;
}

template <typename T> T load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T)); // GGUF is little-endian, as are mxc's hosts
  return v;
}

/// A cursor over the file that fails once and then stays failed: every read
/// past the end, or an explicit fail(), records the first error.
class Cursor {
public:
  Cursor(StringRef data, StringRef path) : data(data), path(path) {}

  bool ok() const { return !failed; }
  uint64_t position() const { return pos; }
  uint64_t remaining() const { return data.size() - pos; }

  void fail(const llvm::Twine &what) {
    if (failed)
      return;
    failed = true;
    message =
        (path + ": " + what + " (at byte " + llvm::Twine(pos) + ")").str();
  }
  llvm::Error takeError() { return error(message); }

  template <typename T> T read() {
    if (failed || remaining() < sizeof(T)) {
      fail("the file ends inside its header");
      return T();
    }
    T v = load<T>(reinterpret_cast<const uint8_t *>(data.data()) + pos);
    pos += sizeof(T);
    return v;
  }

  std::string readString() {
    uint64_t length = read<uint64_t>();
    if (failed)
      return "";
    if (length > remaining()) {
      fail("a string of " + llvm::Twine(length) +
           " bytes runs past the end of the file");
      return "";
    }
    std::string s = data.substr(pos, length).str();
    pos += length;
    return s;
  }

private:
  StringRef data;
  StringRef path;
  uint64_t pos = 0;
  bool failed = false;
  std::string message;
};

/// The encoded size of one element of `kind` in an array (strings: at least
/// their length field), or 0 for a kind that is not one.
uint64_t minimumSize(GGUFValue::Kind kind) {
  switch (kind) {
  case GGUFValue::UInt8:
  case GGUFValue::Int8:
  case GGUFValue::Bool:
    return 1;
  case GGUFValue::UInt16:
  case GGUFValue::Int16:
    return 2;
  case GGUFValue::UInt32:
  case GGUFValue::Int32:
  case GGUFValue::Float32:
    return 4;
  case GGUFValue::UInt64:
  case GGUFValue::Int64:
  case GGUFValue::Float64:
  case GGUFValue::String:
    return 8;
  case GGUFValue::Array:
    return 12;
  }
  return 0;
}

/// Reads one scalar of `kind` into `integer`, `real` or `string`.
void readScalar(Cursor &in, GGUFValue::Kind kind, int64_t &integer,
                double &real, std::string &string) {
  switch (kind) {
  case GGUFValue::UInt8:
    integer = in.read<uint8_t>();
    return;
  case GGUFValue::Int8:
    integer = in.read<int8_t>();
    return;
  case GGUFValue::UInt16:
    integer = in.read<uint16_t>();
    return;
  case GGUFValue::Int16:
    integer = in.read<int16_t>();
    return;
  case GGUFValue::UInt32:
    integer = in.read<uint32_t>();
    return;
  case GGUFValue::Int32:
    integer = in.read<int32_t>();
    return;
  case GGUFValue::UInt64: {
    uint64_t v = in.read<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX))
      in.fail("a uint64 value " + llvm::Twine(v) + " is out of range");
    integer = static_cast<int64_t>(v);
    return;
  }
  case GGUFValue::Int64:
    integer = in.read<int64_t>();
    return;
  case GGUFValue::Bool: {
    uint8_t b = in.read<uint8_t>();
    if (b > 1)
      in.fail("a bool holds " + llvm::Twine(b));
    integer = b;
    return;
  }
  case GGUFValue::Float32:
    real = in.read<float>();
    return;
  case GGUFValue::Float64:
    real = in.read<double>();
    return;
  case GGUFValue::String:
    string = in.readString();
    return;
  case GGUFValue::Array:
    break;
  }
  in.fail("unknown metadata value type " +
          llvm::Twine(static_cast<uint32_t>(kind)));
}

GGUFValue readValue(Cursor &in) {
  GGUFValue value;
  uint32_t kind = in.read<uint32_t>();
  if (kind > GGUFValue::Float64) {
    in.fail("unknown metadata value type " + llvm::Twine(kind));
    return value;
  }
  value.kind = static_cast<GGUFValue::Kind>(kind);
  if (value.kind != GGUFValue::Array) {
    readScalar(in, value.kind, value.integer, value.real, value.string);
    return value;
  }
  uint32_t elementKind = in.read<uint32_t>();
  uint64_t count = in.read<uint64_t>();
  if (!in.ok())
    return value;
  if (elementKind == GGUFValue::Array || elementKind > GGUFValue::Float64) {
    in.fail(elementKind == GGUFValue::Array
                ? llvm::Twine("nested metadata arrays are not supported")
                : "unknown metadata array element type " +
                      llvm::Twine(elementKind));
    return value;
  }
  value.elementKind = static_cast<GGUFValue::Kind>(elementKind);
  if (count > in.remaining() / minimumSize(value.elementKind)) {
    in.fail("an array of " + llvm::Twine(count) +
            " elements runs past the end of the file");
    return value;
  }
  for (uint64_t i = 0; i < count && in.ok(); ++i) {
    int64_t integer = 0;
    double real = 0;
    std::string string;
    readScalar(in, value.elementKind, integer, real, string);
    if (value.elementKind == GGUFValue::String)
      value.strings.push_back(std::move(string));
    else if (value.elementKind == GGUFValue::Float32 ||
             value.elementKind == GGUFValue::Float64)
      value.reals.push_back(real);
    else
      value.integers.push_back(integer);
  }
  return value;
}

} // namespace

bool GGUFValue::isInteger() const {
  return kind != Float32 && kind != Float64 && kind != String &&
         kind != Array && kind != Bool;
}

int64_t GGUFTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string mxc::frontend::ggmlTypeName(uint32_t type) {
  static const char *const names[] = {
      "F32",   "F16",     "Q4_0",    "Q4_1",    "type 4",  "type 5",  "Q5_0",
      "Q5_1",  "Q8_0",    "Q8_1",    "Q2_K",    "Q3_K",    "Q4_K",    "Q5_K",
      "Q6_K",  "Q8_K",    "IQ2_XXS", "IQ2_XS",  "IQ3_XXS", "IQ1_S",   "IQ4_NL",
      "IQ3_S", "IQ2_S",   "IQ4_XS",  "I8",      "I16",     "I32",     "I64",
      "F64",   "IQ1_M",   "BF16",    "type 31", "type 32", "type 33", "TQ1_0",
      "TQ2_0", "type 36", "type 37", "type 38", "MXFP4"};
  if (type < std::size(names))
    return names[type];
  return "type " + std::to_string(type);
}

const GGUFValue *GGUFFile::find(StringRef key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

const GGUFTensor *GGUFFile::findTensor(StringRef name) const {
  for (const GGUFTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

bool mxc::frontend::isGGUF(StringRef bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0;
}

std::optional<uint64_t>
mxc::frontend::ggmlTensorBytes(uint32_t type, ArrayRef<int64_t> shape) {
  std::optional<TypeTraits> traits = traitsOf(type);
  if (!traits || shape.empty() || shape[0] % traits->blockElements != 0)
    return std::nullopt;
  uint64_t bytes = (shape[0] / traits->blockElements) * traits->blockBytes;
  for (int64_t d : shape.drop_front()) {
    if (d <= 0 || bytes > (uint64_t(1) << 62) / static_cast<uint64_t>(d))
      return std::nullopt;
    bytes *= d;
  }
  return bytes;
}

llvm::Expected<GGUFFile>
mxc::frontend::parseGGUF(std::unique_ptr<llvm::MemoryBuffer> buffer,
                         StringRef path) {
  GGUFFile file;
  StringRef data = buffer->getBuffer();
  Cursor in(data, path);
  if (!isGGUF(data))
    return error(path + ": not a GGUF file (no 'GGUF' magic)");
  in.read<uint32_t>();
  file.version = in.read<uint32_t>();
  if (in.ok() && file.version != 2 && file.version != 3)
    return error(path + ": GGUF version " + llvm::Twine(file.version) +
                 " is not supported (mxc reads versions 2 and 3)");
  uint64_t numTensors = in.read<uint64_t>();
  uint64_t numMetadata = in.read<uint64_t>();
  // Each entry takes at least a key/name length and a type.
  if (in.ok() &&
      (numMetadata > in.remaining() / 12 || numTensors > in.remaining() / 24))
    in.fail("the header claims " + llvm::Twine(numMetadata) +
            " metadata entries and " + llvm::Twine(numTensors) +
            " tensors, more than the file can hold");
  for (uint64_t i = 0; i < numMetadata && in.ok(); ++i) {
    std::string key = in.readString();
    GGUFValue value = readValue(in);
    if (in.ok() && !file.metadata.try_emplace(key, std::move(value)).second)
      in.fail("metadata key '" + key + "' appears twice");
  }
  if (const GGUFValue *a = file.find("general.alignment"); a && in.ok()) {
    if (!a->isInteger() || a->integer <= 0 ||
        !llvm::isPowerOf2_64(a->integer) || a->integer > (1 << 20))
      in.fail("general.alignment must be a power of two");
    else
      file.alignment = a->integer;
  }
  for (uint64_t i = 0; i < numTensors && in.ok(); ++i) {
    GGUFTensor t;
    t.name = in.readString();
    uint32_t dims = in.read<uint32_t>();
    if (in.ok() && (dims == 0 || dims > 4))
      in.fail("tensor '" + t.name + "' has " + llvm::Twine(dims) +
              " dimensions (ggml has 1 to 4)");
    int64_t elements = 1;
    for (uint32_t d = 0; d < dims && in.ok(); ++d) {
      int64_t n = in.read<int64_t>();
      if (in.ok() && (n <= 0 || n > (int64_t(1) << 40) ||
                      elements > (int64_t(1) << 50) / n))
        in.fail("tensor '" + t.name + "' has an invalid dimension " +
                llvm::Twine(n));
      elements *= n;
      t.shape.push_back(n);
    }
    t.type = in.read<uint32_t>();
    t.offset = in.read<uint64_t>();
    if (in.ok() && file.findTensor(t.name))
      in.fail("tensor '" + t.name + "' appears twice");
    file.tensors.push_back(std::move(t));
  }
  if (!in.ok())
    return in.takeError();
  uint64_t dataStart = llvm::alignTo(in.position(), file.alignment);
  if (dataStart > data.size() && !file.tensors.empty())
    return error(path + ": the file ends before its tensor data");
  uint64_t dataSize = data.size() > dataStart ? data.size() - dataStart : 0;
  for (GGUFTensor &t : file.tensors) {
    if (t.offset % file.alignment != 0)
      return error(path + ": tensor '" + t.name + "' is at offset " +
                   llvm::Twine(t.offset) + ", not a multiple of the " +
                   llvm::Twine(file.alignment) + "-byte alignment");
    std::optional<uint64_t> bytes = ggmlTensorBytes(t.type, t.shape);
    if (!bytes) {
      if (!traitsOf(t.type))
        continue; // a type mxc does not read; refused if it is ever needed
      return error(path + ": tensor '" + t.name + "' (" + ggmlTypeName(t.type) +
                   ") has rows of " + llvm::Twine(t.shape[0]) +
                   " elements, not whole blocks of its type");
    }
    if (t.offset > dataSize || *bytes > dataSize - t.offset)
      return error(path + ": tensor '" + t.name + "' (" + llvm::Twine(*bytes) +
                   " bytes at offset " + llvm::Twine(t.offset) +
                   ") runs past the end of the file (truncated?)");
    t.bytes = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.data()) +
                                    dataStart + t.offset,
                                *bytes);
  }
  file.buffer = std::move(buffer);
  return file;
}

llvm::Expected<num::MXTensor>
mxc::frontend::mxfp4FromGGML(ArrayRef<uint8_t> blocks, int64_t rows,
                             int64_t cols, StringRef name) {
  num::MXTensor t;
  t.layout = {num::ElemFormat::E2M1, kQK, rows, cols};
  int64_t numBlocks = t.layout.numScales();
  if (cols % kQK != 0 ||
      static_cast<int64_t>(blocks.size()) != numBlocks * (1 + kQK / 2))
    return error("MXFP4 tensor '" + name + "' does not hold whole blocks");
  t.scales.resize(numBlocks);
  t.data.resize(t.layout.dataBytes());
  uint8_t codes[kQK];
  for (int64_t b = 0; b < numBlocks; ++b) {
    const uint8_t *block = blocks.data() + b * (1 + kQK / 2);
    if (block[0] == 0xFF)
      return error("MXFP4 tensor '" + name + "' block " + llvm::Twine(b) +
                   " has scale byte 0xFF, which OCP MX reads as NaN");
    t.scales[b] = block[0];
    for (int64_t j = 0; j < kQK / 2; ++j) {
      codes[j] = block[1 + j] & 0xF;
      codes[j + kQK / 2] = block[1 + j] >> 4;
    }
    num::packCodes(num::ElemFormat::E2M1, codes, kQK,
                   t.data.data() + b * t.layout.blockBytes());
  }
  return t;
}

std::vector<uint8_t> mxc::frontend::mxfp4ToGGML(const num::MXTensor &t) {
  assert(t.layout.format == num::ElemFormat::E2M1 &&
         t.layout.blockSize == kQK && t.layout.cols % kQK == 0);
  int64_t numBlocks = t.layout.numScales();
  std::vector<uint8_t> out(numBlocks * (1 + kQK / 2));
  uint8_t codes[kQK];
  for (int64_t b = 0; b < numBlocks; ++b) {
    uint8_t *block = out.data() + b * (1 + kQK / 2);
    block[0] = t.scales[b];
    num::unpackCodes(num::ElemFormat::E2M1,
                     t.data.data() + b * t.layout.blockBytes(), kQK, codes);
    for (int64_t j = 0; j < kQK / 2; ++j)
      block[1 + j] = codes[j] | (codes[j + kQK / 2] << 4);
  }
  return out;
}

llvm::Expected<std::vector<float>>
mxc::frontend::decodeGGMLTensor(const GGUFTensor &t, StringRef path) {
  if (!traitsOf(t.type) || t.bytes.empty())
    return error(path + ": tensor '" + t.name + "' is " + ggmlTypeName(t.type) +
                 "; mxc reads F32, F16, BF16, Q8_0, Q4_0 and MXFP4 tensors");
  int64_t n = t.numElements();
  std::vector<float> out(n);
  const uint8_t *p = t.bytes.data();
  switch (static_cast<GGMLType>(t.type)) {
  case GGMLType::F32:
    std::memcpy(out.data(), p, n * sizeof(float));
    break;
  case GGMLType::F16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = num::decodeF16(load<uint16_t>(p + 2 * i));
    break;
  case GGMLType::BF16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = num::decodeBF16(load<uint16_t>(p + 2 * i));
    break;
  case GGMLType::Q4_0:
    // d * (nibble - 8): at most 4 + 11 significant bits, exact in float.
    for (int64_t b = 0; b < n / kQK; ++b, p += 2 + kQK / 2) {
      float d = num::decodeF16(load<uint16_t>(p));
      for (int64_t j = 0; j < kQK / 2; ++j) {
        out[b * kQK + j] = ((p[2 + j] & 0xF) - 8) * d;
        out[b * kQK + j + kQK / 2] = ((p[2 + j] >> 4) - 8) * d;
      }
    }
    break;
  case GGMLType::Q8_0:
    for (int64_t b = 0; b < n / kQK; ++b, p += 2 + kQK) {
      float d = num::decodeF16(load<uint16_t>(p));
      for (int64_t j = 0; j < kQK; ++j)
        out[b * kQK + j] = static_cast<int8_t>(p[2 + j]) * d;
    }
    break;
  case GGMLType::MXFP4: {
    int64_t cols = t.shape[0];
    llvm::Expected<num::MXTensor> mx =
        mxfp4FromGGML(t.bytes, n / cols, cols, t.name);
    if (!mx)
      return error(path + ": " + llvm::toString(mx.takeError()));
    std::vector<double> values = num::dequantize(*mx);
    for (int64_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(values[i]);
    break;
  }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The llama model
//===----------------------------------------------------------------------===//

namespace {

/// Reads the model's hyperparameters from `<arch>.*` metadata.
llvm::Expected<LlamaConfig> readConfig(const GGUFFile &file, StringRef path) {
  const GGUFValue *arch = file.find("general.architecture");
  if (!arch || arch->kind != GGUFValue::String)
    return error(path + ": no general.architecture");
  if (arch->string != "llama")
    return error(path + ": '" + arch->string +
                 "' models are not supported; mxc reads GGUF files whose "
                 "general.architecture is 'llama'");
  auto integer = [&](StringRef key,
                     std::optional<int64_t> fallback =
                         std::nullopt) -> llvm::Expected<int64_t> {
    const GGUFValue *v = file.find(("llama." + key).str());
    if (!v) {
      if (fallback)
        return *fallback;
      return error(path + ": no llama." + key + " in the metadata");
    }
    if (!v->isInteger())
      return error(path + ": llama." + key + " is not an integer");
    return v->integer;
  };
  auto real = [&](StringRef key, double fallback) -> llvm::Expected<double> {
    const GGUFValue *v = file.find(("llama." + key).str());
    if (!v)
      return fallback;
    if (!v->isReal())
      return error(path + ": llama." + key + " is not a float");
    return v->real;
  };
  LlamaConfig c;
  for (auto [field, key] : {std::pair{&c.seqLen, "context_length"},
                            std::pair{&c.dim, "embedding_length"},
                            std::pair{&c.layers, "block_count"},
                            std::pair{&c.hiddenDim, "feed_forward_length"},
                            std::pair{&c.heads, "attention.head_count"}}) {
    llvm::Expected<int64_t> v = integer(key);
    if (!v)
      return v.takeError();
    *field = *v;
  }
  llvm::Expected<int64_t> kvHeads = integer("attention.head_count_kv", c.heads);
  if (!kvHeads)
    return kvHeads.takeError();
  c.kvHeads = *kvHeads;
  llvm::Expected<double> eps = real("attention.layer_norm_rms_epsilon", 1e-5);
  llvm::Expected<double> theta = real("rope.freq_base", 10000.0);
  if (!eps)
    return eps.takeError();
  if (!theta)
    return theta.takeError();
  c.normEps = *eps;
  c.ropeTheta = *theta;
  // The vocabulary: the tokenizer's, or the embedding's rows.
  if (const GGUFValue *tokens = file.find("tokenizer.ggml.tokens"))
    c.vocab = tokens->strings.size();
  else if (const GGUFTensor *e = file.findTensor("token_embd.weight");
           e && e->shape.size() == 2)
    c.vocab = e->shape[1];
  if (llvm::Error e = validateConfig(c, path))
    return std::move(e);
  // What mxc's Llama does not have is refused by name.
  for (StringRef key : {"rope.dimension_count", "attention.key_length",
                        "attention.value_length"}) {
    llvm::Expected<int64_t> v = integer(key, c.headDim());
    if (!v)
      return v.takeError();
    if (*v != c.headDim())
      return error(path + ": llama." + key + " is " + llvm::Twine(*v) +
                   ", not the head size " + llvm::Twine(c.headDim()) +
                   "; mxc rotates and attends over whole heads");
  }
  if (const GGUFValue *s = file.find("llama.rope.scaling.type");
      s && s->string != "none") {
    const GGUFValue *factor = file.find("llama.rope.scaling.factor");
    if (!(s->string == "linear" && factor && factor->real == 1.0))
      return error(path + ": RoPE scaling '" + s->string +
                   "' is not supported (mxc implements plain RoPE)");
  }
  return c;
}

/// llama.cpp's token types.
enum TokenType : int32_t {
  kNormalToken = 1,
  kUnknownToken = 2,
  kControlToken = 3,
  kUserDefinedToken = 4,
  kByteToken = 6,
};

/// llama.cpp's names (tokenizer.ggml.pre) of the byte-level pre-tokenizers
/// mxc implements.
constexpr std::pair<StringRef, ByteLevelSplit> kPreTokenizers[] = {
    {"gpt-2", ByteLevelSplit::GPT2},
    {"llama-bpe", ByteLevelSplit::Llama3},
    {"smollm", ByteLevelSplit::GPT2Digits},
};

/// mxc's byte-level tokenizer file of the file's "gpt2" vocabulary.
llvm::Expected<std::string> readByteLevelTokenizer(const GGUFFile &file,
                                                   const GGUFValue &tokens,
                                                   const LlamaConfig &c,
                                                   StringRef path) {
  ByteLevelVocabulary v;
  const GGUFValue *pre = file.find("tokenizer.ggml.pre");
  StringRef preName = pre ? StringRef(pre->string) : "default";
  auto known = llvm::find_if(kPreTokenizers,
                             [&](auto &p) { return p.first == preName; });
  if (known == std::end(kPreTokenizers))
    return error(path + ": the byte-level pre-tokenizer '" + preName +
                 "' is not supported (mxc knows gpt-2, llama-bpe, smollm)");
  v.split = known->second;
  // llama.cpp's own rule: Llama 3's vocabulary takes whole words first.
  v.ignoreMerges = v.split == ByteLevelSplit::Llama3;
  const GGUFValue *types = file.find("tokenizer.ggml.token_type");
  if (types && types->integers.size() != tokens.strings.size())
    return error(path + ": tokenizer.ggml.token_type has " +
                 llvm::Twine(types->integers.size()) + " entries for " +
                 llvm::Twine(tokens.strings.size()) + " tokens");
  llvm::StringMap<int32_t> ids; // by spelling
  for (auto [i, token] : llvm::enumerate(tokens.strings)) {
    int64_t type = types ? types->integers[i] : kNormalToken;
    bool special = type == kControlToken || type == kUserDefinedToken;
    std::optional<std::string> bytes =
        special ? std::optional(token) : unspellByteLevel(token);
    if (!bytes)
      return error(path + ": token " + llvm::Twine(i) + " '" + token +
                   "' is not spelled in GPT-2's bytes");
    v.pieces.push_back(std::move(*bytes));
    v.special.push_back(special);
    ids.try_emplace(token, static_cast<int32_t>(i));
  }
  const GGUFValue *merges = file.find("tokenizer.ggml.merges");
  if (!merges || merges->elementKind != GGUFValue::String)
    return error(path + ": a byte-level vocabulary needs "
                        "tokenizer.ggml.merges");
  for (auto [rank, merge] : llvm::enumerate(merges->strings)) {
    auto [left, right] = StringRef(merge).split(' ');
    auto l = ids.find(left), r = ids.find(right);
    if (l == ids.end() || r == ids.end())
      return error(path + ": merge " + llvm::Twine(rank) + " '" + merge +
                   "' names no token");
    v.merges.emplace_back(l->second, r->second);
  }
  int64_t count = tokens.strings.size();
  for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", &v.bos},
                         std::pair{"tokenizer.ggml.eos_token_id", &v.eos}})
    if (const GGUFValue *value = file.find(key)) {
      if (value->integer < 0 || value->integer >= count)
        return error(path + ": " + key + " " + llvm::Twine(value->integer) +
                     " is not a token");
      *id = value->integer;
    }
  // llama.cpp's default: Llama 3 adds BOS, the others do not.
  const GGUFValue *addBos = file.find("tokenizer.ggml.add_bos_token");
  v.addBos =
      (addBos ? addBos->integer != 0 : v.split == ByteLevelSplit::Llama3) &&
      v.bos >= 0;
  std::string bytes = serializeByteLevelTokenizer(v);
  if (llvm::Expected<Tokenizer> t = Tokenizer::parse(bytes, c.vocab, path); !t)
    return t.takeError();
  return bytes;
}

/// The tokenizer file (Tokenizer::parse) of the file's vocabulary:
/// SentencePiece ("llama") or byte-level BPE ("gpt2").
llvm::Expected<std::string>
readTokenizer(const GGUFFile &file, const LlamaConfig &c, StringRef path) {
  const GGUFValue *model = file.find("tokenizer.ggml.model");
  if (!model)
    return error(path + ": no tokenizer.ggml.model: the file has no tokenizer");
  if (model->string != "llama" && model->string != "gpt2")
    return error(path + ": tokenizer '" + model->string +
                 "' is not supported; mxc reads SentencePiece ('llama') "
                 "and byte-level BPE ('gpt2') vocabularies from GGUF");
  const GGUFValue *tokens = file.find("tokenizer.ggml.tokens");
  if (!tokens || tokens->kind != GGUFValue::Array ||
      tokens->elementKind != GGUFValue::String)
    return error(path + ": tokenizer.ggml.tokens is not a string array");
  if (model->string == "gpt2")
    return readByteLevelTokenizer(file, *tokens, c, path);
  const GGUFValue *scores = file.find("tokenizer.ggml.scores");
  if (scores && scores->reals.size() != tokens->strings.size())
    return error(path + ": tokenizer.ggml.scores has " +
                 llvm::Twine(scores->reals.size()) + " entries for " +
                 llvm::Twine(tokens->strings.size()) + " tokens");
  for (auto [key, expected] :
       {std::pair{"tokenizer.ggml.bos_token_id", int64_t(Tokenizer::kBos)},
        std::pair{"tokenizer.ggml.eos_token_id", int64_t(Tokenizer::kEos)}})
    if (const GGUFValue *v = file.find(key); v && v->integer != expected)
      return error(path + ": " + key + " is " + llvm::Twine(v->integer) +
                   "; mxc's SentencePiece tokenizer has BOS 1 and EOS 2");
  std::vector<std::string> pieces;
  std::vector<float> pieceScores;
  for (auto [i, token] : llvm::enumerate(tokens->strings)) {
    std::string piece;
    for (StringRef rest = token; !rest.empty();) {
      if (rest.consume_front(kSpaceMark)) {
        piece += ' ';
      } else {
        piece += rest.front();
        rest = rest.drop_front();
      }
    }
    // Byte fallbacks must sit where the tokenizer looks for them.
    unsigned byte;
    StringRef p = piece;
    if (p.size() == 6 && p.starts_with("<0x") && p.ends_with(">") &&
        !p.substr(3, 2).getAsInteger(16, byte) &&
        static_cast<int64_t>(i) != byte + 3)
      return error(path + ": byte token " + p + " is id " + llvm::Twine(i) +
                   ", not " + llvm::Twine(byte + 3) +
                   " as in SentencePiece's Llama vocabularies");
    pieces.push_back(std::move(piece));
    pieceScores.push_back(scores ? static_cast<float>(scores->reals[i]) : 0.f);
  }
  std::string bytes = serializeLlama2cTokenizer(pieces, pieceScores);
  // The tokenizer must read back as mxc reads any llama2.c tokenizer.
  if (llvm::Expected<Tokenizer> t = Tokenizer::parse(bytes, c.vocab, path); !t)
    return t.takeError();
  return bytes;
}

struct Weight {
  const char *gguf; ///< name after "blk.<l>." (or the whole name)
  llvm::ArrayRef<float> LlamaLayer::*field;
  const char *matmul; ///< the mxc matmul name after "layers.<l>.", or null
};

constexpr Weight kLayerWeights[] = {
    {"attn_norm", &LlamaLayer::attentionNorm, nullptr},
    {"attn_q", &LlamaLayer::wq, "wq"},
    {"attn_k", &LlamaLayer::wk, "wk"},
    {"attn_v", &LlamaLayer::wv, "wv"},
    {"attn_output", &LlamaLayer::wo, "wo"},
    {"ffn_norm", &LlamaLayer::ffnNorm, nullptr},
    {"ffn_gate", &LlamaLayer::w1, "w1"},
    {"ffn_down", &LlamaLayer::w2, "w2"},
    {"ffn_up", &LlamaLayer::w3, "w3"},
};

/// [rows, cols] of each layer tensor (1-D: rows = 1).
std::pair<int64_t, int64_t> layerShape(const LlamaConfig &c, StringRef name) {
  if (name == "attn_norm" || name == "ffn_norm")
    return {1, c.dim};
  if (name == "attn_q" || name == "attn_output")
    return {c.dim, c.dim};
  if (name == "attn_k" || name == "attn_v")
    return {c.kvDim(), c.dim};
  if (name == "ffn_down")
    return {c.dim, c.hiddenDim};
  return {c.hiddenDim, c.dim}; // ffn_gate, ffn_up
}

} // namespace

llvm::Expected<LlamaModel>
mxc::frontend::readGGUFModel(std::unique_ptr<llvm::MemoryBuffer> buffer,
                             StringRef path) {
  llvm::Expected<GGUFFile> parsed = parseGGUF(std::move(buffer), path);
  if (!parsed)
    return parsed.takeError();
  GGUFFile &file = *parsed;
  llvm::Expected<LlamaConfig> config = readConfig(file, path);
  if (!config)
    return config.takeError();
  LlamaModel model;
  model.config = *config;
  const LlamaConfig &c = model.config;
  llvm::Expected<std::string> tokenizer = readTokenizer(file, c, path);
  if (!tokenizer)
    return tokenizer.takeError();
  model.tokenizer = std::move(*tokenizer);

  llvm::StringMap<int64_t> decoded; // type name -> tensors decoded
  // The tensor `name` of [rows, cols] as floats: F32 in place, any other
  // supported type decoded into model.owned.
  auto tensor = [&](const std::string &name, int64_t rows, int64_t cols,
                    const char *matmul) -> llvm::Expected<ArrayRef<float>> {
    const GGUFTensor *t = file.findTensor(name);
    if (!t)
      return error(path + ": no tensor '" + name + "'");
    llvm::SmallVector<int64_t, 2> expected = {cols};
    if (rows != 1 || t->shape.size() == 2)
      expected.push_back(rows);
    if (ArrayRef<int64_t>(t->shape) != ArrayRef<int64_t>(expected)) {
      std::string got;
      llvm::raw_string_ostream os(got);
      llvm::interleave(t->shape, os, "x");
      return error(path + ": tensor '" + name + "' has ne " + got +
                   ", expected " + llvm::Twine(cols) + "x" + llvm::Twine(rows));
    }
    const uint8_t *p = t->bytes.data();
    if (t->type == uint32_t(GGMLType::F32) && !t->bytes.empty() &&
        reinterpret_cast<uintptr_t>(p) % alignof(float) == 0)
      return ArrayRef<float>(reinterpret_cast<const float *>(p), rows * cols);
    llvm::Expected<std::vector<float>> values = decodeGGMLTensor(*t, path);
    if (!values)
      return values.takeError();
    if (matmul && t->type == uint32_t(GGMLType::MXFP4)) {
      llvm::Expected<num::MXTensor> mx =
          mxfp4FromGGML(t->bytes, rows, cols, name);
      if (!mx)
        return error(path + ": " + llvm::toString(mx.takeError()));
      model.mxWeights[matmul] = std::move(*mx);
    }
    if (t->type != uint32_t(GGMLType::F32))
      ++decoded[ggmlTypeName(t->type)];
    model.owned.push_back(
        std::make_unique<std::vector<float>>(std::move(*values)));
    return ArrayRef<float>(*model.owned.back());
  };

  llvm::Expected<ArrayRef<float>> embedding =
      tensor("token_embd.weight", c.vocab, c.dim, nullptr);
  if (!embedding)
    return embedding.takeError();
  model.tokenEmbedding = *embedding;
  for (int64_t l = 0; l < c.layers; ++l) {
    LlamaLayer layer;
    for (const Weight &w : kLayerWeights) {
      auto [rows, cols] = layerShape(c, w.gguf);
      std::string matmul =
          w.matmul ? "layers." + std::to_string(l) + "." + w.matmul : "";
      llvm::Expected<ArrayRef<float>> values =
          tensor("blk." + std::to_string(l) + "." + w.gguf + ".weight", rows,
                 cols, w.matmul ? matmul.c_str() : nullptr);
      if (!values)
        return values.takeError();
      layer.*(w.field) = *values;
    }
    model.layers.push_back(layer);
  }
  llvm::Expected<ArrayRef<float>> norm =
      tensor("output_norm.weight", 1, c.dim, nullptr);
  if (!norm)
    return norm.takeError();
  model.finalNorm = *norm;
  if (file.findTensor("output.weight")) {
    llvm::Expected<ArrayRef<float>> classifier =
        tensor("output.weight", c.vocab, c.dim, "classifier");
    if (!classifier)
      return classifier.takeError();
    model.classifier = *classifier;
  } else {
    model.classifier = model.tokenEmbedding; // tied
  }
  // Llama 3.1's RoPE scaling, as llama.cpp's converter writes it: one
  // frequency factor per pair of a head's dims.
  if (file.findTensor("rope_freqs.weight")) {
    llvm::Expected<ArrayRef<float>> factors =
        tensor("rope_freqs.weight", 1, c.headDim() / 2, nullptr);
    if (!factors)
      return factors.takeError();
    model.config.ropeFreqFactors.assign(factors->begin(), factors->end());
    if (llvm::Error e = validateConfig(model.config, path))
      return std::move(e);
  }
  if (llvm::Error e = checkFiniteWeights(model, path))
    return std::move(e);
  for (const auto &entry : decoded)
    model.notes.push_back(
        std::to_string(entry.second) + " " + entry.first().str() +
        " tensors decoded to float" +
        (entry.first() == "MXFP4" ? llvm::StringRef(kKeepHint) : "").str());
  model.mapped.push_back(std::move(file.buffer));
  return model;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

template <typename T> void append(std::string &out, T value) {
  out.append(reinterpret_cast<const char *>(&value), sizeof(T));
}

void appendString(std::string &out, StringRef s) {
  append<uint64_t>(out, s.size());
  out += s;
}

} // namespace

void GGUFWriter::addString(StringRef key, StringRef value) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::String);
  appendString(metadata, value);
  ++numMetadata;
}

void GGUFWriter::addUInt32(StringRef key, uint32_t value) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::UInt32);
  append<uint32_t>(metadata, value);
  ++numMetadata;
}

void GGUFWriter::addInt32(StringRef key, int32_t value) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Int32);
  append<int32_t>(metadata, value);
  ++numMetadata;
}

void GGUFWriter::addFloat32(StringRef key, float value) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Float32);
  append<float>(metadata, value);
  ++numMetadata;
}

void GGUFWriter::addBool(StringRef key, bool value) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Bool);
  append<uint8_t>(metadata, value);
  ++numMetadata;
}

void GGUFWriter::addStringArray(StringRef key, ArrayRef<std::string> values) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Array);
  append<uint32_t>(metadata, GGUFValue::String);
  append<uint64_t>(metadata, values.size());
  for (const std::string &v : values)
    appendString(metadata, v);
  ++numMetadata;
}

void GGUFWriter::addFloat32Array(StringRef key, ArrayRef<float> values) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Array);
  append<uint32_t>(metadata, GGUFValue::Float32);
  append<uint64_t>(metadata, values.size());
  for (float v : values)
    append<float>(metadata, v);
  ++numMetadata;
}

void GGUFWriter::addInt32Array(StringRef key, ArrayRef<int32_t> values) {
  appendString(metadata, key);
  append<uint32_t>(metadata, GGUFValue::Array);
  append<uint32_t>(metadata, GGUFValue::Int32);
  append<uint64_t>(metadata, values.size());
  for (int32_t v : values)
    append<int32_t>(metadata, v);
  ++numMetadata;
}

void GGUFWriter::addTensor(StringRef name, ArrayRef<int64_t> shape,
                           GGMLType type, std::vector<uint8_t> bytes) {
  assert(ggmlTensorBytes(uint32_t(type), shape) == bytes.size() &&
         "tensor bytes do not match its type and shape");
  tensors.push_back({name.str(), llvm::SmallVector<int64_t, 4>(shape), type,
                     std::move(bytes)});
}

void GGUFWriter::addF32Tensor(StringRef name, ArrayRef<int64_t> shape,
                              ArrayRef<float> values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  addTensor(name, shape, GGMLType::F32, std::move(bytes));
}

void GGUFWriter::write(llvm::raw_ostream &os) const {
  constexpr uint64_t kAlignment = 32;
  std::string header(kMagic, 4);
  append<uint32_t>(header, 3);
  append<uint64_t>(header, tensors.size());
  append<uint64_t>(header, numMetadata);
  header += metadata;
  uint64_t offset = 0;
  for (const Tensor &t : tensors) {
    appendString(header, t.name);
    append<uint32_t>(header, t.shape.size());
    for (int64_t d : t.shape)
      append<int64_t>(header, d);
    append<uint32_t>(header, static_cast<uint32_t>(t.type));
    append<uint64_t>(header, offset);
    offset = llvm::alignTo(offset + t.bytes.size(), kAlignment);
  }
  header.resize(llvm::alignTo(header.size(), kAlignment), '\0');
  os << header;
  for (const Tensor &t : tensors) {
    os.write(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
    os.write_zeros(llvm::alignTo(t.bytes.size(), kAlignment) - t.bytes.size());
  }
}

/// The SentencePiece vocabulary's metadata: pieces with spaces as U+2581,
/// scores, llama.cpp's token types.
static void addSentencePieceTokenizer(GGUFWriter &w, const Tokenizer &tokenizer,
                                      int64_t vocab) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int64_t i = 0; i < vocab; ++i) {
    StringRef piece = tokenizer.piece(i);
    std::string token;
    for (char ch : piece)
      token += ch == ' ' ? kSpaceMark.str() : std::string(1, ch);
    tokens.push_back(std::move(token));
    unsigned byte;
    bool isByte = piece.size() == 6 && piece.starts_with("<0x") &&
                  piece.ends_with(">") &&
                  !piece.substr(3, 2).getAsInteger(16, byte);
    types.push_back(i == 0 ? kUnknownToken
                    : i == Tokenizer::kBos || i == Tokenizer::kEos
                        ? kControlToken
                    : isByte ? kByteToken
                             : kNormalToken);
  }
  w.addString("tokenizer.ggml.model", "llama");
  w.addStringArray("tokenizer.ggml.tokens", tokens);
  w.addFloat32Array("tokenizer.ggml.scores", tokenizer.scoreList());
  w.addInt32Array("tokenizer.ggml.token_type", types);
  w.addUInt32("tokenizer.ggml.unknown_token_id", 0);
  w.addUInt32("tokenizer.ggml.bos_token_id", Tokenizer::kBos);
  w.addUInt32("tokenizer.ggml.eos_token_id", Tokenizer::kEos);
  w.addBool("tokenizer.ggml.add_bos_token", true);
}

/// The byte-level vocabulary's metadata: tokens in GPT-2's spelling
/// (special ones as text, control tokens), merges, llama.cpp's name of the
/// pre-tokenizer. Embedding rows beyond the vocabulary become control
/// tokens "<|mxc_pad_N|>" (llama.cpp wants a token per row).
static void addByteLevelTokenizer(GGUFWriter &w, const ByteLevelVocabulary &v,
                                  int64_t vocab) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (auto [piece, special] : llvm::zip_equal(v.pieces, v.special)) {
    tokens.push_back(special ? piece : spellByteLevel(piece));
    types.push_back(special ? kControlToken : kNormalToken);
  }
  for (int64_t i = tokens.size(); i < vocab; ++i) {
    tokens.push_back("<|mxc_pad_" + std::to_string(i) + "|>");
    types.push_back(kControlToken);
  }
  std::vector<std::string> merges;
  for (auto [left, right] : v.merges)
    merges.push_back(tokens[left] + " " + tokens[right]);
  auto pre = llvm::find_if(kPreTokenizers,
                           [&](auto &p) { return p.second == v.split; });
  w.addString("tokenizer.ggml.model", "gpt2");
  w.addString("tokenizer.ggml.pre", pre->first);
  w.addStringArray("tokenizer.ggml.tokens", tokens);
  w.addInt32Array("tokenizer.ggml.token_type", types);
  w.addStringArray("tokenizer.ggml.merges", merges);
  if (v.bos >= 0)
    w.addUInt32("tokenizer.ggml.bos_token_id", v.bos);
  if (v.eos >= 0)
    w.addUInt32("tokenizer.ggml.eos_token_id", v.eos);
  w.addBool("tokenizer.ggml.add_bos_token", v.addBos);
}

llvm::Expected<GGUFWriter>
mxc::frontend::buildLlamaGGUF(const LlamaModel &model,
                              const llvm::StringMap<GGUFMatmulWeight> &weights,
                              StringRef tokenizerBytes, StringRef name) {
  const LlamaConfig &c = model.config;
  llvm::Expected<Tokenizer> tokenizer =
      Tokenizer::parse(tokenizerBytes, c.vocab, "the tokenizer");
  if (!tokenizer)
    return tokenizer.takeError();
  GGUFWriter w;
  w.addString("general.architecture", "llama");
  w.addString("general.name", name);
  w.addUInt32("llama.context_length", c.seqLen);
  w.addUInt32("llama.embedding_length", c.dim);
  w.addUInt32("llama.block_count", c.layers);
  w.addUInt32("llama.feed_forward_length", c.hiddenDim);
  w.addUInt32("llama.rope.dimension_count", c.headDim());
  w.addUInt32("llama.attention.head_count", c.heads);
  w.addUInt32("llama.attention.head_count_kv", c.kvHeads);
  w.addFloat32("llama.attention.layer_norm_rms_epsilon", c.normEps);
  w.addFloat32("llama.rope.freq_base", c.ropeTheta);

  if (tokenizer->isByteLevel())
    addByteLevelTokenizer(w, tokenizer->byteLevelVocabulary(), c.vocab);
  else
    addSentencePieceTokenizer(w, *tokenizer, c.vocab);

  auto matmul = [&](const std::string &gguf, const std::string &mxc,
                    ArrayRef<float> original, int64_t rows,
                    int64_t cols) -> llvm::Error {
    auto it = weights.find(mxc);
    if (it == weights.end()) {
      w.addF32Tensor(gguf, {cols, rows}, original);
      return llvm::Error::success();
    }
    const GGUFMatmulWeight &weight = it->second;
    if (weight.mxfp4) {
      const num::MXLayout &l = weight.mxfp4->layout;
      if (l.format != num::ElemFormat::E2M1 || l.blockSize != kQK ||
          l.rows != rows || l.cols != cols || cols % kQK != 0)
        return error("matmul '" + mxc +
                     "' is not MXFP4 in blocks of 32 along rows of a "
                     "multiple of 32: GGUF has no type for it");
      w.addTensor(gguf, {cols, rows}, GGMLType::MXFP4,
                  mxfp4ToGGML(*weight.mxfp4));
      return llvm::Error::success();
    }
    if (static_cast<int64_t>(weight.values.size()) != rows * cols)
      return error("matmul '" + mxc + "' has the wrong number of weights");
    w.addF32Tensor(gguf, {cols, rows}, weight.values);
    return llvm::Error::success();
  };

  w.addF32Tensor("token_embd.weight", {c.dim, c.vocab}, model.tokenEmbedding);
  if (!c.ropeFreqFactors.empty())
    w.addF32Tensor("rope_freqs.weight",
                   {static_cast<int64_t>(c.ropeFreqFactors.size())},
                   c.ropeFreqFactors);
  for (auto [l, layer] : llvm::enumerate(model.layers)) {
    std::string prefix = "blk." + std::to_string(l) + ".";
    for (const Weight &weight : kLayerWeights) {
      auto [rows, cols] = layerShape(c, weight.gguf);
      std::string gguf = prefix + weight.gguf + ".weight";
      ArrayRef<float> values = layer.*(weight.field);
      if (!weight.matmul) {
        w.addF32Tensor(gguf, {cols}, values);
        continue;
      }
      if (llvm::Error e =
              matmul(gguf, "layers." + std::to_string(l) + "." + weight.matmul,
                     values, rows, cols))
        return std::move(e);
    }
  }
  w.addF32Tensor("output_norm.weight", {c.dim}, model.finalNorm);
  bool tied = model.classifier.data() == model.tokenEmbedding.data();
  if (!tied || weights.count("classifier"))
    if (llvm::Error e = matmul("output.weight", "classifier", model.classifier,
                               c.vocab, c.dim))
      return std::move(e);
  return w;
}
