//===- MXCToLinalg.h - mxc to linalg/tensor/arith on tensors ----*- C++ -*-===//
//
// The lowering of the mxc dialect as a dialect conversion. An MX value
// (`!mxc.mx<...>`) becomes its storage, two tensors: the packed element bytes
// and the E8M0 scales (a 1:N type conversion). The op patterns receive MX
// operands as that pair, and the structural patterns carry the pair through
// function signatures, calls, returns, cf.br and cf.cond_br, scf regions and
// arith.select, so MX values may cross any of them.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_CONVERSION_MXCTOLINALG_MXCTOLINALG_H
#define MXC_CONVERSION_MXCTOLINALG_MXCTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::mxc {

/// Maps `!mxc.mx<shape x elem>` to (`getDataType()`, `getScalesType()`),
/// e.g. `!mxc.mx<4x64xf4E2M1FN>` to `tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>`,
/// and every other type to itself. Its materializations are mxc.assemble
/// (storage -> MX value) and mxc.disassemble (MX value -> storage), so that
/// a partial conversion leaves valid IR.
class MXStorageTypeConverter : public TypeConverter {
public:
  MXStorageTypeConverter();
};

/// Adds the patterns that lower mxc.assemble, mxc.disassemble,
/// mxc.quantize, mxc.dequantize, mxc.matmul, mxc.softmax and mxc.attention
/// to linalg/tensor/arith/math/scf on tensors. `countAttentionTiles`
/// instruments every attention lowering; `matmulRowsInnermost` orders each
/// matmul's loops with its rows innermost (see convert-mxc-to-linalg).
void populateMXCToLinalgConversionPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           bool countAttentionTiles = false,
                                           bool matmulRowsInnermost = false);

/// Adds the patterns that convert the types of func.func signatures,
/// func.call, func.return, cf.br, cf.cond_br, scf.for/if/while/yield/condition
/// and arith.select, and makes those ops legal exactly when their types are.
void populateMXStructuralConversionsAndLegality(const TypeConverter &converter,
                                                RewritePatternSet &patterns,
                                                ConversionTarget &target);

/// Reports (as errors) every op under `root` that the conversion cannot
/// lower: an mxc op on element types it does not support, and an op outside
/// the structural set above that takes or yields an MX value. Runs before
/// the conversion, so that a failure names its cause.
LogicalResult checkMXCToLinalgPreconditions(Operation *root);

} // namespace mlir::mxc

#endif // MXC_CONVERSION_MXCTOLINALG_MXCTOLINALG_H
