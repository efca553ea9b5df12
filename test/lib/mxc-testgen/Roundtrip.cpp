//===- Roundtrip.cpp - mxc-testgen roundtrip ------------------------------===//
//
//   mxc-testgen roundtrip --format=mxfp4 --rounding=even [--block=32]
//       [--cols=172] [--seed=1] [--scales=spec|ceil]
//
// A program that quantizes corner-case rows (ties, saturation, subnormals,
// zeros, NaN/Inf blocks, a partial last block), dequantizes, and prints the
// result bits, the packed bytes and the scales; followed by CHECK lines
// holding what the numerics library computes for the same input.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/MX.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("roundtrip",
                             "quantize -> dequantize of corner-case rows, "
                             "with the library's bits as CHECK lines");
llvm::cl::opt<std::string> formatName("format", llvm::cl::sub(command),
                                      llvm::cl::desc("MX element format"),
                                      llvm::cl::init("mxfp4"));
llvm::cl::opt<std::string> rounding("rounding", llvm::cl::sub(command),
                                    llvm::cl::desc("even or away"),
                                    llvm::cl::init("even"));
llvm::cl::opt<int64_t> blockSize("block", llvm::cl::sub(command),
                                 llvm::cl::desc("MX block size"),
                                 llvm::cl::init(32));
llvm::cl::opt<int64_t> cols("cols", llvm::cl::sub(command),
                            llvm::cl::desc("row length"), llvm::cl::init(172));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::sub(command),
                             llvm::cl::desc("random seed"), llvm::cl::init(1));
llvm::cl::opt<std::string>
    scaleChoice("scales", llvm::cl::sub(command),
                llvm::cl::desc("spec or ceil: the quantize's shared exponents"),
                llvm::cl::init("spec"));

/// Rows of corner cases for `f`, each of length k, blocks of `block`.
std::vector<float> cornerRows(ElemFormat f, int64_t k, int64_t block,
                              std::mt19937 &rng, int64_t &rows) {
  const FormatInfo &info = getFormatInfo(f);
  std::vector<double> grid;
  for (unsigned c = 0; c < (1u << info.bits); ++c) {
    double v = decodeElement(f, c);
    if (std::isfinite(v) && v >= 0 && !(info.isInteger && c == 0x80))
      grid.push_back(v);
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  std::uniform_int_distribution<size_t> pick(0, grid.size() - 2);
  std::uniform_int_distribution<int> expo(-12, 12);
  std::uniform_real_distribution<double> unit(-1, 1);
  auto sign = [&] { return (rng() & 1) ? -1.0 : 1.0; };

  rows = 6;
  std::vector<float> x(rows * k, 0.0f);
  auto at = [&](int64_t r, int64_t c) -> float & { return x[r * k + c]; };
  for (int64_t c0 = 0; c0 < k; c0 += block) {
    int64_t n = std::min(block, k - c0);
    double s = std::exp2(expo(rng)); // The block's scale: 2^shared_exp.
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = c0 + i;
      size_t g = pick(rng);
      // Row 0: exact ties between neighbours, the block max pinning the scale.
      at(0, c) = static_cast<float>(
          sign() * (i == 0 ? info.maxNormal : (grid[g] + grid[g + 1]) / 2) * s);
      // Row 1: representable values and arbitrary ones in the block's range.
      at(1, c) = static_cast<float>(
          sign() *
          ((i % 2) ? grid[g + 1] : std::fabs(unit(rng)) * info.maxNormal) * s);
      // Row 2: above the largest normal but below the next power of two:
      // the floor rule clips these to maxNormal.
      double top = std::exp2(info.emax + 1);
      at(2, c) = static_cast<float>(
          sign() *
          (info.maxNormal + (top - info.maxNormal) * std::fabs(unit(rng))) * s);
      // Row 3: around the smallest subnormal, ties at half of it included.
      const double tiny[] = {0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 3.0};
      at(3, c) = static_cast<float>(
          sign() * (i == 0 ? info.maxNormal : tiny[i % 7] * info.minSubnormal) *
          s);
      // Row 5: magnitudes across many binades within one block.
      at(5, c) = static_cast<float>(sign() * std::exp2(40 * unit(rng)));
    }
    // Row 4: one kind of special block per block position.
    const float specials[] = {NAN, INFINITY, -INFINITY};
    int kind = static_cast<int>((c0 / block) % 6);
    for (int64_t i = 0; i < n; ++i) {
      float v;
      switch (kind) {
      case 0: // All zeros, of both signs.
        v = static_cast<float>(sign()) * 0.0f;
        break;
      case 1: // One NaN, +Inf or -Inf among ordinary values.
      case 2:
      case 3:
        v = i == n / 2 ? specials[kind - 1] : static_cast<float>(unit(rng) * 8);
        break;
      case 4: // f32 subnormals: the scale clamps to 2^-127.
        v = static_cast<float>(sign()) * 1e-45f * static_cast<float>(i % 3);
        break;
      default: // amax >= 2^127: the largest scales (254 for MXINT8).
        v = static_cast<float>(sign()) * 3e38f / static_cast<float>(1 + i % 3);
      }
      at(4, c0 + i) = v;
    }
  }
  return x;
}

