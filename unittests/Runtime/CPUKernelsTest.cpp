//===- CPUKernelsTest.cpp - The CPU matmul kernel against float64 ---------===//
//
// Every variant this CPU runs, every MX format and f32 weights, odd shapes
// (K = 172: a partial last block; N and M not multiples of the 4x4 tile; one
// row), other block sizes, 1 and 2 threads: each output within the f32
// summation bound of a float64 dot product of the library's dequantized
// weight with the activations.
//
//===----------------------------------------------------------------------===//

#include "mxc/Runtime/CPUKernels.h"
#include "mxc/Numerics/Attention.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Threading.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>

using namespace mxc;
namespace num = mxc::numerics;

namespace {

struct Shape {
  int64_t m, n, k, block;
  /// x in memory as [K, M] (its k strided), not [M, K].
  bool xTransposed = false;
};

std::vector<float> randomValues(int64_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = normal(rng);
  // A few outliers, as activations have.
  for (int64_t i = 0; i < count; i += 37)
    v[i] *= 20.0f;
  return v;
}

/// The operands and result of one kernel run.
struct KernelRun {
  std::vector<float> x;
  std::vector<double> weight; ///< The library's dequantized weight.
  std::vector<float> out;
};

/// Runs the kernel on random operands of `shape` with weight `format` (an f32
/// weight: give block = k), x changed by `edit` if given and marked as
/// values of xFormat.
KernelRun runKernel(std::optional<num::ElemFormat> format, Shape s,
                    unsigned seed,
                    const std::function<void(std::vector<float> &)> &edit = {},
                    int32_t xFormat = cpu::kWeightF32) {
  std::mt19937 rng(seed);
  // The weight first: then the first rows of x do not depend on s.m.
  std::vector<float> w = randomValues(s.n * s.k, rng);
  KernelRun run{randomValues(s.m * s.k, rng), {w.begin(), w.end()}, {}};
  if (edit)
    edit(run.x);
  cpu::MatmulProblem p;
  p.x = run.x.data();
  p.m = s.m;
  p.xCols = s.k;
  p.xRowStride = s.k;
  std::vector<float> xT;
  if (s.xTransposed) {
    xT.resize(run.x.size());
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t k = 0; k < s.k; ++k)
        xT[k * s.m + i] = run.x[i * s.k + k];
    p.x = xT.data();
    p.xRowStride = 1;
    p.xColStride = s.m;
  }
  p.n = s.n;
  p.k = s.k;
  p.block = s.block;
  num::MXTensor mx;
  if (format) {
    mx = num::quantize(*format, s.block, s.n, s.k, w.data());
    run.weight = num::dequantize(mx);
    p.format = static_cast<int32_t>(*format);
    p.data = mx.data.data();
    p.dataStride = mx.layout.rowBytes();
    p.scales = mx.scales.data();
    p.scaleStride = mx.layout.blocksPerRow();
  } else {
    p.weight = w.data();
    p.wStride = s.k;
  }
  run.out.assign(s.m * s.n, -1.0f);
  p.out = run.out.data();
  p.outStride = s.n;
  p.xFormat = xFormat;
  cpu::matmul(p);
  return run;
}

/// Runs the kernel on random operands of `shape` with weight `format` (x
/// changed by `edit` if given) and checks every output; returns the outputs.
std::vector<float>
check(std::optional<num::ElemFormat> format, Shape s, unsigned seed = 1,
      const std::function<void(std::vector<float> &)> &edit = {},
      int32_t xFormat = cpu::kWeightF32) {
  const KernelRun run = runKernel(format, s, seed, edit, xFormat);
  const std::vector<float> &x = run.x, &out = run.out;
  const std::vector<double> &weight = run.weight;
  const int64_t length = (s.k + s.block - 1) / s.block * s.block + 16;
  const double u = std::ldexp(1.0, -24);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t k = 0; k < s.k; ++k) {
        exact += double(x[i * s.k + k]) * weight[j * s.k + k];
        magnitude += std::fabs(double(x[i * s.k + k]) * weight[j * s.k + k]);
      }
      const double bound = 1.01 * length * u * magnitude;
      EXPECT_LE(std::fabs(out[i * s.n + j] - exact), bound)
          << "row " << i << " column " << j << " of " << s.m << "x" << s.n
          << "x" << s.k << " (block " << s.block << ") on " << cpu::kernelISA();
    }
  return out;
}

const Shape kShapes[] = {
    {1, 16, 172, 32}, {5, 7, 64, 32},  {9, 13, 256, 32}, {4, 33, 32, 32},
    {3, 6, 96, 16},   {2, 5, 128, 64}, {16, 9, 172, 32}, {50, 21, 96, 32},
};

class CPUKernels : public testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    if (!cpu::useKernelISA(GetParam()))
      GTEST_SKIP() << "this CPU does not run the " << GetParam() << " variant";
  }
};

