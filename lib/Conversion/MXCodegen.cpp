//===- MXCodegen.cpp - IR builders for MX encode and decode ---------------===//

#include "mxc/Conversion/MXCodegen.h"
#include "mxc/Numerics/Formats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {
/// Terse arith on i32 values, for the bit manipulations below.
struct I32Builder {
  OpBuilder &b;
  Location loc;

  Value c(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value smax(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value smin(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value zext(Value x) {
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), x);
  }
  Value trunc8(Value x) {
    return arith::TruncIOp::create(b, loc, b.getI8Type(), x);
  }
  Value bitsOf(Value f32) {
    return arith::BitcastOp::create(b, loc, b.getI32Type(), f32);
  }
  Value f32Of(Value bits) {
    return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
  }
};
} // namespace

Value mlir::mxc::buildScaleFromAmax(OpBuilder &b, Location loc,
                                    num::ElemFormat format, Value amax,
                                    bool ceil) {
  I32Builder i{b, loc};
  Value field = i.andI(i.shr(i.bitsOf(amax), i.c(23)), i.c(0xFF));
  // floor(log2 amax) - emax + 127, clamped to [0, 254]; f32 subnormals and
  // zero have field 0, which clamps to 0 as their true exponents would.
  Value scale = i.sub(field, i.c(num::getFormatInfo(format).emax));
  scale = i.smin(i.smax(scale, i.c(0)), i.c(254));
  if (ceil) {
    // amax * 2^(127 - scale) is exact: below 2^(emax + 1), and at least
    // 2^-22 unless amax is 0. For scale 254 the factor's bits are +0, which
    // bumps nothing. A non-finite amax gets the NaN scale below.
    Value inverse = i.f32Of(i.shl(i.sub(i.c(254), scale), i.c(23)));
    Value clipped = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGT,
        arith::MulFOp::create(b, loc, amax, inverse),
        arith::ConstantFloatOp::create(
            b, loc, b.getF32Type(),
            APFloat(static_cast<float>(num::getFormatInfo(format).maxNormal))));
    scale = i.select(clipped, i.add(scale, i.c(1)), scale);
  }
  Value nonFinite = i.cmp(arith::CmpIPredicate::eq, field, i.c(0xFF));
  return i.trunc8(i.select(nonFinite, i.c(num::kE8M0NaN), scale));
}

Value mlir::mxc::buildInverseScale(OpBuilder &b, Location loc, Value scale) {
  I32Builder i{b, loc};
  // 2^(127 - s) has exponent field 254 - s. For s = 254 (reached only by
  // MXINT8, emax 0, with amax >= 2^127) that is 2^-127, an f32 subnormal.
  Value s = i.zext(scale);
  Value normal = i.shl(i.sub(i.c(254), s), i.c(23));
  return i.f32Of(i.select(i.cmp(arith::CmpIPredicate::eq, s, i.c(254)),
                          i.c(0x00400000), normal));
}

Value mlir::mxc::buildScaleValue(OpBuilder &b, Location loc, Value scale) {
  I32Builder i{b, loc};
  Value s = i.zext(scale);
  Value normal = i.shl(s, i.c(23));
  Value bits = i.select(i.cmp(arith::CmpIPredicate::eq, s, i.c(0)),
                        i.c(0x00400000), normal); // 2^-127, subnormal.
  bits = i.select(i.cmp(arith::CmpIPredicate::eq, s, i.c(0xFF)),
                  i.c(0x7FC00000), bits); // NaN.
  return i.f32Of(bits);
}

Value mlir::mxc::buildExaqCode(OpBuilder &b, Location loc, Value d, Value clip,
                               Value inverseStep, int64_t levels) {
  auto f32 = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  Value t = arith::MulFOp::create(
      b, loc, arith::SubFOp::create(b, loc, d, clip), inverseStep);
  // maxnumf/minnumf drop a NaN operand, as fmax/fmin do in the library.
  t = arith::MinNumFOp::create(b, loc,
                               arith::MaxNumFOp::create(b, loc, t, f32(0.0)),
                               f32(static_cast<double>(levels - 1)));
  return arith::FPToSIOp::create(b, loc, b.getI32Type(),
                                 math::RoundOp::create(b, loc, t));
}

