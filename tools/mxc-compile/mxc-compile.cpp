//===- mxc-compile.cpp - Compile a Llama model with an MX recipe ----------===//
//
//   mxc-compile MODEL --recipe R [--calibrate FILE] -o OUT.mxc
//   mxc-compile MODEL --recipe R --emit=mxc|linalg|llvm|llvm-ir [-o FILE]
//   mxc-compile MODEL --recipe w4 --emit=gguf -o OUT.gguf
//   mxc-compile MODEL --recipe R --calibrate FILE --eval FILE --report
//
// MODEL is a llama2.c checkpoint, a GGUF file or a HuggingFace directory.
// The model is built as mxc IR, calibrated on a text when the recipe needs
// statistics, quantized by the recipe's passes and lowered to the LLVM dialect;
// the result (MLIR bytecode with the weights, the model's description and its
// tokenizer) runs with `mxc-run OUT.mxc`. --report prints what quantization
// cost: sizes, local errors, the global effect on an evaluation text, local
// vs global per layer, and a predicted quality.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Budget.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Driver/Report.h"
#include "mxc/Driver/Session.h"
#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/InitAll.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Support/Output.h"
#include "mxc/Support/Progress.h"
#include "mxc/Support/Threads.h"
#include "mxc/Support/Version.h"

#include "mlir/IR/Verifier.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace mxc::frontend;
using namespace mxc::driver;

namespace {

enum class Emit { Artifact, MXC, Linalg, GPU, LLVM, LLVMIR, Object, GGUF };

cl::OptionCategory category("mxc-compile options");
cl::opt<std::string> modelPath(cl::cat(category), cl::Positional, cl::Required,
                               cl::desc("<llama2.c .bin | .gguf | HF dir | "
                                        ".mlir>"));
cl::opt<std::string> outputPath(
    "o", cl::cat(category), cl::value_desc("file"),
    cl::desc("Output file (the compiled model; with --emit other than "
             "artifact, '-' is stdout, the default)"),
    cl::init(""));
// cl::desc keeps a StringRef: the text must outlive the option.
const std::string recipeHelp =
    "PRESET[,key=value...] or key=value,...; keys weights, method "
    "(rtn|gptq), scales (spec|mse: each weight block's shared exponent the "
    "OCP spec's, or the spec's or one more, whichever is closer), smooth "
    "(SmoothQuant alpha), activations, activation-scales (spec|ceil: each "
    "activation block's shared exponent the spec's, or one more where that "
    "clips the block's maximum), softmax-bits, "
    "softmax-clip, softmax-floor (clamp|zero: EXAQ's clamp of the values "
    "below the clip to e^clip, or the lowest code standing for 0), "
    "softmax-table (exp|fit|tune: each code stands for e^level, for the "
    "mean of e^d over its calibration values, per layer, or for that mean "
    "tuned with the weights by tune= with tune-softmax=quantized), tile, keep "
    "(mixed precision: "
    "keep=classifier;layers.0.:mxfp8_e4m3 keeps matmuls in float or in a "
    "format of their own), tune (steps of global tuning toward the float "
    "model on the --calibrate text), tune-lr, tune-damping, tune-labels "
    "(weight of the text's own next tokens beside the float model's "
    "distributions), tune-batch (windows per step), tune-what "
    "(weights|norms|both), tune-softmax "
    "(exact|quantized|exact-then-quantized). Presets:\n" +
    Recipe::presetHelp();
cl::opt<std::string> recipeText("recipe", cl::cat(category),
                                cl::desc(recipeHelp), cl::init("float"));
cl::opt<Emit> emit(
    "emit", cl::cat(category), cl::desc("What to write"),
    cl::values(
        clEnumValN(Emit::Artifact, "artifact",
                   "the compiled model for mxc-run (MLIR bytecode; default)"),
        clEnumValN(Emit::MXC, "mxc",
                   "mxc IR after the recipe's quantization passes"),
        clEnumValN(Emit::Linalg, "linalg",
                   "after the mxc lowerings: upstream linalg/tensor/arith"),
        clEnumValN(Emit::GPU, "gpu",
                   "GPU targets: buffers and gpu.launch, before outlining"),
        clEnumValN(Emit::LLVM, "llvm", "the LLVM dialect"),
        clEnumValN(Emit::LLVMIR, "llvm-ir", "LLVM IR"),
        clEnumValN(Emit::Object, "obj",
                   "an object file for this machine (what --target=cuda "
                   "writes by default): the C interface of @decode and "
                   "@forward, and mxc_model_config"),
        clEnumValN(Emit::GGUF, "gguf",
                   "a GGUF file for llama.cpp (weight-only recipes): the "
                   "recipe's MXFP4 weights as GGUF MXFP4, bit for bit, the "
                   "rest F32")),
    cl::init(Emit::Artifact));
cl::opt<Target> target(
    "target", cl::cat(category), cl::desc("What to compile for"),
    cl::values(clEnumValN(Target::CPU, "cpu", "the CPU (default)"),
               clEnumValN(Target::CUDAOnCPU, "cuda-on-cpu",
                          "the GPU path (every op in gpu.launch kernels of "
                          "independent threads) with each launch run as "
                          "CPU loops: checks the GPU mapping without a GPU; "
                          "the compiled model runs in mxc-run"),
               clEnumValN(Target::CUDA, "cuda",
                          "NVIDIA GPUs: -o writes an object file with the "
                          "host code and the kernels' binary (for --chip, "
                          "built by the toolkit's ptxas); link it with "
                          "libmxc_cuda_runtime, or load it as a shared "
                          "library in mxc-gpu-runner model")),
    cl::init(Target::CPU));
cl::opt<std::string> chip("chip", cl::cat(category),
                          cl::desc("--target=cuda: the GPU (sm_80, sm_90)"),
                          cl::init("sm_90"));
cl::opt<std::string>
    cudaToolkit("cuda-toolkit", cl::cat(category),
                cl::desc("--target=cuda: the CUDA toolkit (ptxas, libdevice)"),
                cl::init("/usr/local/cuda"));
cl::opt<bool> emulatedKernels(
    "emulated-kernels", cl::cat(category),
    cl::desc("--target=cuda: also compile the kernels for this CPU, so that "
             "the CPU stand-in for libcuda in mxc's tests "
             "(MXC_FAKE_CUDA_EMULATE=1) can run the model without a GPU"),
    cl::init(false));
cl::opt<bool> tensorCores(
    "tensor-cores", cl::cat(category),
    cl::desc("--target=cuda, sm_80 and newer: prefill matmuls of 16 rows or "
             "more on the tensor cores (bf16 inputs, f32 sums; "
             "--tensor-cores=false: the f32 GEMV, the CPU path's sums)"),
    cl::init(true));
cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::cat(category),
    cl::desc("Tokenizer: llama2.c .bin or HuggingFace tokenizer.json "
             "(default: the one a GGUF file carries, else tok<vocab>.bin, "
             "tokenizer.bin or tokenizer.json next to the model); it goes "
             "into the compiled model"));
