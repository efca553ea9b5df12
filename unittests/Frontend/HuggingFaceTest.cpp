//===- HuggingFaceTest.cpp - safetensors: dtypes, shards, MXFP4 blocks ----===//
//
// HuggingFace directories written here from a random llama2.c model, in the
// layout HF uses (q/k rows permuted for rotate_half), with F16/BF16 tensors,
// sharded with an index, and with gpt-oss style MXFP4 `_blocks`/`_scales`.
// Expected values come from APFloat (half rounding) and from the llama2.c
// model itself (the permutation is undone on load).
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/Reference.h"
#include "mxc/Numerics/Element.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>
#include <fstream>

using namespace mxc::frontend;
namespace num = mxc::numerics;

namespace {

std::string freshDir(const char *name) {
  static std::string root = [] {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("mxc-hf-test", dir))
      return std::string(".");
    return std::string(dir);
  }();
  llvm::SmallString<128> path(root);
  llvm::sys::path::append(path, name);
  llvm::sys::fs::create_directories(path);
  return std::string(path);
}

LlamaConfig config() {
  LlamaConfig c;
  c.dim = 64;
  c.hiddenDim = 96;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2;
  c.vocab = 30;
  c.seqLen = 16;
  return c;
}

LlamaModel randomModel() {
  std::string bin;
  llvm::raw_string_ostream os(bin);
  writeRandomWeights(os, config(), 5);
  llvm::Expected<LlamaModel> m =
      readLlama2c(llvm::MemoryBuffer::getMemBufferCopy(bin), "r.bin");
  EXPECT_TRUE(static_cast<bool>(m));
  return std::move(*m);
}

/// Row r of HF's q/k is llama2.c's row permuted[r] (the inverse of what the
/// loader undoes: HF row h*hd + j*hd/2 + i holds llama2.c row h*hd + 2i + j).
std::vector<int64_t> hfRowOrder(int64_t heads, int64_t hd) {
  std::vector<int64_t> rows;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < hd / 2; ++i)
        rows.push_back(h * hd + 2 * i + j);
  return rows;
}

uint16_t roundTo(const llvm::fltSemantics &sem, float v) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

float halfValue(const llvm::fltSemantics &sem, uint16_t bits) {
  return llvm::APFloat(sem, llvm::APInt(16, bits)).convertToFloat();
}

/// A tensor of `values` ([rows, cols], rows taken in `order` if given) in
/// `dtype`.
SafetensorsTensor tensor(const std::string &name, llvm::ArrayRef<float> values,
                         std::vector<int64_t> shape, const std::string &dtype,
                         const std::vector<int64_t> &order = {}) {
  SafetensorsTensor t{name, dtype, shape, ""};
  int64_t cols = shape.back(), rows = values.size() / cols;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      float v = values[(order.empty() ? r : order[r]) * cols + k];
      if (dtype == "F32") {
        t.bytes.append(reinterpret_cast<const char *>(&v), 4);
      } else {
        uint16_t h = roundTo(dtype == "F16" ? llvm::APFloat::IEEEhalf()
                                            : llvm::APFloat::BFloat(),
                             v);
        t.bytes.append(reinterpret_cast<const char *>(&h), 2);
      }
    }
  return t;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string safetensors(llvm::ArrayRef<SafetensorsTensor> tensors) {
  std::string out;
  llvm::raw_string_ostream os(out);
  writeSafetensors(os, tensors);
  return out;
}

const char *kConfig =
    R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64,
        "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2,
        "vocab_size": 30, "max_position_embeddings": 16,
        "tie_word_embeddings": false})";

