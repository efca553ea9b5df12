//===- Session.h - One model through load, calibrate, compile, run -*- C++ -*-//
//
// The compile flow that mxc-compile, mxc-run and the Python module share: a
// session opens a model (a llama2.c or HuggingFace checkpoint, or a model
// compiled by mxc-compile) with its tokenizer, reads texts into windows,
// calibrates once, compiles with a recipe (statistics attached), JIT-loads,
// keeps the float model for comparisons, and measures the quality report.
// Each error a user can meet on the way is raised here, once, with one
// wording for every front end.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_SESSION_H
#define MXC_DRIVER_SESSION_H

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Driver/Report.h"
#include "mxc/Tuning/GlobalTuning.h"

#include "mlir/IR/MLIRContext.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mxc::driver {

class CompileSession {
public:
  /// Opens `modelPath`: a compiled model (MLIR bytecode from mxc-compile,
  /// its tokenizer inside) or a checkpoint, whose tokenizer is
  /// `tokenizerPath`, else the one a GGUF file carries, else tok<vocab>.bin
  /// or tokenizer.bin next to it.
  /// `progress` receives a line per stage that takes time.
  /// `load` says how to load a checkpoint: with deferred conversion only
  /// compileModelLayerwise converts the deferred weights one layer at a
  /// time; every other use converts them all first.
  static llvm::Expected<std::unique_ptr<CompileSession>>
  open(llvm::StringRef modelPath, llvm::StringRef tokenizerPath = "",
       Progress progress = {}, const frontend::LoadOptions &load = {});
  ~CompileSession();

  llvm::StringRef modelPath() const { return path; }
  /// Whether the model is already compiled (no recipe applies to it).
  bool isCompiled() const { return artifact != nullptr; }
  /// The recipe a compiled model was compiled with.
  llvm::StringRef compiledRecipe() const;
  const frontend::LlamaConfig &config() const { return modelConfig; }
  const frontend::Tokenizer &tokenizer() const { return *tokens; }
  /// The tokenizer file's bytes (what a compiled model carries).
  llvm::StringRef tokenizerBytes() const { return tokenizerFile; }
  /// The checkpoint's weights; only for a model that is not compiled.
  const frontend::LlamaModel &checkpoint() const;
  /// What loading the checkpoint changed that the user should know (e.g.
  /// "12 MXFP4 tensors decoded to float"); front ends print these always.
  llvm::ArrayRef<std::string> loadNotes() const;
  mlir::MLIRContext &context() { return *mlirContext; }

  /// The text file at `textPath` as windows of at most seq_len tokens, BOS
  /// first; at most `limit` windows (0: all). An error if it cannot be read
  /// or has no tokens.
  llvm::Expected<std::vector<std::vector<int32_t>>>
  windows(llvm::StringRef textPath, int64_t limit = 0);

  /// How calibrate() gathers the statistics.
  enum class Calibration {
    /// At once, from the whole float model: statistics() has them all.
    WholeModel,
    /// In compile(), one layer at a time (compileModelLayerwise: the same
    /// statistics, only one layer's in memory). Until then statistics() is
    /// null; what needs them all (tuning, saving them) gathers them first.
    LayerByLayer,
  };
  /// Quantizes one layer at a time in compile() (compileModelLayerwise)
  /// what needs no statistics: RTN recipes; calibrate(LayerByLayer) turns it
  /// on too.
  void setLayerByLayer(bool on) { layerwise = on; }
  /// Runs the calibration model over `windows` of the text at `textPath`
  /// (the model is compiled once per session) and keeps the statistics for
  /// compile(); or, LayerByLayer, reads the windows for compile().
  llvm::Error calibrate(llvm::StringRef textPath, int64_t windows = 0,
                        Calibration how = Calibration::WholeModel);
  /// Writes the statistics of calibrate() to `path` (an .mxcal file),
  /// keyed by the model's weights and tokenizer; `note` says what they were
  /// gathered on.
  llvm::Error saveCalibration(llvm::StringRef path, llvm::StringRef note) const;
  /// Uses the statistics saved at `path` instead of calibrating; an error if
  /// they belong to another model or tokenizer. Returns their note.
  llvm::Expected<std::string> loadCalibration(llvm::StringRef path);

