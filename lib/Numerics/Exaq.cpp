//===- Exaq.cpp - EXAQ quantized softmax and its clipping value -----------===//

#include "mxc/Numerics/Exaq.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>

using namespace mxc::numerics;

namespace {
/// ExaqQuantizer::code with the quantizer's constants computed once, for
/// whole rows.
struct Coder {
  float clip, inverseStep, top;
  explicit Coder(const ExaqQuantizer &q)
      : clip(q.clipF32()), inverseStep(q.inverseStepF32()),
        top(static_cast<float>(q.levels() - 1)) {}
  int operator()(float d) const {
    float t = (d - clip) * inverseStep;
    // fmax/fmin drop a NaN operand, as arith.maxnumf/minnumf do.
    t = std::fmin(std::fmax(t, 0.0f), top);
    // Round half away from zero: t >= 0, so truncation is the floor and the
    // fraction is exact.
    const int whole = static_cast<int>(t);
    return whole + (t - static_cast<float>(whole) >= 0.5f ? 1 : 0);
  }
};
} // namespace

int ExaqQuantizer::code(float d) const { return Coder(*this)(d); }

std::vector<float> ExaqQuantizer::exponentTable() const {
  if (!this->table.empty())
    return this->table;
  std::vector<float> table(levels());
  for (int q = 0; q < levels(); ++q)
    table[q] = static_cast<float>(std::exp(level(q)));
  table.back() = 1.0f; // level(2^b - 1) is 0 up to rounding of the step.
  if (zeroFloor)
    table.front() = 0.0f;
  return table;
}

std::vector<float> mxc::numerics::fitExaqTable(const ExaqQuantizer &quantizer,
                                               const float *d, size_t n) {
  // The codes do not depend on a table the quantizer may carry.
  const Coder coder(quantizer);
  const int levels = quantizer.levels();
  std::vector<double> sum(levels, 0.0);
  std::vector<size_t> count(levels, 0);
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(d[i]))
      continue;
    const int q = coder(d[i]);
    sum[q] += std::exp(static_cast<double>(d[i]));
    ++count[q];
  }
  // The top code's mean, the common scale (e^level = 1 if no sample has it).
  const double top =
      count.back() ? sum.back() / static_cast<double>(count.back()) : 1.0;
  std::vector<float> table(levels);
  for (int q = 0; q < levels; ++q)
    table[q] =
        static_cast<float>((count[q] ? sum[q] / static_cast<double>(count[q])
                                     : std::exp(quantizer.level(q))) /
                           top);
  table.back() = 1.0f;
  if (quantizer.zeroFloor)
    table.front() = 0.0f;
  return table;
}

namespace {
/// What both forms of an EXAQ softmax row write from: the row's codes
/// (kMasked for a masked score), whether it has a NaN, each code's count and
/// its entry of the table divided by the row's sum (0 where the sum is 0,
/// NaN with a NaN). The loops are written to vectorize.
struct ExaqRow {
  static constexpr int16_t kMasked = -1;
  const int16_t *codes;
  bool hasNaN = false;
  std::vector<uint32_t> count;
  std::vector<float> rowTable;

  /// The largest of the n values at x, in 8 lanes: the same value in any
  /// order (with a NaN the row is NaN; the sign of a zero maximum changes no
  /// code). Sets `nan` if one is a NaN.
  static float maximum(const float *x, size_t n, bool &nan) {
    constexpr size_t kLanes = 8;
    float lanes[kLanes];
    std::fill_n(lanes, kLanes, -std::numeric_limits<float>::infinity());
    bool any = false;
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (size_t j = 0; j < kLanes; ++j) {
        any |= x[i + j] != x[i + j];
        lanes[j] = std::max(lanes[j], x[i + j]);
      }
    for (; i < n; ++i) {
      any |= x[i] != x[i];
      lanes[0] = std::max(lanes[0], x[i]);
    }
    nan = any;
    return *std::max_element(lanes, lanes + kLanes);
  }

