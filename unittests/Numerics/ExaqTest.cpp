//===- ExaqTest.cpp - EXAQ softmax and the optimal clipping value ---------===//

#include "mxc/Numerics/Exaq.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

using namespace mxc::numerics;

namespace {

const float kInf = std::numeric_limits<float>::infinity();

TEST(ExaqQuantizer, Grid) {
  ExaqQuantizer q{2, -3.0};
  EXPECT_EQ(q.levels(), 4);
  EXPECT_DOUBLE_EQ(q.step(), 1.0);
  EXPECT_EQ(q.code(0.0f), 3);   // The top level is exactly 0.
  EXPECT_EQ(q.code(-3.0f), 0);  // The clip is the bottom level.
  EXPECT_EQ(q.code(-1e30f), 0); // Below the clip: clamped, not flushed.
  EXPECT_EQ(q.code(-kInf), 0);
  EXPECT_EQ(q.code(NAN), 0);
  EXPECT_EQ(q.code(-0.9f), 2);
  EXPECT_EQ(q.code(-1.5f), 2); // A tie rounds away from zero: 1.5 -> 2.
  EXPECT_EQ(q.code(-2.2f), 1);
  std::vector<float> lut = q.exponentTable();
  ASSERT_EQ(lut.size(), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(lut[i], static_cast<float>(std::exp(-3.0 + i)));
  EXPECT_EQ(lut[3], 1.0f);
  for (int bits = 1; bits <= 8; ++bits) {
    ExaqQuantizer qb{bits, -7.3};
    EXPECT_EQ(qb.exponentTable().back(), 1.0f);
    EXPECT_EQ(qb.code(0.0f), qb.levels() - 1);
  }
}

// A zero floor changes the table's first entry and nothing else: the same
// codes, and code 0 (the values below the clip included) stands for 0.
// code() against its definition written out here: the clamped position on
// the grid, rounded half away from zero (std::round), for random scores, the
// grid's points and midpoints and their float neighbours, every bit width.
TEST(ExaqQuantizer, CodeIsTheRoundedGridPosition) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> score(-20.f, 1.f);
  for (int bits = 1; bits <= 8; ++bits)
    for (double clip : {-3.0, -4.5, -8.0, -11.3}) {
      ExaqQuantizer q{bits, clip};
      const float c = static_cast<float>(clip);
      const float inverse = static_cast<float>(1.0 / q.step());
      std::vector<float> ds = {0.f, -0.f, c, 2 * c, 1.f, -kInf};
      for (int k = 0; k < 2 * q.levels(); ++k) {
        const float d = static_cast<float>(clip + 0.5 * k * q.step());
        for (float e : {d, std::nextafter(d, -kInf), std::nextafter(d, kInf)})
          ds.push_back(e);
      }
      for (int i = 0; i < 2000; ++i)
        ds.push_back(score(rng));
      for (float d : ds) {
        float t = std::fmin(std::fmax((d - c) * inverse, 0.f),
                            static_cast<float>(q.levels() - 1));
        EXPECT_EQ(q.code(d), static_cast<int>(std::round(t)))
            << bits << " " << clip << " " << d;
      }
    }
}

TEST(ExaqQuantizer, ZeroFloorTable) {
  for (int bits = 1; bits <= 8; ++bits) {
    ExaqQuantizer clamp{bits, -5.0}, zero{bits, -5.0, /*zeroFloor=*/true};
    std::vector<float> lutClamp = clamp.exponentTable(),
                       lutZero = zero.exponentTable();
    ASSERT_EQ(lutZero.size(), lutClamp.size());
    EXPECT_EQ(lutZero[0], 0.0f) << bits;
    EXPECT_FLOAT_EQ(lutClamp[0], static_cast<float>(std::exp(-5.0))) << bits;
    for (int q = 1; q < zero.levels(); ++q)
      EXPECT_FLOAT_EQ(lutZero[q],
                      static_cast<float>(std::exp(-5.0 + q * zero.step())))
          << bits << " " << q;
    for (float d : {0.0f, -0.3f, -2.6f, -4.9f, -5.0f, -40.0f})
      EXPECT_EQ(zero.code(d), clamp.code(d)) << bits << " " << d;
  }
}

// The worked example of mxc.softmax's documentation, and the same row with a
// zero floor: -7 rounds to code 0 and drops out.
TEST(ExaqSoftmax, WorkedExampleZeroFloor) {
  ExaqQuantizer q{2, -3.0, /*zeroFloor=*/true};
  const float x[] = {0.0f, -0.9f, -2.2f, -7.0f, -2.6f};
  float y[5];
  std::vector<uint32_t> counts;
  exaqSoftmaxRow(q, x, 5, y, &counts);
  EXPECT_EQ(counts, (std::vector<uint32_t>{2, 1, 1, 1}));
  double sum = 1 + std::exp(-1.0) + std::exp(-2.0);
  EXPECT_NEAR(y[0], 1 / sum, 1e-6);
  EXPECT_NEAR(y[1], std::exp(-1.0) / sum, 1e-6);
  EXPECT_NEAR(y[2], std::exp(-2.0) / sum, 1e-6);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_EQ(y[4], 0.0f); // -2.6 rounds to the clip, -3: code 0.
}

// A fitted table is each code's mean of e^d over the samples, divided by
// the top code's mean; the expected values are those means written out by
// hand (bits 2, clip -3, step 1: cells ..-2.5, -2.5..-1.5, -1.5..-0.5,
// -0.5..0).
TEST(ExaqQuantizer, FitTable) {
  const float d[] = {0.0f, -0.2f, -1.1f, -0.9f, -2.2f, -3.5f, NAN};
  const double top = (1 + std::exp(-0.2)) / 2;
  for (bool zeroFloor : {false, true}) {
    ExaqQuantizer q{2, -3.0, zeroFloor};
    std::vector<float> table = fitExaqTable(q, d, 7);
    ASSERT_EQ(table.size(), 4u);
    if (zeroFloor)
      EXPECT_EQ(table[0], 0.0f);
    else
      EXPECT_FLOAT_EQ(table[0], static_cast<float>(std::exp(-3.5) / top));
    EXPECT_FLOAT_EQ(table[1], static_cast<float>(std::exp(-2.2) / top));
    EXPECT_FLOAT_EQ(table[2], static_cast<float>(
                                  (std::exp(-1.1) + std::exp(-0.9)) / 2 / top));
    EXPECT_EQ(table[3], 1.0f);
  }
  // A code no sample has keeps e^level on the same scale (bits 3, clip -7:
  // levels -7, -6, ..., 0; only the top cell has samples).
  ExaqQuantizer q3{3, -7.0};
  const float near[] = {0.0f, -0.4f};
  std::vector<float> table = fitExaqTable(q3, near, 2);
  const double top3 = (1 + std::exp(-0.4)) / 2;
  for (int c = 0; c < 7; ++c)
    EXPECT_FLOAT_EQ(table[c], static_cast<float>(std::exp(c - 7.0) / top3))
        << c;
  EXPECT_EQ(table[7], 1.0f);
}

// The softmax takes a quantizer's table where it has one: the row
// {0, -1, -2.2, -7} with the table {0, 0.1, 0.4, 1} (codes 3, 2, 1, 0).
TEST(ExaqSoftmax, GivenTable) {
  ExaqQuantizer q{2, -3.0, /*zeroFloor=*/true, {0.0f, 0.1f, 0.4f, 1.0f}};
  EXPECT_EQ(q.exponentTable(), q.table);
  const float x[] = {0.0f, -1.0f, -2.2f, -7.0f};
  float y[4];
  exaqSoftmaxRow(q, x, 4, y);
  const double sum = 1.0 + 0.4 + 0.1;
  EXPECT_NEAR(y[0], 1 / sum, 1e-7);
  EXPECT_NEAR(y[1], 0.4 / sum, 1e-7);
  EXPECT_NEAR(y[2], 0.1 / sum, 1e-7);
  EXPECT_EQ(y[3], 0.0f);
}

// The worked example of mxc.softmax's documentation.
TEST(ExaqSoftmax, WorkedExample) {
  ExaqQuantizer q{2, -3.0};
  const float x[] = {0.0f, -0.9f, -2.2f, -7.0f};
  float y[4];
  std::vector<uint32_t> counts;
  exaqSoftmaxRow(q, x, 4, y, &counts);
  EXPECT_EQ(counts, (std::vector<uint32_t>{1, 1, 1, 1}));
  double sum = 1 + std::exp(-1.0) + std::exp(-2.0) + std::exp(-3.0);
  EXPECT_NEAR(y[0], 1 / sum, 1e-6);
  EXPECT_NEAR(y[1], std::exp(-1.0) / sum, 1e-6);
  EXPECT_NEAR(y[2], std::exp(-2.0) / sum, 1e-6);
  EXPECT_NEAR(y[3], std::exp(-3.0) / sum, 1e-6);
}

// Against the definition written out in float64: identical codes (inputs
// kept away from ties), outputs within f32 rounding, and a sum of 1.
TEST(ExaqSoftmax, MatchesFloat64Definition) {
  std::mt19937 rng(11);
  std::normal_distribution<float> logits(0, 3);
  for (bool zeroFloor : {false, true})
    for (int bits : {1, 2, 3, 4, 8}) {
      ExaqQuantizer q{bits, -6.5, zeroFloor};
      std::vector<float> x(300), y(300);
      for (float &v : x)
        v = logits(rng);
      exaqSoftmaxRow(q, x.data(), x.size(), y.data());
      double m = *std::max_element(x.begin(), x.end());
      std::vector<double> e(x.size());
      double sum = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        double d = x[i] - m;
        double level =
            std::clamp(std::round((d + 6.5) / q.step()), 0.0, q.levels() - 1.0);
        e[i] =
            zeroFloor && level == 0 ? 0.0 : std::exp(-6.5 + level * q.step());
        sum += e[i];
      }
      double total = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(y[i], e[i] / sum, 1e-5 * e[i] / sum + 1e-9)
            << "bits " << bits << " i " << i << " zero floor " << zeroFloor;
        total += y[i];
      }
      EXPECT_NEAR(total, 1.0, 1e-4);
    }
}