cl::opt<std::string> calibrationFile(
    "calibrate", cl::cat(category), cl::value_desc("text file"),
    cl::desc("Calibrate on this text: activation maxima, Hessians and "
             "softmax statistics (GPTQ, SmoothQuant, chosen softmax clips "
             "and the report's output errors need them)"));
cl::opt<std::string> saveCalibration(
    "save-calibration", cl::cat(category), cl::value_desc("file.mxcal"),
    cl::desc("With --calibrate: also write the statistics to this file, for "
             "--calibration to reuse with other recipes"));
cl::opt<std::string> loadCalibration(
    "calibration", cl::cat(category), cl::value_desc("file.mxcal"),
    cl::desc("Use statistics saved by --save-calibration instead of "
             "calibrating (refused for another model or tokenizer)"));
cl::opt<int> calibrationWindows(
    "calibration-windows", cl::cat(category),
    cl::desc("Use at most this many windows of the calibration text (0: all)"),
    cl::init(0));
cl::opt<bool> layerwise(
    "layerwise", cl::cat(category),
    cl::desc("Calibrate (with --calibrate) and quantize one layer at a time, "
             "so that only one layer's statistics, float weights (a bf16 "
             "checkpoint's converted then) and smoothed weights are in "
             "memory; the same model as calibrating the whole model first "
             "(--layerwise=false). The whole model is calibrated anyway for "
             "--save-calibration, --report, --report-json, --budget and "
             "tune="),
    cl::init(true));
cl::opt<bool> report("report", cl::cat(category),
                     cl::desc("Print the quality report (on stdout; on "
                              "stderr when the output goes to stdout)"),
                     cl::init(false));
cl::opt<std::string> reportJSON("report-json", cl::cat(category),
                                cl::value_desc("file"),
                                cl::desc("Write the quality report as JSON"),
                                cl::init(""));
