//===- Session.cpp - One model through load, calibrate, compile, run ------===//

#include "mxc/Driver/Session.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Numerics/PTQ.h"
#include "mxc/Support/Output.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <cstring>

#include "llvm/Support/MemoryBuffer.h"

using namespace mxc::driver;
using namespace mxc::frontend;
namespace num = mxc::numerics;

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
                     Progress progress, const LoadOptions &load) {
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
    llvm::Expected<LlamaModel> m = loadCheckpoint(modelPath, load);
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
  return allWeights();
}

const LlamaModel &CompileSession::allWeights() const {
  weights->materializeAll();
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

llvm::Expected<CompiledModel *>
CompileSession::calibrationModel(bool vectorize) {
  if (!weights)
    return error("'" + path +
                 "' is already compiled: calibration needs the float "
                 "weights of a checkpoint");
  if (!calibration) {
    CompileOptions options;
    options.calibration = true;
    options.rowsInnermost = vectorize;
    options.progress = progress;
    llvm::Expected<std::unique_ptr<CompiledModel>> m =
        compileAndLoad(*mlirContext, allWeights(), options);
    if (!m)
      return m.takeError();
    calibration = std::move(*m);
  }
  return calibration.get();
}

llvm::Error CompileSession::calibrate(llvm::StringRef textPath,
                                      int64_t windowLimit, Calibration how) {
  llvm::Expected<std::vector<std::vector<int32_t>>> text =
      windows(textPath, windowLimit);
  if (!text)
    return text.takeError();
  if (!weights)
    return error("'" + path +
                 "' is already compiled: calibration needs the float "
                 "weights of a checkpoint");
  calibrationWindows = std::move(*text);
  stats.reset();
  layerwise = how == Calibration::LayerByLayer;
  return layerwise ? llvm::Error::success() : gatherStatistics();
}

llvm::Error CompileSession::gatherStatistics() {
  llvm::Expected<CompiledModel *> model =
      calibrationModel(worthVectorizingWindows(
          modelConfig, calibrationWindows.size(), modelConfig.seqLen));
  if (!model)
    return model.takeError();
  stats = mxc::driver::calibrate(**model, modelConfig, calibrationWindows,
                                 progress);
  layerwise = false;
  return llvm::Error::success();
}

struct CompileSession::Tuned {
  std::string recipe;
  mxc::tuning::LlamaParameters params;
  frontend::LlamaModel model;
  /// Per layer, the tuned EXAQ table (softmax-table=tune).
  std::vector<std::vector<float>> softmaxTables;
  TuningSummary summary;
};

const TuningSummary *CompileSession::lastTuning() const {
  return tuned ? &tuned->summary : nullptr;
}

/// Relative output error (output MSE over mean square output, from the
/// Hessian) and weight SQNR of `rounded` against `w` ([n, k]).
static std::pair<double, double> localError(llvm::ArrayRef<float> w,
                                            const std::vector<double> &rounded,
                                            int64_t n, int64_t k,
                                            const std::vector<double> &h) {
  double mse = num::outputMSEFromHessian(w.data(), rounded, n, k, h);
  double energy = num::outputMSEFromHessian(
      w.data(), std::vector<double>(n * k, 0.0), n, k, h);
  return {energy > 0 ? mse / energy : 0,
          num::weightSQNR(w.data(), rounded, n, k)};
}

/// SmoothQuant with `alpha` on float parameters, as mxc-smoothquant applies
/// it to the IR (numerics::smoothQuantScales from the readers' statistics
/// and weights): per activation, the weight columns of the matmuls that read
/// it times s, and the gain of the norm that produces it divided by s (for
/// the inputs of wo and w2, which no norm produces, a fixed input scale
/// 1/s). `hessians` (per matmul, builder order) become the statistics of
/// the smoothed inputs, H_ij / (s_i s_j), as the pass stores them.
static void smoothParameters(mxc::tuning::LlamaParameters &p,
                             const LlamaStatistics &stats, double alpha,
                             std::vector<std::vector<float>> &hessians) {
  const LlamaConfig &c = p.config;
  // One activation: the matmuls reading it (their indices in the builder's
  // order, weights and output rows), its width, and where 1/s goes.
  auto smooth = [&](std::vector<int64_t> readers,
                    std::vector<std::pair<std::vector<float> *, int64_t>> ws,
                    int64_t k, std::vector<float> *gain,
                    std::vector<float> *inputScale) {
    std::vector<float> absMax(k, 0.0f);
    for (int64_t i : readers)
      for (int64_t j = 0; j < k; ++j)
        absMax[j] = std::max(absMax[j], stats.actAbsMax[i][j]);
    std::vector<std::pair<const float *, int64_t>> views;
    for (auto [w, rows] : ws)
      views.push_back({w->data(), rows});
    std::vector<double> s = num::smoothQuantScales(absMax, views, k, alpha);
    for (auto [w, rows] : ws)
      num::smoothWeightColumns(w->data(), rows, s);
    if (gain)
      num::divideBySmoothScales(gain->data(), s);
    else
      *inputScale = num::smoothInputFactors(s);
    for (int64_t r : readers)
      if (!hessians[r].empty())
        num::smoothHessian(hessians[r].data(), s);
  };
  for (int64_t l = 0; l < c.layers; ++l) {
    mxc::tuning::LlamaParameters::Layer &L = p.layers[l];
    const int64_t m = 7 * l; // wq, wk, wv, wo, w1, w3, w2
    smooth({m, m + 1, m + 2},
           {{&L.wq, c.dim}, {&L.wk, c.kvDim()}, {&L.wv, c.kvDim()}}, c.dim,
           &L.attentionNorm, nullptr);
    smooth({m + 3}, {{&L.wo, c.dim}}, c.dim, nullptr, &L.woInputScale);
    smooth({m + 4, m + 5}, {{&L.w1, c.hiddenDim}, {&L.w3, c.hiddenDim}}, c.dim,
           &L.ffnNorm, nullptr);
    smooth({m + 6}, {{&L.w2, c.dim}}, c.hiddenDim, nullptr, &L.w2InputScale);
  }
  smooth({7 * c.layers}, {{&p.classifier, c.vocab}}, c.dim, &p.finalNorm,
         nullptr);
}

llvm::Expected<const LlamaModel *>
CompileSession::tunedModel(const Recipe &recipe) {
  if (tuned && tuned->recipe == recipe.str())
    return &tuned->model;
  if (!weights)
    return error("tuning needs the float weights of a checkpoint");
  if (layerwise)
    if (llvm::Error e = gatherStatistics())
      return std::move(e);
  if (calibrationWindows.empty() || !stats)
    return error("recipe: tune needs the calibration text itself "
                 "(--calibrate FILE); statistics from an .mxcal file carry "
                 "no text to tune on");
  auto t = std::make_unique<Tuned>();
  t->recipe = recipe.str();
  mxc::tuning::LlamaParameters teacher =
      mxc::tuning::LlamaParameters::copyOf(allWeights());
  t->params = teacher;
  // Each matmul's Hessian, for GPTQ and the local errors.
  std::vector<std::vector<float>> hessians;
  for (const auto &h : stats->hessian)
    hessians.push_back(h ? *h : std::vector<float>());
  // Smoothed first: tuning starts from the smoothed float weights (and
  // GPTQ on them), and the compiled model applies the same factors.
  if (recipe.smooth > 0) {
    note("SmoothQuant: the float weights tuning starts from");
    smoothParameters(t->params, *stats, recipe.smooth, hessians);
  }
  // The float weights the local errors compare with (smoothed where the
  // recipe smooths: the same outputs on the smoothed inputs).
  mxc::tuning::LlamaParameters reference = t->params;
  // Each matmul's format: its keep= entry's (the first that names it), else
  // the recipe's.
  mxc::tuning::Quantizers quantizers;
  quantizers.weightScales = recipe.scales;
  quantizers.activations = recipe.activations;
  quantizers.activationScales = recipe.activationScales;
  if (recipe.softmaxBits > 0 &&
      recipe.tuneSoftmax != Recipe::TuneSoftmax::Exact) {
    quantizers.softmax =
        num::ExaqQuantizer{static_cast<int>(recipe.softmaxBits),
                           *recipe.fixedClip(), recipe.softmaxZeroFloor};
    // The tables mxc-softmax-table fits to the same statistics; tuned, they
    // start there as each layer's levels.
    if (recipe.softmaxTable != Recipe::SoftmaxTable::Exp)
      for (auto [l, s] : llvm::enumerate(stats->softmax)) {
        std::vector<float> table = num::fitExaqTable(
            *quantizers.softmax, s.samples.data(), s.samples.size());
        if (recipe.softmaxTable == Recipe::SoftmaxTable::Tune) {
          t->params.layers[l].softmaxLevels =
              mxc::tuning::softmaxLevelsOf(table);
          t->summary.softmaxTablesStart.push_back(std::move(table));
        } else
          quantizers.softmaxTables.push_back(std::move(table));
      }
  }
  std::vector<std::string> names = matmulNames(modelConfig);
  for (const std::string &name : names) {
    std::optional<num::ElemFormat> format = recipe.weights;
    for (const Recipe::Kept &kept : recipe.keep)
      if (llvm::StringRef(name).starts_with(kept.prefix)) {
        format = kept.format;
        break;
      }
    if (format)
      quantizers.weights[name] = *format;
  }
  // GPTQ's rounded weights are the starting point (the RTN of the tuner's
  // forward pass gives them back unchanged).
  if (recipe.method == WeightMethod::GPTQ) {
    note("GPTQ: the starting point of tuning");
    std::vector<mxc::tuning::LlamaParameters::Tensor> tensors =
        t->params.tensors();
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string &name = names[i];
      auto format = quantizers.weights.find(name);
      auto tensor =
          llvm::find_if(tensors, [&](auto &x) { return x.name == name; });
      if (format == quantizers.weights.end() || tensor == tensors.end())
        continue;
      num::GPTQOptions options;
      options.format = format->second;
      options.scales = recipe.scales;
      num::QuantizedWeight q;
      std::string reason;
      std::vector<double> h(hessians[i].begin(), hessians[i].end());
      if (!num::gptqQuantize(tensor->values->data(), tensor->rows, tensor->cols,
                             std::move(h), options, q, reason))
        return error("GPTQ of " + name + " failed: " + reason);
      for (auto [out, v] : llvm::zip_equal(*tensor->values, q.dequantized))
        out = static_cast<float>(v);
    }
  }
  mxc::tuning::TuneOptions options;
  options.steps = recipe.tuneSteps;
  options.learningRate = recipe.tuneLearningRate;
  options.damping = recipe.tuneDamping;
  options.labelWeight = recipe.tuneLabels;
  options.batch = recipe.tuneBatch;
  if (recipe.tuneSoftmax == Recipe::TuneSoftmax::ExactThenQuantized)
    options.exactSoftmaxSteps = recipe.tuneSteps / 2;
  options.target = recipe.tuneWhat == Recipe::TuneWhat::Weights
                       ? mxc::tuning::TuneTarget::Weights
                   : recipe.tuneWhat == Recipe::TuneWhat::Norms
                       ? mxc::tuning::TuneTarget::Norms
                       : mxc::tuning::TuneTarget::Both;
  options.progress = [&](const llvm::Twine &line) { note(line); };
  // Tuning the gains also tunes factors on the inputs of wo and w2, which
  // no norm produces; without SmoothQuant they start at 1.
  if (options.target != mxc::tuning::TuneTarget::Weights)
    for (mxc::tuning::LlamaParameters::Layer &L : t->params.layers) {
      if (L.woInputScale.empty())
        L.woInputScale.assign(modelConfig.dim, 1.0f);
      if (L.w2InputScale.empty())
        L.w2InputScale.assign(modelConfig.hiddenDim, 1.0f);
    }
  // The starting point's rounded weights, for the local errors before.
  std::vector<mxc::tuning::LlamaParameters::Tensor> tensors =
      t->params.tensors();
  mxc::tuning::QuantizedView startView(t->params, quantizers);
  std::vector<std::vector<float>> before;
  for (const std::string &name : names)
    if (quantizers.weights.count(name)) {
      auto tensor =
          llvm::find_if(tensors, [&](auto &x) { return x.name == name; });
      before.push_back(startView.weights(name, *tensor->values));
    }
  mxc::tuning::TuneResult result = mxc::tuning::tune(
      t->params, teacher, quantizers, calibrationWindows, options);
  TuningSummary &s = t->summary;
  s.steps = recipe.tuneSteps;
  s.what = recipe.tuneWhat == Recipe::TuneWhat::Weights ? "weights"
           : recipe.tuneWhat == Recipe::TuneWhat::Norms
               ? "norm and input gains"
               : "weights, norm and input gains";
  s.startKL = result.startKL;
  s.finalKL = result.finalKL;
  s.keptStep = result.bestStep;
  s.seconds = result.seconds;
  s.evaluations = result.evaluations;
  s.windows = static_cast<int64_t>(calibrationWindows.size());
  s.windowsEvaluated = result.windowsEvaluated;
  mxc::tuning::QuantizedView endView(t->params, quantizers);
  std::vector<mxc::tuning::LlamaParameters::Tensor> floats =
      reference.tensors();
  tensors = t->params.tensors();
  size_t quantized = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!quantizers.weights.count(names[i]))
      continue;
    auto f = llvm::find_if(floats, [&](auto &x) { return x.name == names[i]; });
    auto l =
        llvm::find_if(tensors, [&](auto &x) { return x.name == names[i]; });
    std::vector<double> h(hessians[i].begin(), hessians[i].end());
    std::vector<float> after = endView.weights(names[i], *l->values);
    // Tuned factors on the matmul's input belong to it: W diag(s / s0), s0
    // the reference's (1 where it has none), on the reference's inputs.
    auto factors = [&](auto &list) -> const std::vector<float> * {
      auto it = llvm::find_if(
          list, [&](auto &x) { return x.name == names[i] + "_input_scale"; });
      return it == list.end() ? nullptr : it->values;
    };
    if (const std::vector<float> *s = factors(tensors)) {
      const std::vector<float> *s0 = factors(floats);
      std::vector<double> ratio(s->begin(), s->end());
      if (s0)
        for (auto [r, d] : llvm::zip_equal(ratio, *s0))
          r /= d;
      num::smoothWeightColumns(after.data(), l->rows, ratio);
    }
    auto [relBefore, sqnrBefore] = localError(
        *f->values,
        std::vector<double>(before[quantized].begin(), before[quantized].end()),
        f->rows, f->cols, h);
    auto [relAfter, sqnrAfter] =
        localError(*f->values, std::vector<double>(after.begin(), after.end()),
                   f->rows, f->cols, h);
    s.matmuls.push_back({names[i], relBefore, relAfter, sqnrBefore, sqnrAfter});
    ++quantized;
  }
  t->model = t->params.view();
  if (recipe.softmaxTable == Recipe::SoftmaxTable::Tune)
    for (const mxc::tuning::LlamaParameters::Layer &L : t->params.layers)
      t->softmaxTables.push_back(mxc::tuning::softmaxTableOf(
          L.softmaxLevels, recipe.softmaxZeroFloor));
  t->summary.softmaxTablesTuned = t->softmaxTables;
  tuned = std::move(t);
  return &tuned->model;
}