TEST(ExaqSoftmax, MaskedRowsAndNaN) {
  ExaqQuantizer q{3, -5.0};
  const float x[] = {-kInf, 1.0f, -kInf, 1.0f};
  float y[4];
  std::vector<uint32_t> counts;
  exaqSoftmaxRow(q, x, 4, y, &counts);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_FLOAT_EQ(y[3], 0.5f);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0u), 2u);

  const float all[] = {-kInf, -kInf, -kInf};
  exaqSoftmaxRow(q, all, 3, y);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(y[i], 0.0f); // Never NaN.

  const float nan[] = {1.0f, NAN, 2.0f};
  exaqSoftmaxRow(q, nan, 3, y);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(std::isnan(y[i]));
}

TEST(ExactSoftmax, Float64) {
  const float x[] = {1.0f, 2.0f, -kInf, 3.0f};
  double y[4];
  softmaxRowF64(x, 4, y);
  double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(y[0], std::exp(1.0) / sum, 1e-15);
  EXPECT_EQ(y[2], 0.0);
  EXPECT_NEAR(y[3], std::exp(3.0) / sum, 1e-15);
  const float all[] = {-kInf, -kInf};
  softmaxRowF64(all, 2, y);
  EXPECT_EQ(y[0], 0.0);
  EXPECT_EQ(y[1], 0.0);
}