/// The HF tensors of `m`: matmuls in `dtype`, norms and embedding in F32;
/// the matmuls named in `mx` as MXFP4 blocks/scales instead.
std::vector<SafetensorsTensor>
hfTensors(const LlamaModel &m, const std::string &dtype,
          const llvm::StringMap<num::MXTensor> &mx = {}) {
  const LlamaConfig &c = m.config;
  std::vector<SafetensorsTensor> out;
  out.push_back(tensor("model.embed_tokens.weight", m.tokenEmbedding,
                       {c.vocab, c.dim}, "F32"));
  for (int64_t l = 0; l < c.layers; ++l) {
    const LlamaLayer &L = m.layers[l];
    std::string p = "model.layers." + std::to_string(l) + ".";
    std::string n = "layers." + std::to_string(l) + ".";
    out.push_back(
        tensor(p + "input_layernorm.weight", L.attentionNorm, {c.dim}, "F32"));
    out.push_back(tensor(p + "post_attention_layernorm.weight", L.ffnNorm,
                         {c.dim}, "F32"));
    struct {
      const char *hf, *mxc;
      llvm::ArrayRef<float> w;
      int64_t rows, cols, heads;
    } items[] = {
        {"self_attn.q_proj", "wq", L.wq, c.dim, c.dim, c.heads},
        {"self_attn.k_proj", "wk", L.wk, c.kvDim(), c.dim, c.kvHeads},
        {"self_attn.v_proj", "wv", L.wv, c.kvDim(), c.dim, 0},
        {"self_attn.o_proj", "wo", L.wo, c.dim, c.dim, 0},
        {"mlp.gate_proj", "w1", L.w1, c.hiddenDim, c.dim, 0},
        {"mlp.down_proj", "w2", L.w2, c.dim, c.hiddenDim, 0},
        {"mlp.up_proj", "w3", L.w3, c.hiddenDim, c.dim, 0},
    };
    for (auto &item : items) {
      std::vector<int64_t> order;
      if (item.heads)
        order = hfRowOrder(item.heads, c.headDim());
      auto it = mx.find(n + item.mxc);
      if (it == mx.end()) {
        out.push_back(tensor(p + item.hf + ".weight", item.w,
                             {item.rows, item.cols}, dtype, order));
        continue;
      }
      // Rows of codes and of scales, permuted like the weights.
      const num::MXTensor &t = it->second;
      SafetensorsTensor blocks{
          p + item.hf + "_blocks", "U8", {item.rows, item.cols / 32, 16}, ""};
      SafetensorsTensor scales{
          p + item.hf + "_scales", "U8", {item.rows, item.cols / 32}, ""};
      for (int64_t r = 0; r < item.rows; ++r) {
        int64_t src = order.empty() ? r : order[r];
        blocks.bytes.append(reinterpret_cast<const char *>(t.data.data()) +
                                src * item.cols / 2,
                            item.cols / 2);
        scales.bytes.append(reinterpret_cast<const char *>(t.scales.data()) +
                                src * item.cols / 32,
                            item.cols / 32);
      }
      out.push_back(std::move(blocks));
      out.push_back(std::move(scales));
    }
  }
  out.push_back(tensor("model.norm.weight", m.finalNorm, {c.dim}, "F32"));
  out.push_back(
      tensor("lm_head.weight", m.classifier, {c.vocab, c.dim}, dtype));
  return out;
}

llvm::Expected<LlamaModel> load(const std::string &dir) {
  return loadHuggingFace(dir);
}

std::string errorOf(const std::string &dir) {
  llvm::Expected<LlamaModel> m = load(dir);
  EXPECT_FALSE(static_cast<bool>(m));
  return m ? "" : llvm::toString(m.takeError());
}

TEST(HuggingFace, F32RoundTripsWithTheRoPEPermutationUndone) {
  LlamaModel m = randomModel();
  std::string dir = freshDir("f32");
  writeFile(dir + "/config.json", kConfig);
  writeFile(dir + "/model.safetensors", safetensors(hfTensors(m, "F32")));
  llvm::Expected<LlamaModel> back = load(dir);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  for (size_t l = 0; l < m.layers.size(); ++l) {
    EXPECT_EQ(back->layers[l].wq, m.layers[l].wq);
    EXPECT_EQ(back->layers[l].wk, m.layers[l].wk);
    EXPECT_EQ(back->layers[l].w2, m.layers[l].w2);
  }
  EXPECT_EQ(back->classifier, m.classifier);
  EXPECT_NE(back->classifier.data(), back->tokenEmbedding.data()); // untied
  std::vector<int32_t> tokens = {1, 7, 3, 22};
  EXPECT_EQ(referenceLogits(*back, tokens), referenceLogits(m, tokens));
}

