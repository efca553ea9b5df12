//===- GGUFTest.cpp - GGUF reading and writing ----------------------------===//
//
// Expected values come from the GGUF specification and llama.cpp's decoders
// written out by hand here (ggml-quants.c: x * d per block; MXFP4 as
// kvalues_mxfp4[nibble] * 2^(e - 128)), not from the code under test.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/GGUF.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/Numerics/MX.h"

#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mxc::frontend;
namespace num = mxc::numerics;

namespace {

/// Little-endian bytes, assembled by hand.
struct Bytes {
  std::string s;
  template <typename T> Bytes &put(T v) {
    s.append(reinterpret_cast<const char *>(&v), sizeof(T));
    return *this;
  }
  Bytes &str(llvm::StringRef v) {
    put<uint64_t>(v.size());
    s += v;
    return *this;
  }
  Bytes &padTo(size_t alignment) {
    s.resize((s.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
};

llvm::Expected<GGUFFile> parse(const std::string &bytes) {
  return parseGGUF(llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.gguf"),
                   "test.gguf");
}

std::string parseError(const std::string &bytes) {
  llvm::Expected<GGUFFile> f = parse(bytes);
  EXPECT_FALSE(static_cast<bool>(f));
  return f ? "" : llvm::toString(f.takeError());
}

/// A file with one tensor `name` of ggml `type` and `shape` holding `data`.
std::string oneTensor(uint32_t type, std::vector<int64_t> shape,
                      const std::string &data) {
  Bytes b;
  b.s = "GGUF";
  b.put<uint32_t>(3).put<uint64_t>(1).put<uint64_t>(0);
  b.str("t").put<uint32_t>(shape.size());
  for (int64_t d : shape)
    b.put<int64_t>(d);
  b.put<uint32_t>(type).put<uint64_t>(0);
  b.padTo(32);
  b.s += data;
  return b.s;
}

std::vector<float> decodeOne(uint32_t type, std::vector<int64_t> shape,
                             const std::string &data) {
  llvm::Expected<GGUFFile> f = parse(oneTensor(type, shape, data));
  if (!f) {
    ADD_FAILURE() << llvm::toString(f.takeError());
    return {};
  }
  llvm::Expected<std::vector<float>> v =
      decodeGGMLTensor(f->tensors[0], "test.gguf");
  if (!v) {
    ADD_FAILURE() << llvm::toString(v.takeError());
    return {};
  }
  return *v;
}

TEST(GGUF, ParsesTheSpecLayout) {
  // Header, two metadata entries (alignment 64), one 2x4 F32 tensor at
  // offset 0 of a data section aligned to 64 bytes.
  Bytes b;
  b.s = "GGUF";
  b.put<uint32_t>(3).put<uint64_t>(1).put<uint64_t>(3);
  b.str("general.architecture").put<uint32_t>(8).str("llama");
  b.str("general.alignment").put<uint32_t>(4).put<uint32_t>(64);
  b.str("a").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(3);
  b.put<int32_t>(-1).put<int32_t>(7).put<int32_t>(1 << 30);
  b.str("w").put<uint32_t>(2).put<int64_t>(4).put<int64_t>(2);
  b.put<uint32_t>(0).put<uint64_t>(0);
  b.padTo(64);
  for (int i = 0; i < 8; ++i)
    b.put<float>(i * 0.25f);
  llvm::Expected<GGUFFile> f = parse(b.s);
  ASSERT_TRUE(static_cast<bool>(f)) << llvm::toString(f.takeError());
  EXPECT_EQ(f->version, 3u);
  EXPECT_EQ(f->alignment, 64u);
  EXPECT_EQ(f->find("general.architecture")->string, "llama");
  EXPECT_EQ(f->find("a")->integers, (std::vector<int64_t>{-1, 7, 1 << 30}));
  ASSERT_EQ(f->tensors.size(), 1u);
  EXPECT_EQ(f->tensors[0].shape, (llvm::SmallVector<int64_t, 4>{4, 2}));
  llvm::Expected<std::vector<float>> v =
      decodeGGMLTensor(f->tensors[0], "test.gguf");
  ASSERT_TRUE(static_cast<bool>(v));
  EXPECT_EQ((*v)[7], 1.75f);
}

TEST(GGUF, DecodesHalfAndBFloat) {
  Bytes half;
  for (uint16_t h : {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x0400, 0x8000})
    half.put<uint16_t>(h);
  EXPECT_EQ(decodeOne(1, {6}, half.s),
            (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f,
                                std::ldexp(1.0f, -14), -0.0f}));
  Bytes bf;
  for (uint16_t h : {0x3F80, 0xC0A0, 0x0001})
    bf.put<uint16_t>(h);
  EXPECT_EQ(decodeOne(30, {3}, bf.s),
            (std::vector<float>{1.0f, -5.0f, std::ldexp(1.0f, -133)}));
}

TEST(GGUF, DecodesQ8_0AndQ4_0) {
  // Q8_0: d = 0.5 (f16 0x3800), qs = -16 .. 15.
  Bytes q8;
  q8.put<uint16_t>(0x3800);
  for (int j = 0; j < 32; ++j)
    q8.put<int8_t>(j - 16);
  std::vector<float> v = decodeOne(8, {32}, q8.s);
  ASSERT_EQ(v.size(), 32u);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(v[j], (j - 16) * 0.5f) << j;
  // Q4_0: d = 2 (0x4000); byte j holds element j (low) and j + 16 (high).
  Bytes q4;
  q4.put<uint16_t>(0x4000);
  for (int j = 0; j < 16; ++j)
    q4.put<uint8_t>(j | (15 - j) << 4);
  v = decodeOne(2, {32}, q4.s);
  ASSERT_EQ(v.size(), 32u);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(v[j], (j - 8) * 2.0f) << j;
    EXPECT_EQ(v[j + 16], (15 - j - 8) * 2.0f) << j;
  }
}

TEST(GGUF, DecodesMXFP4AsLlamaCppDoes) {
  static const int kvalues[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                  0, -1, -2, -3, -4, -6, -8, -12};
  for (uint8_t e : {0, 1, 100, 127, 130, 254}) {
    Bytes b;
    b.put<uint8_t>(e);
    for (int j = 0; j < 16; ++j)
      b.put<uint8_t>(j | (15 - j) << 4);
    std::vector<float> v = decodeOne(39, {32}, b.s);
    ASSERT_EQ(v.size(), 32u);
    // llama.cpp computes in float: 12 * 2^126 overflows to inf, as it does
    // for OCP's 6 * 2^127.
    for (int j = 0; j < 16; ++j) {
      EXPECT_EQ(v[j], float(std::ldexp(double(kvalues[j]), e - 128))) << int(e);
      EXPECT_EQ(v[j + 16], float(std::ldexp(double(kvalues[15 - j]), e - 128)));
    }
  }
  // 0xFF is NaN in OCP MX; ggml would read 2^127.
  Bytes nan;
  nan.put<uint8_t>(0xFF);
  nan.s.append(16, '\0');
  llvm::Expected<GGUFFile> f = parse(oneTensor(39, {32}, nan.s));
  ASSERT_TRUE(static_cast<bool>(f));
  llvm::Expected<std::vector<float>> v = decodeGGMLTensor(f->tensors[0], "x");
  ASSERT_FALSE(static_cast<bool>(v));
  EXPECT_NE(llvm::toString(v.takeError()).find("0xFF"), std::string::npos);
}

TEST(GGUF, MXFP4ConversionIsExactBothWays) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(3 * 64);
  for (float &v : x)
    v = normal(rng);
  num::MXTensor t = num::quantize(num::ElemFormat::E2M1, 32, 3, 64, x.data());
  std::vector<uint8_t> ggml = mxfp4ToGGML(t);
  ASSERT_EQ(ggml.size(), 6u * 17u);
  llvm::Expected<num::MXTensor> back = mxfp4FromGGML(ggml, 3, 64, "w");
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->data, t.data);
  EXPECT_EQ(back->scales, t.scales);
  // And llama.cpp's reading of the ggml bytes is mxc's value.
  std::vector<double> values = num::dequantize(t);
  static const int kvalues[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                  0, -1, -2, -3, -4, -6, -8, -12};
  for (int64_t i = 0; i < 3 * 64; ++i) {
    const uint8_t *block = ggml.data() + (i / 32) * 17;
    int j = i % 32;
    int nibble = j < 16 ? block[1 + j] & 0xF : block[1 + j - 16] >> 4;
    EXPECT_EQ(values[i], std::ldexp(double(kvalues[nibble]), block[0] - 128))
        << i;
  }
}

