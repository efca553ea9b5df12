//===- Patterns.h - The op patterns of convert-mxc-to-linalg ----*- C++ -*-===//
//
// One file per mxc op lowering; each adds its pattern and says, before the
// conversion starts, why an op cannot be lowered.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_LIB_CONVERSION_MXCTOLINALG_PATTERNS_H
#define MXC_LIB_CONVERSION_MXCTOLINALG_PATTERNS_H

#include "mxc/IR/MXCOps.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::mxc {

void populateQuantizeLowering(const TypeConverter &, RewritePatternSet &);
void populateDequantizeLowering(const TypeConverter &, RewritePatternSet &);
/// With `rowsInnermost`, a matmul's loops run over its rows innermost: for
/// many rows (prefill, calibration) LLVM's loop vectorizer fills vector
/// lanes with rows while the weight element is decoded once per (n, k); for
/// one row it only adds overhead. The results are identical.
void populateMatmulLowering(const TypeConverter &, RewritePatternSet &,
                            bool rowsInnermost = false);
void populateSoftmaxLowering(const TypeConverter &, RewritePatternSet &);
void populateAttentionLowering(const TypeConverter &, RewritePatternSet &,
                               bool countTiles);

/// Each reports (as an error on `op`) why `op` cannot be lowered, if it
/// cannot.
LogicalResult checkLowerable(QuantizeOp op);
LogicalResult checkLowerable(MatmulOp op);
LogicalResult checkLowerable(SoftmaxOp op);
LogicalResult checkLowerable(AttentionOp op);

} // namespace mlir::mxc

#endif // MXC_LIB_CONVERSION_MXCTOLINALG_PATTERNS_H
