//===- SoftmaxClip.h - EXAQ clip from calibration statistics ----*- C++ -*-===//
//
// The clipping-value analysis of the EXAQ softmax: from the calibration
// statistics attached to an mxc.softmax or mxc.attention, the clip that
// minimises the expected squared error after the exponent (numerics library,
// mxc/Numerics/Exaq.h).
//
//===----------------------------------------------------------------------===//

#ifndef MXC_ANALYSIS_SOFTMAXCLIP_H
#define MXC_ANALYSIS_SOFTMAXCLIP_H

#include "mxc/IR/MXCAttrs.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::mxc {

/// Which model of d = x - max(x) the clip is optimised under.
enum class SoftmaxClipMode {
  /// A Gaussian with the statistics' mean and std, clipped at 0.
  Analytic,
  /// The statistics' samples themselves.
  Samples,
  /// The samples pooled into one row, under the row-aware objective
  /// numerics::exaqPooledRowError (the L1 error of the normalised softmax).
  Pooled,
};

/// A clip and what the analysis knows about it.
struct SoftmaxClipChoice {
  int64_t bits;
  double clip;
  /// The objective at `clip`: E[(e^Q(d) - e^d)^2], or with Pooled the
  /// pooled row's L1 error.
  double error;
  /// The objective at the naive clips: the observed minimum and -8.
  double errorAtObservedMin;
  double errorAtMinus8;
};

/// Chooses the EXAQ clip for `bits` bits from `stats`, for the clamp of EXAQ
/// or, with `zeroFloor`, for a table whose code 0 stands for 0. Fails, with
/// the reason in `reason`, when `mode` is Samples or Pooled and `stats` holds
/// no samples.
FailureOr<SoftmaxClipChoice>
chooseSoftmaxClip(SoftmaxStatsAttr stats, int64_t bits, SoftmaxClipMode mode,
                  bool zeroFloor, std::string &reason);

} // namespace mlir::mxc

#endif // MXC_ANALYSIS_SOFTMAXCLIP_H
