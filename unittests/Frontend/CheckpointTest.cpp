//===- CheckpointTest.cpp - Checkpoint import and the reference forward ---===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/Reference.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <fstream>

using namespace mxc::frontend;

namespace {

/// A path in a fresh directory of this process, so that reruns and
/// parallel runs never see each other's files.
std::string tempPath(const char *name) {
  static std::string directory = [] {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("mxc-frontend-test", dir))
      return std::string(".");
    return std::string(dir);
  }();
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

std::string errorOf(llvm::Expected<LlamaModel> m) {
  EXPECT_FALSE(static_cast<bool>(m));
  return m ? "" : llvm::toString(m.takeError());
}

LlamaConfig small() {
  LlamaConfig c;
  c.dim = 16;
  c.hiddenDim = 40;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2;
  c.vocab = 30;
  c.seqLen = 8;
  return c;
}

TEST(Checkpoint, WriteAndLoadLlama2c) {
  std::string path = tempPath("small.bin");
  ASSERT_FALSE(static_cast<bool>(writeRandomLlama2c(path, small(), 3)));
  llvm::Expected<LlamaModel> m = loadLlama2c(path);
  ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->config.dim, 16);
  EXPECT_EQ(m->config.kvDim(), 8);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[1].w2.size(), 16u * 40u);
  EXPECT_EQ(m->classifier.data(), m->tokenEmbedding.data()); // Tied.
  EXPECT_EQ(m->numParameters(),
            30 * 16 + 16 +
                2 * (16 + 16 * 16 + 8 * 16 * 2 + 16 * 16 + 16 + 3 * 40 * 16));
  std::vector<float> logits = referenceLogits(*m, {1, 5, 7});
  EXPECT_EQ(logits.size(), 3u * 30u);
  for (float v : logits)
    EXPECT_TRUE(std::isfinite(v));
}

TEST(Checkpoint, MalformedLlama2c) {
  EXPECT_NE(errorOf(loadLlama2c("/nonexistent/model.bin"))
                .find("cannot open checkpoint"),
            std::string::npos);
  std::string good = tempPath("good.bin");
  ASSERT_FALSE(static_cast<bool>(writeRandomLlama2c(good, small(), 3)));
  auto buffer = llvm::MemoryBuffer::getFile(good);
  ASSERT_TRUE(static_cast<bool>(buffer));
  llvm::StringRef bytes = (*buffer)->getBuffer();

  std::string truncated = tempPath("truncated.bin");
  {
    std::ofstream out(truncated, std::ios::binary);
    out.write(bytes.data(), bytes.size() / 2 / 4 * 4);
  }
  EXPECT_NE(errorOf(loadLlama2c(truncated)).find("truncated checkpoint"),
            std::string::npos);

  std::string tiny = tempPath("tiny.bin");
  {
    std::ofstream out(tiny, std::ios::binary);
    out.write(bytes.data(), 10);
  }
  EXPECT_NE(errorOf(loadLlama2c(tiny)).find("the header needs 28"),
            std::string::npos);

  std::string garbage = tempPath("garbage.bin");
  {
    std::ofstream out(garbage, std::ios::binary);
    int32_t header[7] = {7, -3, 2, 4, 2, 30, 8}; // dim 7, negative hidden.
    out.write(reinterpret_cast<const char *>(header), sizeof(header));
  }
  EXPECT_NE(errorOf(loadLlama2c(garbage)).find("invalid model dimensions"),
            std::string::npos);
}

/// The bytes of a fresh random llama2.c checkpoint of `config`.
std::string checkpointBytes(const LlamaConfig &config, const char *name) {
  std::string path = tempPath(name);
  EXPECT_FALSE(static_cast<bool>(writeRandomLlama2c(path, config, 3)));
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(static_cast<bool>(buffer));
  return buffer ? (*buffer)->getBuffer().str() : "";
}

