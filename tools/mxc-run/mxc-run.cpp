//===- mxc-run.cpp - Run a Llama model compiled by mxc on the CPU ---------===//
//
//   mxc-run MODEL [--prompt TEXT | --prompt-file F] [--steps N]
//           [--temperature T --top-k K --top-p P --min-p P --seed S]
//   mxc-run MODEL --perplexity FILE
//
// MODEL is a model compiled by mxc-compile, or a llama2.c checkpoint, a GGUF
// file or a HuggingFace directory, which is compiled here: built as mxc IR,
// quantized by a recipe (--recipe, or --passes), lowered with the CPU pipeline
// and JIT-compiled in process. Generation prefills the prompt into the KV cache
// and then decodes one token per call.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Driver/Report.h"
#include "mxc/Driver/Session.h"
#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/Frontend/Reference.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/InitAll.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Runtime/CPUKernels.h"
#include "mxc/Support/Output.h"
#include "mxc/Support/Progress.h"
#include "mxc/Support/Threads.h"
#include "mxc/Support/Version.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

namespace cl = llvm::cl;
using namespace mxc::frontend;
using namespace mxc::driver;

static cl::OptionCategory category("mxc-run options");
static cl::opt<std::string>
    modelPath(cl::cat(category), cl::Positional, cl::Required,
              cl::desc("<compiled .mxc | llama2.c .bin | .gguf | HF dir>"));
static cl::opt<std::string>
    tokenizerPath(cl::cat(category), "tokenizer",
                  cl::desc("Tokenizer: llama2.c .bin or HuggingFace "
                           "tokenizer.json (default: the one a GGUF file or "
                           "compiled model carries, else tok<vocab>.bin, "
                           "tokenizer.bin or tokenizer.json next to the "
                           "model)"));
static cl::opt<std::string> prompt(cl::cat(category), "prompt",
                                   cl::desc("Prompt to continue"),
                                   cl::init(""));
static cl::opt<std::string>
    promptFile(cl::cat(category), "prompt-file", cl::value_desc("file"),
               cl::desc("Read the prompt from this file"));
static cl::opt<int> steps(cl::cat(category), "steps",
                          cl::desc("Tokens to generate"), cl::init(64));
static cl::opt<double> temperature(
    cl::cat(category), "temperature",
    cl::desc("Sampling temperature; 0 is greedy (the default), and then "
             "top-k, top-p and min-p do not apply"),
    cl::init(0.0));
static cl::opt<int64_t>
    topK(cl::cat(category), "top-k",
         cl::desc("Sample among the k most likely tokens (0: all)"),
         cl::init(40));
static cl::opt<double> topP(
    cl::cat(category), "top-p",
    cl::desc("Then among the fewest whose probabilities sum to p (1: off)"),
    cl::init(0.95));
static cl::opt<double>
    minP(cl::cat(category), "min-p",
         cl::desc("Then among those at least p times the most likely (0: off)"),
         cl::init(0.05));
static cl::opt<double> repeatPenalty(
    cl::cat(category), "repeat-penalty",
    cl::desc("Divide positive logits (multiply negative ones) of tokens among "
             "the last --repeat-last-n by this (1: off)"),
    cl::init(1.0));
static cl::opt<int64_t>
    repeatLastN(cl::cat(category), "repeat-last-n",
                cl::desc("Tokens the repeat penalty looks back over"),
                cl::init(64));
static cl::opt<uint64_t>
    seed(cl::cat(category), "seed",
         cl::desc("Sampling seed (default: a random one, printed on stderr)"));
static cl::opt<bool> interactive(
    cl::cat(category), "interactive",
    cl::desc("After the prompt's continuation, read lines from stdin; each "
             "continues the text in the same KV cache (until EOF or a full "
             "context)"),
    cl::init(false));
static cl::opt<bool> quiet(cl::cat(category), "quiet",
                           cl::desc("No notes, progress or timings on stderr"),
                           cl::init(false));
static cl::opt<bool> jsonStats(
    cl::cat(category), "json",
    cl::desc("Print the timings of generation as one JSON object on stderr"),
    cl::init(false));
static cl::opt<std::string>
    perplexityFile(cl::cat(category), "perplexity",
                   cl::desc("Report perplexity on this text instead of "
                            "generating (windows of <= seq_len tokens, BOS "
                            "first)"));
