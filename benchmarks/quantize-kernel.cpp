//===- quantize-kernel.cpp - The CPU activation quantize kernel alone -----===//
//
//   mxc-bench-quantize-kernel [--rows M] [--cols K] [--isa avx512|avx2|generic]
//
// Times mxc's CPU quantize-dequantize kernel (CPUKernels.h: what a compiled
// model calls for the MX activations of a matmul) on M x K normal f32 values
// in blocks of 32, one thread, for each MX format, with the OCP spec's shared
// exponent and with numerics::ScaleChoice::Ceil (activation-scales=ceil).
// The two rules alternate, 41 batches of 100 calls each; prints the median
// microseconds per call and the ratio.
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
#include <random>
#include <string_view>
#include <vector>

namespace num = mxc::numerics;

int main(int argc, char **argv) {
  int64_t rows = 64, cols = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows"))
      rows = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cols"))
      cols = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--isa")) {
      if (!mxc::cpu::useKernelISA(argv[i + 1])) {
        std::fprintf(stderr, "this CPU cannot run '%s'\n", argv[i + 1]);
        return 1;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--rows M] [--cols K] [--isa ISA]\n",
                   argv[0]);
      return 1;
    }
  }
  if (rows <= 0 || cols <= 0) {
    std::fprintf(stderr, "--rows and --cols must be positive\n");
    return 1;
  }
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
  std::vector<float> x(rows * cols), out(rows * cols);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0, 1);
  for (float &v : x)
    v = normal(rng);
  std::printf("%lld x %lld normal values, blocks of 32, one thread, %s; "
              "median us per call\n",
              static_cast<long long>(rows), static_cast<long long>(cols),
              mxc::cpu::kernelISA());
  std::printf("| format | spec | ceil | ceil / spec |\n|---|---|---|---|\n");
  for (num::ElemFormat f : num::kAllElemFormats) {
    std::vector<double> times[2];
    for (int batch = 0; batch < 41; ++batch)
      for (int rule = 0; rule < 2; ++rule) {
        mxc::cpu::QuantizeProblem p = mxc::cpu::QuantizeProblem::rowMajor(
            x.data(), out.data(), rows, cols);
        p.format = static_cast<int32_t>(f);
        p.scales = static_cast<int32_t>(rule ? num::ScaleChoice::Ceil
                                             : num::ScaleChoice::Spec);
        const auto start = std::chrono::steady_clock::now();
        for (int call = 0; call < 100; ++call)
          mxc::cpu::quantizeDequantize(p);
        const std::chrono::duration<double> took =
            std::chrono::steady_clock::now() - start;
        times[rule].push_back(took.count() / 100 * 1e6);
      }
    for (std::vector<double> &t : times)
      std::nth_element(t.begin(), t.begin() + 20, t.end());
    const std::string_view name = num::getFormatInfo(f).name;
    std::printf("| %.*s | %.1f | %.1f | %.3f |\n",
                static_cast<int>(name.size()), name.data(), times[0][20],
                times[1][20], times[1][20] / times[0][20]);
  }
  return 0;
}
