//===- Recipe.cpp - What mxc does to a model ------------------------------===//

#include "mxc/Driver/Recipe.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>

using namespace mxc::driver;
namespace num = mxc::numerics;

namespace {

const Preset kPresets[] = {
    {"float", "", "no quantization"},
    {"w8", "weights=mxfp8_e4m3", "MXFP8 (E4M3) weights, RTN"},
    {"wint8", "weights=mxint8", "MXINT8 weights, RTN"},
    {"w6", "weights=mxfp6_e2m3", "MXFP6 (E2M3) weights, RTN"},
    {"w6-gptq", "weights=mxfp6_e2m3,method=gptq", "MXFP6 weights, GPTQ"},
    {"w6a8-smooth-gptq",
     "weights=mxfp6_e2m3,method=gptq,smooth=0.5,activations=mxfp8_e4m3",
     "MXFP6 weights (SmoothQuant 0.5 + GPTQ), MXFP8 activations"},
    {"w6a8-smooth-gptq-sm2",
     "weights=mxfp6_e2m3,method=gptq,smooth=0.5,activations=mxfp8_e4m3,"
     "softmax-bits=2,softmax-floor=zero,softmax-clip=-4.5",
     "w6a8-smooth-gptq with a 2-bit EXAQ softmax (zero floor, clip -4.5)"},
    {"w4", "weights=mxfp4", "MXFP4 weights, RTN"},
    {"w4-gptq", "weights=mxfp4,method=gptq", "MXFP4 weights, GPTQ"},
    {"w4-keep", "weights=mxfp4,checkpoint-mx=keep",
     "MXFP4 weights: those the checkpoint holds in MXFP4 (GGUF) bit for "
     "bit, the rest RTN"},
    {"w4-smooth-gptq", "weights=mxfp4,method=gptq,smooth=0.5",
     "MXFP4 weights, SmoothQuant 0.5 + GPTQ"},
    {"w4a8", "weights=mxfp4,activations=mxfp8_e4m3",
     "MXFP4 weights (RTN), MXFP8 activations"},
    {"w4a8-smooth-gptq",
     "weights=mxfp4,method=gptq,smooth=0.5,activations=mxfp8_e4m3",
     "MXFP4 weights (SmoothQuant 0.5 + GPTQ), MXFP8 activations"},
    {"w4a8-smooth-gptq-sm2",
     "weights=mxfp4,method=gptq,smooth=0.5,activations=mxfp8_e4m3,"
     "softmax-bits=2,softmax-floor=zero,softmax-clip=-4.5",
     "w4a8-smooth-gptq with a 2-bit EXAQ softmax (zero floor, clip -4.5)"},
};

const char *const kFormatNames =
    "mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8 or none";

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "recipe: " + message);
}

/// "none" or an MX format's OCP name; `what` and `where` name it in errors.
llvm::Expected<std::optional<num::ElemFormat>>
parseFormat(llvm::StringRef value, const llvm::Twine &what,
            const llvm::Twine &where = "") {
  if (value == "none")
    return std::nullopt;
  // Only OCP names: the MLIR type names parseElemFormat also knows are not
  // recipe words.
  for (num::ElemFormat f : num::kAllElemFormats)
    if (value == llvm::StringRef(num::getFormatInfo(f).name))
      return f;
  return error("unknown " + what + " '" + value + "'" + where + " (" +
               kFormatNames + ")");
}

std::optional<mlir::mxc::SoftmaxClipMode> parseClipMode(llvm::StringRef v) {
  using mlir::mxc::SoftmaxClipMode;
  if (v == "analytic")
    return SoftmaxClipMode::Analytic;
  if (v == "samples")
    return SoftmaxClipMode::Samples;
  if (v == "pooled")
    return SoftmaxClipMode::Pooled;
  return std::nullopt;
}

llvm::StringRef clipModeName(mlir::mxc::SoftmaxClipMode mode) {
  using mlir::mxc::SoftmaxClipMode;
  switch (mode) {
  case SoftmaxClipMode::Analytic:
    return "analytic";
  case SoftmaxClipMode::Samples:
    return "samples";
  case SoftmaxClipMode::Pooled:
    return "pooled";
  }
  llvm_unreachable("unknown softmax clip mode");
}