  ExaqRow(const ExaqQuantizer &quantizer, const float *x, size_t n) {
    const float m = maximum(x, n, hasNaN);
    // One buffer per thread, reused by its rows.
    static thread_local std::vector<int16_t> buffer;
    if (buffer.size() < n)
      buffer.resize(n);
    int16_t *c = buffer.data();
    const Coder coder(quantizer);
    const float masked = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i)
      c[i] = x[i] == masked ? kMasked : static_cast<int16_t>(coder(x[i] - m));
    codes = c;
    const int levels = quantizer.levels();
    count.assign(levels, 0);
    if (levels <= 16) {
      // A histogram's increments of one bin wait on each other (most scores
      // share the lowest code): a count per code instead, which vectorizes.
      for (int q = 0; q < levels; ++q) {
        uint32_t k = 0;
        for (size_t i = 0; i < n; ++i)
          k += c[i] == q ? 1 : 0;
        count[q] = k;
      }
    } else {
      for (size_t i = 0; i < n; ++i)
        if (c[i] != kMasked)
          ++count[static_cast<size_t>(c[i])];
    }
    rowTable = quantizer.exponentTable();
    float sum = 0.0f;
    for (int q = 0; q < levels; ++q)
      sum += static_cast<float>(count[q]) * rowTable[q];
    for (float &entry : rowTable)
      entry = hasNaN        ? std::numeric_limits<float>::quiet_NaN()
              : sum == 0.0f ? 0.0f
                            : entry / sum;
  }
};
} // namespace

void mxc::numerics::exaqSoftmaxRow(const ExaqQuantizer &quantizer,
                                   const float *x, size_t n, float *y,
                                   std::vector<uint32_t> *counts,
                                   uint8_t *codes) {
  ExaqRow row(quantizer, x, n);
  if (codes)
    for (size_t i = 0; i < n; ++i)
      codes[i] = row.codes[i] == ExaqRow::kMasked
                     ? 0
                     : static_cast<uint8_t>(row.codes[i]);
  if (row.hasNaN) {
    std::fill(y, y + n, std::numeric_limits<float>::quiet_NaN());
  } else {
    const float *table = row.rowTable.data();
    for (size_t i = 0; i < n; ++i)
      y[i] = row.codes[i] == ExaqRow::kMasked ? 0.0f : table[row.codes[i]];
  }
  if (counts)
    *counts = std::move(row.count);
}

void mxc::numerics::exaqSoftmaxRowCodes(const ExaqQuantizer &quantizer,
                                        const float *x, size_t n, int8_t *codes,
                                        float *rowTable,
                                        std::vector<uint32_t> *counts) {
  assert(quantizer.bits <= 7 && "codes are int8 with -1 for masked");
  ExaqRow row(quantizer, x, n);
  std::copy(row.rowTable.begin(), row.rowTable.end(), rowTable);
  // With a NaN every entry is NaN: a masked score reads code 0.
  const int8_t masked = row.hasNaN ? 0 : -1;
  for (size_t i = 0; i < n; ++i)
    codes[i] = row.codes[i] == ExaqRow::kMasked
                   ? masked
                   : static_cast<int8_t>(row.codes[i]);
  if (counts)
    *counts = std::move(row.count);
}

void mxc::numerics::softmaxRowF64(const float *x, size_t n, double *y) {
  double m = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i)
    m = std::max(m, static_cast<double>(x[i]));
  if (m == -std::numeric_limits<double>::infinity()) {
    std::fill(y, y + n, 0.0);
    return;
  }
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = std::exp(static_cast<double>(x[i]) - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i)
    y[i] /= sum;
}