static cl::opt<std::string>
    tokenizeFile(cl::cat(category), "tokenize", cl::value_desc("text file"),
                 cl::desc("Print the token ids of this text (no BOS), "
                          "space-separated, and exit"));
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
static cl::opt<std::string> saveLogits(
    cl::cat(category), "save-logits", cl::value_desc("file"),
    cl::desc("Write the prompt's tokens and the compiled model's prefill "
             "logits to this file and exit: the reference that "
             "mxc-gpu-runner model checks a GPU-compiled model against "
             "(\"MXCLOGIT\", int64 tokens, int64 vocab, int32 tokens[], "
             "float logits[tokens][vocab], little-endian)"));
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
// cl::desc keeps a StringRef: the text must outlive the option.
static const std::string recipeHelp =
    "PRESET[,key=value...] or key=value,..., as in mxc-compile; --weights, "
    "--method, --smooth, --activations, --softmax-bits, --softmax-clip and "
    "--softmax-floor override its keys. Presets:\n" +
    Recipe::presetHelp();
static cl::opt<std::string> recipe(cl::cat(category), "recipe",
                                   cl::desc(recipeHelp), cl::init(""));
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
static cl::opt<std::string> softmaxFloor(
    cl::cat(category), "softmax-floor",
    cl::desc("With --softmax-bits: clamp (EXAQ's: values below the clip count "
             "as e^clip) or zero (the lowest code stands for 0: they drop "
             "out of the row)"),
    cl::init("clamp"));
static cl::opt<Target> target(
    cl::cat(category), "target",
    cl::desc("Compile a checkpoint for: cpu (default), or cuda-on-cpu, the "
             "GPU path with its kernels run as CPU loops (as in mxc-compile)"),
    cl::values(clEnumValN(Target::CPU, "cpu", "the CPU"),
               clEnumValN(Target::CUDAOnCPU, "cuda-on-cpu",
                          "the GPU path on the CPU")),
    cl::init(Target::CPU));
static cl::opt<bool> reportKL(
    cl::cat(category), "kl",
    cl::desc("With --perplexity: also the mean KL divergence of next-token "
             "distributions from the float model, the float model's "
             "perplexity and the difference with its standard error, and "
             "the three next tokens whose NLL rose most"),
    cl::init(false));
static cl::opt<std::string> klReference(
    cl::cat(category), "kl-reference", cl::value_desc("checkpoint"),
    cl::desc("With --perplexity: the mean KL divergence from this float "
             "checkpoint, its perplexity, the difference and the tokens it "
             "comes from (for a model "
             "compiled by mxc-compile; --kl compares a checkpoint with "
             "itself in float)"));
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
/// Progress on stderr: every line on a terminal, one per 10 s off it.
void progress(const llvm::Twine &stage) {
  static mxc::ProgressPrinter printer(
      "mxc-run", llvm::errs(), llvm::sys::Process::StandardErrIsDisplayed());
  printer.setQuiet(quiet);
  printer(stage);
}

/// Prints the study of softmax clip rules (SoftmaxClipStudy) as a table.
void printSoftmaxClipStudy(const SoftmaxClipStudy &study, int64_t layers) {
  llvm::outs() << "EXAQ softmax on " << study.rows
               << " real attention rows (all layers and heads): mean L1 = "
                  "sum |y - y_ref| per row, mean KL(y_ref || y) in nats\n\n"
               << "| bits | clip rule | clips (layer 0 .. " << layers - 1
               << ") | L1 | KL |\n|------|-----------|------|----|----|\n";
  for (const SoftmaxClipStudy::Rule &r : study.rules) {
    std::string clips;
    for (double v : r.clip)
      clips += (clips.empty() ? "" : ", ") + llvm::formatv("{0:F2}", v).str();
    llvm::outs() << llvm::format("| %d | %s | %s | %.4f | %.5f |\n", r.bits,
                                 r.name.c_str(), clips.c_str(), r.meanL1,
                                 r.meanKL);
  }
}

template <typename T> T orFail(llvm::Expected<T> value) {
  if (!value)
    fail(llvm::toString(value.takeError()));
  return std::move(*value);
}

void orFail(llvm::Error error) {
  if (error)
    fail(llvm::toString(std::move(error)));
}

