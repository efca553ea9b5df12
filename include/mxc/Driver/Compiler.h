//===- Compiler.h - Build, quantize, lower and run a model ------*- C++ -*-===//
//
// The steps that mxc-compile, mxc-run and the Python bindings share: build a
// Llama model as mxc IR, apply a recipe, lower it to the LLVM dialect,
// JIT-compile it, calibrate on a text, and measure perplexity and KL.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_COMPILER_H
#define MXC_DRIVER_COMPILER_H

#include "mxc/Driver/Recipe.h"
#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/Support/Reservoir.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <random>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir
namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc
template <typename T, int N> struct StridedMemRefType;

namespace mxc::driver {

/// Where compileModel stops.
enum class Stage {
  MXC,    ///< after the recipe's passes: mxc and upstream ops on tensors
  Linalg, ///< after the mxc lowerings: upstream linalg/tensor/arith only
  GPU,    ///< GPU targets: buffers, gpu.launch for all the work
  LLVM,   ///< the LLVM dialect, ready for the JIT
};

/// What the model is compiled for.
enum class Target {
  CPU,       ///< loops on the CPU (the reference path)
  CUDAOnCPU, ///< the GPU path's kernels run as CPU loops: the GPU mapping,
             ///< tested and run without a GPU
  CUDA,      ///< the GPU path for CUDA: kernels in a device binary, host
             ///< code calling mxc's runtime (not runnable by the JIT)
};

/// A line of progress (shown on a terminal by the tools).
using Progress = std::function<void(const llvm::Twine &)>;

struct CompileOptions {
  Recipe recipe;
  /// Calibration statistics to attach (GPTQ, SmoothQuant and chosen softmax
  /// clips need them).
  const frontend::LlamaStatistics *statistics = nullptr;
  /// Build @calibrate instead of @forward/@decode (recipe ignored).
  bool calibration = false;
  /// Per layer, the table of its EXAQ softmax where the recipe has a fixed
  /// clip (softmax-table=tune: the tuned tables; empty: e^level, or what
  /// the recipe's passes set).
  std::vector<std::vector<float>> softmaxTables;
  /// With `calibration`: one function per layer
  /// (LlamaBuildOptions::calibrationLayers).
  bool calibrationLayers = false;
  /// For whole windows run many times (calibration, perplexity): matmuls
  /// loop over their rows innermost and the JIT compiles for this CPU's
  /// vector registers, so LLVM vectorizes across rows (identical results).
  /// Token-by-token decode gets slower and the JIT compile about 3x longer:
  /// see worthVectorizingWindows().
  bool rowsInnermost = false;
  /// Whether rowsInnermost applies: not when the matmuls run in the kernel
  /// (matmulKernels), where it would only lengthen the JIT compile.
  bool vectorizeWindows() const { return rowsInnermost && !matmulKernels; }
  /// Target::CPU: MX and f32 matmuls, and plain causal attentions, call
  /// mxc's CPU kernels (mxc/Runtime/CPUKernels.h: SIMD, threads), whose sums
  /// equal the generated loops' within f32 rounding; false: the generated
  /// loops (bit-identical to the mxc-opt lowering).
  bool matmulKernels = true;
  /// The weight passes report local errors (remarks, and an
  /// `mxc.local_error` attribute on each quantized matmul).
  bool report = false;
  /// Quantize the weights only of matmuls whose name (`layers.3.wq`,
  /// `classifier`) starts with one of these; empty: all.
  std::vector<std::string> only;
  /// Which of the recipe's passes compileModule runs
  /// (compileModelLayerwise runs the smoothing and weight passes itself).
  Recipe::Passes recipePasses = Recipe::Passes::All;
  /// More passes after the recipe's, in pass-pipeline syntax.
  std::string extraPasses;
  Stage stop = Stage::LLVM;
  Target target = Target::CPU;
  /// Target::CUDA: the chip and the toolkit whose ptxas builds the binary.
  std::string chip = "sm_90";
  std::string cudaToolkit = "/usr/local/cuda";
  /// Target::CUDA: also the kernels for this CPU, which the CPU stand-in for
  /// libcuda's emulator runs (tests without a GPU).
  bool emulatedKernels = false;
  /// CUDA, sm_80 and newer: prefill matmuls of at least kGemmMinRows rows on
  /// the tensor cores (x rounded to bf16); otherwise the f32 GEMV.
  bool tensorCores = true;
  /// Called with the module at each stage it passes (MXC: after the recipe's
  /// passes; Linalg; LLVM), up to `stop`.
  std::function<void(Stage, mlir::ModuleOp)> onStage;
  /// Receives every remark of the passes.
  std::function<void(mlir::Diagnostic &)> remark;
  Progress progress;
  /// When set, each stage and its passes are timed under this scope (as
  /// mlir-opt's --mlir-timing does).
  mlir::TimingScope *timing = nullptr;
};

/// Builds `model` as mxc IR and compiles it down to `options.stop`. Errors
/// carry the compiler's diagnostics.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileModel(mlir::MLIRContext &context, const frontend::LlamaModel &model,
             const CompileOptions &options);

