//===- PTQ.h - SmoothQuant and RTN for MX formats ---------------*- C++ -*-===//
//
// Post-training quantization of linear layers y = x W^T (W: [out, in]):
//  * SmoothQuant (Xiao et al.; as in d-Matrix's dmx-compressor): per input
//    channel j, s_j = max|X_j|^alpha / max|W_j|^(1 - alpha); x / s and W * s
//    leave x W^T unchanged and move activation outliers into the weight.
//  * Plain round-to-nearest (RTN), and weight SQNR.
// GPTQ and the Hessian-based measures are in GPTQ.h (they need BLAS/LAPACK;
// this part of the library needs nothing but the C++ runtime, so that the
// GPU test executables stay self-contained).
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_PTQ_H
#define MXC_NUMERICS_PTQ_H

#include "mxc/Numerics/MX.h"

#include <string>
#include <vector>

namespace mxc::numerics {

/// SmoothQuant scales for `k` input channels: `activationAbsMax[j]` is
/// max|X_j| over calibration rows; `weights` are the [n_i, k] row-major
/// weights of every layer that reads this activation (q, k and v share one
/// s), of which the column maxima max|W_j| are taken together. Both maxima
/// and the result are clamped to >= 1e-5.
std::vector<double>
smoothQuantScales(const std::vector<float> &activationAbsMax,
                  const std::vector<std::pair<const float *, int64_t>> &weights,
                  int64_t k, double alpha = 0.5);

/// SmoothQuant's rewrites for the scales `s` of k channels, in f32 as the
/// compiled model stores them (mxc-smoothquant and the tuner both apply
/// them): a reader's weight [n, k] times s per column; a per-channel vector
/// that describes the input (a norm's gain, act_absmax) divided by s; the
/// factors 1/s on an input no gain absorbs; the input's Hessian [k, k] as
/// that of x / s, H_ij / (s_i s_j).
void smoothWeightColumns(float *w, int64_t n, const std::vector<double> &s);
void divideBySmoothScales(float *v, const std::vector<double> &s);
std::vector<float> smoothInputFactors(const std::vector<double> &s);
void smoothHessian(float *h, const std::vector<double> &s);

/// The result of quantizing a weight.
struct QuantizedWeight {
  MXTensor tensor;
  /// The dequantized weight, [n, k] row-major.
  std::vector<double> dequantized;
};

/// Round-to-nearest MX quantization of `w` ([n, k]).
QuantizedWeight rtnQuantize(const float *w, int64_t n, int64_t k,
                            ElemFormat format, int64_t blockSize,
                            RoundingMode rounding = RoundingMode::NearestEven,
                            ScaleChoice scales = ScaleChoice::Spec);

/// Weight SQNR in dB: 10 log10(|W|^2 / |W - W^|^2).
double weightSQNR(const float *w, const std::vector<double> &wHat, int64_t n,
                  int64_t k);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_PTQ_H
