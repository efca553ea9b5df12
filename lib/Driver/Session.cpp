//===- Session.cpp - One model through load, calibrate, compile, run ------===//

#include "mxc/Driver/Session.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace mxc::driver;
using namespace mxc::frontend;

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The bytes of the file at `path`; `what` names it in the error.
llvm::Expected<std::string> readText(llvm::StringRef path,
                                     llvm::StringRef what = "") {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot read " + what + (what.empty() ? "" : " ") + "'" +
                 path + "': " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
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

CompileSession::~CompileSession() = default;

void CompileSession::note(const llvm::Twine &line) const {
  if (progress)
    progress(line);
}

llvm::Expected<std::unique_ptr<CompileSession>>
CompileSession::open(llvm::StringRef modelPath, llvm::StringRef tokenizerPath,
                     Progress progress) {
  std::unique_ptr<CompileSession> s(new CompileSession());
  s->path = modelPath.str();
  s->progress = std::move(progress);
  s->mlirContext = createContext();
  s->note("loading " + modelPath);
  if (isBytecodeFile(modelPath)) {
    llvm::Expected<Artifact> a = readArtifact(*s->mlirContext, modelPath);
    if (!a)
      return a.takeError();
    s->artifact = std::make_unique<Artifact>(std::move(*a));
    s->modelConfig = s->artifact->config;
    s->tokens = std::move(s->artifact->tokenizer);
  } else {
    llvm::Expected<LlamaModel> m = loadCheckpoint(modelPath);
    if (!m)
      return m.takeError();
    s->weights = std::make_unique<LlamaModel>(std::move(*m));
    s->modelConfig = s->weights->config;
  }
  // A tokenizer given explicitly wins over the one a compiled model or a
  // GGUF file carries.
  if (tokenizerPath.empty() && s->weights && !s->weights->tokenizer.empty()) {
    s->tokenizerFile = s->weights->tokenizer;
    llvm::Expected<Tokenizer> t =
        Tokenizer::parse(s->tokenizerFile, s->modelConfig.vocab, modelPath);
    if (!t)
      return t.takeError();
    s->tokens = std::move(*t);
  }
  if (!tokenizerPath.empty() || !s->tokens) {
    std::string tokPath = tokenizerPath.str();
    if (tokPath.empty()) {
      llvm::Expected<std::string> found =
          findTokenizer(modelPath, s->modelConfig.vocab);
      if (!found)
        return found.takeError();
      tokPath = *found;
    }
    llvm::Expected<std::string> bytes = readText(tokPath, "tokenizer");
    if (!bytes)
      return bytes.takeError();
    // A HuggingFace tokenizer.json becomes the llama2.c form that compiled
    // models carry.
    if (llvm::StringRef(tokPath).ends_with(".json")) {
      bytes = convertTokenizerJSON(*bytes, tokPath);
      if (!bytes)
        return bytes.takeError();
    }
    s->tokenizerFile = std::move(*bytes);
    llvm::Expected<Tokenizer> t =
        Tokenizer::parse(s->tokenizerFile, s->modelConfig.vocab, tokPath);
    if (!t)
      return t.takeError();
    s->tokens = std::move(*t);
  }
  return std::move(s);
}

llvm::StringRef CompileSession::compiledRecipe() const {
  return artifact ? llvm::StringRef(artifact->recipe) : "";
}

llvm::ArrayRef<std::string> CompileSession::loadNotes() const {
  if (!weights)
    return {};
  return weights->notes;
}

const LlamaModel &CompileSession::checkpoint() const {
  assert(weights && "a compiled model has no checkpoint weights");
  return *weights;
}

llvm::Expected<std::vector<std::vector<int32_t>>>
CompileSession::windows(llvm::StringRef textPath, int64_t limit) {
  llvm::Expected<std::string> text = readText(textPath);
  if (!text)
    return text.takeError();
  std::vector<std::vector<int32_t>> result =
      windowsOf(*tokens, *text, modelConfig.seqLen, limit);
  if (result.empty())
    return error("'" + textPath + "' has no tokens");
  return result;
}

llvm::Expected<CompiledModel *> CompileSession::calibrationModel() {
  if (!weights)
    return error("'" + path +
                 "' is already compiled: calibration needs the float "
                 "weights of a checkpoint");
  if (!calibration) {
    CompileOptions options;
    options.calibration = true;
    options.progress = progress;
    llvm::Expected<std::unique_ptr<CompiledModel>> m =
        compileAndLoad(*mlirContext, *weights, options);
    if (!m)
      return m.takeError();
    calibration = std::move(*m);
  }
  return calibration.get();
}

llvm::Error CompileSession::calibrate(llvm::StringRef textPath,
                                      int64_t windowLimit) {
  llvm::Expected<std::vector<std::vector<int32_t>>> text =
      windows(textPath, windowLimit);
  if (!text)
    return text.takeError();
  llvm::Expected<CompiledModel *> model = calibrationModel();
  if (!model)
    return model.takeError();
  stats = mxc::driver::calibrate(**model, modelConfig, *text, progress);
  return llvm::Error::success();
}

llvm::Error CompileSession::checkStatistics(const Recipe &recipe) const {
  if (!recipe.needsCalibration() || stats)
    return llvm::Error::success();
  return error("the recipe '" + recipe.str() +
               "' needs calibration statistics (GPTQ, SmoothQuant or a "
               "softmax clip chosen from statistics): give a calibration "
               "text (--calibrate FILE; calibration= in Python)");
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
CompileSession::compile(CompileOptions options) {
  if (!weights)
    return error("'" + path +
                 "' is already compiled (its recipe is fixed; the float "
                 "weights are not in it): compile a checkpoint instead");
  if (!options.calibration)
    if (llvm::Error e = checkStatistics(options.recipe))
      return std::move(e);
  // A keep= entry that names no matmul would silently do nothing.
  std::vector<std::string> names = matmulNames(modelConfig);
  for (const Recipe::Kept &kept : options.recipe.keep)
    if (llvm::none_of(names, [&](const std::string &name) {
          return llvm::StringRef(name).starts_with(kept.prefix);
        }))
      return error("recipe: keep='" + kept.prefix +
                   "' names no matmul of this model (names: layers.0.wq ... "
                   "layers." +
                   llvm::Twine(modelConfig.layers - 1) +
                   ".w2, classifier; a prefix such as layers.3. or "
                   "layers.0.wq)");
  if (!options.statistics)
    options.statistics = statistics();
  if (!options.progress)
    options.progress = progress;
  if (!options.remark)
    options.remark = remark;
  return compileModel(*mlirContext, *weights, options);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompileSession::load(const CompileOptions &options) {
  if (artifact) {
    note("JIT-compiling " + path + " (" + artifact->recipe + ")");
    return CompiledModel::create(*artifact->module, modelConfig);
  }
  CompileOptions lowered = options;
  lowered.stop = Stage::LLVM;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      compile(std::move(lowered));
  if (!module)
    return module.takeError();
  note("JIT-compiling");
  return CompiledModel::create(**module, modelConfig);
}

llvm::Expected<CompiledModel *> CompileSession::floatModel() {
  if (!floatReference) {
    note("compiling the float model");
    llvm::Expected<std::unique_ptr<CompiledModel>> m = load({});
    if (!m)
      return m.takeError();
    floatReference = std::move(*m);
  }
  return floatReference.get();
}

llvm::Expected<QualityReport>
CompileSession::measureQuality(const Recipe &recipe, QualityReport quality,
                               CompiledModel *compiled,
                               llvm::StringRef evalPath, int64_t evalWindows) {
  if (!weights)
    return error("a quality report needs the checkpoint's float weights");
  quality.model = path;
  quality.recipe = recipe.str();
  quality.params = parameterCount(*weights);
  {
    CompileOptions floatOptions;
    floatOptions.stop = Stage::MXC;
    llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> floatModule =
        compile(floatOptions);
    if (!floatModule)
      return floatModule.takeError();
    quality.floatBytes = constantBytes(**floatModule);
  }
  for (const MatmulError &m : quality.matmuls)
    if (quality.layers.empty() || quality.layers.back().name != layerOf(m.name))
      quality.layers.emplace_back().name = layerOf(m.name);
  if (!evalPath.empty()) {
    llvm::Expected<std::vector<std::vector<int32_t>>> text =
        windows(evalPath, evalWindows);
    if (!text)
      return text.takeError();
    quality.evalText = evalPath.str();
    note("evaluating the float model");
    llvm::Expected<CompiledModel *> reference = floatModel();
    if (!reference)
      return reference.takeError();
    quality.floatEval = evaluate(**reference, nullptr, *text);
    note("evaluating the compiled model");
    std::vector<std::vector<float>> referenceLogits;
    quality.eval = evaluate(*compiled, *reference, *text, {}, &referenceLogits);
    // Each layer alone, with the recipe's weight method and with RTN.
    for (LayerEffect &layer : quality.layers) {
      for (bool rtn : {false, true}) {
        if (rtn && recipe.method == WeightMethod::RTN) {
          layer.rtnKL = layer.kl;
          continue;
        }
        CompileOptions alone;
        alone.recipe = recipe;
        alone.recipe.activations.reset();
        alone.recipe.softmaxBits = 0;
        if (rtn)
          alone.recipe.method = WeightMethod::RTN;
        alone.only = {layer.name};
        note("quantizing " + layer.name + " alone (" +
             (alone.recipe.method == WeightMethod::GPTQ ? "gptq" : "rtn") +
             ")");
        llvm::Expected<std::unique_ptr<CompiledModel>> one = load(alone);
        if (!one)
          return one.takeError();
        (rtn ? layer.rtnKL : layer.kl) =
            evaluate(**one, *reference, *text, {}, &referenceLogits).meanKL;
      }
    }
  }
  rankAndFlag(quality.layers, quality.matmuls);
  if (!evalPath.empty() && recipe.weights)
    quality.suggestedRecipe = suggestRecipe(recipe, quality.layers).str();
  if (recipe.weights)
    quality.predicted = predictQuality(
        quality.matmuls, numerics::getFormatInfo(*recipe.weights).bits);
  return quality;
}