/// The value of tune-softmax= that parses back as `mode`.
const char *tuneSoftmaxName(Recipe::TuneSoftmax mode) {
  switch (mode) {
  case Recipe::TuneSoftmax::Exact:
    return "exact";
  case Recipe::TuneSoftmax::Quantized:
    return "quantized";
  case Recipe::TuneSoftmax::ExactThenQuantized:
    return "exact-then-quantized";
  }
  llvm_unreachable("unknown tune-softmax mode");
}

/// Shortest text that reads back as the same double.
std::string formatDouble(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<int64_t>(v));
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", v);
  for (int digits = 1; digits <= 17; ++digits) {
    char shorter[32];
    std::snprintf(shorter, sizeof(shorter), "%.*g", digits, v);
    if (std::strtod(shorter, nullptr) == v)
      return shorter;
  }
  return text;
}

} // namespace

llvm::StringRef mxc::driver::formatName(std::optional<num::ElemFormat> format) {
  if (!format)
    return "none";
  std::string_view name = num::getFormatInfo(*format).name;
  return llvm::StringRef(name.data(), name.size());
}

llvm::ArrayRef<Preset> Recipe::presets() { return kPresets; }

llvm::Expected<Recipe> Recipe::parse(llvm::StringRef text) {
  Recipe r;
  llvm::SmallVector<llvm::StringRef> items;
  text.split(items, ',', -1, /*KeepEmpty=*/false);
  for (auto [i, rawItem] : llvm::enumerate(items)) {
    llvm::StringRef item = rawItem.trim();
    if (item.empty())
      continue;
    if (!item.contains('=')) {
      if (i != 0)
        return error("'" + item +
                     "' is not key=value (a preset only comes first)");
      const Preset *preset = llvm::find_if(
          kPresets, [&](const Preset &p) { return item == p.name; });
      if (preset == std::end(kPresets))
        return error("unknown preset '" + item + "'; presets:\n" +
                     presetHelp());
      llvm::Expected<Recipe> base = parse(preset->text);
      if (!base)
        return base.takeError();
      r = *base;
      continue;
    }
    llvm::StringRef key = item.split('=').first.trim();
    llvm::StringRef value = item.split('=').second.trim();
    auto number = [&](double &out) -> llvm::Error {
      if (value.getAsDouble(out) || !std::isfinite(out))
        return error("'" + key + "' needs a finite number, not '" + value +
                     "'");
      return llvm::Error::success();
    };
    auto integer = [&](int64_t &out) -> llvm::Error {
      if (value.getAsInteger(10, out))
        return error("'" + key + "' needs an integer, not '" + value + "'");
      return llvm::Error::success();
    };
    llvm::Error e = llvm::Error::success();
    if (key == "weights" || key == "activations") {
      auto format = parseFormat(value, key == "weights" ? "weight format"
                                                        : "activation format");
      if (!format)
        return format.takeError();
      (key == "weights" ? r.weights : r.activations) = *format;
    } else if (key == "method") {
      if (value == "rtn")
        r.method = WeightMethod::RTN;
      else if (value == "gptq")
        r.method = WeightMethod::GPTQ;
      else
        return error("method must be rtn or gptq, not '" + value + "'");
    } else if (key == "scales") {
      if (value == "spec")
        r.scales = num::ScaleChoice::Spec;
      else if (value == "mse")
        r.scales = num::ScaleChoice::LeastSquares;
      else
        return error("scales must be spec or mse, not '" + value + "'");
    } else if (key == "activation-scales") {
      if (value == "spec")
        r.activationScales = num::ScaleChoice::Spec;
      else if (value == "ceil")
        r.activationScales = num::ScaleChoice::Ceil;
      else
        return error("activation-scales must be spec or ceil, not '" + value +
                     "'");
    } else if (key == "smooth") {
      e = number(r.smooth);
    } else if (key == "softmax-bits") {
      e = integer(r.softmaxBits);
    } else if (key == "softmax-clip") {
      r.clipMode = parseClipMode(value);
      if (!r.clipMode &&
          (value.getAsDouble(r.softmaxClip) || !std::isfinite(r.softmaxClip)))
        return error("softmax-clip must be a negative number, analytic, "
                     "samples or pooled, not '" +
                     value + "'");
    } else if (key == "softmax-floor") {
      if (value == "clamp")
        r.softmaxZeroFloor = false;
      else if (value == "zero")
        r.softmaxZeroFloor = true;
      else
        return error("softmax-floor must be clamp or zero, not '" + value +
                     "'");
    } else if (key == "softmax-table") {
      if (value == "exp")
        r.softmaxTable = SoftmaxTable::Exp;
      else if (value == "fit")
        r.softmaxTable = SoftmaxTable::Fit;
      else if (value == "tune")
        r.softmaxTable = SoftmaxTable::Tune;
      else
        return error("softmax-table must be exp, fit or tune, not '" + value +
                     "'");
    } else if (key == "tile") {
      e = integer(r.tile);
    } else if (key == "checkpoint-mx") {
      if (value == "keep")
        r.keepCheckpointMX = true;
      else if (value == "decode")
        r.keepCheckpointMX = false;
      else
        return error("checkpoint-mx must be keep or decode, not '" + value +
                     "'");
    } else if (key == "keep") {
      llvm::SmallVector<llvm::StringRef> entries;
      value.split(entries, ';', -1, /*KeepEmpty=*/false);
      r.keep.clear();
      for (llvm::StringRef entry : entries) {
        auto [prefix, formatText] = entry.trim().split(':');
        Kept kept{prefix.trim().str(), std::nullopt};
        if (!formatText.empty()) {
          auto format = parseFormat(formatText.trim(), "format",
                                    " for kept '" + prefix + "'");
          if (!format)
            return format.takeError();
          kept.format = *format;
        }
        r.keep.push_back(std::move(kept));
      }
    } else if (key == "tune") {
      e = integer(r.tuneSteps);
    } else if (key == "tune-lr") {
      e = number(r.tuneLearningRate);
    } else if (key == "tune-damping") {
      e = number(r.tuneDamping);
    } else if (key == "tune-labels") {
      e = number(r.tuneLabels);
    } else if (key == "tune-batch") {
      e = integer(r.tuneBatch);
    } else if (key == "tune-what") {
      if (value == "weights")
        r.tuneWhat = TuneWhat::Weights;
      else if (value == "norms")
        r.tuneWhat = TuneWhat::Norms;
      else if (value == "both")
        r.tuneWhat = TuneWhat::Both;
      else
        return error("tune-what must be weights, norms or both, not '" + value +
                     "'");
    } else if (key == "tune-softmax") {
      if (value == "exact")
        r.tuneSoftmax = TuneSoftmax::Exact;
      else if (value == "quantized")
        r.tuneSoftmax = TuneSoftmax::Quantized;
      else if (value == "exact-then-quantized")
        r.tuneSoftmax = TuneSoftmax::ExactThenQuantized;
      else
        return error("tune-softmax must be exact, quantized or "
                     "exact-then-quantized, not '" +
                     value + "'");
    } else {
      return error("unknown key '" + key +
                   "' (weights, method, scales, smooth, activations, "
                   "activation-scales, softmax-bits, softmax-clip, "
                   "softmax-floor, softmax-table, tile, keep, checkpoint-mx, "
                   "tune, tune-lr, tune-damping, tune-labels, tune-batch, "
                   "tune-what, tune-softmax)");
    }
    if (e)
      return std::move(e);
  }
  if (llvm::Error e = r.validate())
    return std::move(e);
  return r;
}