/// min(N(mean, std), 0) samples: the Gaussian model of d, clipped at 0.
std::vector<float> clippedGaussian(double mean, double std, size_t n,
                                   unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(mean, std);
  std::vector<float> d(n);
  for (float &v : d)
    v = static_cast<float>(std::min(normal(rng), 0.0));
  return d;
}

// The quadrature agrees with a Monte Carlo estimate of the same expectation.
TEST(ExaqClip, QuadratureMatchesMonteCarlo) {
  std::vector<float> d = clippedGaussian(-4.0, 3.0, 1000000, 5);
  for (bool zeroFloor : {false, true})
    for (int bits : {2, 3, 4}) {
      for (double clip : {-2.0, -6.0, -11.0}) {
        double quad = exaqGaussianError(bits, clip, -4.0, 3.0, zeroFloor);
        double mc = exaqSampleError(bits, clip, d.data(), d.size(), zeroFloor);
        EXPECT_NEAR(quad, mc, 0.02 * mc)
            << "bits " << bits << " clip " << clip << " zero " << zeroFloor;
      }
    }
  // With a zero floor the lowest cell's error is e^(2d), not
  // (e^clip - e^d)^2: 1 bit, clip -2, all mass at d = -3 (code 0).
  EXPECT_NEAR(exaqGaussianError(1, -2.0, -3.0, 0.0, true), std::exp(-6.0),
              1e-15);
  EXPECT_NEAR(exaqGaussianError(1, -2.0, -3.0, 0.0, false),
              std::pow(std::exp(-2.0) - std::exp(-3.0), 2), 1e-15);
}