TEST_P(CPUKernels, EveryFormatWithinTheF32Bound) {
  for (num::ElemFormat f : num::kAllElemFormats)
    for (Shape s : kShapes)
      if (num::isValidBlockSize(f, s.block))
        check(f, s);
}

TEST_P(CPUKernels, FloatWeightsWithinTheF32Bound) {
  for (Shape s : kShapes)
    check(std::nullopt, {s.m, s.n, s.k, s.k});
}

TEST_P(CPUKernels, NaNScaleMakesItsColumnNaN) {
  std::mt19937 rng(3);
  const int64_t m = 3, n = 6, k = 64;
  std::vector<float> x = randomValues(m * k, rng), w = randomValues(n * k, rng);
  num::MXTensor mx = num::quantize(num::ElemFormat::E2M1, 32, n, k, w.data());
  mx.scales[2 * 2 + 1] = num::kE8M0NaN; // column 2, second block
  cpu::MatmulProblem p;
  p.x = x.data();
  p.m = m;
  p.xCols = p.xRowStride = p.k = k;
  p.n = n;
  p.format = static_cast<int32_t>(num::ElemFormat::E2M1);
  p.data = mx.data.data();
  p.dataStride = mx.layout.rowBytes();
  p.scales = mx.scales.data();
  p.scaleStride = mx.layout.blocksPerRow();
  std::vector<float> out(m * n);
  p.out = out.data();
  p.outStride = n;
  cpu::matmul(p);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      EXPECT_EQ(std::isnan(out[i * n + j]), j == 2) << i << ", " << j;
}

// Every code of every FP8 and FP6 format (the SIMD paths decode them by
// arithmetic, not from the table: zeros, subnormals, the largest values,
// E4M3's NaN, E5M2's infinities and NaNs) equals the library's decoded
// element: column n holds code n first and zeros after it, with scale 1, and
// x = (1, 0, ...), so out[n] = element(n) * 1 exactly (decode and GEMM).
TEST_P(CPUKernels, EveryCodeDecodesAsTheLibrary) {
  for (num::ElemFormat f : {num::ElemFormat::E4M3, num::ElemFormat::E5M2,
                            num::ElemFormat::E2M3, num::ElemFormat::E3M2})
    for (int64_t m : {1, 16}) {
      const int64_t bits = num::getFormatInfo(f).bits, codes = 1 << bits,
                    k = 32, rowBytes = k * bits / 8;
      std::vector<uint8_t> data(codes * rowBytes, 0), scales(codes, 127); // 2^0
      for (int64_t n = 0; n < codes; ++n)
        data[n * rowBytes] = static_cast<uint8_t>(n); // code 0 of the row
      std::vector<float> x(m * k, 0.0f), out(m * codes, -1.0f);
      for (int64_t i = 0; i < m; ++i)
        x[i * k] = 1.0f;
      cpu::MatmulProblem p;
      p.x = x.data();
      p.m = m;
      p.xCols = p.xRowStride = p.k = k;
      p.n = codes;
      p.format = static_cast<int32_t>(f);
      p.data = data.data();
      p.dataStride = rowBytes;
      p.scales = scales.data();
      p.scaleStride = 1;
      p.out = out.data();
      p.outStride = codes;
      cpu::matmul(p);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t n = 0; n < codes; ++n) {
          const double want = num::decodeElement(f, static_cast<uint8_t>(n));
          const float got = out[i * codes + n];
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(got)) << n;
          else
            EXPECT_EQ(got, static_cast<float>(want))
                << num::getFormatInfo(f).name << " code " << n << " rows " << m
                << " on " << cpu::kernelISA();
        }
    }
}

// Below 16 rows (the GEMV paths) a row's result does not depend on the rows
// that come with it: one row, then nine (the 4-row tiles), then two.
TEST_P(CPUKernels, RowsAloneEqualRowsTogether) {
  for (num::ElemFormat f : num::kAllElemFormats)
    for (int64_t k : {172, 512}) {
      const Shape together = {9, 13, k, 32};
      std::vector<float> all = check(f, together, 7);
      for (int64_t rows : {1, 2}) {
        std::vector<float> part = check(f, {rows, 13, k, 32}, 7);
        for (int64_t i = 0; i < rows * 13; ++i)
          ASSERT_EQ(llvm::bit_cast<uint32_t>(part[i]),
                    llvm::bit_cast<uint32_t>(all[i]))
              << num::getFormatInfo(f).name << " K " << k << " rows " << rows
              << " element " << i;
      }
    }
}

