//===- mxc-testgen.cpp - Integration tests with expected values -----------===//
//
// Writes the MLIR programs of the CPU integration tests, with the values the
// numerics library (the independent reference) expects:
//
//   mxc-testgen roundtrip --format=mxfp4 --rounding=even
//     A program that quantizes corner-case rows (ties, saturation,
//     subnormals, zeros, NaN/Inf blocks, a partial last block), dequantizes,
//     and prints the result bits, the packed bytes and the scales; followed
//     by CHECK lines holding what the library computes for the same input.
//
//   mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3
//     A program that quantizes a random weight (and activations) and prints
//     the bits of mxc.matmul's result.
//   mxc-testgen softmax --bits=2 --clip=-4.5
//     EXAQ softmax of random rows (masked positions, a fully masked row, a
//     NaN row), printed as bits, with the library's bits as CHECK lines.
//   mxc-testgen softmax --bits=0 [--check=OUTPUT]
//     The exact softmax, checked against float64 within its error bound.
//
//   mxc-testgen attention --spans=many --sink=1 --keep-self [--check=OUTPUT]
//     Span-sparse GQA attention on random q/k/v and span tables, instrumented
//     to count visited and skipped KV tiles; checked against the float64
//     reference within its error bound, and the tile counts against those
//     the span table implies.
//   mxc-testgen attention --bits=2 --clip=-6 [--check=OUTPUT]
//     The same with the EXAQ-quantized softmax: checked against
//     numerics::exaqAttentionReference (same codes, exact weights) within
//     the f32 accumulation bound.
//
//   mxc-testgen ptq --method=gptq --format=mxfp4 [--check=OUTPUT]
//     A float linear layer carrying calibration statistics (act_absmax and
//     the Hessian of correlated calibration rows with outlier channels),
//     printed for a pass pipeline to quantize; checked against the library
//     applying the same method (rtn, gptq, smooth or smooth-gptq).
//
//   mxc-testgen gpu-decode --format=mxfp4
//     Blocks holding every code of the format in every position, under the
//     scales 0, 1, 100, 127, 140, 254 and 255, packed as the GPU GEMV reads
//     them; a program that decodes them with @decode_blocks (given its body
//     by mxc-test-gpu-decode) and prints the bits, with the library's
//     decodeElement(code) * decodeE8M0(scale) as CHECK lines.
//
//   mxc-testgen matmul ... --check=OUTPUT
//     Compares that output with a float64 reference on the library's
//     dequantized operands, within the f32 accumulation bound (see below).
//
//===----------------------------------------------------------------------===//

#include "mxc/Numerics/Attention.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/MX.h"
#include "mxc/Numerics/PTQ.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mxc::numerics;
namespace cl = llvm::cl;

static cl::opt<std::string> mode(cl::Positional, cl::Required,
                                 cl::desc("<roundtrip|matmul|softmax>"));
static cl::opt<std::string> formatName("format",
                                       cl::desc("roundtrip: element format"),
                                       cl::init("mxfp4"));
static cl::opt<std::string> rounding("rounding", cl::desc("even or away"),
                                     cl::init("even"));
static cl::opt<int64_t> blockSize("block", cl::desc("MX block size"),
                                  cl::init(32));
static cl::opt<int64_t> cols("cols", cl::desc("roundtrip, softmax: row length"),
                             cl::init(172));
static cl::opt<std::string>
    weightName("weight", cl::desc("matmul: weight format"), cl::init("mxfp4"));
static cl::opt<std::string> actName("act", cl::desc("matmul: none or a format"),
                                    cl::init("none"));
static cl::opt<int64_t> dimM("m", cl::desc("matmul: rows of x"), cl::init(3));
static cl::opt<int64_t> dimN("n", cl::desc("matmul: output features"),
                             cl::init(16));
static cl::opt<int64_t> dimK("k", cl::desc("matmul: reduction size"),
                             cl::init(172));
static cl::opt<int>
    softmaxBits("bits", cl::desc("softmax, attention: EXAQ bits, 0 = exact"),
                cl::init(0));
static cl::opt<double> softmaxClip("clip",
                                   cl::desc("softmax, attention: EXAQ clip"),
                                   cl::init(-4.0));
static cl::opt<std::string> spanKind(
    "spans",
    cl::desc("attention: none, empty, single, many, past-causal or runs"),
    cl::init("many"));
static cl::opt<int64_t> attnHeads("heads", cl::desc("attention: query heads"),
                                  cl::init(4));
static cl::opt<int64_t> attnKvHeads("kv-heads",
                                    cl::desc("attention: key/value heads"),
                                    cl::init(2));
static cl::opt<int64_t>
    attnQueries("queries", cl::desc("attention: query rows"), cl::init(3));
