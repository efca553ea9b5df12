//===- Formats.cpp - MX element format table ------------------------------===//

#include "mxc/Numerics/Formats.h"

#include <cmath>

using namespace mxc::numerics;

namespace {
// Values from OCP MX v1.0 (and microxcaling's mx/formats.py); min normal and
// min subnormal follow from the field widths and the bias.
const FormatInfo kFormatTable[] = {
    {ElemFormat::E4M3, "mxfp8_e4m3", "f8E4M3FN", 8, 4, 3, 7, 8, 448.0, 0x1p-6,
     0x1p-9, /*hasInf=*/false, /*hasNaN=*/true, /*isInteger=*/false},
    {ElemFormat::E5M2, "mxfp8_e5m2", "f8E5M2", 8, 5, 2, 15, 15, 57344.0,
     0x1p-14, 0x1p-16, true, true, false},
    {ElemFormat::E2M3, "mxfp6_e2m3", "f6E2M3FN", 6, 2, 3, 1, 2, 7.5, 1.0, 0.125,
     false, false, false},
    {ElemFormat::E3M2, "mxfp6_e3m2", "f6E3M2FN", 6, 3, 2, 3, 4, 28.0, 0.25,
     0.0625, false, false, false},
    {ElemFormat::E2M1, "mxfp4", "f4E2M1FN", 4, 2, 1, 1, 2, 6.0, 1.0, 0.5, false,
     false, false},
    {ElemFormat::Int8, "mxint8", "i8", 8, 0, 6, 0, 0, 127.0 / 64.0, 0x1p-6,
     0x1p-6, false, false, true},
};
} // namespace

const FormatInfo &mxc::numerics::getFormatInfo(ElemFormat format) {
  return kFormatTable[static_cast<unsigned>(format)];
}

std::optional<ElemFormat>
mxc::numerics::parseElemFormat(std::string_view name) {
  for (const FormatInfo &info : kFormatTable)
    if (name == info.name || name == info.mlirTypeName)
      return info.format;
  // OCP spells the FP8 formats both ways.
  if (name == "mxfp8")
    return ElemFormat::E4M3;
  if (name == "mxfp6")
    return ElemFormat::E2M3;
  return std::nullopt;
}

bool mxc::numerics::isValidBlockSize(ElemFormat format, int64_t blockSize) {
  return blockSize > 0 && blockSize <= kMaxBlockSize &&
         (blockSize * getFormatInfo(format).bits) % 8 == 0;
}
