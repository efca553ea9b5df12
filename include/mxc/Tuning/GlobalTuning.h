//===- GlobalTuning.h - Quantized weights tuned to the float model -*- C++ -*-//
//
// The global objective of the local-vs-global paper (papers.md §4): the
// quantized model's next-token distributions distilled toward the float
// model's (KL) on the calibration windows, with the recipe's quantizers in
// the forward pass and straight-through gradients (LlamaGradient.h). What is
// tuned: the latent weights the MX rounding reads (quantization-aware
// fine-tuning, the paper's QAFT), the RMSNorm gains (float in every recipe),
// or both; the latent weights optionally dampened toward their rounded
// values.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TUNING_GLOBALTUNING_H
#define MXC_TUNING_GLOBALTUNING_H

#include "mxc/Tuning/LlamaGradient.h"

#include "llvm/ADT/Twine.h"

#include <functional>
#include <utility>
#include <vector>

namespace mxc::tuning {

/// Which parameters tuning changes: the matmuls' latent weights, the float
/// per-channel gains (the RMSNorm gains, and the input factors of wo and w2
/// where the parameters have them), or both.
enum class TuneTarget { Weights, Norms, Both };

struct TuneOptions {
  /// Adam updates, each on the mean gradient of `batch` calibration
  /// windows (cycling through them).
  int64_t steps = 0;
  /// Windows per update, computed in parallel (one thread each, at most
  /// `threads`); the result does not depend on the thread count.
  int64_t batch = 2;
  /// 0: every core.
  unsigned threads = 0;
  /// Adam's step size relative to each tensor's RMS at the start, decayed
  /// along a cosine to 0 at the last step.
  double learningRate = 1e-3;
  TuneTarget target = TuneTarget::Weights;
  /// Oscillation dampening (Nagel et al., "Overcoming Oscillations in
  /// Quantization-Aware Training", 2022), decoupled from the gradient: after
  /// each Adam step, each quantized latent weight w moves toward its
  /// rounded value q by damping * (1 - lr / learningRate) of the distance:
  /// nothing at the first step, `damping` of it near the last. Straight
  /// through the rounding, latent weights near a rounding boundary otherwise
  /// cross it back and forth with the noise of each step's windows; pulled
  /// to their cells, they settle. 0: off.
  double damping = 0;
  /// A curriculum for a quantized softmax: the first `exactSoftmaxSteps`
  /// steps' forward and backward passes take the exact softmax even where
  /// the quantizers have an EXAQ one, the later steps the EXAQ one. The
  /// evaluations that choose the parameters kept always take the
  /// quantizers as given. 0: the quantizers' softmax throughout.
  int64_t exactSoftmaxSteps = 0;
  /// The weight w of the windows' own next tokens in the steps' loss:
  /// (1 - w) KL(float || quantized) + w cross-entropy (distillationLoss).
  /// The evaluations that choose the parameters kept take the KL alone.
  /// 0: the KL alone.
  double labelWeight = 0;
  /// The evaluations (the start, after every pass over the windows, the
  /// end) take at most this many windows, spread evenly over them (window
  /// i * n / evaluationWindows for i < evaluationWindows), the same ones
  /// every time, so that the KLs compared are of the same text. An
  /// evaluation of all of thousands of windows takes as long as hundreds of
  /// steps (docs/tuning.md). 0: all.
  int64_t evaluationWindows = 256;
  /// Receives a line now and then ("step 40 of 200, KL 0.0123, ...").
  std::function<void(const llvm::Twine &)> progress;
};

struct TuneResult {
  /// Mean KL(float || quantized) per token over the windows: at the start
  /// and of the parameters kept (the best evaluated).
  double startKL = 0, finalKL = 0;
  /// The step whose parameters were kept (0: the start).
  int64_t bestStep = 0;
  /// Every evaluation: (step, mean KL).
  std::vector<std::pair<int64_t, double>> evaluations;
  /// The windows the evaluations take (TuneOptions::evaluationWindows).
  int64_t windowsEvaluated = 0;
  double seconds = 0;
};

/// Tunes `params` (the starting point: float or already-rounded weights) in
/// place so that, rounded by `quantizers`, its distributions on `windows`
/// match those of `teacher` (the float model). Evaluates on the windows (or
/// an even subset of them) at the start, after every pass over them and at
/// the end, and keeps the best parameters: the KL never ends above the
/// start.
TuneResult tune(LlamaParameters &params, LlamaParameters &teacher,
                const Quantizers &quantizers,
                llvm::ArrayRef<std::vector<int32_t>> windows,
                const TuneOptions &options);

} // namespace mxc::tuning

#endif // MXC_TUNING_GLOBALTUNING_H
