//===- MXCodegen.h - IR builders for MX encode and decode -------*- C++ -*-===//
//
// Scalar IR for the MX conversion rules of the numerics library, built with
// integer and f32 arith ops, for use inside linalg.generic bodies on the CPU
// and, later, in GPU kernels. Each builder mirrors one function of
// mxc/Numerics and is tested bit-exactly against it through the integration
// tests.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_CONVERSION_MXCODEGEN_H
#define MXC_CONVERSION_MXCODEGEN_H

#include "mxc/IR/MXCTypes.h"
#include "mxc/Numerics/Element.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::mxc {

/// The E8M0 scale byte (i8) of a block whose largest magnitude is the f32
/// `amax`: clamp(exponent_field(amax) - emax, 0, 254), 0xFF if `amax` is NaN
/// or Inf. With `ceil`, one more where amax / 2^(scale - 127) is above the
/// format's largest element (and the scale below 254). Mirrors
/// numerics::sharedExponent (ScaleChoice::Spec or Ceil) + encodeE8M0.
Value buildScaleFromAmax(OpBuilder &b, Location loc,
                         ::mxc::numerics::ElemFormat format, Value amax,
                         bool ceil = false);

/// 2^(127 - s) as f32 for a finite scale byte `s` (i8): the exact factor
/// that divides a block's values by its scale.
Value buildInverseScale(OpBuilder &b, Location loc, Value scale);

/// 2^(s - 127) as f32 for scale byte `s` (i8): 2^-127 (an f32 subnormal)
/// for 0, NaN for 0xFF. Mirrors numerics::decodeE8M0.
Value buildScaleValue(OpBuilder &b, Location loc, Value scale);

/// The element code (i8, low `bits` bits) of the f32 `scaled` in `format`:
/// round to nearest with `mode`, saturating at the largest normal, sign of
/// zero kept. Integer operations on the bit pattern. Mirrors
/// numerics::encodeElement for every input the MX conversion produces.
Value buildEncodeElement(OpBuilder &b, Location loc,
                         ::mxc::numerics::ElemFormat format,
                         ::mxc::numerics::RoundingMode mode, Value scaled);

/// The EXAQ code (i32) of the f32 `d` = x - row max, as
/// numerics::ExaqQuantizer::code computes it: t = (d - clip) * inverseStep,
/// clamped to [0, levels - 1] (NaN -> 0), rounded half away from zero. The
/// CPU softmax and attention lowerings and the GPU softmax kernel share it.
Value buildExaqCode(OpBuilder &b, Location loc, Value d, Value clip,
                    Value inverseStep, int64_t levels);

/// A constant tensor<2^bits x f32>: the value of every code of `format`, from
/// numerics::decodeElement.
Value buildDecodeTable(OpBuilder &b, Location loc,
                       ::mxc::numerics::ElemFormat format);

/// The code (i32) of element `inBlock` of block `block` in row `row` of the
/// packed 2-D storage `data` (tensor<R x rowBytes x i8>), per the packing
/// rule: bits [w*i, w*i + w) of the block's LSB-first byte stream.
Value buildExtractCode(OpBuilder &b, Location loc, MXTensorType type,
                       Value data, Value row, Value block, Value inBlock);

/// The f32 value of that element: table[code] * 2^(scale - 127).
Value buildDecodeElement(OpBuilder &b, Location loc, MXTensorType type,
                         Value table, Value data, Value scales2d, Value row,
                         Value block, Value inBlock);

/// Converts the f32 `value` to the float type `type` (extf/truncf; identity
/// for f32).
Value buildFloatCast(OpBuilder &b, Location loc, Value value, Type type);

/// Collapses a ranked tensor to 2-D [product of leading dims, last dim]
/// (expanding a 1-D tensor to [1, n]).
Value buildCollapseTo2D(OpBuilder &b, Location loc, Value tensor);

/// The inverse of buildCollapseTo2D: reshapes the 2-D `tensor` to `type`,
/// whose leading dimensions flatten to its first dimension.
Value buildExpandFrom2D(OpBuilder &b, Location loc, Value tensor,
                        RankedTensorType type, Value like);

} // namespace mlir::mxc

#endif // MXC_CONVERSION_MXCODEGEN_H
