//===- Element.h - Encode and decode MX element and scale codes -*- C++ -*-===//
//
// Bit-exact conversion between real numbers and the codes of the MX element
// formats and of the E8M0 shared scale.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_ELEMENT_H
#define MXC_NUMERICS_ELEMENT_H

#include "mxc/Numerics/Formats.h"

#include <cstdint>
#include <vector>

namespace mxc::numerics {

/// How a value between two representable neighbours is rounded.
enum class RoundingMode : uint8_t {
  /// Round to nearest, ties to even (IEEE default, `arith.truncf`, PTX
  /// `cvt.rn`). The mxc default.
  NearestEven,
  /// Round to nearest, ties away from zero (microxcaling's "nearest").
  NearestAway,
};

/// The real value of element code `code` (its low `bits` bits) of `format`.
/// Never fails: every code has a value. NaN codes (E4M3 S.1111.111, E5M2
/// S.11111.xx with xx != 0) give NaN, E5M2 infinity codes give +-infinity, and
/// Int8's unused code 0x80 gives its two's complement value -2.
double decodeElement(ElemFormat format, uint8_t code);

/// The code of `value` in `format` under `mode`, saturating: every finite
/// magnitude above the largest normal, and every infinity, becomes +-maxNormal
/// (MX conversion clamps normals; no element ever overflows to Inf or NaN).
/// The sign of zero is kept where the format has one (Int8 has none). NaN
/// becomes the format's NaN code where it has one (E4M3: 0x7F, E5M2: 0x7E,
/// with the sign), else +0: MX marks NaN through the scale, not the element.
uint8_t encodeElement(ElemFormat format, double value,
                      RoundingMode mode = RoundingMode::NearestEven);

/// encodeElement for one format and rounding mode, computed from the
/// double's exponent field: the magnitude scaled to its binade's quantum
/// (exact), rounded to an integer, added to the binade's first code. The
/// same codes (unittests check every code, every midpoint and their
/// neighbours), several times faster. What quantizing whole tensors uses.
class ElementEncoder {
public:
  ElementEncoder(ElemFormat format, RoundingMode mode);
  uint8_t encode(double value) const;

private:
  ElemFormat format;
  RoundingMode mode;
  bool isInteger;
  uint8_t signBit = 0;
  /// The largest normal's code and magnitude.
  uint8_t maxCode = 0;
  double maxNormal = 0;
  /// The lowest binade's exponent (the subnormals share its quantum) and
  /// the mantissa width.
  int minExponent = 0;
  int mantissaBits = 0;
};

/// The encoder of `format` and `mode`, built once.
const ElementEncoder &getElementEncoder(ElemFormat format, RoundingMode mode);

/// decodeElement(format, c) for each of the 256 byte values c, built once:
/// what decoding whole blocks uses.
const double *getDecodeTable(ElemFormat format);

/// E8M0 shared scale: byte b in [0, 254] means 2^(b - 127); 0xFF means NaN.
/// There is no zero, no sign and no infinity; byte 0 is 2^-127.
constexpr int kE8M0Bias = 127;
constexpr int kE8M0MinExponent = -127;
constexpr int kE8M0MaxExponent = 127;
constexpr uint8_t kE8M0NaN = 0xFF;

/// The value of E8M0 byte `code`.
double decodeE8M0(uint8_t code);

/// The E8M0 byte for 2^`exponent`; `exponent` is clamped to [-127, 127].
uint8_t encodeE8M0(int exponent);

/// The float of IEEE binary16 bits `bits` (exact: every half is a float).
float decodeF16(uint16_t bits);

/// The float of bfloat16 bits `bits` (exact: a float's upper half).
float decodeBF16(uint16_t bits);

/// The bfloat16 bits of `v` rounded to nearest, ties to even (what the GPU's
/// cvt.rn.bf16.f32 and the tensor-core GEMM's staging of x do); a NaN gives
/// the quiet NaN 0x7FC0 with v's sign.
uint16_t encodeBF16(float v);
/// `v` rounded to bfloat16: decodeBF16(encodeBF16(v)).
inline float roundToBF16(float v) { return decodeBF16(encodeBF16(v)); }

} // namespace mxc::numerics

#endif // MXC_NUMERICS_ELEMENT_H