namespace {

constexpr llvm::StringLiteral kCalibrationMagic = "MXCCALIB";
constexpr uint32_t kCalibrationVersion = 1;

/// Little-endian writer and bounds-checked reader of the .mxcal format:
/// magic, version, model key, note, then the statistics (counts first).
struct CalibrationWriter {
  std::string bytes;
  template <typename T> void put(T v) {
    bytes.append(reinterpret_cast<const char *>(&v), sizeof(T));
  }
  void floats(llvm::ArrayRef<float> v) {
    put<uint64_t>(v.size());
    bytes.append(reinterpret_cast<const char *>(v.data()), v.size() * 4);
  }
};

struct CalibrationReader {
  llvm::StringRef bytes;
  size_t at = 0;
  bool failed = false;
  template <typename T> T get() {
    T v{};
    if (failed || bytes.size() - at < sizeof(T)) {
      failed = true;
      return v;
    }
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  /// A count of items of `size` bytes that the rest of the file can hold.
  uint64_t count(size_t size) {
    uint64_t n = get<uint64_t>();
    if (failed || n > (bytes.size() - at) / size)
      failed = true;
    return failed ? 0 : n;
  }
  std::vector<float> floats() {
    uint64_t n = count(4);
    std::vector<float> v(n);
    if (n)
      std::memcpy(v.data(), bytes.data() + at, n * 4);
    at += n * 4;
    return v;
  }
};

} // namespace

uint64_t CompileSession::modelKey() const {
  const LlamaModel &m = allWeights();
  llvm::SmallVector<uint64_t> parts;
  auto add = [&](llvm::ArrayRef<float> values) {
    parts.push_back(llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4)));
  };
  const LlamaConfig &c = modelConfig;
  for (int64_t v :
       {c.dim, c.hiddenDim, c.layers, c.heads, c.kvHeads, c.vocab, c.seqLen})
    parts.push_back(v);
  add(m.tokenEmbedding);
  for (const LlamaLayer &l : m.layers)
    for (llvm::ArrayRef<float> w :
         {l.attentionNorm, l.wq, l.wk, l.wv, l.wo, l.ffnNorm, l.w1, l.w2, l.w3})
      add(w);
  add(m.finalNorm);
  add(m.classifier);
  parts.push_back(llvm::xxh3_64bits(tokenizerFile));
  return llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(parts.data()), parts.size() * 8));
}

