//===- PTQTest.cpp - SmoothQuant and GPTQ for MX formats ------------------===//

#include "mxc/Numerics/GPTQ.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

using namespace mxc::numerics;

namespace {

std::vector<float> randomMatrix(int64_t rows, int64_t cols, unsigned seed,
                                float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, scale);
  std::vector<float> m(rows * cols);
  for (float &v : m)
    v = normal(rng);
  return m;
}

/// Calibration rows with strongly correlated features: X = Z A, Z [rows, r]
/// of rank r < k, plus a little noise; some channels carry outliers.
std::vector<float> correlatedInputs(int64_t rows, int64_t k, unsigned seed) {
  const int64_t r = 8;
  std::vector<float> z = randomMatrix(rows, r, seed);
  std::vector<float> a = randomMatrix(r, k, seed + 1);
  std::vector<float> noise = randomMatrix(rows, k, seed + 2, 0.05f);
  std::vector<float> x(rows * k);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < k; ++j) {
      float v = noise[i * k + j];
      for (int64_t p = 0; p < r; ++p)
        v += z[i * r + p] * a[p * k + j];
      x[i * k + j] = v * ((j % 29 == 3) ? 8.0f : 1.0f);
    }
  return x;
}

/// Correlated inputs x [rows, k] (seed `xSeed`), a weight w [n, k], the
/// per-channel max |x| and w's SmoothQuant scales.
struct SmoothedProblem {
  std::vector<float> x, w, absMax;
  std::vector<double> s;
};
SmoothedProblem smoothedProblem(int64_t rows, int64_t k, int64_t n,
                                uint32_t xSeed, uint32_t wSeed) {
  SmoothedProblem p{correlatedInputs(rows, k, xSeed),
                    randomMatrix(n, k, wSeed),
                    std::vector<float>(k, 0),
                    {}};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < k; ++j)
      p.absMax[j] = std::max(p.absMax[j], std::fabs(p.x[i * k + j]));
  p.s = smoothQuantScales(p.absMax, {{p.w.data(), n}}, k);
  return p;
}

TEST(SmoothQuant, HandExample) {
  // Activation maxima [4, 1]; weight column maxima [1, 16] over two layers.
  std::vector<float> act = {4, 1};
  std::vector<float> w1 = {1, 2, -0.5f, 16};
  std::vector<float> w2 = {0.25f, -3};
  std::vector<double> s =
      smoothQuantScales(act, {{w1.data(), 2}, {w2.data(), 1}}, 2, 0.5);
  EXPECT_DOUBLE_EQ(s[0], 2.0);  // sqrt(4) / sqrt(1)
  EXPECT_DOUBLE_EQ(s[1], 0.25); // sqrt(1) / sqrt(16)
  // Alpha 1: all of the activation range moves into the weight.
  s = smoothQuantScales(act, {{w1.data(), 2}}, 2, 1.0);
  EXPECT_DOUBLE_EQ(s[0], 4.0);
  // Clamps: zero activations and zero weights.
  std::vector<float> zero = {0, 0};
  s = smoothQuantScales(zero, {{w1.data(), 2}}, 2, 0.5);
  EXPECT_DOUBLE_EQ(s[0], std::max(1e-5, std::sqrt(1e-5) / 1.0));
}

TEST(SmoothQuant, PreservesProductAndFlattensOutliers) {
  const int64_t rows = 256, k = 64, n = 32;
  auto [x, w, absMax, s] = smoothedProblem(rows, k, n, 3, 9);

  // (x / s) (W s)^T = x W^T up to rounding.
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t o = 0; o < n; ++o) {
      double before = 0, after = 0, mag = 0;
      for (int64_t j = 0; j < k; ++j) {
        before += static_cast<double>(x[i * k + j]) * w[o * k + j];
        after += (x[i * k + j] / s[j]) * (w[o * k + j] * s[j]);
        mag += std::fabs(static_cast<double>(x[i * k + j]) * w[o * k + j]);
      }
      EXPECT_NEAR(after, before, 1e-12 * mag);
    }
  // The spread of per-channel activation maxima shrinks.
  auto spread = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.back() / v[v.size() / 2];
  };
  std::vector<double> before(absMax.begin(), absMax.end()), after(k);
  for (int64_t j = 0; j < k; ++j)
    after[j] = absMax[j] / s[j];
  EXPECT_LT(spread(after), spread(before) / 2);
}

