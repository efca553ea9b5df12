//===- Recipe.h - What mxc does to a model ----------------------*- C++ -*-===//
//
// A quantization recipe: the weight and activation formats, SmoothQuant,
// GPTQ or RTN, EXAQ softmax and the attention tile, as typed fields; the pass
// pipeline that applies it to a model built by buildLlamaForward, built from
// the passes' generated option structs; and its text form
// ("PRESET,key=value,..."), which parse() reads and str() writes.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_RECIPE_H
#define MXC_DRIVER_RECIPE_H

#include "mxc/Analysis/SoftmaxClip.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mxc::driver {

/// How weights are rounded to their MX format.
enum class WeightMethod { RTN, GPTQ };

/// A named recipe.
struct Preset {
  const char *name, *text, *help;
};

struct Recipe {
  /// MX format of the matmul weights; none keeps them in float.
  std::optional<numerics::ElemFormat> weights;
  WeightMethod method = WeightMethod::RTN;
  /// How the weight blocks choose their shared exponents (scales=spec|mse):
  /// the OCP spec's, or the spec's or one more, whichever is closer
  /// (numerics::ScaleChoice::LeastSquares).
  numerics::ScaleChoice scales = numerics::ScaleChoice::Spec;
  /// SmoothQuant migration strength alpha in [0, 1]; 0 is off.
  double smooth = 0;
  /// MX format of the matmul inputs (needs MX weights); none keeps them
  /// in float.
  std::optional<numerics::ElemFormat> activations;
  /// How the activation blocks choose their shared exponents
  /// (activation-scales=spec|ceil): the OCP spec's, or one more where that
  /// clips the block's largest magnitude (numerics::ScaleChoice::Ceil).
  numerics::ScaleChoice activationScales = numerics::ScaleChoice::Spec;
  /// EXAQ softmax bits in every attention (0: exact softmax).
  int64_t softmaxBits = 0;
  /// A fixed (negative, finite) softmax clip, used when `clipMode` is none.
  double softmaxClip = -8;
  /// Otherwise the clip is chosen per layer by mxc-softmax-clip in this mode
  /// from the calibration statistics.
  std::optional<mlir::mxc::SoftmaxClipMode> clipMode;
  /// softmax-floor=zero: the EXAQ table's code 0 stands for 0 instead of
  /// e^clip (softmax-floor=clamp, EXAQ's; numerics::ExaqQuantizer::zeroFloor).
  bool softmaxZeroFloor = false;
  /// The EXAQ table the codes stand for: e^level (softmax-table=exp), each
  /// layer's fitted to its calibration samples (fit: mxc-softmax-table,
  /// numerics::fitExaqTable), or fitted, then tuned with the weights by the
  /// global tuning (tune: the levels are parameters of the tuner).
  enum class SoftmaxTable { Exp, Fit, Tune } softmaxTable = SoftmaxTable::Exp;
  /// Keys per KV tile of the attention loops.
  int64_t tile = 64;
  /// Matmul weights the checkpoint already holds in MX (GGUF MXFP4) keep
  /// their codes and scales bit for bit (checkpoint-mx=keep) instead of being
  /// decoded to float and quantized by the recipe (checkpoint-mx=decode).
  bool keepCheckpointMX = false;

  /// Mixed precision: matmuls (by name prefix: "classifier", "layers.0.")
  /// that keep float weights (no format) or get a format of their own, with
  /// the recipe's method. Written keep=classifier;layers.0.:mxfp8_e4m3.
  struct Kept {
    std::string prefix;
    std::optional<numerics::ElemFormat> format;
  };
  std::vector<Kept> keep;