llvm::Error CompileSession::saveCalibration(llvm::StringRef path,
                                            llvm::StringRef note) const {
  if (layerwise)
    return error("calibrated one layer at a time: the statistics of the "
                 "whole model are never all in memory to save (calibrate "
                 "the whole model to save them)");
  if (!stats)
    return error("no calibration statistics to save (calibrate first)");
  CalibrationWriter w;
  w.bytes = kCalibrationMagic.str();
  w.put(kCalibrationVersion);
  w.put(modelKey());
  w.put<uint64_t>(note.size());
  w.bytes += note.str();
  w.put<uint64_t>(stats->actAbsMax.size());
  for (const std::vector<float> &v : stats->actAbsMax)
    w.floats(v);
  w.put<uint64_t>(stats->hessian.size());
  for (const auto &h : stats->hessian)
    w.floats(*h);
  w.put<uint64_t>(stats->softmax.size());
  for (const LlamaStatistics::Softmax &s : stats->softmax) {
    w.put(s.mean);
    w.put(s.std);
    w.put(s.min);
    w.put(s.count);
    w.floats(s.samples);
  }
  return mxc::writeFileAtomically(path, [&](llvm::raw_fd_ostream &os) {
    os << w.bytes;
    return llvm::Error::success();
  });
}

llvm::Expected<std::string>
CompileSession::loadCalibration(llvm::StringRef path) {
  if (!weights)
    return error("'" + this->path +
                 "' is already compiled; calibration statistics apply to a "
                 "checkpoint");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error("cannot open calibration file '" + path +
                 "': " + buffer.getError().message());
  CalibrationReader r{(*buffer)->getBuffer()};
  if (!r.bytes.starts_with(kCalibrationMagic))
    return error(path + ": not an mxc calibration file (no MXCCALIB magic)");
  r.at = kCalibrationMagic.size();
  uint32_t version = r.get<uint32_t>();
  if (!r.failed && version != kCalibrationVersion)
    return error(path + ": calibration format version " + llvm::Twine(version) +
                 "; this mxc reads version " +
                 llvm::Twine(kCalibrationVersion));
  uint64_t key = r.get<uint64_t>();
  if (!r.failed && key != modelKey())
    return error(path +
                 ": these statistics were gathered on another model "
                 "or tokenizer than '" +
                 this->path + "'; calibrate again (--calibrate)");
  uint64_t noteSize = r.count(1);
  std::string note = r.bytes.substr(r.at, noteSize).str();
  r.at += noteSize;
  LlamaStatistics s;
  uint64_t n = r.count(8);
  for (uint64_t i = 0; i < n && !r.failed; ++i)
    s.actAbsMax.push_back(r.floats());
  n = r.count(8);
  for (uint64_t i = 0; i < n && !r.failed; ++i) {
    auto h = std::make_shared<const std::vector<float>>(r.floats());
    // Matmuls of one input (q, k, v; w1, w3) share one Hessian again.
    if (!s.hessian.empty() && *s.hessian.back() == *h)
      h = s.hessian.back();
    s.hessian.push_back(std::move(h));
  }
  uint64_t layers = r.count(40);
  for (uint64_t i = 0; i < layers && !r.failed; ++i) {
    LlamaStatistics::Softmax &softmax = s.softmax.emplace_back();
    softmax.mean = r.get<double>();
    softmax.std = r.get<double>();
    softmax.min = r.get<double>();
    softmax.count = r.get<int64_t>();
    softmax.samples = r.floats();
  }
  if (r.failed || r.at != r.bytes.size())
    return error(path + ": truncated or corrupt calibration file");
  // The shapes this model's statistics have.
  std::vector<std::string> names = matmulNames(modelConfig);
  if (s.actAbsMax.size() != names.size() || s.hessian.size() != names.size() ||
      static_cast<int64_t>(s.softmax.size()) != modelConfig.layers)
    return error(path + ": statistics of " + llvm::Twine(s.actAbsMax.size()) +
                 " matmuls, the model has " + llvm::Twine(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    // Each matmul's input width: w2 reads the hidden layer, the rest dim.
    size_t in = llvm::StringRef(names[i]).ends_with(".w2")
                    ? modelConfig.hiddenDim
                    : modelConfig.dim;
    if (s.actAbsMax[i].size() != in || s.hessian[i]->size() != in * in)
      return error(path + ": the statistics of " + names[i] +
                   " do not fit its " + llvm::Twine(in) + " inputs");
  }
  stats = std::move(s);
  layerwise = false;
  return note;
}

llvm::Error CompileSession::checkStatistics(const Recipe &recipe) const {
  if (!recipe.needsCalibration() || stats ||
      (layerwise && !calibrationWindows.empty()))
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
  if (!options.calibration && options.recipe.tuneSteps > 0) {
    llvm::Expected<const LlamaModel *> model = tunedModel(options.recipe);
    if (!model)
      return model.takeError();
    options.softmaxTables = tuned->softmaxTables;
    return compileModel(*mlirContext, **model, options);
  }
  // One layer at a time: calibrated so (the statistics are gathered there),
  // or RTN (none needed).
  if (layerwise && !options.calibration && options.recipe.quantizesWeights() &&
      (options.recipe.needsCalibration() ? !stats : !options.statistics))
    return compileModelLayerwise(*mlirContext, *weights,
                                 options.recipe.needsCalibration()
                                     ? calibrationWindows
                                     : std::vector<std::vector<int32_t>>(),
                                 options);
  return compileModel(*mlirContext, allWeights(), options);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompileSession::load(const CompileOptions &options) {
  if (artifact) {
    note((hasNativeObject(*artifact->module) ? "linking the native code of "
                                             : "JIT-compiling ") +
         path + " (" + artifact->recipe + ")");
    return CompiledModel::create(*artifact->module, modelConfig);
  }
  CompileOptions lowered = options;
  lowered.stop = Stage::LLVM;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      compile(std::move(lowered));
  if (!module)
    return module.takeError();
  note("JIT-compiling");
  return CompiledModel::create(**module, modelConfig,
                               options.vectorizeWindows());
}

llvm::Expected<CompiledModel *> CompileSession::floatModel(bool vectorize) {
  if (!floatReference) {
    note("compiling the float model");
    CompileOptions options;
    options.rowsInnermost = vectorize;
    llvm::Expected<std::unique_ptr<CompiledModel>> m = load(options);
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
        // The method's own effect: tuning acts on the whole model.
        alone.recipe.tuneSteps = 0;
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
  // A tuned model's local errors are measured against the float weights
  // (its passes saw the tuned ones).
  if (recipe.tuneSteps > 0 && tuned && tuned->recipe == recipe.str()) {
    quality.tuning = tuned->summary;
    for (MatmulError &m : quality.matmuls)
      for (const TuningSummary::Matmul &t : tuned->summary.matmuls)
        if (t.name == m.name) {
          m.relError = t.relAfter;
          m.sqnr = t.sqnrAfter;
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