static cl::opt<int64_t> attnKeys("keys", cl::desc("attention: keys"),
                                 cl::init(300));
static cl::opt<int64_t> attnTile("tile", cl::desc("attention: KV tile"),
                                 cl::init(64));
static cl::opt<int64_t> attnSink("sink", cl::desc("attention: sink tokens"),
                                 cl::init(0));
static cl::opt<bool> attnKeepSelf("keep-self",
                                  cl::desc("attention: keep own position"),
                                  cl::init(false));
static cl::opt<double> maskedFraction(
    "masked", cl::desc("attention --spans=runs: fraction of context masked"),
    cl::init(0.5));
static cl::opt<int64_t>
    runLength("run", cl::desc("attention --spans=runs: masked run length"),
              cl::init(64));
static cl::opt<std::string>
    ptqMethod("method", cl::desc("ptq: rtn, gptq, smooth or smooth-gptq"),
              cl::init("gptq"));
static cl::opt<unsigned> seed("seed", cl::desc("random seed"), cl::init(1));
static cl::opt<std::string> checkFile("check",
                                      cl::desc("matmul: compare this output"));

namespace {

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "mxc-testgen: " << message << "\n";
  std::exit(2);
}

ElemFormat formatOrDie(const std::string &name) {
  std::optional<ElemFormat> f = parseElemFormat(name);
  if (!f)
    fail("unknown format '" + name + "'");
  return *f;
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

/// The f32 bits the generated program prints for `v`: NaN payloads are
/// canonicalized on both sides, since MX defines NaN but not its bits.
int32_t printedBits(float v) {
  return static_cast<int32_t>(std::isnan(v) ? 0x7FC00000u : bitsOf(v));
}

std::string mxType(ElemFormat f, int64_t rows, int64_t k, int64_t block) {
  std::string s = "!mxc.mx<" + std::to_string(rows) + "x" + std::to_string(k) +
                  "x" + std::string(getFormatInfo(f).mlirTypeName);
  if (block != 32)
    s += ", block = " + std::to_string(block);
  return s + ">";
}

/// A dense f32 literal, element bits in hex (exact, NaN and Inf included).
void printDense(llvm::raw_ostream &os, const std::vector<float> &x,
                int64_t rows, int64_t k) {
  os << "dense<[";
  for (int64_t r = 0; r < rows; ++r) {
    os << (r ? ",\n    [" : "[");
    for (int64_t c = 0; c < k; ++c)
      os << (c ? ", " : "") << llvm::format_hex(bitsOf(x[r * k + c]), 10);
    os << "]";
  }
  os << "]> : tensor<" << rows << "x" << k << "xf32>";
}

/// Prints every element of the 2-D tensor `value` as an i32, one per line,
/// after a header line. `convert` turns the element into an i32.
void printLoops(llvm::raw_ostream &os, llvm::StringRef header,
                llvm::StringRef value, llvm::StringRef type, int64_t rows,
                int64_t k, llvm::StringRef convert) {
  static int counter = 0;
  int id = counter++;
  os << "  vector.print str \"" << header << "\\n\"\n";
  os << "  %rows" << id << " = arith.constant " << rows << " : index\n";
  os << "  %cols" << id << " = arith.constant " << k << " : index\n";
  os << "  scf.for %r" << id << " = %c0 to %rows" << id << " step %c1 {\n";
  os << "    scf.for %k" << id << " = %c0 to %cols" << id << " step %c1 {\n";
  os << "      %e = tensor.extract " << value << "[%r" << id << ", %k" << id
     << "] : " << type << "\n";
  os << convert;
  os << "      vector.print %p : i32\n";
  os << "    }\n  }\n";
}

const char *kPrintF32 = "      %b = arith.bitcast %e : f32 to i32\n"
                        "      %nan = arith.cmpf uno, %e, %e : f32\n"
                        "      %qnan = arith.constant 2143289344 : i32\n"
                        "      %p = arith.select %nan, %qnan, %b : i32\n";
const char *kPrintI8 = "      %p = arith.extui %e : i8 to i32\n";
const char *kPrintE8M0 = "      %s = arith.bitcast %e : f8E8M0FNU to i8\n"
                         "      %p = arith.extui %s : i8 to i32\n";

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

int roundtrip() {
  ElemFormat f = formatOrDie(formatName);
  if (rounding != "even" && rounding != "away")
    fail("--rounding must be even or away");
  RoundingMode rm = rounding == "away" ? RoundingMode::NearestAway
                                       : RoundingMode::NearestEven;
  if (!isValidBlockSize(f, blockSize))
    fail("invalid block size");
  std::mt19937 rng(seed);
  int64_t rows = 0, k = cols;
  std::vector<float> x = cornerRows(f, k, blockSize, rng, rows);
  MXTensor t = quantize(f, blockSize, rows, k, x.data(), rm);
  std::vector<double> y = dequantize(t);

  llvm::raw_ostream &os = llvm::outs();
  std::string mx = mxType(f, rows, k, blockSize);
  std::string tensor =
      "tensor<" + std::to_string(rows) + "x" + std::to_string(k) + "xf32>";
  std::string dataType = "tensor<" + std::to_string(rows) + "x" +
                         std::to_string(t.layout.rowBytes()) + "xi8>";
  std::string scalesType = "tensor<" + std::to_string(rows) + "x" +
                           std::to_string(t.layout.blocksPerRow()) +
                           "xf8E8M0FNU>";
  os << "// Generated by mxc-testgen roundtrip --format=" << formatName
     << " --rounding=" << rounding << " --block=" << blockSize
     << " --cols=" << cols << " --seed=" << seed << "\n";
  os << "func.func @main() {\n  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n  %x = arith.constant ";
  printDense(os, x, rows, k);
  os << "\n  %q = mxc.quantize %x"
     << (rm == RoundingMode::NearestAway ? " to_nearest_away" : "") << " : "
     << tensor << " -> " << mx << "\n";
  os << "  %d = mxc.dequantize %q : " << mx << " -> " << tensor << "\n";
  os << "  %data, %scales = mxc.disassemble %q : " << mx << " -> " << dataType
     << ", " << scalesType << "\n";
  printLoops(os, "values", "%d", tensor, rows, k, kPrintF32);
  printLoops(os, "data", "%data", dataType, rows, t.layout.rowBytes(),
             kPrintI8);
  printLoops(os, "scales", "%scales", scalesType, rows, t.layout.blocksPerRow(),
             kPrintE8M0);
  os << "  return\n}\n\n";

  // What the numerics library says: dequantized bits, packed bytes, scales.
  os << "// CHECK-LABEL: values\n";
  for (double v : y)
    os << "// CHECK-NEXT: {{^}}" << printedBits(static_cast<float>(v))
       << "{{$}}\n";
  os << "// CHECK-LABEL: data\n";
  for (uint8_t byte : t.data)
    os << "// CHECK-NEXT: {{^}}" << unsigned(byte) << "{{$}}\n";
  os << "// CHECK-LABEL: scales\n";
  for (uint8_t s : t.scales)
    os << "// CHECK-NEXT: {{^}}" << unsigned(s) << "{{$}}\n";
  return 0;
}

/// Reads the i32 values printed after the line `header` in `file`.
/// The integers printed after the line `header` in `file`; fails unless
/// there are exactly `expected` of them (`what` names them in the message).
std::vector<int64_t> readPrinted(const std::string &file,
                                 llvm::StringRef header, int64_t expected,
                                 const llvm::Twine &what = "results") {
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer)
    fail("cannot read " + file);
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, false);
  std::vector<int64_t> printed;
  bool inSection = false;
  for (llvm::StringRef line : lines) {
    if (line.trim() == header) {
      inSection = true;
      continue;
    }
    int64_t v;
    if (inSection && !line.trim().getAsInteger(10, v))
      printed.push_back(v);
  }
  if (static_cast<int64_t>(printed.size()) != expected)
    fail("expected " + llvm::Twine(expected) + " " + what + ", found " +
         llvm::Twine(printed.size()));
  return printed;
}