cl::opt<double> budget(
    "budget", cl::cat(category), cl::value_desc("bits per weight"),
    cl::desc("Choose each layer's weight format (the recipe's, MXFP6, MXFP8 "
             "or float) so that the matmul weights take at most this many "
             "bits per weight (scales included; MXFP4 is 4.25) and the KL "
             "from the float model on the --calibrate text is least; prints "
             "the search and compiles the chosen recipe"),
    cl::init(0));
cl::opt<std::string> evalFile(
    "eval", cl::cat(category), cl::value_desc("text file"),
    cl::desc("With --report/--report-json: measure perplexity and KL from "
             "the float model on this text, and the KL of quantizing each "
             "layer alone"));
cl::opt<int> evalWindows(
    "eval-windows", cl::cat(category),
    cl::desc("Use at most this many windows of the --eval text (0: all)"),
    cl::init(32));
cl::opt<bool> printWeights(
    "print-weights", cl::cat(category),
    cl::desc("Textual stages (--emit=mxc|linalg|gpu|llvm): print resources "
             "larger than 1 KiB (weights, Hessians) in full; by default they "
             "are elided, as mlir-opt's "
             "--mlir-elide-resource-strings-if-larger=1024 does"),
    cl::init(false));
cl::opt<bool> native(
    "native", cl::cat(category),
    cl::desc("CPU artifacts: store native code (an object file for this "
             "architecture and --cpu, by default a portable CPU; the kernels "
             "pick their instruction set when they run), which mxc-run links "
             "in well "
             "under a second instead of JIT-compiling the model (default "
             "on; --native=false: JIT at every start)"),
    cl::init(true));
cl::opt<std::string> cpuName(
    "cpu", cl::cat(category),
    cl::desc("CPU artifacts: the CPU the native code is compiled for, an "
             "LLVM CPU name (default generic: portable, since the vector work "
             "is in mxc's kernels, which choose their instruction set when "
             "they run; x86-64-v3, znver3, sapphirerapids, ...; native: this "
             "machine's). mxc-run on a CPU that lacks its features compiles "
             "the model instead, with a warning"),
    cl::init("generic"));
cl::opt<std::string> cpuFeatures(
    "cpu-features", cl::cat(category),
    cl::desc("CPU artifacts: LLVM features added to or removed from --cpu's "
             "(+avx2,+fma,-avx512f; native: this machine's)"),
    cl::init(""));
cl::opt<bool> quiet("quiet", cl::cat(category),
                    cl::desc("No progress on stderr"), cl::init(false));
cl::opt<std::string> passes(
    "passes", cl::cat(category),
    cl::desc("More passes after the recipe's, e.g. \"mxc-rtn{format=mxfp4}\""),
    cl::init(""));

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "mxc-compile: " << message << "\n";
  std::exit(1);
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

/// Progress on stderr: every line on a terminal, one per 10 s off it.
void progress(const llvm::Twine &stage) {
  static mxc::ProgressPrinter printer(
      "mxc-compile", llvm::errs(),
      llvm::sys::Process::StandardErrIsDisplayed());
  printer.setQuiet(quiet);
  printer(stage);
}

/// Writes `module` at a textual stage (mxc, linalg, gpu, llvm: MLIR; llvm-ir:
/// translated) to the output.
void writeStage(mlir::ModuleOp module) {
  orFail(mxc::writeFileAtomically(
      outputPath, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
        if (emit != Emit::LLVMIR) {
          mlir::OpPrintingFlags flags;
          if (!printWeights)
            flags.elideLargeResourceString(1024);
          module.print(os, flags);
          return llvm::Error::success();
        }
        llvm::LLVMContext llvmContext;
        std::unique_ptr<llvm::Module> ir =
            mlir::translateModuleToLLVMIR(module, llvmContext, modelPath);
        if (!ir)
          return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                         "translation to LLVM IR failed");
        ir->print(os, nullptr);
        return llvm::Error::success();
      }));
}

