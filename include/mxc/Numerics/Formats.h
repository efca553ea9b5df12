//===- Formats.h - MX element formats and their parameters ------*- C++ -*-===//
//
// The OCP Microscaling (MX) v1.0 element formats: one table that every other
// part of mxc (the dialect, the lowerings, the kernels, the bindings) reads.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_FORMATS_H
#define MXC_NUMERICS_FORMATS_H

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mxc::numerics {

/// An MX element format. The shared scale of every format is E8M0.
enum class ElemFormat : uint8_t {
  E4M3, ///< MXFP8 E4M3 (OCP "FN": no infinities, NaN = S.1111.111).
  E5M2, ///< MXFP8 E5M2 (IEEE-like: infinities and NaNs).
  E2M3, ///< MXFP6 E2M3 (finite only).
  E3M2, ///< MXFP6 E3M2 (finite only).
  E2M1, ///< MXFP4 E2M1 (finite only).
  Int8, ///< MXINT8: two's complement with an implicit 2^-6; -128 unused.
};

/// Parameters of an element format.
struct FormatInfo {
  ElemFormat format;
  /// OCP name, e.g. "mxfp4".
  std::string_view name;
  /// Name of the builtin MLIR element type that stores it, e.g. "f4E2M1FN".
  std::string_view mlirTypeName;
  /// Storage width in bits (8, 6 or 4).
  unsigned bits;
  /// Exponent and mantissa field widths. Int8 has no exponent field; its 6
  /// "mantissa" bits are the fraction bits of its 2^-6 fixed-point grid.
  unsigned exponentBits;
  unsigned mantissaBits;
  /// Exponent bias; 0 for Int8.
  int bias;
  /// Exponent of the largest power of two the format holds: the `emax_elem`
  /// that the shared exponent subtracts.
  int emax;
  /// Largest finite magnitude.
  double maxNormal;
  /// Smallest positive normal magnitude (for Int8: the step 2^-6).
  double minNormal;
  /// Smallest positive magnitude.
  double minSubnormal;
  bool hasInf;
  bool hasNaN;
  bool isInteger;
};

/// The parameters of `format`.
const FormatInfo &getFormatInfo(ElemFormat format);

/// All element formats, in declaration order.
constexpr std::array<ElemFormat, 6> kAllElemFormats = {
    ElemFormat::E4M3, ElemFormat::E5M2, ElemFormat::E2M3,
    ElemFormat::E3M2, ElemFormat::E2M1, ElemFormat::Int8};

/// Looks a format up by its OCP name ("mxfp8_e4m3", "mxfp8_e5m2",
/// "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4", "mxint8") or by the name of its MLIR
/// element type ("f8E4M3FN", ..., "i8").
std::optional<ElemFormat> parseElemFormat(std::string_view name);

/// The default MX block size of OCP MX v1.0.
constexpr unsigned kDefaultBlockSize = 32;

/// The largest block size mxc accepts (one scale per 64Ki elements).
constexpr int64_t kMaxBlockSize = 65536;

/// Whether `blockSize` elements of `format` form a block that starts and ends
/// on a byte boundary (the packing rule needs it; 32 always does) and
/// 0 < blockSize <= kMaxBlockSize.
bool isValidBlockSize(ElemFormat format, int64_t blockSize);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_FORMATS_H