/// Compiles `module` (mxc and upstream IR on tensors, e.g. what compileModel
/// builds or a user's .mlir file) from the recipe's passes down to
/// `options.stop`. `options.statistics` and `options.calibration` do not
/// apply.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileModule(mlir::MLIRContext &context,
              mlir::OwningOpRef<mlir::ModuleOp> module,
              const CompileOptions &options);

/// A context with every dialect, extension and LLVM translation mxc uses.
std::unique_ptr<mlir::MLIRContext> createContext();

/// The CPU that native code is compiled for: an LLVM CPU name ("generic",
/// the portable default: the vector work is in mxc's CPU kernels, which
/// choose their instruction set when they run; "x86-64-v3", "znver3",
/// "sapphirerapids", ...; "native" for this host) and LLVM features
/// ("+avx2,+fma,-avx512f"; "native" for this host's).
struct NativeCPU {
  std::string cpu = "generic";
  std::string features;
};

/// `cpu` with "native" replaced by this host's CPU name and features;
/// an error naming what LLVM does not know (an unknown CPU, a feature
/// without +/- or unknown).
llvm::Expected<NativeCPU> resolveNativeCPU(const NativeCPU &cpu);

/// The LLVM-dialect `llvmModule` as a relocatable object file (ELF on Linux)
/// for this host's triple and `cpu` (as resolveNativeCPU returns it: no
/// "native", names LLVM knows), position-independent;
/// `optimize`: optimized as the JIT optimizes.
llvm::Expected<std::string> emitHostObject(mlir::ModuleOp llvmModule,
                                           bool optimize,
                                           const NativeCPU &cpu = {});

/// Native code for the LLVM-dialect module of a CPU model: an object file
/// (ELF on Linux) for this host's triple and `cpu` (resolved, as for
/// emitHostObject), optimized as
/// the JIT optimizes; the weights are external symbols named as the
/// module's globals, whose data stays in the module.
llvm::Expected<std::string> compileNativeObject(mlir::ModuleOp llvmModule,
                                                const NativeCPU &cpu = {});

/// Attaches `object` (compileNativeObject of `llvmModule` for the resolved
/// `cpu`) to
/// `llvmModule` (attributes mxc.native_object, a resource,
/// mxc.native_triple, mxc.native_cpu and mxc.native_features), so that
/// CompiledModel::create links it instead of compiling the module.
void attachNativeObject(mlir::ModuleOp llvmModule, llvm::StringRef object,
                        const NativeCPU &cpu = {});

/// Whether `llvmModule` carries native code that this CPU runs: its
/// architecture, and every instruction-set feature the code was compiled
/// for (what CompiledModel::create then links; otherwise it compiles the
/// module and warns when the features were what was missing).
bool hasNativeObject(mlir::ModuleOp llvmModule);

/// Refuses an LLVM-dialect module that declares one of mxc's CPU kernels
/// (`_mlir_ciface_mxc_cpu_*`) that this build's runtime does not define, or
/// with another C type than its definition (mxc::cpu::KernelSymbol::
/// signature): a model compiled by another version of mxc, whose calls
/// would pass the wrong arguments. CompiledModel::create checks it first.
llvm::Error checkKernelDeclarations(mlir::ModuleOp llvmModule);