// BF16 in two shards with an index; F16 in one file. Every weight is the
// original rounded to nearest-even by APFloat.
TEST(HuggingFace, HalfPrecisionShardsLoad) {
  LlamaModel m = randomModel();
  for (const char *dtype : {"BF16", "F16"}) {
    const llvm::fltSemantics &sem = std::string(dtype) == "F16"
                                        ? llvm::APFloat::IEEEhalf()
                                        : llvm::APFloat::BFloat();
    std::string dir = freshDir(dtype);
    writeFile(dir + "/config.json", kConfig);
    std::vector<SafetensorsTensor> all = hfTensors(m, dtype);
    std::vector<SafetensorsTensor> first(all.begin(), all.begin() + 10),
        second(all.begin() + 10, all.end());
    writeFile(dir + "/model-00001-of-00002.safetensors", safetensors(first));
    writeFile(dir + "/model-00002-of-00002.safetensors", safetensors(second));
    std::string index = R"({"metadata": {}, "weight_map": {)";
    for (size_t i = 0; i < all.size(); ++i)
      index += (i ? ", \"" : "\"") + all[i].name + "\": \"model-0000" +
               (i < 10 ? "1" : "2") + "-of-00002.safetensors\"";
    writeFile(dir + "/model.safetensors.index.json", index + "}}");

    llvm::Expected<LlamaModel> back = load(dir);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    for (size_t l = 0; l < m.layers.size(); ++l)
      for (auto [got, want] : {std::pair{back->layers[l].wq, m.layers[l].wq},
                               std::pair{back->layers[l].wk, m.layers[l].wk},
                               std::pair{back->layers[l].w3, m.layers[l].w3}}) {
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_EQ(got[i], halfValue(sem, roundTo(sem, want[i])))
              << dtype << " layer " << l << " element " << i;
      }
    // Norms stayed F32: bit for bit.
    EXPECT_EQ(back->layers[1].ffnNorm, m.layers[1].ffnNorm);
    // Nothing points into the files: they are no longer mapped.
    EXPECT_TRUE(back->mapped.empty()) << dtype;
  }
}

// Deferred conversion (a streaming compile): the layers' BF16/F16 matmul
// weights stay unconverted until materialize(), which gives the eager
// loader's values (q/k rows unpermuted); released, they are gone until
// converted again. Everything else loads as before.
TEST(HuggingFace, DeferredConversionEqualsEagerLoading) {
  LlamaModel m = randomModel();
  for (const char *dtype : {"BF16", "F16"}) {
    std::string dir = freshDir((std::string("deferred-") + dtype).c_str());
    writeFile(dir + "/config.json", kConfig);
    writeFile(dir + "/model.safetensors", safetensors(hfTensors(m, dtype)));
    llvm::Expected<LlamaModel> eager = load(dir);
    ASSERT_TRUE(static_cast<bool>(eager)) << llvm::toString(eager.takeError());
    LoadOptions options;
    options.deferConversion = true;
    llvm::Expected<LlamaModel> lazy = loadHuggingFace(dir, options);
    ASSERT_TRUE(static_cast<bool>(lazy)) << llvm::toString(lazy.takeError());
    // Seven matmul weights per layer; the files stay mapped for them.
    EXPECT_EQ(lazy->deferred.size(), 7 * m.layers.size()) << dtype;
    EXPECT_FALSE(lazy->mapped.empty()) << dtype;
    EXPECT_EQ(lazy->layers[1].ffnNorm, eager->layers[1].ffnNorm);
    EXPECT_EQ(lazy->classifier, eager->classifier);
    for (size_t l = 0; l < m.layers.size(); ++l) {
      const LlamaLayer &a = lazy->layers[l], &b = eager->layers[l];
      for (auto [got, want] : {std::pair{a.wq, b.wq}, std::pair{a.wk, b.wk},
                               std::pair{a.wv, b.wv}, std::pair{a.w2, b.w2}}) {
        lazy->materialize(got);
        EXPECT_EQ(got, want) << dtype << " layer " << l;
        lazy->releasePages(got);
        EXPECT_TRUE(llvm::all_of(got, [](float v) { return v == 0; }))
            << "released pages read as zeros";
        lazy->materialize(got);
        EXPECT_EQ(got, want) << dtype << " layer " << l << ", again";
      }
    }
    lazy->materializeAll();
    std::vector<int32_t> tokens = {1, 7, 3, 22};
    EXPECT_EQ(referenceLogits(*lazy, tokens), referenceLogits(*eager, tokens));
  }
}

