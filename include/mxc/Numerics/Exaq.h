//===- Exaq.h - EXAQ quantized softmax and its clipping value ---*- C++ -*-===//
//
// EXAQ (Shkolnik et al., 2024) quantizes the max-subtracted softmax input
// d = x - max(x) <= 0 to b bits on a uniform grid over [clip, 0] whose top
// level is exactly 0. The exponent then takes 2^b values (a table), and the
// row sum is sum_q count_q * LUT[q] (a histogram and a short dot product).
// EXAQ clamps the values below the grid to its lowest level, e^clip; mxc can
// instead let the lowest code stand for 0 (a zero floor: the values that
// round to it are dropped), with the same codes, kernels and table size.
//
// Two things live here:
//  * the quantized softmax as the kernels compute it, in f32 and in a fixed
//    order, so that lowered code can be checked bit for bit;
//  * the clipping value that minimises the expected squared error after the
//    exponent, E[(e^Q(d) - e^d)^2], under a Gaussian model of d or on
//    calibration samples of d.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_EXAQ_H
#define MXC_NUMERICS_EXAQ_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mxc::numerics {

/// The EXAQ quantizer for `bits` in [1, 8] and `clip` < 0.
struct ExaqQuantizer {
  int bits;
  double clip;
  /// Whether code 0 stands for 0 (a zero floor) instead of e^clip (EXAQ's
  /// clamp). Only the table changes: every value d < clip + step / 2, the
  /// ones below the clip included, then contributes nothing to the row.
  bool zeroFloor = false;
  /// The table the codes stand for, if not e^level(q) (fitExaqTable): 2^bits
  /// values, increasing, the last 1 (and the first 0 with a zero floor).
  /// The codes, and so the kernels, are the same; only LUT changes.
  std::vector<float> table = {};

  /// Number of levels, 2^bits.
  int levels() const { return 1 << bits; }
  /// Grid step, -clip / (2^bits - 1).
  double step() const { return -clip / (levels() - 1); }
  /// The f32 constants the kernels use: clip and 1 / step.
  float clipF32() const { return static_cast<float>(clip); }
  float inverseStepF32() const { return static_cast<float>(1.0 / step()); }

  /// The code of d = x - max in f32 arithmetic, exactly as kernels do it:
  /// t = (d - clip) * (1/step), clamped to [0, 2^b - 1] (NaN -> 0), then
  /// rounded half away from zero.
  int code(float d) const;
  /// The exact grid value of code q: clip + q * step.
  double level(int q) const { return clip + q * step(); }
  /// LUT[q] = exp(level(q)), computed in double, stored as f32;
  /// LUT[2^b - 1] = 1; LUT[0] = 0 with a zero floor. `table` if it is set.
  std::vector<float> exponentTable() const;
};

/// A table for `quantizer`'s codes fitted to samples of d (NaN samples left
/// out): each code's entry is the mean of e^d over the samples with that
/// code (Lloyd's reconstruction point for the fixed cells, so the row sum
/// is unbiased on these samples), divided by the top code's mean so that
/// the top entry is 1 (the softmax does not see a common factor). A code no
/// sample has keeps e^level(q) on the same scale; with a zero floor code 0
/// stays 0. Its result is usable as ExaqQuantizer::table.
std::vector<float> fitExaqTable(const ExaqQuantizer &quantizer, const float *d,
                                size_t n);

/// EXAQ softmax of one row of `n` values, bit for bit as the lowered code:
///   m = max(x); masked positions (x = -inf) are not counted;
///   q_i = code(x_i - m); count_q = #{i : q_i = q};
///   s = sum over q = 0 .. 2^b - 1 of f32(count_q) * LUT[q], in f32, in order;
///   y_i = LUT[q_i] / s, 0 for masked positions.
/// A row with no unmasked value yields zeros; a NaN anywhere yields NaN.
/// `counts`, if given, receives the 2^b counts; `codes`, if given, the n
/// codes q_i (0 for masked positions).
void exaqSoftmaxRow(const ExaqQuantizer &quantizer, const float *x, size_t n,
                    float *y, std::vector<uint32_t> *counts = nullptr,
                    uint8_t *codes = nullptr);

/// exaqSoftmaxRow in compact form, for up to 7 bits: each value's code
/// (`codes`, n of them) and the row's output per code (`rowTable`, 2^b of
/// them), such that y_i = codes[i] < 0 ? 0 : rowTable[codes[i]] is
/// exaqSoftmaxRow's y_i bit for bit. A masked value's code is -1, except in a
/// row with a NaN, whose codes are all >= 0 and whose table is all NaN.
/// `counts` as exaqSoftmaxRow's.
void exaqSoftmaxRowCodes(const ExaqQuantizer &quantizer, const float *x,
                         size_t n, int8_t *codes, float *rowTable,
                         std::vector<uint32_t> *counts = nullptr);

/// The exact softmax of one row in float64 (masked positions -> 0; a fully
/// masked row -> zeros).
void softmaxRowF64(const float *x, size_t n, double *y);

/// E[(e^Q(d) - e^d)^2] for d ~ N(mean, std^2) clipped at 0 (values above 0
/// become 0, where Q is exact and the error vanishes), by composite
/// Gauss-Legendre quadrature split at the quantization cells. With
/// `zeroFloor`, e^Q is 0 in the lowest cell (ExaqQuantizer::zeroFloor), here
/// and in every objective below.
double exaqGaussianError(int bits, double clip, double mean, double std,
                         bool zeroFloor = false);

/// The same objective on samples of d: mean of (e^Q(d_i) - e^(d_i))^2.
double exaqSampleError(int bits, double clip, const float *d, size_t n,
                       bool zeroFloor = false);

/// A clipping value and the objective there.
/// The lowest EXAQ clip mxc accepts: its levels e^(clip + q step) are
/// computed in f32, whose smallest subnormal is about e^-103.
constexpr double kMinExaqClip = -100;

struct ClipChoice {
  double clip;
  double error;
};

/// The clip minimising exaqGaussianError (grid scan, then golden section).
ClipChoice optimalClipGaussian(int bits, double mean, double std,
                               bool zeroFloor = false);

/// The clip minimising exaqSampleError on the samples (NaN samples are
/// left out, here and in optimalClipPooledRow).
ClipChoice optimalClipSamples(int bits, const float *d, size_t n,
                              bool zeroFloor = false);

/// A row-aware objective on samples of d: the samples pooled into one row,
/// the L1 distance sum_i |p^_i - p_i| between its exact softmax
/// p_i = e^(d_i) / sum_j e^(d_j) and its EXAQ softmax
/// p^_i = e^Q(d_i) / sum_j e^Q(d_j), computed in float64. Unlike the
/// per-element objective it sees the bias that every value below the clip
/// adds to the row sum.
double exaqPooledRowError(int bits, double clip, const float *d, size_t n,
                          bool zeroFloor = false);

/// The clip minimising exaqPooledRowError on the samples.
ClipChoice optimalClipPooledRow(int bits, const float *d, size_t n,
                                bool zeroFloor = false);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_EXAQ_H
