//===- MXCModule.h - Submodules of the Python module mxc._mxc ---*- C++ -*-===//

#ifndef MXC_PYTHON_MXCMODULE_H
#define MXC_PYTHON_MXCMODULE_H

#include <pybind11/pybind11.h>

namespace mxc::python {

/// mxc.ir: modules, pass pipelines, MLIRError.
void populateIRModule(pybind11::module_ m);

/// mxc.numerics: the numerics library on numpy arrays.
void populateNumericsModule(pybind11::module_ m);

} // namespace mxc::python

#endif // MXC_PYTHON_MXCMODULE_H