// From a buffer in memory (not a mapped file) deferral still converts on
// demand, and never drops the buffer's pages (which would zero them).
TEST(HuggingFace, DeferredConversionFromMemory) {
  LlamaModel m = randomModel();
  llvm::Expected<HuggingFaceConfig> hf =
      parseHuggingFaceConfig(kConfig, "config.json");
  ASSERT_TRUE(static_cast<bool>(hf)) << llvm::toString(hf.takeError());
  std::string bytes = safetensors(hfTensors(m, "BF16"));
  auto read = [&](bool defer) {
    std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
    buffers.push_back(llvm::MemoryBuffer::getMemBufferCopy(bytes));
    LoadOptions options;
    options.deferConversion = defer;
    return readSafetensors(std::move(buffers), {"m.safetensors"}, *hf, options);
  };
  llvm::Expected<LlamaModel> eager = read(false), lazy = read(true);
  ASSERT_TRUE(static_cast<bool>(eager)) << llvm::toString(eager.takeError());
  ASSERT_TRUE(static_cast<bool>(lazy)) << llvm::toString(lazy.takeError());
  ASSERT_FALSE(lazy->deferred.empty());
  for (int pass = 0; pass < 2; ++pass)
    for (size_t l = 0; l < m.layers.size(); ++l) {
      lazy->materialize(lazy->layers[l].w1);
      lazy->materialize(lazy->layers[l].wk);
      EXPECT_EQ(lazy->layers[l].w1, eager->layers[l].w1);
      EXPECT_EQ(lazy->layers[l].wk, eager->layers[l].wk);
      lazy->releasePages(lazy->layers[l].w1);
      lazy->releasePages(lazy->layers[l].wk);
    }
}

// A non-finite deferred weight is refused at load, as an eager one is.
TEST(HuggingFace, DeferredConversionRefusesNaN) {
  LlamaModel m = randomModel();
  std::vector<SafetensorsTensor> tensors = hfTensors(m, "BF16");
  for (SafetensorsTensor &t : tensors)
    if (t.name == "model.layers.1.mlp.down_proj.weight") {
      t.bytes[2 * 5] = static_cast<char>(0xC0); // element 5: 0x7FC0, NaN
      t.bytes[2 * 5 + 1] = 0x7F;
    }
  std::string dir = freshDir("deferred-nan");
  writeFile(dir + "/config.json", kConfig);
  writeFile(dir + "/model.safetensors", safetensors(tensors));
  LoadOptions options;
  options.deferConversion = true;
  llvm::Expected<LlamaModel> lazy = loadHuggingFace(dir, options);
  ASSERT_FALSE(static_cast<bool>(lazy));
  EXPECT_NE(llvm::toString(lazy.takeError())
                .find("tensor model.layers.1.mlp.down_proj.weight holds NaN "
                      "at element 5; mxc needs finite weights"),
            std::string::npos);
}

