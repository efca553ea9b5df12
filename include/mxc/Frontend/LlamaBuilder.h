//===- LlamaBuilder.h - A Llama model as mxc IR -----------------*- C++ -*-===//

#ifndef MXC_FRONTEND_LLAMABUILDER_H
#define MXC_FRONTEND_LLAMABUILDER_H

#include "mxc/Frontend/Checkpoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"

namespace mxc::frontend {

/// Calibration statistics of a model, in the order the builder creates ops.
struct LlamaStatistics {
  /// Per linear layer (per transformer layer wq, wk, wv, wo, w1, w3, w2;
  /// then the classifier): max |x| per input channel, and H = 2/N sum x x^T.
  /// Matmuls that read one input share its Hessian (wq, wk and wv; w1 and
  /// w3): one in memory, and one resource in the IR.
  std::vector<std::vector<float>> actAbsMax;
  std::vector<std::shared_ptr<const std::vector<float>>> hessian;
  /// Per transformer layer: statistics of d = score - row max over visible
  /// keys (all heads), and a sample of d.
  struct Softmax {
    double mean = 0, std = 0, min = 0;
    int64_t count = 0;
    std::vector<float> samples;
  };
  std::vector<Softmax> softmax;
};

/// Where the calibration function puts each recorded activation: columns
/// [offset, offset + width) of its [tokens, total] result.
struct CalibrationLayout {
  struct Layer {
    int64_t attentionInput;  ///< [dim]: read by wq, wk, wv
    int64_t query;           ///< [dim]: q after RoPE
    int64_t key;             ///< [kv_dim]: k after RoPE
    int64_t attentionOutput; ///< [dim]: read by wo
    int64_t ffnInput;        ///< [dim]: read by w1, w3
    int64_t ffnHidden;       ///< [hidden]: read by w2
  };
  std::vector<Layer> layers;
  int64_t classifierInput = -1; ///< [dim]; -1: not recorded
  /// A layer's function: the layer's output (the next layer's input), [dim].
  int64_t output = -1;
  int64_t total = 0;
};

/// The layout of `config`'s calibration function.
CalibrationLayout calibrationLayout(const LlamaConfig &config);

/// The layout of layer `layer`'s calibration function: `layers` holds that
/// layer's columns, then its output; the last layer records the classifier
/// input too.
CalibrationLayout layerCalibrationLayout(const LlamaConfig &config,
                                         int64_t layer);

/// The name of layer `layer`'s calibration function: calibrate_layer_<l>.
std::string layerCalibrationName(int64_t layer);

/// The names buildLlamaForward gives the matmuls of a model of `config`, in
/// order: "layers.<l>.<wq|wk|wv|wo|w1|w3|w2>" per layer, then "classifier".
std::vector<std::string> matmulNames(const LlamaConfig &config);

/// How to build the model.
struct LlamaBuildOptions {
  /// Attach these statistics to the ops (act_absmax and hessian on each
  /// mxc.matmul, stats on each mxc.attention).
  const LlamaStatistics *statistics = nullptr;
  /// Build `@calibrate(tokens) -> tensor<?x{total}xf32>` instead, returning
  /// the activations of calibrationLayout.
  bool calibration = false;
  /// With `calibration`: build instead, for each layer l,
  /// `@calibrate_layer_<l>(%x: tensor<?x{dim}xf32>) -> tensor<?x{total}xf32>`
  /// with the columns of layerCalibrationLayout(l): the layer alone, on its
  /// input rows %x at positions 0, 1, ... (calibration one layer at a time).
  bool calibrationLayers = false;
  /// Quantize every attention's softmax with EXAQ: `softmaxBits` bits (0:
  /// exact) and clip `softmaxClip` (< 0); with `softmaxZeroFloor` the code
  /// below the grid stands for 0 (ExaqAttr's zero_floor).
  int softmaxBits = 0;
  double softmaxClip = -8.0;
  bool softmaxZeroFloor = false;
  /// Per layer, the table of its EXAQ softmax (ExaqAttr's `table`; none or
  /// empty: e^level).
  std::vector<std::vector<float>> softmaxTables;
  /// Keys per KV tile of every mxc.attention (its `tile`).
  int64_t attentionTile = 64;
  /// Matmuls whose weight the model holds in MX (LlamaModel::mxWeights) get
  /// that MX constant instead of the float weight.
  bool keepCheckpointMX = false;
};

/// The shape of each of @decode's caches: [layers, kv_heads, seq_len,
/// head_dim].
llvm::SmallVector<int64_t, 4> kvCacheShape(const LlamaConfig &config);

/// Builds the model's two entry points from linalg, tensor, arith and math
/// ops and the mxc ops matmul (float weights, ready for the PTQ passes) and
/// attention:
///
///   func.func @decode(%tokens: tensor<?xi32>, %start: index,
///                     %k_cache: memref<L x Hkv x seq_len x hd x f32>,
///                     %v_cache: memref<L x Hkv x seq_len x hd x f32>)
///       -> tensor<?x{vocab}xf32>
///
/// runs tokens at positions start, start + 1, ...: it writes their keys and
/// values into the caches in place, each attends causally to the cached
/// positions up to its own, and the result is the logits of every token.
/// Decoding one token is a call with one token; the caller keeps
/// start + length <= seq_len. The prefill of a window is
///
///   func.func @forward(%tokens: tensor<?xi32>) -> tensor<?x{vocab}xf32>
///
/// which calls @decode at start 0 with fresh caches. With
/// `options.calibration` the module has only @calibrate instead (see
/// LlamaBuildOptions). RMSNorm gains are per-channel multiplies that
/// SmoothQuant can fold into. Weights are dense resources that point into
/// the model's memory, without a copy: `model` must outlive the module.
mlir::OwningOpRef<mlir::ModuleOp>
buildLlamaForward(mlir::MLIRContext &context, const LlamaModel &model,
                  const LlamaBuildOptions &options = {});

/// Attaches calibration statistics to a module of buildLlamaForward (built
/// without them), as buildLlamaForward would have: to each matmul named in
/// `names` (one input's readers, such as layers.0.wq/wk/wv) `absMax` and
/// one Hessian resource that shares the memory of `hessian`.
void attachInputStatistics(mlir::ModuleOp module,
                           llvm::ArrayRef<std::string> names,
                           llvm::ArrayRef<float> absMax,
                           std::shared_ptr<const std::vector<float>> hessian);

/// Attaches layer `layer`'s softmax statistics to its mxc.attention.
void attachSoftmaxStatistics(mlir::ModuleOp module, int64_t layer,
                             const LlamaStatistics::Softmax &stats);

/// Removes the input statistics of the matmuls named in `names`.
void detachInputStatistics(mlir::ModuleOp module,
                           llvm::ArrayRef<std::string> names);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_LLAMABUILDER_H
