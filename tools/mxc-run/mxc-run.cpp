//===- mxc-run.cpp - Run a Llama model compiled by mxc on the CPU ---------===//
//
//   mxc-run MODEL [--prompt TEXT] [--steps N] [--temperature T]
//   mxc-run MODEL --perplexity FILE
//
// MODEL is a llama2.c checkpoint or a HuggingFace directory. The model is
// built as mxc IR, optionally transformed by a pass pipeline (--passes, e.g.
// "mxc-rtn{format=mxfp4}"), lowered with mxc-lower-to-llvm and JIT-compiled
// in process.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/Frontend/Reference.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/InitAll.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/PTQ.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>

namespace cl = llvm::cl;
using namespace mxc::frontend;

static cl::OptionCategory category("mxc-run options");
static cl::opt<std::string> modelPath(cl::cat(category), cl::Positional,
                                      cl::Required,
                                      cl::desc("<llama2.c .bin | HF dir>"));
static cl::opt<std::string>
    tokenizerPath(cl::cat(category), "tokenizer",
                  cl::desc("llama2.c tokenizer (default: tok<vocab>.bin or "
                           "tokenizer.bin next to the model)"));
static cl::opt<std::string> prompt(cl::cat(category), "prompt",
                                   cl::desc("Prompt to continue"),
                                   cl::init(""));
static cl::opt<int> steps(cl::cat(category), "steps",
                          cl::desc("Tokens to generate"), cl::init(64));
static cl::opt<double>
    temperature(cl::cat(category), "temperature",
                cl::desc("Sampling temperature; 0 is greedy"), cl::init(0.0));
static cl::opt<unsigned> seed(cl::cat(category), "seed",
                              cl::desc("Sampling seed"), cl::init(1));
static cl::opt<std::string>
    perplexityFile(cl::cat(category), "perplexity",
                   cl::desc("Report perplexity on this text instead of "
                            "generating (windows of <= seq_len tokens, BOS "
                            "first)"));
static cl::opt<int>
    maxWindows(cl::cat(category), "max-windows",
               cl::desc("With --perplexity: evaluate at most this many "
                        "windows (0: all)"),
               cl::init(0));
static cl::opt<double> checkLogits(
    cl::cat(category), "check-logits",
    cl::desc("Compare the compiled model's logits on the prompt with the "
             "C++ reference forward pass; fail if any differs by more than "
             "this (absolute)"),
    cl::init(0.0));
static cl::opt<bool>
    emitMLIR(cl::cat(category), "emit-mlir",
             cl::desc("Print the model's mxc IR after the quantization "
                      "passes (before lowering) and exit"),
             cl::init(false));
static cl::opt<std::string> calibrationFile(
    cl::cat(category), "calibrate",
    cl::desc("Calibrate on this text first (activation maxima and Hessians "
             "for every matmul, softmax statistics for every attention), and "
             "attach the statistics to the model for the quantization "
             "passes"));
static cl::opt<int> calibrationWindows(
    cl::cat(category), "calibration-windows",
    cl::desc("With --calibrate: use at most this many windows (0: all)"),
    cl::init(0));
static cl::opt<std::string>
    recipe(cl::cat(category), "recipe",
           cl::desc("A quantization preset: float, w8, w6, w4, w4-gptq, "
                    "w4-smooth-gptq, w4a8-smooth-gptq, wint8 (sets --weights, "
                    "--method, --smooth, --activations)"),
           cl::init(""));
static cl::opt<std::string>
    weightFormat(cl::cat(category), "weights",
                 cl::desc("MX format of the weights, or none"),
                 cl::init("none"));
static cl::opt<std::string> method(cl::cat(category), "method",
                                   cl::desc("Weight quantization: rtn or gptq"),
                                   cl::init("rtn"));
static cl::opt<double>
    smoothAlpha(cl::cat(category), "smooth",
                cl::desc("SmoothQuant migration strength; 0 is off"),
                cl::init(0.0));
static cl::opt<std::string>
    activationFormat(cl::cat(category), "activations",
                     cl::desc("MX format of the matmul inputs, or none"),
                     cl::init("none"));
