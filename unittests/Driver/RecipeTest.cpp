//===- RecipeTest.cpp - Recipe parsing and pipelines ----------------------===//

#include "mxc/Driver/Recipe.h"

#include "gtest/gtest.h"

using namespace mxc::driver;

namespace {

Recipe parsed(llvm::StringRef text) {
  llvm::Expected<Recipe> r = Recipe::parse(text);
  EXPECT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  return r ? *r : Recipe();
}

std::string parseError(llvm::StringRef text) {
  llvm::Expected<Recipe> r = Recipe::parse(text);
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

TEST(Recipe, PresetsAndOverrides) {
  Recipe r = parsed("w4a8-smooth-gptq-sm2");
  EXPECT_EQ(r.weights, "mxfp4");
  EXPECT_EQ(r.method, "gptq");
  EXPECT_EQ(r.smooth, 0.5);
  EXPECT_EQ(r.activations, "mxfp8_e4m3");
  EXPECT_EQ(r.softmaxBits, 2);
  EXPECT_EQ(r.fixedClip(), -8.0);
  EXPECT_TRUE(r.needsCalibration());

  // Later keys override the preset.
  r = parsed("w4, weights=mxint8 ,smooth=0.8,tile=32");
  EXPECT_EQ(r.weights, "mxint8");
  EXPECT_EQ(r.method, "rtn");
  EXPECT_EQ(r.smooth, 0.8);
  EXPECT_EQ(r.tile, 32);

  r = parsed("");
  EXPECT_EQ(r.weights, "none");
  EXPECT_FALSE(r.needsCalibration());
  EXPECT_EQ(r.pipeline(), "");
}

TEST(Recipe, StrRoundTrips) {
  for (const char *text :
       {"float", "w6a8-smooth-gptq-sm2",
        "w4,softmax-bits=3,softmax-clip=pooled",
        "weights=mxfp6_e3m2,method=gptq,smooth=0.25,tile=16"}) {
    Recipe r = parsed(text);
    Recipe back = parsed(r.str());
    EXPECT_EQ(back.str(), r.str()) << text;
    EXPECT_EQ(back.pipeline(), r.pipeline()) << text;
  }
  EXPECT_EQ(parsed("w4-smooth-gptq").str(),
            "weights=mxfp4,method=gptq,smooth=0.5,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64");
}

TEST(Recipe, Pipeline) {
  Recipe r = parsed("w4a8-smooth-gptq,softmax-bits=2,softmax-clip=samples");
  std::string p = r.pipeline(/*report=*/true, {"layers.1.", "classifier"});
  EXPECT_EQ(p, "mxc-smoothquant{alpha=0.500000},"
               "mxc-gptq{format=mxfp4 report only=layers.1.,classifier},"
               "mxc-quantize-activations{format=mxfp8_e4m3},"
               "mxc-softmax-clip{bits=2 mode=samples}");
  // Mixed precision: kept matmuls stay float.
  Recipe kept = parsed("w4,keep=classifier;layers.0.");
  ASSERT_EQ(kept.keep.size(), 2u);
  EXPECT_EQ(kept.keep[1], "layers.0.");
  EXPECT_EQ(kept.pipeline(),
            "mxc-rtn{format=mxfp4 exclude=classifier,layers.0.}");
  EXPECT_EQ(parsed(kept.str()).pipeline(), kept.pipeline());
  // ... or in a format of their own, before the other weights.
  Recipe mixed = parsed("w4-gptq,keep=classifier:mxfp8_e4m3;layers.0.wq");
  EXPECT_EQ(mixed.pipeline(),
            "mxc-gptq{format=mxfp8_e4m3 only=classifier},"
            "mxc-gptq{format=mxfp4 exclude=classifier,layers.0.wq}");
  // A per-layer study of layers.1. leaves the kept classifier alone.
  EXPECT_EQ(mixed.pipeline(false, {"layers.1."}),
            "mxc-gptq{format=mxfp4 only=layers.1. "
            "exclude=classifier,layers.0.wq}");
  EXPECT_EQ(parsed(mixed.str()).pipeline(), mixed.pipeline());
  // A fixed clip is built into the model, not chosen by a pass.
  EXPECT_EQ(parsed("softmax-bits=2").pipeline(), "");
  EXPECT_FALSE(parsed("softmax-bits=2").needsCalibration());
  EXPECT_TRUE(
      parsed("softmax-bits=2,softmax-clip=analytic").needsCalibration());
}

TEST(Recipe, Errors) {
  EXPECT_NE(parseError("w5").find("unknown preset 'w5'"), std::string::npos);
  EXPECT_NE(parseError("weights=fp4").find("unknown weight format 'fp4'"),
            std::string::npos);
  EXPECT_NE(parseError("activations=int4").find("unknown activation format"),
            std::string::npos);
  EXPECT_NE(
      parseError("activations=mxfp8_e4m3").find("needs quantized weights"),
      std::string::npos);
  EXPECT_NE(parseError("w4,method=awq").find("method must be rtn or gptq"),
            std::string::npos);
  EXPECT_NE(parseError("w4,smooth=1.5").find("must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(parseError("smooth=0.5").find("does nothing"), std::string::npos);
  EXPECT_NE(parseError("softmax-bits=9").find("0 (exact) to 8, not 9"),
            std::string::npos);
  EXPECT_NE(parseError("softmax-bits=2,softmax-clip=3").find("negative number"),
            std::string::npos);
  EXPECT_NE(parseError("tile=0").find("tile must be positive"),
            std::string::npos);
  EXPECT_NE(parseError("w4,w8").find("a preset only comes first"),
            std::string::npos);
  EXPECT_NE(parseError("bits=4").find("unknown key 'bits'"), std::string::npos);
  EXPECT_NE(parseError("w4,keep=classifier:fp5")
                .find("unknown format 'fp5' for kept 'classifier'"),
            std::string::npos);
  EXPECT_NE(parseError("tile=x").find("'tile' needs an integer"),
            std::string::npos);
}

} // namespace
