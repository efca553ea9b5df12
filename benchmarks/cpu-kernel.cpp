//===- cpu-kernel.cpp - The CPU matmul kernel alone -----------------------===//
//
//   mxc-bench-cpu-kernel [--threads N] [--rows M] [--isa avx512|avx2|generic]
//                        [--format f32|mxfp4|...] [--copies C] [--act mxint8]
//
// Times mxc's CPU matmul kernel (CPUKernels.h) on the matmul shapes of a
// Llama with dim 768 and hidden 2048 (the 85M model of benchmarks/cpu.sh:
// wq/wk/wv/wo 768x768, w1/w3 2048x768, w2 768x2048), for every weight
// format, with enough copies of the weights (12 by default: ~340 MB of f32,
// 45-90 MB of MX codes) that one pass does not sit in L2. Prints, per format:
// the time of one pass over the 7 matmuls of a layer, the weight bytes read per
// second (decode, rows = 1) and the multiply-adds per second. A tool to
// tune the kernel with; the model-level comparison with llama.cpp is
// benchmarks/cpu.sh. --act mxint8: the activations are MXINT8 values, marked
// so (what a recipe with activations=mxint8 gives the kernel).
//
//===----------------------------------------------------------------------===//

#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"
#include "mxc/Runtime/CPUKernels.h"

#include "llvm/Support/Parallel.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace mxc;
namespace num = mxc::numerics;

namespace {

struct Matrix {
  int64_t n, k;
  std::vector<float> f32;
  num::MXTensor mx;
};

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

int main(int argc, char **argv) {
  unsigned threads = 1;
  int64_t rows = 1;
  std::string only;
  int64_t copies = 12;
  bool mxint8 = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--rows" && i + 1 < argc)
      rows = std::strtol(argv[++i], nullptr, 10);
    else if (a == "--copies" && i + 1 < argc)
      copies = std::max(1l, std::strtol(argv[++i], nullptr, 10));
    else if (a == "--format" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--act" && i + 1 < argc &&
             std::string(argv[i + 1]) == "mxint8") {
      mxint8 = true;
      ++i;
    } else if (a == "--isa" && i + 1 < argc) {
      if (!cpu::useKernelISA(argv[++i])) {
        std::fprintf(stderr, "this CPU does not run %s\n", argv[i]);
        return 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: mxc-bench-cpu-kernel [--threads N] [--rows M] "
                   "[--isa avx512|avx2|generic] [--format NAME] [--copies C] "
                   "[--act mxint8]\n");
      return 1;
    }
  }
  llvm::parallel::strategy = llvm::hardware_concurrency(threads);
  const int64_t dim = 768, hidden = 2048;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(rows * hidden), out(rows * hidden);
  for (float &v : x)
    v = normal(rng);
  if (mxint8) {
    // Blocks of 32 along each row (rows start at multiples of 32).
    const std::vector<double> values = num::dequantize(
        num::quantize(num::ElemFormat::Int8, 32, 1,
                      static_cast<int64_t>(x.size()), x.data()));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<float>(values[i]);
  }

  std::printf("kernel %s, %u thread(s), %lld row(s)%s\n", cpu::kernelISA(),
              threads, static_cast<long long>(rows),
              mxint8 ? ", MXINT8 activations" : "");
  std::printf(
      "| weights | ms / layer | weight GB/s | GMAC/s |\n|---|---|---|---|\n");
  std::vector<std::optional<num::ElemFormat>> formats = {std::nullopt};
  for (num::ElemFormat f : num::kAllElemFormats)
    formats.push_back(f);
  for (std::optional<num::ElemFormat> format : formats) {
    const std::string name =
        format ? std::string(num::getFormatInfo(*format).name) : "f32";
    if (!only.empty() && name != only)
      continue;
    std::vector<Matrix> layer;
    for (int64_t c = 0; c < copies; ++c)
      for (auto [n, k] : {std::pair<int64_t, int64_t>{dim, dim},
                          {dim, dim},
                          {dim, dim},
                          {dim, dim},
                          {hidden, dim},
                          {hidden, dim},
                          {dim, hidden}}) {
        Matrix m{n, k, std::vector<float>(n * k), {}};
        for (float &v : m.f32)
          v = normal(rng) * 0.02f;
        if (format) {
          m.mx = num::quantize(*format, 32, n, k, m.f32.data());
          m.f32 = {};
        }
        layer.push_back(std::move(m));
      }
    int64_t bytes = 0, macs = 0;
    auto pass = [&] {
      for (const Matrix &m : layer) {
        cpu::MatmulProblem p;
        p.x = x.data();
        p.m = rows;
        p.xCols = p.xRowStride = p.k = m.k;
        p.n = m.n;
        if (format) {
          p.format = static_cast<int32_t>(*format);
          p.data = m.mx.data.data();
          p.dataStride = m.mx.layout.rowBytes();
          p.scales = m.mx.scales.data();
          p.scaleStride = m.mx.layout.blocksPerRow();
        } else {
          p.block = m.k;
          p.weight = m.f32.data();
          p.wStride = m.k;
        }
        p.out = out.data();
        p.outStride = m.n;
        if (mxint8)
          p.xFormat = static_cast<int32_t>(num::ElemFormat::Int8);
        cpu::matmul(p);
      }
    };
    for (const Matrix &m : layer) {
      bytes += format ? m.mx.data.size() + m.mx.scales.size()
                      : m.f32.size() * sizeof(float);
      macs += rows * m.n * m.k;
    }
    pass();
    std::vector<double> times;
    for (int r = 0; r < 31; ++r) {
      const double start = seconds();
      pass();
      times.push_back(seconds() - start);
    }
    std::sort(times.begin(), times.end());
    const double t = times[times.size() / 2];
    std::printf("| %s | %.3f | %.2f | %.2f |\n", name.c_str(), t / copies * 1e3,
                bytes / t / 1e9, macs / t / 1e9);
  }
  return 0;
}
