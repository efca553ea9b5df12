//===- mxc-example-model.cpp - Write the bundled example model ------------===//
//
//   mxc-example-model DIR [--seed N] [--dim D --hidden-dim H --layers L
//                          --heads N --kv-heads K --vocab V --seq-len S]
//                         [--format=llama2c|hf-bf16]
//
// Writes DIR/model.bin, a Llama-shaped llama2.c checkpoint with seeded random
// weights, and DIR/tok<V>.bin, a byte-level tokenizer (<unk>, BOS, EOS, the
// 256 byte fallbacks, then unused pieces up to V). The default shape is the
// bundled example (2 layers, dim 64, 4 heads over 2 KV heads, hidden 172: a
// reduction size that needs a partial MX block); the benchmarks ask for
// realistic shapes. --format=hf-bf16 writes a HuggingFace directory instead
// (config.json and model.safetensors in bfloat16). The project's own
// example: shared weights are never copied into it.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Support/Output.h"
#include "mxc/Support/Version.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace cl = llvm::cl;

static cl::OptionCategory category("mxc-example-model options");
static cl::opt<std::string> directory(cl::cat(category), cl::Positional,
                                      cl::Required,
                                      cl::desc("<output directory>"));
static cl::opt<unsigned> seed(cl::cat(category), "seed",
                              cl::desc("Weight seed"), cl::init(1));
static cl::opt<int> dim(cl::cat(category), "dim", cl::desc("Model width"),
                        cl::init(64));
static cl::opt<int> hiddenDim(cl::cat(category), "hidden-dim",
                              cl::desc("FFN width"), cl::init(172));
static cl::opt<int> layers(cl::cat(category), "layers",
                           cl::desc("Transformer layers"), cl::init(2));
static cl::opt<int> heads(cl::cat(category), "heads",
                          cl::desc("Attention heads"), cl::init(4));
static cl::opt<int> kvHeads(cl::cat(category), "kv-heads",
                            cl::desc("Key/value heads"), cl::init(2));
static cl::opt<int> vocab(cl::cat(category), "vocab",
                          cl::desc("Vocabulary size (at least 259)"),
                          cl::init(259));
static cl::opt<int> seqLen(cl::cat(category), "seq-len",
                           cl::desc("Context length"), cl::init(256));
enum class Format { Llama2c, HFBF16 };
static cl::opt<Format>
    format(cl::cat(category), "format", cl::desc("Checkpoint format"),
           cl::values(clEnumValN(Format::Llama2c, "llama2c",
                                 "llama2.c model.bin (float32)"),
                      clEnumValN(Format::HFBF16, "hf-bf16",
                                 "HuggingFace config.json + model.safetensors "
                                 "(bfloat16)")),
           cl::init(Format::Llama2c));