// The AVX2 MXFP4 GEMV reads x times 2^-24 unless some nonzero |x| is below
// 2^-102 (the scaling would round it); then x as it is, each decoded integer
// shifted down instead. The two give the same bits: rows with and without a
// row of tiny elements (about 2^-120, within the f32 bound itself) after them.
TEST_P(CPUKernels, TinyActivationsGiveTheSameBits) {
  for (int64_t k : {172, 512})
    for (int64_t rows : {1, 5}) {
      const Shape s = {rows + 1, 13, k, 32};
      std::vector<float> plain = check(num::ElemFormat::E2M1, s, 3);
      std::vector<float> tiny =
          check(num::ElemFormat::E2M1, s, 3, [&](std::vector<float> &x) {
            for (int64_t i = rows * k; i < (rows + 1) * k; ++i)
              x[i] *= 0x1p-120f;
          });
      for (int64_t i = 0; i < rows * 13; ++i)
        ASSERT_EQ(llvm::bit_cast<uint32_t>(plain[i]),
                  llvm::bit_cast<uint32_t>(tiny[i]))
            << "K " << k << " rows " << rows << " element " << i;
    }
}

/// x replaced by the library's MXINT8 quantize-dequantize of its rows
/// (blocks of 32 along k): what the kernel gets for MXINT8 activations.
void toMXInt8(std::vector<float> &x, int64_t k) {
  const int64_t rows = static_cast<int64_t>(x.size()) / k;
  const std::vector<double> values = num::dequantize(
      num::quantize(num::ElemFormat::Int8, 32, rows, k, x.data()));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(values[i]);
}

// MXINT8 activations times an MXFP4 weight (the AVX2 GEMV multiplies their
// integers): within the f32 bound for 1 to 15 rows, a partial last block,
// and a row's result the same bits alone and with others.
TEST_P(CPUKernels, MXInt8ActivationsWithinTheF32Bound) {
  const int32_t int8 = static_cast<int32_t>(num::ElemFormat::Int8);
  for (int64_t k : {172, 512, 768})
    for (int64_t m : {1, 2, 3, 5, 15}) {
      const Shape s = {m, 13, k, 32};
      auto edit = [&](std::vector<float> &x) { toMXInt8(x, k); };
      std::vector<float> all = check(num::ElemFormat::E2M1, s, 9, edit, int8);
      std::vector<float> one =
          check(num::ElemFormat::E2M1, {1, 13, k, 32}, 9, edit, int8);
      for (int64_t j = 0; j < 13; ++j)
        ASSERT_EQ(llvm::bit_cast<uint32_t>(one[j]),
                  llvm::bit_cast<uint32_t>(all[j]))
            << "K " << k << " rows " << m << " column " << j;
    }
}

// Marked MXINT8 but not MXINT8 values (any f32): where the integers are used
// (AVX2, below 16 rows) every output is NaN, not a wrong number.
TEST_P(CPUKernels, NotMXInt8ActivationsGiveNaN) {
  const Shape s = {2, 9, 96, 32};
  const KernelRun run = runKernel(num::ElemFormat::E2M1, s, 4, {},
                                  static_cast<int32_t>(num::ElemFormat::Int8));
  const bool integers = std::string(cpu::kernelISA()) != "generic";
  for (float v : run.out)
    EXPECT_EQ(std::isnan(v), integers) << v << " on " << cpu::kernelISA();
}

// Big enough to split over the pool: two threads give each output bit for
// bit what one gives (a column's sum does not depend on who computes it).
TEST_P(CPUKernels, TwoThreadsEqualOne) {
  const Shape big = {9, 130, 520, 32};
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
  std::vector<float> one = check(num::ElemFormat::E2M1, big, 5);
  llvm::parallel::strategy = llvm::hardware_concurrency(2);
  std::vector<float> two = check(num::ElemFormat::E2M1, big, 5);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i)
    ASSERT_EQ(llvm::bit_cast<uint32_t>(one[i]),
              llvm::bit_cast<uint32_t>(two[i]))
        << i;
}

// From 16 rows on the kernel runs as a GEMM whose outputs are multiply-add
// chains in k order: fused (std::fma) where the variant has FMA, a product
// then a sum otherwise, on the library's dequantized weight in f32 (each
// element table[code] * scale, exact). Bit for bit, for every format and f32,
// a partial last block, 48-row tiles and a remainder, reductions longer than
// the AVX2 GEMM's 256-k depth steps, x with its k strided, and two threads.
TEST_P(CPUKernels, GemmSumsInKOrder) {
  const bool fused = std::string(cpu::kernelISA()) != "generic";
  std::vector<std::optional<num::ElemFormat>> formats = {std::nullopt};
  for (num::ElemFormat f : num::kAllElemFormats)
    formats.push_back(f);
  for (unsigned threads : {1u, 2u})
    for (std::optional<num::ElemFormat> format : formats)
      for (Shape s : {Shape{16, 9, 172, 32}, Shape{53, 70, 96, 32},
                      Shape{40, 33, 600, 32}, Shape{23, 17, 300, 32, true}}) {
        llvm::parallel::strategy = llvm::hardware_concurrency(threads);
        if (!format)
          s.block = s.k;
        const KernelRun run = runKernel(format, s, 11);
        const std::vector<float> &x = run.x, &out = run.out;
        for (int64_t i = 0; i < s.m; ++i)
          for (int64_t j = 0; j < s.n; ++j) {
            float acc = 0.0f;
            for (int64_t k = 0; k < s.k; ++k) {
              const float a = x[i * s.k + k],
                          b = static_cast<float>(run.weight[j * s.k + k]);
              acc = fused ? std::fma(a, b, acc) : acc + a * b;
            }
            ASSERT_EQ(llvm::bit_cast<uint32_t>(out[i * s.n + j]),
                      llvm::bit_cast<uint32_t>(acc))
                << (format ? num::getFormatInfo(*format).name : "f32")
                << " row " << i << " column " << j << " of " << s.m << "x"
                << s.n << " on " << cpu::kernelISA() << ", " << threads
                << " thread(s)";
          }
      }
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
}

