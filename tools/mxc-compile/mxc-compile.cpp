//===- mxc-compile.cpp - Compile a Llama model with an MX recipe ----------===//
//
//   mxc-compile MODEL --recipe R [--calibrate FILE] -o OUT.mxc
//   mxc-compile MODEL --recipe R --emit=mxc|linalg|llvm|llvm-ir [-o FILE]
//   mxc-compile MODEL --recipe R --calibrate FILE --eval FILE --report
//
// MODEL is a llama2.c checkpoint or a HuggingFace directory. The model is
// built as mxc IR, calibrated on a text when the recipe needs statistics,
// quantized by the recipe's passes and lowered to the LLVM dialect; the
// result (MLIR bytecode with the weights, the model's description and its
// tokenizer) runs with `mxc-run OUT.mxc`. --report prints what quantization
// cost: sizes, local errors, the global effect on an evaluation text, local
// vs global per layer, and a predicted quality.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Driver/Report.h"
#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/Tokenizer.h"
#include "mxc/InitAll.h"
#include "mxc/Numerics/Formats.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace mxc::frontend;
using namespace mxc::driver;

namespace {

enum class Emit { Artifact, MXC, Linalg, GPU, LLVM, LLVMIR, Object };

cl::OptionCategory category("mxc-compile options");
cl::opt<std::string> modelPath(cl::cat(category), cl::Positional, cl::Required,
                               cl::desc("<llama2.c .bin | HF dir>"));
cl::opt<std::string> outputPath(
    "o", cl::cat(category), cl::value_desc("file"),
    cl::desc("Output file (the compiled model; with --emit other than "
             "artifact, '-' is stdout, the default)"),
    cl::init(""));
cl::opt<std::string> recipeText(
    "recipe", cl::cat(category),
    cl::desc("PRESET[,key=value...] or key=value,...; keys weights, method "
             "(rtn|gptq), smooth (SmoothQuant alpha), activations, "
             "softmax-bits, softmax-clip, tile, keep (mixed precision: "
             "keep=classifier;layers.0.:mxfp8_e4m3 keeps matmuls in float "
             "or in a format of their own). Presets:\n" +
             Recipe::presetHelp()),
    cl::init("float"));
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
                   "@forward, and mxc_model_config")),
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
cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::cat(category),
    cl::desc("llama2.c tokenizer (default: tok<vocab>.bin or tokenizer.bin "
             "next to the model); it goes into the compiled model"));
cl::opt<std::string> calibrationFile(
    "calibrate", cl::cat(category), cl::value_desc("text file"),
    cl::desc("Calibrate on this text: activation maxima, Hessians and "
             "softmax statistics (GPTQ, SmoothQuant, chosen softmax clips "
             "and the report's output errors need them)"));
cl::opt<int> calibrationWindows(
    "calibration-windows", cl::cat(category),
    cl::desc("Use at most this many windows of the calibration text (0: all)"),
    cl::init(0));
cl::opt<bool> report("report", cl::cat(category),
                     cl::desc("Print the quality report (on stdout; on "
                              "stderr when the output goes to stdout)"),
                     cl::init(false));
cl::opt<std::string> reportJSON("report-json", cl::cat(category),
                                cl::value_desc("file"),
                                cl::desc("Write the quality report as JSON"),
                                cl::init(""));
cl::opt<std::string> evalFile(
    "eval", cl::cat(category), cl::value_desc("text file"),
    cl::desc("With --report/--report-json: measure perplexity and KL from "
             "the float model on this text, and the KL of quantizing each "
             "layer alone"));
cl::opt<int> evalWindows(
    "eval-windows", cl::cat(category),
    cl::desc("Use at most this many windows of the --eval text (0: all)"),
    cl::init(32));
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

void progress(const llvm::Twine &stage) {
  if (llvm::sys::Process::StandardErrIsDisplayed())
    llvm::errs() << "[mxc-compile] " << stage << "\n";
}

std::unique_ptr<llvm::MemoryBuffer> readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    fail("cannot read '" + path + "': " + buffer.getError().message());
  return std::move(*buffer);
}

