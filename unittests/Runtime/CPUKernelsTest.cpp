//===- CPUKernelsTest.cpp - The CPU matmul kernel against float64 ---------===//
//
// Every variant this CPU runs, every MX format and f32 weights, odd shapes
// (K = 172: a partial last block; N and M not multiples of the 4x4 tile; one
// row), other block sizes, 1 and 2 threads: each output within the f32
// summation bound of a float64 dot product of the library's dequantized
// weight with the activations.
//
//===----------------------------------------------------------------------===//

#include "mxc/Runtime/CPUKernels.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Threading.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

using namespace mxc;
namespace num = mxc::numerics;

namespace {

struct Shape {
  int64_t m, n, k, block;
};

std::vector<float> randomValues(int64_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = normal(rng);
  // A few outliers, as activations have.
  for (int64_t i = 0; i < count; i += 37)
    v[i] *= 20.0f;
  return v;
}

/// Runs the kernel on random operands of `shape` with weight `format` and
/// checks every output; returns the outputs.
std::vector<float> check(std::optional<num::ElemFormat> format, Shape s,
                         unsigned seed = 1) {
  std::mt19937 rng(seed);
  // The weight first: then the first rows of x do not depend on s.m.
  std::vector<float> w = randomValues(s.n * s.k, rng);
  std::vector<float> x = randomValues(s.m * s.k, rng);
  std::vector<double> weight(w.begin(), w.end());
  cpu::MatmulProblem p;
  p.x = x.data();
  p.m = s.m;
  p.xCols = s.k;
  p.xRowStride = s.k;
  p.n = s.n;
  p.k = s.k;
  p.block = s.block;
  num::MXTensor mx;
  if (format) {
    mx = num::quantize(*format, s.block, s.n, s.k, w.data());
    weight = num::dequantize(mx);
    p.format = static_cast<int32_t>(*format);
    p.data = mx.data.data();
    p.dataStride = mx.layout.rowBytes();
    p.scales = mx.scales.data();
    p.scaleStride = mx.layout.blocksPerRow();
  } else {
    p.weight = w.data();
    p.wStride = s.k;
  }
  std::vector<float> out(s.m * s.n, -1.0f);
  p.out = out.data();
  p.outStride = s.n;
  cpu::matmul(p);

  const int64_t length = (s.k + s.block - 1) / s.block * s.block + 16;
  const double u = std::ldexp(1.0, -24);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t k = 0; k < s.k; ++k) {
        exact += double(x[i * s.k + k]) * weight[j * s.k + k];
        magnitude += std::fabs(double(x[i * s.k + k]) * weight[j * s.k + k]);
      }
      const double bound = 1.01 * length * u * magnitude;
      EXPECT_LE(std::fabs(out[i * s.n + j] - exact), bound)
          << "row " << i << " column " << j << " of " << s.m << "x" << s.n
          << "x" << s.k << " (block " << s.block << ") on " << cpu::kernelISA();
    }
  return out;
}

const Shape kShapes[] = {
    {1, 16, 172, 32}, {5, 7, 64, 32}, {9, 13, 256, 32},
    {4, 33, 32, 32},  {3, 6, 96, 16}, {2, 5, 128, 64},
};

class CPUKernels : public testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    if (!cpu::useKernelISA(GetParam()))
      GTEST_SKIP() << "this CPU does not run the " << GetParam() << " variant";
  }
};

TEST_P(CPUKernels, EveryFormatWithinTheF32Bound) {
  for (num::ElemFormat f : num::kAllElemFormats)
    for (Shape s : kShapes)
      if (num::isValidBlockSize(f, s.block))
        check(f, s);
}

TEST_P(CPUKernels, FloatWeightsWithinTheF32Bound) {
  for (Shape s : kShapes)
    check(std::nullopt, {s.m, s.n, s.k, s.k});
}

TEST_P(CPUKernels, NaNScaleMakesItsColumnNaN) {
  std::mt19937 rng(3);
  const int64_t m = 3, n = 6, k = 64;
  std::vector<float> x = randomValues(m * k, rng), w = randomValues(n * k, rng);
  num::MXTensor mx = num::quantize(num::ElemFormat::E2M1, 32, n, k, w.data());
  mx.scales[2 * 2 + 1] = num::kE8M0NaN; // column 2, second block
  cpu::MatmulProblem p;
  p.x = x.data();
  p.m = m;
  p.xCols = p.xRowStride = p.k = k;
  p.n = n;
  p.format = static_cast<int32_t>(num::ElemFormat::E2M1);
  p.data = mx.data.data();
  p.dataStride = mx.layout.rowBytes();
  p.scales = mx.scales.data();
  p.scaleStride = mx.layout.blocksPerRow();
  std::vector<float> out(m * n);
  p.out = out.data();
  p.outStride = n;
  cpu::matmul(p);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      EXPECT_EQ(std::isnan(out[i * n + j]), j == 2) << i << ", " << j;
}

// A row's result does not depend on the rows that come with it (decode one
// token at a time equals a prefill of them all, bit for bit): one row, then
// nine (the 4-row tiles), then two.
TEST_P(CPUKernels, RowsAloneEqualRowsTogether) {
  for (num::ElemFormat f : num::kAllElemFormats)
    for (int64_t k : {172, 512}) {
      const Shape together = {9, 13, k, 32};
      std::vector<float> all = check(f, together, 7);
      for (int64_t rows : {1, 2}) {
        std::vector<float> part = check(f, {rows, 13, k, 32}, 7);
        for (int64_t i = 0; i < rows * 13; ++i)
          ASSERT_EQ(llvm::bit_cast<uint32_t>(part[i]),
                    llvm::bit_cast<uint32_t>(all[i]))
              << num::getFormatInfo(f).name << " K " << k << " rows " << rows
              << " element " << i;
      }
    }
}

// Big enough to split over the pool: two threads give each output bit for
// bit what one gives (a column's sum does not depend on who computes it).
TEST_P(CPUKernels, TwoThreadsEqualOne) {
  const Shape big = {9, 130, 520, 32};
  llvm::parallel::strategy = llvm::hardware_concurrency(1);
  std::vector<float> one = check(num::ElemFormat::E2M1, big, 5);
  llvm::parallel::strategy = llvm::hardware_concurrency(2);
  std::vector<float> two = check(num::ElemFormat::E2M1, big, 5);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i)
    ASSERT_EQ(llvm::bit_cast<uint32_t>(one[i]),
              llvm::bit_cast<uint32_t>(two[i]))
        << i;
}

INSTANTIATE_TEST_SUITE_P(Variants, CPUKernels,
                         testing::Values("avx512", "avx2", "generic"),
                         [](const testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });

} // namespace
