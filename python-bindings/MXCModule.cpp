//===- MXCModule.cpp - The Python module mxc._mxc -------------------------===//

#include "MXCModule.h"

#include "mxc/Support/Version.h"

namespace py = pybind11;

PYBIND11_MODULE(_mxc, m) {
  m.doc() = "mxc: an MLIR compiler for low-precision (MX) LLM inference";
  m.attr("__version__") = mxc::version();
  m.attr("__git_commit__") = mxc::gitCommit();
  mxc::python::populateIRModule(
      m.def_submodule("ir", "Parse, verify, print and transform mxc IR"));
  mxc::python::populateNumericsModule(
      m.def_submodule("numerics", "The MX numerics library on numpy arrays"));
  mxc::python::populateModelModule(m);
}
