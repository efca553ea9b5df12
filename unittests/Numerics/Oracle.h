//===- Oracle.h - Independent references for the numerics tests -*- C++ -*-===//
//
// Expected values in the numerics tests come from here, never from the code
// under test: LLVM's APFloat for floating-point codes, and the OCP MX
// definitions written out by brute force (nearest representable value by
// exhaustive search) for block conversion.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_UNITTESTS_NUMERICS_ORACLE_H
#define MXC_UNITTESTS_NUMERICS_ORACLE_H

#include "mxc/Numerics/Formats.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace mxc::numerics::oracle {

/// APFloat semantics of a floating-point element format.
inline const llvm::fltSemantics &semantics(ElemFormat format) {
  switch (format) {
  case ElemFormat::E4M3:
    return llvm::APFloat::Float8E4M3FN();
  case ElemFormat::E5M2:
    return llvm::APFloat::Float8E5M2();
  case ElemFormat::E2M3:
    return llvm::APFloat::Float6E2M3FN();
  case ElemFormat::E3M2:
    return llvm::APFloat::Float6E3M2FN();
  case ElemFormat::E2M1:
    return llvm::APFloat::Float4E2M1FN();
  case ElemFormat::Int8:
    break;
  }
  return llvm::APFloat::Bogus();
}

inline unsigned codeBits(ElemFormat format) {
  return format == ElemFormat::Int8
             ? 8
             : llvm::APFloat::semanticsSizeInBits(semantics(format));
}

/// The value of `code`: APFloat for floats, the two's complement definition
/// (with the implicit 2^-6) for MXINT8.
inline double value(ElemFormat format, uint32_t code) {
  if (format == ElemFormat::Int8) {
    int v = code < 128 ? static_cast<int>(code) : static_cast<int>(code) - 256;
    return v / 64.0;
  }
  llvm::APFloat f(semantics(format), llvm::APInt(codeBits(format), code));
  return f.convertToDouble();
}

/// A representable value of a format and a code that encodes it.
struct Grid {
  double value;
  uint32_t code;
};

/// Every finite value of `format` (the unused MXINT8 code -128 excluded).
inline std::vector<Grid> finiteGrid(ElemFormat format) {
  std::vector<Grid> grid;
  for (uint32_t c = 0; c < (1u << codeBits(format)); ++c) {
    if (format == ElemFormat::Int8 && c == 0x80)
      continue;
    double v = value(format, c);
    if (std::isfinite(v))
      grid.push_back({v, c});
  }
  return grid;
}

/// The code of the representable value nearest to the finite `x`, found by
/// exhaustive search over the non-negative grid; ties go to the candidate with
/// an even code (= even significand, or even integer for MXINT8) or, for
/// `away`, to the larger magnitude. Magnitudes beyond the largest finite value
/// saturate (the largest value is nearest). The sign of `x` is applied last:
/// the sign bit for floats (so -0 exists), negation for MXINT8.
inline uint32_t nearestCode(ElemFormat format, double x, bool away) {
  const double a = std::fabs(x);
  std::vector<Grid> grid = finiteGrid(format);
  const Grid *best = nullptr;
  for (const Grid &g : grid) {
    if (std::signbit(g.value))
      continue;
    if (!best) {
      best = &g;
      continue;
    }
    double d = std::fabs(g.value - a), bestD = std::fabs(best->value - a);
    bool tieWins = away ? g.value > best->value
                        : (g.code & 1) == 0 && (best->code & 1) == 1;
    if (d < bestD || (d == bestD && tieWins))
      best = &g;
  }
  if (!std::signbit(x))
    return best->code;
  if (format == ElemFormat::Int8)
    return (256 - best->code) & 0xFF;
  return best->code | (1u << (codeBits(format) - 1));
}

/// OCP MX shared exponent written with log2/floor, clamped to [-127, 127].
inline int sharedExponent(int emax, double amax) {
  if (amax == 0)
    return -127;
  int e = static_cast<int>(std::floor(std::log2(amax))) - emax;
  return e < -127 ? -127 : (e > 127 ? 127 : e);
}

} // namespace mxc::numerics::oracle

#endif // MXC_UNITTESTS_NUMERICS_ORACLE_H
