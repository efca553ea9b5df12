//===- MXTest.cpp - MX block conversion, packing and layout ---------------===//

#include "mxc/Numerics/MX.h"

#include "Oracle.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mxc::numerics;

namespace {

std::vector<double> quantizeDequantize(ElemFormat f, std::vector<float> x,
                                       RoundingMode mode, int64_t block) {
  MXTensor t =
      quantize(f, block, 1, static_cast<int64_t>(x.size()), x.data(), mode);
  return dequantize(t);
}

// microxcaling mx/tests/test_fp8_e4m3_fix.py (block 8, scale 2^0): 485 is
// clipped to 448, and 400 rounds to 416 with ties away (its "nearest") but to
// 384 with ties to even.
TEST(MXGolden, E4M3Block8) {
  std::vector<float> x = {485, 475, 400, -485, -475, -450, 0x1p-6f, -0x1p-6f};
  std::vector<double> away = {448, 448, 416, -448, -448, -448, 0x1p-6, -0x1p-6};
  std::vector<double> even = {448, 448, 384, -448, -448, -448, 0x1p-6, -0x1p-6};
  EXPECT_EQ(
      quantizeDequantize(ElemFormat::E4M3, x, RoundingMode::NearestAway, 8),
      away);
  EXPECT_EQ(
      quantizeDequantize(ElemFormat::E4M3, x, RoundingMode::NearestEven, 8),
      even);
}

// The floor rule clips a block maximum of 7 in MXFP4 to 6 (papers.md 6.2).
TEST(MXGolden, E2M1ClipsBlockMax) {
  std::vector<float> x = {7, 1, 0.5, -2};
  EXPECT_EQ(
      quantizeDequantize(ElemFormat::E2M1, x, RoundingMode::NearestEven, 4),
      (std::vector<double>{6, 1, 0.5, -2}));
}

// microxcaling test_corners_mx.py::test_mx_nans: a NaN or an Inf anywhere in
// a block turns the whole block into NaN, whatever else it holds.
TEST(MXGolden, NaNAndInfBlocksBecomeNaN) {
  for (ElemFormat f : kAllElemFormats) {
    for (float special : {NAN, INFINITY, -INFINITY}) {
      std::vector<float> x = {special, 0, 0x1p127f, 0};
      std::vector<uint8_t> codes(4);
      EXPECT_EQ(quantizeBlock(f, x.data(), 4, codes.data()), kE8M0NaN);
      for (double v : quantizeDequantize(f, x, RoundingMode::NearestEven, 4))
        EXPECT_TRUE(std::isnan(v)) << getFormatInfo(f).name;
    }
  }
  // Only the block with the NaN is affected.
  std::vector<float> x(64, 1.0f);
  x[40] = NAN;
  std::vector<double> y =
      quantizeDequantize(ElemFormat::E4M3, x, RoundingMode::NearestEven, 32);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(y[i], 1.0);
  for (int i = 32; i < 64; ++i)
    EXPECT_TRUE(std::isnan(y[i]));
}

// MXINT8 ties as in microxcaling test_mx_hw_test, inside a block whose
// maximum (1.9921875) gives shared exponent 0.
TEST(MXGolden, Int8TiesInBlock) {
  std::vector<float> x = {1.0234375f, 1.9921875f, 0.0078125f, 0.00390625f};
  EXPECT_EQ(
      quantizeDequantize(ElemFormat::Int8, x, RoundingMode::NearestAway, 4),
      (std::vector<double>{1.03125, 1.984375, 0.015625, 0}));
  EXPECT_EQ(
      quantizeDequantize(ElemFormat::Int8, x, RoundingMode::NearestEven, 4),
      (std::vector<double>{1.03125, 1.984375, 0, 0}));
}

TEST(SharedExponent, FloorLog2MinusEmaxClamped) {
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 485), 0);
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 448), 0);
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 511.9), 0);
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 512), 1);
  EXPECT_EQ(sharedExponent(ElemFormat::E2M1, 1.0), -2);
  EXPECT_EQ(sharedExponent(ElemFormat::Int8, 1.0), 0);
  EXPECT_EQ(sharedExponent(ElemFormat::Int8, 0.75), -1);
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 0), -127);
  EXPECT_EQ(sharedExponent(ElemFormat::E4M3, 0x1p-140), -127);
  EXPECT_EQ(sharedExponent(ElemFormat::Int8, 0x1p127), 127);
  EXPECT_EQ(sharedExponent(ElemFormat::E5M2, 0x1p127), 112);
}

