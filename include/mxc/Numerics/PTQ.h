//===- PTQ.h - SmoothQuant and GPTQ for MX formats --------------*- C++ -*-===//
//
// Post-training quantization of linear layers y = x W^T (W: [out, in]):
//  * SmoothQuant (Xiao et al.; as in d-Matrix's dmx-compressor): per input
//    channel j, s_j = max|X_j|^alpha / max|W_j|^(1 - alpha); x / s and W * s
//    leave x W^T unchanged and move activation outliers into the weight.
//  * GPTQ (Frantar et al.) with an MX quantizer: columns of W are quantized
//    one MX block (32 columns) at a time, the block's shared exponent taken
//    from the error-updated weights, and the block's error propagated to the
//    columns not yet quantized through the upper Cholesky factor of H^-1,
//    in lazy batches of 128 columns.
//  * Plain round-to-nearest (RTN) for comparison, and the local error
//    measures: output MSE from the Hessian and weight SQNR.
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

/// Accumulates the GPTQ Hessian H = 2/N sum_n x_n x_n^T of `rows` rows of
/// `k` features into `h` (k x k, row-major), where `total` is N, the number
/// of rows over all calls.
void accumulateHessian(const float *x, int64_t rows, int64_t k, int64_t total,
                       std::vector<double> &h);

/// Options of gptqQuantize.
struct GPTQOptions {
  ElemFormat format = ElemFormat::E2M1;
  int64_t blockSize = 32;
  /// Damping: percdamp * mean(diag H) is added to the diagonal.
  double percdamp = 0.01;
  /// Columns per lazy batch; a multiple of blockSize.
  int64_t lazyBatch = 128;
  RoundingMode rounding = RoundingMode::NearestEven;
};

/// The result of quantizing a weight.
struct QuantizedWeight {
  MXTensor tensor;
  /// The dequantized weight, [n, k] row-major.
  std::vector<double> dequantized;
};

/// GPTQ for MX formats: `w` is [n, k] row-major, `h` the k x k Hessian.
/// Fails, with a reason, if the damped Hessian is not positive definite or
/// the options are invalid.
bool gptqQuantize(const float *w, int64_t n, int64_t k,
                  const std::vector<double> &h, const GPTQOptions &options,
                  QuantizedWeight &result, std::string &reason);

/// Round-to-nearest MX quantization of `w` ([n, k]).
QuantizedWeight rtnQuantize(const float *w, int64_t n, int64_t k,
                            ElemFormat format, int64_t blockSize,
                            RoundingMode rounding = RoundingMode::NearestEven);

/// Mean squared output error on the calibration rows, from the Hessian:
/// mean over rows x and outputs of (x . (w_i - w^_i))^2
///   = (1/n) sum_i (1/2) (w_i - w^_i)^T H (w_i - w^_i).
double outputMSEFromHessian(const float *w, const std::vector<double> &wHat,
                            int64_t n, int64_t k, const std::vector<double> &h);

/// Weight SQNR in dB: 10 log10(|W|^2 / |W - W^|^2).
double weightSQNR(const float *w, const std::vector<double> &wHat, int64_t n,
                  int64_t k);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_PTQ_H