  /// The windows calibrate() read (empty without a calibration text).
  const std::vector<std::vector<int32_t>> &calibrationText() const {
    return calibrationWindows;
  }
  /// Says `line` through the session's progress.
  void note(const llvm::Twine &line) const;

  /// The statistics of calibrate(), or null.
  const frontend::LlamaStatistics *statistics() const {
    return stats ? &*stats : nullptr;
  }
  /// The calibration model (@calibrate), compiled on first use, with
  /// CompileOptions::rowsInnermost when `vectorize`.
  llvm::Expected<CompiledModel *> calibrationModel(bool vectorize = false);

  /// An error if `recipe` needs statistics that calibrate() has not
  /// gathered.
  llvm::Error checkStatistics(const Recipe &recipe) const;

  /// Compiles the checkpoint with `options` down to `options.stop`, with the
  /// session's statistics, progress and remarks. An error if the recipe
  /// needs statistics that calibrate() has not gathered.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  compile(CompileOptions options);
  /// compile() to the LLVM dialect and JIT-load it; for a compiled model,
  /// JIT-loads the model itself (`options` must then be the defaults).
  llvm::Expected<std::unique_ptr<CompiledModel>>
  load(const CompileOptions &options = {});
  /// The float model (no recipe), JIT-compiled once per session.
  /// With `vectorize`, compiled with CompileOptions::rowsInnermost (for
  /// whole windows) when compiled first.
  llvm::Expected<CompiledModel *> floatModel(bool vectorize = false);

  /// The quality report of `recipe`: sizes, the local errors in `report`
  /// (collected from the module after the recipe's passes), and, with an
  /// evaluation text, perplexity and KL of `compiled` against the float model
  /// and the KL of quantizing each layer alone.
  llvm::Expected<QualityReport> measureQuality(const Recipe &recipe,
                                               QualityReport report,
                                               CompiledModel *compiled,
                                               llvm::StringRef evalPath,
                                               int64_t evalWindows);

  /// The checkpoint's weights tuned by `recipe`'s tune= (global tuning,
  /// mxc/Tuning/GlobalTuning.h) on the calibration windows, starting from
  /// the recipe's method (RTN: the float weights; GPTQ: its rounded
  /// weights); computed once per recipe. compile() uses them for a recipe
  /// with tune=.
  llvm::Expected<const frontend::LlamaModel *> tunedModel(const Recipe &recipe);
  /// What the last tuning did (null before any).
  const TuningSummary *lastTuning() const;

  /// Receives the compiler's remarks (the weight passes' local errors).
  std::function<void(mlir::Diagnostic &)> remark;

private:
  CompileSession() = default;
  /// A hash of the weights and tokenizer bytes the statistics depend on.
  uint64_t modelKey() const;
  /// The checkpoint's weights, every deferred one converted.
  const frontend::LlamaModel &allWeights() const;

  std::string path;
  Progress progress;
  std::unique_ptr<mlir::MLIRContext> mlirContext;
  std::unique_ptr<Artifact> artifact;
  std::unique_ptr<frontend::LlamaModel> weights;
  frontend::LlamaConfig modelConfig;
  std::optional<frontend::Tokenizer> tokens;
  std::string tokenizerFile;
  std::optional<frontend::LlamaStatistics> stats;
  std::unique_ptr<CompiledModel> calibration, floatReference;
  /// The windows calibrate() read (global tuning trains on them).
  std::vector<std::vector<int32_t>> calibrationWindows;
  /// calibrate(LayerByLayer) deferred the statistics to compile().
  bool layerwise = false;
  /// The statistics of the whole model on calibrationWindows, gathered now
  /// when calibrate() deferred them.
  llvm::Error gatherStatistics();
  /// The weights of the last tuned recipe (tunedModel()).
  struct Tuned;
  std::unique_ptr<Tuned> tuned;
};

} // namespace mxc::driver

#endif // MXC_DRIVER_SESSION_H