TEST(ExaqClip, OptimumIsAMinimum) {
  for (int bits : {1, 2, 3, 4, 6, 8}) {
    ClipChoice best = optimalClipGaussian(bits, -4.0, 3.0);
    EXPECT_LT(best.clip, 0);
    EXPECT_NEAR(best.error, exaqGaussianError(bits, best.clip, -4.0, 3.0),
                1e-15);
    for (double delta : {0.01, 0.1, 0.5, 2.0}) {
      if (best.clip - delta > -40)
        EXPECT_LE(best.error,
                  exaqGaussianError(bits, best.clip - delta, -4.0, 3.0))
            << "bits " << bits << " delta -" << delta;
      if (best.clip + delta < 0)
        EXPECT_LE(best.error,
                  exaqGaussianError(bits, best.clip + delta, -4.0, 3.0))
            << "bits " << bits << " delta +" << delta;
    }
  }
}

TEST(ExaqClip, GrowsWithBitsAndSigma) {
  double previous = 0;
  for (int bits = 1; bits <= 6; ++bits) {
    double clip = optimalClipGaussian(bits, -4.0, 3.0).clip;
    EXPECT_LT(clip, previous) << "bits " << bits;
    previous = clip;
  }
  previous = 0;
  for (double std : {0.5, 1.0, 2.0, 4.0}) {
    double clip = optimalClipGaussian(3, -1.0, std).clip;
    EXPECT_LT(clip, previous) << "std " << std;
    previous = clip;
  }
}

// The analytic (Gaussian) and the sample-based optimum agree when the
// samples are Gaussian.
TEST(ExaqClip, AnalyticAgreesWithSamples) {
  for (auto [mean, std] :
       {std::pair{-4.0, 3.0}, std::pair{-2.0, 1.5}, std::pair{-6.0, 4.0}}) {
    std::vector<float> d = clippedGaussian(mean, std, 200000, 17);
    for (int bits : {2, 3, 4}) {
      ClipChoice analytic = optimalClipGaussian(bits, mean, std);
      ClipChoice sampled = optimalClipSamples(bits, d.data(), d.size());
      EXPECT_NEAR(analytic.clip, sampled.clip, 0.06 * -analytic.clip)
          << "mean " << mean << " std " << std << " bits " << bits;
      // The analytic clip is near-optimal on the samples too.
      EXPECT_LE(exaqSampleError(bits, analytic.clip, d.data(), d.size()),
                1.02 * sampled.error);
    }
  }
}