/// A model ready to run from its LLVM-dialect module: @forward and @decode,
/// or @calibrate, or every layer's @calibrate_layer_<l>. The module's native
/// code (attachNativeObject) is linked when it is there and built for this
/// CPU's architecture; otherwise the module is JIT-compiled.
class CompiledModel {
public:
  /// `hostVectors`: the JIT optimizes for this CPU's vector registers (the
  /// module was compiled with CompileOptions::rowsInnermost).
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  create(mlir::ModuleOp llvmModule, const frontend::LlamaConfig &config,
         bool hostVectors = false);
  ~CompiledModel();

  /// @forward (or @calibrate): [tokens.size(), width()] row-major.
  std::vector<float> forward(llvm::ArrayRef<int32_t> tokens);
  /// Layer `layer`'s @calibrate_layer_<l> of the rows `x` ([n, dim]):
  /// [n, layerCalibrationLayout(config, layer).total].
  std::vector<float> forwardLayer(int64_t layer, llvm::ArrayRef<float> x);
  /// @decode of `tokens` at the current position, which advances; logits
  /// [tokens.size(), vocab]. Fails past seq_len.
  llvm::Expected<std::vector<float>> decode(llvm::ArrayRef<int32_t> tokens);
  /// Back to position 0 (the caches are overwritten from there).
  void reset() { position = 0; }
  int64_t getPosition() const { return position; }
  int64_t width() const { return columns; }
  int64_t sequenceLength() const { return config.seqLen; }
  bool isCalibration() const { return calibration; }
  /// Whether it runs linked native code (compiled by mxc-compile), not
  /// code the JIT compiled here.
  bool isNative() const { return native != nullptr; }

private:
  CompiledModel(const frontend::LlamaConfig &config, bool calibration);
  frontend::LlamaConfig config;
  bool calibration;
  int64_t columns;
  /// What runs the model: the JIT (compiled from the module here), or the
  /// linker of its native code (compiled by mxc-compile).
  std::unique_ptr<mlir::ExecutionEngine> jit;
  std::unique_ptr<llvm::orc::LLJIT> native;
  /// The C interfaces of @forward (or @calibrate) and @decode.
  using ForwardFn = void (*)(StridedMemRefType<float, 2> *,
                             StridedMemRefType<int32_t, 1> *);
  using DecodeFn = void (*)(StridedMemRefType<float, 2> *,
                            StridedMemRefType<int32_t, 1> *, int64_t,
                            StridedMemRefType<float, 4> *,
                            StridedMemRefType<float, 4> *);
  using RowsFn = void (*)(StridedMemRefType<float, 2> *,
                          StridedMemRefType<float, 2> *);
  ForwardFn forwardFn = nullptr;
  DecodeFn decodeFn = nullptr;
  std::vector<RowsFn> layerFns;
  std::unique_ptr<float[]> kCache, vCache;
  int64_t position = 0;
};

/// Threads for the driver's parallel work (calibration and evaluation
/// windows), GPTQ's BLAS and the CPU kernels' matmuls; 0: every core.
void setThreads(unsigned threads);

/// Whether running `windows` windows of `tokens` tokens through a model of
/// `config` saves more with CompileOptions::rowsInnermost than its longer
/// JIT compile costs: when the matmuls' multiply-adds, parameters times
/// tokens, reach 1e10 (measured on 2026-12-03: stories260K's 57 windows of
/// 512 tokens, 8e9, ran slower; the 6.3M model's 16 windows of 256, 2.6e10,
/// faster).
bool worthVectorizingWindows(const frontend::LlamaConfig &config,
                             int64_t windows, int64_t tokens);

/// Builds, lowers and JIT-compiles `model` in one step.
llvm::Expected<std::unique_ptr<CompiledModel>>
compileAndLoad(mlir::MLIRContext &context, const frontend::LlamaModel &model,
               const CompileOptions &options);

/// How the next token is chosen, as llama.cpp's sampler chain does it:
/// the repeat penalty on the last `repeatLastN` tokens, then greedy at
/// `temperature` 0; else top-k, top-p (nucleus) and min-p on the
/// probabilities, then softmax(logits / temperature) over what is left.
struct SamplingOptions {
  double temperature = 0;
  int64_t topK = 40;        ///< 0: all tokens
  double topP = 0.95;       ///< 1: off
  double minP = 0.05;       ///< 0: off
  double repeatPenalty = 1; ///< 1: off; logits > 0 divided, < 0 multiplied
  int64_t repeatLastN = 64;
  uint64_t seed = 1;
  /// Tokens that end the generated text (Tokenizer::stopTokens).
  std::vector<int32_t> stopTokens = {1, 2};

