//===- attention-kernel.cpp - The CPU attention kernel alone --------------===//
//
//   mxc-bench-attention-kernel [--threads N] [--isa avx512|avx2|generic]
//                              [--repeats R]
//
// Times mxc's CPU attention kernel (CPUKernels.h) with the exact softmax and
// with the -sm2 presets' 2-bit EXAQ softmax (zero floor, clip -4.5), on the
// attention shape of a ~1.1B Llama (32 query heads, 4 KV heads, head
// dimension 64, K and V in a KV cache's [S, H, D] layout): decode rows
// (1 query) over 512, 2048 and 4096 keys, and a 512-token causal prefill.
// q and k are normal with scores of standard deviation `spread` (1, 2 and 4:
// trained models' attention logits spread over several units). The EXAQ
// kernel drops the keys whose code is 0 (weight 0) from the weighted sum of
// the values, so its speed depends on how many keys a row drops; the table
// prints that fraction beside the times (medians of R alternated runs).
//
//===----------------------------------------------------------------------===//

#include "mxc/Numerics/Exaq.h"
#include "mxc/Runtime/CPUKernels.h"

#include "llvm/Support/Parallel.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mxc;
namespace num = mxc::numerics;

namespace {

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr int64_t kHeads = 32, kKVHeads = 4, kDim = 64;

/// One attention problem: q [queries, heads, D], K and V [keys, kvHeads, D],
/// out like q.
struct Problem {
  int64_t queries, keys;
  std::vector<float> q, k, v, out;
  cpu::AttentionProblem p;
  Problem(int64_t queries, int64_t keys, double spread, std::mt19937 &rng)
      : queries(queries), keys(keys), q(queries * kHeads * kDim),
        k(keys * kKVHeads * kDim), v(keys * kKVHeads * kDim),
        out(queries * kHeads * kDim) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    // scale q.k with q, k ~ N(0, 1) has standard deviation scale sqrt(D) = 1.
    for (float &x : q)
      x = static_cast<float>(spread) * normal(rng);
    for (float &x : k)
      x = normal(rng);
    for (float &x : v)
      x = normal(rng);
    p.heads = kHeads, p.kvHeads = kKVHeads, p.queries = queries, p.keys = keys;
    p.headDim = p.valueDim = kDim;
    p.q = q.data(), p.k = k.data(), p.v = v.data(), p.out = out.data();
    p.qStrides[0] = kDim, p.qStrides[1] = kHeads * kDim, p.qStrides[2] = 1;
    p.kStrides[0] = kDim, p.kStrides[1] = kKVHeads * kDim, p.kStrides[2] = 1;
    p.vStrides[0] = kDim, p.vStrides[1] = kKVHeads * kDim, p.vStrides[2] = 1;
    p.outStrides[0] = kDim, p.outStrides[1] = kHeads * kDim,
    p.outStrides[2] = 1;
    p.scale = 1.0f / std::sqrt(static_cast<float>(kDim));
  }

  /// The fraction of the (row, seen key) pairs whose code is 0, from the
  /// scores in float64 (up to 64 rows per head, evenly spread).
  double dropped(const num::ExaqQuantizer &quantizer) const {
    int64_t zeros = 0, seen = 0;
    const int64_t step = std::max<int64_t>(1, queries / 64);
    std::vector<double> scores(keys);
    for (int64_t h = 0; h < kHeads; ++h)
      for (int64_t i = 0; i < queries; i += step) {
        const int64_t g = h / (kHeads / kKVHeads), n = keys - queries + i + 1;
        double max = -INFINITY;
        for (int64_t j = 0; j < n; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < kDim; ++d)
            dot += double(q[(i * kHeads + h) * kDim + d]) *
                   k[(j * kKVHeads + g) * kDim + d];
          scores[j] = dot * p.scale;
          max = std::max(max, scores[j]);
        }
        for (int64_t j = 0; j < n; ++j)
          zeros += quantizer.code(static_cast<float>(scores[j] - max)) == 0;
        seen += n;
      }
    return double(zeros) / double(seen);
  }
};

} // namespace

int main(int argc, char **argv) {
  unsigned threads = 1;
  int repeats = 7;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--repeats" && i + 1 < argc)
      repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--isa" && i + 1 < argc) {
      if (!cpu::useKernelISA(argv[++i])) {
        std::fprintf(stderr, "this CPU does not run %s\n", argv[i]);
        return 1;
      }
    } else {
      std::fprintf(stderr, "usage: mxc-bench-attention-kernel [--threads N] "
                           "[--isa avx512|avx2|generic] [--repeats R]\n");
      return 1;
    }
  }
  llvm::parallel::strategy = llvm::hardware_concurrency(threads);
  num::ExaqQuantizer sm2{2, -4.5, /*zeroFloor=*/true};
  const std::vector<float> table = sm2.exponentTable();
  std::printf("kernel %s, %u thread(s); %lld heads, %lld KV heads, head "
              "dimension %lld; medians of %d alternated runs\n",
              cpu::kernelISA(), threads, static_cast<long long>(kHeads),
              static_cast<long long>(kKVHeads), static_cast<long long>(kDim),
              repeats);
  std::printf("| rows | keys | score spread | keys dropped (code 0) | exact "
              "softmax ms | 2-bit EXAQ ms | EXAQ / exact |\n"
              "|---|---|---|---|---|---|---|\n");
  std::mt19937 rng(1);
  struct Shape {
    int64_t queries, keys;
  };
  for (Shape s :
       {Shape{1, 512}, Shape{1, 2048}, Shape{1, 4096}, Shape{512, 512}})
    for (double spread : {1.0, 2.0, 4.0}) {
      Problem problem(s.queries, s.keys, spread, rng);
      cpu::AttentionProblem exact = problem.p, exaq = problem.p;
      exaq.exaqTable = table.data();
      exaq.exaqLevels = sm2.levels();
      exaq.exaqClip = sm2.clipF32();
      exaq.exaqInverseStep = sm2.inverseStepF32();
      // Decode rows are short: enough calls per timing for ~1 ms or more.
      const int calls = s.queries == 1 ? std::max<int>(1, 200000 / s.keys) : 1;
      std::vector<double> exactMs, exaqMs;
      for (int r = 0; r < repeats + 1; ++r)
        for (const cpu::AttentionProblem *p : {&exact, &exaq}) {
          const double t0 = seconds();
          for (int c = 0; c < calls; ++c)
            cpu::attention(*p);
          const double ms = (seconds() - t0) * 1e3 / calls;
          if (r > 0) // the first round warms the caches
            (p == &exact ? exactMs : exaqMs).push_back(ms);
        }
      const double e = median(exactMs), x = median(exaqMs);
      std::printf("| %lld | %lld | %.0f | %.1f %% | %.3f | %.3f | %.2f |\n",
                  static_cast<long long>(s.queries),
                  static_cast<long long>(s.keys), spread,
                  100 * problem.dropped(sm2), e, x, x / e);
    }
  return 0;
}