// Both optima beat the naive clips: the observed minimum and a fixed -8.
TEST(ExaqClip, BeatsNaiveClips) {
  const double mean = -4.0, std = 3.0;
  std::vector<float> d = clippedGaussian(mean, std, 200000, 23);
  double observedMin = *std::min_element(d.begin(), d.end());
  for (int bits : {2, 3, 4}) {
    ClipChoice analytic = optimalClipGaussian(bits, mean, std);
    ClipChoice sampled = optimalClipSamples(bits, d.data(), d.size());
    for (double naive : {observedMin, -8.0}) {
      EXPECT_LT(analytic.error, exaqGaussianError(bits, naive, mean, std))
          << "bits " << bits << " naive " << naive;
      EXPECT_LT(sampled.error, exaqSampleError(bits, naive, d.data(), d.size()))
          << "bits " << bits << " naive " << naive;
    }
  }
}

// The pooled-row objective, worked by hand: samples {0, -1.5} with 1 bit
// (levels {clip, 0}). At clip -1.5 both are exact: error 0, the unique
// optimum. At clip -3, -1.5 rounds up to level 0 (t = 0.5): p^ = [1/2, 1/2]
// against p = [1, e^-1.5] / (1 + e^-1.5).
// NaN samples (from a model that computed NaN) are left out: the choice
// equals the one without them, for both sample objectives.
TEST(ExaqClip, NaNSamplesAreIgnored) {
  std::vector<float> clean = {-1.0f, -0.5f, 0.0f, -3.0f, -2.2f};
  std::vector<float> withNaN = {NAN, -1.0f, -0.5f, NAN, 0.0f, -3.0f, -2.2f};
  for (int bits : {2, 3}) {
    ClipChoice a = optimalClipSamples(bits, clean.data(), clean.size());
    ClipChoice b = optimalClipSamples(bits, withNaN.data(), withNaN.size());
    EXPECT_EQ(a.clip, b.clip);
    EXPECT_EQ(a.error, b.error);
    ClipChoice c = optimalClipPooledRow(bits, clean.data(), clean.size());
    ClipChoice d = optimalClipPooledRow(bits, withNaN.data(), withNaN.size());
    EXPECT_EQ(c.clip, d.clip);
  }
  float onlyNaN[] = {NAN, NAN};
  EXPECT_TRUE(std::isfinite(optimalClipSamples(2, onlyNaN, 2).clip));
}

TEST(ExaqClip, PooledRowWorkedExample) {
  const float d[] = {0.0f, -1.5f};
  EXPECT_NEAR(exaqPooledRowError(1, -1.5, d, 2), 0.0, 1e-15);
  const double p0 = 1 / (1 + std::exp(-1.5));
  EXPECT_NEAR(exaqPooledRowError(1, -3.0, d, 2), 2 * (p0 - 0.5), 1e-12);
  ClipChoice best = optimalClipPooledRow(1, d, 2);
  EXPECT_NEAR(best.clip, -1.5, 1e-3);
  EXPECT_LT(best.error, 1e-3);
  // A zero floor drops -10 (code 0 of 2 bits with clip -3): the row's error
  // is twice the exact probability it had.
  const float tail[] = {0.0f, -1.0f, -10.0f};
  const double z = 1 + std::exp(-1.0) + std::exp(-10.0);
  EXPECT_NEAR(exaqPooledRowError(2, -3.0, tail, 3, /*zeroFloor=*/true),
              2 * std::exp(-10.0) / z, 1e-12);
}

