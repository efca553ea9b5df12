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
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

namespace cl = llvm::cl;
using namespace mxc::frontend;

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<llama2.c .bin | HF dir>"));
static cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("llama2.c tokenizer (default: tok<vocab>.bin or "
                           "tokenizer.bin next to the model)"));
static cl::opt<std::string> prompt("prompt", cl::desc("Prompt to continue"),
                                   cl::init(""));
static cl::opt<int> steps("steps", cl::desc("Tokens to generate"),
                          cl::init(64));
static cl::opt<double>
    temperature("temperature", cl::desc("Sampling temperature; 0 is greedy"),
                cl::init(0.0));
static cl::opt<unsigned> seed("seed", cl::desc("Sampling seed"), cl::init(1));
static cl::opt<std::string>
    perplexityFile("perplexity",
                   cl::desc("Report perplexity on this text instead of "
                            "generating (windows of <= seq_len tokens, BOS "
                            "first)"));
static cl::opt<int>
    maxWindows("max-windows",
               cl::desc("With --perplexity: evaluate at most this many "
                        "windows (0: all)"),
               cl::init(0));
static cl::opt<double> checkLogits(
    "check-logits",
    cl::desc("Compare the compiled model's logits on the prompt with the "
             "C++ reference forward pass; fail if any differs by more than "
             "this (absolute)"),
    cl::init(0.0));
static cl::opt<bool> emitMLIR("emit-mlir",
                              cl::desc("Print the model's mxc IR and exit"),
                              cl::init(false));
static cl::opt<std::string>
    passes("passes",
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
  CompiledModel(const LlamaModel &model, mlir::MLIRContext &context)
      : vocab(model.config.vocab) {
    progress("building IR");
    mlir::OwningOpRef<mlir::ModuleOp> module =
        buildLlamaForward(context, model);
    if (emitMLIR) {
      module->print(llvm::outs());
      std::exit(0);
    }
    std::string diagnostics;
    llvm::raw_string_ostream os(diagnostics);
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
        os << d << "\n";
      return mlir::success();
    });
    mlir::PassManager pm(&context);
    std::string pipeline =
        (passes.empty() ? "" : passes + ",") + std::string("mxc-lower-to-llvm");
    progress("compiling: " + pipeline);
    if (mlir::failed(mlir::parsePassPipeline(pipeline, pm)))
      fail("invalid --passes pipeline '" + passes + "': " + diagnostics);
    if (mlir::failed(pm.run(*module)))
      fail("compilation failed:\n" + diagnostics);
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

  /// Logits [tokens.size(), vocab].
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
    if (llvm::Error e = jit->invokePacked("_mlir_ciface_forward", args))
      fail("running the model failed: " + llvm::toString(std::move(e)));
    std::vector<float> logits(result.data + result.offset,
                              result.data + result.offset +
                                  tokens.size() * vocab);
    free(result.basePtr);
    return logits;
  }

private:
  int64_t vocab;
  std::unique_ptr<mlir::ExecutionEngine> jit;
};

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
  CompiledModel compiled(*model, context);

  if (!perplexityFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(perplexityFile);
    if (!text)
      fail("cannot read '" + perplexityFile +
           "': " + text.getError().message());
    std::vector<int32_t> all =
        tokenizer->encode((*text)->getBuffer(), /*bos=*/false);
    const int64_t window = config.seqLen - 1;
    double nll = 0;
    int64_t count = 0, windows = 0;
    auto start = std::chrono::steady_clock::now();
    for (size_t begin = 0; begin < all.size(); begin += window) {
      if (maxWindows > 0 && windows == maxWindows)
        break;
      std::vector<int32_t> tokens = {Tokenizer::kBos};
      size_t end = std::min(all.size(), begin + window);
      tokens.insert(tokens.end(), all.begin() + begin, all.begin() + end);
      std::vector<float> logits = compiled.forward(tokens);
      for (size_t i = 0; i + 1 < tokens.size(); ++i) {
        const float *row = logits.data() + i * config.vocab;
        double m = *std::max_element(row, row + config.vocab), sum = 0;
        for (int64_t v = 0; v < config.vocab; ++v)
          sum += std::exp(row[v] - m);
        nll += m + std::log(sum) - row[tokens[i + 1]];
        ++count;
      }
      ++windows;
      progress("window " + llvm::Twine(windows) + ": " + llvm::Twine(count) +
               " tokens");
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    llvm::outs() << llvm::format(
        "perplexity %.4f over %lld tokens in %lld "
        "windows (mean NLL %.5f nats; %.1f tokens/s)\n",
        std::exp(nll / count), static_cast<long long>(count),
        static_cast<long long>(windows), nll / count, count / seconds);
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