namespace {

/// e^Q(d) in exact arithmetic: the exponential of the grid value d rounds
/// to, or 0 in the lowest cell with a zero floor.
double quantizedExp(double d, double clip, double step, int levels,
                    bool zeroFloor) {
  double q = std::round((d - clip) / step);
  q = std::clamp(q, 0.0, static_cast<double>(levels - 1));
  if (zeroFloor && q == 0)
    return 0;
  return std::exp(clip + q * step);
}

// 8-point Gauss-Legendre nodes and weights on [-1, 1].
constexpr double kNodes[8] = {-0.9602898564975363, -0.7966664774136267,
                              -0.5255324099163290, -0.1834346424956498,
                              0.1834346424956498,  0.5255324099163290,
                              0.7966664774136267,  0.9602898564975363};
constexpr double kWeights[8] = {0.1012285362903763, 0.2223810344533745,
                                0.3137066458778873, 0.3626837833783620,
                                0.3626837833783620, 0.3137066458778873,
                                0.2223810344533745, 0.1012285362903763};

/// Integral of f over [a, b] with composite 8-point Gauss-Legendre on
/// pieces no wider than h.
double integrate(const std::function<double(double)> &f, double a, double b,
                 double h) {
  if (!(b > a))
    return 0;
  int pieces = std::max(1, static_cast<int>(std::ceil((b - a) / h)));
  double width = (b - a) / pieces, total = 0;
  for (int p = 0; p < pieces; ++p) {
    double mid = a + (p + 0.5) * width, half = width / 2;
    for (int k = 0; k < 8; ++k)
      total += kWeights[k] * f(mid + half * kNodes[k]);
  }
  return total * width / 2;
}

double normalPdf(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
}
double normalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

/// Minimises `f` over clips in [lo, hi] (both < 0): a grid scan, then golden
/// section around the best grid point.
ClipChoice minimise(const std::function<double(double)> &f, double lo,
                    double hi) {
  const int gridPoints = 240;
  double bestClip = hi, bestError = std::numeric_limits<double>::infinity();
  double spacing = (hi - lo) / (gridPoints - 1);
  for (int i = 0; i < gridPoints; ++i) {
    double c = lo + i * spacing;
    double e = f(c);
    if (e < bestError) {
      bestError = e;
      bestClip = c;
    }
  }
  double a = std::max(lo, bestClip - spacing);
  double b = std::min(hi, bestClip + spacing);
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = f(c), fd = f(d);
  for (int it = 0; it < 60 && b - a > 1e-7; ++it) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  double mid = (a + b) / 2, fm = f(mid);
  if (fm < bestError)
    return {mid, fm};
  return {bestClip, bestError};
}

} // namespace

double mxc::numerics::exaqGaussianError(int bits, double clip, double mean,
                                        double std, bool zeroFloor) {
  const int levels = 1 << bits;
  const double step = -clip / (levels - 1);
  if (!(std > 0)) { // A point mass at the mean (clipped at 0).
    double d = std::min(mean, 0.0);
    double e = quantizedExp(d, clip, step, levels, zeroFloor) - std::exp(d);
    return e * e;
  }
  auto density = [&](double d) { return normalPdf((d - mean) / std) / std; };
  // Below `far`, e^d is negligible next to e^clip: the integrand is
  // e^(2 clip) times the normal tail mass (0 with a zero floor).
  const double far = std::min(mean - 12 * std, clip - 40);
  double total =
      zeroFloor ? 0.0 : std::exp(2 * clip) * normalCdf((far - mean) / std);
  // Cells of Q: [clip + (q - 1/2) step, clip + (q + 1/2) step), the first
  // open below (clamp), the last cut at 0.
  std::vector<double> cuts = {far};
  for (int q = 0; q < levels; ++q) {
    double upper = clip + (q + 0.5) * step;
    if (upper > far && upper < 0)
      cuts.push_back(upper);
  }
  cuts.push_back(0.0);
  const double h = std::min(std / 8, 0.25);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    double a = cuts[i], b = cuts[i + 1];
    double ev = quantizedExp((a + b) / 2, clip, step, levels, zeroFloor);
    total += integrate(
        [&](double d) {
          double e = ev - std::exp(d);
          return e * e * density(d);
        },
        a, b, h);
  }
  return total;
}

/// e^Q(d_i) for each sample, from a table of the 2^b levels' exponentials:
/// an evaluation needs no exponential per sample.
static std::vector<double> quantizedExps(int bits, double clip, const float *d,
                                         size_t n, bool zeroFloor) {
  const int levels = 1 << bits;
  const double step = -clip / (levels - 1);
  std::vector<double> table(levels);
  for (int q = 0; q < levels; ++q)
    table[q] = std::exp(clip + q * step);
  if (zeroFloor)
    table[0] = 0;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    double x = std::min(static_cast<double>(d[i]), 0.0);
    double q = std::clamp(std::round((x - clip) / step), 0.0,
                          static_cast<double>(levels - 1));
    out[i] = table[static_cast<int>(q)];
  }
  return out;
}

