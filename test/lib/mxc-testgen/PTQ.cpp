//===- PTQ.cpp - mxc-testgen ptq ------------------------------------------===//
//
//   mxc-testgen ptq --method=gptq --format=mxfp4 [--check=OUTPUT]
//
// A float linear layer carrying calibration statistics (act_absmax and the
// Hessian of correlated calibration rows with outlier channels), printed for
// a pass pipeline to quantize; checked against the library applying the same
// method (rtn, gptq, smooth or smooth-gptq).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Numerics/MX.h"

#include <cmath>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("ptq", "a float layer with calibration "
                                    "statistics, for the PTQ passes");
llvm::cl::opt<std::string> ptqMethod("method", llvm::cl::sub(command),
                                     llvm::cl::desc("rtn, gptq, smooth or "
                                                    "smooth-gptq"),
                                     llvm::cl::init("gptq"));
llvm::cl::opt<std::string> formatName("format", llvm::cl::sub(command),
                                      llvm::cl::desc("MX element format"),
                                      llvm::cl::init("mxfp4"));
llvm::cl::opt<int64_t> dimM("m", llvm::cl::sub(command),
                            llvm::cl::desc("rows of x"), llvm::cl::init(3));
llvm::cl::opt<int64_t> dimN("n", llvm::cl::sub(command),
                            llvm::cl::desc("output features"),
                            llvm::cl::init(16));
llvm::cl::opt<int64_t> dimK("k", llvm::cl::sub(command),
                            llvm::cl::desc("reduction size"),
                            llvm::cl::init(172));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::sub(command),
                             llvm::cl::desc("random seed"), llvm::cl::init(1));
llvm::cl::opt<std::string>
    checkFile("check", llvm::cl::sub(command),
              llvm::cl::desc("compare this program output with the reference"));

/// Correlated calibration rows with outlier channels, as real activations.
std::vector<float> calibrationRows(int64_t rows, int64_t k, std::mt19937 &rng) {
  const int64_t rank = 6;
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> z(rows * rank), a(rank * k), x(rows * k);
  for (float &v : z)
    v = normal(rng);
  for (float &v : a)
    v = normal(rng);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < k; ++j) {
      float v = 0.05f * normal(rng);
      for (int64_t p = 0; p < rank; ++p)
        v += z[i * rank + p] * a[p * k + j];
      x[i * k + j] = v * ((j % 23 == 4) ? 12.0f : 1.0f);
    }
  return x;
}

int run() {
  const int64_t m = dimM, n = dimN, k = dimK, calRows = 256;
  const std::string method = ptqMethod.getValue();
  const bool smooth = method == "smooth" || method == "smooth-gptq";
  const bool gptq = method == "gptq" || method == "smooth-gptq";
  if (!smooth && !gptq && method != "rtn")
    fail("unknown --method '" + method + "'");
  ElemFormat f = formatOrDie(formatName);
  std::mt19937 rng(seed);
  std::vector<float> cal = calibrationRows(calRows, k, rng);
  std::vector<float> x = calibrationRows(m, k, rng);
  std::vector<float> w = randomMatrix(n, k, rng, /*outliers=*/false);
  // Statistics as calibration attaches them: f32 in the IR.
  std::vector<float> absMax(k, 0.0f);
  for (int64_t i = 0; i < calRows; ++i)
    for (int64_t j = 0; j < k; ++j)
      absMax[j] = std::max(absMax[j], std::fabs(cal[i * k + j]));
  std::vector<double> h64;
  accumulateHessian(cal.data(), calRows, k, calRows, h64);
  std::vector<float> h(h64.begin(), h64.end());

  if (checkFile.empty()) {
    Program p;
    OpBuilder &b = p.builder();
    auto elements = [&](llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<float> values) {
      return DenseElementsAttr::get(p.tensor(shape), values);
    };
    Value y = mlir::mxc::MatmulOp::create(
        b, p.loc(), p.tensor({m, n}), p.constant({m, k}, x),
        p.constant({n, k}, w), elements({k}, absMax), elements({k, k}, h));
    p.printElements("result", y);
    p.write(llvm::outs(),
            "ptq --method=" + method + " --format=" + formatName +
                " --m=" + llvm::Twine(m) + " --n=" + llvm::Twine(n) +
                " --k=" + llvm::Twine(k) + " --seed=" + llvm::Twine(seed));
    return 0;
  }

  // The library applying the method, with the f32 roundings of the passes:
  // SmoothQuant stores W s, H / (s_i s_j) and multiplies x by f32(1 / s).
  std::vector<float> xUsed = x, wUsed = w, hUsed = h;
  if (smooth) {
    std::vector<double> s = smoothQuantScales(absMax, {{w.data(), n}}, k);
    for (int64_t i = 0; i < n * k; ++i)
      wUsed[i] = static_cast<float>(w[i] * s[i % k]);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        hUsed[i * k + j] = static_cast<float>(h[i * k + j] / (s[i] * s[j]));
    for (int64_t i = 0; i < m * k; ++i)
      xUsed[i] = x[i] * static_cast<float>(1.0 / s[i % k]);
  }
  std::vector<double> wHat(wUsed.begin(), wUsed.end());
  if (gptq) {
    GPTQOptions options;
    options.format = f;
    QuantizedWeight q;
    std::string reason;
    std::vector<double> hd(hUsed.begin(), hUsed.end());
    if (!gptqQuantize(wUsed.data(), n, k, hd, options, q, reason))
      fail("reference GPTQ failed: " + reason);
    wHat = q.dequantized;
  } else if (method == "rtn") {
    wHat = rtnQuantize(wUsed.data(), n, k, f, 32).dequantized;
  }
  std::vector<int64_t> printed = readPrinted(checkFile, "result", m * n);
  // f32 accumulation as in the matmul tests; for SmoothQuant alone the
  // reference is the original float layer, the roundings of W s and x / s
  // adding 2 u per product: (K + 4) u sum |x w|.
  Tolerance t;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t c = 0; c < k; ++c) {
        double term =
            method == "smooth"
                ? static_cast<double>(x[i * k + c]) * w[j * k + c]
                : static_cast<double>(xUsed[i * k + c]) * wHat[j * k + c];
        ref += term;
        mag += std::fabs(term);
      }
      t.check(floatOfBits(printed[i * n + j]), ref,
              (k + 4) * std::ldexp(1.0, -24) * mag + 1e-38,
              "y[" + llvm::Twine(i) + "][" + llvm::Twine(j) + "]");
    }
  llvm::outs() << "ptq " << method << " " << formatName.getValue() << ": "
               << t.summary() << "; max |err|/bound = " << t.worstText()
               << "\n";
  return t.failures ? 1 : 0;
}

} // namespace

Mode ptqMode{command, run};

} // namespace mxc::testgen
