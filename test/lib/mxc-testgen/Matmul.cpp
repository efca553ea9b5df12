//===- Matmul.cpp - mxc-testgen matmul ------------------------------------===//
//
//   mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 [--m --n --k --block]
//   mxc-testgen matmul ... --check=OUTPUT
//
// A program that quantizes a random weight (and activations) and prints the
// bits of mxc.matmul's result; with --check, that output against a float64
// reference on the library's dequantized operands, within the f32
// accumulation bound.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/MX.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("matmul", "mxc.matmul of random MX operands");
llvm::cl::opt<std::string> weightName("weight", llvm::cl::sub(command),
                                      llvm::cl::desc("weight format"),
                                      llvm::cl::init("mxfp4"));
llvm::cl::opt<std::string> actName("act", llvm::cl::sub(command),
                                   llvm::cl::desc("none or a format"),
                                   llvm::cl::init("none"));
llvm::cl::opt<int64_t> dimM("m", llvm::cl::sub(command),
                            llvm::cl::desc("rows of x"), llvm::cl::init(3));
llvm::cl::opt<int64_t> dimN("n", llvm::cl::sub(command),
                            llvm::cl::desc("output features"),
                            llvm::cl::init(16));
llvm::cl::opt<int64_t> dimK("k", llvm::cl::sub(command),
                            llvm::cl::desc("reduction size"),
                            llvm::cl::init(172));
llvm::cl::opt<int64_t> blockSize("block", llvm::cl::sub(command),
                                 llvm::cl::desc("MX block size"),
                                 llvm::cl::init(32));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::sub(command),
                             llvm::cl::desc("random seed"), llvm::cl::init(1));
llvm::cl::opt<std::string>
    checkFile("check", llvm::cl::sub(command),
              llvm::cl::desc("compare this program output with the reference"));

int run() {
  ElemFormat wf = formatOrDie(weightName);
  std::optional<ElemFormat> af;
  if (actName != "none")
    af = formatOrDie(actName);
  const int64_t m = dimM, n = dimN, k = dimK, block = blockSize;
  std::mt19937 rng(seed);
  std::vector<float> x = randomMatrix(m, k, rng, /*outliers=*/true);
  std::vector<float> w = randomMatrix(n, k, rng, /*outliers=*/false);

  if (checkFile.empty()) {
    Program p;
    OpBuilder &b = p.builder();
    auto mxOf = [&](ElemFormat f, int64_t rows) {
      return mlir::mxc::MXTensorType::get(
          {rows, k}, mlir::mxc::getMXElementType(&p.context(), f), block);
    };
    Value input = p.constant({m, k}, x);
    Value wq = mlir::mxc::QuantizeOp::create(
        b, p.loc(), mxOf(wf, n), p.constant({n, k}, w),
        mlir::mxc::RoundingMode::NearestEven);
    if (af)
      input =
          mlir::mxc::QuantizeOp::create(b, p.loc(), mxOf(*af, m), input,
                                        mlir::mxc::RoundingMode::NearestEven);
    Value y = mlir::mxc::MatmulOp::create(b, p.loc(), p.tensor({m, n}), input,
                                          wq, /*act_absmax=*/nullptr,
                                          /*hessian=*/nullptr);
    p.printElements("result", y);
    p.write(llvm::outs(),
            "matmul --weight=" + weightName + " --act=" + actName +
                " --m=" + llvm::Twine(m) + " --n=" + llvm::Twine(n) +
                " --k=" + llvm::Twine(k) + " --block=" + llvm::Twine(block) +
                " --seed=" + llvm::Twine(seed));
    return 0;
  }

  // Reference in float64 on the library's dequantized operands.
  std::vector<double> wHat = dequantize(quantize(wf, block, n, k, w.data()));
  std::vector<double> xHat(x.begin(), x.end());
  if (af)
    xHat = dequantize(quantize(*af, block, m, k, x.data()));

  std::vector<int64_t> printed = readPrinted(checkFile, "result", m * n);

  // f32 accumulation of K products, each product and each addition rounded
  // once: |y - y_ref| <= gamma_(K+1) * sum |x w| <= (K + 2) * 2^-24 * sum|x w|
  // (Higham, Accuracy and Stability of Numerical Algorithms, 3.1). A decoding
  // or scaling error is orders of magnitude larger.
  Tolerance t;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t c = 0; c < k; ++c) {
        ref += xHat[i * k + c] * wHat[j * k + c];
        mag += std::fabs(xHat[i * k + c] * wHat[j * k + c]);
      }
      t.check(floatOfBits(printed[i * n + j]), ref,
              (k + 2) * std::ldexp(1.0, -24) * mag + 1e-38,
              "y[" + llvm::Twine(i) + "][" + llvm::Twine(j) + "]");
    }
  }
  llvm::outs() << "matmul " << m << "x" << n << "x" << k
               << " weight=" << weightName.getValue()
               << " act=" << actName.getValue() << ": " << t.summary()
               << "; max |err|/bound = " << t.worstText() << "\n";
  return t.failures ? 1 : 0;
}

} // namespace

Mode matmulMode{command, run};

} // namespace mxc::testgen
