//===- Recipe.cpp - What mxc does to a model ------------------------------===//

#include "mxc/Driver/Recipe.h"
#include "mxc/Numerics/Formats.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

using namespace mxc::driver;

namespace {

struct Preset {
  const char *name, *text, *help;
};

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
     "softmax-bits=2",
     "w6a8-smooth-gptq with a 2-bit EXAQ softmax (clip -8)"},
    {"w4", "weights=mxfp4", "MXFP4 weights, RTN"},
    {"w4-gptq", "weights=mxfp4,method=gptq", "MXFP4 weights, GPTQ"},
    {"w4-smooth-gptq", "weights=mxfp4,method=gptq,smooth=0.5",
     "MXFP4 weights, SmoothQuant 0.5 + GPTQ"},
    {"w4a8", "weights=mxfp4,activations=mxfp8_e4m3",
     "MXFP4 weights (RTN), MXFP8 activations"},
    {"w4a8-smooth-gptq",
     "weights=mxfp4,method=gptq,smooth=0.5,activations=mxfp8_e4m3",
     "MXFP4 weights (SmoothQuant 0.5 + GPTQ), MXFP8 activations"},
    {"w4a8-smooth-gptq-sm2",
     "weights=mxfp4,method=gptq,smooth=0.5,activations=mxfp8_e4m3,"
     "softmax-bits=2",
     "w4a8-smooth-gptq with a 2-bit EXAQ softmax (clip -8)"},
};

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "recipe: " + message);
}

bool isFormatOrNone(llvm::StringRef name) {
  return name == "none" || mxc::numerics::parseElemFormat(name.str());
}

} // namespace

