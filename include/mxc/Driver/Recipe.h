//===- Recipe.h - What mxc does to a model ----------------------*- C++ -*-===//
//
// A quantization recipe: the weight and activation formats, SmoothQuant,
// GPTQ or RTN, EXAQ softmax and the attention tile, and the pass pipeline
// that applies it to a model built by buildLlamaForward.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_RECIPE_H
#define MXC_DRIVER_RECIPE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::driver {

struct Recipe {
  /// MX format of the matmul weights ("mxfp4", "mxfp6_e2m3", ...), or
  /// "none" to keep them in float.
  std::string weights = "none";
  /// Weight quantization: "rtn" or "gptq".
  std::string method = "rtn";
  /// SmoothQuant migration strength α; 0 is off.
  double smooth = 0;
  /// MX format of the matmul inputs, or "none".
  std::string activations = "none";
  /// EXAQ softmax bits in every attention (0: exact softmax).
  int softmaxBits = 0;
  /// The softmax clip: a negative number, or "analytic", "samples" or
  /// "pooled" for a per-layer clip chosen by mxc-softmax-clip from the
  /// calibration statistics.
  std::string softmaxClip = "-8";
  /// Keys per KV tile of the attention loops.
  int64_t tile = 64;
  /// Mixed precision: matmuls (name prefixes, e.g. "classifier",
  /// "layers.0.") that keep float weights ("classifier") or get their own
  /// format ("classifier:mxfp8_e4m3"), with the recipe's method. Written
  /// keep=a;b:fmt.
  std::vector<std::string> keep;

  /// Parses "PRESET", "PRESET,key=value,..." or "key=value,...". Keys:
  /// weights, method, smooth, activations, softmax-bits, softmax-clip, tile,
  /// keep.
  static llvm::Expected<Recipe> parse(llvm::StringRef text);
  /// The presets, for --help.
  static std::string presetHelp();

  /// Checks every field.
  llvm::Error validate() const;
  /// Whether a pass needs calibration statistics (GPTQ, SmoothQuant, a
  /// softmax clip chosen from statistics).
  bool needsCalibration() const;
  /// The fixed softmax clip, or none when the statistics choose it.
  std::optional<double> fixedClip() const;
  /// The pass pipeline on the built model (empty for float); `report` makes
  /// the weight passes report local errors; a non-empty `only` limits the
  /// weight quantization to the matmuls with these name prefixes.
  std::string pipeline(bool report = false,
                       llvm::ArrayRef<std::string> only = {}) const;
  /// The canonical "key=value,..." text, which parse() reads back.
  std::string str() const;
};

} // namespace mxc::driver

#endif // MXC_DRIVER_RECIPE_H
