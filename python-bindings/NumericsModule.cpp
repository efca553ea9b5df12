//===- NumericsModule.cpp - mxc.numerics: the numerics library on numpy ---===//

#include "Arrays.h"
#include "MXCModule.h"

#include "mxc/Numerics/Attention.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Numerics/MX.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace mxc::numerics;

namespace {

using FloatArray =
    py::array_t<float, py::array::c_style | py::array::forcecast>;
using DoubleArray =
    py::array_t<double, py::array::c_style | py::array::forcecast>;
using ByteArray =
    py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;
using Int32Array =
    py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

ElemFormat formatOf(const std::string &name) {
  if (std::optional<ElemFormat> f = parseElemFormat(name))
    return *f;
  throw py::value_error("unknown MX format '" + name + "'; expected one of " +
                        py::str(py::cast(std::vector<std::string>{
                                    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3",
                                    "mxfp6_e3m2", "mxfp4", "mxint8"}))
                            .cast<std::string>());
}

RoundingMode roundingOf(const std::string &name) {
  if (name == "even")
    return RoundingMode::NearestEven;
  if (name == "away")
    return RoundingMode::NearestAway;
  throw py::value_error("rounding must be 'even' or 'away', got '" + name +
                        "'");
}

void checkBlock(ElemFormat f, int64_t block) {
  if (!isValidBlockSize(f, block))
    throw py::value_error("block size " + std::to_string(block) +
                          " is invalid for " +
                          std::string(getFormatInfo(f).name) +
                          ": blocks must be positive, at most 65536, and "
                          "fill whole bytes");
}

/// An MX array: packed storage and the logical shape.
struct MXArray {
  MXTensor tensor;
  std::vector<int64_t> shape;

