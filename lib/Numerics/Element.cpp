//===- Element.cpp - Encode and decode MX element and scale codes ---------===//

#include "mxc/Numerics/Element.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mxc::numerics;

double mxc::numerics::decodeElement(ElemFormat format, uint8_t code) {
  const FormatInfo &info = getFormatInfo(format);
  if (info.isInteger)
    return static_cast<int8_t>(code) / 64.0;

  const unsigned mask = (1u << info.bits) - 1;
  code &= mask;
  const bool negative = (code >> (info.bits - 1)) & 1;
  const unsigned exponentField =
      (code >> info.mantissaBits) & ((1u << info.exponentBits) - 1);
  const unsigned mantissa = code & ((1u << info.mantissaBits) - 1);
  const unsigned maxExponentField = (1u << info.exponentBits) - 1;
  const double sign = negative ? -1.0 : 1.0;

  if (format == ElemFormat::E4M3 && exponentField == maxExponentField &&
      mantissa == (1u << info.mantissaBits) - 1)
    return std::copysign(std::numeric_limits<double>::quiet_NaN(), sign);
  if (format == ElemFormat::E5M2 && exponentField == maxExponentField)
    return mantissa == 0
               ? sign * std::numeric_limits<double>::infinity()
               : std::copysign(std::numeric_limits<double>::quiet_NaN(), sign);

  if (exponentField == 0) // Subnormal or zero.
    return sign *
           std::ldexp(static_cast<double>(mantissa),
                      1 - info.bias - static_cast<int>(info.mantissaBits));
  return sign *
         std::ldexp(static_cast<double>((1u << info.mantissaBits) | mantissa),
                    static_cast<int>(exponentField) - info.bias -
                        static_cast<int>(info.mantissaBits));
}

/// Rounds the non-negative `t` to an integer under `mode`. `t` is exact, so
/// its fraction is too.
static double roundToIntegral(double t, RoundingMode mode) {
  double floorT = std::floor(t);
  double fraction = t - floorT;
  if (fraction > 0.5)
    return floorT + 1;
  if (fraction < 0.5)
    return floorT;
  if (mode == RoundingMode::NearestAway)
    return floorT + 1;
  return std::fmod(floorT, 2.0) == 0 ? floorT : floorT + 1;
}

uint8_t mxc::numerics::encodeElement(ElemFormat format, double value,
                                     RoundingMode mode) {
  const FormatInfo &info = getFormatInfo(format);
  const bool negative = std::signbit(value);

  if (info.isInteger) {
    if (std::isnan(value))
      return 0;
    double magnitude = std::min(std::fabs(value) * 64.0, 127.0);
    int n = static_cast<int>(roundToIntegral(magnitude, mode));
    n = std::min(n, 127);
    return static_cast<uint8_t>(static_cast<int8_t>(negative ? -n : n));
  }

  const uint8_t signBit = negative ? (1u << (info.bits - 1)) : 0;
  if (std::isnan(value)) {
    if (format == ElemFormat::E4M3)
      return signBit | 0x7F;
    if (format == ElemFormat::E5M2)
      return signBit | 0x7E;
    return 0;
  }

  const double magnitude = std::fabs(value);
  const int minExponent = 1 - info.bias;
  const unsigned implicitOne = 1u << info.mantissaBits;
  // The largest normal's code: all ones below the sign bit, except where the
  // format reserves the top of the range (E4M3's NaN, E5M2's Inf/NaN).
  auto maxNormalCode = [&]() -> uint8_t {
    switch (format) {
    case ElemFormat::E4M3:
      return 0x7E;
    case ElemFormat::E5M2:
      return 0x7B;
    default:
      return static_cast<uint8_t>((1u << (info.bits - 1)) - 1);
    }
  };
  if (magnitude >= info.maxNormal)
    return signBit | maxNormalCode();
  if (magnitude == 0)
    return signBit;

  // Quantum of the binade holding `magnitude` (subnormals share the lowest).
  int exponent = std::max(std::ilogb(magnitude), minExponent);
  int quantumExponent = exponent - static_cast<int>(info.mantissaBits);
  double n = roundToIntegral(std::ldexp(magnitude, -quantumExponent), mode);
  if (n == 0)
    return signBit;
  if (n >= 2.0 * implicitOne) { // Rounded up into the next binade.
    n /= 2;
    ++exponent;
  }
  if (std::ldexp(n, exponent - static_cast<int>(info.mantissaBits)) >
      info.maxNormal)
    return signBit | maxNormalCode();

  unsigned significand = static_cast<unsigned>(n);
  if (significand < implicitOne) // Subnormal: exponent field 0.
    return signBit | significand;
  unsigned exponentField = static_cast<unsigned>(exponent + info.bias);
  return signBit | (exponentField << info.mantissaBits) |
         (significand - implicitOne);
}

