//===- Checkpoint.h - Llama checkpoints: llama2.c and HuggingFace -*- C++ -*-//
//
// Loads a Llama-family model: a llama2.c `.bin` checkpoint, a HuggingFace
// directory (config.json + model.safetensors or its shards, read with LLVM's
// JSON parser and memory-mapped files), or a GGUF file (GGUF.h). F32 weights
// point into the mapped files; F16/BF16 ones are converted, and the q/k
// projections of a HuggingFace checkpoint copied, to undo the row
// permutation of HF's rotate_half RoPE convention, so every format describes
// the same llama2.c-convention model (adjacent dims (2i, 2i+1) rotate
// together).
//
//===----------------------------------------------------------------------===//

#ifndef MXC_FRONTEND_CHECKPOINT_H
#define MXC_FRONTEND_CHECKPOINT_H

#include "mxc/Numerics/MX.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <memory>
#include <vector>

namespace mxc::frontend {

/// Hyperparameters of a Llama model.
struct LlamaConfig {
  int64_t dim = 0;
  int64_t hiddenDim = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t vocab = 0;
  int64_t seqLen = 0;
  double normEps = 1e-5;
  double ropeTheta = 10000.0;
  /// RoPE frequency factors, one per pair of a head's dims (headDim / 2), or
  /// none: pair p rotates by pos * theta^(-2p/headDim) / factor[p]. Llama
  /// 3.1's rope_scaling and GGUF's rope_freqs tensor are expressed this way
  /// (llama.cpp's freq_factors).
  std::vector<float> ropeFreqFactors;

  int64_t headDim() const { return dim / heads; }
  int64_t kvDim() const { return kvHeads * headDim(); }
  /// The rotation frequency of a head's dims (2p, 2p+1).
  double ropeFrequency(int64_t pair) const {
    double f = 1.0 / std::pow(ropeTheta, static_cast<double>(2 * pair) /
                                             static_cast<double>(headDim()));
    return ropeFreqFactors.empty() ? f : f / ropeFreqFactors[pair];
  }
};

/// Llama 3.1's rope_scaling ("rope_type": "llama3") as frequency factors
/// (transformers' _compute_llama3_parameters): wavelengths shorter than
/// `originalContext / highFreqFactor` keep their frequency, longer than
/// `originalContext / lowFreqFactor` divide it by `factor`, and those
/// between interpolate smoothly.
std::vector<float> llama3RopeFactors(int64_t headDim, double theta,
                                     double factor, double lowFreqFactor,
                                     double highFreqFactor,
                                     double originalContext);

/// One transformer layer's weights; matrices are [out, in] row-major.
struct LlamaLayer {
  llvm::ArrayRef<float> attentionNorm, wq, wk, wv, wo;
  llvm::ArrayRef<float> ffnNorm, w1, w2, w3;
  /// Per-channel factors on the inputs of wo ([dim]) and w2 ([hidden]),
  /// applied before the matmul (SmoothQuant's 1/s where no norm gain
  /// absorbs it: a model tuned after smoothing); empty: none.
  llvm::ArrayRef<float> woInputScale = {}, w2InputScale = {};
};

/// A loaded model. The arrays point into `mapped` (or `owned`).
struct LlamaModel {
  LlamaConfig config;
  llvm::ArrayRef<float> tokenEmbedding; ///< [vocab, dim]
  std::vector<LlamaLayer> layers;
  llvm::ArrayRef<float> finalNorm;  ///< [dim]
  llvm::ArrayRef<float> classifier; ///< [vocab, dim]; the embedding if tied
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> mapped;
  std::vector<std::unique_ptr<std::vector<float>>> owned;
  /// The tokenizer the file carries (GGUF), as llama2.c tokenizer bytes;
  /// empty when it has none.
  std::string tokenizer;
  /// Matmul weights the file holds already quantized to MX (GGUF MXFP4,
  /// safetensors `_blocks`/`_scales`), by
  /// matmul name ("layers.0.wq", "classifier"), bit for bit; the float
  /// arrays above hold the same values decoded.
  llvm::StringMap<numerics::MXTensor> mxWeights;
  /// What loading did to the weights ("14 Q8_0 tensors decoded to float").
  std::vector<std::string> notes;

  /// Number of weights (parameters).
  int64_t numParameters() const;
  /// Lets the system drop the memory pages of `tensor` that lie in a
  /// memory-mapped file (read back from the file when touched again), so
  /// that they stop counting towards the process's memory; a deferred
  /// tensor's are dropped and its values are gone until materialize(); does
  /// nothing to a tensor in owned memory. For a streaming compile, after
  /// the last use.
  void releasePages(llvm::ArrayRef<float> tensor) const;

