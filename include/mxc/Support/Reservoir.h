//===- Reservoir.h - A uniform sample of a stream ---------------*- C++ -*-===//
//
// Reservoir sampling by Li's Algorithm L ("Reservoir-sampling algorithms of
// time complexity O(n(1 + log(N/n)))", ACM TOMS 1994): after the first
// `size` values, each later one is kept with probability size / (values so
// far), as in Vitter's Algorithm R, but the gaps between kept values are
// drawn directly, so that random numbers are drawn per kept value, not per
// value (calibration streams hundreds of millions of softmax inputs).
//
//===----------------------------------------------------------------------===//

#ifndef MXC_SUPPORT_RESERVOIR_H
#define MXC_SUPPORT_RESERVOIR_H

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace mxc {

template <typename T> class Reservoir {
public:
  Reservoir(size_t size, uint32_t seed) : size(size), rng(seed) {}

  /// Offers the next value of the stream: one comparison unless it is kept.
  void add(const T &value) {
    if (seen++ == next)
      keep(value);
  }

  /// Offers the next `n` values of the stream, the i-th of them
  /// `value(i)`: the same sample as `n` calls of add(), with `value` called
  /// only for the values kept (so that they need not all exist at once).
  template <typename F> void addMany(int64_t n, F value) {
    const int64_t first = seen, end = seen + n;
    while (next < end) {
      seen = next + 1;
      keep(value(next - first));
    }
    seen = end;
  }

  /// The sample: every value so far while there were at most `size`.
  const std::vector<T> &sample() const { return kept; }
  /// How many values were offered.
  int64_t count() const { return seen; }

private:
  /// Keeps the value at index seen - 1, which is `next`.
  void keep(const T &value) {
    if (size == 0) { // keeps nothing
      next = INT64_MAX;
      return;
    }
    if (kept.size() < size) {
      kept.push_back(value);
      ++next; // every value while filling
      if (kept.size() == size) {
        --next;
        skip();
      }
      return;
    }
    kept[std::uniform_int_distribution<size_t>(0, size - 1)(rng)] = value;
    skip();
  }

  /// A uniform number in (0, 1): its logarithm is finite.
  double uniform() {
    return (static_cast<double>(rng() >> 5) + 0.5) / 134217728.0;
  }
  /// The index of the next value kept: W shrinks as the stream grows, the
  /// gap is geometric with parameter W.
  void skip() {
    w *= std::exp(std::log(uniform()) / static_cast<double>(size));
    next +=
        static_cast<int64_t>(std::floor(std::log(uniform()) / std::log1p(-w))) +
        1;
  }

  size_t size;
  std::mt19937 rng;
  std::vector<T> kept;
  int64_t seen = 0, next = 0;
  double w = 1;
};

} // namespace mxc

#endif // MXC_SUPPORT_RESERVOIR_H