/// The logical [h, s, d] array `a` copied to the layout of a KV cache,
/// [s, h, d] (the head dimension contiguous, heads interleaved), or with
/// `transposed` [d, s, h]; its strides into `strides`.
static std::vector<float> relayout(const std::vector<float> &a, int64_t h,
                                   int64_t s, int64_t d, bool transposed,
                                   int64_t strides[3]) {
  std::vector<float> out(a.size());
  if (transposed) {
    strides[0] = 1, strides[1] = h, strides[2] = s * h;
  } else {
    strides[0] = d, strides[1] = h * d, strides[2] = 1;
  }
  for (int64_t x = 0; x < h; ++x)
    for (int64_t y = 0; y < s; ++y)
      for (int64_t z = 0; z < d; ++z)
        out[x * strides[0] + y * strides[1] + z * strides[2]] =
            a[(x * s + y) * d + z];
  return out;
}

/// The shape of an attention kernel test case.
struct AttentionCase {
  int64_t heads, kvHeads, queries, keys, headDim, valueDim;
  bool transposedKV;
};

/// The kernel's operands for the logical [H, S, D] arrays q, k and v of
/// case c: copies in a KV cache's layout (relayout; q never transposed), an
/// output [H, Sq, Dv] filled with NaN, and the problem on them.
struct AttentionOperands {
  std::vector<float> q, k, v, out;
  cpu::AttentionProblem p;
  AttentionOperands(const AttentionCase &c, const std::vector<float> &q0,
                    const std::vector<float> &k0,
                    const std::vector<float> &v0) {
    p.heads = c.heads, p.queries = c.queries, p.headDim = c.headDim;
    p.kvHeads = c.kvHeads, p.keys = c.keys, p.valueDim = c.valueDim;
    q = relayout(q0, c.heads, c.queries, c.headDim, false, p.qStrides);
    k = relayout(k0, c.kvHeads, c.keys, c.headDim, c.transposedKV, p.kStrides);
    v = relayout(v0, c.kvHeads, c.keys, c.valueDim, c.transposedKV, p.vStrides);
    out.assign(c.heads * c.queries * c.valueDim, std::nanf(""));
    p.q = q.data(), p.k = k.data(), p.v = v.data(), p.out = out.data();
    p.outStrides[0] = c.queries * c.valueDim, p.outStrides[1] = c.valueDim,
    p.outStrides[2] = 1;
  }
  AttentionOperands(const AttentionOperands &) = delete;
  AttentionOperands &operator=(const AttentionOperands &) = delete;
};