/// Brute-force OCP MX conversion of one block, in float64; with `offset`,
/// at that many binades above the spec's shared exponent.
std::vector<double> referenceBlock(ElemFormat f, const float *x, size_t n,
                                   bool away, int offset = 0) {
  double amax = 0;
  for (size_t i = 0; i < n; ++i)
    amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
  int e = oracle::sharedExponent(getFormatInfo(f).emax, amax) + offset;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    double scaled = static_cast<double>(x[i]) / std::exp2(e);
    out[i] =
        oracle::value(f, oracle::nearestCode(f, scaled, away)) * std::exp2(e);
  }
  return out;
}

/// Random finite floats that exercise the corners: ties (grid midpoints
/// times a power of two), values past the block's reach (clipped maxima),
/// tiny values that become subnormal or zero, zeros of both signs.
std::vector<float> cornerValues(ElemFormat f, std::mt19937 &rng, size_t n) {
  std::vector<oracle::Grid> grid = oracle::finiteGrid(f);
  std::uniform_int_distribution<size_t> pick(0, grid.size() - 1);
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_int_distribution<int> shift(-20, 20);
  std::uniform_real_distribution<float> uniform(-1, 1);
  const float scale = std::exp2(static_cast<float>(shift(rng)));
  std::vector<float> x(n);
  for (float &v : x) {
    switch (kind(rng)) {
    case 0: { // A midpoint between two neighbours: a tie.
      double a = grid[pick(rng)].value, b = grid[pick(rng)].value;
      v = static_cast<float>((a + b) / 2 * scale);
      break;
    }
    case 1:
      v = static_cast<float>(grid[pick(rng)].value * scale);
      break;
    case 2:
      v = uniform(rng) * scale * 1e-4f;
      break;
    case 3:
      v = (rng() & 1) ? 0.0f : -0.0f;
      break;
    default:
      v = uniform(rng) * scale * 8;
    }
  }
  return x;
}

class BlockTest
    : public ::testing::TestWithParam<std::tuple<ElemFormat, RoundingMode>> {};

// Quantize -> dequantize of random corner-case tensors (several rows, a
// partial last block) equals the brute-force float64 reference, bit for bit.
TEST_P(BlockTest, MatchesBruteForceReference) {
  auto [f, mode] = GetParam();
  bool away = mode == RoundingMode::NearestAway;
  std::mt19937 rng(7 + static_cast<int>(f));
  const int64_t rows = 5, cols = 172, block = 32; // 172 = 5 * 32 + 12.
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> x = cornerValues(f, rng, rows * cols);
    MXTensor t = quantize(f, block, rows, cols, x.data(), mode);
    std::vector<double> y = dequantize(t);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c0 = 0; c0 < cols; c0 += block) {
        size_t n = std::min<int64_t>(block, cols - c0);
        std::vector<double> expected =
            referenceBlock(f, x.data() + r * cols + c0, n, away);
        for (size_t i = 0; i < n; ++i) {
          double got = y[r * cols + c0 + i];
          ASSERT_TRUE(got == expected[i] &&
                      std::signbit(got) == std::signbit(expected[i]))
              << "row " << r << " col " << c0 + i
              << ": x = " << x[r * cols + c0 + i] << ", expected "
              << expected[i] << ", got " << got;
        }
      }
    }
  }
}