std::string Recipe::presetHelp() {
  std::string help;
  for (const Preset &p : kPresets)
    help += llvm::formatv("  {0,-22} {1}\n", p.name, p.help).str();
  return help;
}

llvm::Error Recipe::validate() const {
  if (activations && !weights)
    return error("activations=" + formatName(activations) +
                 " needs quantized weights: mxc quantizes the inputs of "
                 "matmuls with MX weights");
  if (!(smooth >= 0 && smooth <= 1))
    return error(llvm::formatv(
        "smooth (SmoothQuant alpha) must be in [0, 1], not {0}", smooth));
  if (scales != num::ScaleChoice::Spec && !weights)
    return error("scales=mse without quantized weights (weights=...) does "
                 "nothing");
  if (activationScales != num::ScaleChoice::Spec && !activations)
    return error("activation-scales=ceil without quantized activations "
                 "(activations=...) does nothing");
  if (smooth > 0 && !weights)
    return error("smooth without quantized weights or activations does "
                 "nothing");
  if (softmaxBits < 0 || softmaxBits > 8)
    return error("softmax-bits must be 0 (exact) to 8, not " +
                 llvm::Twine(softmaxBits));
  if (!clipMode && !(softmaxClip < 0 && std::isfinite(softmaxClip)))
    return error("softmax-clip must be a negative number, analytic, samples "
                 "or pooled, not '" +
                 formatDouble(softmaxClip) + "'");
  if (!clipMode && softmaxClip < numerics::kMinExaqClip)
    return error("softmax-clip must be at least " +
                 formatDouble(numerics::kMinExaqClip) + ", not " +
                 formatDouble(softmaxClip));
  if (softmaxZeroFloor && softmaxBits == 0)
    return error("softmax-floor=zero without a quantized softmax "
                 "(softmax-bits=...) does nothing; the -sm2 presets set it: "
                 "take the preset without -sm2");
  if (softmaxTable != SoftmaxTable::Exp && softmaxBits == 0)
    return error(std::string("softmax-table=") +
                 (softmaxTable == SoftmaxTable::Fit ? "fit" : "tune") +
                 " without a quantized softmax (softmax-bits=...) does "
                 "nothing");
  if (softmaxTable == SoftmaxTable::Tune &&
      (tuneSteps == 0 || tuneSoftmax == TuneSoftmax::Exact))
    return error("softmax-table=tune tunes the table with the weights: it "
                 "needs tune=STEPS and tune-softmax=quantized (or "
                 "exact-then-quantized)");
  if (tile <= 0)
    return error("tile must be positive, not " + llvm::Twine(tile));
  if (keepCheckpointMX && smooth > 0)
    return error("checkpoint-mx=keep cannot be combined with smooth: "
                 "SmoothQuant rescales the weights it would keep");
  for (const Kept &entry : keep)
    if (entry.prefix.empty())
      return error("keep needs matmul names (or name prefixes), as in "
                   "keep=classifier;layers.0.:mxfp8_e4m3");
  if (tuneSteps < 0)
    return error("tune must be a number of steps >= 0, not " +
                 llvm::Twine(tuneSteps));
  if (tuneSteps > 0) {
    if (!weights)
      return error("tune needs quantized weights (weights=...)");
    if (!(tuneLearningRate > 0) || tuneLearningRate > 1)
      return error("tune-lr must be in (0, 1], not " +
                   formatDouble(tuneLearningRate));
    if (!(tuneDamping >= 0) || tuneDamping >= 1)
      return error("tune-damping must be in [0, 1), not " +
                   formatDouble(tuneDamping));
    if (!(tuneLabels >= 0) || tuneLabels > 1)
      return error("tune-labels must be in [0, 1], not " +
                   formatDouble(tuneLabels));
    if (tuneBatch < 1)
      return error("tune-batch must be a number of windows >= 1, not " +
                   llvm::Twine(tuneBatch));
    // What the tuner's forward pass does not model yet.
    if (softmaxBits > 0 && clipMode && tuneSoftmax != TuneSoftmax::Exact)
      return error("tune-softmax=" + std::string(tuneSoftmaxName(tuneSoftmax)) +
                   " cannot be combined with a softmax clip chosen from "
                   "statistics yet: give a fixed softmax-clip");
    if (keepCheckpointMX)
      return error("tune cannot be combined with checkpoint-mx=keep: tuning "
                   "changes the weights it would keep");
  }
  return llvm::Error::success();
}