static cl::opt<int> softmaxBits(
    cl::cat(category), "softmax-bits",
    cl::desc("EXAQ-quantize the softmax of every attention to this many bits "
             "(1 to 8; 0: exact)"),
    cl::init(0));
static cl::opt<std::string> softmaxClip(
    cl::cat(category), "softmax-clip",
    cl::desc("With --softmax-bits: the clip, a negative number; or analytic, "
             "samples or pooled: chosen per layer by mxc-softmax-clip in that "
             "mode from the calibration statistics (needs --calibrate)"),
    cl::init("-8"));
static cl::opt<bool> reportKL(
    cl::cat(category), "kl",
    cl::desc("With --perplexity: also the mean KL divergence of next-token "
             "distributions from the float model"),
    cl::init(false));
static cl::opt<bool> softmaxReport(
    cl::cat(category), "softmax-report",
    cl::desc("With --calibrate: the output error of the 2/3/4-bit EXAQ "
             "softmax on the model's real attention rows (of the --perplexity "
             "text, else the calibration text; --max-windows, default 2), "
             "with the optimal clips vs naive ones, then exit"),
    cl::init(false));
static cl::opt<bool> report(
    cl::cat(category), "report",
    cl::desc("Print the local error of every quantized matmul (output MSE on "
             "the calibration rows, weight SQNR; GPTQ next to RTN) on stderr, "
             "next to the global perplexity / KL"),
    cl::init(false));
static cl::opt<std::string>
    passes(cl::cat(category), "passes",
           cl::desc("Pass pipeline applied to the float model before "
                    "lowering, e.g. \"mxc-rtn{format=mxfp4}\""),
           cl::init(""));

namespace {

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "mxc-run: " << message << "\n";
  std::exit(1);
}

/// A progress line on a terminal.
void progress(const llvm::Twine &stage) {
  if (llvm::sys::Process::StandardErrIsDisplayed())
    llvm::errs() << "[mxc-run] " << stage << "\n";
}

std::string defaultTokenizer(llvm::StringRef model, int64_t vocab) {
  llvm::SmallString<256> dir(model);
  if (!llvm::sys::fs::is_directory(model))
    llvm::sys::path::remove_filename(dir);
  for (std::string name :
       {"tok" + std::to_string(vocab) + ".bin", std::string("tokenizer.bin")}) {
    llvm::SmallString<256> candidate(dir);
    llvm::sys::path::append(candidate, name);
    if (llvm::sys::fs::exists(candidate))
      return std::string(candidate);
  }
  fail("no tokenizer next to '" + model +
       "' (tok<vocab>.bin or tokenizer.bin); give --tokenizer");
}

