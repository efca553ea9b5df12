//===- Arrays.h - numpy arguments checked, never silently changed -*- C++ -*-//
//
// pybind11's forcecast converts any array to the dtype a function wants,
// truncating floats to integers, wrapping integers into bytes and rounding
// float64 to float32. The arguments where that changes what is computed
// go through these checks instead: each raises a ValueError that says what
// to pass.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_PYTHON_ARRAYS_H
#define MXC_PYTHON_ARRAYS_H

#include <pybind11/numpy.h>

#include <cstdint>
#include <string>

namespace mxc::python {

/// `obj` (an array or a sequence) as int64, if it holds integers (or
/// booleans) only: floats would be truncated. `what` names it in errors.
inline pybind11::array_t<int64_t, pybind11::array::c_style>
integerArray(pybind11::handle obj, const std::string &what) {
  namespace py = pybind11;
  py::array a = py::array::ensure(obj);
  if (!a)
    throw py::value_error(what + " must be an array of integers");
  char kind = a.dtype().kind();
  if (a.size() > 0 && kind != 'i' && kind != 'u' && kind != 'b')
    throw py::value_error(what + " must hold integers, not " +
                          std::string(py::str(a.dtype())) +
                          " (converting would truncate)");
  return py::array_t<int64_t,
                     py::array::c_style | py::array::forcecast>::ensure(a);
}

/// `obj` as int64 values in [0, limit): codes or bytes (wrapping them
/// would silently change them).
inline pybind11::array_t<int64_t, pybind11::array::c_style>
boundedIntegers(pybind11::handle obj, int64_t limit, const std::string &what) {
  auto a = integerArray(obj, what);
  for (pybind11::ssize_t i = 0; i < a.size(); ++i)
    if (a.data()[i] < 0 || a.data()[i] >= limit)
      throw pybind11::value_error(what + " " + std::to_string(a.data()[i]) +
                                  " is outside [0, " + std::to_string(limit) +
                                  ")");
  return a;
}

/// `obj` as float32, if that loses nothing: float32, float16, or integers
/// that float32 holds exactly; float64 would be rounded first (and then
/// rounded again by what follows), so it is refused with how to pass it.
inline pybind11::array_t<float, pybind11::array::c_style>
float32Array(pybind11::handle obj, const std::string &what) {
  namespace py = pybind11;
  py::array a = py::array::ensure(obj);
  if (!a)
    throw py::value_error(what + " must be an array of numbers");
  auto converted =
      py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (a.dtype().kind() == 'f' && a.dtype().itemsize() <= 4)
    return converted;
  // Anything else must come through unchanged.
  auto back =
      py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    double v = back.data()[i];
    float f = converted.data()[i];
    if (!(static_cast<double>(f) == v) && !(v != v && f != f))
      throw py::value_error(
          what + " is " + std::string(py::str(a.dtype())) + " and element " +
          std::to_string(i) + " (" + std::to_string(v) +
          ") has no exact float32 value: mxc would round it to float32 and "
          "then round it again; pass float32 (x.astype(np.float32)) if that "
          "is what you mean");
  }
  return converted;
}

} // namespace mxc::python

#endif // MXC_PYTHON_ARRAYS_H