float floatOfBits(int64_t printed) {
  uint32_t u = static_cast<uint32_t>(printed);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Compares computed values with their references within error bounds:
/// counts the checks and failures, prints the first 10 failures, and keeps
/// the worst |error| / bound.
struct Tolerance {
  int64_t checked = 0, failures = 0;
  double worst = 0;

  void check(float got, double ref, double bound, const llvm::Twine &where) {
    ++checked;
    double err = std::fabs(got - ref);
    if (bound > 0)
      worst = std::max(worst, err / bound);
    if (!(err <= bound) && failures++ < 10)
      llvm::outs() << "FAIL " << where << " = " << got << ", reference " << ref
                   << ", bound " << bound << "\n";
  }
  /// A check that failed for another reason (`message` follows the value).
  void fail(float got, const llvm::Twine &where, const llvm::Twine &message) {
    ++checked;
    if (failures++ < 10)
      llvm::outs() << "FAIL " << where << " = " << got << ", " << message
                   << "\n";
  }
  /// "all N of N values within tolerance" or "FAILED, K of N values ...".
  std::string summary() const {
    return (failures ? "FAILED, " : "all ") +
           std::to_string(checked - failures) + " of " +
           std::to_string(checked) + " values within tolerance";
  }
  std::string worstText() const { return llvm::formatv("{0:F3}", worst); }
};

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

int softmax() {
  const int64_t rows = 6, n = cols;
  std::mt19937 rng(seed);
  std::vector<float> x = softmaxRows(rows, n, rng);
  std::string tensor =
      "tensor<" + std::to_string(rows) + "x" + std::to_string(n) + "xf32>";
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

  llvm::raw_ostream &os = llvm::outs();
  os << "// Generated by mxc-testgen softmax --bits=" << softmaxBits
     << " --clip=" << softmaxClip << " --cols=" << n << " --seed=" << seed
     << "\n";
  os << "func.func @main() {\n  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n  %x = arith.constant ";
  printDense(os, x, rows, n);
  os << "\n  %y = mxc.softmax %x";
  if (softmaxBits != 0)
    os << " quantized <bits = " << softmaxBits
       << ", clip = " << llvm::format("%.17e", static_cast<double>(softmaxClip))
       << ">";
  os << " : " << tensor << "\n";
  printLoops(os, "result", "%y", tensor, rows, n, kPrintF32);
  os << "  return\n}\n";
  if (softmaxBits == 0)
    return 0;
  if (softmaxBits < 1 || softmaxBits > 8 || !(softmaxClip < 0))
    fail("EXAQ needs 1 <= bits <= 8 and clip < 0");
  ExaqQuantizer quantizer{softmaxBits, softmaxClip};
  std::vector<float> y(n);
  os << "\n// CHECK-LABEL: result\n";
  for (int64_t r = 0; r < rows; ++r) {
    exaqSoftmaxRow(quantizer, &x[r * n], n, y.data());
    for (float v : y)
      os << "// CHECK-NEXT: {{^}}" << printedBits(v) << "{{$}}\n";
  }
  return 0;
}

/// A span table [queries, slots, 2] for one of the scenarios.
std::vector<int32_t> spanTable(const AttentionShape &shape, std::mt19937 &rng) {
  std::vector<int32_t> spans(shape.queries * shape.slots * 2, 0);
  std::uniform_int_distribution<int32_t> key(0, shape.keys - 1);
  for (int64_t i = 0; i < shape.queries; ++i) {
    int32_t *row = &spans[i * shape.slots * 2];
    const int32_t position =
        static_cast<int32_t>(shape.keys - shape.queries + i);
    if (spanKind == "empty" || spanKind == "none") {
      continue;
    } else if (spanKind == "single") {
      int32_t a = key(rng), b = key(rng);
      row[0] = std::min(a, b);
      row[1] = std::max(a, b) + 1;
    } else if (spanKind == "many") {
      for (int64_t slot = 0; slot < shape.slots; ++slot) {
        if (slot % 3 == 2)
          continue; // Leave some slots empty.
        int32_t a = key(rng);
        row[2 * slot] = a;
        row[2 * slot + 1] = a + 1 + static_cast<int32_t>(rng() % 70);
      }
    } else if (spanKind == "past-causal") {
      row[0] = position / 2;
      row[1] = position + 1000; // Cut at the causal limit.
      row[2] = -50;             // A start before the first key.
      row[3] = 3;
    } else if (spanKind == "runs") {
      // Masked runs of `runLength` keys cover `maskedFraction` of the
      // context; the visible keys between them are the spans.
      int64_t period = static_cast<int64_t>(runLength / maskedFraction);
      int64_t slot = 0;
      for (int64_t start = 0; start < shape.keys && slot < shape.slots;
           start += period, ++slot) {
        row[2 * slot] = static_cast<int32_t>(start + runLength);
        row[2 * slot + 1] = static_cast<int32_t>(start + period);
      }
    } else {
      fail("unknown --spans '" + spanKind + "'");
    }
  }
  return spans;
}

std::string tensorType(llvm::ArrayRef<int64_t> shape, llvm::StringRef element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element.str() + ">";
}

void printDense3(llvm::raw_ostream &os, const std::vector<float> &x, int64_t a,
                 int64_t b, int64_t c) {
  os << "dense<[";
  for (int64_t i = 0; i < a; ++i) {
    os << (i ? ", [" : "[");
    for (int64_t j = 0; j < b; ++j) {
      os << (j ? ", [" : "[");
      for (int64_t k = 0; k < c; ++k)
        os << (k ? ", " : "")
           << llvm::format_hex(bitsOf(x[(i * b + j) * c + k]), 10);
      os << "]";
    }
    os << "]";
  }
  os << "]> : tensor<" << a << "x" << b << "x" << c << "xf32>";
}

/// Prints the tile counts' verdict; true when they are as expected.
bool reportTiles(int64_t visited, int64_t skipped, int64_t expectVisited,
                 int64_t expectSkipped) {
  bool ok = visited == expectVisited && skipped == expectSkipped;
  llvm::outs() << "tiles visited " << visited << ", skipped " << skipped
               << (ok ? " as the span table implies"
                      : ", but the span table implies visited " +
                            std::to_string(expectVisited) + ", skipped " +
                            std::to_string(expectSkipped))
               << "\n";
  return ok;
}

/// EXAQ attention: the kernel's codes equal the reference's (same f32 score
/// arithmetic), so only the f32 accumulations differ. With weights w_j > 0
/// summing to W, acc_f32 = sum_j w_j v_j within keys * u * W max|v| and
/// W_f32 within keys * u * W, so
/// |o - o_ref| <= max|v| (2 keys + 4) u.
int checkQuantizedAttention(const AttentionShape &shape,
                            const std::vector<float> &q,
                            const std::vector<float> &k,
                            const std::vector<float> &v,
                            const int32_t *spanData, const SpanPolicy &policy,
                            float scale, const std::vector<int64_t> &printed,
                            int64_t expectVisited, int64_t expectSkipped) {
  const int64_t n = shape.heads * shape.queries * shape.valueDim;
  std::vector<double> ref(n);
  exaqAttentionReference(shape, q.data(), k.data(), v.data(), spanData, policy,
                         scale, {softmaxBits, softmaxClip}, ref.data());
  double maxV = 0;
  for (float x : v)
    maxV = std::max(maxV, std::fabs(static_cast<double>(x)));
  const double bound = maxV * (2 * shape.keys + 4) * std::ldexp(1.0, -24);
  Tolerance t;
  for (int64_t at = 0; at < n; ++at)
    t.check(floatOfBits(printed[at]), ref[at], bound,
            "o[" + llvm::Twine(at) + "]");
  llvm::outs() << "exaq attention bits=" << softmaxBits << " spans=" << spanKind
               << ": " << t.summary() << " (max |err|/bound = " << t.worstText()
               << "); ";
  bool countsOk =
      reportTiles(printed[n], printed[n + 1], expectVisited, expectSkipped);
  return t.failures || !countsOk ? 1 : 0;
}

int attention() {
  const int64_t slots = spanKind == "runs" ? 64 : 6;
  AttentionShape shape{attnHeads, attnKvHeads, attnQueries, attnKeys,
                       16,        8,           slots};
  SpanPolicy policy{attnSink, attnKeepSelf};
  const bool sparse = spanKind != "none";
  const double scale = 1.0 / std::sqrt(static_cast<double>(shape.headDim));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  auto random = [&](int64_t n) {
    std::vector<float> x(n);
    for (float &v : x)
      v = normal(rng);
    return x;
  };
  std::vector<float> q = random(shape.heads * shape.queries * shape.headDim);
  std::vector<float> k = random(shape.kvHeads * shape.keys * shape.headDim);
  std::vector<float> v = random(shape.kvHeads * shape.keys * shape.valueDim);
  std::vector<int32_t> spans = spanTable(shape, rng);
  const int32_t *spanData = sparse ? spans.data() : nullptr;
  std::string qType =
      tensorType({shape.heads, shape.queries, shape.headDim}, "f32");
  std::string kType =
      tensorType({shape.kvHeads, shape.keys, shape.headDim}, "f32");
  std::string vType =
      tensorType({shape.kvHeads, shape.keys, shape.valueDim}, "f32");
  std::string sType = tensorType({shape.queries, slots, 2}, "i32");
  std::string oType =
      tensorType({shape.heads, shape.queries, shape.valueDim}, "f32");

  // Tiles the span table implies: every head walks its rows' tiles.
  std::vector<TileState> states = tileStates(shape, spanData, policy, attnTile);
  int64_t expectSkipped = 0;
  for (TileState st : states)
    expectSkipped += st == TileState::Skip;
  expectSkipped *= shape.heads;
  const int64_t expectVisited =
      shape.heads * static_cast<int64_t>(states.size()) - expectSkipped;

  if (checkFile.empty()) {
    llvm::raw_ostream &os = llvm::outs();
    os << "// Generated by mxc-testgen attention --spans=" << spanKind
       << " --sink=" << attnSink << (attnKeepSelf ? " --keep-self" : "")
       << " --queries=" << attnQueries << " --keys=" << attnKeys
       << " --tile=" << attnTile << " --seed=" << seed;
    if (softmaxBits)
      os << " --bits=" << softmaxBits << " --clip=" << softmaxClip;
    os << "\n";
    os << "memref.global \"private\" @mxc_attention_tile_counts : "
          "memref<2xi64> = dense<0>\n";
    os << "func.func @main() {\n  %c0 = arith.constant 0 : index\n"
       << "  %c1 = arith.constant 1 : index\n  %q = arith.constant ";
    printDense3(os, q, shape.heads, shape.queries, shape.headDim);
    os << "\n  %k = arith.constant ";
    printDense3(os, k, shape.kvHeads, shape.keys, shape.headDim);
    os << "\n  %v = arith.constant ";
    printDense3(os, v, shape.kvHeads, shape.keys, shape.valueDim);
    os << "\n";
    if (sparse) {
      os << "  %s = arith.constant dense<[";
      for (int64_t i = 0; i < shape.queries; ++i) {
        os << (i ? ", [" : "[");
        for (int64_t sl = 0; sl < slots; ++sl)
          os << (sl ? ", [" : "[") << spans[(i * slots + sl) * 2] << ", "
             << spans[(i * slots + sl) * 2 + 1] << "]";
        os << "]";
      }
      os << "]> : " << sType << "\n";
    }
    os << "  %o = mxc.attention %q, %k, %v";
    if (sparse)
      os << " spans(%s : " << sType << ")";
    if (softmaxBits)
      os << " quantized <bits = " << softmaxBits
         << ", clip = " << llvm::format("%.17e", softmaxClip.getValue()) << ">";
    os << " {tile = " << attnTile << " : i64";
    if (sparse && attnSink)
      os << ", sink = " << attnSink << " : i64";
    if (sparse && attnKeepSelf)
      os << ", keep_self";
    os << "} : " << qType << ", " << kType << ", " << vType << " -> " << oType
       << "\n";
    os << "  %o2 = tensor.collapse_shape %o [[0, 1], [2]] : " << oType
       << " into "
       << tensorType({shape.heads * shape.queries, shape.valueDim}, "f32")
       << "\n";
    printLoops(os, "result", "%o2",
               tensorType({shape.heads * shape.queries, shape.valueDim}, "f32"),
               shape.heads * shape.queries, shape.valueDim, kPrintF32);
    os << "  vector.print str \"tiles\\n\"\n"
       << "  %counts = memref.get_global @mxc_attention_tile_counts : "
          "memref<2xi64>\n"
       << "  %visited = memref.load %counts[%c0] : memref<2xi64>\n"
       << "  %skipped = memref.load %counts[%c1] : memref<2xi64>\n"
       << "  vector.print %visited : i64\n  vector.print %skipped : i64\n"
       << "  return\n}\n";
    return 0;
  }

  const int64_t n = shape.heads * shape.queries * shape.valueDim;
  std::vector<int64_t> printed = readPrinted(
      checkFile, "result", n + 2, "values (results and 2 tile counts)");
  if (softmaxBits)
    return checkQuantizedAttention(shape, q, k, v, spanData, policy,
                                   static_cast<float>(scale), printed,
                                   expectVisited, expectSkipped);
  std::vector<double> ref(n);
  attentionReference(shape, q.data(), k.data(), v.data(), spanData, policy,
                     scale, ref.data());
  // Bound per output row: a score is off by at most
  // delta = scale (D + 2) u sum_d |q_d k_d| + u |s - m| (dot product in f32,
  // then the max subtraction), so each weight by delta + 2u (expf); the
  // tiles' sums and rescalings add (n_keys + 2 tiles + 8) u. Then
  // |o - o_ref| <= max|v| (2 max delta + (n_keys + 2 tiles + 8) u).
  const double u = std::ldexp(1.0, -24);
  const int64_t tiles = (shape.keys + attnTile - 1) / attnTile;
  const int64_t group = shape.heads / shape.kvHeads;
  Tolerance t;
  for (int64_t h = 0; h < shape.heads; ++h) {
    const int64_t g = h / group;
    for (int64_t i = 0; i < shape.queries; ++i) {
      double maxDelta = 0, maxV = 0, m = -INFINITY;
      std::vector<double> scores;
      for (int64_t j = 0; j < shape.keys; ++j) {
        if (!isKeyVisible(shape, spanData, policy, i, j))
          continue;
        double dot = 0, mag = 0;
        for (int64_t d = 0; d < shape.headDim; ++d) {
          double prod = static_cast<double>(
                            q[(h * shape.queries + i) * shape.headDim + d]) *
                        k[(g * shape.keys + j) * shape.headDim + d];
          dot += prod;
          mag += std::fabs(prod);
        }
        scores.push_back(scale * dot);
        m = std::max(m, scale * dot);
        maxDelta = std::max(maxDelta, scale * (shape.headDim + 2) * u * mag);
        for (int64_t d = 0; d < shape.valueDim; ++d)
          maxV = std::max(maxV,
                          std::fabs(static_cast<double>(
                              v[(g * shape.keys + j) * shape.valueDim + d])));
      }
      for (double sc : scores)
        maxDelta = std::max(maxDelta, maxDelta + u * std::fabs(sc - m));
      const double bound =
          maxV * (2 * maxDelta + (shape.keys + 2 * tiles + 8) * u);
      for (int64_t d = 0; d < shape.valueDim; ++d) {
        int64_t at = (h * shape.queries + i) * shape.valueDim + d;
        t.check(floatOfBits(printed[at]), ref[at], bound,
                "o[" + llvm::Twine(h) + "][" + llvm::Twine(i) + "][" +
                    llvm::Twine(d) + "]");
      }
    }
  }
  llvm::outs() << "attention spans=" << spanKind << ": " << t.summary()
               << " (max |err|/bound = " << t.worstText() << "); ";
  bool countsOk =
      reportTiles(printed[n], printed[n + 1], expectVisited, expectSkipped);
  return t.failures || !countsOk ? 1 : 0;
}

std::vector<float> randomMatrix(int64_t rows, int64_t k, std::mt19937 &rng,
                                bool outliers);

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

void printDense1(llvm::raw_ostream &os, const std::vector<float> &x) {
  os << "dense<[";
  for (size_t i = 0; i < x.size(); ++i)
    os << (i ? ", " : "") << llvm::format_hex(bitsOf(x[i]), 10);
  os << "]> : tensor<" << x.size() << "xf32>";
}

int ptq() {
  const int64_t m = dimM, n = dimN, k = dimK, calRows = 256;
  const std::string method = ptqMethod;
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
    llvm::raw_ostream &os = llvm::outs();
    std::string xType = tensorType({m, k}, "f32");
    std::string wType = tensorType({n, k}, "f32");
    std::string yType = tensorType({m, n}, "f32");
    os << "// Generated by mxc-testgen ptq --method=" << method
       << " --format=" << formatName << " --m=" << m << " --n=" << n
       << " --k=" << k << " --seed=" << seed << "\n";
    os << "func.func @main() {\n  %c0 = arith.constant 0 : index\n"
       << "  %c1 = arith.constant 1 : index\n  %x = arith.constant ";
    printDense(os, x, m, k);
    os << "\n  %w = arith.constant ";
    printDense(os, w, n, k);
    os << "\n  %y = mxc.matmul %x, %w {act_absmax = ";
    printDense1(os, absMax);
    os << ", hessian = ";
    printDense(os, h, k, k);
    os << "} : " << xType << ", " << wType << " -> " << yType << "\n";
    printLoops(os, "result", "%y", yType, m, n, kPrintF32);
    os << "  return\n}\n";
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
  llvm::outs() << "ptq " << method << " " << formatName << ": " << t.summary()
               << "; max |err|/bound = " << t.worstText() << "\n";
  return t.failures ? 1 : 0;
}

/// Random matmul operands: roughly normal, with a few outlier columns as
/// real activations have.
std::vector<float> randomMatrix(int64_t rows, int64_t k, std::mt19937 &rng,
                                bool outliers) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> m(rows * k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c)
      m[r * k + c] = normal(rng) * ((outliers && c % 37 == 5) ? 20.0f : 1.0f);
  return m;
}

