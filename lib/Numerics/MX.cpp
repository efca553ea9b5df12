//===- MX.cpp - MX block conversion, packing and tensor layout ------------===//

#include "mxc/Numerics/MX.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mxc::numerics;

int mxc::numerics::sharedExponent(ElemFormat format, double amax) {
  if (amax == 0)
    return kE8M0MinExponent; // floor(log2 0) = -inf, clamped.
  int exponent = std::ilogb(amax) - getFormatInfo(format).emax;
  return std::clamp(exponent, kE8M0MinExponent, kE8M0MaxExponent);
}

int mxc::numerics::sharedExponent(ElemFormat format, double amax,
                                  ScaleChoice choice) {
  const int exponent = sharedExponent(format, amax);
  // amax / 2^exponent is exact in double.
  if (choice == ScaleChoice::Ceil && exponent < kE8M0MaxExponent &&
      std::ldexp(amax, -exponent) > getFormatInfo(format).maxNormal)
    return exponent + 1;
  return exponent;
}

uint8_t mxc::numerics::quantizeBlock(ElemFormat format, const float *x,
                                     size_t n, uint8_t *codes,
                                     RoundingMode mode, ScaleChoice choice) {
  double amax = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      std::fill(codes, codes + n, 0);
      return kE8M0NaN;
    }
    amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
  }
  const int exponent = sharedExponent(format, amax, choice);
  // Division by a power of two is exact in double for every float input.
  const ElementEncoder &encoder = getElementEncoder(format, mode);
  auto encode = [&](int e, uint8_t *out) {
    const double inverse = std::ldexp(1.0, -e);
    for (size_t i = 0; i < n; ++i)
      out[i] = encoder.encode(static_cast<double>(x[i]) * inverse);
  };
  encode(exponent, codes);
  if (choice != ScaleChoice::LeastSquares || exponent >= kE8M0MaxExponent ||
      amax == 0)
    return encodeE8M0(exponent);
  // The squared error of codes c at exponent e (each term exact in double
  // up to the sum's rounding).
  const double *values = getDecodeTable(format);
  auto squaredError = [&](int e, const uint8_t *c) {
    const double scale = std::ldexp(1.0, e);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const double d = x[i] - values[c[i]] * scale;
      sum += d * d;
    }
    return sum;
  };
  uint8_t small[64];
  std::vector<uint8_t> large(n > 64 ? n : 0);
  uint8_t *above = n > 64 ? large.data() : small;
  encode(exponent + 1, above);
  if (squaredError(exponent + 1, above) < squaredError(exponent, codes)) {
    std::copy(above, above + n, codes);
    return encodeE8M0(exponent + 1);
  }
  return encodeE8M0(exponent);
}

void mxc::numerics::dequantizeBlock(ElemFormat format, uint8_t scale,
                                    const uint8_t *codes, size_t n,
                                    double *out) {
  if (scale == kE8M0NaN) {
    std::fill(out, out + n, std::numeric_limits<double>::quiet_NaN());
    return;
  }
  // 2^(scale - 127) times any element value is a normal double: exact.
  const double *values = getDecodeTable(format);
  const double factor = decodeE8M0(scale);
  for (size_t i = 0; i < n; ++i)
    out[i] = values[codes[i]] * factor;
}

void mxc::numerics::packCodes(ElemFormat format, const uint8_t *codes, size_t n,
                              uint8_t *out) {
  const unsigned bits = getFormatInfo(format).bits;
  const unsigned mask = (1u << bits) - 1;
  std::fill(out, out + (n * bits + 7) / 8, 0);
  for (size_t i = 0; i < n; ++i) {
    size_t bit = i * bits;
    unsigned word = (codes[i] & mask) << (bit % 8);
    out[bit / 8] |= static_cast<uint8_t>(word);
    if (bit % 8 + bits > 8)
      out[bit / 8 + 1] |= static_cast<uint8_t>(word >> 8);
  }
}

