//===- SoftmaxClip.cpp - EXAQ clip from calibration statistics ------------===//

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/Numerics/Exaq.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

FailureOr<SoftmaxClipChoice>
mlir::mxc::chooseSoftmaxClip(SoftmaxStatsAttr stats, int64_t bits,
                             SoftmaxClipMode mode, bool zeroFloor,
                             std::string &reason) {
  const int b = static_cast<int>(bits);
  const double mean = stats.getMean().convertToDouble();
  const double std = stats.getStd().convertToDouble();
  // The observed minimum as a clip; a degenerate minimum of 0 is no clip.
  const double observedMin = std::min(stats.getMin().convertToDouble(), -1e-3);

  if (mode == SoftmaxClipMode::Analytic) {
    num::ClipChoice best = num::optimalClipGaussian(b, mean, std, zeroFloor);
    return SoftmaxClipChoice{
        bits, best.clip, best.error,
        num::exaqGaussianError(b, observedMin, mean, std, zeroFloor),
        num::exaqGaussianError(b, -8.0, mean, std, zeroFloor)};
  }

  DenseF32ArrayAttr samples = stats.getSamples();
  if (!samples || samples.empty()) {
    reason = std::string("mode=") +
             (mode == SoftmaxClipMode::Pooled ? "pooled" : "samples") +
             " needs 'samples' in the softmax statistics; calibrate with "
             "samples or use mode=analytic";
    return failure();
  }
  ArrayRef<float> d = samples.asArrayRef();
  const bool pooled = mode == SoftmaxClipMode::Pooled;
  auto error = pooled ? num::exaqPooledRowError : num::exaqSampleError;
  num::ClipChoice best =
      pooled ? num::optimalClipPooledRow(b, d.data(), d.size(), zeroFloor)
             : num::optimalClipSamples(b, d.data(), d.size(), zeroFloor);
  return SoftmaxClipChoice{bits, best.clip, best.error,
                           error(b, observedMin, d.data(), d.size(), zeroFloor),
                           error(b, -8.0, d.data(), d.size(), zeroFloor)};
}