  /// An error naming the first option out of range.
  llvm::Error check() const;
};

/// The next token after `history` given its `logits` ([vocab]).
int32_t sampleToken(llvm::ArrayRef<float> logits,
                    llvm::ArrayRef<int32_t> history,
                    const SamplingOptions &options, std::mt19937_64 &rng);

/// Time spent by generate().
struct GenerationStats {
  int64_t promptTokens = 0, generatedTokens = 0;
  /// The prompt's prefill; the decode steps after it; prefill and the first
  /// token's sampling.
  double promptSeconds = 0, generationSeconds = 0, firstTokenSeconds = 0;
};

/// Feeds `input` to the model's KV cache after `history` (the tokens already
/// in it), then generates as generate() does with `rng`; `history` receives
/// `input` and the new tokens, which are returned. Keeps the cache for the
/// next call (mxc-run --interactive).
llvm::Expected<std::vector<int32_t>>
continueGeneration(CompiledModel &model, std::vector<int32_t> &history,
                   llvm::ArrayRef<int32_t> input, int steps,
                   const SamplingOptions &sampling, std::mt19937_64 &rng,
                   const std::function<void(int32_t, int32_t)> &onToken = {},
                   GenerationStats *stats = nullptr);

/// Continues `tokens` (BOS first; at most seq_len) from position 0 with the
/// KV cache: one @decode call for the prompt, then one per new token chosen
/// by `sampling`. Stops after `steps` tokens, at seq_len, or at BOS/EOS;
/// calls `onToken(previous, next)` for each new token. Returns the new
/// tokens; `stats`, if given, receives the timings.
llvm::Expected<std::vector<int32_t>>
generate(CompiledModel &model, std::vector<int32_t> tokens, int steps,
         const SamplingOptions &sampling,
         const std::function<void(int32_t, int32_t)> &onToken = {},
         GenerationStats *stats = nullptr);

/// The tokenizer next to a checkpoint: tok<vocab>.bin, tokenizer.bin or
/// tokenizer.json in
/// its directory (or in it, for a HuggingFace directory).
llvm::Expected<std::string> findTokenizer(llvm::StringRef model, int64_t vocab);

/// Splits `text` into windows of at most seq_len tokens, BOS first; at most
/// `limit` windows (0: all).
std::vector<std::vector<int32_t>> windowsOf(const frontend::Tokenizer &,
                                            llvm::StringRef text,
                                            int64_t seqLen, int64_t limit);

/// The attention score q_i . k_j / sqrt(head_dim) of query head `h` in
/// `layer`, from a calibration record (the rows of @calibrate's result).
double recordedScore(llvm::ArrayRef<float> record,
                     const frontend::CalibrationLayout &layout,
                     const frontend::CalibrationLayout::Layer &layer,
                     const frontend::LlamaConfig &config, int64_t h, int64_t i,
                     int64_t j);

/// Calibration statistics of the records of a calibration function
/// (@calibrate, or a layer's @calibrate_layer) with columns `layout`: per
/// matmul input the abs-max per channel and H = 2/N sum x x^T, per layer
/// the statistics and a sample of the max-subtracted attention scores.
class CalibrationAccumulator {
public:
  CalibrationAccumulator(const frontend::LlamaConfig &config,
                         frontend::CalibrationLayout layout);
  ~CalibrationAccumulator();
  /// What a window's record contributes to the attention statistics,
  /// computed from the record alone (summarize() is const: windows may be
  /// summarized in parallel).
  struct Summary {
    struct Layer {
      double sum = 0, sumSq = 0, min = 0;
      std::vector<double> rowMax; // of the scores, per head and query row
    };
    std::vector<Layer> layers;
  };
  Summary summarize(llvm::ArrayRef<float> record, int64_t rows) const;
  /// Adds the `rows` rows of one window's `record`, `summary` its
  /// summarize(); its inputs in parallel. The same records in the same
  /// order give the same statistics, whatever the thread count.
  void add(llvm::ArrayRef<float> record, int64_t rows, Summary summary);
  void add(llvm::ArrayRef<float> record, int64_t rows) {
    add(record, rows, summarize(record, rows));
  }
  /// The statistics of the layout's layers (the builder's matmul order:
  /// wq, wk, wv, wo, w1, w3, w2 per layer, then the classifier when the
  /// layout records its input).
  frontend::LlamaStatistics finish();

private:
  struct Input {
    int64_t offset, width;
    std::vector<float> absMax;
    std::vector<double> hessian; // sum x x^T, its upper triangle packed
  };
  /// Sums of d and d^2, the minimum, a uniform sample of 4096 d.
  struct Softmax {
    double sum = 0, sumSq = 0, min = 0;
    Reservoir<float> samples{4096, 7};
  };
  void accumulateInput(Input &in, llvm::ArrayRef<float> record, int64_t n);
  Summary::Layer summarizeSoftmax(size_t layer, llvm::ArrayRef<float> record,
                                  int64_t n) const;
  void accumulateSoftmax(size_t layer, llvm::ArrayRef<float> record, int64_t n,
                         const Summary::Layer &summary);