// ScaleChoice::LeastSquares: of the spec's exponent and the one above, the
// one whose block decodes closer (sum of squared errors, float64 brute force
// here); ties keep the spec's. Random corner-case blocks, every format.
TEST_P(BlockTest, LeastSquaresScaleIsTheBetterOfTwo) {
  auto [f, mode] = GetParam();
  bool away = mode == RoundingMode::NearestAway;
  std::mt19937 rng(11 + static_cast<int>(f));
  const size_t n = 32;
  int above = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<float> x = cornerValues(f, rng, n);
    std::vector<uint8_t> codes(n);
    const uint8_t scale = quantizeBlock(f, x.data(), n, codes.data(), mode,
                                        ScaleChoice::LeastSquares);
    std::vector<double> got(n);
    dequantizeBlock(f, scale, codes.data(), n, got.data());
    auto squaredError = [&](const std::vector<double> &y) {
      double sum = 0;
      for (size_t i = 0; i < n; ++i)
        sum += (x[i] - y[i]) * (x[i] - y[i]);
      return sum;
    };
    const std::vector<double> spec = referenceBlock(f, x.data(), n, away),
                              up = referenceBlock(f, x.data(), n, away, 1);
    const bool upWins = squaredError(up) < squaredError(spec);
    above += upWins;
    const std::vector<double> &expected = upWins ? up : spec;
    for (size_t i = 0; i < n; ++i)
      ASSERT_TRUE(got[i] == expected[i] &&
                  std::signbit(got[i]) == std::signbit(expected[i]))
          << "trial " << trial << " element " << i << ": x = " << x[i]
          << ", expected " << expected[i] << ", got " << got[i];
  }
  // The corner values include blocks of each kind (MXINT8 clips at most
  // 2^-6 of a binade: one up never wins there).
  if (f != ElemFormat::Int8)
    EXPECT_GT(above, 0);
  EXPECT_LT(above, 400);
}

// ScaleChoice::Ceil: the smallest exponent e (from -127) at which the
// format's largest value times 2^e reaches amax, found by counting up in
// float64; the block then decodes as the oracle's at that exponent.
TEST_P(BlockTest, CeilScaleIsTheSmallestThatHoldsAmax) {
  auto [f, mode] = GetParam();
  bool away = mode == RoundingMode::NearestAway;
  double largest = 0;
  for (const oracle::Grid &g : oracle::finiteGrid(f))
    largest = std::max(largest, g.value);
  std::mt19937 rng(23 + static_cast<int>(f));
  const size_t n = 32;
  int above = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<float> x = cornerValues(f, rng, n);
    double amax = 0;
    for (float v : x)
      amax = std::max(amax, std::fabs(static_cast<double>(v)));
    int e = -127;
    while (e < 127 && largest * std::exp2(e) < amax)
      ++e;
    const int spec = oracle::sharedExponent(getFormatInfo(f).emax, amax);
    ASSERT_TRUE(e == spec || e == spec + 1) << "trial " << trial;
    above += e == spec + 1;
    EXPECT_EQ(sharedExponent(f, amax, ScaleChoice::Ceil), e);
    std::vector<uint8_t> codes(n);
    const uint8_t scale =
        quantizeBlock(f, x.data(), n, codes.data(), mode, ScaleChoice::Ceil);
    ASSERT_EQ(scale, kE8M0Bias + e) << "trial " << trial;
    std::vector<double> got(n);
    dequantizeBlock(f, scale, codes.data(), n, got.data());
    const std::vector<double> expected =
        referenceBlock(f, x.data(), n, away, e - spec);
    for (size_t i = 0; i < n; ++i)
      ASSERT_TRUE(got[i] == expected[i] &&
                  std::signbit(got[i]) == std::signbit(expected[i]))
          << "trial " << trial << " element " << i << ": x = " << x[i]
          << ", expected " << expected[i] << ", got " << got[i];
  }
  // The corner values clip some blocks' maxima and not others.
  EXPECT_GT(above, 0);
  EXPECT_LT(above, 400);
}

