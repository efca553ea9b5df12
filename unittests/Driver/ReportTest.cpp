//===- ReportTest.cpp - The quality report's arithmetic -------------------===//

#include "mxc/Driver/Report.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mxc::driver;

namespace {

MatmulError matmul(const char *name, int64_t params, double rtnSqnr, double rel,
                   double rtnRel) {
  MatmulError m;
  m.name = name;
  m.params = params;
  m.sqnr = m.rtnSqnr = rtnSqnr;
  m.relError = rel;
  m.rtnRelError = rtnRel;
  return m;
}

TEST(Report, LayerOf) {
  EXPECT_EQ(layerOf("layers.12.w2"), "layers.12.");
  EXPECT_EQ(layerOf("layers.0.wq"), "layers.0.");
  EXPECT_EQ(layerOf("classifier"), "classifier");
}

TEST(Report, PredictionIsTheParameterWeightedLaw) {
  // NSR 10^-2 on 100 weights and 10^-3 on 300: weighted 0.00325.
  std::vector<MatmulError> ms = {matmul("a", 100, 20.0, 0, 0),
                                 matmul("b", 300, 30.0, 0, 0)};
  Prediction p = predictQuality(ms, 4);
  const double nsr = (100 * 1e-2 + 300 * 1e-3) / 400;
  EXPECT_EQ(p.quantizedParams, 400);
  EXPECT_DOUBLE_EQ(p.bitsPerWeight, 4.25);
  EXPECT_NEAR(p.noiseToSignal, nsr, 1e-15);
  EXPECT_NEAR(p.kl, 19.13 * std::pow(nsr, 1.020), 1e-12);
  EXPECT_NEAR(p.perplexityIncrease, std::exp(p.kl) - 1, 1e-12);
  EXPECT_EQ(predictQuality({}, 4).quantizedParams, 0);
}

TEST(Report, RanksAndFlags) {
  std::vector<MatmulError> ms = {
      matmul("layers.0.wq", 10, 18, 0.02, 0.03),
      matmul("layers.0.w2", 10, 18, 0.02, 0.03), // layer 0: 0.04 (rtn 0.06)
      matmul("layers.1.wq", 10, 18, 0.05, 0.06), // layer 1: 0.05 (rtn 0.06)
      matmul("classifier", 10, 18, 0.01, 0.02)};
  std::vector<LayerEffect> layers(3);
  layers[0].name = "layers.0.";
  layers[0].kl = 0.02; // shares: local 0.4, KL 0.29 (0.71x)
  layers[0].rtnKL = 0.025;
  layers[1].name = "layers.1.";
  layers[1].kl = 0.02;     // local 0.5, KL 0.29 (0.57x)
  layers[1].rtnKL = 0.018; // GPTQ beat RTN locally, not globally.
  layers[2].name = "classifier";
  layers[2].kl = 0.03; // local 0.1, KL 0.43: 4.3x.
  layers[2].rtnKL = 0.04;
  rankAndFlag(layers, ms);
  EXPECT_NEAR(layers[0].localError, 0.04, 1e-15);
  EXPECT_NEAR(layers[0].rtnLocalError, 0.06, 1e-15);
  EXPECT_EQ(layers[1].localRank, 1);
  EXPECT_EQ(layers[0].localRank, 2);
  EXPECT_EQ(layers[2].localRank, 3);
  EXPECT_EQ(layers[2].globalRank, 1);
  EXPECT_EQ(layers[0].globalRank, 2); // ties keep the layer order
  EXPECT_TRUE(layers[0].flags.empty());
  ASSERT_EQ(layers[1].flags.size(), 1u);
  EXPECT_EQ(layers[1].flags[0], "local-gain-no-global-gain");
  ASSERT_EQ(layers[2].flags.size(), 1u);
  EXPECT_EQ(layers[2].flags[0], "global-share-4.3x-local-share");
  EXPECT_NEAR(layers[2].globalToLocal, (0.03 / 0.07) / (0.01 / 0.10), 1e-12);

  // Only the layer the local error understates 2x or more is kept, at 8
  // bits (in float when the weights are 8-bit already).
  llvm::Expected<Recipe> w4 = Recipe::parse("w4");
  ASSERT_TRUE(static_cast<bool>(w4));
  EXPECT_EQ(suggestRecipe(*w4, layers).str(),
            w4->str() + ",keep=classifier:mxfp8_e4m3");
  llvm::Expected<Recipe> w8 = Recipe::parse("w8");
  ASSERT_TRUE(static_cast<bool>(w8));
  EXPECT_EQ(suggestRecipe(*w8, layers).str(), w8->str() + ",keep=classifier");
  layers[2].globalToLocal = 1.5;
  EXPECT_EQ(suggestRecipe(*w4, layers).str(), w4->str());
}

// The tuning line says on how many of the calibration windows the KL was
// measured when it was not all of them.
TEST(Report, TuningSummaryNamesTheWindowsEvaluated) {
  TuningSummary t;
  t.steps = 10;
  t.what = "weights";
  t.startKL = 0.25;
  t.finalKL = 0.125;
  t.keptStep = 8;
  t.seconds = 3;
  t.windows = t.windowsEvaluated = 57;
  EXPECT_EQ(t.summary(), "tuned the weights: KL from the float model 0.25000 "
                         "-> 0.12500 on the calibration windows (step 8 of "
                         "10 kept) in 3.0 s");
  t.windows = 1501;
  t.windowsEvaluated = 256;
  EXPECT_EQ(t.summary(), "tuned the weights: KL from the float model 0.25000 "
                         "-> 0.12500 on 256 of the 1501 calibration windows "
                         "(step 8 of 10 kept) in 3.0 s");
}

} // namespace
