//===- LlamaGradient.h - The Llama forward and backward pass ----*- C++ -*-===//
//
// The Llama forward pass of mxc's models (RMSNorm, RoPE, GQA attention,
// SwiGLU, the classifier) with its backward pass, written once by hand (MLIR
// has no automatic differentiation), for tuning quantized weights against
// the float model's outputs. Matmuls run on BLAS in f32; norms, softmax and
// the loss accumulate in f64. Quantizers enter as fake quantization with a
// straight-through gradient: the forward multiplies by the MX-rounded
// weights (and MX-rounded inputs), the gradient flows to the latent float
// weights as if the rounding were the identity.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TUNING_LLAMAGRADIENT_H
#define MXC_TUNING_LLAMAGRADIENT_H

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::tuning {

/// A Llama model's weights, owned, in f32 (the classifier is its own copy
/// even when the checkpoint ties it to the embedding).
struct LlamaParameters {
  frontend::LlamaConfig config;
  std::vector<float> embedding; ///< [vocab, dim]
  struct Layer {
    std::vector<float> attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3;
    /// Per-channel factors on the inputs of wo and w2 (empty: none;
    /// frontend::LlamaLayer's): float gains like the norms', in tensors()
    /// where present.
    std::vector<float> woInputScale = {}, w2InputScale = {};
    /// The natural logarithms of the layer's EXAQ table entries, tuned
    /// (softmax-table=tune; empty: the quantizer's table;
    /// softmaxTableOf): in tensors() where present, always tuned.
    std::vector<float> softmaxLevels = {};
  };
  std::vector<Layer> layers;
  std::vector<float> finalNorm;  ///< [dim]
  std::vector<float> classifier; ///< [vocab, dim]

  /// A copy of `model`'s weights.
  static LlamaParameters copyOf(const frontend::LlamaModel &model);
  /// Parameters of the same shapes, all zero, without the embedding (a
  /// gradient).
  LlamaParameters zerosLike() const;
  /// Sets every tensor but the embedding to zero (a gradient reused).
  void setZero();

  /// A named tensor: a matmul's weight ([rows, cols]: out, in), a norm's
  /// gain or input factors, or a softmax's levels (rows = 1).
  struct Tensor {
    std::string name; ///< mxc's matmul names; norms "layers.L.attention_norm",
                      ///< "layers.L.ffn_norm", "final_norm"; input factors
                      ///< "layers.L.wo_input_scale", "layers.L.w2_input_scale"
    std::vector<float> *values;
    int64_t rows, cols;
    bool isMatmul;
  };
  /// Every tensor but the embedding, in a fixed order.
  std::vector<Tensor> tensors();

  /// A LlamaModel that points into these parameters (untied classifier).
  frontend::LlamaModel view() const;
};

/// The EXAQ table that tuned levels (LlamaParameters::Layer::softmaxLevels)
/// stand for: T[q] = e^levels[q], at most 1 and never below T[q - 1]; the
/// top entry is 1, and T[0] = 0 with a zero floor, whatever their levels.
std::vector<float> softmaxTableOf(llvm::ArrayRef<float> levels, bool zeroFloor);
/// The levels that stand for `table` (the inverse of softmaxTableOf for a
/// table that fits numerics::ExaqQuantizer::table): log T[q], and -200,
/// whose exponential is 0 in f32, where T[q] is 0.
std::vector<float> softmaxLevelsOf(llvm::ArrayRef<float> table);

/// The quantizers of the forward pass.
struct Quantizers {
  /// Per matmul name, the MX format its weights are rounded to (RTN, blocks
  /// of 32 along the input dim); a matmul not named stays float.
  llvm::StringMap<numerics::ElemFormat> weights;
  /// How the weights' blocks choose their shared exponents.
  numerics::ScaleChoice weightScales = numerics::ScaleChoice::Spec;
  /// The MX format every matmul with an MX weight rounds its input rows to.
  std::optional<numerics::ElemFormat> activations;
  /// How the activations' blocks choose theirs (Spec or Ceil: the compiled
  /// model's mxc.quantize).
  numerics::ScaleChoice activationScales = numerics::ScaleChoice::Spec;
  /// The EXAQ softmax of every attention (numerics::exaqSoftmaxRow, bit for
  /// bit the compiled kernel's on the same scores). Its backward is the
  /// exact softmax's at the same scores: straight through the quantized
  /// softmax as a whole. (The Jacobian at the quantized probabilities, the
  /// straight-through estimate of the code rounding alone, sends gradient
  /// to scores clamped at the clip, which the forward ignores; tuning with
  /// it diverges on the shared model, docs/tuning.md.)
  std::optional<numerics::ExaqQuantizer> softmax;
  /// Per layer, the table `softmax` has there (ExaqQuantizer::table; none
  /// or an empty one: softmax's own).
  std::vector<std::vector<float>> softmaxTables;

  /// The softmax quantizer of layer `layer`: `softmax` with that layer's
  /// table.
  std::optional<numerics::ExaqQuantizer> softmaxOf(size_t layer) const {
    std::optional<numerics::ExaqQuantizer> q = softmax;
    if (q && layer < softmaxTables.size() && !softmaxTables[layer].empty())
      q->table = softmaxTables[layer];
    return q;
  }
};

/// The effective weights of one forward pass: each quantized matmul's
/// MX-rounded weights (computed once per parameter update).
class QuantizedView {
public:
  QuantizedView(LlamaParameters &params, const Quantizers &quantizers);
  /// The weights the forward multiplies by for matmul `name` (`latent` if
  /// it is not quantized).
  const std::vector<float> &weights(llvm::StringRef name,
                                    const std::vector<float> &latent) const;
  const Quantizers &quantizers() const { return q; }

private:
  const Quantizers &q;
  llvm::StringMap<std::vector<float>> rounded;
};

/// Log-probabilities [tokens, vocab] of the model on one window (token i at
/// position i).
std::vector<double> logProbabilities(LlamaParameters &params,
                                     const QuantizedView &view,
                                     llvm::ArrayRef<int32_t> tokens);

/// The distillation loss of one window: the mean over positions of
/// KL(teacher || model), with `teacher` the teacher's log-probabilities
/// [tokens, vocab]. With `gradient`, adds d loss / d parameter (straight
/// through the quantizers) to it; the embedding gets none. With
/// `labelWeight` w > 0 the gradient is that of (1 - w) KL + w CE, CE the
/// cross-entropy of the window's own next tokens (the hard labels of
/// knowledge distillation), over the positions that have one; the loss
/// returned stays the KL.
double distillationLoss(LlamaParameters &params, const QuantizedView &view,
                        llvm::ArrayRef<int32_t> tokens,
                        llvm::ArrayRef<double> teacher,
                        LlamaParameters *gradient, double labelWeight = 0);

} // namespace mxc::tuning

#endif // MXC_TUNING_LLAMAGRADIENT_H
