//===- Report.h - What quantization cost a model ----------------*- C++ -*-===//
//
// The quality report of mxc-compile: model size before and after, the local
// error of every quantized matmul (weight SQNR, output error on the
// calibration rows), the global effect (perplexity and KL from the float
// model on an evaluation text) and, per transformer layer, local error next
// to the global effect of quantizing that layer alone, with the layers
// where the two disagree flagged (the local/global misalignment of the
// PTQ-difficulty paper); and a predicted quality from cheap features
// (parameter count, format bits, RTN SQNR), after the PTQ scaling-law
// paper.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_REPORT_H
#define MXC_DRIVER_REPORT_H

#include "mxc/Driver/Compiler.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::driver {

/// One quantized matmul's local error (from its mxc.local_error).
struct MatmulError {
  std::string name;
  int64_t params = 0;
  double sqnr = 0, rtnSqnr = 0; ///< weight SQNR in dB
  /// Relative output error MSE / mean square output on the calibration rows
  /// (needs a Hessian).
  std::optional<double> relError, rtnRelError;
};

/// A transformer layer (or the classifier): its matmuls' summed relative
/// output error, and the KL from the float model when only its weights are
/// quantized (with the recipe's method, and with RTN).
struct LayerEffect {
  std::string name;
  double localError = 0, rtnLocalError = 0;
  std::optional<double> kl, rtnKL;
  int localRank = 0, globalRank = 0; ///< 1 = largest
  /// The layer's share of the summed KL over its share of the summed local
  /// error (0 without a KL).
  double globalToLocal = 0;
  std::vector<std::string> flags;
};

/// The predicted KL (and so perplexity increase) of RTN weight quantization
/// from cheap features.
struct Prediction {
  int64_t quantizedParams = 0;
  double bitsPerWeight = 0;
  /// Parameter-weighted mean of 10^(-SQNR_rtn / 10) over quantized matmuls.
  double noiseToSignal = 0;
  double kl = 0;
  double perplexityIncrease = 0; ///< exp(kl) - 1
};

/// The fitted law KL = kPredictionScale * NSR^kPredictionExponent and the
/// measurements it comes from (see predictQuality).
extern const double kPredictionScale, kPredictionExponent;

/// What global tuning (tune=) did: the KL from the float model on the
/// calibration windows over the steps, and each matmul's local error
/// against the float weights before (the method's result) and after.
struct TuningSummary {
  int64_t steps = 0;
  std::string what;
  double startKL = 0, finalKL = 0;
  int64_t keptStep = 0;
  double seconds = 0;
  std::vector<std::pair<int64_t, double>> evaluations;
  /// The calibration windows, and how many of them the KLs are measured on
  /// (tuning::TuneOptions::evaluationWindows).
  int64_t windows = 0, windowsEvaluated = 0;
  struct Matmul {
    std::string name;
    double relBefore = 0, relAfter = 0;   ///< relative output error
    double sqnrBefore = 0, sqnrAfter = 0; ///< weight SQNR, dB
  };
  std::vector<Matmul> matmuls;
  /// With softmax-table=tune, per layer: the EXAQ table tuning started from
  /// (fitted) and the one it kept.
  std::vector<std::vector<float>> softmaxTablesStart, softmaxTablesTuned;

  /// An SVG of both: the KL per step, and per matmul the relative output
  /// error before and after (log scale).
  std::string svg() const;
  /// One line: "tuned the weights: KL a -> b on the calibration windows
  /// (step k of N kept) in s s".
  std::string summary() const;
  /// "the calibration windows", or "256 of the 1501 calibration windows".
  std::string windowsText() const;
};

struct QualityReport {
  std::string model, recipe;
  int64_t params = 0;
  int64_t floatBytes = 0, compiledBytes = 0;
  std::vector<MatmulError> matmuls;
  std::vector<LayerEffect> layers;
  std::optional<Evaluation> floatEval, eval;
  std::string evalText;
  Prediction predicted;
  /// The recipe with the flagged layers kept in more bits (suggestRecipe).
  std::string suggestedRecipe;
  std::optional<TuningSummary> tuning;

  void printText(llvm::raw_ostream &os) const;
  void printJSON(llvm::raw_ostream &os) const;
};

/// The mxc.local_error of every quantized matmul of `module`, in order.
std::vector<MatmulError> collectLocalErrors(mlir::ModuleOp module);

/// The bytes of the constants `module` uses (weights and tables): packed MX
/// data and scales at their storage size, floats at 4 bytes.
int64_t constantBytes(mlir::ModuleOp module);

/// The transformer layer of a matmul name ("layers.3.wq" -> "layers.3.",
/// "classifier" -> "classifier").
std::string layerOf(llvm::StringRef matmul);

/// Fills each layer's local errors (the sum over its matmuls), ranks the
/// local and the global effects (layers without a KL get no global rank)
/// and flags disagreements: "global-share-<r>x-local-share" when the
/// layer's share of the summed KL is r >= 2 (or <= 0.5) times its share of
/// the summed local error, and "local-gain-no-global-gain" when the
/// recipe's method lowered the local error below RTN's but not the KL.
void rankAndFlag(std::vector<LayerEffect> &layers,
                 const std::vector<MatmulError> &matmuls);

/// The recipe with every layer whose KL share is 2x or more its local-error
/// share (the local error understates it) kept at 8 bits (keep=<layer>:
/// mxfp8_e4m3), or in float when the weights are 8-bit already; `recipe`
/// unchanged when no layer is.
Recipe suggestRecipe(const Recipe &recipe,
                     const std::vector<LayerEffect> &layers);

/// The prediction from the matmuls' RTN SQNR and sizes, for `bits` bits
/// per weight element (plus 8 per block of 32 for the scale).
Prediction predictQuality(const std::vector<MatmulError> &, double bits);

/// How well clip rules serve the EXAQ softmax on a model's real attention
/// rows: per bit width (2, 3, 4) the clips from the calibration statistics
/// (the Gaussian and sample optima, the observed minimum, -8; and with a
/// zero floor the pooled-row optimum), applied to every causal attention row
/// of every layer and head of some windows; mean L1 and KL of the output
/// against the float64 softmax (the KL is infinite where a zero floor drops
/// a key).
struct SoftmaxClipStudy {
  struct Rule {
    std::string name;
    int bits;
    std::vector<double> clip; ///< per layer
    bool zeroFloor = false;
    /// Per layer, the table fitted to the layer's samples
    /// (numerics::fitExaqTable); none: e^level.
    std::vector<std::vector<float>> table = {};
    double meanL1 = 0, meanKL = 0;
  };
  std::vector<Rule> rules;
  int64_t rows = 0;
};

/// The study, from the calibration model's records of `windows`.
SoftmaxClipStudy
studySoftmaxClips(CompiledModel &calibration,
                  const frontend::LlamaConfig &config,
                  const frontend::LlamaStatistics &statistics,
                  const std::vector<std::vector<int32_t>> &windows);

} // namespace mxc::driver

#endif // MXC_DRIVER_REPORT_H