// The rewrites that apply s: the smoothed weight times the smoothed input
// (x times the factors 1/s) is the product of before; the smoothed Hessian
// is that of x / s computed directly; the gain and the factors are s's
// divisions rounded to f32.
TEST(SmoothQuant, RewritesKeepTheProductAndTheHessian) {
  const int64_t rows = 64, k = 16, n = 8;
  auto [x, w, absMax, s] = smoothedProblem(rows, k, n, 4, 5);
  std::vector<float> ws = w;
  smoothWeightColumns(ws.data(), n, s);
  std::vector<float> f = smoothInputFactors(s);
  std::vector<float> gain(k, 1.5f);
  divideBySmoothScales(gain.data(), s);
  for (int64_t j = 0; j < k; ++j) {
    EXPECT_EQ(f[j], static_cast<float>(1.0 / s[j]));
    EXPECT_EQ(gain[j], static_cast<float>(1.5 / s[j]));
  }
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t o = 0; o < n; ++o) {
      double before = 0, after = 0, mag = 0;
      for (int64_t j = 0; j < k; ++j) {
        before += static_cast<double>(x[i * k + j]) * w[o * k + j];
        after += static_cast<double>(x[i * k + j] * f[j]) * ws[o * k + j];
        mag += std::fabs(static_cast<double>(x[i * k + j]) * w[o * k + j]);
      }
      EXPECT_NEAR(after, before, 1e-6 * mag);
    }
  std::vector<float> h(k * k, 0.0f);
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b) {
      double sum = 0;
      for (int64_t i = 0; i < rows; ++i)
        sum += static_cast<double>(x[i * k + a]) * x[i * k + b];
      h[a * k + b] = static_cast<float>(sum);
    }
  smoothHessian(h.data(), s);
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b) {
      double direct = 0;
      for (int64_t i = 0; i < rows; ++i)
        direct += (x[i * k + a] / s[a]) * (x[i * k + b] / s[b]);
      EXPECT_NEAR(h[a * k + b], direct, 1e-5 * (std::fabs(direct) + 1e-3))
          << a << ", " << b;
    }
}

TEST(GPTQ, OutputMSEFromHessianMatchesDirect) {
  const int64_t rows = 200, k = 40, n = 6;
  std::vector<float> x = correlatedInputs(rows, k, 5);
  std::vector<float> w = randomMatrix(n, k, 6);
  std::vector<double> h;
  accumulateHessian(x.data(), rows, k, rows, h);
  QuantizedWeight q = rtnQuantize(w.data(), n, k, ElemFormat::E2M1, 32);
  double direct = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t o = 0; o < n; ++o) {
      double e = 0;
      for (int64_t j = 0; j < k; ++j)
        e += x[i * k + j] * (w[o * k + j] - q.dequantized[o * k + j]);
      direct += e * e;
    }
  direct /= rows * n;
  EXPECT_NEAR(outputMSEFromHessian(w.data(), q.dequantized, n, k, h), direct,
              1e-9 * direct);
}

// With H = I nothing propagates: GPTQ is RTN, byte for byte, with either
// scale choice (and least-squares scales differ from the spec's somewhere).
TEST(GPTQ, IdentityHessianEqualsRTN) {
  const int64_t n = 12, k = 172;
  std::vector<float> w = randomMatrix(n, k, 13);
  std::vector<double> identity(k * k, 0.0);
  for (int64_t j = 0; j < k; ++j)
    identity[j * k + j] = 1.0;
  for (ScaleChoice scales : {ScaleChoice::Spec, ScaleChoice::LeastSquares})
    for (ElemFormat f : kAllElemFormats) {
      GPTQOptions options;
      options.format = f;
      options.scales = scales;
      QuantizedWeight gptq;
      std::string reason;
      ASSERT_TRUE(gptqQuantize(w.data(), n, k, identity, options, gptq, reason))
          << reason;
      QuantizedWeight rtn =
          rtnQuantize(w.data(), n, k, f, 32, RoundingMode::NearestEven, scales);
      EXPECT_EQ(gptq.tensor.data, rtn.tensor.data) << getFormatInfo(f).name;
      EXPECT_EQ(gptq.tensor.scales, rtn.tensor.scales) << getFormatInfo(f).name;
      EXPECT_EQ(gptq.dequantized, rtn.dequantized);
      if (scales == ScaleChoice::LeastSquares && f == ElemFormat::E2M1)
        EXPECT_NE(rtn.tensor.scales,
                  rtnQuantize(w.data(), n, k, f, 32).tensor.scales);
    }
}

