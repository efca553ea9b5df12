//===- CalibrationTest.cpp - Calibration statistics from records ----------===//
//
// CalibrationAccumulator's attention statistics against a direct
// computation: every d = q.k / sqrt(head_dim) - row max in the stream's order
// (head, query row, causal key), each product rounded to float and summed in
// double, its sums in long double, and the sample of a reservoir offered
// every d one by one.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Compiler.h"
#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/Support/Reservoir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace mxc;

namespace {

frontend::LlamaConfig smallConfig() {
  frontend::LlamaConfig c;
  c.dim = 16;
  c.hiddenDim = 24;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2; // two query heads per key head
  c.vocab = 32;
  c.seqLen = 64;
  return c;
}

/// What the accumulator should find for `layer` of the records: the d of
/// every window in order.
struct Direct {
  long double sum = 0, sumSq = 0;
  double min = 0;
  int64_t count = 0;
  Reservoir<float> samples{4096, 7};
};

void direct(Direct &out, const std::vector<float> &record, int64_t n,
            const frontend::CalibrationLayout &layout,
            const frontend::LlamaConfig &c, int64_t layer) {
  const int64_t hd = c.headDim(), group = c.heads / c.kvHeads;
  const frontend::CalibrationLayout::Layer &l = layout.layers[layer];
  for (int64_t h = 0; h < c.heads; ++h)
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> scores(i + 1);
      for (int64_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < hd; ++d) {
          float product = record[i * layout.total + l.query + h * hd + d] *
                          record[j * layout.total + l.key + h / group * hd + d];
          dot += product;
        }
        scores[j] = dot / std::sqrt(static_cast<double>(hd));
      }
      double m = *std::max_element(scores.begin(), scores.end());
      for (double s : scores) {
        double d = s - m;
        out.sum += d;
        out.sumSq += static_cast<long double>(d) * d;
        out.min = std::min(out.min, d);
        ++out.count;
        out.samples.add(static_cast<float>(d));
      }
    }
}

// Windows of 37, 5 and 64 rows (row counts off the key blocks), more d than
// the sample holds; one window summarized apart, as the callers do on their
// threads.
TEST(CalibrationAccumulator, AttentionStatisticsEqualADirectComputation) {
  const frontend::LlamaConfig c = smallConfig();
  const frontend::CalibrationLayout layout = frontend::calibrationLayout(c);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  driver::CalibrationAccumulator accumulator(c, layout);
  std::vector<Direct> expected(c.layers);
  for (int64_t n : {37, 5, 64}) {
    std::vector<float> record(n * layout.total);
    for (float &v : record)
      v = normal(rng);
    if (n == 5) {
      driver::CalibrationAccumulator::Summary summary =
          accumulator.summarize(record, n);
      accumulator.add(record, n, std::move(summary));
    } else {
      accumulator.add(record, n);
    }
    for (int64_t l = 0; l < c.layers; ++l)
      direct(expected[l], record, n, layout, c, l);
  }
  frontend::LlamaStatistics stats = accumulator.finish();
  ASSERT_EQ(stats.softmax.size(), static_cast<size_t>(c.layers));
  for (int64_t l = 0; l < c.layers; ++l) {
    const Direct &e = expected[l];
    const frontend::LlamaStatistics::Softmax &s = stats.softmax[l];
    ASSERT_EQ(s.count, e.count);
    ASSERT_GT(e.count, 4096);
    const long double mean = e.sum / e.count;
    const long double var = e.sumSq / e.count - mean * mean;
    EXPECT_NEAR(s.mean, static_cast<double>(mean), 1e-12 * std::fabs(mean));
    EXPECT_NEAR(s.std, std::sqrt(static_cast<double>(var)),
                1e-9 * std::sqrt(static_cast<double>(var)));
    EXPECT_EQ(s.min, e.min);
    EXPECT_EQ(s.samples, e.samples.sample()) << "layer " << l;
  }
}

} // namespace