/// The JIT-compiled forward function.
class CompiledModel {
public:
  CompiledModel(const LlamaModel &model, mlir::MLIRContext &context,
                const LlamaBuildOptions &build, const std::string &passes)
      : width(build.calibration ? calibrationLayout(model.config).total
                                : model.config.vocab),
        function(build.calibration ? "_mlir_ciface_calibrate"
                                   : "_mlir_ciface_forward") {
    progress("building IR");
    mlir::OwningOpRef<mlir::ModuleOp> module =
        buildLlamaForward(context, model, build);
    std::string diagnostics;
    llvm::raw_string_ostream os(diagnostics);
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
        os << d << "\n";
      else if (report && d.getSeverity() == mlir::DiagnosticSeverity::Remark)
        llvm::errs() << "[report] " << d.getLocation() << ": " << d << "\n";
      return mlir::success();
    });
    mlir::PassManager pm(&context);
    // --emit-mlir: the model after the quantization passes, before lowering.
    const bool emit = emitMLIR && !build.calibration;
    std::string pipeline = emit ? passes
                                : (passes.empty() ? "" : passes + ",") +
                                      std::string("mxc-lower-to-llvm");
    progress("compiling: " + pipeline);
    if (mlir::failed(mlir::parsePassPipeline(pipeline, pm)))
      fail("invalid --passes pipeline '" + passes + "': " + diagnostics);
    if (mlir::failed(pm.run(*module)))
      fail("compilation failed:\n" + diagnostics);
    if (emit) {
      module->print(llvm::outs());
      std::exit(0);
    }
    mlir::ExecutionEngineOptions options;
    auto transformer = mlir::makeOptimizingTransformer(2, 0, nullptr);
    options.transformer = transformer;
    options.enablePerfNotificationListener = false;
    // memref.copy of strided buffers calls memrefCopy from the runner utils.
    llvm::StringRef runnerUtils = MXC_MLIR_C_RUNNER_UTILS;
    options.sharedLibPaths = llvm::ArrayRef<llvm::StringRef>(runnerUtils);
    auto engine = mlir::ExecutionEngine::create(*module, options);
    if (!engine)
      fail("JIT compilation failed: " + llvm::toString(engine.takeError()));
    jit = std::move(*engine);
  }

  /// Logits [tokens.size(), vocab] (or the calibration record).
  std::vector<float> forward(llvm::ArrayRef<int32_t> tokens) {
    StridedMemRefType<int32_t, 1> input;
    input.basePtr = input.data = const_cast<int32_t *>(tokens.data());
    input.offset = 0;
    input.sizes[0] = static_cast<int64_t>(tokens.size());
    input.strides[0] = 1;
    StridedMemRefType<float, 2> result;
    auto *inputPtr = &input;
    auto *resultPtr = &result;
    llvm::SmallVector<void *> args = {&resultPtr, &inputPtr};
    if (llvm::Error e = jit->invokePacked(function, args))
      fail("running the model failed: " + llvm::toString(std::move(e)));
    std::vector<float> logits(result.data + result.offset,
                              result.data + result.offset +
                                  tokens.size() * width);
    free(result.basePtr);
    return logits;
  }

private:
  int64_t width;
  std::string function;
  std::unique_ptr<mlir::ExecutionEngine> jit;
};

/// Splits `text` into windows of at most seq_len tokens, BOS first.
std::vector<std::vector<int32_t>> windowsOf(const Tokenizer &tokenizer,
                                            llvm::StringRef text,
                                            int64_t seqLen, int limit) {
  std::vector<int32_t> all = tokenizer.encode(text, /*bos=*/false);
  std::vector<std::vector<int32_t>> windows;
  const size_t window = seqLen - 1;
  for (size_t begin = 0; begin < all.size(); begin += window) {
    if (limit > 0 && static_cast<int>(windows.size()) == limit)
      break;
    std::vector<int32_t> tokens = {Tokenizer::kBos};
    size_t end = std::min(all.size(), begin + window);
    tokens.insert(tokens.end(), all.begin() + begin, all.begin() + end);
    windows.push_back(std::move(tokens));
  }
  return windows;
}