// A non-finite weight makes its own block NaN (scale 0xFF) and nothing
// else: with H = I, GPTQ still equals RTN byte for byte, NaN block included.
TEST(GPTQ, NonFiniteWeightStaysInItsBlock) {
  const int64_t n = 3, k = 96;
  std::vector<float> w = randomMatrix(n, k, 17);
  w[0 * k + 40] = NAN;
  w[2 * k + 70] = INFINITY;
  std::vector<double> identity(k * k, 0.0);
  for (int64_t j = 0; j < k; ++j)
    identity[j * k + j] = 1.0;
  GPTQOptions options;
  options.format = ElemFormat::E2M1;
  QuantizedWeight gptq;
  std::string reason;
  ASSERT_TRUE(gptqQuantize(w.data(), n, k, identity, options, gptq, reason))
      << reason;
  QuantizedWeight rtn = rtnQuantize(w.data(), n, k, ElemFormat::E2M1, 32);
  EXPECT_EQ(gptq.tensor.scales, rtn.tensor.scales);
  EXPECT_EQ(gptq.tensor.scales[0 * 3 + 1], 0xFF);
  EXPECT_NE(gptq.tensor.scales[0 * 3 + 2], 0xFF);
  EXPECT_EQ(gptq.tensor.scales[2 * 3 + 2], 0xFF);
  EXPECT_EQ(gptq.tensor.data, rtn.tensor.data);
}

// On correlated inputs GPTQ's output error is lower than RTN's for every
// format; the result's packed storage decodes to its dequantized weight.
TEST(GPTQ, BeatsRTNOnCorrelatedInputs) {
  const int64_t rows = 512, k = 172, n = 48; // 172: a partial last block.
  std::vector<float> x = correlatedInputs(rows, k, 21);
  std::vector<float> w = randomMatrix(n, k, 22);
  std::vector<double> h;
  accumulateHessian(x.data(), rows, k, rows, h);
  for (ElemFormat f : kAllElemFormats) {
    GPTQOptions options;
    options.format = f;
    QuantizedWeight gptq;
    std::string reason;
    ASSERT_TRUE(gptqQuantize(w.data(), n, k, h, options, gptq, reason))
        << reason;
    QuantizedWeight rtn = rtnQuantize(w.data(), n, k, f, 32);
    double gptqError =
        outputMSEFromHessian(w.data(), gptq.dequantized, n, k, h);
    double rtnError = outputMSEFromHessian(w.data(), rtn.dequantized, n, k, h);
    // Not merely lower: error propagation must pay off (5-20x lower here).
    EXPECT_LT(gptqError, 0.5 * rtnError) << getFormatInfo(f).name;
    EXPECT_EQ(dequantize(gptq.tensor), gptq.dequantized);
  }
}

namespace {

/// The inverse of the m x m matrix `a` by Gauss-Jordan elimination with
/// partial pivoting (no Cholesky: independent of the code under test).
std::vector<double> inverse(std::vector<double> a, int64_t m) {
  std::vector<double> inv(m * m, 0.0);
  for (int64_t i = 0; i < m; ++i)
    inv[i * m + i] = 1;
  for (int64_t c = 0; c < m; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < m; ++r)
      if (std::fabs(a[r * m + c]) > std::fabs(a[pivot * m + c]))
        pivot = r;
    for (int64_t j = 0; j < m; ++j) {
      std::swap(a[c * m + j], a[pivot * m + j]);
      std::swap(inv[c * m + j], inv[pivot * m + j]);
    }
    double d = a[c * m + c];
    for (int64_t j = 0; j < m; ++j) {
      a[c * m + j] /= d;
      inv[c * m + j] /= d;
    }
    for (int64_t r = 0; r < m; ++r) {
      if (r == c)
        continue;
      double f = a[r * m + c];
      for (int64_t j = 0; j < m; ++j) {
        a[r * m + j] -= f * a[c * m + j];
        inv[r * m + j] -= f * inv[c * m + j];
      }
    }
  }
  return inv;
}

