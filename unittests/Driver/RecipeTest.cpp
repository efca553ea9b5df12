//===- RecipeTest.cpp - Recipe parsing and pipelines ----------------------===//

#include "mxc/Driver/Recipe.h"
#include "mxc/InitAll.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringSet.h"

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

/// The recipe's pass pipeline, printed by the pass manager.
std::string pipelineOf(const Recipe &r, bool report = false,
                       llvm::ArrayRef<std::string> only = {},
                       Recipe::Passes which = Recipe::Passes::All,
                       llvm::ArrayRef<std::string> exclude = {}) {
  mlir::MLIRContext context;
  mlir::PassManager pm(&context, "builtin.module");
  r.buildPipeline(pm, report, only, which, exclude);
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return text;
}

TEST(Recipe, PresetsAndOverrides) {
  Recipe r = parsed("w4a8-smooth-gptq-sm2");
  EXPECT_EQ(r.weights, mxc::numerics::ElemFormat::E2M1);
  EXPECT_EQ(r.method, WeightMethod::GPTQ);
  EXPECT_EQ(r.smooth, 0.5);
  EXPECT_EQ(r.activations, mxc::numerics::ElemFormat::E4M3);
  EXPECT_EQ(r.softmaxBits, 2);
  EXPECT_TRUE(r.softmaxZeroFloor);
  EXPECT_EQ(r.fixedClip(), -4.5);
  EXPECT_TRUE(r.needsCalibration());
  Recipe w6 = parsed("w6a8-smooth-gptq-sm2");
  EXPECT_EQ(w6.softmaxBits, 2);
  EXPECT_TRUE(w6.softmaxZeroFloor);
  EXPECT_EQ(w6.fixedClip(), -4.5);
  // EXAQ as published: the preset with the clamp and its clip.
  r = parsed("w4a8-smooth-gptq-sm2,softmax-floor=clamp,softmax-clip=-8");
  EXPECT_FALSE(r.softmaxZeroFloor);
  EXPECT_EQ(r.fixedClip(), -8.0);
  EXPECT_NE(parseError("w4a8-smooth-gptq-sm2,softmax-bits=0")
                .find("take the preset without -sm2"),
            std::string::npos);

  // Later keys override the preset.
  r = parsed("w4, weights=mxint8 ,smooth=0.8,tile=32");
  EXPECT_EQ(r.weights, mxc::numerics::ElemFormat::Int8);
  EXPECT_EQ(r.method, WeightMethod::RTN);
  EXPECT_EQ(r.smooth, 0.8);
  EXPECT_EQ(r.tile, 32);

  r = parsed("");
  EXPECT_FALSE(r.weights.has_value());
  EXPECT_FALSE(r.needsCalibration());
  EXPECT_EQ(pipelineOf(r), "builtin.module()");

  // Every preset parses; their names are unique.
  llvm::StringSet<> names;
  for (const Preset &p : Recipe::presets()) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    parsed(p.name);
  }
  EXPECT_EQ(names.size(), 14u);
}

