//===- PTQ.cpp - SmoothQuant and GPTQ for MX formats ----------------------===//

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

void mxc::numerics::accumulateHessian(const float *x, int64_t rows, int64_t k,
                                      int64_t total, std::vector<double> &h) {
  h.resize(k * k, 0.0);
  const double factor = 2.0 / static_cast<double>(total);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * k;
    for (int64_t i = 0; i < k; ++i) {
      double xi = factor * row[i];
      if (xi == 0)
        continue;
      for (int64_t j = 0; j < k; ++j)
        h[i * k + j] += xi * row[j];
    }
  }
}

namespace {

/// In-place lower Cholesky factor of the k x k matrix `a` (row-major): a =
/// L L^T, L in the lower triangle, zeros above. False if not positive
/// definite.
bool cholesky(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (int64_t p = 0; p < j; ++p)
      d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * k + j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double v = a[i * k + j];
      for (int64_t p = 0; p < j; ++p)
        v -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = v / d;
    }
    for (int64_t i = 0; i < j; ++i)
      a[i * k + j] = 0;
  }
  return true;
}

/// The inverse of L L^T from the lower factor L, as a full symmetric matrix.
std::vector<double> choleskyInverse(const std::vector<double> &l, int64_t k) {
  // Linv = L^-1 (lower), then A^-1 = Linv^T Linv.
  std::vector<double> linv(k * k, 0.0);
  for (int64_t j = 0; j < k; ++j) {
    linv[j * k + j] = 1.0 / l[j * k + j];
    for (int64_t i = j + 1; i < k; ++i) {
      double v = 0;
      for (int64_t p = j; p < i; ++p)
        v -= l[i * k + p] * linv[p * k + j];
      linv[i * k + j] = v / l[i * k + i];
    }
  }
  std::vector<double> inv(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double v = 0;
      for (int64_t p = i; p < k; ++p)
        v += linv[p * k + i] * linv[p * k + j];
      inv[i * k + j] = inv[j * k + i] = v;
    }
  return inv;
}

} // namespace

bool mxc::numerics::gptqQuantize(const float *w, int64_t n, int64_t k,
                                 const std::vector<double> &hIn,
                                 const GPTQOptions &options,
                                 QuantizedWeight &result, std::string &reason) {
  const int64_t block = options.blockSize;
  if (!isValidBlockSize(options.format, block) || options.lazyBatch <= 0 ||
      options.lazyBatch % block != 0) {
    reason = "the lazy batch must be a positive multiple of a valid MX block";
    return false;
  }
  if (static_cast<int64_t>(hIn.size()) != k * k) {
    reason = "the Hessian must be k x k";
    return false;
  }
  std::vector<double> weight(w, w + n * k);
  std::vector<double> h = hIn;

  // Dead inputs (never active in calibration): fix H, zero the weights.
  double diagonalSum = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (h[j * k + j] == 0) {
      h[j * k + j] = 1;
      for (int64_t r = 0; r < n; ++r)
        weight[r * k + j] = 0;
    }
    diagonalSum += h[j * k + j];
  }
  const double damp = options.percdamp * diagonalSum / k;
  for (int64_t j = 0; j < k; ++j)
    h[j * k + j] += damp;

  // U: the upper Cholesky factor of H^-1.
  if (!cholesky(h, k)) {
    reason = "the damped Hessian is not positive definite; raise the damping";
    return false;
  }
  std::vector<double> u = choleskyInverse(h, k);
  if (!cholesky(u, k)) {
    reason = "H^-1 is not positive definite; raise the damping";
    return false;
  }
  // cholesky() leaves L (lower); U = L^T.
  auto U = [&](int64_t i, int64_t j) { return u[j * k + i]; };

  MXTensor &t = result.tensor;
  t.layout = MXLayout{options.format, block, n, k};
  t.data.assign(t.layout.dataBytes(), 0);
  t.scales.assign(t.layout.numScales(), 0);
  std::vector<double> quantized(n * k, 0.0);
  std::vector<double> error(n * k, 0.0); // The scaled errors E, per column.
  std::vector<float> values(block);
  std::vector<uint8_t> codes(block);
  std::vector<double> decoded(block);

  for (int64_t b1 = 0; b1 < k; b1 += options.lazyBatch) {
    const int64_t b2 = std::min(b1 + options.lazyBatch, k);
    for (int64_t c1 = b1; c1 < b2; c1 += block) {
      const int64_t c2 = std::min(c1 + block, k), width = c2 - c1;
      const int64_t blockIndex = c1 / block;
      for (int64_t r = 0; r < n; ++r) {
        // The block's shared exponent comes from the error-updated weights.
        for (int64_t c = 0; c < width; ++c)
          values[c] = static_cast<float>(weight[r * k + c1 + c]);
        uint8_t scale = quantizeBlock(options.format, values.data(), width,
                                      codes.data(), options.rounding);
        t.scales[r * t.layout.blocksPerRow() + blockIndex] = scale;
        std::fill(codes.begin() + width, codes.end(), 0);
        packCodes(options.format, codes.data(), block,
                  t.data.data() + r * t.layout.rowBytes() +
                      blockIndex * t.layout.blockBytes());
        dequantizeBlock(options.format, scale, codes.data(), width,
                        decoded.data());
        // E_B = (W_B - Q_B) U_BB^-1: forward substitution along the row.
        for (int64_t c = 0; c < width; ++c) {
          int64_t j = c1 + c;
          quantized[r * k + j] = decoded[c];
          double e = weight[r * k + j] - decoded[c];
          for (int64_t p = c1; p < j; ++p)
            e -= error[r * k + p] * U(p, j);
          error[r * k + j] = e / U(j, j);
          // A NaN or infinite weight makes its block NaN (scale 0xFF), as
          // in RTN; its error must not reach the columns after it.
          if (!std::isfinite(error[r * k + j]))
            error[r * k + j] = 0;
        }
        // Propagate to the rest of the lazy batch now.
        for (int64_t j = c2; j < b2; ++j) {
          double delta = 0;
          for (int64_t p = c1; p < c2; ++p)
            delta += error[r * k + p] * U(p, j);
          weight[r * k + j] -= delta;
        }
      }
    }
    // Lazy update of the columns after the batch.
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = b2; j < k; ++j) {
        double delta = 0;
        for (int64_t p = b1; p < b2; ++p)
          delta += error[r * k + p] * U(p, j);
        weight[r * k + j] -= delta;
      }
  }
  result.dequantized = std::move(quantized);
  return true;
}

QuantizedWeight mxc::numerics::rtnQuantize(const float *w, int64_t n, int64_t k,
                                           ElemFormat format, int64_t blockSize,
                                           RoundingMode rounding) {
  QuantizedWeight result{quantize(format, blockSize, n, k, w, rounding), {}};
  result.dequantized = dequantize(result.tensor);
  return result;
}

double mxc::numerics::outputMSEFromHessian(const float *w,
                                           const std::vector<double> &wHat,
                                           int64_t n, int64_t k,
                                           const std::vector<double> &h) {
  double total = 0;
  std::vector<double> d(k);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < k; ++j)
      d[j] = w[r * k + j] - wHat[r * k + j];
    for (int64_t i = 0; i < k; ++i) {
      if (d[i] == 0)
        continue;
      double row = 0;
      for (int64_t j = 0; j < k; ++j)
        row += h[i * k + j] * d[j];
      total += 0.5 * d[i] * row;
    }
  }
  return total / n;
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