  frontend::LlamaConfig c;
  frontend::CalibrationLayout layout;
  std::vector<Input> inputs;
  std::vector<Softmax> softmax;
  int64_t rows = 0;
};

/// Runs a calibration model over `windows`: per matmul the input abs-max
/// per channel and H = 2/N sum x x^T, per attention the statistics and a
/// sample of the max-subtracted scores.
frontend::LlamaStatistics
calibrate(CompiledModel &calibration, const frontend::LlamaConfig &config,
          const std::vector<std::vector<int32_t>> &windows,
          const Progress &progress = {});

/// Calibrates on `windows` and quantizes `model` one layer at a time, then
/// compiles it as compileModel() does. Layer l is calibrated on the float
/// model's activations (its input is layer l-1's float output, as
/// calibrate() records it), then the recipe's smoothing and weight passes
/// run on its matmuls alone; its statistics and smoothed float weights are
/// freed before the next layer. The result equals calibrate() then
/// compileModel() with those statistics, while only one layer's statistics
/// exist at a time. Without windows (a recipe that needs no statistics, such
/// as RTN), only the weight passes run layer by layer. For recipes without
/// tuning (tune=).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileModelLayerwise(mlir::MLIRContext &context,
                      const frontend::LlamaModel &model,
                      const std::vector<std::vector<int32_t>> &windows,
                      const CompileOptions &options);

struct Evaluation {
  double perplexity = 0, meanNLL = 0;
  /// The standard error of meanNLL (the per-token NLLs' standard deviation
  /// over sqrt(tokens)), and of the perplexity (exp's slope times it), as
  /// llama-perplexity reports them.
  double nllStdErr = 0, perplexityStdErr = 0;
  /// Mean KL(float || model) of next-token distributions (with a reference).
  double meanKL = 0;
  /// With a reference: its mean NLL of the same tokens, and the standard
  /// error of meanNLL - referenceMeanNLL, paired and clustered by window
  /// (the spread of each window's summed NLL difference about the mean
  /// difference times its tokens; 0 with one window). Tokens of a window
  /// are not independent, so the per-token standard error would be too
  /// small.
  double referenceMeanNLL = 0, differenceStdErr = 0;
  /// With a reference, per token id as the next token: how often it is, and
  /// the sum of this model's NLL minus the reference's over those positions
  /// (together, meanNLL - referenceMeanNLL times `tokens`): which tokens a
  /// quantization costs, e.g. a text's blank lines, which a model that
  /// never writes them gives a tiny probability.
  std::vector<int64_t> tokenCount;
  std::vector<double> tokenDifference;
  int64_t tokens = 0, windows = 0;
  double seconds = 0;
};

/// Perplexity of `model` on `windows` (every next token after the first of
/// each window), and the KL from `reference` when given. With
/// `referenceLogits`, the reference's logits are kept there per window and
/// reused by later calls on the same windows.
Evaluation evaluate(CompiledModel &model, CompiledModel *reference,
                    const std::vector<std::vector<int32_t>> &windows,
                    const Progress &progress = {},
                    std::vector<std::vector<float>> *referenceLogits = nullptr);

} // namespace mxc::driver

#endif // MXC_DRIVER_COMPILER_H