TEST(Recipe, StrRoundTrips) {
  for (const char *text :
       {"float", "w6a8-smooth-gptq-sm2",
        "w4,softmax-bits=3,softmax-clip=pooled",
        "weights=mxfp6_e3m2,method=gptq,smooth=0.25,tile=16",
        "w4,smooth=0.1,softmax-bits=2,softmax-clip=-3.3",
        "w4-gptq,keep=classifier:mxfp8_e4m3;layers.0.wq", "w4-keep",
        "w4-gptq,checkpoint-mx=keep",
        "w4a8,tune=20,tune-lr=0.005,tune-what=both", "w4-gptq,scales=mse",
        "w4a8,softmax-bits=2,tune=5,tune-softmax=quantized",
        "w4a8,softmax-bits=2,tune=6,tune-softmax=exact-then-quantized",
        "w4,softmax-bits=2,softmax-clip=pooled,tune=5",
        "w4a8,softmax-bits=2,softmax-clip=-4.5,softmax-floor=zero",
        "w4,softmax-bits=3,softmax-clip=samples,softmax-floor=zero",
        "w4a8-smooth-gptq-sm2,softmax-table=fit"}) {
    Recipe r = parsed(text);
    Recipe back = parsed(r.str());
    EXPECT_EQ(back.str(), r.str()) << text;
    EXPECT_EQ(pipelineOf(back), pipelineOf(r)) << text;
  }
  EXPECT_EQ(parsed("w4-smooth-gptq").str(),
            "weights=mxfp4,method=gptq,smooth=0.5,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64");
  // checkpoint-mx is written only when it keeps (the default decodes).
  EXPECT_EQ(parsed("w4-keep").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64,checkpoint-mx=keep");
  EXPECT_FALSE(parsed("w4-keep,checkpoint-mx=decode").keepCheckpointMX);
  // Doubles are written so that they read back exactly.
  EXPECT_EQ(parsed("w4,smooth=0.1").smooth, 0.1);
  EXPECT_EQ(parsed(parsed("w4,smooth=0.1").str()).smooth, 0.1);
}

// softmax-floor=zero is written only when set, reaches the clip pass, and
// needs a quantized softmax.
TEST(Recipe, SoftmaxFloor) {
  Recipe zero = parsed("softmax-bits=2,softmax-clip=-4.5,softmax-floor=zero");
  EXPECT_TRUE(zero.softmaxZeroFloor);
  EXPECT_NE(zero.str().find(",softmax-floor=zero"), std::string::npos);
  EXPECT_FALSE(parsed("softmax-bits=2,softmax-floor=clamp").softmaxZeroFloor);
  EXPECT_EQ(parsed("softmax-bits=2,softmax-floor=clamp").str().find("floor"),
            std::string::npos);
  EXPECT_EQ(pipelineOf(parsed(
                "softmax-bits=2,softmax-clip=pooled,softmax-floor=zero")),
            "builtin.module(mxc-softmax-clip{bits=2 mode=pooled "
            "zero-floor=true})");
  EXPECT_NE(parseError("softmax-floor=zero").find("does nothing"),
            std::string::npos);
  EXPECT_NE(parseError("softmax-bits=2,softmax-floor=flush")
                .find("softmax-floor must be clamp or zero, not 'flush'"),
            std::string::npos);
}

// softmax-table=fit is written only when set, adds mxc-softmax-table after
// the clip (fixed or chosen), needs calibration and a quantized softmax.
TEST(Recipe, SoftmaxTable) {
  Recipe fit = parsed("softmax-bits=2,softmax-clip=-4.5,softmax-table=fit");
  EXPECT_EQ(fit.softmaxTable, Recipe::SoftmaxTable::Fit);
  EXPECT_TRUE(fit.needsCalibration());
  EXPECT_NE(fit.str().find(",softmax-table=fit"), std::string::npos);
  EXPECT_EQ(pipelineOf(fit), "builtin.module(mxc-softmax-table)");
  Recipe exp = parsed("softmax-bits=2,softmax-clip=-4.5,softmax-table=exp");
  EXPECT_EQ(exp.softmaxTable, Recipe::SoftmaxTable::Exp);
  EXPECT_FALSE(exp.needsCalibration());
  EXPECT_EQ(exp.str().find("table"), std::string::npos);
  EXPECT_EQ(pipelineOf(parsed("softmax-bits=2,softmax-clip=pooled,"
                              "softmax-floor=zero,softmax-table=fit")),
            "builtin.module(mxc-softmax-clip{bits=2 mode=pooled "
            "zero-floor=true},mxc-softmax-table)");
  EXPECT_NE(parseError("softmax-table=fit").find("does nothing"),
            std::string::npos);
  // tune: the tuner fits, then tunes the tables; no pass sets them after.
  Recipe tuned = parsed("w4,softmax-bits=2,softmax-clip=-4.5,softmax-table="
                        "tune,tune=5,tune-softmax=quantized");
  EXPECT_EQ(tuned.softmaxTable, Recipe::SoftmaxTable::Tune);
  EXPECT_EQ(parsed(tuned.str()).str(), tuned.str());
  EXPECT_EQ(pipelineOf(tuned).find("mxc-softmax-table"), std::string::npos);
  for (const char *text :
       {"softmax-bits=2,softmax-clip=-4.5,softmax-table=tune",
        "w4,softmax-bits=2,softmax-clip=-4.5,softmax-table=tune,tune=5"})
    EXPECT_NE(parseError(text).find("needs tune=STEPS and "
                                    "tune-softmax=quantized"),
              std::string::npos)
        << text;
  EXPECT_NE(parseError("softmax-bits=2,softmax-table=lloyd")
                .find("softmax-table must be exp, fit or tune, not 'lloyd'"),
            std::string::npos);
}

TEST(Recipe, Pipeline) {
  Recipe r = parsed("w4a8-smooth-gptq,softmax-bits=2,softmax-clip=samples");
  std::string p = pipelineOf(r, /*report=*/true, {"layers.1.", "classifier"});
  EXPECT_EQ(p, "builtin.module(mxc-smoothquant{alpha=5.000000e-01  },"
               "mxc-gptq{block=32 damp=1.000000e-02  format=mxfp4 "
               "only={layers.1.,classifier} report=true scales=spec},"
               "mxc-quantize-activations{format=mxfp8_e4m3 scales=spec},"
               "mxc-softmax-clip{bits=2 mode=samples zero-floor=false})");
  // The printed pipeline is one the pass registry reads back as it is.
  static const bool registered = (mxc::registerAllPasses(), true);
  (void)registered;
  std::string errors;
  llvm::raw_string_ostream os(errors);
  mlir::FailureOr<mlir::OpPassManager> read = mlir::parsePassPipeline(p, os);
  ASSERT_TRUE(mlir::succeeded(read)) << errors;
  std::string reprinted;
  llvm::raw_string_ostream ros(reprinted);
  read->printAsTextualPipeline(ros);
  EXPECT_EQ(reprinted, p);

  // Mixed precision: kept matmuls stay float.
  Recipe kept = parsed("w4,keep=classifier;layers.0.");
  ASSERT_EQ(kept.keep.size(), 2u);
  EXPECT_EQ(kept.keep[1].prefix, "layers.0.");
  EXPECT_FALSE(kept.keep[1].format.has_value());
  EXPECT_EQ(pipelineOf(kept),
            "builtin.module(mxc-rtn{block=32 exclude={classifier,layers.0.} "
            "format=mxfp4  report=false scales=spec})");
  // ... or in a format of their own, before the other weights.
  Recipe mixed = parsed("w4-gptq,keep=classifier:mxfp8_e4m3;layers.0.wq");
  EXPECT_EQ(pipelineOf(mixed),
            "builtin.module(mxc-gptq{block=32 damp=1.000000e-02  "
            "format=mxfp8_e4m3 only={classifier} report=false scales=spec},"
            "mxc-gptq{block=32 damp=1.000000e-02 "
            "exclude={classifier,layers.0.wq} format=mxfp4  "
            "report=false scales=spec})");
  // A per-layer study of layers.1. leaves the kept classifier alone.
  EXPECT_EQ(pipelineOf(mixed, false, {"layers.1."}),
            "builtin.module(mxc-gptq{block=32 damp=1.000000e-02 "
            "exclude={classifier,layers.0.wq} format=mxfp4 "
            "only={layers.1.} report=false scales=spec})");
  // One layer at a time (compileModelLayerwise): the groups in turn, the
  // other scopes excluded from SmoothQuant and from every weight pass.
  Recipe smoothed = parsed("w4a8-smooth-gptq,keep=layers.0.wq:mxfp8_e4m3");
  EXPECT_EQ(pipelineOf(smoothed, false, {}, Recipe::Passes::Smooth,
                       {"classifier", "layers.1."}),
            "builtin.module(mxc-smoothquant{alpha=5.000000e-01 "
            "exclude={classifier,layers.1.} })");
  EXPECT_EQ(pipelineOf(smoothed, false, {}, Recipe::Passes::Weights,
                       {"classifier", "layers.1."}),
            "builtin.module(mxc-gptq{block=32 damp=1.000000e-02 "
            "exclude={classifier,layers.1.} format=mxfp8_e4m3 "
            "only={layers.0.wq} report=false scales=spec},"
            "mxc-gptq{block=32 damp=1.000000e-02 "
            "exclude={layers.0.wq,classifier,layers.1.} format=mxfp4  "
            "report=false scales=spec})");
  EXPECT_EQ(pipelineOf(smoothed, false, {}, Recipe::Passes::AfterWeights),
            "builtin.module(mxc-quantize-activations{format=mxfp8_e4m3 "
            "scales=spec})");
  // activation-scales=ceil reaches the activation pass and the printed
  // recipe, which parses back to it.
  EXPECT_EQ(pipelineOf(parsed("w4a8,activation-scales=ceil"),
                       /*report=*/false, {}, Recipe::Passes::AfterWeights),
            "builtin.module(mxc-quantize-activations{format=mxfp8_e4m3 "
            "scales=ceil})");
  EXPECT_EQ(parsed("w4a8,activation-scales=ceil").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=mxfp8_e4m3,"
            "softmax-bits=0,softmax-clip=-8,tile=64,activation-scales=ceil");
  EXPECT_EQ(
      parsed(parsed("w4a8,activation-scales=ceil").str()).activationScales,
      mxc::numerics::ScaleChoice::Ceil);
  EXPECT_EQ(parsed("w4a8,activation-scales=spec").str(), parsed("w4a8").str());
  // scales=mse reaches the weight pass, GPTQ's or RTN's.
  EXPECT_EQ(pipelineOf(parsed("w4-gptq,scales=mse")),
            "builtin.module(mxc-gptq{block=32 damp=1.000000e-02  "
            "format=mxfp4  report=false scales=mse})");
  EXPECT_EQ(pipelineOf(parsed("w4,scales=mse")),
            "builtin.module(mxc-rtn{block=32  format=mxfp4  report=false "
            "scales=mse})");
  EXPECT_EQ(parsed("w4,scales=mse").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64,scales=mse");
  // A fixed clip is built into the model, not chosen by a pass.
  EXPECT_EQ(pipelineOf(parsed("softmax-bits=2")), "builtin.module()");
  EXPECT_FALSE(parsed("softmax-bits=2").needsCalibration());
  EXPECT_TRUE(
      parsed("softmax-bits=2,softmax-clip=analytic").needsCalibration());
}

TEST(Recipe, Errors) {
  EXPECT_NE(parseError("w4,checkpoint-mx=yes")
                .find("checkpoint-mx must be keep or decode, not 'yes'"),
            std::string::npos);
  EXPECT_NE(parseError("w4-keep,smooth=0.5")
                .find("checkpoint-mx=keep cannot be combined with smooth"),
            std::string::npos);
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
  EXPECT_NE(parseError("w4,scales=max").find("scales must be spec or mse"),
            std::string::npos);
  EXPECT_NE(parseError("float,scales=mse").find("does nothing"),
            std::string::npos);
  EXPECT_NE(parseError("w4,activation-scales=ceil")
                .find("activation-scales=ceil without quantized activations"),
            std::string::npos);
  EXPECT_NE(parseError("w4a8,activation-scales=mse")
                .find("activation-scales must be spec or ceil, not 'mse'"),
            std::string::npos);
  // Non-finite numbers are no recipe values.
  EXPECT_NE(parseError("w4,smooth=nan").find("needs a finite number"),
            std::string::npos);
  EXPECT_NE(parseError("softmax-bits=2,softmax-clip=-inf")
                .find("softmax-clip must be a negative number"),
            std::string::npos);
  EXPECT_NE(parseError("softmax-bits=2,softmax-clip=-1e308")
                .find("softmax-clip must be at least -100"),
            std::string::npos);
  // MLIR type names are not recipe words.
  EXPECT_NE(parseError("weights=f4E2M1FN").find("unknown weight format"),
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
  EXPECT_NE(parseError("tune=5").find("tune needs quantized weights"),
            std::string::npos);
  // Smoothed models tune (the tuner smooths first).
  EXPECT_EQ(parseError("w4a8-smooth-gptq-sm2,tune=5"), "");
  // A clip from statistics: only the exact softmax in the tuner (the
  // default), whose forward pass does not need the clip.
  EXPECT_EQ(parseError("w4,softmax-bits=2,softmax-clip=pooled,tune=5"), "");
  EXPECT_NE(parseError("w4,softmax-bits=2,softmax-clip=pooled,tune=5,"
                       "tune-softmax=quantized")
                .find("tune-softmax=quantized cannot be combined with a "
                      "softmax clip chosen from statistics yet"),
            std::string::npos);
  EXPECT_NE(parseError("w4,softmax-bits=2,softmax-clip=pooled,tune=5,"
                       "tune-softmax=exact-then-quantized")
                .find("tune-softmax=exact-then-quantized cannot be combined "
                      "with a softmax clip chosen from statistics yet"),
            std::string::npos);
  EXPECT_NE(parseError("w4,softmax-bits=2,tune=5,tune-softmax=exaq")
                .find("tune-softmax must be exact, quantized or "
                      "exact-then-quantized"),
            std::string::npos);
  EXPECT_EQ(parseError("w4,softmax-bits=2,tune=5"), "");
  EXPECT_NE(parseError("w4,tune=5,tune-what=all")
                .find("tune-what must be weights, norms or both"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=5,tune-lr=0").find("tune-lr must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=5,tune-damping=1")
                .find("tune-damping must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=5,tune-damping=-0.1")
                .find("tune-damping must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=5,tune-labels=1.5")
                .find("tune-labels must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=5,tune-batch=0")
                .find("tune-batch must be a number of windows >= 1, not 0"),
            std::string::npos);
  EXPECT_NE(parseError("w4,tune=-1").find("tune must be a number of steps"),
            std::string::npos);
}

// Tuned weights are stored by RTN, whatever method started them; tuning
// needs the calibration text.
TEST(Recipe, Tuning) {
  Recipe r = parsed("w4-gptq,tune=10");
  EXPECT_EQ(r.tuneSteps, 10);
  EXPECT_EQ(r.tuneWhat, Recipe::TuneWhat::Both);
  EXPECT_TRUE(r.needsCalibration());
  EXPECT_TRUE(parsed("w4,tune=1").needsCalibration());
  EXPECT_EQ(pipelineOf(r), "builtin.module(mxc-rtn{block=32  format=mxfp4  "
                           "report=false scales=spec})");
  EXPECT_EQ(r.str(), "weights=mxfp4,method=gptq,smooth=0,activations=none,"
                     "softmax-bits=0,softmax-clip=-8,tile=64,tune=10,"
                     "tune-lr=0.001,tune-damping=0.001");
  EXPECT_EQ(parsed("w4,tune=3,tune-damping=0").tuneDamping, 0);
  EXPECT_EQ(parsed("w4,tune=3,tune-damping=0.01").tuneDamping, 0.01);
  EXPECT_EQ(parsed("w4,tune=3,tune-labels=0.1").tuneLabels, 0.1);
  EXPECT_EQ(parsed("w4,tune=3,tune-labels=0.1").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64,tune=3,tune-lr=0.001,"
            "tune-damping=0.001,tune-labels=0.1");
  EXPECT_EQ(r.tuneBatch, 2);
  EXPECT_EQ(parsed("w4,tune=3,tune-batch=4").tuneBatch, 4);
  EXPECT_EQ(parsed("w4,tune=3,tune-batch=4").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64,tune=3,tune-lr=0.001,"
            "tune-damping=0.001,tune-batch=4");
  EXPECT_EQ(parsed("w4,tune=3,tune-what=norms").tuneWhat,
            Recipe::TuneWhat::Norms);
  EXPECT_EQ(parsed("w4,tune=3,tune-what=weights").str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=0,softmax-clip=-8,tile=64,tune=3,tune-lr=0.001,"
            "tune-damping=0.001,tune-what=weights");
  EXPECT_EQ(parsed("w4,tune=3,tune-what=both").str(),
            parsed("w4,tune=3").str());
  EXPECT_EQ(parsed("w4,softmax-bits=2,tune=3").tuneSoftmax,
            Recipe::TuneSoftmax::Exact);
  EXPECT_EQ(parsed("w4a8-smooth-gptq-sm2,tune=3").str(),
            "weights=mxfp4,method=gptq,smooth=0.5,activations=mxfp8_e4m3,"
            "softmax-bits=2,softmax-clip=-4.5,tile=64,softmax-floor=zero,"
            "tune=3,tune-lr=0.001,tune-damping=0.001,tune-softmax=exact");
  EXPECT_EQ(
      parsed("w4,softmax-bits=2,tune=3,tune-softmax=quantized").tuneSoftmax,
      Recipe::TuneSoftmax::Quantized);
  EXPECT_EQ(parsed("w4,softmax-bits=2,tune=3,tune-softmax=exact-then-quantized")
                .tuneSoftmax,
            Recipe::TuneSoftmax::ExactThenQuantized);
  EXPECT_EQ(parsed("w4,softmax-bits=2,tune=3,tune-softmax=exact-then-quantized")
                .str(),
            "weights=mxfp4,method=rtn,smooth=0,activations=none,"
            "softmax-bits=2,softmax-clip=-8,tile=64,tune=3,tune-lr=0.001,"
            "tune-damping=0.001,tune-softmax=exact-then-quantized");
}

} // namespace