// Rows like attention's: one maximum and a long tail of low scores. The
// pooled-row objective tracks the L1 error of fresh rows (measured with the
// library's EXAQ and float64 softmax rows): its clip is within 5 % of the
// best clip of a grid at 2, 3 and 4 bits. At 2 bits the per-element
// objective, blind to the tail's clamped values adding up in the row sum,
// picks a clip above -6 that is more than 20 % worse.
TEST(ExaqClip, PooledRowTracksRowError) {
  std::uniform_real_distribution<float> tail(-14.0f, -3.0f);
  auto row = [&](std::mt19937 &rng, size_t n) {
    std::vector<float> x(n);
    x[0] = 0.0f;
    for (size_t i = 1; i < n; ++i)
      x[i] = tail(rng);
    return x;
  };
  std::mt19937 calibration(5);
  std::vector<float> samples;
  for (int r = 0; r < 8; ++r) {
    std::vector<float> x = row(calibration, 512);
    samples.insert(samples.end(), x.begin(), x.end());
  }
  for (int bits : {2, 3, 4}) {
    auto rowL1 = [&](double clip) {
      std::mt19937 fresh(99);
      double total = 0;
      for (int r = 0; r < 16; ++r) {
        std::vector<float> x = row(fresh, 512), y(x.size());
        std::vector<double> ref(x.size());
        exaqSoftmaxRow({bits, clip}, x.data(), x.size(), y.data());
        softmaxRowF64(x.data(), x.size(), ref.data());
        for (size_t i = 0; i < x.size(); ++i)
          total += std::fabs(y[i] - ref[i]);
      }
      return total;
    };
    double bestOnGrid = std::numeric_limits<double>::infinity();
    for (double c = -4.0; c >= -14.0; c -= 0.5)
      bestOnGrid = std::min(bestOnGrid, rowL1(c));
    ClipChoice pooled =
        optimalClipPooledRow(bits, samples.data(), samples.size());
    EXPECT_LE(rowL1(pooled.clip), 1.05 * bestOnGrid) << "bits " << bits;
    if (bits == 2) {
      ClipChoice element =
          optimalClipSamples(bits, samples.data(), samples.size());
      EXPECT_GT(element.clip, -6.0);
      EXPECT_LT(pooled.clip, -8.0);
      EXPECT_LT(rowL1(pooled.clip), 0.8 * rowL1(element.clip));
    }
  }
}

} // namespace

// The compact form: codes as the float64 definition's grid levels (inputs
// kept away from ties), -1 exactly where masked, and codes with the row's
// table give the full form's outputs bit for bit, in ordinary, fully masked
// and NaN rows.
TEST(ExaqSoftmax, CodesAndRowTableGiveTheRow) {
  std::mt19937 rng(12);
  std::normal_distribution<float> logits(0, 3);
  for (int bits : {1, 2, 4, 7}) {
    ExaqQuantizer q{bits, -6.5};
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<float> x(200);
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = kind == 1 || i % 5 == 0 ? -kInf : logits(rng);
      if (kind == 2)
        x[7] = NAN;
      std::vector<float> y(x.size()), table(q.levels());
      std::vector<int8_t> codes(x.size());
      std::vector<uint32_t> counts, countsCodes;
      std::vector<uint8_t> rowCodes(x.size(), 0xEE);
      exaqSoftmaxRow(q, x.data(), x.size(), y.data(), &counts, rowCodes.data());
      exaqSoftmaxRowCodes(q, x.data(), x.size(), codes.data(), table.data(),
                          &countsCodes);
      EXPECT_EQ(counts, countsCodes);
      // exaqSoftmaxRow's codes are the same, 0 where masked.
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_EQ(rowCodes[i], codes[i] < 0 ? 0 : codes[i]) << "i " << i;
      float m = -kInf;
      for (float v : x)
        if (!std::isnan(v))
          m = std::max(m, v);
      for (size_t i = 0; i < x.size(); ++i) {
        float got = codes[i] < 0 ? 0.0f : table[codes[i]];
        EXPECT_EQ(std::memcmp(&got, &y[i], sizeof(float)), 0)
            << "bits " << bits << " kind " << kind << " i " << i;
        if (kind == 2) {
          EXPECT_GE(codes[i], 0);
          continue;
        }
        if (x[i] == -kInf) {
          EXPECT_EQ(codes[i], -1);
          continue;
        }
        double level =
            std::clamp(std::round((double(x[i]) - m + 6.5) / q.step()), 0.0,
                       q.levels() - 1.0);
        EXPECT_EQ(codes[i], static_cast<int>(level)) << "i " << i;
      }
    }
  }
}
