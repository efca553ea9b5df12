//===- read-bandwidth.cpp - This machine's memory read bandwidth ----------===//
//
//   mxc-bench-read-bandwidth [MiB]
//
// Sums a buffer of MiB (default 1024) floats' worth of memory, much larger
// than the caches, on 1 and 2 threads, best of 5; prints the GB/s of each:
// the bound of a decode that streams its weights once per token
// (benchmarks/cpu.sh prints the bound from it).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {
volatile float sink; // keeps the sums

typedef float Lanes __attribute__((vector_size(64)));

/// Four independent sums, so that the loads, not the adds, set the pace.
float sum(const float *p, size_t n) {
  Lanes a = {}, b = {}, c = {}, d = {};
  for (size_t i = 0; i + 64 <= n; i += 64) {
    Lanes x[4];
    __builtin_memcpy(x, p + i, sizeof(x));
    a += x[0];
    b += x[1];
    c += x[2];
    d += x[3];
  }
  Lanes s = (a + b) + (c + d);
  float total = 0;
  for (int l = 0; l < 16; ++l)
    total += s[l];
  return total;
}
} // namespace

int main(int argc, char **argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  const size_t n = mib << 18; // floats
  std::vector<float> v(n, 1.0f);
  for (unsigned threads : {1u, 2u}) {
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
      std::vector<float> out(threads);
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back(
            [&, t] { out[t] = sum(v.data() + n / threads * t, n / threads); });
      for (std::thread &t : pool)
        t.join();
      best = std::min(best, std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - start)
                                .count());
      sink = out[0];
    }
    std::printf("%u %.1f\n", threads, n * sizeof(float) / best / 1e9);
  }
  return 0;
}
