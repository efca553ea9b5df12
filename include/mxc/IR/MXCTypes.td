//===- MXCTypes.td - mxc types -----------------------------*- tablegen -*-===//

#ifndef MXC_IR_MXCTYPES_TD
#define MXC_IR_MXCTYPES_TD

include "mxc/IR/MXCDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"
include "mlir/IR/BuiltinTypes.td"

class MXC_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<MXC_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def MXC_MXTensorType : MXC_Type<"MXTensor", "mx",
                                [ShapedTypeInterface, ValueSemantics]> {
  let summary = "tensor of microscaling (MX) blocks";
  let description = [{
    A tensor of logical shape `[d0, ..., dn-1, K]` whose values are stored as
    OCP MX blocks: `block` consecutive elements along the last axis (the
    reduction axis of a matmul weight) share one `f8E8M0FNU` scale, and each
    element is a low-precision code. Value `x = decode(element) * 2^(scale -
    127)`; a scale of 0xFF makes the whole block NaN.

    Syntax: `!mxc.mx<` dimensions `x` element-type (`, block = ` N)? `>`; the
    block size is printed only when it is not 32.

    | element type | MX format | bits | largest magnitude |
    |--------------|-----------|------|-------------------|
    | `f8E4M3FN`   | MXFP8 E4M3 | 8 | 448 |
    | `f8E5M2`     | MXFP8 E5M2 | 8 | 57344 |
    | `f6E2M3FN`   | MXFP6 E2M3 | 6 | 7.5 |
    | `f6E3M2FN`   | MXFP6 E3M2 | 6 | 28 |
    | `f4E2M1FN`   | MXFP4 E2M1 | 4 | 6 |
    | `i8`         | MXINT8 (two's complement times 2^-6) | 8 | 127/64 |

    Rules (checked by the verifier):

    | rule | example of a violation |
    |------|------------------------|
    | the element type is one of the six above | `!mxc.mx<4x32xf16>` |
    | rank >= 1; the last (block) axis is static and non-empty | `!mxc.mx<4x?xf4E2M1FN>` |
    | the block size is positive and at most 65536 | `!mxc.mx<32xi8, block = 0>` |
    | a block fills whole bytes (`block * bits % 8 == 0`) | `!mxc.mx<30xf4E2M1FN, block = 3>` |

    **Partial last block.** The block size need not divide `K` (a model with
    `K = 172` and blocks of 32 is valid). The last block of each row then holds
    `r = K mod block` real elements and its scale is computed from those `r`
    elements only. In packed storage the row still holds `ceil(K / block)`
    whole blocks: the partial block occupies a whole block's bytes, its
    `block - r` padding codes are 0 (+0). Rows therefore start on block
    boundaries.

    **Packed storage** (what lowerings and kernels read): element `i` of a
    block occupies bits `[w*i, w*i + w)` of the block's byte stream, least
    significant bit first; blocks follow each other row-major; the scales are a
    separate byte array, one per block, row-major.

    Example:

    ```mlir
    // A 4096x4096 MXFP4 weight: 128 blocks of 16 bytes per row.
    !mxc.mx<4096x4096xf4E2M1FN>
    // MXINT8 activations with a dynamic token count and blocks of 64.
    !mxc.mx<?x4096xi8, block = 64>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t", "logical shape">:$shape,
    "::mlir::Type":$elementType,
    DefaultValuedParameter<"int64_t", "32", "elements per block">:$blockSize
  );
  let builders = [
    TypeBuilderWithInferredContext<(ins
        "::llvm::ArrayRef<int64_t>":$shape, "::mlir::Type":$elementType,
        CArg<"int64_t", "32">:$blockSize), [{
      return $_get(elementType.getContext(), shape, elementType, blockSize);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 0;
  let extraClassDeclaration = [{
    /// ShapedTypeInterface: an MX tensor is always ranked.
    bool hasRank() const { return true; }
    /// ShapedTypeInterface: the same MX tensor with another shape or element
    /// type (the block size is kept).
    MXTensorType cloneWith(std::optional<::llvm::ArrayRef<int64_t>> shape,
                           ::mlir::Type elementType) const;

    /// The numerics-library format of the element type.
    ::mxc::numerics::ElemFormat getFormat() const;
    /// Number of logical elements along the block axis.
    int64_t getBlockAxisSize() const { return getShape().back(); }
    /// Blocks per row, ceil(K / block), the last one possibly partial.
    int64_t getNumBlocksPerRow() const;
    /// Bytes of one packed block (block * bits / 8).
    int64_t getBlockBytes() const;
    /// Packed element storage: the leading dimensions, then the packed bytes
    /// of a row (getNumBlocksPerRow() * getBlockBytes()), as i8.
    ::mlir::RankedTensorType getDataType() const;
    /// Scale storage: the leading dimensions, then getNumBlocksPerRow()
    /// scales, as f8E8M0FNU.
    ::mlir::RankedTensorType getScalesType() const;
  }];
}

#endif // MXC_IR_MXCTYPES_TD
