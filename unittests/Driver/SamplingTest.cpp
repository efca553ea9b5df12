//===- SamplingTest.cpp - Next-token sampling (llama.cpp's chain) ---------===//
//
// Expected choices and frequencies come from the definitions: logits
// log(0.5), log(0.3), log(0.2) are probabilities 0.5, 0.3, 0.2.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Compiler.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mxc::driver;

namespace {

const std::vector<float> kLogits = {std::log(0.5f), std::log(0.3f),
                                    std::log(0.2f)};

/// How often each token is drawn in `n` samples.
std::vector<double> frequencies(const SamplingOptions &o, int n = 4000,
                                std::vector<float> logits = kLogits) {
  std::mt19937_64 rng(o.seed);
  std::vector<double> count(logits.size(), 0);
  for (int i = 0; i < n; ++i)
    count[sampleToken(logits, {}, o, rng)] += 1.0 / n;
  return count;
}

SamplingOptions plain(double temperature) {
  SamplingOptions o;
  o.temperature = temperature;
  o.topK = 0;
  o.topP = 1;
  o.minP = 0;
  return o;
}

// 5 binomial standard errors at n = 4000 is at most 0.04.
constexpr double kTolerance = 0.04;

TEST(Sampling, GreedyTakesTheLargestAfterTheRepeatPenalty) {
  std::mt19937_64 rng(1);
  SamplingOptions o;
  std::vector<float> logits = {2.0f, 1.9f, -1.0f};
  EXPECT_EQ(sampleToken(logits, {}, o, rng), 0);
  // 2 / 1.1 = 1.82 < 1.9: token 0, seen, loses.
  o.repeatPenalty = 1.1;
  EXPECT_EQ(sampleToken(logits, {0}, o, rng), 1);
  // Outside the last repeatLastN tokens it is not penalized.
  o.repeatLastN = 1;
  EXPECT_EQ(sampleToken(logits, {0, 2}, o, rng), 0);
  // A negative logit is multiplied: -1 * 3 keeps token 2 last.
  o.repeatPenalty = 3;
  o.repeatLastN = 64;
  EXPECT_EQ(sampleToken({-1.0f, -1.5f}, {0}, o, rng), 1);
}

TEST(Sampling, TemperatureScalesTheDistribution) {
  std::vector<double> f = frequencies(plain(1));
  EXPECT_NEAR(f[0], 0.5, kTolerance);
  EXPECT_NEAR(f[1], 0.3, kTolerance);
  EXPECT_NEAR(f[2], 0.2, kTolerance);
  // p^2, normalized: 0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38.
  f = frequencies(plain(0.5));
  EXPECT_NEAR(f[0], 0.25 / 0.38, kTolerance);
  EXPECT_NEAR(f[2], 0.04 / 0.38, kTolerance);
}

TEST(Sampling, TopKTopPAndMinPCutTheTail) {
  SamplingOptions o = plain(1);
  o.topK = 1;
  std::vector<double> f = frequencies(o);
  EXPECT_EQ(f[1] + f[2], 0.0);
  // Top-p 0.7: 0.5 < 0.7 <= 0.8, the first two remain, renormalized.
  o = plain(1);
  o.topP = 0.7;
  f = frequencies(o);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.5 / 0.8, kTolerance);
  // Min-p 0.5: p >= 0.25 keeps 0.5 and 0.3.
  o = plain(1);
  o.minP = 0.5;
  f = frequencies(o);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[1], 0.3 / 0.8, kTolerance);
  // Top-k 2 then min-p 0.7 (>= 0.35): only token 0.
  o.topK = 2;
  o.minP = 0.7;
  f = frequencies(o);
  EXPECT_EQ(f[1] + f[2], 0.0);
}

TEST(Sampling, TheSeedFixesTheDraws) {
  SamplingOptions o = plain(1);
  o.seed = 7;
  EXPECT_EQ(frequencies(o, 50), frequencies(o, 50));
}

TEST(Sampling, OptionsOutOfRangeAreNamed) {
  auto errorOf = [](SamplingOptions o) {
    llvm::Error e = o.check();
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  SamplingOptions o;
  EXPECT_EQ(errorOf(o), "");
  o.temperature = -1;
  EXPECT_EQ(errorOf(o), "temperature must be >= 0 (0: greedy), not -1");
  o = SamplingOptions();
  o.topP = 1.5;
  EXPECT_EQ(errorOf(o), "top-p must be in (0, 1] (1: off), not 1.5");
  o = SamplingOptions();
  o.minP = -0.1;
  EXPECT_EQ(errorOf(o), "min-p must be in [0, 1) (0: off), not -0.1");
  o = SamplingOptions();
  o.repeatPenalty = NAN;
  EXPECT_EQ(errorOf(o), "repeat-penalty must be > 0 (1: off), not nan");
}

} // namespace