/// GPTQ over MX blocks written from the optimal-brain-quantization form,
/// without Cholesky factors or lazy batches: the block B's rows are
/// quantized as RTN does, W_rest -= (W_B - Q_B) Hinv_BB^-1 Hinv_B,rest, and
/// Hinv becomes the Schur complement on the remaining columns.
std::vector<double> blockOBQ(const std::vector<float> &w, int64_t n, int64_t k,
                             std::vector<double> h, ElemFormat f,
                             double percdamp) {
  std::vector<double> weight(w.begin(), w.end());
  double diagonalSum = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (h[j * k + j] == 0) {
      h[j * k + j] = 1;
      for (int64_t r = 0; r < n; ++r)
        weight[r * k + j] = 0;
    }
    diagonalSum += h[j * k + j];
  }
  for (int64_t j = 0; j < k; ++j)
    h[j * k + j] += percdamp * diagonalSum / k;
  std::vector<double> hinv = inverse(h, k); // over columns [c1, k)
  std::vector<double> result(n * k);
  for (int64_t c1 = 0; c1 < k; c1 += 32) {
    const int64_t width = std::min<int64_t>(32, k - c1), m = k - c1,
                  rest = m - width;
    // hinv is m x m over columns c1..k-1.
    std::vector<float> block(n * width);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < width; ++c)
        block[r * width + c] = static_cast<float>(weight[r * k + c1 + c]);
    QuantizedWeight q = rtnQuantize(block.data(), n, width, f, 32);
    std::vector<double> bb(width * width);
    for (int64_t i = 0; i < width; ++i)
      for (int64_t j = 0; j < width; ++j)
        bb[i * width + j] = hinv[i * m + j];
    std::vector<double> bbInv = inverse(bb, width);
    // G = Hinv_BB^-1 Hinv_B,rest: width x rest.
    std::vector<double> g(width * rest, 0.0);
    for (int64_t i = 0; i < width; ++i)
      for (int64_t p = 0; p < width; ++p)
        for (int64_t j = 0; j < rest; ++j)
          g[i * rest + j] += bbInv[i * width + p] * hinv[p * m + width + j];
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < width; ++c) {
        result[r * k + c1 + c] = q.dequantized[r * width + c];
        double e = weight[r * k + c1 + c] - q.dequantized[r * width + c];
        for (int64_t j = 0; j < rest; ++j)
          weight[r * k + c1 + width + j] -= e * g[c * rest + j];
      }
    }
    // Schur complement: Hinv_rest - Hinv_rest,B G.
    std::vector<double> next(rest * rest);
    for (int64_t i = 0; i < rest; ++i)
      for (int64_t j = 0; j < rest; ++j) {
        double v = hinv[(width + i) * m + width + j];
        for (int64_t p = 0; p < width; ++p)
          v -= hinv[(width + i) * m + p] * g[p * rest + j];
        next[i * rest + j] = v;
      }
    hinv = std::move(next);
  }
  return result;
}

} // namespace

// The BLAS/LAPACK GPTQ (Cholesky factor of H^-1, lazy GEMM updates) equals
// the block-OBQ form computed without either, up to float rounding: the same
// codes except where rounding decides a tie, and the same output error.
TEST(GPTQ, EqualsBlockOBQReference) {
  const int64_t rows = 300, k = 172, n = 24;
  std::vector<float> x = correlatedInputs(rows, k, 31);
  for (int64_t i = 0; i < rows; ++i)
    x[i * k + 50] = 0; // a dead input
  std::vector<float> w = randomMatrix(n, k, 32);
  std::vector<double> h;
  accumulateHessian(x.data(), rows, k, rows, h);
  for (ElemFormat f : {ElemFormat::E2M1, ElemFormat::E4M3, ElemFormat::Int8}) {
    GPTQOptions options;
    options.format = f;
    QuantizedWeight gptq;
    std::string reason;
    ASSERT_TRUE(gptqQuantize(w.data(), n, k, h, options, gptq, reason))
        << reason;
    std::vector<double> reference = blockOBQ(w, n, k, h, f, options.percdamp);
    int64_t differ = 0;
    for (int64_t i = 0; i < n * k; ++i)
      differ += gptq.dequantized[i] != reference[i];
    EXPECT_LE(differ, n * k / 500) << getFormatInfo(f).name;
    double mse = outputMSEFromHessian(w.data(), gptq.dequantized, n, k, h);
    double refMse = outputMSEFromHessian(w.data(), reference, n, k, h);
    EXPECT_NEAR(mse, refMse, 1e-3 * refMse) << getFormatInfo(f).name;
  }
}

// accumulateHessian over several calls equals 2/N X^T X summed directly.
TEST(GPTQ, HessianEqualsDirectSum) {
  const int64_t rows = 70, k = 45;
  std::vector<float> x = correlatedInputs(rows, k, 41);
  std::vector<double> h;
  accumulateHessian(x.data(), 30, k, rows, h);
  accumulateHessian(x.data() + 30 * k, rows - 30, k, rows, h);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double direct = 0;
      for (int64_t r = 0; r < rows; ++r)
        direct += static_cast<double>(x[r * k + i]) * x[r * k + j];
      direct *= 2.0 / rows;
      EXPECT_NEAR(h[i * k + j], direct, 1e-12 * (std::fabs(direct) + 1));
    }
}

