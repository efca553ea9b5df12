//===- ElementTest.cpp - Element and E8M0 codes, exhaustively -------------===//

#include "mxc/Numerics/Element.h"

#include "Oracle.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mxc::numerics;

namespace {

const ElemFormat kFloatFormats[] = {ElemFormat::E4M3, ElemFormat::E5M2,
                                    ElemFormat::E2M3, ElemFormat::E3M2,
                                    ElemFormat::E2M1};

/// Equal as numbers, or both NaN (with the same sign bit).
::testing::AssertionResult sameValue(double expected, double actual) {
  if (std::isnan(expected) && std::isnan(actual) &&
      std::signbit(expected) == std::signbit(actual))
    return ::testing::AssertionSuccess();
  if (expected == actual && std::signbit(expected) == std::signbit(actual))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << expected << ", got " << actual;
}

class FormatTest : public ::testing::TestWithParam<ElemFormat> {};
class FloatFormatTest : public ::testing::TestWithParam<ElemFormat> {};

std::string formatName(const ::testing::TestParamInfo<ElemFormat> &info) {
  return std::string(getFormatInfo(info.param).name);
}

TEST(FormatTable, FloatParametersMatchAPFloat) {
  for (ElemFormat f : kFloatFormats) {
    const FormatInfo &info = getFormatInfo(f);
    const llvm::fltSemantics &sem = oracle::semantics(f);
    SCOPED_TRACE(info.name);
    EXPECT_EQ(info.bits, llvm::APFloat::semanticsSizeInBits(sem));
    EXPECT_EQ(info.mantissaBits + 1, llvm::APFloat::semanticsPrecision(sem));
    EXPECT_EQ(info.maxNormal, llvm::APFloat::getLargest(sem).convertToDouble());
    EXPECT_EQ(info.minNormal,
              llvm::APFloat::getSmallestNormalized(sem).convertToDouble());
    EXPECT_EQ(info.minSubnormal,
              llvm::APFloat::getSmallest(sem).convertToDouble());
    // emax is the exponent of the largest power of two below maxNormal.
    EXPECT_EQ(info.emax,
              static_cast<int>(std::floor(std::log2(info.maxNormal))));
    EXPECT_EQ(info.hasInf, llvm::APFloat::semanticsHasInf(sem));
    EXPECT_EQ(info.hasNaN, llvm::APFloat::semanticsHasNaN(sem));
  }
}

TEST(FormatTable, OCPValues) {
  // OCP MX v1.0 table (papers.md 6.1).
  EXPECT_EQ(getFormatInfo(ElemFormat::E4M3).maxNormal, 448.0);
  EXPECT_EQ(getFormatInfo(ElemFormat::E5M2).maxNormal, 57344.0);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M3).maxNormal, 7.5);
  EXPECT_EQ(getFormatInfo(ElemFormat::E3M2).maxNormal, 28.0);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M1).maxNormal, 6.0);
  EXPECT_EQ(getFormatInfo(ElemFormat::Int8).maxNormal, 1.984375);
  EXPECT_EQ(getFormatInfo(ElemFormat::E4M3).emax, 8);
  EXPECT_EQ(getFormatInfo(ElemFormat::E5M2).emax, 15);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M3).emax, 2);
  EXPECT_EQ(getFormatInfo(ElemFormat::E3M2).emax, 4);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M1).emax, 2);
  EXPECT_EQ(getFormatInfo(ElemFormat::Int8).emax, 0);
}

TEST(FormatTable, ParseNames) {
  for (ElemFormat f : kAllElemFormats) {
    const FormatInfo &info = getFormatInfo(f);
    EXPECT_EQ(parseElemFormat(info.name), f);
    EXPECT_EQ(parseElemFormat(info.mlirTypeName), f);
  }
  EXPECT_EQ(parseElemFormat("mxfp5"), std::nullopt);
  EXPECT_EQ(parseElemFormat(""), std::nullopt);
}

TEST(FormatTable, BlockSizes) {
  EXPECT_TRUE(isValidBlockSize(ElemFormat::E2M1, 32));
  EXPECT_TRUE(isValidBlockSize(ElemFormat::E2M1, 2));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E2M1, 1));
  EXPECT_TRUE(isValidBlockSize(ElemFormat::E2M3, 4));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E3M2, 6));
  EXPECT_TRUE(isValidBlockSize(ElemFormat::Int8, 1));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E4M3, 0));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E4M3, -32));
  EXPECT_TRUE(isValidBlockSize(ElemFormat::E4M3, kMaxBlockSize));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E4M3, kMaxBlockSize + 1));
  EXPECT_FALSE(isValidBlockSize(ElemFormat::E2M1, INT64_MAX));
}

