//===- MXCAttrs.td - mxc attributes and enums --------------*- tablegen -*-===//

#ifndef MXC_IR_MXCATTRS_TD
#define MXC_IR_MXCATTRS_TD

include "mxc/IR/MXCDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class MXC_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<MXC_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def MXC_RoundingModeAttr : I32EnumAttr<"RoundingMode",
    "MX element rounding mode", [
      I32EnumAttrCase<"NearestEven", 0, "to_nearest_even">,
      I32EnumAttrCase<"NearestAway", 1, "to_nearest_away">
    ]> {
  let cppNamespace = "::mlir::mxc";
  let description = [{
    `to_nearest_even` (the default, as `arith.truncf` and PTX `cvt.rn`) or
    `to_nearest_away` (ties away from zero, the microxcaling library's
    `nearest`). The names and the keyword syntax follow `arith`'s rounding
    modes.
  }];
}

def MXC_ScaleChoiceAttr : I32EnumAttr<"ScaleChoice",
    "how an MX block's shared exponent is chosen", [
      I32EnumAttrCase<"Spec", 0, "spec">,
      I32EnumAttrCase<"Ceil", 2, "ceil">
    ]> {
  let cppNamespace = "::mlir::mxc";
  let description = [{
    `spec` (the default): the OCP spec's `floor(log2(amax)) - emax`, which
    clips a block's largest magnitude where its significand is above the
    element format's largest (for E4M3 above 1.75: by up to 12.5 %).
    `ceil`: `ceil(log2(amax / max_elem))`, the smallest exponent at which no
    element saturates, i.e. the spec's or one more. The values are
    `numerics::ScaleChoice`'s.
  }];
}

/// A float64 parameter printed so that it parses back to the same bits.
class MXC_F64Parameter<string desc> : APFloatParameter<desc> {
  let parser = [{ ::mlir::mxc::detail::parseF64($_parser) }];
  let printer = [{ $_printer.printFloat($_self) }];
}

/// A bool parameter written `true` or `false`, elided when false.
class MXC_BoolParameter<string desc>
    : DefaultValuedParameter<"bool", "false", desc> {
  let parser = [{ ::mlir::mxc::detail::parseBool($_parser) }];
  let printer = [{ $_printer << ($_self ? "true" : "false") }];
}

class MXC_F32ArrayParameter<string desc>
    : OptionalParameter<"::mlir::DenseF32ArrayAttr", desc> {
  let printer = [{ ::mlir::mxc::detail::printF32Array($_printer, $_self) }];
}

def MXC_ExaqAttr : MXC_Attr<"Exaq", "exaq"> {
  let summary = "EXAQ softmax-input quantization: bit width, clip, floor";
  let description = [{
    Quantizes the max-subtracted softmax input `d = x - max(x) <= 0` to `bits`
    bits on a uniform grid over `[clip, 0]` whose top level is exactly 0:

    ```
    step = -clip / (2^bits - 1)
    q    = clamp(round((d - clip) / step), 0, 2^bits - 1)
    e    = LUT[q] = exp(clip + q * step)
    y    = e / sum_q(count_q * LUT[q])
    ```

    Values below `clip` are clamped to it (not flushed to zero), as in EXAQ.
    With `zero_floor = true` the lowest code stands for 0 instead:
    `LUT[0] = 0`, so every value that rounds to it (all d < clip + step / 2)
    drops out of the row. The codes, the table's size and the kernels stay
    the same; the row's maximum always has the top code, so the sum is at
    least 1. `clip` is fixed or comes from the clipping-value analysis
    (`mxc-softmax-clip`).

    `table`, if given, replaces the table `LUT` (the codes stay the same):
    its `2^bits` entries are in [0, 1], never decreasing, and the last is 1
    (the first is 0 with `zero_floor`). `softmax-table=fit` sets it to the
    mean of e^d of each code's calibration values (numerics::fitExaqTable).

    | rule | violation |
    |------|-----------|
    | 1 <= bits <= 8 | `#mxc.exaq<bits = 9, clip = -4.0>` |
    | clip is negative and finite | `#mxc.exaq<bits = 2, clip = 0.5>` |
    | table has 2^bits entries | `#mxc.exaq<bits = 1, clip = -4.0, table = [0.1, 0.5, 1.0]>` |
    | table entries in [0, 1], not decreasing | `table = [0.5, 0.1, 0.2, 1.0]` |
    | the last entry is 1 | `table = [0.1, 0.5]` |
    | the first is 0 with zero_floor | `zero_floor = true, table = [0.1, 1.0]` |

    Example: `#mxc.exaq<bits = 2, clip = -5.5>` has the 4 levels -5.5,
    -3.667, -1.833 and 0; `#mxc.exaq<bits = 2, clip = -4.5, zero_floor =
    true>` has the table 0, e^-3, e^-1.5 and 1; `#mxc.exaq<bits = 2, clip =
    -4.5, zero_floor = true, table = [0.0, 0.065, 0.23, 1.0]>` the same codes
    with another table.
  }];
  let parameters = (ins
    "int64_t":$bits,
    MXC_F64Parameter<"lower end of the quantization grid (< 0)">:$clip,
    MXC_BoolParameter<"whether code 0 stands for 0 (else e^clip)">:$zero_floor,
    MXC_F32ArrayParameter<"the codes' values, if not e^level">:$table
  );
  let builders = [
    AttrBuilder<(ins "int64_t":$bits, "double":$clip,
                     CArg<"bool", "false">:$zeroFloor,
                     CArg<"::llvm::ArrayRef<float>", "{}">:$table), [{
      return $_get($_ctxt, bits, ::llvm::APFloat(clip), zeroFloor,
                   table.empty() ? ::mlir::DenseF32ArrayAttr()
                                 : ::mlir::DenseF32ArrayAttr::get($_ctxt,
                                                                  table));
    }]>
  ];
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The clip as a double.
    double getClipValue() const { return getClip().convertToDouble(); }
    /// Number of quantization levels, 2^bits.
    int64_t getNumLevels() const { return int64_t(1) << getBits(); }
    /// The quantizer this attribute stands for.
    ::mxc::numerics::ExaqQuantizer getQuantizer() const;
  }];
}

def MXC_SoftmaxStatsAttr : MXC_Attr<"SoftmaxStats", "softmax_stats"> {
  let summary = "calibration statistics of a softmax input";
  let description = [{
    What calibration observed of the max-subtracted softmax input
    `d = x - max(x)` over all unmasked positions of all rows (the row maxima,
    where d = 0, included): its mean, standard deviation and minimum, the
    number of values, and optionally a sample of the values themselves.
    `mxc-softmax-clip` reads it to choose the EXAQ clip: `mode=analytic` from
    `mean` and `std` (a Gaussian model clipped at 0), `mode=samples` from
    `samples`.

    | rule | violation |
    |------|-----------|
    | `count` >= 0 | `count = -1` |
    | `std` >= 0 and finite | `std = -1.0` |
    | `min` <= `mean` <= 0 (d is never positive) | `mean = 0.5` |
    | every sample is finite and <= 0 | `samples = [1.0]` |

    Example:
    ```mlir
    %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -4.1, std = 2.9,
           min = -17.5, count = 65536>} : tensor<8x512xf32>
    ```
  }];
  let parameters = (ins
    MXC_F64Parameter<"mean of d">:$mean,
    MXC_F64Parameter<"standard deviation of d">:$std,
    MXC_F64Parameter<"smallest d seen">:$min,
    "int64_t":$count,
    MXC_F32ArrayParameter<"a sample of d">:$samples
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // MXC_IR_MXCATTRS_TD
