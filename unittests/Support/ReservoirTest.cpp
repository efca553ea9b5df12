//===- ReservoirTest.cpp - Reservoir sampling is uniform ------------------===//

#include "mxc/Support/Reservoir.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// addMany gives add()'s sample, in chunks of any size (including 0 and
// chunks that end inside the filling phase), and asks for the kept values
// only.
TEST(Reservoir, AddManyEqualsAdd) {
  const int64_t n = 50000;
  for (int64_t size : {0, 1, 16, 4096}) {
    Reservoir<int64_t> one(size, 3), many(size, 3);
    for (int64_t i = 0; i < n; ++i)
      one.add(i * 7);
    int64_t offered = 0, asked = 0;
    for (int64_t chunk = 0; offered < n; chunk = (chunk * 5 + 3) % 997) {
      const int64_t count = std::min(chunk, n - offered);
      many.addMany(count, [&](int64_t i) {
        EXPECT_LT(i, count);
        ++asked;
        return (offered + i) * 7;
      });
      offered += count;
    }
    EXPECT_EQ(many.sample(), one.sample()) << size;
    EXPECT_EQ(many.count(), n);
    // Far fewer values asked for than offered once the sample is full.
    if (size && size < 4096)
      EXPECT_LT(asked, n / 10) << size;
  }
}

} // namespace
