//===- Checkpoint.cpp - Llama checkpoints: llama2.c and HuggingFace -------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/GGUF.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Support/Output.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sys/mman.h>

using namespace mxc::frontend;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
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

std::vector<float> mxc::frontend::llama3RopeFactors(int64_t headDim,
                                                    double theta, double factor,
                                                    double lowFreqFactor,
                                                    double highFreqFactor,
                                                    double originalContext) {
  const double lowFreqWavelength = originalContext / lowFreqFactor;
  const double highFreqWavelength = originalContext / highFreqFactor;
  std::vector<float> factors;
  for (int64_t p = 0; p < headDim / 2; ++p) {
    double freq = 1.0 / std::pow(theta, static_cast<double>(2 * p) / headDim);
    double wavelength = 2 * M_PI / freq, scaled;
    if (wavelength < highFreqWavelength) {
      scaled = freq;
    } else if (wavelength > lowFreqWavelength) {
      scaled = freq / factor;
    } else {
      double smooth = (originalContext / wavelength - lowFreqFactor) /
                      (highFreqFactor - lowFreqFactor);
      scaled = (1 - smooth) * freq / factor + smooth * freq;
    }
    factors.push_back(static_cast<float>(freq / scaled));
  }
  return factors;
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
  if (!c.ropeFreqFactors.empty()) {
    if (static_cast<int64_t>(c.ropeFreqFactors.size()) != c.headDim() / 2)
      return bad(llvm::Twine(c.ropeFreqFactors.size()) +
                 " RoPE frequency factors for heads of " +
                 llvm::Twine(c.headDim()) + " dims (one per pair)");
    for (float f : c.ropeFreqFactors)
      if (!(f > 0) || !std::isfinite(f))
        return bad("a RoPE frequency factor must be finite and positive, "
                   "not " +
                   std::to_string(f));
  }
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

void mxc::frontend::dropPages(const void *begin, size_t bytes) {
  // The whole pages only: their neighbours keep theirs.
  const uintptr_t page = llvm::sys::Process::getPageSizeEstimate();
  const uintptr_t at = reinterpret_cast<uintptr_t>(begin);
  uintptr_t first = (at + page - 1) / page * page,
            last = (at + bytes) / page * page;
  if (first < last)
    ::madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

void LlamaModel::releasePages(llvm::ArrayRef<float> tensor) const {
  const char *begin = reinterpret_cast<const char *>(tensor.data());
  const char *end = begin + tensor.size() * sizeof(float);
  if (auto it = deferred.find(tensor.data()); it != deferred.end()) {
    // Reserved memory is page-aligned: all of it goes.
    dropPages(begin, end - begin);
    it->second.ready = false;
    return;
  }
  if (inMappedFile(begin, end - begin))
    dropPages(begin, end - begin);
}

bool LlamaModel::inMappedFile(const void *begin, size_t bytes) const {
  const char *first = static_cast<const char *>(begin), *end = first + bytes;
  return llvm::any_of(mapped, [&](const auto &file) {
    return file->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap &&
           first >= file->getBufferStart() && end <= file->getBufferEnd();
  });
}

LlamaModel::Reserved::~Reserved() {
  if (data)
    ::munmap(data, bytes);
}

void LlamaModel::materialize(llvm::ArrayRef<float> tensor) const {
  auto it = deferred.find(tensor.data());
  if (it == deferred.end() || it->second.ready)
    return;
  Deferred &d = it->second;
  float *out = const_cast<float *>(tensor.data());
  const int64_t rowLength = d.heads ? d.rowLength : tensor.size();
  const int64_t rows = tensor.size() / rowLength;
  for (int64_t r = 0; r < rows; ++r) {
    // HF's q/k row h*hd + j*(hd/2) + i is llama2.c's row h*hd + 2i + j.
    int64_t to = r;
    if (d.heads) {
      int64_t h = r / d.headDim, within = r % d.headDim,
              j = within / (d.headDim / 2), i = within % (d.headDim / 2);
      to = h * d.headDim + 2 * i + j;
    }
    const char *in = d.source + 2 * r * rowLength;
    float *row = out + to * rowLength;
    for (int64_t e = 0; e < rowLength; ++e) {
      uint16_t bits;
      std::memcpy(&bits, in + 2 * e, 2);
      row[e] = d.bf16 ? numerics::decodeBF16(bits) : numerics::decodeF16(bits);
    }
  }
  d.ready = true;
  // The file's pages of this tensor are read again only if it is released
  // and materialized again.
  if (d.sourceMapped)
    dropPages(d.source, 2 * tensor.size());
}

void LlamaModel::materializeAll() const {
  for (const std::unique_ptr<Reserved> &r : reserved)
    materialize(llvm::ArrayRef<float>(r->data, r->bytes / sizeof(float)));
}

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
  StringRef bytes = buffer->getBuffer();
  model.mapped.push_back(std::move(buffer));
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

llvm::Expected<LlamaModel>
mxc::frontend::loadCheckpoint(StringRef path, const LoadOptions &options) {
  if (llvm::sys::fs::is_directory(path))
    return loadHuggingFace(path, options);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open checkpoint '" + path +
                 "': " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (isGGUF(bytes))
    return readGGUFModel(std::move(*buffer), path);
  // llama2.c files have no magic: a header of implausible dimensions means
  // the file is of no format mxc reads.
  bool plausible = false;
  if (bytes.size() >= 28) {
    int32_t h[7];
    std::memcpy(h, bytes.data(), sizeof(h));
    LlamaConfig header;
    header.dim = h[0];
    header.hiddenDim = h[1];
    header.layers = h[2];
    header.heads = h[3];
    header.kvHeads = h[4];
    header.vocab = std::abs(static_cast<int64_t>(h[5]));
    header.seqLen = h[6];
    llvm::Error e = validateConfig(header, path);
    plausible = !e;
    llvm::consumeError(std::move(e));
  }
  if (!plausible)
    return error(path + ": not a model file mxc reads (a llama2.c "
                        "checkpoint, a GGUF file, or a HuggingFace "
                        "directory)");
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