// gpt-oss style MXFP4 weights: kept bit for bit, decoded for the float side.
TEST(HuggingFace, MXFP4BlocksAndScalesLoadBitExactly) {
  LlamaModel m = randomModel();
  const LlamaConfig &c = m.config;
  llvm::StringMap<num::MXTensor> mx;
  mx["layers.0.wq"] = num::quantize(num::ElemFormat::E2M1, 32, c.dim, c.dim,
                                    m.layers[0].wq.data());
  mx["layers.1.wk"] = num::quantize(num::ElemFormat::E2M1, 32, c.kvDim(), c.dim,
                                    m.layers[1].wk.data());
  mx["layers.1.w2"] = num::quantize(num::ElemFormat::E2M1, 32, c.dim,
                                    c.hiddenDim, m.layers[1].w2.data());
  std::string dir = freshDir("mx");
  writeFile(dir + "/config.json", kConfig);
  writeFile(dir + "/model.safetensors", safetensors(hfTensors(m, "F32", mx)));
  llvm::Expected<LlamaModel> back = load(dir);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->mxWeights.size(), 3u);
  for (const auto &entry : mx) {
    const num::MXTensor &got = back->mxWeights[entry.first()];
    EXPECT_EQ(got.data, entry.second.data) << entry.first().str();
    EXPECT_EQ(got.scales, entry.second.scales) << entry.first().str();
  }
  std::vector<double> wq = num::dequantize(mx["layers.0.wq"]);
  for (size_t i = 0; i < wq.size(); ++i)
    ASSERT_EQ(back->layers[0].wq[i], float(wq[i])) << i;
  EXPECT_EQ(back->layers[0].wk, m.layers[0].wk); // not in mx: float
  ASSERT_EQ(back->notes.size(), 1u);
  EXPECT_EQ(back->notes[0],
            "3 MXFP4 tensors decoded to float" + kKeepHint.str());

  // A NaN scale is refused by name.
  mx["layers.0.wq"].scales[5] = num::kE8M0NaN;
  writeFile(dir + "/model.safetensors", safetensors(hfTensors(m, "F32", mx)));
  EXPECT_NE(errorOf(dir).find("'model.layers.0.self_attn.q_proj_scales' has "
                              "scale byte 0xFF"),
            std::string::npos);
}

TEST(HuggingFace, RefusesBadDirectories) {
  LlamaModel m = randomModel();
  std::string dir = freshDir("bad");
  writeFile(dir + "/config.json", kConfig);
  EXPECT_NE(errorOf(dir).find("has no model.safetensors or "
                              "model.safetensors.index.json"),
            std::string::npos);
  // An index naming a file outside the directory, or one that is missing.
  writeFile(dir + "/model.safetensors.index.json",
            R"({"weight_map": {"model.norm.weight": "../x.safetensors"}})");
  EXPECT_NE(errorOf(dir).find("names file '../x.safetensors', not a file of "
                              "this directory"),
            std::string::npos);
  writeFile(dir + "/model.safetensors.index.json",
            R"({"weight_map": {"model.norm.weight": "gone.safetensors"}})");
  EXPECT_NE(errorOf(dir).find("cannot open '"), std::string::npos);
  writeFile(dir + "/model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_NE(errorOf(dir).find("no \"weight_map\" object"), std::string::npos);
  // A tensor in two shards.
  std::vector<SafetensorsTensor> all = hfTensors(m, "F32");
  writeFile(dir + "/a.safetensors", safetensors(all));
  writeFile(dir + "/b.safetensors", safetensors({all[3]}));
  writeFile(dir + "/model.safetensors.index.json",
            R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})");
  EXPECT_NE(errorOf(dir).find("is in both"), std::string::npos);
  // A dtype mxc does not read.
  all[1].dtype = "I16";
  all[1].bytes.resize(2 * 64);
  writeFile(dir + "/model.safetensors", safetensors(all));
  EXPECT_NE(errorOf(dir).find("'model.layers.0.input_layernorm.weight' is I16; "
                              "mxc reads it as F32, F16, BF16"),
            std::string::npos);
}

} // namespace