/// mxc-compile FILE.mlir: the module (mxc and upstream ops on tensors)
/// through the recipe's passes and the lowerings to the stage --emit names.
/// There is no model to calibrate, evaluate or package for mxc-run. The ops
/// lower to generated code, as mxc-opt --mxc-lower-to-llvm's do, not to
/// calls of mxc's CPU kernels: the output runs under mlir-runner with MLIR's
/// runner libraries alone.
int compileMLIRFile(const Recipe &recipe) {
  if (emit == Emit::Artifact || emit == Emit::Object || emit == Emit::GGUF)
    fail("a .mlir file compiles to a stage: give --emit=mxc|linalg|gpu|llvm|"
         "llvm-ir (a compiled model for mxc-run, an object file or GGUF "
         "needs a model checkpoint)");
  for (const cl::Option *o : std::initializer_list<const cl::Option *>{
           &tokenizerPath, &calibrationFile, &evalFile, &report, &reportJSON,
           &budget})
    if (o->getNumOccurrences())
      fail("--" + o->ArgStr + " needs a model checkpoint, not a .mlir file");
  if (recipe.needsCalibration())
    fail("recipe '" + recipeText +
         "' needs calibration statistics, which need a model checkpoint; on "
         "a .mlir file use RTN recipes or --passes");
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  llvm::SourceMgr sourceMgr;
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, context.get(), os);
  auto file = llvm::MemoryBuffer::getFile(modelPath, /*IsText=*/true);
  if (!file)
    fail("cannot open '" + modelPath + "': " + file.getError().message());
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  progress("parsing " + modelPath);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, context.get());
  if (!module) {
    llvm::errs() << diagnostics;
    fail("cannot parse '" + modelPath + "'");
  }
  CompileOptions options;
  options.recipe = recipe;
  options.extraPasses = passes;
  options.target = target;
  options.chip = chip;
  options.cudaToolkit = cudaToolkit;
  options.emulatedKernels = emulatedKernels;
  options.tensorCores = tensorCores;
  options.progress = progress;
  options.matmulKernels = false;
  options.stop = emit == Emit::MXC      ? Stage::MXC
                 : emit == Emit::Linalg ? Stage::Linalg
                 : emit == Emit::GPU    ? Stage::GPU
                                        : Stage::LLVM;
  mlir::OwningOpRef<mlir::ModuleOp> compiled =
      orFail(compileModule(*context, std::move(module), options));
  writeStage(*compiled);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mxc::registerAllPasses();
  mlir::registerAllPasses();
  // --mlir-timing[-display]: the time of each stage and pass, at the end.
  mlir::registerDefaultTimingManagerCLOptions();
  for (const char *name : {"mlir-timing", "mlir-timing-display"})
    if (cl::Option *o = cl::getRegisteredOptions().lookup(name))
      o->addCategory(category);
  cl::HideUnrelatedOptions(category);
  mxc::setVersionPrinter("mxc-compile");
  cl::opt<int> &threads = mxc::registerThreadsOption(
      category, "Threads for calibration (windows in parallel), GPTQ's "
                "linear algebra and RTN; 0: every core (default)");
  cl::ParseCommandLineOptions(
      argc, argv,
      "mxc-compile: compile a Llama model (llama2.c checkpoint, GGUF file or "
      "HuggingFace directory) with an MX quantization recipe for the CPU "
      "or an NVIDIA GPU, and report what quantization cost; or compile a "
      ".mlir file (mxc and upstream ops) to the stage --emit names\n");

  Recipe recipe = orFail(Recipe::parse(recipeText));
  if (threads < 0)
    fail("--threads must be >= 0 (0: every core), not " + llvm::Twine(threads));
  setThreads(threads);
  if (calibrationWindows < 0)
    fail("--calibration-windows must be >= 0 (0: all), not " +
         llvm::Twine(calibrationWindows));
  if (evalWindows < 0)
    fail("--eval-windows must be >= 0 (0: all), not " +
         llvm::Twine(evalWindows));
  if (llvm::StringRef(modelPath).ends_with(".mlir")) {
    if (outputPath.empty())
      outputPath = "-";
    orFail(mxc::checkOutputsDistinct({{"-o", outputPath}},
                                     {{"the module", modelPath}}));
    return compileMLIRFile(recipe);
  }
  const bool binary =
      emit == Emit::Artifact || emit == Emit::Object || emit == Emit::GGUF;
  if (emit == Emit::GGUF)
    orFail(checkGGUFRecipe(recipe));
  if (outputPath.empty())
    outputPath = binary ? "" : "-";
  if (outputPath.empty())
    fail("give the compiled model's file with -o FILE (or --emit=mxc|linalg|"
         "gpu|llvm|llvm-ir to print a stage)");
  if (binary && outputPath == "-" &&
      llvm::sys::Process::StandardOutIsDisplayed())
    fail("not writing a binary model to a terminal; give -o FILE");
  if (emit == Emit::GPU && target == Target::CPU)
    fail("--emit=gpu needs a GPU target (--target=cuda or cuda-on-cpu)");
  // Checked before any work: an unknown CPU or feature names what LLVM knows.
  const NativeCPU nativeCPU =
      orFail(resolveNativeCPU({cpuName.getValue(), cpuFeatures.getValue()}));
  if ((cpuName.getNumOccurrences() || cpuFeatures.getNumOccurrences()) &&
      !(emit == Emit::Artifact && target == Target::CPU && native))
    fail("--cpu and --cpu-features choose the native code of a CPU artifact "
         "(--emit=artifact, --target=cpu, --native)");
  if (target == Target::CUDA && !evalFile.empty())
    fail("--eval runs the compiled model on this machine's CPU, which a "
         "model compiled for CUDA cannot do; evaluate --target=cuda-on-cpu "
         "(the same kernels, as CPU loops)");
  const bool wantReport = report || !reportJSON.empty();
  // No output may overwrite an input or the other output.
  if (!loadCalibration.empty() && !calibrationFile.empty())
    fail("give --calibrate FILE (calibrate now) or --calibration FILE.mxcal "
         "(reuse saved statistics), not both");
  if (!saveCalibration.empty() && calibrationFile.empty())
    fail("--save-calibration saves what --calibrate gathers: add --calibrate "
         "FILE");
  orFail(mxc::checkOutputsDistinct({{"-o", outputPath},
                                    {"--report-json", reportJSON},
                                    {"--save-calibration", saveCalibration}},
                                   {{"the model", modelPath},
                                    {"--tokenizer", tokenizerPath},
                                    {"--calibrate", calibrationFile},
                                    {"--calibration", loadCalibration},
                                    {"--eval", evalFile}}));
  if (!evalFile.empty() && !wantReport)
    fail("--eval measures for the report: add --report or --report-json");

  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope rootTimer = timing.getRootScope();
  // Calibrated and quantized one layer at a time where only this compile
  // uses the statistics; then the F16/BF16 weights of a HuggingFace
  // checkpoint are converted one layer at a time too.
  const bool oneLayerAtATime =
      layerwise && recipe.quantizesWeights() && loadCalibration.empty() &&
      saveCalibration.empty() && !wantReport && !budget.getNumOccurrences() &&
      recipe.tuneSteps == 0;
  LoadOptions load;
  load.deferConversion = oneLayerAtATime && emit != Emit::GGUF;
  mlir::TimingScope loadTimer = rootTimer.nest("load the checkpoint");
  std::unique_ptr<CompileSession> session =
      orFail(CompileSession::open(modelPath, tokenizerPath, progress, load));
  loadTimer.stop();
  for (const std::string &line : session->loadNotes())
    llvm::errs() << "mxc-compile: note: " << modelPath << ": " << line << "\n";
  const LlamaConfig &config = session->config();
  if (emit == Emit::GGUF && session->isCompiled())
    fail("--emit=gguf needs a checkpoint, not a compiled model");
  if (!calibrationFile.empty()) {
    mlir::TimingScope timer = rootTimer.nest(
        oneLayerAtATime ? "read the calibration text"
                        : "calibrate (with the float model's JIT compile)");
    orFail(session->calibrate(calibrationFile, calibrationWindows,
                              oneLayerAtATime
                                  ? CompileSession::Calibration::LayerByLayer
                                  : CompileSession::Calibration::WholeModel));
    if (!saveCalibration.empty()) {
      std::string note = "calibrated on " + calibrationFile;
      if (calibrationWindows > 0)
        note += " (" + std::to_string(calibrationWindows) + " windows)";
      orFail(session->saveCalibration(saveCalibration, note));
      progress("wrote " + saveCalibration);
    }
  } else if (oneLayerAtATime) {
    session->setLayerByLayer(true);
  } else if (!loadCalibration.empty()) {
    std::string note = orFail(session->loadCalibration(loadCalibration));
    progress("statistics from " + loadCalibration + ": " + note);
  }

  // --budget: the recipe becomes the cheapest per-layer choice.
  if (budget.getNumOccurrences()) {
    if (!(budget > 0) || !std::isfinite(budget))
      fail("--budget must be a positive number of bits per weight, not " +
           std::to_string(budget.getValue()));
    if (session->isCompiled())
      fail("--budget needs a checkpoint, not a compiled model");
    BudgetSearch search =
        orFail(searchBudget(*session, recipe, budget, !reportJSON.empty()));
    search.print(outputPath == "-" ? llvm::errs() : llvm::outs());
    recipe = search.chosen;
    if (!reportJSON.empty()) {
      llvm::SmallString<256> svgPath(reportJSON);
      llvm::sys::path::replace_extension(svgPath, "budget.svg");
      orFail(mxc::writeFileAtomically(
          svgPath, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
            os << search.svg();
            return llvm::Error::success();
          }));
      progress("wrote " + svgPath);
    }
  }

  CompileOptions options;
  options.recipe = recipe;
  options.extraPasses = passes;
  options.report = wantReport;
  options.target = target;
  options.chip = chip;
  options.cudaToolkit = cudaToolkit;
  options.emulatedKernels = emulatedKernels;
  options.tensorCores = tensorCores;
  QualityReport quality;
  const Stage emitStage = emit == Emit::MXC || emit == Emit::GGUF ? Stage::MXC
                          : emit == Emit::Linalg ? Stage::Linalg
                          : emit == Emit::GPU    ? Stage::GPU
                                                 : Stage::LLVM;
  // One compilation: down to the LLVM dialect when the compiled model is
  // evaluated, keeping a copy of the stage to emit.
  const bool evaluated = wantReport && !evalFile.empty();
  options.stop = evaluated ? Stage::LLVM : emitStage;
  mlir::OwningOpRef<mlir::ModuleOp> emitted;
  options.onStage = [&](Stage stage, mlir::ModuleOp m) {
    if (stage == Stage::MXC) {
      quality.matmuls = collectLocalErrors(m);
      quality.compiledBytes = constantBytes(m);
    }
    if (stage == emitStage && emitStage != options.stop)
      emitted = m.clone();
  };
  options.timing = &rootTimer;
  mlir::OwningOpRef<mlir::ModuleOp> module = orFail(session->compile(options));
  if (const TuningSummary *tuning = session->lastTuning())
    llvm::errs() << "mxc-compile: " << tuning->summary() << "\n";
  mlir::ModuleOp output = emitted ? *emitted : *module;

  // The quality report, measured before the module is written.
  if (wantReport) {
    mlir::TimingScope timer = rootTimer.nest("quality report");
    std::unique_ptr<CompiledModel> compiled;
    if (evaluated)
      compiled = orFail(CompiledModel::create(*module, config));
    quality = orFail(session->measureQuality(
        recipe, std::move(quality), compiled.get(), evalFile, evalWindows));
  }

  // The JSON report first: if it cannot be written, the model at -o is
  // still the one that was there.
  if (!reportJSON.empty())
    orFail(mxc::writeFileAtomically(
        reportJSON, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
          quality.printJSON(os);
          return llvm::Error::success();
        }));
  // Tuning's plot next to it: REPORT.json -> REPORT.tuning.svg.
  if (!reportJSON.empty() && quality.tuning) {
    llvm::SmallString<256> svgPath(reportJSON);
    llvm::sys::path::replace_extension(svgPath, "tuning.svg");
    orFail(mxc::writeFileAtomically(
        svgPath, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
          os << quality.tuning->svg();
          return llvm::Error::success();
        }));
    progress("wrote " + svgPath);
  }

  // The output.
  mlir::TimingScope writeTimer = rootTimer.nest("write the output");
  if (emit == Emit::GGUF) {
    orFail(writeGGUF(output, session->checkpoint(), session->tokenizerBytes(),
                     outputPath, progress));
    progress("wrote " + outputPath);
  } else if (emit == Emit::Object ||
             (emit == Emit::Artifact && target == Target::CUDA)) {
    if (llvm::Error e = writeObject(output, config, outputPath))
      fail(llvm::toString(std::move(e)));
    progress("wrote " + outputPath);
  } else if (emit == Emit::Artifact) {
    if (native && target == Target::CPU) {
      progress("compiling native code");
      mlir::TimingScope nativeTimer = writeTimer.nest("compile native code");
      attachNativeObject(output, orFail(compileNativeObject(output, nativeCPU)),
                         nativeCPU);
    }
    attachModelInfo(output, config, recipe, session->tokenizerBytes());
    if (llvm::Error e = writeBytecode(output, outputPath))
      fail(llvm::toString(std::move(e)));
    progress("wrote " + outputPath);
  } else {
    writeStage(output);
  }
  if (report)
    quality.printText(outputPath == "-" ? llvm::errs() : llvm::outs());
  return 0;
}