int run() {
  ElemFormat f = formatOrDie(formatName);
  if (rounding != "even" && rounding != "away")
    fail("--rounding must be even or away");
  RoundingMode rm = rounding == "away" ? RoundingMode::NearestAway
                                       : RoundingMode::NearestEven;
  if (!isValidBlockSize(f, blockSize))
    fail("invalid block size");
  if (scaleChoice != "spec" && scaleChoice != "ceil")
    fail("--scales must be spec or ceil");
  const bool ceil = scaleChoice == "ceil";
  std::mt19937 rng(seed);
  int64_t rows = 0, k = cols;
  std::vector<float> x = cornerRows(f, k, blockSize, rng, rows);
  MXTensor t = quantize(f, blockSize, rows, k, x.data(), rm,
                        ceil ? ScaleChoice::Ceil : ScaleChoice::Spec);
  std::vector<double> y = dequantize(t);

  Program p;
  OpBuilder &b = p.builder();
  auto mx = mlir::mxc::MXTensorType::get(
      {rows, k}, mlir::mxc::getMXElementType(&p.context(), f), blockSize);
  Value input = p.constant({rows, k}, x);
  Value q = mlir::mxc::QuantizeOp::create(
      b, p.loc(), mx, input,
      rm == RoundingMode::NearestAway ? mlir::mxc::RoundingMode::NearestAway
                                      : mlir::mxc::RoundingMode::NearestEven,
      ceil ? mlir::mxc::ScaleChoice::Ceil : mlir::mxc::ScaleChoice::Spec);
  Value d = mlir::mxc::DequantizeOp::create(b, p.loc(), p.tensor({rows, k}), q);
  auto storage = mlir::mxc::DisassembleOp::create(b, p.loc(), mx.getDataType(),
                                                  mx.getScalesType(), q);
  p.printElements("values", d);
  p.printElements("data", storage.getData());
  p.printElements("scales", storage.getScales());
  llvm::raw_ostream &os = llvm::outs();
  p.write(os, "roundtrip --format=" + formatName + " --rounding=" + rounding +
                  " --block=" + llvm::Twine(blockSize) + " --cols=" +
                  llvm::Twine(cols) + " --seed=" + llvm::Twine(seed) +
                  (ceil ? " --scales=ceil" : ""));

  // What the numerics library says: dequantized bits, packed bytes, scales.
  std::vector<int64_t> bits, bytes(t.data.begin(), t.data.end()),
      scales(t.scales.begin(), t.scales.end());
  for (double v : y)
    bits.push_back(printedBits(static_cast<float>(v)));
  printChecks(os, "values", bits);
  printChecks(os, "data", bytes);
  printChecks(os, "scales", scales);
  return 0;
}

} // namespace

Mode roundtripMode{command, run};

} // namespace mxc::testgen