// Every code of every format decodes to what APFloat (or, for MXINT8, the
// two's complement definition) says.
TEST_P(FormatTest, DecodeEveryCode) {
  ElemFormat f = GetParam();
  for (uint32_t c = 0; c < (1u << oracle::codeBits(f)); ++c)
    EXPECT_TRUE(sameValue(oracle::value(f, c), decodeElement(f, c)))
        << "code " << c;
}

// Every finite code encodes back to itself, in both rounding modes.
TEST_P(FormatTest, EncodeEveryFiniteCode) {
  ElemFormat f = GetParam();
  for (const oracle::Grid &g : oracle::finiteGrid(f)) {
    uint32_t expected = g.code;
    EXPECT_EQ(encodeElement(f, g.value, RoundingMode::NearestEven), expected)
        << "value " << g.value;
    EXPECT_EQ(encodeElement(f, g.value, RoundingMode::NearestAway), expected)
        << "value " << g.value;
  }
}

// Exact midpoints between neighbours, and points just off them, round as the
// brute-force nearest search says, in both modes.
TEST_P(FormatTest, EncodeMidpointsAndNeighbours) {
  ElemFormat f = GetParam();
  std::vector<double> values;
  for (const oracle::Grid &g : oracle::finiteGrid(f))
    values.push_back(g.value);
  std::sort(values.begin(), values.end());
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    double lo = values[i], hi = values[i + 1];
    if (lo == hi)
      continue; // +0 and -0.
    double mid = (lo + hi) / 2;
    double eps = (hi - lo) / 1024;
    for (double x : {mid, mid - eps, mid + eps, lo + eps, hi - eps}) {
      for (bool away : {false, true}) {
        RoundingMode mode =
            away ? RoundingMode::NearestAway : RoundingMode::NearestEven;
        EXPECT_EQ(encodeElement(f, x, mode), oracle::nearestCode(f, x, away))
            << "x = " << x << (away ? " (away)" : " (even)");
      }
    }
  }
}

// Random values across the whole range agree with APFloat's conversion
// (round-to-nearest-even and ties-away), with MX saturation on top.
TEST_P(FloatFormatTest, EncodeRandomMatchesAPFloat) {
  ElemFormat f = GetParam();
  const FormatInfo &info = getFormatInfo(f);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> logMag(
      std::log2(info.minSubnormal) - 3, std::log2(info.maxNormal) + 1);
  for (int i = 0; i < 20000; ++i) {
    double x = std::exp2(logMag(rng)) * (rng() & 1 ? -1 : 1);
    for (auto [mode, rm] : {std::pair{RoundingMode::NearestEven,
                                      llvm::RoundingMode::NearestTiesToEven},
                            std::pair{RoundingMode::NearestAway,
                                      llvm::RoundingMode::NearestTiesToAway}}) {
      uint32_t expected;
      if (std::fabs(x) >= info.maxNormal) {
        expected = llvm::APFloat::getLargest(oracle::semantics(f), x < 0)
                       .bitcastToAPInt()
                       .getZExtValue();
      } else {
        llvm::APFloat v(x);
        bool losesInfo;
        v.convert(oracle::semantics(f), rm, &losesInfo);
        expected = v.bitcastToAPInt().getZExtValue();
        if (!v.isFinite()) // Rounded past the top: MX saturates.
          expected = llvm::APFloat::getLargest(oracle::semantics(f), x < 0)
                         .bitcastToAPInt()
                         .getZExtValue();
      }
      EXPECT_EQ(encodeElement(f, x, mode), expected) << "x = " << x;
    }
  }
}

TEST_P(FormatTest, SaturatesAndKeepsSignOfZero) {
  ElemFormat f = GetParam();
  const FormatInfo &info = getFormatInfo(f);
  for (double big : {info.maxNormal * 1.01, 1e30, double(INFINITY)}) {
    EXPECT_EQ(decodeElement(f, encodeElement(f, big)), info.maxNormal);
    EXPECT_EQ(decodeElement(f, encodeElement(f, -big)), -info.maxNormal);
  }
  EXPECT_EQ(encodeElement(f, 0.0), 0u);
  if (!info.isInteger)
    EXPECT_TRUE(std::signbit(decodeElement(f, encodeElement(f, -0.0))));
  else
    EXPECT_EQ(encodeElement(f, -0.0), 0u);
  // Below half the smallest magnitude: rounds to zero.
  EXPECT_EQ(decodeElement(f, encodeElement(f, info.minSubnormal * 0.49)), 0.0);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FormatTest,
                         ::testing::ValuesIn(kAllElemFormats), formatName);
