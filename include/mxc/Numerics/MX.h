//===- MX.h - MX block conversion, packing and tensor layout ----*- C++ -*-===//
//
// OCP MX v1.0 conversion of blocks and tensors, and the packed storage layout
// that the mxc dialect, its lowerings and its kernels share:
//
//  * A tensor of logical shape [..., K] is quantized along its last axis in
//    blocks of B consecutive elements; rows (all leading dimensions
//    flattened) are independent.
//  * Shared exponent of a block: floor(log2(amax)) - emax_elem, clamped to
//    [-127, 127] (an all-zero block gets -127). A block holding NaN or Inf gets
//    the E8M0 NaN scale 0xFF and all-zero element codes: it decodes to NaN.
//  * Elements: x / 2^shared_exp rounded to the element format (nearest-even by
//    default), saturating at +-maxNormal.
//  * Packing: element i of a block occupies bits [w*i, w*i + w) of the
//    block's byte stream, least significant bit first (w = 4, 6 or 8). Blocks
//    follow each other, row-major. Scales are a separate byte array, one per
//    block, row-major.
//  * Partial last block: when B does not divide K, the last block of a row
//    holds r = K mod B real elements. Its scale is computed from those r
//    elements only. In storage it still occupies a whole block's bytes; the
//    B - r padding codes are 0 (+0 in every format). So every row holds
//    ceil(K / B) whole blocks and rows start on block boundaries.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_MX_H
#define MXC_NUMERICS_MX_H

#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Formats.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mxc::numerics {

/// The shared exponent of a block whose largest magnitude is `amax` (finite,
/// >= 0): floor(log2(amax)) - emax_elem, clamped to [-127, 127].
int sharedExponent(ElemFormat format, double amax);

/// How a block's shared exponent is chosen. Any exponent gives a valid MX
/// block; the OCP spec's conversion takes the first.
enum class ScaleChoice {
  /// sharedExponent(amax): the largest magnitude lands in the element
  /// format's top binade (for E2M1 in [4, 8), rounded or clipped to <= 6).
  Spec,
  /// The spec's exponent or one more, whichever decodes to the smaller sum
  /// of squared errors over the block (ties: the spec's). One more clips
  /// nothing: it wins for blocks whose largest elements the spec's exponent
  /// clips or rounds far (an E2M1 block with amax in (6, 8) x 2^e loses up
  /// to 2^(e+1) on it). Lowering it instead never won on the shared model.
  /// For weights, quantized once.
  LeastSquares,
  /// ceil(log2(amax / maxNormal)), clamped: the smallest exponent whose
  /// element grid holds amax, so that no element saturates. That is the
  /// spec's, or one more where the spec's clips amax (an E4M3 block whose
  /// amax / 2^e is above 448 = 1.75 x 2^8 loses up to 12.5 % of it). One
  /// compare at run time, for activations: the rounding up of the scale in
  /// Mishra et al., "Recipes for Pre-training LLMs with MXFP8" (2025).
  Ceil,
};

/// The shared exponent that Spec or Ceil gives a block whose largest
/// magnitude is `amax` (finite, >= 0). LeastSquares, whose choice depends on
/// every element, gets the spec's here (its first candidate).
int sharedExponent(ElemFormat format, double amax, ScaleChoice choice);

/// Quantizes the `n` values at `x` as one MX block: writes `n` element codes
/// (unpacked, one per byte) to `codes` and returns the E8M0 scale byte.
uint8_t quantizeBlock(ElemFormat format, const float *x, size_t n,
                      uint8_t *codes,
                      RoundingMode mode = RoundingMode::NearestEven,
                      ScaleChoice choice = ScaleChoice::Spec);

/// Decodes `n` unpacked element codes sharing scale byte `scale` into `out`.
/// The products are exact in double.
void dequantizeBlock(ElemFormat format, uint8_t scale, const uint8_t *codes,
                     size_t n, double *out);

/// Packs `n` unpacked codes of `format` into a LSB-first bit stream at `out`
/// (ceil(n * bits / 8) bytes; unused high bits of the last byte are 0).
void packCodes(ElemFormat format, const uint8_t *codes, size_t n, uint8_t *out);

/// Unpacks `n` codes of `format` from the bit stream at `in`.
void unpackCodes(ElemFormat format, const uint8_t *in, size_t n,
                 uint8_t *codes);

/// The storage layout of an MX tensor of `rows` x `cols` logical elements
/// (rows = the product of all but the last dimension), blocks along `cols`.
struct MXLayout {
  ElemFormat format;
  int64_t blockSize;
  int64_t rows;
  int64_t cols;

  /// Blocks per row: ceil(cols / blockSize).
  int64_t blocksPerRow() const { return (cols + blockSize - 1) / blockSize; }
  /// Bytes of one packed block.
  int64_t blockBytes() const;
  /// Bytes of one packed row (a whole number of blocks).
  int64_t rowBytes() const { return blocksPerRow() * blockBytes(); }
  /// Bytes of packed elements for the whole tensor.
  int64_t dataBytes() const { return rows * rowBytes(); }
  /// Number of E8M0 scales for the whole tensor.
  int64_t numScales() const { return rows * blocksPerRow(); }
  /// Real (non-padding) elements of block `b` of a row.
  int64_t elementsInBlock(int64_t b) const;
};

/// An MX tensor in packed storage.
struct MXTensor {
  MXLayout layout;
  /// layout.dataBytes() bytes of packed element codes.
  std::vector<uint8_t> data;
  /// layout.numScales() E8M0 bytes.
  std::vector<uint8_t> scales;

  /// Storage for `layout`, every code and scale byte 0.
  static MXTensor allocate(const MXLayout &layout) {
    return {layout, std::vector<uint8_t>(layout.dataBytes(), 0),
            std::vector<uint8_t>(layout.numScales(), 0)};
  }

  /// The unpacked code of logical element (row, col).
  uint8_t code(int64_t row, int64_t col) const;
  /// The scale byte that covers logical element (row, col).
  uint8_t scale(int64_t row, int64_t col) const {
    return scales[row * layout.blocksPerRow() + col / layout.blockSize];
  }
};

/// Quantizes the row-major `rows` x `cols` values at `x`.
MXTensor quantize(ElemFormat format, int64_t blockSize, int64_t rows,
                  int64_t cols, const float *x,
                  RoundingMode mode = RoundingMode::NearestEven,
                  ScaleChoice choice = ScaleChoice::Spec);

/// What quantize() does for the rows [rowBegin, rowEnd) of `x`
/// ([t.layout.rows, t.layout.cols]), into `t`, whose data and scales are
/// already sized by its layout: callers split the rows over threads.
void quantizeRows(const float *x, int64_t rowBegin, int64_t rowEnd, MXTensor &t,
                  RoundingMode mode = RoundingMode::NearestEven,
                  ScaleChoice choice = ScaleChoice::Spec);

/// Dequantizes `t` into rows x cols row-major doubles (exact).
std::vector<double> dequantize(const MXTensor &t);

/// The values that quantize(format, blockSize, rows, cols, x, mode, choice)
/// dequantizes to, rounded to float, into `y` (rows x cols; may be `x`):
/// MX rounding ("fake quantization") without packing codes.
void quantizeDequantize(ElemFormat format, int64_t blockSize, int64_t rows,
                        int64_t cols, const float *x, float *y,
                        RoundingMode mode = RoundingMode::NearestEven,
                        ScaleChoice choice = ScaleChoice::Spec);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_MX_H