bool Recipe::needsCalibration() const {
  return (weights && method == WeightMethod::GPTQ) || smooth > 0 ||
         (softmaxBits > 0 && (clipMode || softmaxTable != SoftmaxTable::Exp)) ||
         tuneSteps > 0;
}

std::optional<double> Recipe::fixedClip() const {
  if (clipMode)
    return std::nullopt;
  return softmaxClip;
}

void Recipe::buildPipeline(mlir::OpPassManager &pm, bool report,
                           llvm::ArrayRef<std::string> only, Passes which,
                           llvm::ArrayRef<std::string> exclude) const {
  using namespace mlir::mxc;
  auto adds = [&](Passes group) {
    return which == Passes::All || which == group;
  };
  // A tuned model's weights are smoothed already (before tuning).
  if (smooth > 0 && tuneSteps == 0 && adds(Passes::Smooth)) {
    MXCSmoothQuantPassOptions options;
    options.alpha = smooth;
    options.exclude.assign(exclude.begin(), exclude.end());
    pm.addPass(createMXCSmoothQuantPass(options));
  }
  // One weight pass: its format, the matmuls it quantizes (all but the kept
  // ones, or `only`) and those it leaves.
  auto addWeightPass = [&](num::ElemFormat format,
                           llvm::ArrayRef<std::string> include,
                           llvm::ArrayRef<std::string> leave) {
    std::vector<std::string> excluded(leave.begin(), leave.end());
    excluded.insert(excluded.end(), exclude.begin(), exclude.end());
    // Tuned weights are already the method's result: RTN stores them.
    if (method == WeightMethod::GPTQ && tuneSteps == 0) {
      MXCGPTQPassOptions options;
      options.format = format;
      options.scales = scales;
      options.report = report;
      options.only.assign(include.begin(), include.end());
      options.exclude.assign(excluded.begin(), excluded.end());
      pm.addPass(createMXCGPTQPass(options));
    } else {
      MXCRTNPassOptions options;
      options.format = format;
      options.scales = scales;
      options.report = report;
      options.only.assign(include.begin(), include.end());
      options.exclude.assign(excluded.begin(), excluded.end());
      pm.addPass(createMXCRTNPass(options));
    }
  };
  if (adds(Passes::Weights)) {
    std::vector<std::string> kept;
    for (const Kept &entry : keep) {
      kept.push_back(entry.prefix);
      // A kept matmul in its own format, unless an `only` list leaves it
      // out.
      bool inOnly =
          only.empty() || llvm::any_of(only, [&](const std::string &o) {
            return llvm::StringRef(entry.prefix).starts_with(o);
          });
      if (weights && entry.format && inOnly)
        addWeightPass(*entry.format, {entry.prefix}, {});
    }
    if (weights)
      addWeightPass(*weights, only, kept);
  }
  if (activations && adds(Passes::AfterWeights)) {
    MXCQuantizeActivationsPassOptions options;
    options.format = *activations;
    if (activationScales == num::ScaleChoice::Ceil)
      options.scales = mlir::mxc::ScaleChoice::Ceil;
    pm.addPass(createMXCQuantizeActivationsPass(options));
  }
  if (softmaxBits > 0 && clipMode && adds(Passes::AfterWeights)) {
    MXCSoftmaxClipPassOptions options;
    options.bits = softmaxBits;
    options.mode = *clipMode;
    options.zeroFloor = softmaxZeroFloor;
    pm.addPass(createMXCSoftmaxClipPass(options));
  }
  // A tuned table comes with the tuned model (CompileOptions::softmaxTables).
  if (softmaxBits > 0 && softmaxTable == SoftmaxTable::Fit &&
      adds(Passes::AfterWeights))
    pm.addPass(createMXCSoftmaxTablePass());
}