/// The recipe of --recipe with the single options appended as keys, which
/// override its own: one parser, one set of checks.
Recipe recipeFromOptions() {
  std::string text = recipe;
  auto add = [&](const cl::Option &o, const llvm::Twine &value) {
    if (o.getNumOccurrences())
      text += (text.empty() ? "" : ",") + o.ArgStr.str() + "=" + value.str();
  };
  add(weightFormat, weightFormat);
  add(method, method);
  add(smoothAlpha, llvm::formatv("{0}", smoothAlpha.getValue()));
  add(activationFormat, activationFormat);
  add(softmaxBits, llvm::Twine(softmaxBits.getValue()));
  add(softmaxClip, softmaxClip);
  add(softmaxFloor, softmaxFloor);
  return orFail(Recipe::parse(text));
}

} // namespace

/// The three next tokens whose summed NLL rose most against the reference,
/// with their share of the total rise: where a quantization's perplexity
/// goes, e.g. a text's blank lines that the float model finds unlikely.
static void printCostliestTokens(const Evaluation &e,
                                 const Tokenizer &tokenizer) {
  std::vector<int64_t> ids;
  for (int64_t t = 0; t < static_cast<int64_t>(e.tokenDifference.size()); ++t)
    if (e.tokenDifference[t] > 0)
      ids.push_back(t);
  const size_t shown = std::min<size_t>(ids.size(), 3);
  std::partial_sort(ids.begin(), ids.begin() + shown, ids.end(),
                    [&](int64_t a, int64_t b) {
                      return e.tokenDifference[a] > e.tokenDifference[b];
                    });
  if (!shown)
    return;
  const double total = (e.meanNLL - e.referenceMeanNLL) * e.tokens;
  llvm::outs() << "the next tokens whose NLL rose most:";
  for (size_t i = 0; i < shown; ++i) {
    const int64_t t = ids[i];
    llvm::outs() << (i ? "," : "") << " \"";
    llvm::printEscapedString(tokenizer.piece(t), llvm::outs());
    llvm::outs() << llvm::format(
        "\" (%lld) %+.1f nats over %lld", static_cast<long long>(t),
        e.tokenDifference[t], static_cast<long long>(e.tokenCount[t]));
    if (total > 0)
      llvm::outs() << llvm::format(" (%.0f %%)",
                                   100 * e.tokenDifference[t] / total);
  }
  llvm::outs() << "\n";
}