/// Runs the calibration function over `windows` and accumulates the
/// statistics of every matmul input and every attention's softmax input.
LlamaStatistics calibrate(CompiledModel &calibration, const LlamaConfig &c,
                          const std::vector<std::vector<int32_t>> &windows) {
  CalibrationLayout layout = calibrationLayout(c);
  // The distinct matmul inputs: per layer the attention input, attention
  // output, FFN input and FFN hidden; then the classifier input.
  struct Input {
    int64_t offset, width;
    std::vector<float> absMax;
    std::vector<double> hessian; // sum x x^T, scaled at the end
  };
  std::vector<Input> inputs;
  for (const CalibrationLayout::Layer &l : layout.layers)
    for (auto [offset, width] :
         {std::pair{l.attentionInput, c.dim},
          std::pair{l.attentionOutput, c.dim}, std::pair{l.ffnInput, c.dim},
          std::pair{l.ffnHidden, c.hiddenDim}})
      inputs.push_back({offset, width, std::vector<float>(width, 0.0f),
                        std::vector<double>(width * width, 0.0)});
  inputs.push_back({layout.classifierInput, c.dim,
                    std::vector<float>(c.dim, 0.0f),
                    std::vector<double>(c.dim * c.dim, 0.0)});
  struct Softmax {
    double sum = 0, sumSq = 0, min = 0;
    int64_t count = 0;
    std::vector<float> samples;
    std::mt19937 rng{7};
  };
  std::vector<Softmax> softmax(c.layers);
  const size_t kSamples = 4096;
  int64_t rows = 0;
  std::vector<float> x;
  for (auto [w, tokens] : llvm::enumerate(windows)) {
    std::vector<float> record = calibration.forward(tokens);
    const int64_t n = tokens.size();
    rows += n;
    for (Input &in : inputs) {
      x.resize(n * in.width);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t j = 0; j < in.width; ++j) {
          float v = record[r * layout.total + in.offset + j];
          x[r * in.width + j] = v;
          in.absMax[j] = std::max(in.absMax[j], std::fabs(v));
        }
      // accumulateHessian's factor is 2/total: total 2 gives the plain sum.
      mxc::numerics::accumulateHessian(x.data(), n, in.width, 2, in.hessian);
    }
    // d = score - row max over the causal keys, every head.
    const int64_t hd = c.headDim(), group = c.heads / c.kvHeads;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    std::vector<double> scores(n);
    for (auto [l, layer] : llvm::enumerate(layout.layers)) {
      Softmax &s = softmax[l];
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < n; ++i) {
          double m = -INFINITY;
          for (int64_t j = 0; j <= i; ++j) {
            double dot = 0;
            for (int64_t d = 0; d < hd; ++d)
              dot +=
                  record[i * layout.total + layer.query + h * hd + d] *
                  record[j * layout.total + layer.key + (h / group) * hd + d];
            scores[j] = dot * scale;
            m = std::max(m, scores[j]);
          }
          for (int64_t j = 0; j <= i; ++j) {
            double d = scores[j] - m;
            s.sum += d;
            s.sumSq += d * d;
            s.min = std::min(s.min, d);
            ++s.count;
            if (s.samples.size() < kSamples) {
              s.samples.push_back(static_cast<float>(d));
            } else {
              std::uniform_int_distribution<int64_t> pick(0, s.count - 1);
              if (int64_t at = pick(s.rng); at < static_cast<int64_t>(kSamples))
                s.samples[at] = static_cast<float>(d);
            }
          }
        }
    }
    progress("calibration window " + llvm::Twine(w + 1) + " of " +
             llvm::Twine(windows.size()));
  }
  LlamaStatistics stats;
  auto finish = [&](const Input &in) {
    stats.actAbsMax.push_back(in.absMax);
    std::vector<float> h(in.hessian.size());
    for (size_t i = 0; i < h.size(); ++i)
      h[i] = static_cast<float>(2.0 * in.hessian[i] / rows);
    stats.hessian.push_back(std::move(h));
  };
  // The builder's matmul order: wq, wk, wv, wo, w1, w3, w2 per layer.
  for (int64_t l = 0; l < c.layers; ++l)
    for (int which : {0, 0, 0, 1, 2, 2, 3})
      finish(inputs[l * 4 + which]);
  finish(inputs.back());
  for (Softmax &s : softmax) {
    double mean = s.count ? s.sum / s.count : 0;
    double var = s.count ? std::max(0.0, s.sumSq / s.count - mean * mean) : 0;
    stats.softmax.push_back(
        {std::min(mean, 0.0), std::sqrt(var), s.min, s.count, s.samples});
  }
  return stats;
}