// The attention kernel against the float64 reference, with q, k and v in
// memory as [S, H, D] (the head dimension contiguous, heads interleaved) and
// k, v also with the head dimension strided ([D, S, H]: no SIMD path), a
// decode row, a chunk and a prefill, 1 and 2 threads. Bound: each output a
// convex combination of values; the bound is mxc-testgen attention's.
TEST_P(CPUKernels, AttentionWithinTheF32Bound) {
  using Case = AttentionCase;
  for (unsigned threads : {1u, 2u})
    for (Case c :
         {Case{4, 2, 1, 70, 64, 64, false}, Case{6, 3, 33, 90, 20, 40, false},
          Case{2, 1, 50, 50, 16, 24, true}, Case{8, 4, 37, 37, 8, 8, false},
          Case{8, 4, 1, 45, 8, 8, true}, Case{2, 2, 3, 20, 24, 5, false}}) {
      llvm::parallel::strategy = llvm::hardware_concurrency(threads);
      std::mt19937 rng(5);
      num::AttentionShape shape{c.heads,   c.kvHeads,  c.queries, c.keys,
                                c.headDim, c.valueDim, 0};
      // Logical [H, S, D] arrays for the reference.
      std::vector<float> q = randomValues(c.heads * c.queries * c.headDim, rng),
                         k = randomValues(c.kvHeads * c.keys * c.headDim, rng),
                         v = randomValues(c.kvHeads * c.keys * c.valueDim, rng);
      std::vector<double> ref(c.heads * c.queries * c.valueDim);
      const double scale = 1.0 / std::sqrt(double(c.headDim));
      num::attentionReference(shape, q.data(), k.data(), v.data(), nullptr, {},
                              scale, ref.data());
      // The kernel's operands: [S, H, D] (or [D, S, H]) copies.
      AttentionOperands run(c, q, k, v);
      run.p.scale = static_cast<float>(scale);
      cpu::attention(run.p);
      const std::vector<float> &out = run.out;
      // Per row: the scores' rounding (a dot product of D terms, then the
      // scale) moves each weight exp(s_j - max) by a relative 2 * delta;
      // the kernel's exp (within 1 ulp) and sums of up to `keys` terms add
      // their own rounding.
      const double u = std::ldexp(1.0, -24);
      const int64_t group = c.heads / c.kvHeads;
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < c.queries; ++i) {
          const int64_t g = h / group, seen = c.keys - c.queries + i + 1;
          double delta = 0, maxV = 0, max = -1e300, min = 1e300;
          for (int64_t j = 0; j < seen; ++j) {
            double dot = 0, magnitude = 0;
            for (int64_t d = 0; d < c.headDim; ++d) {
              const double t = double(q[(h * c.queries + i) * c.headDim + d]) *
                               k[(g * c.keys + j) * c.headDim + d];
              dot += t, magnitude += std::fabs(t);
            }
            delta = std::max(delta, scale * (c.headDim + 2) * u * magnitude);
            max = std::max(max, scale * dot), min = std::min(min, scale * dot);
            for (int64_t d = 0; d < c.valueDim; ++d)
              maxV = std::max(maxV, std::fabs(double(
                                        v[(g * c.keys + j) * c.valueDim + d])));
          }
          delta += u * (max - min);
          const double bound = maxV * (2 * delta + (2 * seen + 8) * u);
          for (int64_t d = 0; d < c.valueDim; ++d) {
            const int64_t at = (h * c.queries + i) * c.valueDim + d;
            ASSERT_NEAR(out[at], ref[at], bound)
                << "head " << h << " row " << i << " element " << d << " on "
                << cpu::kernelISA() << ", " << threads << " thread(s)";
          }
        }
    }
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
}

// The attention kernel with an EXAQ softmax against
// numerics::exaqAttentionReference: its codes come from the same f32 scores,
// so only the f32 sums differ, within mxc-testgen attention's bound
// max|v| (2 keys + 4) u. The cases of the exact kernel's test (every path:
// decode rows, chunks, prefills, strided K and V, 1 and 2 threads) with 2,
// 3 and 8 bits, EXAQ's clamp, a zero floor and a given table.
TEST_P(CPUKernels, ExaqAttentionEqualsTheReference) {
  using Case = AttentionCase;
  struct Softmax {
    int bits;
    double clip;
    bool zeroFloor;
    std::vector<float> table;
  };
  const Softmax softmaxes[] = {{2, -4.5, true, {}},
                               {3, -6.0, false, {}},
                               {8, -16.0, false, {}},
                               {2, -3.0, true, {0.0f, 0.1f, 0.4f, 1.0f}}};
  for (unsigned threads : {1u, 2u})
    for (const Softmax &softmax : softmaxes)
      for (Case c :
           {Case{4, 2, 1, 70, 64, 64, false}, Case{6, 3, 33, 90, 20, 40, false},
            Case{2, 1, 50, 50, 16, 24, true}, Case{8, 4, 37, 37, 8, 8, false},
            Case{8, 4, 1, 45, 8, 8, true}, Case{3, 3, 1, 70, 32, 32, false}}) {
        llvm::parallel::strategy = llvm::hardware_concurrency(threads);
        std::mt19937 rng(7);
        num::AttentionShape shape{c.heads,   c.kvHeads,  c.queries, c.keys,
                                  c.headDim, c.valueDim, 0};
        // Scores of a few units, so that every code occurs.
        std::vector<float> q = randomValues(c.heads * c.queries * c.headDim,
                                            rng),
                           k = randomValues(c.kvHeads * c.keys * c.headDim,
                                            rng),
                           v = randomValues(c.kvHeads * c.keys * c.valueDim,
                                            rng);
        num::ExaqQuantizer quantizer{softmax.bits, softmax.clip,
                                     softmax.zeroFloor};
        quantizer.table = softmax.table;
        const float scale = 1.0f / std::sqrt(float(c.headDim));
        std::vector<double> ref(c.heads * c.queries * c.valueDim);
        num::exaqAttentionReference(shape, q.data(), k.data(), v.data(),
                                    nullptr, {}, scale, quantizer, ref.data());
        AttentionOperands run(c, q, k, v);
        cpu::AttentionProblem &p = run.p;
        p.scale = scale;
        const std::vector<float> table = quantizer.exponentTable();
        p.exaqTable = table.data();
        p.exaqLevels = static_cast<int64_t>(table.size());
        p.exaqClip = quantizer.clipF32();
        p.exaqInverseStep = quantizer.inverseStepF32();
        cpu::attention(p);
        const std::vector<float> &out = run.out;
        double maxV = 0;
        for (float x : v)
          maxV = std::max(maxV, std::fabs(double(x)));
        const double bound = maxV * (2 * c.keys + 4) * std::ldexp(1.0, -24);
        for (size_t at = 0; at < ref.size(); ++at)
          ASSERT_NEAR(out[at], ref[at], bound)
              << "output " << at << ", " << softmax.bits << " bits, " << c.heads
              << "x" << c.queries << "x" << c.keys << " on " << cpu::kernelISA()
              << ", " << threads << " thread(s)";
      }
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
}