std::string Recipe::str() const {
  std::string text =
      llvm::formatv(
          "weights={0},method={1},smooth={2},activations={3},"
          "softmax-bits={4},softmax-clip={5},tile={6}",
          formatName(weights), method == WeightMethod::GPTQ ? "gptq" : "rtn",
          formatDouble(smooth), formatName(activations), softmaxBits,
          clipMode ? clipModeName(*clipMode).str() : formatDouble(softmaxClip),
          tile)
          .str();
  if (softmaxZeroFloor)
    text += ",softmax-floor=zero";
  if (softmaxTable != SoftmaxTable::Exp)
    text += softmaxTable == SoftmaxTable::Fit ? ",softmax-table=fit"
                                              : ",softmax-table=tune";
  if (scales == num::ScaleChoice::LeastSquares)
    text += ",scales=mse";
  if (activationScales == num::ScaleChoice::Ceil)
    text += ",activation-scales=ceil";
  if (keepCheckpointMX)
    text += ",checkpoint-mx=keep";
  if (!keep.empty()) {
    text += ",keep=";
    for (auto [i, entry] : llvm::enumerate(keep)) {
      text += (i ? ";" : "") + entry.prefix;
      if (entry.format)
        text += ":" + formatName(entry.format).str();
    }
  }
  if (tuneSteps > 0) {
    text += ",tune=" + std::to_string(tuneSteps) +
            ",tune-lr=" + formatDouble(tuneLearningRate) +
            ",tune-damping=" + formatDouble(tuneDamping);
    if (tuneLabels > 0)
      text += ",tune-labels=" + formatDouble(tuneLabels);
    if (tuneBatch != 2)
      text += ",tune-batch=" + std::to_string(tuneBatch);
    if (tuneWhat != TuneWhat::Both)
      text += tuneWhat == TuneWhat::Norms ? ",tune-what=norms"
                                          : ",tune-what=weights";
    if (softmaxBits > 0)
      text += std::string(",tune-softmax=") + tuneSoftmaxName(tuneSoftmax);
  }
  return text;
}
