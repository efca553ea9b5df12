//===- ReservoirTest.cpp - Reservoir sampling is uniform ------------------===//

#include "mxc/Support/Reservoir.h"

#include <gtest/gtest.h>

#include <cmath>

using mxc::Reservoir;

namespace {

TEST(Reservoir, KeepsEverythingUntilFull) {
  Reservoir<int> r(8, 1);
  for (int i = 0; i < 8; ++i)
    r.add(i);
  EXPECT_EQ(r.sample(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r.count(), 8);
}

// Each of N values is kept with probability size / N: over many streams,
// every tenth of the stream holds a tenth of the sample (a chi-square test
// at 9 degrees of freedom, far below its 0.1 % point 27.9), and a sample
// never repeats a value.
TEST(Reservoir, EveryPartOfTheStreamEquallyLikely) {
  const int64_t n = 100000, size = 64, streams = 300;
  std::vector<double> perTenth(10, 0.0);
  for (int64_t s = 0; s < streams; ++s) {
    Reservoir<int64_t> r(size, static_cast<uint32_t>(s + 1));
    for (int64_t i = 0; i < n; ++i)
      r.add(i);
    ASSERT_EQ(r.sample().size(), static_cast<size_t>(size));
    std::vector<bool> seen(n, false);
    for (int64_t v : r.sample()) {
      ASSERT_FALSE(seen[v]) << v;
      seen[v] = true;
      perTenth[v * 10 / n] += 1;
    }
  }
  const double expected = static_cast<double>(size * streams) / 10;
  double chiSquare = 0;
  for (double observed : perTenth)
    chiSquare += (observed - expected) * (observed - expected) / expected;
  EXPECT_LT(chiSquare, 27.9);
  // The last tenth gets its share too (a sampler that stops replacing would
  // keep the first values only).
  EXPECT_GT(perTenth[9], 0.8 * expected);
}

} // namespace