Value mlir::mxc::buildEncodeElement(OpBuilder &b, Location loc,
                                    num::ElemFormat format,
                                    num::RoundingMode mode, Value scaled) {
  const num::FormatInfo &info = num::getFormatInfo(format);
  I32Builder i{b, loc};
  Value u = i.bitsOf(scaled);
  Value sign = i.shr(u, i.c(31));
  Value field = i.andI(i.shr(u, i.c(23)), i.c(0xFF));
  Value mantissa = i.andI(u, i.c(0x7FFFFF));
  Value isNormal = i.cmp(arith::CmpIPredicate::ne, field, i.c(0));
  // Significand with its implicit bit, and the unbiased exponent, such that
  // |value| = sig * 2^(exp - 23) (f32 subnormals: exp = -126, no implicit 1).
  Value sig = i.select(isNormal, i.orI(mantissa, i.c(0x800000)), mantissa);
  Value exp = i.sub(i.smax(field, i.c(1)), i.c(127));

  // Drop `shift` low bits of sig, rounding: the quantum of the target binade
  // is 2^(E - m) with E = max(exp, emin) for floats, 2^-6 for MXINT8.
  const int m = static_cast<int>(info.mantissaBits);
  const int emin = info.isInteger ? 0 : 1 - info.bias;
  Value binade = info.isInteger ? i.c(0) : i.smax(exp, i.c(emin));
  Value rawShift = info.isInteger ? i.sub(i.c(23 - m), exp)
                                  : i.add(i.c(23 - m), i.sub(binade, exp));
  // shift >= 1 always holds for floats (rawShift >= 23 - m); beyond 25 every
  // bit is below half a quantum, so 25 gives the same result without an
  // out-of-range shift. MXINT8 values >= 2^17 (rawShift < 1) saturate.
  Value shift = i.smin(i.smax(rawShift, i.c(1)), i.c(25));
  Value q = i.shr(sig, shift);
  Value rem = i.andI(sig, i.sub(i.shl(i.c(1), shift), i.c(1)));
  Value half = i.shl(i.c(1), i.sub(shift, i.c(1)));
  Value up;
  if (mode == num::RoundingMode::NearestAway) {
    up = i.cmp(arith::CmpIPredicate::uge, rem, half);
  } else {
    Value above = i.cmp(arith::CmpIPredicate::ugt, rem, half);
    Value tie = i.cmp(arith::CmpIPredicate::eq, rem, half);
    Value odd = i.cmp(arith::CmpIPredicate::ne, i.andI(q, i.c(1)), i.c(0));
    up = arith::OrIOp::create(b, loc, above,
                              arith::AndIOp::create(b, loc, tie, odd));
  }
  Value rounded = i.add(q, i.zext(up));

  if (info.isInteger) {
    Value magnitude = i.smin(rounded, i.c(127));
    magnitude = i.select(i.cmp(arith::CmpIPredicate::slt, rawShift, i.c(1)),
                         i.c(127), magnitude);
    Value negated = i.sub(i.c(0), magnitude);
    Value isNegative = i.cmp(arith::CmpIPredicate::ne, sign, i.c(0));
    return i.trunc8(i.select(isNegative, negated, magnitude));
  }

  // Magnitude code: ((E - emin) << m) + rounded covers normals, subnormals
  // (E = emin, rounded < 2^m) and a carry into the next binade alike. Codes
  // grow with magnitude, so saturation is a min with the largest normal.
  uint8_t maxNormalCode = num::encodeElement(format, info.maxNormal);
  Value magnitude = i.add(i.shl(i.sub(binade, i.c(emin)), i.c(m)), rounded);
  magnitude = i.smin(magnitude, i.c(maxNormalCode));
  return i.trunc8(i.orI(magnitude, i.shl(sign, i.c(info.bits - 1))));
}