int matmul() {
  ElemFormat wf = formatOrDie(weightName);
  std::optional<ElemFormat> af;
  if (actName != "none")
    af = formatOrDie(actName);
  const int64_t m = dimM, n = dimN, k = dimK, block = blockSize;
  std::mt19937 rng(seed);
  std::vector<float> x = randomMatrix(m, k, rng, /*outliers=*/true);
  std::vector<float> w = randomMatrix(n, k, rng, /*outliers=*/false);

  if (checkFile.empty()) {
    llvm::raw_ostream &os = llvm::outs();
    std::string xType =
        "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "xf32>";
    std::string wType =
        "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "xf32>";
    std::string yType =
        "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xf32>";
    std::string wq = mxType(wf, n, k, block);
    os << "// Generated by mxc-testgen matmul --weight=" << weightName
       << " --act=" << actName << " --m=" << m << " --n=" << n << " --k=" << k
       << " --block=" << block << " --seed=" << seed << "\n";
    os << "func.func @main() {\n  %c0 = arith.constant 0 : index\n"
       << "  %c1 = arith.constant 1 : index\n  %x = arith.constant ";
    printDense(os, x, m, k);
    os << "\n  %w = arith.constant ";
    printDense(os, w, n, k);
    os << "\n  %wq = mxc.quantize %w : " << wType << " -> " << wq << "\n";
    if (af) {
      std::string xq = mxType(*af, m, k, block);
      os << "  %xq = mxc.quantize %x : " << xType << " -> " << xq << "\n";
      os << "  %y = mxc.matmul %xq, %wq : " << xq << ", " << wq << " -> "
         << yType << "\n";
    } else {
      os << "  %y = mxc.matmul %x, %wq : " << xType << ", " << wq << " -> "
         << yType << "\n";
    }
    printLoops(os, "result", "%y", yType, m, n, kPrintF32);
    os << "  return\n}\n";
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
               << " weight=" << weightName << " act=" << actName << ": "
               << t.summary() << "; max |err|/bound = " << t.worstText()
               << "\n";
  return t.failures ? 1 : 0;
}

/// Blocks of every code for the GPU decoder test (see the file comment).
int gpuDecode() {
  ElemFormat f = formatOrDie(formatName);
  const FormatInfo &info = getFormatInfo(f);
  const unsigned codes = 1u << info.bits;
  // Every code at every position of a block: code (p + 7 * b) mod codes at
  // position p of the b-th block of each scale.
  const int64_t perScale = std::max<int64_t>(1, codes / 4);
  std::vector<uint8_t> scales;
  std::vector<uint8_t> elementCodes;
  for (uint8_t s : {0, 1, 100, 127, 140, 254, 255})
    for (int64_t b = 0; b < perScale; ++b) {
      scales.push_back(s);
      for (int64_t p = 0; p < 32; ++p) {
        unsigned c = static_cast<unsigned>(p + 7 * b) % codes;
        // E4M3's NaN codes: MX encoders never emit them (they saturate, and
        // a NaN block has the NaN scale); the integer decoder reads them as
        // 480. Put the largest finite code there instead.
        if (f == ElemFormat::E4M3 && (c & 0x7F) == 0x7F)
          c -= 1;
        elementCodes.push_back(static_cast<uint8_t>(c));
      }
    }
  const int64_t blocks = scales.size();
  // Pack LSB-first, as the storage does, into 32-bit little-endian words.
  std::vector<uint8_t> bytes(blocks * 4 * info.bits, 0);
  for (size_t i = 0; i < elementCodes.size(); ++i)
    for (unsigned bit = 0; bit < info.bits; ++bit)
      if (elementCodes[i] >> bit & 1) {
        size_t at = i * info.bits + bit;
        bytes[at / 8] |= static_cast<uint8_t>(1u << (at % 8));
      }
  llvm::raw_ostream &os = llvm::outs();
  const int64_t words = bytes.size() / 4;
  os << "// Generated by mxc-testgen gpu-decode --format=" << formatName
     << "\n";
  os << "memref.global \"private\" constant @words : memref<" << words
     << "xi32> = dense<[";
  for (int64_t w = 0; w < words; ++w) {
    uint32_t v;
    std::memcpy(&v, &bytes[4 * w], 4);
    os << (w ? ", " : "") << static_cast<int32_t>(v);
  }
  os << "]>\nmemref.global \"private\" constant @scales : memref<" << blocks
     << "xi8> = dense<[";
  for (int64_t b = 0; b < blocks; ++b)
    os << (b ? ", " : "") << static_cast<int>(static_cast<int8_t>(scales[b]));
  os << "]>\n";
  os << "func.func private @decode_blocks(memref<?xi32>, memref<?xi8>, "
        "memref<?xf32>, index)\n";
  os << "func.func @main() {\n"
     << "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
     << "  %blocks = arith.constant " << blocks << " : index\n"
     << "  %n = arith.constant " << blocks * 32 << " : index\n"
     << "  %w0 = memref.get_global @words : memref<" << words << "xi32>\n"
     << "  %w = memref.cast %w0 : memref<" << words
     << "xi32> to memref<?xi32>\n"
     << "  %s0 = memref.get_global @scales : memref<" << blocks << "xi8>\n"
     << "  %s = memref.cast %s0 : memref<" << blocks << "xi8> to memref<?xi8>\n"
     << "  %out = memref.alloc(%n) : memref<?xf32>\n"
     << "  call @decode_blocks(%w, %s, %out, %blocks) : (memref<?xi32>, "
        "memref<?xi8>, memref<?xf32>, index) -> ()\n"
     << "  vector.print str \"values\\n\"\n"
     << "  scf.for %i = %c0 to %n step %c1 {\n"
     << "    %e = memref.load %out[%i] : memref<?xf32>\n"
     << kPrintF32 << "    vector.print %p : i32\n  }\n"
     << "  return\n}\n\n";
  os << "// CHECK-LABEL: values\n";
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t p = 0; p < 32; ++p) {
      double v =
          decodeElement(f, elementCodes[b * 32 + p]) * decodeE8M0(scales[b]);
      os << "// CHECK-NEXT: {{^}}" << printedBits(static_cast<float>(v))
         << "{{$}}\n";
    }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv,
                              "mxc integration test generator and checker\n");
  if (mode == "roundtrip")
    return roundtrip();
  if (mode == "matmul")
    return matmul();
  if (mode == "softmax")
    return softmax();
  if (mode == "attention")
    return attention();
  if (mode == "ptq")
    return ptq();
  if (mode == "gpu-decode")
    return gpuDecode();
  fail("unknown mode '" + mode +
       "' (roundtrip, matmul, softmax, attention, ptq or gpu-decode)");
}
