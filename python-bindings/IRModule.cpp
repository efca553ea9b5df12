//===- IRModule.cpp - mxc.ir: parse, verify, print, run pipelines ---------===//

#include "MXCModule.h"

#include "mxc/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <pybind11/eval.h>
#include <pybind11/stl.h>

#include "llvm/Support/thread.h"

#include <memory>
#include <mutex>

namespace py = pybind11;
using namespace mlir;

namespace {

/// Runs `fn` on a thread with a deep stack and waits for it: MLIR's parser,
/// verifier, printer and destructor recurse once per nested region, and IR
/// nested tens of thousands deep must not overflow the interpreter's stack.
/// `fn` touches no Python object and throws nothing.
void onDeepStack(llvm::function_ref<void()> fn) {
  llvm::thread worker(std::optional<unsigned>(1u << 30), [&] { fn(); });
  worker.join();
}

/// Raised for MLIR failures; carries the diagnostics.
PyObject *mlirErrorType = nullptr;

} // namespace

/// Registers every dialect, extension and pass once per process.
DialectRegistry &mxc::python::registry() {
  static DialectRegistry *instance = [] {
    auto *r = new DialectRegistry();
    mlir::registerAllDialects(*r);
    mlir::registerAllExtensions(*r);
    mlir::registerAllToLLVMIRTranslations(*r);
    ::mxc::registerAllDialects(*r);
    mlir::registerAllPasses();
    ::mxc::registerAllPasses();
    return r;
  }();
  return *instance;
}

namespace {

/// Collects the diagnostics emitted while alive.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          std::string text;
          llvm::raw_string_ostream os(text);
          // file:line:col, as the command-line tools print locations.
          if (auto file = dyn_cast<FileLineColLoc>(diag.getLocation()))
            os << file.getFilename().getValue() << ":" << file.getLine() << ":"
               << file.getColumn() << ": ";
          else
            os << diag.getLocation() << ": ";
          switch (diag.getSeverity()) {
          case DiagnosticSeverity::Error:
            os << "error: ";
            break;
          case DiagnosticSeverity::Warning:
            os << "warning: ";
            break;
          case DiagnosticSeverity::Remark:
            os << "remark: ";
            break;
          case DiagnosticSeverity::Note:
            os << "note: ";
            break;
          }
          os << diag.str();
          messages.push_back(text);
          return success();
        }) {}

  /// Raises MLIRError with `what` and the collected diagnostics.
  [[noreturn]] void raise(const std::string &what) {
    std::string message = what;
    for (const std::string &m : messages)
      message += "\n  " + m;
    py::object error = py::reinterpret_borrow<py::object>(mlirErrorType)(
        message, py::cast(messages));
    PyErr_SetObject(mlirErrorType, error.ptr());
    throw py::error_already_set();
  }

  std::vector<std::string> messages;

private:
  ScopedDiagnosticHandler handler;
};

/// A module and the context that owns it.
class PyModule {
public:
  explicit PyModule(const std::string &text)
      : context(std::make_unique<MLIRContext>(mxc::python::registry())) {
    context->loadAllAvailableDialects();
    DiagnosticCollector diagnostics(*context);
    onDeepStack([&] {
      module = parseSourceString<ModuleOp>(text, context.get(), "<python>");
    });
    if (!module)
      diagnostics.raise("cannot parse the module");
  }

  PyModule(PyModule &&) = default;
  PyModule &operator=(PyModule &&) = default;
  ~PyModule() {
    if (module)
      onDeepStack([&] { module = nullptr; });
  }

  void verify() {
    DiagnosticCollector diagnostics(*context);
    bool verified = false;
    onDeepStack([&] { verified = succeeded(mlir::verify(*module)); });
    if (!verified)
      diagnostics.raise("the module does not verify");
  }

  /// Runs a textual pass pipeline, e.g. "mxc-rtn{format=mxfp4},canonicalize"
  /// or "builtin.module(...)"; returns the remarks and warnings.
  std::vector<std::string> run(const std::string &pipeline) {
    DiagnosticCollector diagnostics(*context);
    PassManager pm(context.get());
    std::string nested = pipeline;
    if (llvm::StringRef(pipeline).trim().starts_with("builtin.module("))
      nested =
          llvm::StringRef(pipeline).trim().drop_front(15).drop_back(1).str();
    if (failed(parsePassPipeline(nested, pm)))
      diagnostics.raise("cannot parse the pass pipeline '" + pipeline + "'");
    bool ran = false;
    onDeepStack([&] { ran = succeeded(pm.run(*module)); });
    if (!ran)
      diagnostics.raise("the pass pipeline failed");
    return diagnostics.messages;
  }

  std::string str(bool generic) const {
    std::string text;
    llvm::raw_string_ostream os(text);
    OpPrintingFlags flags;
    if (generic)
      flags.printGenericOpForm();
    ModuleOp op = module.get();
    onDeepStack([&] { op->print(os, flags); });
    return text;
  }

private:
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
};

} // namespace

void mxc::python::populateIRModule(py::module_ m) {
  py::object base = py::module_::import("builtins").attr("Exception");
  py::dict attributes;
  attributes["__doc__"] = "An MLIR failure; `diagnostics` holds the "
                          "messages MLIR emitted, with their locations.";
  py::exec(R"(
def __init__(self, message, diagnostics):
    Exception.__init__(self, message)
    self.diagnostics = list(diagnostics)
)",
           py::globals(), attributes);
  py::object type =
      py::module_::import("builtins")
          .attr("type")("MLIRError", py::make_tuple(base), attributes);
  type.attr("__module__") = "mxc.ir";
  m.attr("MLIRError") = type;
  mlirErrorType = type.ptr();
  Py_INCREF(mlirErrorType);

  py::class_<PyModule>(m, "Module", "An MLIR module with its own context.")
      .def(py::init<const std::string &>(), py::arg("text"),
           "Parses `text`; raises MLIRError with the diagnostics on failure.")
      .def("verify", &PyModule::verify,
           "Verifies the module; raises MLIRError on failure.")
      .def("run", &PyModule::run, py::arg("pipeline"),
           "Runs a textual pass pipeline in place, e.g. "
           "'mxc-softmax-clip{bits=2},mxc-lower-to-llvm'; returns the "
           "remarks; raises MLIRError on failure.")
      .def("to_string", &PyModule::str, py::arg("generic") = false,
           "The module's text (the generic form with generic=True).")
      .def("__str__", [](const PyModule &self) { return self.str(false); });

  m.def(
      "parse", [](const std::string &text) { return PyModule(text); },
      py::arg("text"), "Parses a module (as Module(text)).");
  m.def(
      "run_pipeline",
      [](const std::string &text, const std::string &pipeline) {
        PyModule module(text);
        module.run(pipeline);
        return module.str(false);
      },
      py::arg("text"), py::arg("pipeline"),
      "Parses `text`, runs `pipeline` on it and returns the result's text.");
}