std::string writeBytes(const char *name, const std::string &bytes) {
  std::string path = tempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(Checkpoint, Llama2cHeaderMustDescribeTheWholeFile) {
  // A 3-layer file whose header says 2 layers: the weights would be read
  // shifted (a wrong model that runs); refused instead.
  LlamaConfig three = small();
  three.layers = 3;
  std::string bytes = checkpointBytes(three, "three.bin");
  int32_t layers = 2;
  std::memcpy(bytes.data() + 8, &layers, 4);
  EXPECT_NE(errorOf(loadLlama2c(writeBytes("two.bin", bytes)))
                .find("more floats than the model its header describes"),
            std::string::npos);
}

TEST(Checkpoint, SeqLenBounds) {
  std::string bytes = checkpointBytes(small(), "seq.bin");
  for (int32_t seqLen : {1, 0x7fffffff}) {
    std::string patched = bytes;
    std::memcpy(patched.data() + 24, &seqLen, 4);
    std::string message =
        errorOf(loadLlama2c(writeBytes("seq-patched.bin", patched)));
    EXPECT_NE(message.find(seqLen == 1 ? "seq_len 1 is too short"
                                       : "is implausibly large"),
              std::string::npos)
        << message;
  }
}

TEST(Checkpoint, NonFiniteWeightsAreNamed) {
  LlamaConfig c = small();
  std::string bytes = checkpointBytes(c, "finite.bin");
  // The first element of layer 1's wq: after the header, the embedding,
  // the attention norms of both layers and layer 0's wq.
  size_t at = 28 + 4 * (c.vocab * c.dim + c.layers * c.dim + c.dim * c.dim);
  float nan = NAN;
  std::memcpy(bytes.data() + at, &nan, 4);
  EXPECT_NE(errorOf(loadLlama2c(writeBytes("nan.bin", bytes)))
                .find("tensor layers.1.wq holds NaN at element 0"),
            std::string::npos);
  float inf = INFINITY;
  std::memcpy(bytes.data() + at, &inf, 4);
  EXPECT_NE(errorOf(loadLlama2c(writeBytes("inf.bin", bytes)))
                .find("tensor layers.1.wq holds an infinity"),
            std::string::npos);
}

TEST(Checkpoint, HuggingFaceConfigChecks) {
  std::string dir = tempPath("hf-config");
  llvm::sys::fs::create_directories(dir);
  auto write = [&](const char *name, const std::string &text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
  };
  // Nesting that would overflow a recursive parser is refused unparsed.
  write("config.json", std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("JSON nested deeper than 64"),
            std::string::npos);
  const std::string base =
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 16,
          "intermediate_size": 40, "num_hidden_layers": 1,
          "num_attention_heads": 4, "num_key_value_heads": 2,
          "vocab_size": 30, "max_position_embeddings": 8)";
  write("config.json", base + R"(, "hidden_act": "gelu"})");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("hidden_act 'gelu'"),
            std::string::npos);
  write("config.json", base + R"(, "rope_scaling": {"rope_type": "yarn"}})");
  EXPECT_NE(errorOf(loadHuggingFace(dir))
                .find("rope_scaling of type 'yarn' is not implemented"),
            std::string::npos);
  write("config.json", base + R"(, "rope_scaling": {"rope_type": "llama3"}})");
  EXPECT_NE(errorOf(loadHuggingFace(dir))
                .find("rope_scaling (llama3) needs a positive factor"),
            std::string::npos);
  write("config.json", base + R"(, "rms_norm_eps": -1})");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("RMSNorm epsilon"),
            std::string::npos);
  write("config.json", base + R"(, "max_position_embeddings": 1})");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("seq_len 1 is too short"),
            std::string::npos);

  // A spec-valid header whose length is no multiple of 4 leaves the tensors
  // unaligned: they are read (copied), not refused. Here the embedding
  // loads and the first layer's norm is the first thing missing.
  write("config.json", base + "}");
  std::string header = R"({"model.embed_tokens.weight": {"dtype": "F32",)"
                       R"( "shape": [30, 16], "data_offsets": [0, 1920]}})";
  while ((8 + header.size()) % 4 != 1)
    header += ' ';
  std::string file(8, '\0');
  uint64_t size = header.size();
  std::memcpy(file.data(), &size, 8);
  write("model.safetensors", file + header + std::string(1920, '\0'));
  EXPECT_NE(errorOf(loadHuggingFace(dir))
                .find("missing tensor 'model.layers.0.input_layernorm.weight'"),
            std::string::npos);
}