/// Code `i` of a LSB-first stream of `bits`-bit codes.
static uint8_t extractCode(unsigned bits, const uint8_t *in, size_t i) {
  size_t bit = i * bits;
  unsigned word = in[bit / 8];
  if (bit % 8 + bits > 8)
    word |= static_cast<unsigned>(in[bit / 8 + 1]) << 8;
  return static_cast<uint8_t>((word >> (bit % 8)) & ((1u << bits) - 1));
}

void mxc::numerics::unpackCodes(ElemFormat format, const uint8_t *in, size_t n,
                                uint8_t *codes) {
  const unsigned bits = getFormatInfo(format).bits;
  for (size_t i = 0; i < n; ++i)
    codes[i] = extractCode(bits, in, i);
}

int64_t MXLayout::blockBytes() const {
  return blockSize * getFormatInfo(format).bits / 8;
}

int64_t MXLayout::elementsInBlock(int64_t b) const {
  return std::min(blockSize, cols - b * blockSize);
}

uint8_t MXTensor::code(int64_t row, int64_t col) const {
  const uint8_t *block = data.data() + row * layout.rowBytes() +
                         col / layout.blockSize * layout.blockBytes();
  return extractCode(getFormatInfo(layout.format).bits, block,
                     col % layout.blockSize);
}

MXTensor mxc::numerics::quantize(ElemFormat format, int64_t blockSize,
                                 int64_t rows, int64_t cols, const float *x,
                                 RoundingMode mode, ScaleChoice choice) {
  MXTensor t = MXTensor::allocate(MXLayout{format, blockSize, rows, cols});
  quantizeRows(x, 0, rows, t, mode, choice);
  return t;
}

void mxc::numerics::quantizeRows(const float *x, int64_t rowBegin,
                                 int64_t rowEnd, MXTensor &t, RoundingMode mode,
                                 ScaleChoice choice) {
  const MXLayout &layout = t.layout;
  const int64_t blockSize = layout.blockSize, cols = layout.cols;
  std::vector<uint8_t> codes(blockSize);
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    for (int64_t b = 0; b < layout.blocksPerRow(); ++b) {
      int64_t n = layout.elementsInBlock(b);
      std::fill(codes.begin(), codes.end(), 0); // Padding codes are +0.
      t.scales[r * layout.blocksPerRow() + b] =
          quantizeBlock(layout.format, x + r * cols + b * blockSize, n,
                        codes.data(), mode, choice);
      packCodes(layout.format, codes.data(), blockSize,
                t.data.data() + r * layout.rowBytes() +
                    b * layout.blockBytes());
    }
  }
}

void mxc::numerics::quantizeDequantize(ElemFormat format, int64_t blockSize,
                                       int64_t rows, int64_t cols,
                                       const float *x, float *y,
                                       RoundingMode mode, ScaleChoice choice) {
  const double *values = getDecodeTable(format);
  std::vector<uint8_t> codes(blockSize);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b * blockSize < cols; ++b) {
      const int64_t first = r * cols + b * blockSize;
      const int64_t n = std::min(blockSize, cols - b * blockSize);
      const double factor = decodeE8M0(
          quantizeBlock(format, x + first, n, codes.data(), mode, choice));
      for (int64_t i = 0; i < n; ++i)
        y[first + i] = static_cast<float>(values[codes[i]] * factor);
    }
}

std::vector<double> mxc::numerics::dequantize(const MXTensor &t) {
  const MXLayout &layout = t.layout;
  std::vector<double> out(layout.rows * layout.cols);
  std::vector<uint8_t> codes(layout.blockSize);
  std::vector<double> values(layout.blockSize);
  for (int64_t r = 0; r < layout.rows; ++r) {
    for (int64_t b = 0; b < layout.blocksPerRow(); ++b) {
      int64_t n = layout.elementsInBlock(b);
      unpackCodes(layout.format,
                  t.data.data() + r * layout.rowBytes() +
                      b * layout.blockBytes(),
                  n, codes.data());
      dequantizeBlock(layout.format, t.scales[r * layout.blocksPerRow() + b],
                      codes.data(), n, values.data());
      std::copy(values.begin(), values.begin() + n,
                out.begin() + r * layout.cols + b * layout.blockSize);
    }
  }
  return out;
}