/// exaqSampleError with e^(d_i) precomputed in `expD`.
static double sampleError(int bits, double clip, const float *d,
                          const double *expD, size_t n, bool zeroFloor) {
  std::vector<double> quantized = quantizedExps(bits, clip, d, n, zeroFloor);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    double e = quantized[i] - expD[i];
    total += e * e;
  }
  return n ? total / n : 0;
}

static std::vector<double> expOfSamples(const float *d, size_t n) {
  std::vector<double> expD(n);
  for (size_t i = 0; i < n; ++i)
    expD[i] = std::exp(std::min(static_cast<double>(d[i]), 0.0));
  return expD;
}

double mxc::numerics::exaqSampleError(int bits, double clip, const float *d,
                                      size_t n, bool zeroFloor) {
  std::vector<double> expD = expOfSamples(d, n);
  return sampleError(bits, clip, d, expD.data(), n, zeroFloor);
}

/// Clips worth searching: the optimum trades e^clip (the clamp error) for
/// the step; beyond -40 e^clip is far below any float resolution.
static double searchLimit(double lowest) {
  return std::max(-40.0, std::min(-1.0, lowest));
}

ClipChoice mxc::numerics::optimalClipGaussian(int bits, double mean, double std,
                                              bool zeroFloor) {
  return minimise(
      [&](double c) {
        return exaqGaussianError(bits, c, mean, std, zeroFloor);
      },
      searchLimit(mean - 10 * std), -1e-3);
}

/// exaqPooledRowError with e^(d_i) precomputed in `expD`.
static double pooledRowError(int bits, double clip, const float *d,
                             const double *expD, size_t n, bool zeroFloor) {
  std::vector<double> quantized = quantizedExps(bits, clip, d, n, zeroFloor);
  double exactSum = 0, quantizedSum = 0;
  for (size_t i = 0; i < n; ++i) {
    exactSum += expD[i];
    quantizedSum += quantized[i];
  }
  if (!(exactSum > 0))
    return 0;
  if (!(quantizedSum > 0)) // A zero floor dropped every sample.
    return 2;              // The largest L1 distance of two distributions.
  double total = 0;
  for (size_t i = 0; i < n; ++i)
    total += std::fabs(quantized[i] / quantizedSum - expD[i] / exactSum);
  return total;
}

/// Minimises `error(bits, clip, d, expD, n, zeroFloor)` over clips down to
/// 1.25 times the lowest sample.
/// NaN samples (a model that computed NaN) carry no information about the
/// distribution and are left out.
template <typename ErrorFn>
static ClipChoice minimiseOnSamples(int bits, const float *samples, size_t n,
                                    bool zeroFloor, ErrorFn error) {
  std::vector<float> d;
  d.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (!std::isnan(samples[i]))
      d.push_back(samples[i]);
  double lowest = 0;
  for (float v : d)
    lowest = std::min(lowest, static_cast<double>(v));
  std::vector<double> expD = expOfSamples(d.data(), d.size());
  return minimise(
      [&](double c) {
        return error(bits, c, d.data(), expD.data(), d.size(), zeroFloor);
      },
      searchLimit(1.25 * lowest), -1e-3);
}

ClipChoice mxc::numerics::optimalClipSamples(int bits, const float *d, size_t n,
                                             bool zeroFloor) {
  return minimiseOnSamples(bits, d, n, zeroFloor, sampleError);
}

double mxc::numerics::exaqPooledRowError(int bits, double clip, const float *d,
                                         size_t n, bool zeroFloor) {
  std::vector<double> expD = expOfSamples(d, n);
  return pooledRowError(bits, clip, d, expD.data(), n, zeroFloor);
}

ClipChoice mxc::numerics::optimalClipPooledRow(int bits, const float *d,
                                               size_t n, bool zeroFloor) {
  return minimiseOnSamples(bits, d, n, zeroFloor, pooledRowError);
}