  /// Global tuning (tune=STEPS): after the weight method, Adam steps that
  /// distill the quantized model toward the float model on the calibration
  /// windows (mxc/Tuning/GlobalTuning.h); the tuned weights are then
  /// rounded by RTN, so the stored codes come from the same encoder as every
  /// other path. 0: off.
  int64_t tuneSteps = 0;
  /// Adam's step relative to each tensor's RMS (tune-lr=).
  double tuneLearningRate = 1e-3;
  /// Oscillation dampening of the latent weights toward their rounded
  /// values (tune-damping=; tuning::TuneOptions::damping).
  double tuneDamping = 1e-3;
  /// The weight of the calibration text's own next tokens beside the float
  /// model's distributions in the tuner's loss (tune-labels=;
  /// tuning::TuneOptions::labelWeight). 0: distillation alone.
  double tuneLabels = 0;
  /// Calibration windows per Adam step (tune-batch=;
  /// tuning::TuneOptions::batch).
  int64_t tuneBatch = 2;
  /// What tuning changes (tune-what=weights|norms|both): the matmuls' latent
  /// weights, the float gains (RMSNorm gains and factors on the inputs of wo
  /// and w2), or both.
  enum class TuneWhat { Weights, Norms, Both } tuneWhat = TuneWhat::Both;
  /// The softmax of the tuner's forward pass where the recipe quantizes it
  /// (tune-softmax=exact|quantized|exact-then-quantized): the exact softmax
  /// (the default: the weights learn the float model's attention, and the
  /// compiled model applies EXAQ to it), or the recipe's EXAQ softmax
  /// (tuning::Quantizers::softmax), or the exact one for the first half of
  /// the steps and the EXAQ one after (tuning::TuneOptions::
  /// exactSoftmaxSteps). docs/tuning.md compares them.
  enum class TuneSoftmax {
    Exact,
    Quantized,
    ExactThenQuantized
  } tuneSoftmax = TuneSoftmax::Exact;

  /// Parses "PRESET", "PRESET,key=value,..." or "key=value,...". Keys:
  /// weights, method, scales, smooth, activations, activation-scales,
  /// softmax-bits, softmax-clip, softmax-floor, softmax-table, tile, keep,
  /// checkpoint-mx, tune, tune-lr, tune-damping, tune-labels, tune-batch,
  /// tune-what, tune-softmax. Validates the result.
  static llvm::Expected<Recipe> parse(llvm::StringRef text);
  /// Every preset, in the order --help lists them.
  static llvm::ArrayRef<Preset> presets();
  /// The presets as lines of help text.
  static std::string presetHelp();

  /// Checks every field (ranges, finiteness, combinations).
  llvm::Error validate() const;
  /// Whether a pass needs calibration statistics (GPTQ, SmoothQuant, a
  /// softmax clip chosen from statistics).
  bool needsCalibration() const;
  /// The fixed softmax clip, or none when the statistics choose it.
  std::optional<double> fixedClip() const;
  /// Whether the weights are quantized at all.
  bool quantizesWeights() const { return weights.has_value(); }

  /// Which of the recipe's passes buildPipeline adds: all, or one of the
  /// groups that run in this order (a driver quantizing one layer at a time
  /// runs the first two per layer, the last once).
  enum class Passes { All, Smooth, Weights, AfterWeights };
  /// Adds the recipe's passes (none for float) to `pm`, which runs on the
  /// module of a built model; `report` makes the weight passes report local
  /// errors; a non-empty `only` limits the weight quantization to the
  /// matmuls with these name prefixes; SmoothQuant and the weight passes
  /// leave alone the matmuls whose names start with one of `exclude`.
  void buildPipeline(mlir::OpPassManager &pm, bool report = false,
                     llvm::ArrayRef<std::string> only = {},
                     Passes which = Passes::All,
                     llvm::ArrayRef<std::string> exclude = {}) const;
  /// The canonical "key=value,..." text, which parse() reads back.
  std::string str() const;
};

/// The recipe text of a format: "mxfp4", ..., or "none".
llvm::StringRef formatName(std::optional<numerics::ElemFormat> format);

} // namespace mxc::driver

#endif // MXC_DRIVER_RECIPE_H