// MXINT8 is no APFloat format: its midpoint test above covers it.
INSTANTIATE_TEST_SUITE_P(FloatFormats, FloatFormatTest,
                         ::testing::ValuesIn(kFloatFormats), formatName);

// MLIR's f4E2M1FN test codes (mlir/test/.../arith-expand and the builtin
// type's documentation): 0.5 -> 1, 6 -> 7, 1e6 -> 7 (saturated), -3.14 -> 13.
TEST(ElementGolden, MLIRFloat4Codes) {
  EXPECT_EQ(encodeElement(ElemFormat::E2M1, 0.5), 1u);
  EXPECT_EQ(encodeElement(ElemFormat::E2M1, 6.0), 7u);
  EXPECT_EQ(encodeElement(ElemFormat::E2M1, 1e6), 7u);
  EXPECT_EQ(encodeElement(ElemFormat::E2M1, -3.14), 13u);
}

TEST(ElementGolden, NaNCodes) {
  EXPECT_EQ(encodeElement(ElemFormat::E4M3, NAN), 0x7Fu);
  EXPECT_EQ(encodeElement(ElemFormat::E5M2, NAN), 0x7Eu);
  EXPECT_TRUE(std::isnan(decodeElement(ElemFormat::E4M3, 0xFF)));
  EXPECT_TRUE(std::isinf(decodeElement(ElemFormat::E5M2, 0x7C)));
  EXPECT_TRUE(std::isnan(decodeElement(ElemFormat::E5M2, 0x7D)));
  // Formats without NaN store +0; the block's NaN scale carries the NaN.
  EXPECT_EQ(encodeElement(ElemFormat::E2M1, NAN), 0u);
  EXPECT_EQ(encodeElement(ElemFormat::Int8, NAN), 0u);
}

// MXINT8 ties (microxcaling test_mx_hw_test, scale 2^0): half-away rounds
// 1.0234375 -> 1.03125 and 0.0078125 -> 0.015625; RNE gives 1.03125 (66 is
// even) and 0; 1.9921875 saturates to 1.984375; 0.00390625 -> 0.
TEST(ElementGolden, Int8Ties) {
  auto away = [](double x) {
    return decodeElement(
        ElemFormat::Int8,
        encodeElement(ElemFormat::Int8, x, RoundingMode::NearestAway));
  };
  auto even = [](double x) {
    return decodeElement(
        ElemFormat::Int8,
        encodeElement(ElemFormat::Int8, x, RoundingMode::NearestEven));
  };
  EXPECT_EQ(away(1.0234375), 1.03125);
  EXPECT_EQ(away(0.0078125), 0.015625);
  EXPECT_EQ(away(1.9921875), 1.984375);
  EXPECT_EQ(away(0.00390625), 0.0);
  EXPECT_EQ(away(-0.0078125), -0.015625);
  EXPECT_EQ(even(1.0234375), 1.03125);
  EXPECT_EQ(even(0.0078125), 0.0);
  EXPECT_EQ(even(0.0234375), 0.03125); // 1.5 -> 2.
  EXPECT_EQ(even(1.9921875), 1.984375);
  // -128 is never produced.
  EXPECT_EQ(encodeElement(ElemFormat::Int8, -5.0), 0x81u);
}

TEST(E8M0, DecodeEveryCodeMatchesAPFloat) {
  for (uint32_t c = 0; c < 256; ++c) {
    llvm::APFloat f(llvm::APFloat::Float8E8M0FNU(), llvm::APInt(8, c));
    // APFloat (LLVM 22) classifies 0xFF as NaN but converts it to +Inf in
    // convertToDouble; take the classification.
    double expected = f.isNaN() ? std::numeric_limits<double>::quiet_NaN()
                                : f.convertToDouble();
    EXPECT_TRUE(sameValue(expected, decodeE8M0(c))) << "code " << c;
  }
  EXPECT_EQ(decodeE8M0(0), std::ldexp(1.0, -127));
  EXPECT_EQ(decodeE8M0(127), 1.0);
  EXPECT_EQ(decodeE8M0(254), std::ldexp(1.0, 127));
  EXPECT_TRUE(std::isnan(decodeE8M0(255)));
}