// OpenBLAS picks its kernels by CPU model and falls back to SSE3 ones
// ("Prescott") on models newer than its table, as Debian 12's 0.3.21 does on
// an Emerald Rapids Xeon. Where the host has AVX2 and FMA, the kernels run
// must use them; the Hessian stays exact after the switch.
TEST(GPTQ, BlasRunsKernelsForTheHostsVectorUnits) {
  const std::string name = useHostBlasKernels();
  EXPECT_EQ(name, useHostBlasKernels()); // Once per process.
#if defined(__x86_64__)
  if (!std::getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    const std::vector<std::string> withAVX2 = {"Haswell",        "Zen",
                                               "SkylakeX",       "Cooperlake",
                                               "SapphireRapids", "Excavator"};
    EXPECT_NE(std::find(withAVX2.begin(), withAVX2.end(), name), withAVX2.end())
        << "OpenBLAS runs its " << name << " kernels on a host with AVX2";
  }
#endif
  const int64_t rows = 40, k = 96;
  std::vector<float> x = correlatedInputs(rows, k, 7);
  std::vector<double> h;
  accumulateHessian(x.data(), rows, k, rows, h);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j) {
      double direct = 0;
      for (int64_t r = 0; r < rows; ++r)
        direct += static_cast<double>(x[r * k + i]) * x[r * k + j];
      direct *= 2.0 / rows;
      EXPECT_NEAR(h[i * k + j], direct, 1e-12 * (std::fabs(direct) + 1));
    }
}

// The packed upper triangle accumulated over several calls, unpacked, is
// the float of accumulateHessian's Hessian, bit for bit.
TEST(GPTQ, PackedHessianEqualsFullHessian) {
  const int64_t rows = 70, k = 45;
  std::vector<float> x = correlatedInputs(rows, k, 43);
  std::vector<double> full, packed;
  for (auto [r0, r1] :
       {std::pair<int64_t, int64_t>{0, 30}, {30, 55}, {55, rows}}) {
    accumulateHessian(x.data() + r0 * k, r1 - r0, k, 2, full);
    accumulateHessianPacked(x.data() + r0 * k, r1 - r0, k, 2, packed);
  }
  EXPECT_EQ(packed.size(), static_cast<size_t>(k * (k + 1) / 2));
  std::vector<float> unpacked = unpackHessian(packed, k, rows);
  ASSERT_EQ(unpacked.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i)
    EXPECT_EQ(unpacked[i], static_cast<float>(2.0 * full[i] / rows)) << i;
}

TEST(GPTQ, DeadColumnsAndErrors) {
  const int64_t n = 4, k = 64;
  std::vector<float> w = randomMatrix(n, k, 31);
  std::vector<float> x = correlatedInputs(100, k, 32);
  for (int64_t i = 0; i < 100; ++i)
    x[i * k + 5] = 0; // Channel 5 never fires.
  std::vector<double> h;
  accumulateHessian(x.data(), 100, k, 100, h);
  GPTQOptions options;
  QuantizedWeight q;
  std::string reason;
  ASSERT_TRUE(gptqQuantize(w.data(), n, k, h, options, q, reason)) << reason;
  for (int64_t r = 0; r < n; ++r)
    EXPECT_EQ(q.dequantized[r * k + 5], 0.0);

  options.lazyBatch = 100; // Not a multiple of the block.
  EXPECT_FALSE(gptqQuantize(w.data(), n, k, h, options, q, reason));
  EXPECT_FALSE(reason.empty());
  std::vector<double> negative(k * k, 0.0);
  for (int64_t j = 0; j < k; ++j)
    negative[j * k + j] = -1.0;
  options.lazyBatch = 128;
  options.percdamp = 0.01;
  EXPECT_FALSE(gptqQuantize(w.data(), n, k, negative, options, q, reason));
}

TEST(Metrics, SQNR) {
  std::vector<float> w = {3, 4};
  EXPECT_NEAR(weightSQNR(w.data(), {3, 3}, 1, 2), 10 * std::log10(25.0), 1e-12);
  EXPECT_TRUE(std::isinf(weightSQNR(w.data(), {3, 4}, 1, 2)));
}

} // namespace