TEST(GGUF, RefusesMalformedFiles) {
  EXPECT_NE(parseError("GGML").find("not a GGUF"), std::string::npos);
  Bytes v1;
  v1.s = "GGUF";
  v1.put<uint32_t>(1).put<uint64_t>(0).put<uint64_t>(0);
  EXPECT_NE(parseError(v1.s).find("version 1"), std::string::npos);
  // A count no file could hold.
  Bytes many;
  many.s = "GGUF";
  many.put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(uint64_t(1) << 60);
  EXPECT_NE(parseError(many.s).find("more than the file can hold"),
            std::string::npos);
  // An array claiming more elements than bytes.
  Bytes array;
  array.s = "GGUF";
  array.put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(1);
  array.str("a").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(1000);
  EXPECT_NE(parseError(array.s).find("runs past the end"), std::string::npos);
  // Arrays of arrays.
  Bytes nested;
  nested.s = "GGUF";
  nested.put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(1);
  nested.str("a").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(0);
  EXPECT_NE(parseError(nested.s).find("nested"), std::string::npos);
  // A key twice.
  Bytes twice;
  twice.s = "GGUF";
  twice.put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(2);
  twice.str("k").put<uint32_t>(4).put<uint32_t>(1);
  twice.str("k").put<uint32_t>(4).put<uint32_t>(2);
  EXPECT_NE(parseError(twice.s).find("appears twice"), std::string::npos);
  // Tensor data cut short.
  std::string cut = oneTensor(0, {8}, std::string(16, '\0'));
  EXPECT_NE(parseError(cut).find("runs past the end of the file"),
            std::string::npos);
  // A row that is not whole blocks.
  EXPECT_NE(parseError(oneTensor(8, {16}, std::string(34, '\0')))
                .find("not whole blocks"),
            std::string::npos);
  // A type mxc does not read parses, and is named when it is decoded.
  llvm::Expected<GGUFFile> k = parse(oneTensor(12, {256}, ""));
  ASSERT_TRUE(static_cast<bool>(k));
  llvm::Expected<std::vector<float>> v = decodeGGMLTensor(k->tensors[0], "x");
  ASSERT_FALSE(static_cast<bool>(v));
  EXPECT_NE(llvm::toString(v.takeError()).find("is Q4_K"), std::string::npos);
}