  std::vector<int64_t> storageShape(int64_t last) const {
    std::vector<int64_t> s(shape.begin(), shape.end() - 1);
    s.push_back(last);
    return s;
  }
};

MXArray makeArray(MXTensor tensor, std::vector<int64_t> shape) {
  return MXArray{std::move(tensor), std::move(shape)};
}

/// Rows and columns of an array quantized along its last axis.
std::pair<int64_t, int64_t> rowsAndCols(const py::buffer_info &info) {
  if (info.ndim < 1)
    throw py::value_error("MX arrays need at least one dimension");
  int64_t cols = info.shape.back();
  if (cols < 1)
    throw py::value_error("the last (block) axis must not be empty");
  return {cols ? info.size / cols : 0, cols};
}

template <typename T>
py::array_t<T> toArray(const std::vector<T> &values,
                       const std::vector<int64_t> &shape) {
  py::array_t<T> out(shape);
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

MXArray quantizeArray(py::object input, const std::string &format,
                      int64_t block, const std::string &rounding) {
  FloatArray x = mxc::python::float32Array(input, "x");
  ElemFormat f = formatOf(format);
  checkBlock(f, block);
  py::buffer_info info = x.request();
  auto [rows, cols] = rowsAndCols(info);
  std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
  return makeArray(
      quantize(f, block, rows, cols, x.data(), roundingOf(rounding)), shape);
}

py::array_t<float> dequantizeArray(const MXArray &a) {
  std::vector<double> values = dequantize(a.tensor);
  return toArray(std::vector<float>(values.begin(), values.end()), a.shape);
}

} // namespace

void mxc::python::populateNumericsModule(py::module_ m) {
  m.attr("FORMATS") =
      std::vector<std::string>{"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3",
                               "mxfp6_e3m2", "mxfp4",      "mxint8"};

  py::class_<MXArray>(m, "MXArray",
                      "An MX array: packed element codes and E8M0 scales, "
                      "blocks along the last axis (see !mxc.mx).")
      .def_property_readonly("shape", [](const MXArray &a) { return a.shape; })
      .def_property_readonly("format",
                             [](const MXArray &a) {
                               return std::string(
                                   getFormatInfo(a.tensor.layout.format).name);
                             })
      .def_property_readonly(
          "block", [](const MXArray &a) { return a.tensor.layout.blockSize; })
      .def_property_readonly(
          "data",
          [](const MXArray &a) {
            return toArray(a.tensor.data,
                           a.storageShape(a.tensor.layout.rowBytes()));
          },
          "Packed codes, uint8 [..., row bytes]: element i of a block at "
          "bits [w*i, w*i + w), LSB first; padding codes 0.")
      .def_property_readonly(
          "scales",
          [](const MXArray &a) {
            return toArray(a.tensor.scales,
                           a.storageShape(a.tensor.layout.blocksPerRow()));
          },
          "E8M0 scale bytes, uint8 [..., blocks per row]; 0xFF is NaN.")
      .def_static(
          "from_storage",
          [](py::object dataIn, py::object scalesIn, std::vector<int64_t> shape,
             const std::string &format, int64_t block) {
            ByteArray data = ByteArray::ensure(
                mxc::python::boundedIntegers(dataIn, 256, "data byte"));
            ByteArray scales = ByteArray::ensure(
                mxc::python::boundedIntegers(scalesIn, 256, "scale byte"));
            ElemFormat f = formatOf(format);
            checkBlock(f, block);
            if (shape.empty() || shape.back() < 1)
              throw py::value_error("shape needs a non-empty last axis");
            int64_t rows = 1;
            for (size_t i = 0; i + 1 < shape.size(); ++i)
              rows *= shape[i];
            MXLayout layout{f, block, rows, shape.back()};
            if (data.size() != layout.dataBytes() ||
                scales.size() != layout.numScales())
              throw py::value_error(
                  "storage does not match the shape: expected " +
                  std::to_string(layout.dataBytes()) + " data bytes and " +
                  std::to_string(layout.numScales()) + " scales");
            MXTensor t{
                layout,
                std::vector<uint8_t>(data.data(), data.data() + data.size()),
                std::vector<uint8_t>(scales.data(),
                                     scales.data() + scales.size())};
            return makeArray(std::move(t), shape);
          },
          py::arg("data"), py::arg("scales"), py::arg("shape"),
          py::arg("format"), py::arg("block") = 32,
          "An MX array from its packed storage.")
      .def("__repr__", [](const MXArray &a) {
        std::string shape;
        for (int64_t d : a.shape)
          shape += (shape.empty() ? "" : "x") + std::to_string(d);
        return "MXArray(" + shape + ", " +
               std::string(getFormatInfo(a.tensor.layout.format).name) +
               ", block=" + std::to_string(a.tensor.layout.blockSize) + ")";
      });

  m.def("quantize", &quantizeArray, py::arg("x"), py::arg("format"),
        py::arg("block") = 32, py::arg("rounding") = "even",
        "OCP MX quantization of `x` (float32) along its last axis.");
  m.def("dequantize", &dequantizeArray, py::arg("mx"),
        "The float32 values of an MX array.");

  m.def(
      "encode",
      [](DoubleArray x, const std::string &format,
         const std::string &rounding) {
        ElemFormat f = formatOf(format);
        RoundingMode r = roundingOf(rounding);
        py::buffer_info info = x.request();
        py::array_t<uint8_t> out(info.shape);
        for (py::ssize_t i = 0; i < info.size; ++i)
          out.mutable_data()[i] = encodeElement(f, x.data()[i], r);
        return out;
      },
      py::arg("x"), py::arg("format"), py::arg("rounding") = "even",
      "Element codes of values (no shared scale), saturating.");
  m.def(
      "decode",
      [](py::object codesIn, const std::string &format) {
        ElemFormat f = formatOf(format);
        ByteArray codes = ByteArray::ensure(mxc::python::boundedIntegers(
            codesIn, int64_t(1) << getFormatInfo(f).bits, "code"));
        py::buffer_info info = codes.request();
        py::array_t<double> out(info.shape);
        for (py::ssize_t i = 0; i < info.size; ++i)
          out.mutable_data()[i] = decodeElement(f, codes.data()[i]);
        return out;
      },
      py::arg("codes"), py::arg("format"), "Values of element codes.");
  m.def(
      "pack",
      [](py::object codesIn, const std::string &format) {
        ElemFormat f = formatOf(format);
        ByteArray codes = ByteArray::ensure(mxc::python::boundedIntegers(
            codesIn, int64_t(1) << getFormatInfo(f).bits, "code"));
        size_t n = codes.size();
        std::vector<uint8_t> out((n * getFormatInfo(f).bits + 7) / 8);
        packCodes(f, codes.data(), n, out.data());
        return toArray(out, {static_cast<int64_t>(out.size())});
      },
      py::arg("codes"), py::arg("format"),
      "Packs codes into an LSB-first bit stream.");
  m.def(
      "unpack",
      [](py::object packedIn, const std::string &format, int64_t count) {
        ByteArray packed = ByteArray::ensure(
            mxc::python::boundedIntegers(packedIn, 256, "packed byte"));
        ElemFormat f = formatOf(format);
        if (count < 0 || static_cast<size_t>(packed.size()) * 8 <
                             static_cast<size_t>(count) * getFormatInfo(f).bits)
          throw py::value_error("not enough packed bytes for " +
                                std::to_string(count) + " codes");
        std::vector<uint8_t> codes(count);
        unpackCodes(f, packed.data(), count, codes.data());
        return toArray(codes, {count});
      },
      py::arg("packed"), py::arg("format"), py::arg("count"),
      "Unpacks `count` codes from a bit stream.");

  m.def(
      "exaq_softmax",
      [](FloatArray x, int bits, double clip, bool zeroFloor,
         std::optional<FloatArray> table) {
        if (bits < 1 || bits > 8 || !(clip < 0))
          throw py::value_error("EXAQ needs 1 <= bits <= 8 and clip < 0");
        py::buffer_info info = x.request();
        auto [rows, cols] = rowsAndCols(info);
        py::array_t<float> out(info.shape);
        ExaqQuantizer q{bits, clip, zeroFloor};
        if (table) {
          if (table->ndim() != 1 || table->size() != q.levels())
            throw py::value_error("table needs 2^bits = " +
                                  std::to_string(q.levels()) + " entries");
          q.table.assign(table->data(), table->data() + table->size());
        }
        for (int64_t r = 0; r < rows; ++r)
          exaqSoftmaxRow(q, x.data() + r * cols, cols,
                         out.mutable_data() + r * cols);
        return out;
      },
      py::arg("x"), py::arg("bits"), py::arg("clip"),
      py::arg("zero_floor") = false, py::arg("table") = py::none(),
      "The EXAQ softmax over the last axis, as the compiled code computes "
      "it; with zero_floor, the lowest code stands for 0 instead of "
      "e^clip; with table, code q stands for table[q] (as #mxc.exaq's "
      "table).");
  m.def(
      "fit_exaq_table",
      [](FloatArray samples, int bits, double clip, bool zeroFloor) {
        if (bits < 1 || bits > 8 || !(clip < 0))
          throw py::value_error("EXAQ needs 1 <= bits <= 8 and clip < 0");
        std::vector<float> table =
            fitExaqTable(ExaqQuantizer{bits, clip, zeroFloor}, samples.data(),
                         samples.size());
        return toArray(table, {static_cast<int64_t>(table.size())});
      },
      py::arg("samples"), py::arg("bits"), py::arg("clip"),
      py::arg("zero_floor") = false,
      "The EXAQ table fitted to samples of x - max(x) (softmax-table=fit): "
      "each code's mean of e^d over the samples with that code, over the "
      "top code's mean.");
  m.def(
      "attention",
      [](FloatArray q, FloatArray k, FloatArray v,
         std::optional<Int32Array> spans, int64_t sink, bool keepSelf,
         std::optional<double> scale, int bits, double clip, bool zeroFloor) {
        if (q.ndim() != 3 || k.ndim() != 3 || v.ndim() != 3)
          throw py::value_error("q, k and v must be 3-D: [heads, queries, "
                                "head_dim], [kv_heads, keys, head_dim], "
                                "[kv_heads, keys, value_dim]");
        AttentionShape shape{q.shape(0), k.shape(0), q.shape(1), k.shape(1),
                             q.shape(2), v.shape(2), 0};
        if (shape.kvHeads == 0 || shape.heads % shape.kvHeads ||
            k.shape(2) != shape.headDim || v.shape(0) != shape.kvHeads ||
            v.shape(1) != shape.keys || shape.queries > shape.keys)
          throw py::value_error(
              "inconsistent shapes: need heads % kv_heads == 0, matching "
              "head_dim, k and v with the same heads and keys, and "
              "queries <= keys");
        if (spans) {
          if (spans->ndim() != 3 || spans->shape(0) != shape.queries ||
              spans->shape(2) != 2)
            throw py::value_error("spans must be int32 [queries, slots, 2]");
          shape.slots = spans->shape(1);
        }
        if (bits && (bits < 1 || bits > 8 || !(clip < 0)))
          throw py::value_error("EXAQ needs 1 <= bits <= 8 and clip < 0");
        double s = scale ? *scale
                         : 1.0 / std::sqrt(static_cast<double>(shape.headDim));
        SpanPolicy policy{sink, keepSelf};
        const int32_t *spanData = spans ? spans->data() : nullptr;
        std::vector<double> out(shape.heads * shape.queries * shape.valueDim);
        if (bits)
          exaqAttentionReference(shape, q.data(), k.data(), v.data(), spanData,
                                 policy, static_cast<float>(s),
                                 ExaqQuantizer{bits, clip, zeroFloor},
                                 out.data());
        else
          attentionReference(shape, q.data(), k.data(), v.data(), spanData,
                             policy, s, out.data());
        return toArray(out, {shape.heads, shape.queries, shape.valueDim});
      },
      py::arg("q"), py::arg("k"), py::arg("v"), py::arg("spans") = py::none(),
      py::arg("sink") = 0, py::arg("keep_self") = false,
      py::arg("scale") = py::none(), py::arg("bits") = 0,
      py::arg("clip") = -8.0, py::arg("zero_floor") = false,
      "The semantics of mxc.attention in float64: causal grouped-query "
      "attention (query row i at position keys - queries + i), optionally "
      "span-sparse (spans, sink, keep_self), with the exact softmax or, "
      "with bits > 0, the EXAQ one (the kernels' f32 scores and codes). "
      "scale defaults to 1/sqrt(head_dim).");
  m.def(
      "optimal_softmax_clip",
      [](int bits, std::optional<double> mean, std::optional<double> std,
         std::optional<FloatArray> samples, bool zeroFloor) {
        if (bits < 1 || bits > 8)
          throw py::value_error("bits must be in [1, 8]");
        ClipChoice c;
        if (samples) {
          c = optimalClipSamples(bits, samples->data(), samples->size(),
                                 zeroFloor);
        } else if (mean && std) {
          c = optimalClipGaussian(bits, *mean, *std, zeroFloor);
        } else {
          throw py::value_error(
              "give `samples`, or `mean` and `std` of x - max(x)");
        }
        return py::make_tuple(c.clip, c.error);
      },
      py::arg("bits"), py::arg("mean") = py::none(),
      py::arg("std") = py::none(), py::arg("samples") = py::none(),
      py::arg("zero_floor") = false,
      "The EXAQ clip minimising E[(e^Q(d) - e^d)^2] for d = x - max(x): "
      "under a Gaussian (mean, std) clipped at 0, or on samples; with "
      "zero_floor, for a table whose lowest code stands for 0. Returns "
      "(clip, error).");

  m.def(
      "smoothquant_scales",
      [](FloatArray actAbsMax, std::vector<FloatArray> weights, double alpha) {
        int64_t k = actAbsMax.size();
        std::vector<std::pair<const float *, int64_t>> views;
        for (FloatArray &w : weights) {
          if (w.ndim() != 2 || w.shape(1) != k)
            throw py::value_error("weights must be [n, k] with k = " +
                                  std::to_string(k));
          views.push_back({w.data(), w.shape(0)});
        }
        std::vector<float> a(actAbsMax.data(), actAbsMax.data() + k);
        return toArray(smoothQuantScales(a, views, k, alpha), {k});
      },
      py::arg("act_absmax"), py::arg("weights"), py::arg("alpha") = 0.5,
      "SmoothQuant scales s_j = max|X_j|^alpha / max|W_j|^(1-alpha).");
  m.def(
      "hessian",
      [](FloatArray x) {
        if (x.ndim() != 2)
          throw py::value_error("x must be [rows, k]");
        int64_t rows = x.shape(0), k = x.shape(1);
        std::vector<double> h;
        accumulateHessian(x.data(), rows, k, rows, h);
        return toArray(h, {k, k});
      },
      py::arg("x"), "The GPTQ Hessian 2/N sum x x^T of rows [N, k].");

  auto weightShape = [](const FloatArray &w) {
    if (w.ndim() != 2)
      throw py::value_error("the weight must be [n, k]");
    return std::pair<int64_t, int64_t>{w.shape(0), w.shape(1)};
  };
  m.def(
      "gptq",
      [weightShape](FloatArray w, DoubleArray h, const std::string &format,
                    int64_t block, double damp, const std::string &rounding) {
        auto [n, k] = weightShape(w);
        if (h.ndim() != 2 || h.shape(0) != k || h.shape(1) != k)
          throw py::value_error("the Hessian must be [k, k] with k = " +
                                std::to_string(k));
        GPTQOptions options;
        options.format = formatOf(format);
        checkBlock(options.format, block);
        options.blockSize = block;
        options.percdamp = damp;
        options.lazyBatch = std::max<int64_t>(block, 128 / block * block);
        options.rounding = roundingOf(rounding);
        QuantizedWeight q;
        std::string reason;
        std::vector<double> hessian(h.data(), h.data() + h.size());
        if (!gptqQuantize(w.data(), n, k, hessian, options, q, reason))
          throw py::value_error("GPTQ failed: " + reason);
        return py::make_tuple(makeArray(q.tensor, {n, k}),
                              toArray(q.dequantized, {n, k}));
      },
      py::arg("weight"), py::arg("hessian"), py::arg("format"),
      py::arg("block") = 32, py::arg("damp") = 0.01,
      py::arg("rounding") = "even",
      "GPTQ for MX formats; returns (MXArray, dequantized float64 weight).");
  m.def(
      "rtn",
      [weightShape](FloatArray w, const std::string &format, int64_t block,
                    const std::string &rounding) {
        auto [n, k] = weightShape(w);
        ElemFormat f = formatOf(format);
        checkBlock(f, block);
        QuantizedWeight q =
            rtnQuantize(w.data(), n, k, f, block, roundingOf(rounding));
        return py::make_tuple(makeArray(q.tensor, {n, k}),
                              toArray(q.dequantized, {n, k}));
      },
      py::arg("weight"), py::arg("format"), py::arg("block") = 32,
      py::arg("rounding") = "even",
      "Round-to-nearest MX quantization; returns (MXArray, dequantized).");
  m.def(
      "output_mse",
      [weightShape](FloatArray w, DoubleArray wHat, DoubleArray h) {
        auto [n, k] = weightShape(w);
        std::vector<double> q(wHat.data(), wHat.data() + wHat.size());
        std::vector<double> hessian(h.data(), h.data() + h.size());
        if (static_cast<int64_t>(q.size()) != n * k ||
            static_cast<int64_t>(hessian.size()) != k * k)
          throw py::value_error("shapes do not match the weight");
        return outputMSEFromHessian(w.data(), q, n, k, hessian);
      },
      py::arg("weight"), py::arg("dequantized"), py::arg("hessian"),
      "Mean squared output error on the calibration rows, from H.");
  m.def(
      "weight_sqnr",
      [weightShape](FloatArray w, DoubleArray wHat) {
        auto [n, k] = weightShape(w);
        std::vector<double> q(wHat.data(), wHat.data() + wHat.size());
        if (static_cast<int64_t>(q.size()) != n * k)
          throw py::value_error("shapes do not match the weight");
        return weightSQNR(w.data(), q, n, k);
      },
      py::arg("weight"), py::arg("dequantized"), "Weight SQNR in dB.");
}
