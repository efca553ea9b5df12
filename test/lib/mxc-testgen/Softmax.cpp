//===- Softmax.cpp - mxc-testgen softmax ----------------------------------===//
//
//   mxc-testgen softmax --bits=2 --clip=-4.5 [--zero-floor --cols --seed]
//     EXAQ softmax of random rows (masked positions, a fully masked row, a
//     NaN row), printed as bits, with the library's bits as CHECK lines.
//   mxc-testgen softmax --bits=0 [--check=OUTPUT]
//     The exact softmax, checked against float64 within its error bound.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/Attention.h"
#include "mxc/Numerics/Exaq.h"

#include <cmath>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("softmax", "exact or EXAQ softmax of rows");
llvm::cl::opt<int> softmaxBits("bits", llvm::cl::sub(command),
                               llvm::cl::desc("EXAQ bits, 0 = exact"),
                               llvm::cl::init(0));
llvm::cl::opt<double> softmaxClip("clip", llvm::cl::sub(command),
                                  llvm::cl::desc("EXAQ clip"),
                                  llvm::cl::init(-4.0));
llvm::cl::opt<bool> zeroFloor(
    "zero-floor", llvm::cl::sub(command),
    llvm::cl::desc("EXAQ table with code 0 standing for 0 (zero_floor)"),
    llvm::cl::init(false));
llvm::cl::opt<int64_t> cols("cols", llvm::cl::sub(command),
                            llvm::cl::desc("row length"), llvm::cl::init(172));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::sub(command),
                             llvm::cl::desc("random seed"), llvm::cl::init(1));
llvm::cl::opt<std::string> checkFile(
    "check", llvm::cl::sub(command),
    llvm::cl::desc("compare this program output with float64 (--bits=0)"));

/// Softmax test rows: logits of several spreads, exact rounding ties,
/// masked (-inf) positions, one fully masked row and one row with a NaN.
std::vector<float> softmaxRows(int64_t rows, int64_t n, std::mt19937 &rng) {
  std::vector<float> x(rows * n);
  std::uniform_real_distribution<float> unit(0, 1);
  for (int64_t r = 0; r < rows; ++r) {
    std::normal_distribution<float> logits(0.0f, 0.5f + 1.5f * r);
    for (int64_t c = 0; c < n; ++c) {
      float v = logits(rng);
      if (r == rows - 2 || (r % 2 == 1 && unit(rng) < 0.3f))
        v = -INFINITY;
      x[r * n + c] = v;
    }
  }
  // Row 0: max 3 and values at d = -0.5, -1.5, -2.5: exact ties of the
  // code rounding when the grid step is a power of two (bits 2, clip -3).
  x[0] = 3.0f;
  for (int64_t c = 1; c < std::min<int64_t>(n, 7); ++c)
    x[c] = 3.0f - (0.5f + static_cast<float>((c - 1) % 3));
  x[(rows - 1) * n + n / 3] = NAN;
  return x;
}

int run() {
  const int64_t rows = 6, n = cols;
  std::mt19937 rng(seed);
  std::vector<float> x = softmaxRows(rows, n, rng);
  if (!checkFile.empty()) {
    if (softmaxBits != 0)
      fail("--check is for the exact softmax (--bits=0)");
    std::vector<int64_t> printed = readPrinted(checkFile, "result", rows * n);
    // Per element: d = x - max rounds with relative error u, so exp(d) is
    // off by |d| u; expf adds <= 2 u; the f32 row sum (n - 1) u; the
    // division u. |y - y_ref| <= (|d| + n + 4) u y_ref, u = 2^-24.
    Tolerance t;
    std::vector<double> ref(n);
    for (int64_t r = 0; r < rows; ++r) {
      softmaxRowF64(&x[r * n], n, ref.data());
      float m = -INFINITY;
      bool hasNaN = false;
      for (int64_t c = 0; c < n; ++c) {
        m = std::max(m, x[r * n + c]);
        hasNaN |= std::isnan(x[r * n + c]);
      }
      for (int64_t c = 0; c < n; ++c) {
        float got = floatOfBits(printed[r * n + c]);
        if (hasNaN) {
          if (std::isnan(got))
            ++t.checked;
          else
            t.fail(got, "y[" + llvm::Twine(r) + "][" + llvm::Twine(c) + "]",
                   "expected NaN");
          continue;
        }
        double d = std::isinf(x[r * n + c]) ? 0 : std::fabs(x[r * n + c] - m);
        t.check(got, ref[c],
                (d + n + 4) * std::ldexp(1.0, -24) * ref[c] + 1e-45,
                "y[" + llvm::Twine(r) + "][" + llvm::Twine(c) + "]");
      }
    }
    llvm::outs() << "softmax " << rows << "x" << n << ": " << t.summary()
                 << "; max |err|/bound = " << t.worstText() << "\n";
    return t.failures ? 1 : 0;
  }

  if (softmaxBits != 0 &&
      (softmaxBits < 1 || softmaxBits > 8 || !(softmaxClip < 0)))
    fail("EXAQ needs 1 <= bits <= 8 and clip < 0");

  Program p;
  mlir::mxc::ExaqAttr quant;
  if (softmaxBits)
    quant = mlir::mxc::ExaqAttr::get(&p.context(), softmaxBits, softmaxClip,
                                     zeroFloor);
  Value y =
      mlir::mxc::SoftmaxOp::create(p.builder(), p.loc(), p.tensor({rows, n}),
                                   p.constant({rows, n}, x), quant,
                                   /*stats=*/nullptr);
  p.printElements("result", y);
  llvm::raw_ostream &os = llvm::outs();
  p.write(os, "softmax --bits=" + llvm::Twine(softmaxBits.getValue()) +
                  " --clip=" + std::to_string(softmaxClip.getValue()) +
                  " --cols=" + llvm::Twine(n) + " --seed=" + llvm::Twine(seed) +
                  (zeroFloor ? " --zero-floor" : ""));
  if (softmaxBits == 0)
    return 0;
  ExaqQuantizer quantizer{softmaxBits, softmaxClip, zeroFloor};
  std::vector<float> y64(n);
  std::vector<int64_t> bits;
  for (int64_t r = 0; r < rows; ++r) {
    exaqSoftmaxRow(quantizer, &x[r * n], n, y64.data());
    for (float v : y64)
      bits.push_back(printedBits(v));
  }
  printChecks(os, "result", bits);
  return 0;
}

} // namespace

Mode softmaxMode{command, run};

} // namespace mxc::testgen