LlamaConfig small() {
  LlamaConfig c;
  c.dim = 32;
  c.hiddenDim = 64;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2;
  c.vocab = 30;
  c.seqLen = 16;
  c.normEps = 1e-6;
  c.ropeTheta = 50000;
  return c;
}

std::string smallTokenizer(int64_t vocab) {
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  for (int64_t i = 3; i < vocab; ++i) {
    pieces.push_back((i % 2 ? " " : "") + std::string(1, 'a' + i - 3));
    scores.push_back(-float(i));
  }
  return serializeLlama2cTokenizer(pieces, scores);
}

/// A GGUF file of a random model of `small()`, with layer 0's wq in MXFP4.
std::string smallGGUF(LlamaModel &model, num::MXTensor &wq) {
  std::string bin;
  llvm::raw_string_ostream os(bin);
  writeRandomWeights(os, small(), 11);
  llvm::Expected<LlamaModel> m =
      readLlama2c(llvm::MemoryBuffer::getMemBufferCopy(bin), "small.bin");
  EXPECT_TRUE(static_cast<bool>(m));
  model = std::move(*m);
  // llama2.c files carry neither; GGUF does.
  model.config.normEps = 1e-6;
  model.config.ropeTheta = 50000;
  wq = num::quantize(num::ElemFormat::E2M1, 32, 32, 32,
                     model.layers[0].wq.data());
  llvm::StringMap<GGUFMatmulWeight> weights;
  weights["layers.0.wq"].mxfp4 = wq;
  llvm::Expected<GGUFWriter> w =
      buildLlamaGGUF(model, weights, smallTokenizer(30), "small");
  EXPECT_TRUE(static_cast<bool>(w));
  std::string out;
  llvm::raw_string_ostream gguf(out);
  w->write(gguf);
  return out;
}