TEST(E8M0, EncodeClamps) {
  for (int e = -127; e <= 127; ++e)
    EXPECT_EQ(decodeE8M0(encodeE8M0(e)), std::ldexp(1.0, e));
  EXPECT_EQ(encodeE8M0(-500), 0u);
  EXPECT_EQ(encodeE8M0(500), 254u);
}

// Checkpoint halves (safetensors, GGUF): every code against APFloat.
TEST(HalfFloats, DecodeEveryCodeMatchesAPFloat) {
  for (uint32_t c = 0; c < 65536; ++c) {
    for (const llvm::fltSemantics *sem :
         {&llvm::APFloat::IEEEhalf(), &llvm::APFloat::BFloat()}) {
      llvm::APFloat f(*sem, llvm::APInt(16, c));
      double expected = f.convertToDouble();
      float got =
          sem == &llvm::APFloat::IEEEhalf() ? decodeF16(c) : decodeBF16(c);
      ASSERT_TRUE(sameValue(expected, got)) << "code " << c;
      ASSERT_EQ(std::signbit(expected), std::signbit(got)) << "code " << c;
    }
  }
}

// bfloat16 rounding against APFloat's (to nearest, ties to even): every
// bfloat16 value, the midpoints between neighbours and their float
// neighbours, both signs, and random floats of every exponent.
TEST(HalfFloats, EncodeBF16MatchesAPFloat) {
  std::vector<uint32_t> inputs;
  for (uint32_t c = 0; c < 65536; ++c)
    for (uint32_t low : {0x0000u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu})
      inputs.push_back(c << 16 | low);
  std::mt19937 rng(5);
  for (int i = 0; i < 100000; ++i)
    inputs.push_back(rng());
  for (uint32_t bits : inputs) {
    float v;
    std::memcpy(&v, &bits, 4);
    llvm::APFloat f(v);
    bool lost = false;
    f.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    const uint16_t got = encodeBF16(v);
    if (std::isnan(v)) {
      ASSERT_TRUE(std::isnan(decodeBF16(got))) << std::hex << bits;
      ASSERT_EQ(std::signbit(v), std::signbit(decodeBF16(got)));
      continue;
    }
    ASSERT_EQ(f.bitcastToAPInt().getZExtValue(), got) << std::hex << bits;
    ASSERT_EQ(roundToBF16(v), f.convertToFloat()) << std::hex << bits;
  }
}

} // namespace

// The midpoint-search encoder gives encodeElement's codes: for every code's
// value, every midpoint between neighbouring codes, their float and double
// neighbours, both signs, zero, beyond the largest normal, infinity, and
// random magnitudes across the format's range.
TEST(ElementEncoder, EqualsEncodeElement) {
  std::mt19937_64 rng(11);
  for (ElemFormat f : kAllElemFormats)
    for (RoundingMode mode :
         {RoundingMode::NearestEven, RoundingMode::NearestAway}) {
      const ElementEncoder &encoder = getElementEncoder(f, mode);
      const double tiny = getFormatInfo(f).minSubnormal;
      std::vector<double> values = {0.0,
                                    std::numeric_limits<double>::infinity(),
                                    1e300,
                                    getFormatInfo(f).maxNormal * 4,
                                    std::numeric_limits<double>::denorm_min(),
                                    1e-310,
                                    std::numeric_limits<double>::min(),
                                    tiny / 4,
                                    std::nextafter(tiny / 2, 0.0),
                                    std::nextafter(tiny / 2, 1.0)};
      for (unsigned c = 0; c < (1u << getFormatInfo(f).bits); ++c) {
        double v = decodeElement(f, static_cast<uint8_t>(c));
        double w = decodeElement(f, static_cast<uint8_t>(c + 1));
        for (double x : {v, (v + w) / 2})
          if (std::isfinite(x))
            for (double y :
                 {x, std::nextafter(x, 0.0), std::nextafter(x, 1e308),
                  double(std::nextafter(float(x), 0.0f)),
                  double(std::nextafter(float(x), 1e30f))})
              values.push_back(std::fabs(y));
      }
      std::uniform_real_distribution<double> exponent(-12, 12), unit(1, 2);
      for (int i = 0; i < 20000; ++i)
        values.push_back(std::ldexp(unit(rng), int(exponent(rng))));
      for (double v : values)
        for (double x : {v, -v}) {
          uint8_t expected = encodeElement(f, x, mode);
          ASSERT_EQ(encoder.encode(x), expected)
              << getFormatInfo(f).name << " "
              << (mode == RoundingMode::NearestEven ? "even" : "away") << " "
              << x;
        }
    }
}