llvm::Expected<Recipe> Recipe::parse(llvm::StringRef text) {
  Recipe r;
  llvm::SmallVector<llvm::StringRef> items;
  text.split(items, ',', -1, /*KeepEmpty=*/false);
  for (auto [i, item] : llvm::enumerate(items)) {
    item = item.trim();
    llvm::StringRef key = item.split('=').first.trim();
    llvm::StringRef value = item.split('=').second.trim();
    if (!item.contains('=')) {
      if (i != 0)
        return error("'" + item +
                     "' is not key=value (a preset only comes first)");
      llvm::StringRef name = item;
      const Preset *preset = llvm::find_if(
          kPresets, [&](const Preset &p) { return name == p.name; });
      if (preset == std::end(kPresets))
        return error("unknown preset '" + item + "'; presets:\n" +
                     presetHelp());
      llvm::Expected<Recipe> base = parse(preset->text);
      if (!base)
        return base.takeError();
      r = *base;
      continue;
    }
    auto number = [&](double &out) -> llvm::Error {
      if (value.trim().getAsDouble(out))
        return error("'" + key + "' needs a number, not '" + value + "'");
      return llvm::Error::success();
    };
    auto integer = [&](auto &out) -> llvm::Error {
      long long v;
      if (value.trim().getAsInteger(10, v))
        return error("'" + key + "' needs an integer, not '" + value + "'");
      out = v;
      return llvm::Error::success();
    };
    if (key == "weights")
      r.weights = value.str();
    else if (key == "method")
      r.method = value.str();
    else if (key == "activations")
      r.activations = value.str();
    else if (key == "softmax-clip")
      r.softmaxClip = value.str();
    else if (key == "keep") {
      llvm::SmallVector<llvm::StringRef> names;
      value.split(names, ';', -1, /*KeepEmpty=*/false);
      r.keep.clear();
      for (llvm::StringRef name : names)
        r.keep.push_back(name.trim().str());
    } else if (llvm::Error e = key == "smooth"         ? number(r.smooth)
                               : key == "softmax-bits" ? integer(r.softmaxBits)
                               : key == "tile" ? integer(r.tile)
                                               : error("unknown key '" + key +
                                                       "' (weights, "
                                                       "method, smooth, "
                                                       "activations, "
                                                       "softmax-bits, "
                                                       "softmax-clip, "
                                                       "tile, keep)"))
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
  if (!isFormatOrNone(weights))
    return error("unknown weight format '" + weights +
                 "' (mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, "
                 "mxint8, none)");
  if (!isFormatOrNone(activations))
    return error("unknown activation format '" + activations + "'");
  if (activations != "none" && weights == "none")
    return error("activations=" + activations +
                 " needs quantized weights: mxc quantizes the inputs of "
                 "matmuls with MX weights");
  if (method != "rtn" && method != "gptq")
    return error("method must be rtn or gptq, not '" + method + "'");
  if (!(smooth >= 0 && smooth <= 1))
    return error(llvm::formatv(
        "smooth (SmoothQuant alpha) must be in [0, 1], not {0}", smooth));
  if (smooth > 0 && weights == "none" && activations == "none")
    return error("smooth without quantized weights or activations does "
                 "nothing");
  if (softmaxBits < 0 || softmaxBits > 8)
    return error("softmax-bits must be 0 (exact) to 8, not " +
                 llvm::Twine(softmaxBits));
  if (softmaxClip != "analytic" && softmaxClip != "samples" &&
      softmaxClip != "pooled") {
    double clip;
    if (llvm::StringRef(softmaxClip).getAsDouble(clip) || !(clip < 0))
      return error("softmax-clip must be a negative number, analytic, "
                   "samples or pooled, not '" +
                   softmaxClip + "'");
  }
  if (tile <= 0)
    return error("tile must be positive, not " + llvm::Twine(tile));
  for (const std::string &entry : keep) {
    auto [prefix, format] = llvm::StringRef(entry).split(':');
    if (prefix.empty())
      return error("keep needs matmul names (or name prefixes), as in "
                   "keep=classifier;layers.0.:mxfp8_e4m3");
    if (!format.empty() && !isFormatOrNone(format))
      return error("unknown format '" + format + "' for kept '" + prefix + "'");
  }
  return llvm::Error::success();
}

bool Recipe::needsCalibration() const {
  return (weights != "none" && method == "gptq") || smooth > 0 ||
         (softmaxBits > 0 && !fixedClip());
}

std::optional<double> Recipe::fixedClip() const {
  double clip;
  if (llvm::StringRef(softmaxClip).getAsDouble(clip))
    return std::nullopt;
  return clip;
}

std::string Recipe::pipeline(bool report,
                             llvm::ArrayRef<std::string> only) const {
  std::string p;
  auto add = [&](const std::string &pass) {
    p += (p.empty() ? "" : ",") + pass;
  };
  if (smooth > 0)
    add("mxc-smoothquant{alpha=" + std::to_string(smooth) + "}");
  const std::string weightPass = method == "gptq" ? "mxc-gptq" : "mxc-rtn";
  std::vector<std::string> kept;
  for (const std::string &entry : keep) {
    llvm::StringRef prefix = llvm::StringRef(entry).split(':').first;
    llvm::StringRef format = llvm::StringRef(entry).split(':').second;
    kept.push_back(prefix.str());
    // A kept matmul in its own format, unless an `only` list leaves it out.
    bool inOnly = only.empty() || llvm::any_of(only, [&](const std::string &o) {
                    return prefix.starts_with(o);
                  });
    if (weights != "none" && !format.empty() && format != "none" && inOnly)
      add(weightPass + "{format=" + format.str() + (report ? " report" : "") +
          " only=" + prefix.str() + "}");
  }
  if (weights != "none")
    add(weightPass + "{format=" + weights + (report ? " report" : "") +
        (only.empty() ? "" : " only=" + llvm::join(only, ",")) +
        (kept.empty() ? "" : " exclude=" + llvm::join(kept, ",")) + "}");
  if (activations != "none")
    add("mxc-quantize-activations{format=" + activations + "}");
  if (softmaxBits > 0 && !fixedClip())
    add("mxc-softmax-clip{bits=" + std::to_string(softmaxBits) +
        " mode=" + softmaxClip + "}");
  return p;
}

std::string Recipe::str() const {
  char alpha[32];
  std::snprintf(alpha, sizeof(alpha), "%g", smooth);
  std::string text =
      llvm::formatv("weights={0},method={1},smooth={2},activations={3},"
                    "softmax-bits={4},softmax-clip={5},tile={6}",
                    weights, method, alpha, activations, softmaxBits,
                    softmaxClip, tile)
          .str();
  if (!keep.empty())
    text += ",keep=" + llvm::join(keep, ";");
  return text;
}
