//===- FormatOption.h - MX formats as enum pass options ---------*- C++ -*-===//
//
// The values of a pass option that names an MX element format
// (`mxc-rtn{format=mxfp4}`), so that a wrong name fails when the pipeline is
// parsed, listing the valid ones, instead of when the pass runs.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TRANSFORMS_FORMATOPTION_H
#define MXC_TRANSFORMS_FORMATOPTION_H

#include "mxc/Numerics/Formats.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::mxc {

/// `llvm::cl::values` of every MX element format under its OCP name.
inline llvm::cl::ValuesClass elemFormatValues() {
  using ::mxc::numerics::ElemFormat;
  return llvm::cl::values(
      clEnumValN(ElemFormat::E4M3, "mxfp8_e4m3", "MXFP8 E4M3"),
      clEnumValN(ElemFormat::E5M2, "mxfp8_e5m2", "MXFP8 E5M2"),
      clEnumValN(ElemFormat::E2M3, "mxfp6_e2m3", "MXFP6 E2M3"),
      clEnumValN(ElemFormat::E3M2, "mxfp6_e3m2", "MXFP6 E3M2"),
      clEnumValN(ElemFormat::E2M1, "mxfp4", "MXFP4 E2M1"),
      clEnumValN(ElemFormat::Int8, "mxint8", "MXINT8"));
}

} // namespace mlir::mxc

#endif // MXC_TRANSFORMS_FORMATOPTION_H