// Llama 3.1's RoPE scaling on hand-picked frequencies: with factor 8,
// low/high frequency factors 1 and 4 and an original context of 8192, a
// wavelength below 8192 / 4 keeps its frequency (factor 1), one above
// 8192 / 1 is divided by 8, and one of 4096 sits a third of the way:
// (2/3) f/8 + (1/3) f = (5/12) f, a factor of 12/5.
TEST(Checkpoint, Llama3RopeScaling) {
  // Head size 4: pair 0 has frequency 1 (wavelength 2 pi), pair 1
  // theta^(-1/2), so theta = (wavelength / 2 pi)^2 places pair 1.
  auto thetaFor = [](double wavelength) {
    return std::pow(wavelength / (2 * M_PI), 2);
  };
  std::vector<float> middle =
      llama3RopeFactors(4, thetaFor(4096), 8, 1, 4, 8192);
  ASSERT_EQ(middle.size(), 2u);
  EXPECT_EQ(middle[0], 1.0f);
  EXPECT_NEAR(middle[1], 2.4f, 1e-5);
  EXPECT_NEAR(llama3RopeFactors(4, thetaFor(16384), 8, 1, 4, 8192)[1], 8.0f,
              1e-6);
  EXPECT_EQ(llama3RopeFactors(4, thetaFor(1024), 8, 1, 4, 8192)[1], 1.0f);

  // From config.json; the factors divide the frequencies.
  llvm::Expected<HuggingFaceConfig> hf = parseHuggingFaceConfig(
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 8,
          "intermediate_size": 40, "num_hidden_layers": 1,
          "num_attention_heads": 2, "vocab_size": 30,
          "max_position_embeddings": 8, "rope_theta": 1e8,
          "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
                           "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192}})",
      "config.json");
  ASSERT_TRUE(static_cast<bool>(hf)) << llvm::toString(hf.takeError());
  const LlamaConfig &c = hf->config;
  ASSERT_EQ(c.ropeFreqFactors.size(), 2u);
  // theta 1e8, head 4: pair 1's frequency 1e-4, its wavelength 62832 >
  // 8192: divided by 8. Pair 0 (frequency 1) keeps it.
  EXPECT_EQ(c.ropeFreqFactors[0], 1.0f);
  EXPECT_EQ(c.ropeFreqFactors[1], 8.0f);
  EXPECT_DOUBLE_EQ(c.ropeFrequency(0), 1.0);
  EXPECT_NEAR(c.ropeFrequency(1), 1e-4 / 8, 1e-18);
}

TEST(Checkpoint, MalformedHuggingFace) {
  std::string dir = tempPath("hf");
  llvm::sys::fs::create_directories(dir);
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("config.json"),
            std::string::npos);
  auto write = [&](const char *name, const std::string &text) {
    std::ofstream(dir + "/" + name) << text;
  };
  write("config.json", "{not json");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("invalid JSON"),
            std::string::npos);
  write("config.json", R"({"architectures": ["GPT2LMHeadModel"]})");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("unsupported architecture"),
            std::string::npos);
  write("config.json",
        R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 16,
            "intermediate_size": 40, "num_hidden_layers": 1,
            "num_attention_heads": 4, "num_key_value_heads": 2,
            "vocab_size": 30, "max_position_embeddings": 8})");
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("model.safetensors"),
            std::string::npos);
  write("model.safetensors", std::string("\x10\0\0\0\0\0\0\0{}", 10));
  EXPECT_NE(errorOf(loadHuggingFace(dir)).find("truncated safetensors header"),
            std::string::npos);
  std::string header = R"({"model.embed_tokens.weight": {"dtype": "F32",)"
                       R"( "shape": [30, 8], "data_offsets": [0, 960]}})";
  std::string file(8, '\0');
  uint64_t size = header.size();
  std::memcpy(file.data(), &size, 8);
  write("model.safetensors", file + header + std::string(960, '\0'));
  EXPECT_NE(errorOf(loadHuggingFace(dir))
                .find("has shape [30x8], the config implies [30x16]"),
            std::string::npos);
}

// A file of no format mxc knows: one line saying what it reads.
TEST(Checkpoint, UnknownFilesSayWhatIsRead) {
  int32_t header[7] = {7, -3, 2, 4, 2, 30, 8};
  std::string implausible(reinterpret_cast<const char *>(header), 28);
  for (const std::string &path : {writeBytes("implausible.bin", implausible),
                                  writeBytes("short.txt", "hello")})
    EXPECT_NE(errorOf(loadCheckpoint(path))
                  .find(": not a model file mxc reads (a llama2.c checkpoint, "
                        "a GGUF file, or a HuggingFace directory)"),
              std::string::npos);
}

// Both formats of the shared model give the same logits.
TEST(Checkpoint, SharedModelFormatsAgree) {
  std::string bin = MXC_SHARED_DIR "/models/stories260K/stories260K.bin";
  std::string hf = MXC_SHARED_DIR "/models/stories260K-hf";
  if (!llvm::sys::fs::exists(bin) || !llvm::sys::fs::exists(hf))
    GTEST_SKIP() << "no shared model";
  llvm::Expected<LlamaModel> a = loadCheckpoint(bin);
  llvm::Expected<LlamaModel> b = loadCheckpoint(hf);
  ASSERT_TRUE(static_cast<bool>(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(static_cast<bool>(b)) << llvm::toString(b.takeError());
  std::vector<int32_t> tokens = {1, 403, 407, 261, 378};
  EXPECT_EQ(referenceLogits(*a, tokens), referenceLogits(*b, tokens));
}

} // namespace
