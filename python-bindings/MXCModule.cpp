//===- MXCModule.cpp - The Python module mxc._mxc -------------------------===//

#include "MXCModule.h"

namespace py = pybind11;

PYBIND11_MODULE(_mxc, m) {
  m.doc() = "mxc: an MLIR compiler for low-precision (MX) LLM inference";
  mxc::python::populateIRModule(
      m.def_submodule("ir", "Parse, verify, print and transform mxc IR"));
  mxc::python::populateNumericsModule(
      m.def_submodule("numerics", "The MX numerics library on numpy arrays"));
  mxc::python::populateModelModule(m);
}