double mxc::numerics::decodeE8M0(uint8_t code) {
  if (code == kE8M0NaN)
    return std::numeric_limits<double>::quiet_NaN();
  return std::ldexp(1.0, static_cast<int>(code) - kE8M0Bias);
}

uint8_t mxc::numerics::encodeE8M0(int exponent) {
  exponent = std::clamp(exponent, kE8M0MinExponent, kE8M0MaxExponent);
  return static_cast<uint8_t>(exponent + kE8M0Bias);
}

float mxc::numerics::decodeF16(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // A subnormal half is mantissa * 2^-24, a normal float.
    float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

float mxc::numerics::decodeBF16(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

uint16_t mxc::numerics::encodeBF16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  if (std::isnan(v))
    return static_cast<uint16_t>(((bits >> 16) & 0x8000u) | 0x7FC0u);
  // Adding 0x7FFF and the kept half's lowest bit carries into it exactly
  // when the dropped half is above one half, or one half with the kept half
  // odd (an overflow becomes infinity, as it should).
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

mxc::numerics::ElementEncoder::ElementEncoder(ElemFormat format,
                                              RoundingMode mode)
    : format(format), mode(mode) {
  const FormatInfo &info = getFormatInfo(format);
  isInteger = info.isInteger;
  if (isInteger)
    return;
  signBit = static_cast<uint8_t>(1u << (info.bits - 1));
  maxCode = encodeElement(format, info.maxNormal, mode);
  maxNormal = info.maxNormal;
  minExponent = 1 - info.bias;
  mantissaBits = static_cast<int>(info.mantissaBits);
}

/// 2^e for the exponents of a double's normal range, from its bits.
static double powerOfTwo(int e) {
  const uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
  double result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

/// Rounds `t` in [0, 2^31) to an integer under `mode` (its fraction is
/// exact).
static uint32_t roundSmall(double t, RoundingMode mode) {
  uint32_t whole = static_cast<uint32_t>(t); // Truncation: the floor here.
  const double fraction = t - static_cast<double>(whole);
  if (fraction > 0.5 ||
      (fraction == 0.5 && (mode == RoundingMode::NearestAway || (whole & 1))))
    ++whole;
  return whole;
}

uint8_t mxc::numerics::ElementEncoder::encode(double value) const {
  if (std::isnan(value))
    return encodeElement(format, value, mode);
  const double magnitude = std::fabs(value);
  if (isInteger) {
    // Exact: a power-of-two scale (an overflow to infinity clamps to 127).
    const int n =
        static_cast<int>(roundSmall(std::min(magnitude * 64.0, 127.0), mode));
    return static_cast<uint8_t>(
        static_cast<int8_t>(std::signbit(value) ? -n : n));
  }
  const uint8_t sign = std::signbit(value) ? signBit : 0;
  if (magnitude >= maxNormal)
    return sign | maxCode;
  // The binade of `magnitude` (a double subnormal or zero reads -1023), the
  // format's subnormals sharing its lowest one.
  uint64_t bits;
  std::memcpy(&bits, &magnitude, sizeof(bits));
  const int exponent =
      std::max(static_cast<int>(bits >> 52) - 1023, minExponent);
  // In quanta of the binade: exact, below 2^(mantissaBits + 1). Rounding up
  // to 2^(mantissaBits + 1) carries into the next binade's first code, and
  // below the largest normal never past it.
  const uint32_t n =
      roundSmall(magnitude * powerOfTwo(mantissaBits - exponent), mode);
  return sign |
         static_cast<uint8_t>(
             (static_cast<uint32_t>(exponent - minExponent) << mantissaBits) +
             n);
}

const mxc::numerics::ElementEncoder &
mxc::numerics::getElementEncoder(ElemFormat format, RoundingMode mode) {
  static const std::vector<ElementEncoder> encoders = [] {
    std::vector<ElementEncoder> all;
    for (ElemFormat f : kAllElemFormats)
      for (RoundingMode m :
           {RoundingMode::NearestEven, RoundingMode::NearestAway})
        all.emplace_back(f, m);
    return all;
  }();
  return encoders[static_cast<size_t>(format) * 2 +
                  (mode == RoundingMode::NearestAway ? 1 : 0)];
}

const double *mxc::numerics::getDecodeTable(ElemFormat format) {
  static const std::vector<std::vector<double>> tables = [] {
    std::vector<std::vector<double>> all;
    for (ElemFormat f : kAllElemFormats) {
      std::vector<double> &table = all.emplace_back(256);
      for (unsigned c = 0; c < 256; ++c)
        table[c] = decodeElement(f, static_cast<uint8_t>(c));
    }
    return all;
  }();
  return tables[static_cast<size_t>(format)].data();
}
