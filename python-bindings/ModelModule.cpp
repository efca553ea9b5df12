//===- ModelModule.cpp - mxc.compile, mxc.load, mxc.Model -----------------===//
//
// A Llama model compiled by mxc, from Python: compile a checkpoint with a
// recipe (as mxc-compile does) or load a compiled model, then run it on
// numpy token arrays, measure perplexity, generate, and save it for mxc-run.
//
//===----------------------------------------------------------------------===//

#include "Arrays.h"
#include "MXCModule.h"

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Driver/Report.h"
#include "mxc/Driver/Session.h"

#include "mlir/IR/MLIRContext.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using namespace mxc::driver;
using namespace mxc::frontend;

namespace {

template <typename T> T orRaise(llvm::Expected<T> value) {
  if (!value)
    throw std::runtime_error(llvm::toString(value.takeError()));
  return std::move(*value);
}

void orRaise(llvm::Error error) {
  if (error)
    throw std::runtime_error(llvm::toString(std::move(error)));
}

py::array_t<float> toArray(std::vector<float> values, int64_t columns) {
  py::array_t<float> out({static_cast<py::ssize_t>(values.size() / columns),
                          static_cast<py::ssize_t>(columns)});
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

std::vector<int32_t> toTokens(py::object ids, int64_t vocab) {
  auto tokens = mxc::python::integerArray(ids, "token ids");
  if (tokens.ndim() != 1)
    throw py::value_error("tokens must be a 1-D array of token ids");
  std::vector<int32_t> out(tokens.size());
  for (py::ssize_t i = 0; i < tokens.size(); ++i) {
    int64_t t = tokens.data()[i];
    if (t < 0 || t >= vocab)
      throw py::value_error("token id " + std::to_string(t) +
                            " is outside the vocabulary [0, " +
                            std::to_string(vocab) + ")");
    out[i] = static_cast<int32_t>(t);
  }
  return out;
}

/// A compiled model with everything it points into: the session (context,
/// checkpoint, tokenizer, statistics), the lowered module, the JIT.
class PyModel {
public:
  /// Compiles a checkpoint.
  PyModel(const std::string &path, const std::string &recipeText,
          const std::optional<std::string> &calibrationPath,
          int64_t calibrationWindows, const std::string &target,
          const std::optional<std::string> &tokenizerPath) {
    if (target == "cuda")
      throw py::value_error(
          "target 'cuda' makes a GPU binary, which this module cannot run: "
          "use mxc-compile --target=cuda and mxc-gpu-runner model; here, "
          "'cuda-on-cpu' runs the same GPU path with its launches as CPU "
          "loops");
    if (target != "cpu" && target != "cuda-on-cpu")
      throw py::value_error("unknown target '" + target +
                            "': 'cpu' or 'cuda-on-cpu'");
    Recipe recipe = orRaise(Recipe::parse(recipeText));
    open(path, tokenizerPath.value_or(""));
    if (session->isCompiled())
      throw py::value_error("'" + path +
                            "' is already compiled: load it with mxc.load");
    if (calibrationPath)
      orRaise(session->calibrate(*calibrationPath, calibrationWindows));
    else if (llvm::Error e = session->checkStatistics(recipe))
      throw py::value_error(llvm::toString(std::move(e)));
    CompileOptions options;
    options.recipe = recipe;
    options.report = true;
    options.target = target == "cpu" ? Target::CPU : Target::CUDAOnCPU;
    options.onStage = [&](Stage stage, mlir::ModuleOp m) {
      if (stage == Stage::MXC)
        localErrors = collectLocalErrors(m);
    };
    module = orRaise(session->compile(options));
    this->recipe = recipe.str();
    jit = orRaise(CompiledModel::create(*module, config()));
  }

  /// Loads a model compiled by mxc-compile (or saved by save()).
  explicit PyModel(const std::string &path) {
    open(path, "");
    if (!session->isCompiled())
      throw py::value_error("'" + path +
                            "' is a checkpoint, not a compiled model: "
                            "compile it with mxc.compile");
    recipe = session->compiledRecipe().str();
    jit = orRaise(session->load());
  }

  py::array_t<float> call(py::object tokens) {
    std::vector<int32_t> ids = checkedWindow(tokens);
    return toArray(jit->forward(ids), config().vocab);
  }

  py::array_t<float> decode(py::object tokens) {
    std::vector<int32_t> ids = toTokens(tokens, config().vocab);
    if (ids.empty())
      throw py::value_error("no tokens to decode");
    std::vector<float> logits = orRaise(jit->decode(ids));
    return toArray(std::move(logits), config().vocab);
  }

  double perplexity(const std::string &text, int64_t maxWindows) {
    std::vector<std::vector<int32_t>> windows =
        windowsOf(session->tokenizer(), text, config().seqLen, maxWindows);
    if (windows.empty())
      throw py::value_error("the text has no tokens");
    return evaluate(*jit, nullptr, windows).perplexity;
  }

  py::str generate(const std::string &prompt, int steps, double temperature,
                   uint64_t seed, int64_t topK, double topP, double minP,
                   double repeatPenalty, int64_t repeatLastN) {
    if (steps < 0)
      throw py::value_error("steps must be >= 0, not " + std::to_string(steps));
    SamplingOptions sampling;
    sampling.temperature = temperature;
    sampling.seed = seed;
    sampling.topK = topK;
    sampling.topP = topP;
    sampling.minP = minP;
    sampling.repeatPenalty = repeatPenalty;
    sampling.repeatLastN = repeatLastN;
    if (llvm::Error e = sampling.check())
      throw py::value_error(llvm::toString(std::move(e)));
    std::string out;
    const Tokenizer &tokenizer = session->tokenizer();
    sampling.stopTokens = tokenizer.stopTokens();
    orRaise(mxc::driver::generate(*jit, tokenizer.encode(prompt, /*bos=*/true),
                                  steps, sampling,
                                  [&](int32_t previous, int32_t next) {
                                    out += tokenizer.decode(previous, next);
                                  }));
    // Byte-fallback tokens can split or invent UTF-8 sequences: undecodable
    // bytes become U+FFFD rather than an exception.
    return py::reinterpret_steal<py::str>(
        PyUnicode_DecodeUTF8(out.data(), out.size(), "replace"));
  }

  void save(const std::string &path) {
    if (session->isCompiled())
      throw std::runtime_error("a loaded model is already a file; copy it");
    attachModelInfo(*module, config(), orRaise(Recipe::parse(recipe)),
                    session->tokenizerBytes());
    llvm::Error e = writeBytecode(*module, path);
    for (llvm::StringRef name : {"mxc.model", "mxc.recipe", "mxc.tokenizer"})
      (*module)->removeAttr(name);
    if (e)
      throw std::runtime_error(llvm::toString(std::move(e)));
  }

  std::vector<int32_t> encode(const std::string &text, bool bos) const {
    return session->tokenizer().encode(text, bos);
  }

  py::dict configDict() const {
    const LlamaConfig &config = this->config();
    py::dict d;
    d["dim"] = config.dim;
    d["hidden_dim"] = config.hiddenDim;
    d["layers"] = config.layers;
    d["heads"] = config.heads;
    d["kv_heads"] = config.kvHeads;
    d["vocab"] = config.vocab;
    d["seq_len"] = config.seqLen;
    return d;
  }

  py::list localErrorList() const {
    py::list out;
    for (const MatmulError &m : localErrors) {
      py::dict d;
      d["name"] = m.name;
      d["parameters"] = m.params;
      d["weight_sqnr_db"] = m.sqnr;
      d["rtn_weight_sqnr_db"] = m.rtnSqnr;
      d["relative_output_error"] =
          m.relError ? py::cast(*m.relError) : py::none();
      d["rtn_relative_output_error"] =
          m.rtnRelError ? py::cast(*m.rtnRelError) : py::none();
      out.append(d);
    }
    return out;
  }

  std::string recipe;
  int64_t position() const { return jit->getPosition(); }
  void reset() { jit->reset(); }

private:
  void open(const std::string &path, const std::string &tokenizerPath) {
    mxc::python::registry(); // the passes a pipeline may name
    session = orRaise(CompileSession::open(path, tokenizerPath));
  }

  const LlamaConfig &config() const { return session->config(); }

  std::vector<int32_t> checkedWindow(py::object tokens) {
    std::vector<int32_t> ids = toTokens(tokens, config().vocab);
    if (ids.empty() || static_cast<int64_t>(ids.size()) > config().seqLen)
      throw py::value_error("a window has 1 to seq_len (" +
                            std::to_string(config().seqLen) + ") tokens, not " +
                            std::to_string(ids.size()));
    return ids;
  }

  std::unique_ptr<CompileSession> session;
  std::vector<MatmulError> localErrors;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<CompiledModel> jit;
};

} // namespace

void mxc::python::populateModelModule(py::module_ m) {
  py::class_<PyModel>(
      m, "Model",
      "A Llama model compiled by mxc for the CPU (JIT). Call it on a 1-D "
      "array of token ids for the logits of every position.")
      .def("__call__", &PyModel::call, py::arg("tokens"),
           "Logits [len(tokens), vocab] (float32) of the prefill of one "
           "window (@forward; token i at position i).")
      .def("decode", &PyModel::decode, py::arg("tokens"),
           "Runs tokens at the current position with the KV cache "
           "(@decode) and advances; logits [len(tokens), vocab].")
      .def("reset", &PyModel::reset, "Back to position 0.")
      .def_property_readonly("position", &PyModel::position)
      .def("perplexity", &PyModel::perplexity, py::arg("text"),
           py::arg("max_windows") = 0,
           "Perplexity on `text` in windows of at most seq_len tokens, BOS "
           "first (max_windows 0: all), as mxc-run --perplexity.")
      .def("generate", &PyModel::generate, py::arg("prompt"),
           py::arg("steps") = 64, py::arg("temperature") = 0.0,
           py::arg("seed") = 1, py::arg("top_k") = 40, py::arg("top_p") = 0.95,
           py::arg("min_p") = 0.05, py::arg("repeat_penalty") = 1.0,
           py::arg("repeat_last_n") = 64,
           "Continues `prompt` and returns the new text (bytes that are not "
           "UTF-8 as U+FFFD): greedy at temperature 0, else sampled as "
           "mxc-run does (repeat penalty, top-k, top-p, min-p, then the "
           "temperature).")
      .def("encode", &PyModel::encode, py::arg("text"), py::arg("bos") = true,
           "Token ids of `text` (BOS first by default).")
      .def("save", &PyModel::save, py::arg("path"),
           "Writes the compiled model for mxc-run / mxc.load.")
      .def_property_readonly("config", &PyModel::configDict)
      .def_readonly("recipe", &PyModel::recipe)
      .def_property_readonly(
          "local_errors", &PyModel::localErrorList,
          "Per quantized matmul: weight SQNR (dB) and relative output error "
          "on the calibration rows, the method's and RTN's.");
  m.def(
      "compile",
      [](const std::string &model, const std::string &recipe,
         std::optional<std::string> calibration, int64_t calibrationWindows,
         const std::string &target, std::optional<std::string> tokenizer) {
        return std::make_unique<PyModel>(model, recipe, calibration,
                                         calibrationWindows, target, tokenizer);
      },
      py::arg("model"), py::arg("recipe") = "float",
      py::arg("calibration") = py::none(), py::arg("calibration_windows") = 0,
      py::arg("target") = "cpu", py::arg("tokenizer") = py::none(),
      "Compiles a llama2.c checkpoint or HuggingFace directory with a "
      "recipe (a preset such as 'w4a8-smooth-gptq-sm2', optionally followed "
      "by ',key=value' overrides), calibrating on the `calibration` text "
      "file when the recipe needs statistics; as mxc-compile. `target` is "
      "'cpu' or 'cuda-on-cpu' (the GPU path, its launches run as CPU "
      "loops).");
  m.def(
      "load",
      [](const std::string &path) { return std::make_unique<PyModel>(path); },
      py::arg("path"), "Loads a model compiled by mxc-compile.");
}