TEST(GGUF, LlamaModelRoundTrips) {
  LlamaModel model;
  num::MXTensor wq;
  std::string bytes = smallGGUF(model, wq);
  llvm::Expected<LlamaModel> back =
      readGGUFModel(llvm::MemoryBuffer::getMemBufferCopy(bytes), "s.gguf");
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  const LlamaConfig &c = back->config;
  EXPECT_EQ(c.dim, 32);
  EXPECT_EQ(c.hiddenDim, 64);
  EXPECT_EQ(c.layers, 2);
  EXPECT_EQ(c.heads, 4);
  EXPECT_EQ(c.kvHeads, 2);
  EXPECT_EQ(c.vocab, 30);
  EXPECT_EQ(c.seqLen, 16);
  EXPECT_EQ(c.normEps, double(1e-6f));
  EXPECT_EQ(c.ropeTheta, 50000);
  EXPECT_EQ(back->tokenizer, smallTokenizer(30));
  // Weights bit for bit; the MXFP4 one as its codes and as its values.
  EXPECT_EQ(back->layers[1].w2, model.layers[1].w2);
  EXPECT_EQ(back->layers[0].ffnNorm, model.layers[0].ffnNorm);
  EXPECT_EQ(back->classifier.data(), back->tokenEmbedding.data()); // tied
  ASSERT_EQ(back->mxWeights.count("layers.0.wq"), 1u);
  EXPECT_EQ(back->mxWeights["layers.0.wq"].data, wq.data);
  EXPECT_EQ(back->mxWeights["layers.0.wq"].scales, wq.scales);
  std::vector<double> values = num::dequantize(wq);
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(back->layers[0].wq[i], values[i]) << i;
  ASSERT_EQ(back->notes.size(), 1u);
  EXPECT_EQ(back->notes[0],
            "1 MXFP4 tensors decoded to float" + kKeepHint.str());
}

/// `bytes` with the first occurrence of `from` replaced by `to` (the same
/// length).
std::string patched(std::string bytes, llvm::StringRef from,
                    llvm::StringRef to) {
  EXPECT_EQ(from.size(), to.size());
  size_t at = bytes.find(from.str());
  EXPECT_NE(at, std::string::npos) << from.str();
  if (at != std::string::npos)
    bytes.replace(at, from.size(), to.str());
  return bytes;
}

std::string modelError(const std::string &bytes) {
  llvm::Expected<LlamaModel> m =
      readGGUFModel(llvm::MemoryBuffer::getMemBufferCopy(bytes), "s.gguf");
  EXPECT_FALSE(static_cast<bool>(m));
  return m ? "" : llvm::toString(m.takeError());
}

TEST(GGUF, RefusesWhatMxcCannotRun) {
  LlamaModel model;
  num::MXTensor wq;
  std::string bytes = smallGGUF(model, wq);
  // Another architecture (general.architecture's "llama" patched).
  std::string other =
      patched(bytes, llvm::StringRef("\x05\0\0\0\0\0\0\0llama", 13),
              llvm::StringRef("\x05\0\0\0\0\0\0\0falcn", 13));
  EXPECT_NE(modelError(other).find("'falcn' models are not supported"),
            std::string::npos);
  // A byte-level BPE vocabulary.
  std::string bpe =
      patched(bytes,
              llvm::StringRef(
                  "tokenizer.ggml.model\x08\0\0\0\x05\0\0\0\0\0\0\0llama", 37),
              llvm::StringRef(
                  "tokenizer.ggml.model\x08\0\0\0\x05\0\0\0\0\0\0\0gpt2_", 37));
  EXPECT_NE(modelError(bpe).find("tokenizer 'gpt2_' is not supported"),
            std::string::npos);
  // A rotary dimension other than the head size (8 -> 4).
  std::string rope =
      patched(bytes, llvm::StringRef("rope.dimension_count\x04\0\0\0\x08", 25),
              llvm::StringRef("rope.dimension_count\x04\0\0\0\x04", 25));
  EXPECT_NE(modelError(rope).find("not the head size 8"), std::string::npos);
  // A weight's shape that does not match the metadata (feed_forward_length
  // 64 -> 128; the first tensor that disagrees is named).
  std::string shape =
      patched(bytes, llvm::StringRef("feed_forward_length\x04\0\0\0\x40", 24),
              llvm::StringRef("feed_forward_length\x04\0\0\0\x80", 24));
  EXPECT_NE(
      modelError(shape).find("'blk.0.ffn_gate.weight' has ne 32x64, expected "
                             "32x128"),
      std::string::npos);
}

} // namespace