Value mlir::mxc::buildDecodeTable(OpBuilder &b, Location loc,
                                  num::ElemFormat format) {
  const unsigned numCodes = 1u << num::getFormatInfo(format).bits;
  SmallVector<float> values;
  for (unsigned code = 0; code < numCodes; ++code)
    values.push_back(static_cast<float>(num::decodeElement(format, code)));
  auto type = RankedTensorType::get({numCodes}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

Value mlir::mxc::buildExtractCode(OpBuilder &b, Location loc, MXTensorType type,
                                  Value data, Value row, Value block,
                                  Value inBlock) {
  const unsigned bits = num::getFormatInfo(type.getFormat()).bits;
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value bitPos = arith::MulIOp::create(b, loc, inBlock, idx(bits));
  Value byteInBlock = arith::DivUIOp::create(b, loc, bitPos, idx(8));
  Value byteIdx = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, block, idx(type.getBlockBytes())),
      byteInBlock);
  I32Builder i{b, loc};
  Value lo =
      i.zext(tensor::ExtractOp::create(b, loc, data, ValueRange{row, byteIdx}));
  if (bits == 8)
    return lo;
  Value shift = arith::IndexCastOp::create(
      b, loc, b.getI32Type(), arith::RemUIOp::create(b, loc, bitPos, idx(8)));
  Value word = lo;
  if (bits == 6) {
    // A 6-bit code may straddle two bytes, both inside its block; read the
    // second byte only then, so the read never leaves the row.
    Value crosses = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ugt,
        arith::RemUIOp::create(b, loc, bitPos, idx(8)), idx(8 - bits));
    Value hiIdx = arith::SelectOp::create(
        b, loc, crosses, arith::AddIOp::create(b, loc, byteIdx, idx(1)),
        byteIdx);
    Value hi =
        i.zext(tensor::ExtractOp::create(b, loc, data, ValueRange{row, hiIdx}));
    word = i.orI(lo, i.shl(hi, i.c(8)));
  }
  return i.andI(i.shr(word, shift), i.c((1 << bits) - 1));
}

Value mlir::mxc::buildDecodeElement(OpBuilder &b, Location loc,
                                    MXTensorType type, Value table, Value data,
                                    Value scales2d, Value row, Value block,
                                    Value inBlock) {
  Value code = buildExtractCode(b, loc, type, data, row, block, inBlock);
  Value codeIdx = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), code);
  Value element = tensor::ExtractOp::create(b, loc, table, codeIdx);
  Value scale =
      tensor::ExtractOp::create(b, loc, scales2d, ValueRange{row, block});
  Value scaleBits = arith::BitcastOp::create(b, loc, b.getI8Type(), scale);
  return arith::MulFOp::create(b, loc, element,
                               buildScaleValue(b, loc, scaleBits));
}

Value mlir::mxc::buildFloatCast(OpBuilder &b, Location loc, Value value,
                                Type type) {
  unsigned from = value.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (value.getType() == type)
    return value;
  if (to > from)
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

Value mlir::mxc::buildCollapseTo2D(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return tensor;
  if (rank == 1) {
    auto to =
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, to, tensor, ArrayRef<ReassociationIndices>{{0, 1}},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1),
                               b.getIndexAttr(type.getDimSize(0))});
  }
  ReassociationIndices leading;
  for (int64_t d = 0; d < rank - 1; ++d)
    leading.push_back(d);
  return tensor::CollapseShapeOp::create(
      b, loc, tensor, ArrayRef<ReassociationIndices>{leading, {rank - 1}});
}

Value mlir::mxc::buildExpandFrom2D(OpBuilder &b, Location loc, Value tensor,
                                   RankedTensorType type, Value like) {
  int64_t rank = type.getRank();
  if (rank == 2)
    return tensor;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, type, tensor, ArrayRef<ReassociationIndices>{{0, 1}});
  // Leading dimensions come from `like`, which has them; the last is static.
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank - 1; ++d) {
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, like, d).getResult());
    else
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  }
  sizes.push_back(b.getIndexAttr(type.getDimSize(rank - 1)));
  ReassociationIndices leading;
  for (int64_t d = 0; d < rank - 1; ++d)
    leading.push_back(d);
  return tensor::ExpandShapeOp::create(
      b, loc, type, tensor, ArrayRef<ReassociationIndices>{leading, {rank - 1}},
      sizes);
}