/// A HuggingFace Llama directory with seeded random bfloat16 weights.
static llvm::Error writeRandomHF(llvm::StringRef dir,
                                 const mxc::frontend::LlamaConfig &c,
                                 unsigned seed) {
  namespace fe = mxc::frontend;
  std::mt19937 rng(seed);
  std::vector<fe::SafetensorsTensor> tensors;
  auto add = [&](std::string name, std::vector<int64_t> shape, float scale,
                 float offset) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::string bytes(2 * n, '\0');
    std::normal_distribution<float> normal(0.0f, scale);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t b = mxc::numerics::encodeBF16(offset + normal(rng));
      std::memcpy(&bytes[2 * i], &b, 2);
    }
    tensors.push_back(
        {std::move(name), "BF16", std::move(shape), std::move(bytes)});
  };
  const float sd = 1.0f / std::sqrt(float(c.dim)),
              sh = 1.0f / std::sqrt(float(c.hiddenDim));
  add("model.embed_tokens.weight", {c.vocab, c.dim}, sd, 0);
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {c.dim}, 0.1f, 1.0f);
    add(p + "self_attn.q_proj.weight", {c.dim, c.dim}, sd, 0);
    add(p + "self_attn.k_proj.weight", {c.kvDim(), c.dim}, sd, 0);
    add(p + "self_attn.v_proj.weight", {c.kvDim(), c.dim}, sd, 0);
    add(p + "self_attn.o_proj.weight", {c.dim, c.dim}, sd, 0);
    add(p + "post_attention_layernorm.weight", {c.dim}, 0.1f, 1.0f);
    add(p + "mlp.gate_proj.weight", {c.hiddenDim, c.dim}, sd, 0);
    add(p + "mlp.up_proj.weight", {c.hiddenDim, c.dim}, sd, 0);
    add(p + "mlp.down_proj.weight", {c.dim, c.hiddenDim}, sh, 0);
  }
  add("model.norm.weight", {c.dim}, 0.1f, 1.0f);
  llvm::SmallString<256> weights(dir), config(dir);
  llvm::sys::path::append(weights, "model.safetensors");
  llvm::sys::path::append(config, "config.json");
  if (llvm::Error e = mxc::writeFileAtomically(
          weights, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
            fe::writeSafetensors(os, tensors);
            return llvm::Error::success();
          }))
    return e;
  return mxc::writeFileAtomically(
      config, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
        os << "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n"
           << "  \"model_type\": \"llama\",\n"
           << "  \"hidden_size\": " << c.dim << ",\n"
           << "  \"intermediate_size\": " << c.hiddenDim << ",\n"
           << "  \"num_hidden_layers\": " << c.layers << ",\n"
           << "  \"num_attention_heads\": " << c.heads << ",\n"
           << "  \"num_key_value_heads\": " << c.kvHeads << ",\n"
           << "  \"vocab_size\": " << c.vocab << ",\n"
           << "  \"max_position_embeddings\": " << c.seqLen << ",\n"
           << "  \"rms_norm_eps\": 1e-05,\n"
           << "  \"rope_theta\": 10000.0,\n"
           << "  \"hidden_act\": \"silu\",\n"
           << "  \"tie_word_embeddings\": true,\n"
           << "  \"torch_dtype\": \"bfloat16\"\n}\n";
        return llvm::Error::success();
      });
}

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  mxc::setVersionPrinter("mxc-example-model");
  cl::ParseCommandLineOptions(argc, argv,
                              "mxc-example-model: write the bundled example "
                              "model and its tokenizer\n");
  if (std::error_code ec = llvm::sys::fs::create_directories(directory)) {
    llvm::errs() << "mxc-example-model: cannot create '" << directory
                 << "': " << ec.message() << "\n";
    return 1;
  }
  mxc::frontend::LlamaConfig config;
  config.dim = dim;
  config.hiddenDim = hiddenDim;
  config.layers = layers;
  config.heads = heads;
  config.kvHeads = kvHeads;
  config.vocab = vocab;
  config.seqLen = seqLen;
  if (vocab < 259) {
    llvm::errs() << "mxc-example-model: --vocab must be at least 259 (the "
                    "byte tokenizer's pieces), not "
                 << vocab << "\n";
    return 1;
  }
  if (llvm::Error e = mxc::frontend::validateConfig(config, directory)) {
    llvm::errs() << "mxc-example-model: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  }
  llvm::SmallString<256> model(directory), tokenizer(directory);
  llvm::sys::path::append(model, format == Format::HFBF16 ? "model.safetensors"
                                                          : "model.bin");
  llvm::sys::path::append(tokenizer, "tok" + std::to_string(vocab) + ".bin");
  if (llvm::Error e =
          format == Format::HFBF16
              ? writeRandomHF(directory, config, seed)
              : mxc::frontend::writeRandomLlama2c(model, config, seed)) {
    llvm::errs() << "mxc-example-model: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  }
  llvm::Error written = mxc::writeFileAtomically(
      tokenizer, [](llvm::raw_fd_ostream &os) -> llvm::Error {
        auto writeInt = [&](int32_t v) {
          os.write(reinterpret_cast<const char *>(&v), 4);
        };
        auto writePiece = [&](const std::string &piece) {
          float score = 0;
          os.write(reinterpret_cast<const char *>(&score), 4);
          writeInt(static_cast<int32_t>(piece.size()));
          os << piece;
        };
        writeInt(6);
        writePiece("<unk>");
        writePiece("\n<s>\n");
        writePiece("\n</s>\n");
        for (int byte = 0; byte < 256; ++byte) {
          char piece[8];
          std::snprintf(piece, sizeof(piece), "<0x%02X>", byte);
          writePiece(piece);
        }
        for (int unused = 259; unused < vocab; ++unused)
          writePiece("<unused" + std::to_string(unused - 259) + ">");
        return llvm::Error::success();
      });
  if (written) {
    llvm::errs() << "mxc-example-model: " << llvm::toString(std::move(written))
                 << "\n";
    return 1;
  }
  llvm::outs() << "wrote " << model << " and " << tokenizer << "\n";
  return 0;
}