/// The EXAQ softmax on the model's real attention rows: for each layer and
/// bit width, the clips from the calibration statistics (analytic and
/// sample optima, observed minimum, -8), applied to every attention row of
/// `windows`; mean L1 and KL of the output against float64 softmax.
void softmaxErrorReport(CompiledModel &calibration, const LlamaConfig &c,
                        const LlamaStatistics &stats,
                        const std::vector<std::vector<int32_t>> &windows) {
  namespace num = mxc::numerics;
  CalibrationLayout layout = calibrationLayout(c);
  struct Rule {
    const char *name;
    int bits;
    std::vector<double> clip; // per layer
    double l1 = 0, kl = 0;
  };
  std::vector<Rule> rules;
  for (int bits : {2, 3, 4}) {
    Rule analytic{"optimal (Gaussian)", bits, {}},
        sampled{"optimal (samples)", bits, {}},
        minimum{"observed min", bits, {}}, fixed{"fixed -8", bits, {}};
    for (const LlamaStatistics::Softmax &s : stats.softmax) {
      analytic.clip.push_back(
          num::optimalClipGaussian(bits, s.mean, s.std).clip);
      sampled.clip.push_back(
          num::optimalClipSamples(bits, s.samples.data(), s.samples.size())
              .clip);
      minimum.clip.push_back(std::min(s.min, -1e-3));
      fixed.clip.push_back(-8.0);
    }
    for (Rule *r : {&analytic, &sampled, &minimum, &fixed})
      rules.push_back(*r);
  }
  const int64_t hd = c.headDim(), group = c.heads / c.kvHeads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  int64_t rows = 0;
  std::vector<float> x, y;
  std::vector<double> ref;
  for (const std::vector<int32_t> &tokens : windows) {
    std::vector<float> record = calibration.forward(tokens);
    const int64_t n = tokens.size();
    for (auto [l, layer] : llvm::enumerate(layout.layers))
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < n; ++i) {
          x.assign(i + 1, 0.0f);
          for (int64_t j = 0; j <= i; ++j) {
            double dot = 0;
            for (int64_t d = 0; d < hd; ++d)
              dot +=
                  record[i * layout.total + layer.query + h * hd + d] *
                  record[j * layout.total + layer.key + (h / group) * hd + d];
            x[j] = static_cast<float>(dot * scale);
          }
          ref.resize(i + 1);
          y.resize(i + 1);
          num::softmaxRowF64(x.data(), i + 1, ref.data());
          for (Rule &r : rules) {
            num::exaqSoftmaxRow(num::ExaqQuantizer{r.bits, r.clip[l]}, x.data(),
                                i + 1, y.data());
            for (int64_t j = 0; j <= i; ++j) {
              r.l1 += std::fabs(y[j] - ref[j]);
              if (ref[j] > 0)
                r.kl += ref[j] * std::log(ref[j] / y[j]);
            }
          }
          ++rows;
        }
  }
  llvm::outs() << "EXAQ softmax on " << rows
               << " real attention rows (all layers and heads): mean L1 = "
                  "sum |y - y_ref| per row, mean KL(y_ref || y) in nats\n\n"
               << "| bits | clip rule | clips (layer 0 .. " << c.layers - 1
               << ") | L1 | KL |\n|------|-----------|------|----|----|\n";
  for (const Rule &r : rules) {
    std::string clips;
    for (double v : r.clip)
      clips += (clips.empty() ? "" : ", ") + llvm::formatv("{0:F2}", v).str();
    llvm::outs() << llvm::format("| %d | %s | %s | %.4f | %.5f |\n", r.bits,
                                 r.name, clips.c_str(), r.l1 / rows,
                                 r.kl / rows);
  }
}

/// The fixed clip of --softmax-clip, or none when the calibration picks it.
std::optional<double> clipValue() {
  if (softmaxClip == "analytic" || softmaxClip == "samples" ||
      softmaxClip == "pooled")
    return std::nullopt;
  double clip;
  if (llvm::StringRef(softmaxClip).getAsDouble(clip) || !(clip < 0))
    fail("--softmax-clip must be a negative number, analytic, samples or "
         "pooled, not '" +
         softmaxClip + "'");
  return clip;
}

/// The pass pipeline of the recipe options.
std::string recipePipeline() {
  std::string p;
  auto add = [&](const std::string &pass) {
    p += (p.empty() ? "" : ",") + pass;
  };
  if (smoothAlpha > 0)
    add("mxc-smoothquant{alpha=" + std::to_string(smoothAlpha) + "}");
  if (weightFormat != "none")
    add(std::string(method == "gptq" ? "mxc-gptq" : "mxc-rtn") +
        "{format=" + weightFormat + (report ? " report" : "") + "}");
  if (activationFormat != "none")
    add("mxc-quantize-activations{format=" + activationFormat + "}");
  if (softmaxBits && !clipValue())
    add("mxc-softmax-clip{bits=" + std::to_string(softmaxBits) +
        " mode=" + softmaxClip + "}");
  if (!passes.empty())
    add(passes);
  return p;
}