// A score that a fused multiply-add would move across a code boundary:
// q = (1, 1 + 2^-22), k_1 = (1, -(2.5 - 2^-21)). Rounded, the product is
// -2.5 and the score 1 - 2.5 = -1.5 exactly, on the boundary between codes
// 1 and 2 of 2 bits with clip -3 (step 1), which rounds up to code 2; fused,
// 1 + (-2.5000001192) rounds to -1.5 - 2^-23, code 1. Key 0 (score 0) is
// the row's max. With the table e^-2, e^-1: out = (0 + e^-1 * 1) / (1 +
// e^-1) for v = (0, 1), not (e^-2) / (1 + e^-2). A NaN in a key the row
// does not see leaves it alone; one it sees makes it NaN.
TEST_P(CPUKernels, ExaqAttentionRoundsEachProduct) {
  const float q[2] = {1.0f, 1.0f + std::ldexp(1.0f, -22)};
  float k[3][2] = {{0.0f, 0.0f},
                   {1.0f, -(2.5f - std::ldexp(1.0f, -21))},
                   {std::nanf(""), 0.0f}};
  const float v[3] = {0.0f, 1.0f, 5.0f};
  num::ExaqQuantizer quantizer{2, -3.0, true};
  const std::vector<float> table = quantizer.exponentTable();
  auto run = [&](int64_t queries) {
    cpu::AttentionProblem p;
    p.heads = p.kvHeads = 1, p.queries = queries, p.keys = 3;
    p.headDim = 2, p.valueDim = 1;
    // Row 0 (position 3 - queries) sees keys 0 ..= 3 - queries; the q rows
    // are the same.
    std::vector<float> qs;
    for (int64_t i = 0; i < queries; ++i)
      qs.insert(qs.end(), q, q + 2);
    std::vector<float> out(queries, -1.0f);
    p.q = qs.data(), p.k = &k[0][0], p.v = v, p.out = out.data();
    p.qStrides[0] = queries * 2, p.qStrides[1] = 2, p.qStrides[2] = 1;
    p.kStrides[0] = 6, p.kStrides[1] = 2, p.kStrides[2] = 1;
    p.vStrides[0] = 3, p.vStrides[1] = 1, p.vStrides[2] = 1;
    p.outStrides[0] = queries, p.outStrides[1] = 1, p.outStrides[2] = 1;
    p.scale = 1.0f;
    p.exaqTable = table.data(), p.exaqLevels = 4;
    p.exaqClip = quantizer.clipF32();
    p.exaqInverseStep = quantizer.inverseStepF32();
    cpu::attention(p);
    return out;
  };
  std::vector<float> out = run(2);
  EXPECT_EQ(quantizer.code(-1.5f), 2);
  EXPECT_NEAR(out[0], std::exp(-1.0) / (1 + std::exp(-1.0)), 1e-6)
      << "on " << cpu::kernelISA();
  EXPECT_TRUE(std::isnan(out[1])) << "on " << cpu::kernelISA();
}

// The same boundary score in a decode row that is alone on its KV head, with
// a head of 16: such a row reads K in place, 16 keys at a time transposed in
// registers, the last keys one by one. q = (1, 1 + 2^-22, 0, ...); every
// key 0 but key b = (1, -(2.5 - 2^-21), 0, ...), whose score is exactly
// -1.5 when each product is rounded (code 2 with clip -3: e^-1) and
// -1.5 - 2^-23 fused (code 1: e^-2); its value 1, the others' 0. b = 5 lies
// in a block of 16 keys, b = 32 among the last keys (33 keys).
TEST_P(CPUKernels, ExaqAttentionRoundsEachProductInPlace) {
  constexpr int64_t kDim = 16, kKeys = 33;
  num::ExaqQuantizer quantizer{2, -3.0, true};
  const std::vector<float> table = quantizer.exponentTable();
  std::vector<float> q(kDim, 0.0f);
  q[0] = 1.0f, q[1] = 1.0f + std::ldexp(1.0f, -22);
  for (int64_t b : {5, 32}) {
    std::vector<float> k(kKeys * kDim, 0.0f), v(kKeys * kDim, 0.0f);
    k[b * kDim] = 1.0f, k[b * kDim + 1] = -(2.5f - std::ldexp(1.0f, -21));
    v[b * kDim] = 1.0f;
    AttentionOperands run(AttentionCase{1, 1, 1, kKeys, kDim, kDim, false}, q,
                          k, v);
    run.p.scale = 1.0f;
    run.p.exaqTable = table.data(), run.p.exaqLevels = 4;
    run.p.exaqClip = quantizer.clipF32();
    run.p.exaqInverseStep = quantizer.inverseStepF32();
    cpu::attention(run.p);
    EXPECT_NEAR(run.out[0], std::exp(-1.0) / (kKeys - 1 + std::exp(-1.0)), 1e-7)
        << "key " << b << " on " << cpu::kernelISA();
  }
}