int main(int argc, char **argv) {
  const auto started = std::chrono::steady_clock::now();
  llvm::InitLLVM init(argc, argv);
  mxc::registerAllPasses();
  mlir::registerAllPasses();
  cl::HideUnrelatedOptions(category);
  mxc::setVersionPrinter("mxc-run");
  cl::opt<int> &threads = mxc::registerThreadsOption(
      category, "Threads: the matmuls of generation and prefill split their "
                "columns over them; perplexity and calibration windows run "
                "in parallel; 0: every core (default)");
  cl::ParseCommandLineOptions(
      argc, argv,
      "mxc-run: run a Llama model on the CPU (generation or perplexity), "
      "either a checkpoint compiled here with a recipe or a model compiled "
      "by mxc-compile\n");

  // Every number in range, one line each, before any work.
  if (!(temperature >= 0) || !std::isfinite(temperature))
    fail("--temperature must be a finite number >= 0 (0 is greedy), not " +
         llvm::formatv("{0}", temperature.getValue()).str());
  if (steps < 0)
    fail("--steps must be >= 0, not " + llvm::Twine(steps));
  if (threads < 0)
    fail("--threads must be >= 0 (0: every core), not " + llvm::Twine(threads));
  setThreads(threads);
  SamplingOptions sampling;
  sampling.temperature = temperature;
  sampling.topK = topK;
  sampling.topP = topP;
  sampling.minP = minP;
  sampling.repeatPenalty = repeatPenalty;
  sampling.repeatLastN = repeatLastN;
  sampling.seed =
      seed.getNumOccurrences() ? seed.getValue() : std::random_device{}();
  if (llvm::Error e = sampling.check())
    fail("--" + llvm::toString(std::move(e)));
  if (!klReference.empty() && perplexityFile.empty())
    fail("--kl-reference measures with --perplexity FILE; add it");
  if (prompt.getNumOccurrences() && promptFile.getNumOccurrences())
    fail("give the prompt with --prompt or --prompt-file, not both");
  std::string promptText = prompt;
  if (!promptFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(promptFile, /*IsText=*/true);
    if (!text)
      fail("cannot read --prompt-file '" + promptFile +
           "': " + text.getError().message());
    promptText = (*text)->getBuffer().str();
  }
  if (maxWindows < 0)
    fail("--max-windows must be >= 0 (0: all), not " + llvm::Twine(maxWindows));
  if (calibrationWindows < 0)
    fail("--calibration-windows must be >= 0 (0: all), not " +
         llvm::Twine(calibrationWindows));
  if (!(checkLogits >= 0) || !std::isfinite(checkLogits))
    fail("--check-logits must be a finite tolerance >= 0, not " +
         llvm::formatv("{0}", checkLogits.getValue()).str());

  orFail(mxc::checkOutputsDistinct({{"--save-logits", saveLogits}},
                                   {{"the model", modelPath},
                                    {"--tokenizer", tokenizerPath},
                                    {"--calibrate", calibrationFile},
                                    {"--perplexity", perplexityFile}}));
  std::unique_ptr<CompileSession> session =
      orFail(CompileSession::open(modelPath, tokenizerPath, progress));
  for (const std::string &line : session->loadNotes())
    if (!quiet)
      llvm::errs() << "mxc-run: note: " << modelPath << ": " << line << "\n";
  if (session->isCompiled())
    for (const cl::Option *o : std::initializer_list<const cl::Option *>{
             &recipe, &weightFormat, &method, &smoothAlpha, &activationFormat,
             &softmaxBits, &softmaxClip, &softmaxFloor, &calibrationFile,
             &passes, &emitMLIR, &checkLogits, &reportKL, &report,
             &softmaxReport, &target})
      if (o->getNumOccurrences())
        fail("--" + o->ArgStr + " needs a checkpoint: '" + modelPath +
             "' is already compiled (its recipe is fixed; the float weights "
             "are not in it)");
  const LlamaConfig &config = session->config();
  const Tokenizer &tokenizer = session->tokenizer();
  sampling.stopTokens = tokenizer.stopTokens();
  if (!tokenizeFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(tokenizeFile, /*IsText=*/true);
    if (!text)
      fail("cannot read '" + tokenizeFile + "': " + text.getError().message());
    llvm::ListSeparator space(" ");
    for (int32_t id : tokenizer.encode((*text)->getBuffer(), /*bos=*/false))
      llvm::outs() << space << id;
    llvm::outs() << "\n";
    return 0;
  }
  session->remark = [](mlir::Diagnostic &d) {
    if (report)
      llvm::errs() << "[report] " << d.getLocation() << ": " << d << "\n";
  };

  CompileOptions options;
  if (!session->isCompiled()) {
    options.recipe = recipeFromOptions();
    options.extraPasses = passes;
    options.report = report;
    options.target = target;
  }
  if (!calibrationFile.empty()) {
    orFail(session->calibrate(calibrationFile, calibrationWindows));
    if (softmaxReport) {
      std::string evalPath = perplexityFile.empty() ? calibrationFile.getValue()
                                                    : perplexityFile.getValue();
      printSoftmaxClipStudy(
          studySoftmaxClips(*orFail(session->calibrationModel()), config,
                            *session->statistics(),
                            orFail(session->windows(
                                evalPath, maxWindows > 0 ? maxWindows : 2))),
          config.layers);
      return 0;
    }
  } else if (softmaxReport) {
    fail("--softmax-report studies the calibration statistics: add "
         "--calibrate FILE");
  }
  if (emitMLIR) {
    // The model after the quantization passes, before lowering.
    options.stop = Stage::MXC;
    orFail(session->compile(options))->print(llvm::outs());
    return 0;
  }
  // Perplexity runs whole windows: when there are enough of them, a model
  // compiled here is compiled for that (CompileOptions::rowsInnermost).
  std::vector<std::vector<int32_t>> windows;
  bool vectorize = false;
  if (!perplexityFile.empty()) {
    windows = orFail(session->windows(perplexityFile, maxWindows));
    vectorize = worthVectorizingWindows(config, windows.size(), config.seqLen);
    options.rowsInnermost = vectorize && !session->isCompiled();
  }
  std::unique_ptr<CompiledModel> compiled = orFail(session->load(options));
  if (const TuningSummary *tuning = session->lastTuning())
    llvm::errs() << "mxc-run: " << tuning->summary() << "\n";
  // From the start of the process to a model ready to run.
  const double readySeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  const char *code = compiled->isNative() ? "native code" : "JIT";

  if (!perplexityFile.empty()) {
    if (reportKL && !klReference.empty())
      fail("give --kl (the checkpoint's own float model) or --kl-reference "
           "CHECKPOINT, not both");
    CompiledModel *reference =
        reportKL ? orFail(session->floatModel(vectorize)) : nullptr;
    std::unique_ptr<CompileSession> referenceSession;
    if (!klReference.empty()) {
      referenceSession =
          orFail(CompileSession::open(klReference, "", progress));
      if (referenceSession->isCompiled())
        fail("--kl-reference needs a float checkpoint, not a compiled model");
      const LlamaConfig &r = referenceSession->config();
      if (r.vocab != config.vocab || r.seqLen != config.seqLen ||
          !(referenceSession->tokenizer() == tokenizer))
        fail("--kl-reference '" + klReference +
             "' is not the same model: its vocabulary, sequence length or "
             "tokenizer differ from '" +
             modelPath + "'");
      reference = orFail(referenceSession->floatModel(vectorize));
    }
    Evaluation e = evaluate(*compiled, reference, windows, progress);
    llvm::outs() << llvm::format(
        "perplexity %.4f over %lld tokens in %lld windows (+/- %.4f; mean "
        "NLL %.5f +/- %.5f nats; %.1f tokens/s)\n",
        e.perplexity, static_cast<long long>(e.tokens),
        static_cast<long long>(e.windows), e.perplexityStdErr, e.meanNLL,
        e.nllStdErr, e.tokens / e.seconds);
    if (reference) {
      llvm::outs() << llvm::format(
          "mean KL from the float model %.5f nats per token\n", e.meanKL);
      const double difference = e.meanNLL - e.referenceMeanNLL;
      llvm::outs() << llvm::format(
          "the float model: perplexity %.4f (mean NLL %.5f); this model "
          "%+.2f %% (NLL %+.5f +/- %.5f nats per token, paired by window)\n",
          std::exp(e.referenceMeanNLL), e.referenceMeanNLL,
          100 * std::expm1(difference), difference, e.differenceStdErr);
      printCostliestTokens(e, tokenizer);
    }
    return 0;
  }

  std::vector<int32_t> tokens = tokenizer.encode(promptText, /*bos=*/true);
  if (static_cast<int64_t>(tokens.size()) > config.seqLen)
    fail("the prompt has " + llvm::Twine(tokens.size()) +
         " tokens; the model's sequence length is " +
         llvm::Twine(config.seqLen));
  if (!saveLogits.empty()) {
    std::vector<float> logits = compiled->forward(tokens);
    orFail(mxc::writeFileAtomically(
        saveLogits, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
          int64_t header[2] = {static_cast<int64_t>(tokens.size()),
                               config.vocab};
          os << "MXCLOGIT";
          os.write(reinterpret_cast<const char *>(header), sizeof(header));
          os.write(reinterpret_cast<const char *>(tokens.data()),
                   tokens.size() * sizeof(int32_t));
          os.write(reinterpret_cast<const char *>(logits.data()),
                   logits.size() * sizeof(float));
          return llvm::Error::success();
        }));
    llvm::outs() << "wrote the logits of " << tokens.size() << " tokens to "
                 << saveLogits << "\n";
    return 0;
  }
  if (checkLogits > 0) {
    // The prefill (@forward) and the KV-cached decode of one token at a time
    // (@decode) against the C++ reference forward pass.
    std::vector<float> want = referenceLogits(session->checkpoint(), tokens);
    std::vector<float> prefill = compiled->forward(tokens), decoded;
    for (int32_t token : tokens) {
      std::vector<float> row = orFail(compiled->decode(token));
      decoded.insert(decoded.end(), row.begin(), row.end());
    }
    bool ok = true;
    for (auto [name, got] :
         {std::pair{"prefill", &prefill}, std::pair{"decode", &decoded}}) {
      double worst = 0;
      for (size_t i = 0; i < got->size(); ++i)
        worst = std::max(worst,
                         std::fabs(static_cast<double>((*got)[i]) - want[i]));
      bool match = worst <= checkLogits;
      ok &= match;
      llvm::outs() << llvm::format(
          "%s logits of %zu tokens %s the reference: max |difference| %.3e "
          "(limit %.1e)\n",
          name, tokens.size(), match ? "match" : "DIFFER from", worst,
          static_cast<double>(checkLogits));
    }
    return ok ? 0 : 1;
  }
  progress("generating");
  if (!quiet && !jsonStats && temperature > 0)
    llvm::errs() << "mxc-run: sampling with seed " << sampling.seed << "\n";
  for (int32_t t = 1; t < static_cast<int32_t>(tokens.size()); ++t)
    llvm::outs() << tokenizer.decode(tokens[t - 1], tokens[t]);
  auto print = [&](int32_t previous, int32_t next) {
    llvm::outs() << tokenizer.decode(previous, next);
    llvm::outs().flush();
  };
  GenerationStats stats;
  if (!interactive) {
    orFail(generate(*compiled, tokens, steps, sampling, print, &stats));
  } else {
    // Each line read continues the text in the same KV cache; the timings
    // add up over the turns.
    compiled->reset();
    std::vector<int32_t> history;
    std::mt19937_64 rng(sampling.seed);
    auto turn = [&](llvm::ArrayRef<int32_t> input) {
      GenerationStats t;
      orFail(continueGeneration(*compiled, history, input, steps, sampling, rng,
                                print, &t));
      stats.promptTokens += t.promptTokens;
      stats.promptSeconds += t.promptSeconds;
      stats.generatedTokens += t.generatedTokens;
      stats.generationSeconds += t.generationSeconds;
      if (stats.firstTokenSeconds == 0)
        stats.firstTokenSeconds = t.firstTokenSeconds;
    };
    turn(tokens);
    std::string line;
    while (true) {
      llvm::outs() << "\n";
      llvm::outs().flush();
      if (!quiet)
        llvm::errs() << "> ";
      if (!std::getline(std::cin, line))
        break;
      std::vector<int32_t> input = tokenizer.encode(line, /*bos=*/false);
      if (input.empty())
        continue;
      if (static_cast<int64_t>(history.size() + input.size()) >=
          config.seqLen) {
        if (!quiet)
          llvm::errs() << "mxc-run: the context is full (" << history.size()
                       << " of " << config.seqLen << " tokens)\n";
        break;
      }
      turn(input);
    }
  }
  if (!interactive) // there each turn's newline came before reading
    llvm::outs() << "\n";
  llvm::outs().flush();
  auto rate = [](int64_t n, double seconds) {
    return seconds > 0 ? n / seconds : 0.0;
  };
  if (jsonStats) {
    llvm::json::OStream json(llvm::errs());
    json.object([&] {
      json.attribute("seed", static_cast<int64_t>(sampling.seed));
      json.attribute("prompt_tokens", stats.promptTokens);
      json.attribute("prompt_seconds", stats.promptSeconds);
      json.attribute("prompt_tokens_per_second",
                     rate(stats.promptTokens, stats.promptSeconds));
      json.attribute("generated_tokens", stats.generatedTokens);
      json.attribute("generation_seconds", stats.generationSeconds);
      json.attribute("generation_tokens_per_second",
                     rate(stats.generatedTokens, stats.generationSeconds));
      json.attribute("time_to_first_token_seconds", stats.firstTokenSeconds);
      json.attribute("model_ready_seconds", readySeconds);
      json.attribute("code", code);
      json.attribute("cpu_kernels", mxc::cpu::kernelISA());
    });
    llvm::errs() << "\n";
  } else if (!quiet) {
    llvm::errs() << llvm::formatv(
        "mxc-run: prompt {0} tokens in {1:F3} s ({2:F1} tokens/s), "
        "generation {3} tokens in {4:F3} s ({5:F1} tokens/s), first token "
        "after {6:F3} s; model ready after {7:F3} s ({8})\n",
        stats.promptTokens, stats.promptSeconds,
        rate(stats.promptTokens, stats.promptSeconds), stats.generatedTokens,
        stats.generationSeconds,
        rate(stats.generatedTokens, stats.generationSeconds),
        stats.firstTokenSeconds, readySeconds, code);
  }
  return 0;
}