void applyRecipe() {
  if (recipe.empty())
    return;
  struct Preset {
    const char *name, *weights, *method;
    double smooth;
    const char *activations;
  } presets[] = {
      {"float", "none", "rtn", 0, "none"},
      {"w8", "mxfp8_e4m3", "rtn", 0, "none"},
      {"w6", "mxfp6_e2m3", "rtn", 0, "none"},
      {"w4", "mxfp4", "rtn", 0, "none"},
      {"w4-gptq", "mxfp4", "gptq", 0, "none"},
      {"w4-smooth-gptq", "mxfp4", "gptq", 0.5, "none"},
      {"w4a8-smooth-gptq", "mxfp4", "gptq", 0.5, "mxfp8_e4m3"},
      {"wint8", "mxint8", "rtn", 0, "none"},
  };
  for (const Preset &p : presets)
    if (recipe == p.name) {
      weightFormat = p.weights;
      method = p.method;
      smoothAlpha = p.smooth;
      activationFormat = p.activations;
      return;
    }
  fail("unknown --recipe '" + recipe +
       "' (float, w8, w6, w4, w4-gptq, w4-smooth-gptq, w4a8-smooth-gptq, "
       "wint8)");
}

int pickToken(const float *logits, int64_t vocab, std::mt19937 &rng) {
  if (temperature <= 0)
    return static_cast<int>(std::max_element(logits, logits + vocab) - logits);
  double m = *std::max_element(logits, logits + vocab);
  std::vector<double> p(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    p[i] = std::exp((logits[i] - m) / temperature);
  std::discrete_distribution<int> dist(p.begin(), p.end());
  return dist(rng);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mxc::registerAllPasses();
  mlir::registerAllPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "mxc-run: run a Llama model compiled by mxc on the CPU (generation or "
      "perplexity)\n");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  progress("loading " + modelPath);
  llvm::Expected<LlamaModel> model = loadCheckpoint(modelPath);
  if (!model)
    fail(llvm::toString(model.takeError()));
  const LlamaConfig &config = model->config;
  std::string tokPath = tokenizerPath.empty()
                            ? defaultTokenizer(modelPath, config.vocab)
                            : tokenizerPath.getValue();
  llvm::Expected<Tokenizer> tokenizer = Tokenizer::load(tokPath, config.vocab);
  if (!tokenizer)
    fail(llvm::toString(tokenizer.takeError()));

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mxc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  applyRecipe();
  std::string pipeline = recipePipeline();
  const bool needsCalibration = method == "gptq" || smoothAlpha > 0;
  if (needsCalibration && calibrationFile.empty() && weightFormat != "none")
    fail("GPTQ and SmoothQuant need calibration statistics: give "
         "--calibrate FILE");
  if (softmaxBits < 0 || softmaxBits > 8)
    fail("--softmax-bits must be 0 (exact) to 8, not " +
         llvm::Twine(softmaxBits.getValue()));
  if (softmaxBits && !clipValue() && calibrationFile.empty())
    fail("--softmax-clip=" + softmaxClip +
         " chooses the clip from calibration statistics: give --calibrate "
         "FILE");
  LlamaStatistics statistics;
  LlamaBuildOptions build;
  if (softmaxBits && clipValue()) {
    build.softmaxBits = softmaxBits;
    build.softmaxClip = *clipValue();
  }
  if (!calibrationFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(calibrationFile);
    if (!text)
      fail("cannot read '" + calibrationFile +
           "': " + text.getError().message());
    LlamaBuildOptions calibrationBuild;
    calibrationBuild.calibration = true;
    CompiledModel calibration(*model, context, calibrationBuild, "");
    statistics = calibrate(calibration, config,
                           windowsOf(*tokenizer, (*text)->getBuffer(),
                                     config.seqLen, calibrationWindows));
    build.statistics = &statistics;
    if (softmaxReport) {
      std::string evalPath = perplexityFile.empty() ? calibrationFile.getValue()
                                                    : perplexityFile.getValue();
      auto evalText = llvm::MemoryBuffer::getFile(evalPath);
      if (!evalText)
        fail("cannot read '" + evalPath + "'");
      softmaxErrorReport(calibration, config, statistics,
                         windowsOf(*tokenizer, (*evalText)->getBuffer(),
                                   config.seqLen,
                                   maxWindows > 0 ? maxWindows : 2));
      return 0;
    }
  }
  CompiledModel compiled(*model, context, build, pipeline);

  if (!perplexityFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(perplexityFile);
    if (!text)
      fail("cannot read '" + perplexityFile +
           "': " + text.getError().message());
    std::vector<std::vector<int32_t>> windows =
        windowsOf(*tokenizer, (*text)->getBuffer(), config.seqLen, maxWindows);
    std::unique_ptr<CompiledModel> reference;
    if (reportKL)
      reference = std::make_unique<CompiledModel>(*model, context,
                                                  LlamaBuildOptions{}, "");
    double nll = 0, kl = 0;
    int64_t count = 0;
    auto start = std::chrono::steady_clock::now();
    for (auto [w, tokens] : llvm::enumerate(windows)) {
      std::vector<float> logits = compiled.forward(tokens);
      std::vector<float> floatLogits;
      if (reference)
        floatLogits = reference->forward(tokens);
      for (size_t i = 0; i + 1 < tokens.size(); ++i) {
        const float *row = logits.data() + i * config.vocab;
        double m = *std::max_element(row, row + config.vocab), sum = 0;
        for (int64_t v = 0; v < config.vocab; ++v)
          sum += std::exp(row[v] - m);
        double logZ = m + std::log(sum);
        nll += logZ - row[tokens[i + 1]];
        if (reference) {
          const float *f = floatLogits.data() + i * config.vocab;
          double fm = *std::max_element(f, f + config.vocab), fsum = 0;
          for (int64_t v = 0; v < config.vocab; ++v)
            fsum += std::exp(f[v] - fm);
          double logFZ = fm + std::log(fsum);
          for (int64_t v = 0; v < config.vocab; ++v) {
            double lp = f[v] - logFZ;
            kl += std::exp(lp) * (lp - (row[v] - logZ));
          }
        }
        ++count;
      }
      progress("window " + llvm::Twine(w + 1) + " of " +
               llvm::Twine(windows.size()));
    }
    const int64_t windowCount = windows.size();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    llvm::outs() << llvm::format(
        "perplexity %.4f over %lld tokens in %lld windows (mean NLL %.5f "
        "nats; %.1f tokens/s)\n",
        std::exp(nll / count), static_cast<long long>(count),
        static_cast<long long>(windowCount), nll / count, count / seconds);
    if (reference)
      llvm::outs() << llvm::format(
          "mean KL from the float model %.5f nats per token\n", kl / count);
    return 0;
  }

  std::vector<int32_t> tokens = tokenizer->encode(prompt, /*bos=*/true);
  if (checkLogits > 0) {
    std::vector<float> got = compiled.forward(tokens);
    std::vector<float> want = referenceLogits(*model, tokens);
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]));
    bool ok = worst <= checkLogits;
    llvm::outs() << llvm::format("logits of %zu tokens %s the reference: max "
                                 "|difference| %.3e (limit %.1e)\n",
                                 tokens.size(), ok ? "match" : "DIFFER from",
                                 worst, static_cast<double>(checkLogits));
    return ok ? 0 : 1;
  }
  std::mt19937 rng(seed);
  progress("generating");
  for (int32_t t = 1; t < static_cast<int32_t>(tokens.size()); ++t)
    llvm::outs() << tokenizer->decode(tokens[t - 1], tokens[t]);
  for (int s = 0;
       s < steps && static_cast<int64_t>(tokens.size()) < config.seqLen; ++s) {
    std::vector<float> logits = compiled.forward(tokens);
    int next = pickToken(logits.data() + (tokens.size() - 1) * config.vocab,
                         config.vocab, rng);
    if (next == Tokenizer::kEos || next == Tokenizer::kBos)
      break;
    llvm::outs() << tokenizer->decode(tokens.back(), next);
    llvm::outs().flush();
    tokens.push_back(next);
  }
  llvm::outs() << "\n";
  return 0;
}