int64_t parameterCount(const LlamaModel &m) {
  int64_t n = m.tokenEmbedding.size() + m.finalNorm.size();
  if (m.classifier.data() != m.tokenEmbedding.data())
    n += m.classifier.size();
  for (const LlamaLayer &l : m.layers)
    for (llvm::ArrayRef<float> a :
         {l.attentionNorm, l.wq, l.wk, l.wv, l.wo, l.ffnNorm, l.w1, l.w2, l.w3})
      n += a.size();
  return n;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mxc::registerAllPasses();
  mlir::registerAllPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "mxc-compile: compile a Llama model (llama2.c checkpoint or "
      "HuggingFace directory) with an MX quantization recipe for the CPU "
      "or an NVIDIA GPU, and report what quantization cost\n");

  Recipe recipe = orFail(Recipe::parse(recipeText));
  if (outputPath.empty())
    outputPath = emit == Emit::Artifact || emit == Emit::Object ? "" : "-";
  if (outputPath.empty())
    fail("give the compiled model's file with -o FILE (or --emit=mxc|linalg|"
         "gpu|llvm|llvm-ir to print a stage)");
  if ((emit == Emit::Artifact || emit == Emit::Object) && outputPath == "-" &&
      llvm::sys::Process::StandardOutIsDisplayed())
    fail("not writing a binary model to a terminal; give -o FILE");
  if (emit == Emit::GPU && target == Target::CPU)
    fail("--emit=gpu needs a GPU target (--target=cuda or cuda-on-cpu)");
  if (target == Target::CUDA && !evalFile.empty())
    fail("--eval runs the compiled model on this machine's CPU, which a "
         "model compiled for CUDA cannot do; evaluate --target=cuda-on-cpu "
         "(the same kernels, as CPU loops)");
  if (recipe.needsCalibration() && calibrationFile.empty())
    fail("the recipe needs calibration statistics (GPTQ, SmoothQuant or a "
         "softmax clip chosen from statistics): give --calibrate FILE");
  const bool wantReport = report || !reportJSON.empty();
  if (!evalFile.empty() && !wantReport)
    fail("--eval measures for the report: add --report or --report-json");

  progress("loading " + modelPath);
  LlamaModel model = orFail(loadCheckpoint(modelPath));
  const LlamaConfig &config = model.config;
  std::string tokPath = tokenizerPath.empty()
                            ? orFail(findTokenizer(modelPath, config.vocab))
                            : tokenizerPath.getValue();
  std::unique_ptr<llvm::MemoryBuffer> tokenizerBytes = readFile(tokPath);
  Tokenizer tokenizer = orFail(
      Tokenizer::parse(tokenizerBytes->getBuffer(), config.vocab, tokPath));
  std::unique_ptr<mlir::MLIRContext> context = createContext();

  LlamaStatistics statistics;
  CompileOptions options;
  options.recipe = recipe;
  options.extraPasses = passes;
  options.progress = progress;
  options.report = wantReport;
  options.target = target;
  options.chip = chip;
  options.cudaToolkit = cudaToolkit;
  if (!calibrationFile.empty()) {
    CompileOptions calibrationOptions;
    calibrationOptions.calibration = true;
    calibrationOptions.progress = progress;
    std::unique_ptr<CompiledModel> calibration =
        orFail(compileAndLoad(*context, model, calibrationOptions));
    std::vector<std::vector<int32_t>> windows =
        windowsOf(tokenizer, readFile(calibrationFile)->getBuffer(),
                  config.seqLen, calibrationWindows);
    if (windows.empty())
      fail("'" + calibrationFile + "' has no tokens");
    statistics = calibrate(*calibration, config, windows, progress);
    options.statistics = &statistics;
  }

  QualityReport quality;
  const Stage emitStage = emit == Emit::MXC      ? Stage::MXC
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
  mlir::OwningOpRef<mlir::ModuleOp> module =
      orFail(compileModel(*context, model, options));
  mlir::ModuleOp output = emitted ? *emitted : *module;

  // The quality report, measured before the module is written.
  if (wantReport) {
    quality.model = modelPath;
    quality.recipe = recipe.str();
    quality.params = parameterCount(model);
    {
      CompileOptions floatOptions;
      floatOptions.stop = Stage::MXC;
      mlir::OwningOpRef<mlir::ModuleOp> floatModule =
          orFail(compileModel(*context, model, floatOptions));
      quality.floatBytes = constantBytes(*floatModule);
    }
    for (const MatmulError &m : quality.matmuls)
      if (quality.layers.empty() ||
          quality.layers.back().name != layerOf(m.name))
        quality.layers.emplace_back().name = layerOf(m.name);
    if (!evalFile.empty()) {
      std::vector<std::vector<int32_t>> windows =
          windowsOf(tokenizer, readFile(evalFile)->getBuffer(), config.seqLen,
                    evalWindows);
      if (windows.empty())
        fail("'" + evalFile + "' has no tokens");
      quality.evalText = evalFile;
      progress("evaluating the float model");
      std::unique_ptr<CompiledModel> reference =
          orFail(compileAndLoad(*context, model, {}));
      quality.floatEval = evaluate(*reference, nullptr, windows);
      std::unique_ptr<CompiledModel> compiled =
          orFail(CompiledModel::create(*module, config));
      progress("evaluating the compiled model");
      std::vector<std::vector<float>> referenceLogits;
      quality.eval =
          evaluate(*compiled, reference.get(), windows, {}, &referenceLogits);
      // Each layer alone, with the recipe's weight method and with RTN.
      for (LayerEffect &layer : quality.layers) {
        for (bool rtn : {false, true}) {
          if (rtn && recipe.method == "rtn") {
            layer.rtnKL = layer.kl;
            continue;
          }
          CompileOptions alone;
          alone.recipe = recipe;
          alone.recipe.activations = "none";
          alone.recipe.softmaxBits = 0;
          if (rtn)
            alone.recipe.method = "rtn";
          alone.statistics = options.statistics;
          alone.only = {layer.name};
          progress("quantizing " + layer.name + " alone (" +
                   alone.recipe.method + ")");
          std::unique_ptr<CompiledModel> one =
              orFail(compileAndLoad(*context, model, alone));
          (rtn ? layer.rtnKL : layer.kl) =
              evaluate(*one, reference.get(), windows, {}, &referenceLogits)
                  .meanKL;
        }
      }
    }
    rankAndFlag(quality.layers, quality.matmuls);
    if (!evalFile.empty() && recipe.weights != "none")
      quality.suggestedRecipe = suggestRecipe(recipe, quality.layers).str();
    if (recipe.weights != "none")
      quality.predicted = predictQuality(
          quality.matmuls, mxc::numerics::getFormatInfo(
                               *mxc::numerics::parseElemFormat(recipe.weights))
                               .bits);
  }

  // The output.
  if (emit == Emit::Object ||
      (emit == Emit::Artifact && target == Target::CUDA)) {
    if (llvm::Error e = writeObject(output, config, outputPath))
      fail(llvm::toString(std::move(e)));
    progress("wrote " + outputPath);
  } else if (emit == Emit::Artifact) {
    attachModelInfo(output, config, recipe, tokenizerBytes->getBuffer());
    if (llvm::Error e = writeBytecode(output, outputPath))
      fail(llvm::toString(std::move(e)));
    progress("wrote " + outputPath);
  } else {
    std::error_code ec;
    llvm::ToolOutputFile out(outputPath, ec, llvm::sys::fs::OF_Text);
    if (ec)
      fail("cannot write '" + outputPath + "': " + ec.message());
    if (emit == Emit::LLVMIR) {
      llvm::LLVMContext llvmContext;
      std::unique_ptr<llvm::Module> ir =
          mlir::translateModuleToLLVMIR(output, llvmContext, modelPath);
      if (!ir)
        fail("translation to LLVM IR failed");
      ir->print(out.os(), nullptr);
    } else {
      output.print(out.os());
    }
    out.keep();
  }
  if (report)
    quality.printText(outputPath == "-" ? llvm::errs() : llvm::outs());
  if (!reportJSON.empty()) {
    std::error_code ec;
    llvm::ToolOutputFile out(reportJSON, ec, llvm::sys::fs::OF_Text);
    if (ec)
      fail("cannot write '" + reportJSON + "': " + ec.message());
    quality.printJSON(out.os());
    out.keep();
  }
  return 0;
}