  /// A tensor whose conversion to float waits for materialize()
  /// (LoadOptions::deferConversion): its floats are reserved, untouched
  /// memory until then.
  struct Deferred {
    const char *source = nullptr; ///< F16 or BF16 in a loaded file
    /// Whether `source` lies in a memory-mapped file (whose pages can be
    /// dropped and read again), not in a buffer read into memory.
    bool sourceMapped = false;
    bool bf16 = true;
    /// q/k of a HuggingFace checkpoint: the rows to unpermute (0: none).
    int64_t heads = 0, headDim = 0, rowLength = 0;
    bool ready = false;
  };
  /// By the tensor's data.
  mutable llvm::DenseMap<const float *, Deferred> deferred;
  /// The reserved memory of deferred tensors.
  struct Reserved {
    float *data = nullptr;
    size_t bytes = 0;
    ~Reserved();
  };
  std::vector<std::unique_ptr<Reserved>> reserved;
  /// Converts `tensor` if it is deferred and not converted (again) yet.
  void materialize(llvm::ArrayRef<float> tensor) const;
  /// materialize() of every deferred tensor.
  void materializeAll() const;
  /// Whether [begin, begin + bytes) lies in a memory-mapped file of
  /// `mapped`.
  bool inMappedFile(const void *begin, size_t bytes) const;
};

/// What a note about MXFP4 tensors decoded to float adds: how to keep them.
constexpr llvm::StringLiteral kKeepHint =
    " (checkpoint-mx=keep, as in preset w4-keep, uses their codes as they "
    "are)";

/// Checks `config` (from the file `path`, named in the error): positive
/// dimensions within plausible bounds, heads that divide the model width
/// into even head sizes and into KV groups, 2 <= seq_len <= 2^20, finite
/// positive norm epsilon and RoPE base.
llvm::Error validateConfig(const LlamaConfig &config, llvm::StringRef path);

/// An error naming the first non-finite weight of `model` (`path` names the
/// file), or success.
llvm::Error checkFiniteWeights(const LlamaModel &model, llvm::StringRef path);

/// The longest JSON nesting the loaders accept (config.json, safetensors
/// headers): deeper files are refused before parsing, which recurses.
constexpr int kMaxJSONDepth = 64;

/// llvm::json::parse of `text` (`path` names it in errors), refusing nesting
/// deeper than kMaxJSONDepth before parsing.
llvm::Expected<llvm::json::Value> parseJSON(llvm::StringRef text,
                                            llvm::StringRef path);

/// Loads a llama2.c checkpoint (legacy version 0 layout). The file must be
/// exactly as long as its header's model; every weight must be finite.
llvm::Expected<LlamaModel> loadLlama2c(llvm::StringRef path);

/// A llama2.c checkpoint from its bytes; `path` names it in errors.
llvm::Expected<LlamaModel>
readLlama2c(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef path);

/// Lets the system drop the whole memory pages inside [begin, begin +
/// bytes) (madvise DONTNEED): those of a mapped file are read again when
/// touched, anonymous ones read as zeros.
void dropPages(const void *begin, size_t bytes);

/// How to load a checkpoint.
struct LoadOptions {
  /// Leave the F16/BF16 matmul weights of the transformer layers in the
  /// mapped files, converted by LlamaModel::materialize() when a streaming
  /// compile needs them, one layer at a time (HuggingFace checkpoints).
  bool deferConversion = false;
};

/// Loads a HuggingFace LlamaForCausalLM directory: config.json, and
/// model.safetensors or the shards model.safetensors.index.json names.
/// Tensors are F32, F16 or BF16; a matmul weight `<name>.weight` may instead
/// be MXFP4 as gpt-oss stores it, `<name>_blocks` (U8 [rows, cols/32, 16],
/// OCP E2M1 packing) and `<name>_scales` (U8 E8M0 [rows, cols/32]), which
/// is kept bit for bit in LlamaModel::mxWeights.
llvm::Expected<LlamaModel> loadHuggingFace(llvm::StringRef directory,
                                           const LoadOptions &options = {});

/// What a HuggingFace config.json says about a Llama model.
struct HuggingFaceConfig {
  LlamaConfig config;
  bool tiedEmbeddings = false;
};

/// Parses and checks the text of a config.json (`path` names it in errors).
llvm::Expected<HuggingFaceConfig> parseHuggingFaceConfig(llvm::StringRef text,
                                                         llvm::StringRef path);

/// The weights of a model of `config` from the bytes of a .safetensors file.
llvm::Expected<LlamaModel>
readSafetensors(std::unique_ptr<llvm::MemoryBuffer> buffer,
                const HuggingFaceConfig &config, llvm::StringRef path);

/// The same from the shards of one checkpoint (`paths` name them): a tensor
/// may be in any shard, and in one only.
llvm::Expected<LlamaModel>
readSafetensors(std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers,
                llvm::ArrayRef<std::string> paths,
                const HuggingFaceConfig &config,
                const LoadOptions &options = {});

/// One tensor of a .safetensors file to write.
struct SafetensorsTensor {
  std::string name;
  std::string dtype; ///< "F32", "F16", "BF16", "U8"
  std::vector<int64_t> shape;
  std::string bytes;
};

/// Writes a .safetensors file of `tensors` (in that order) to `os`.
void writeSafetensors(llvm::raw_ostream &os,
                      llvm::ArrayRef<SafetensorsTensor> tensors);

/// Any of the above: a directory is HuggingFace, a file that starts with
/// "GGUF" is GGUF (GGUF.h), any other file llama2.c.
llvm::Expected<LlamaModel> loadCheckpoint(llvm::StringRef path,
                                          const LoadOptions &options = {});

/// Writes a llama2.c checkpoint of a model with seeded random weights (the
/// project's own example model; shared weights are never copied).
llvm::Error writeRandomLlama2c(llvm::StringRef path, const LlamaConfig &config,
                               unsigned seed);

/// The bytes of that checkpoint, to `os`.
void writeRandomWeights(llvm::raw_ostream &os, const LlamaConfig &config,
                        unsigned seed);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_CHECKPOINT_H
