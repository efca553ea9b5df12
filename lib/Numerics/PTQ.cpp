//===- PTQ.cpp - SmoothQuant and RTN for MX formats -----------------------===//

#include "mxc/Numerics/PTQ.h"

#include <algorithm>
#include <cmath>

using namespace mxc::numerics;

std::vector<double> mxc::numerics::smoothQuantScales(
    const std::vector<float> &activationAbsMax,
    const std::vector<std::pair<const float *, int64_t>> &weights, int64_t k,
    double alpha) {
  constexpr double kMin = 1e-5;
  std::vector<double> weightMax(k, 0.0);
  for (auto [w, n] : weights)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < k; ++j)
        weightMax[j] = std::max(weightMax[j],
                                std::fabs(static_cast<double>(w[r * k + j])));
  std::vector<double> s(k);
  for (int64_t j = 0; j < k; ++j) {
    double a = std::max(static_cast<double>(activationAbsMax[j]), kMin);
    double m = std::max(weightMax[j], kMin);
    s[j] = std::max(std::pow(a, alpha) / std::pow(m, 1 - alpha), kMin);
  }
  return s;
}

void mxc::numerics::smoothWeightColumns(float *w, int64_t n,
                                        const std::vector<double> &s) {
  const int64_t k = s.size();
  for (int64_t i = 0; i < n * k; ++i)
    w[i] = static_cast<float>(w[i] * s[i % k]);
}

void mxc::numerics::divideBySmoothScales(float *v,
                                         const std::vector<double> &s) {
  for (size_t j = 0; j < s.size(); ++j)
    v[j] = static_cast<float>(v[j] / s[j]);
}

std::vector<float>
mxc::numerics::smoothInputFactors(const std::vector<double> &s) {
  std::vector<float> f(s.size());
  for (size_t j = 0; j < s.size(); ++j)
    f[j] = static_cast<float>(1.0 / s[j]);
  return f;
}

void mxc::numerics::smoothHessian(float *h, const std::vector<double> &s) {
  const int64_t k = s.size();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      h[i * k + j] = static_cast<float>(h[i * k + j] / (s[i] * s[j]));
}

QuantizedWeight mxc::numerics::rtnQuantize(const float *w, int64_t n, int64_t k,
                                           ElemFormat format, int64_t blockSize,
                                           RoundingMode rounding,
                                           ScaleChoice scales) {
  QuantizedWeight result{quantize(format, blockSize, n, k, w, rounding, scales),
                         {}};
  result.dequantized = dequantize(result.tensor);
  return result;
}

double mxc::numerics::weightSQNR(const float *w,
                                 const std::vector<double> &wHat, int64_t n,
                                 int64_t k) {
  double signal = 0, noise = 0;
  for (int64_t i = 0; i < n * k; ++i) {
    signal += static_cast<double>(w[i]) * w[i];
    double e = w[i] - wHat[i];
    noise += e * e;
  }
  return noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
}