// A zero floor drops the keys of code 0: their values are not read. One KV
// head of 40 keys and 16 dims; values 16 wide (summed in lanes, over the
// kept keys only) and 8 wide (from V transposed, the dropped keys masked);
// a decode row and a chunk of 3. q = (1, 0, ...); key j's first element is
// 0 for even j and -20 for odd j (score -5 with scale 1/4: below clip -3,
// code 0, dropped), so each row sees its even keys at weight 1. The odd
// keys' values hold NaN and infinities: each row is the mean of its even
// keys' values, in the kernel and in numerics::exaqAttentionReference. A NaN
// in an even key's value reaches the rows that see it.
TEST_P(CPUKernels, ExaqAttentionDropsZeroWeightKeys) {
  constexpr int64_t kKeys = 40, kDim = 16;
  num::ExaqQuantizer quantizer{2, -3.0, true};
  const std::vector<float> table = quantizer.exponentTable();
  struct Rows {
    std::vector<float> out;
    std::vector<double> ref;
  };
  for (int64_t dv : {16, 8}) {
    std::vector<float> k(kKeys * kDim, 0.0f), v(kKeys * dv);
    for (int64_t j = 0; j < kKeys; ++j) {
      k[j * kDim] = j % 2 ? -20.0f : 0.0f;
      for (int64_t d = 0; d < dv; ++d)
        v[j * dv + d] = j % 2 ? (d % 2 ? INFINITY : std::nanf(""))
                              : static_cast<float>(j + d);
    }
    auto run = [&](int64_t queries) {
      std::vector<float> q(queries * kDim, 0.0f);
      for (int64_t i = 0; i < queries; ++i)
        q[i * kDim] = 1.0f;
      AttentionOperands run(
          AttentionCase{1, 1, queries, kKeys, kDim, dv, false}, q, k, v);
      run.p.scale = 0.25f;
      run.p.exaqTable = table.data(), run.p.exaqLevels = 4;
      run.p.exaqClip = quantizer.clipF32();
      run.p.exaqInverseStep = quantizer.inverseStepF32();
      cpu::attention(run.p);
      Rows rows{run.out, std::vector<double>(queries * dv)};
      num::exaqAttentionReference({1, 1, queries, kKeys, kDim, dv, 0}, q.data(),
                                  k.data(), v.data(), nullptr, {}, 0.25f,
                                  quantizer, rows.ref.data());
      return rows;
    };
    for (int64_t queries : {1, 3}) {
      Rows rows = run(queries);
      for (int64_t i = 0; i < queries; ++i) {
        // Row i sees keys 0 ..= kKeys - queries + i, the even ones at weight
        // 1: j = 0, 2, ..., 2 (kept - 1), whose mean is kept - 1.
        const int64_t kept = (kKeys - queries + i) / 2 + 1;
        for (int64_t d = 0; d < dv; ++d) {
          EXPECT_EQ(rows.out[i * dv + d], static_cast<float>(kept - 1 + d))
              << "values " << dv << " wide, row " << i << " of " << queries
              << ", dim " << d << " on " << cpu::kernelISA();
          EXPECT_EQ(rows.ref[i * dv + d], static_cast<double>(kept - 1 + d));
        }
      }
    }
    v[38 * dv + 5] = std::nanf("");
    Rows rows = run(1);
    EXPECT_TRUE(std::isnan(rows.out[5])) << "on " << cpu::kernelISA();
    EXPECT_TRUE(std::isnan(rows.ref[5]));
    EXPECT_EQ(rows.out[4], 19.0f + 4) << "on " << cpu::kernelISA();
  }
}

