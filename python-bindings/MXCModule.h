//===- MXCModule.h - Submodules of the Python module mxc._mxc ---*- C++ -*-===//

#ifndef MXC_PYTHON_MXCMODULE_H
#define MXC_PYTHON_MXCMODULE_H

#include <pybind11/pybind11.h>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mxc::python {

/// Every dialect, extension and translation; registers every pass the first
/// time.
mlir::DialectRegistry &registry();

/// mxc.ir: modules, pass pipelines, MLIRError.
void populateIRModule(pybind11::module_ m);

/// mxc.numerics: the numerics library on numpy arrays.
void populateNumericsModule(pybind11::module_ m);

/// mxc.compile, mxc.load and mxc.Model: compiled models.
void populateModelModule(pybind11::module_ m);

} // namespace mxc::python

#endif // MXC_PYTHON_MXCMODULE_H