// An E2M1 block whose maximum the spec's exponent clips (7.5 to 6: squared
// error 2.25) is closer one binade up: 7.5 / 2 rounds to 4, i.e. 8 (0.25),
// and 2, 4, -3 stay exact. The block of E2M1ClipsBlockMax keeps the spec's
// exponent (7 to 6 costs 1; one up, 0.5 / 2 ties to 0: 1.25).
TEST(MXGolden, LeastSquaresScaleGoesUpWhenCloser) {
  std::vector<float> x = {7.5f, 2, 4, -3};
  std::vector<uint8_t> codes(4);
  EXPECT_EQ(quantizeBlock(ElemFormat::E2M1, x.data(), 4, codes.data(),
                          RoundingMode::NearestEven, ScaleChoice::LeastSquares),
            kE8M0Bias + 1);
  MXTensor t = quantize(ElemFormat::E2M1, 4, 1, 4, x.data(),
                        RoundingMode::NearestEven, ScaleChoice::LeastSquares);
  EXPECT_EQ(dequantize(t), (std::vector<double>{8, 2, 4, -3}));
  std::vector<float> y = {7, 1, 0.5, -2};
  t = quantize(ElemFormat::E2M1, 4, 1, 4, y.data(), RoundingMode::NearestEven,
               ScaleChoice::LeastSquares);
  EXPECT_EQ(dequantize(t), (std::vector<double>{6, 1, 0.5, -2}));
}

INSTANTIATE_TEST_SUITE_P(
    AllFormatsAndModes, BlockTest,
    ::testing::Combine(::testing::ValuesIn(kAllElemFormats),
                       ::testing::Values(RoundingMode::NearestEven,
                                         RoundingMode::NearestAway)),
    [](const auto &info) {
      return std::string(getFormatInfo(std::get<0>(info.param)).name) +
             (std::get<1>(info.param) == RoundingMode::NearestAway ? "_away"
                                                                   : "_even");
    });

// Packing follows the design's rule; the expected bytes are worked out by
// hand from it: element i at bits [w*i, w*i + w), LSB first.
TEST(Packing, GoldenBytes) {
  uint8_t out[4];
  const uint8_t fp4[] = {1, 2, 3, 4};
  packCodes(ElemFormat::E2M1, fp4, 4, out);
  EXPECT_EQ(out[0], 0x21);
  EXPECT_EQ(out[1], 0x43);
  const uint8_t fp6[] = {0x3F, 0x01, 0x02, 0x03};
  packCodes(ElemFormat::E2M3, fp6, 4, out);
  EXPECT_EQ(out[0], 0x7F); // 0x3F | 0x01 << 6
  EXPECT_EQ(out[1], 0x20); // 0x01 >> 2 | 0x02 << 4
  EXPECT_EQ(out[2], 0x0C); // 0x02 >> 4 | 0x03 << 2
  const uint8_t fp8[] = {0xAB, 0xCD};
  packCodes(ElemFormat::E4M3, fp8, 2, out);
  EXPECT_EQ(out[0], 0xAB);
  EXPECT_EQ(out[1], 0xCD);
}

TEST(Packing, RoundTripRandomCodes) {
  std::mt19937 rng(3);
  for (ElemFormat f : kAllElemFormats) {
    unsigned bits = getFormatInfo(f).bits;
    std::vector<uint8_t> codes(96), back(96), packed(96);
    for (uint8_t &c : codes)
      c = rng() & ((1u << bits) - 1);
    packCodes(f, codes.data(), codes.size(), packed.data());
    unpackCodes(f, packed.data(), codes.size(), back.data());
    EXPECT_EQ(codes, back) << getFormatInfo(f).name;
  }
}

TEST(Layout, PartialLastBlock) {
  MXLayout fp4{ElemFormat::E2M1, 32, 3, 172};
  EXPECT_EQ(fp4.blocksPerRow(), 6);
  EXPECT_EQ(fp4.blockBytes(), 16);
  EXPECT_EQ(fp4.rowBytes(), 96);
  EXPECT_EQ(fp4.dataBytes(), 288);
  EXPECT_EQ(fp4.numScales(), 18);
  EXPECT_EQ(fp4.elementsInBlock(0), 32);
  EXPECT_EQ(fp4.elementsInBlock(5), 12);
  MXLayout fp6{ElemFormat::E3M2, 32, 1, 64};
  EXPECT_EQ(fp6.blockBytes(), 24);
  EXPECT_EQ(fp6.rowBytes(), 48);
  MXLayout small{ElemFormat::E4M3, 32, 2, 5}; // One partial block per row.
  EXPECT_EQ(small.blocksPerRow(), 1);
  EXPECT_EQ(small.rowBytes(), 32);
}