/// Rows of 172 values (five blocks of 32 and a partial one of 12) that
/// reach every case of the MX conversion of `f`: random activations with
/// outliers; per block an exact tie between every pair of neighbouring
/// codes, each code itself and the value that sets the shared exponent (a
/// different one per block, its extremes included); random bit patterns
/// (huge, tiny, f32 subnormal, infinity and NaN); zeros of both signs with
/// f32 subnormals.
static std::vector<float> conversionCases(num::ElemFormat f, int64_t cols,
                                          std::mt19937 &rng) {
  std::vector<float> rows = randomValues(cols, rng);
  // Ties and grid points. The positive codes' magnitudes, in order.
  const num::FormatInfo &info = num::getFormatInfo(f);
  std::vector<double> grid;
  for (unsigned c = 0; c < (1u << info.bits); ++c) {
    double v = num::decodeElement(f, static_cast<uint8_t>(c));
    if (std::isfinite(v) && v >= 0 && !std::signbit(v))
      grid.push_back(v);
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  std::vector<double> ties;
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    ties.push_back((grid[i] + grid[i + 1]) / 2);
    ties.push_back(grid[i]);
  }
  const int shifts[] = {-127, -100, -3, 0, 5, 127 - info.emax};
  std::uniform_int_distribution<size_t> pick(0, ties.size() - 1);
  std::bernoulli_distribution negative(0.5);
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t block = c / 32;
    const int shift = shifts[block % 6];
    double v = c % 32 == 0 ? info.maxNormal : ties[pick(rng)];
    v = std::ldexp(negative(rng) ? -v : v, shift);
    rows.push_back(static_cast<float>(v)); // exact unless below f32's range
  }
  std::uniform_int_distribution<uint32_t> bits;
  for (int64_t c = 0; c < cols; ++c)
    rows.push_back(llvm::bit_cast<float>(bits(rng)));
  const float small[] = {0.0f, -0.0f, 1e-45f, -3e-42f, 1e-39f};
  for (int64_t c = 0; c < cols; ++c)
    rows.push_back(small[c % 5] * (c % 7 == 3 ? 1e30f : 1.0f));
  return rows;
}

TEST_P(CPUKernels, QuantizeDequantizeEqualsTheLibrary) {
  const int64_t cols = 172;
  for (num::ElemFormat f : num::kAllElemFormats)
    for (num::RoundingMode mode :
         {num::RoundingMode::NearestEven, num::RoundingMode::NearestAway})
      for (int64_t block : {32, 16})
        for (auto [threads, scales] : {std::pair{1u, num::ScaleChoice::Spec},
                                       std::pair{2u, num::ScaleChoice::Spec},
                                       std::pair{1u, num::ScaleChoice::Ceil},
                                       std::pair{2u, num::ScaleChoice::Ceil}}) {
          llvm::parallel::strategy = llvm::hardware_concurrency(threads);
          std::mt19937 rng(static_cast<unsigned>(f) * 10 + block);
          std::vector<float> x = conversionCases(f, cols, rng);
          // Enough rows for the threads to split them.
          while (x.size() < 1536 * static_cast<size_t>(cols))
            x.insert(x.end(), x.begin(), x.begin() + 4 * cols);
          const int64_t rows = x.size() / cols;
          std::vector<float> out(x.size(), 1.0f);
          cpu::QuantizeProblem p =
              cpu::QuantizeProblem::rowMajor(x.data(), out.data(), rows, cols);
          p.format = static_cast<int32_t>(f);
          p.block = block;
          p.rounding = static_cast<int32_t>(mode);
          p.scales = static_cast<int32_t>(scales);
          cpu::quantizeDequantize(p);
          int64_t wrong = 0;
          std::vector<uint8_t> codes(block);
          std::vector<double> decoded(block);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t b = 0; b < cols; b += block) {
              const int64_t n = std::min(block, cols - b);
              const float *in = x.data() + r * cols + b;
              uint8_t scale =
                  num::quantizeBlock(f, in, n, codes.data(), mode, scales);
              num::dequantizeBlock(f, scale, codes.data(), n, decoded.data());
              for (int64_t i = 0; i < n; ++i) {
                const float want = static_cast<float>(decoded[i]),
                            got = out[r * cols + b + i];
                const bool same = std::isnan(want)
                                      ? std::isnan(got)
                                      : llvm::bit_cast<uint32_t>(want) ==
                                            llvm::bit_cast<uint32_t>(got);
                if (!same && wrong++ < 5)
                  ADD_FAILURE()
                      << num::getFormatInfo(f).name << " block " << block
                      << (mode == num::RoundingMode::NearestAway ? " away"
                                                                 : " even")
                      << (scales == num::ScaleChoice::Ceil ? " ceil" : "")
                      << ": " << in[i] << " (row " << r << ", column " << b + i
                      << ") gives " << got << ", the library " << want << " on "
                      << cpu::kernelISA() << ", " << threads << " thread(s)";
              }
            }
          EXPECT_EQ(wrong, 0);
        }
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
}

INSTANTIATE_TEST_SUITE_P(Variants, CPUKernels,
                         testing::Values("avx512", "avx2", "generic"),
                         [](const testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });

} // namespace