// The last block's scale covers its real elements only: the next row's
// large values must not leak into it, and its padding codes are 0.
TEST(Layout, PartialBlockScaleCoversOnlyItsElements) {
  const int64_t rows = 2, cols = 40;
  std::vector<float> x(rows * cols, 0.5f);
  for (int64_t c = 0; c < cols; ++c)
    x[cols + c] = 1000.0f; // Row 1 is large.
  MXTensor t = quantize(ElemFormat::E4M3, 32, rows, cols, x.data());
  // Row 0, block 1 holds 8 elements of 0.5: exponent floor(log2 .5) - 8 = -9.
  EXPECT_EQ(t.scales[1], encodeE8M0(-9));
  EXPECT_EQ(t.scales[3], encodeE8M0(9 - 8)); // floor(log2 1000) = 9.
  // E4M3 codes are bytes: row 0's padding codes are bytes 40..63.
  for (int64_t c = cols; c < 64; ++c)
    EXPECT_EQ(t.data[c], 0) << "padding byte " << c;
  std::vector<double> y = dequantize(t);
  for (int64_t c = 0; c < cols; ++c) {
    EXPECT_EQ(y[c], 0.5);
    // 1000 / 2^1 = 500 saturates to 448 (the floor rule clips), times 2.
    EXPECT_EQ(y[cols + c], 896.0);
  }
  EXPECT_EQ(t.code(0, 39), encodeElement(ElemFormat::E4M3, 0.5 * 512));
  EXPECT_EQ(t.scale(1, 35), t.scales[3]);
}

// MX rounding without packing gives dequantize(quantize(...)) rounded to
// float, bit for bit: every format, both roundings and scale choices, a
// partial last block, blocks with NaN, infinity and only zeros, and in place.
TEST(QuantizeDequantize, EqualsDequantizeOfQuantize) {
  const int64_t rows = 5, cols = 70, block = 32;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(rows * cols);
  for (float &v : x)
    v = normal(rng) * std::exp2(static_cast<float>(rng() % 24) - 12.f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[cols + 40] = std::numeric_limits<float>::infinity();
  std::fill(x.begin() + 2 * cols, x.begin() + 2 * cols + 32, 0.f);
  x[3 * cols + 1] = -0.f;
  for (ElemFormat f : kAllElemFormats)
    for (RoundingMode mode :
         {RoundingMode::NearestEven, RoundingMode::NearestAway})
      for (ScaleChoice choice :
           {ScaleChoice::Spec, ScaleChoice::LeastSquares, ScaleChoice::Ceil}) {
        std::vector<double> expected =
            dequantize(quantize(f, block, rows, cols, x.data(), mode, choice));
        std::vector<float> y(rows * cols), inPlace = x;
        mxc::numerics::quantizeDequantize(f, block, rows, cols, x.data(),
                                          y.data(), mode, choice);
        mxc::numerics::quantizeDequantize(f, block, rows, cols, inPlace.data(),
                                          inPlace.data(), mode, choice);
        for (int64_t i = 0; i < rows * cols; ++i) {
          const float e = static_cast<float>(expected[i]);
          if (std::isnan(e)) {
            EXPECT_TRUE(std::isnan(y[i]) && std::isnan(inPlace[i])) << i;
            continue;
          }
          EXPECT_EQ(std::memcmp(&y[i], &e, sizeof(float)), 0)
              << getFormatInfo(f).name << " " << i << ": " << y[i]
              << " != " << e;
          EXPECT_EQ(std::memcmp(&inPlace[i], &e, sizeof(float)), 0) << i;
        }
      }
}

} // namespace
