//===- mxc-gpu-runner.cpp - Run mxc's GPU kernels: tests and benchmarks ---===//
//
//   mxc-gpu-runner test    every kernel against the numerics library
//   mxc-gpu-runner bench   a table: MX GEMV GB/s against the measured
//                          device-to-device copy bandwidth; EXAQ against the
//                          exact softmax
//   mxc-gpu-runner probe   the device, or why there is none
//   mxc-gpu-runner model   a model compiled for CUDA: checked and timed
//                          (Model.cpp)
//
// The kernels are the cubins mxc-kernels built for sm_80 and sm_90 (linked
// in); the expected values come from the numerics library (linked in). It
// needs libc, libstdc++ and, at run time, libcuda: it is built on the
// development machine and run on the GPU machine. Without a driver or a
// device it says so in one line and exits with status 77 (skipped).
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"
#include "GitVersion.inc"
#include "mxc/GPU/LaunchGeometry.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/PTQ.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

extern const unsigned char mxc_kernels_sm80[], mxc_kernels_sm90[];

namespace num = mxc::numerics;
namespace cuda = mxc::cuda;

namespace {

using mxc::gpu::kAttentionThreads;
using mxc::gpu::kAttentionTile;
using mxc::gpu::kGemmThreads;
using mxc::gpu::kGemmTileM;
using mxc::gpu::kGemmTileN;
using mxc::gpu::kGemvWarpsPerBlock;
using mxc::gpu::kSoftmaxThreads;
constexpr int kSkipped = 77;

/// The bits of a quiet NaN, which every output buffer starts as: an element
/// a kernel fails to write then fails its check (an int32 output reads
/// 2143289344).
constexpr uint32_t kUnwritten = 0x7fc00000u;

/// Device buffer holding a host vector, or an output filled with NaN.
template <typename T> struct Buffer {
  void *device = nullptr;
  size_t count = 0;
  explicit Buffer(size_t n)
      : device(cuda::allocate((n * sizeof(T) + 3) / 4 * 4)), count(n) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 1,
                  "outputs are 32-bit elements or bytes");
    // Bytes (EXAQ codes) unwritten are 0x7f, which no code is.
    cuda::fill(device, sizeof(T) == 4 ? kUnwritten : 0x7f7f7f7fu,
               (n * sizeof(T) + 3) / 4);
  }
  explicit Buffer(const std::vector<T> &host)
      : device(cuda::allocate(host.size() * sizeof(T))), count(host.size()) {
    cuda::copyToDevice(device, host.data(), host.size() * sizeof(T));
  }
  ~Buffer() { cuda::release(device); }
  std::vector<T> read() const {
    std::vector<T> host(count);
    cuda::copyToHost(host.data(), device, count * sizeof(T));
    return host;
  }
};

const unsigned char *kernelImage() {
  int cc = cuda::computeCapability();
  if (cc >= 90)
    return mxc_kernels_sm90;
  if (cc >= 80)
    return mxc_kernels_sm80;
  std::fprintf(stderr,
               "mxc-gpu-runner: compute capability %d.%d is below "
               "8.0 (sm_80), the oldest mxc builds for\n",
               cc / 10, cc % 10);
  std::exit(kSkipped);
}

const char *formatName(num::ElemFormat f) {
  return num::getFormatInfo(f).name.data();
}

std::string gemvName(num::ElemFormat f, int batch, bool unstaged = false) {
  return "mx_gemv_" + std::string(formatName(f)) + "_b" +
         std::to_string(batch) + (unstaged ? "_unstaged" : "");
}

struct Gemv {
  std::vector<uint8_t> data, scales; // packed MX weight
  std::vector<double> dequantized;   // [n, k]
};

/// `count` draws of `normal` from `rng`.
std::vector<float> normalValues(int64_t count,
                                std::normal_distribution<float> &normal,
                                std::mt19937 &rng) {
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

Gemv quantizedWeight(num::ElemFormat f, int64_t n, int64_t k, std::mt19937 &rng,
                     bool nanRow) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w = normalValues(n * k, normal, rng);
  // Outliers and a tiny block, so that scales vary.
  for (int64_t i = 0; i < n * k; i += 97)
    w[i] *= 40.0f;
  for (int64_t c = 0; c < std::min<int64_t>(k, 32); ++c)
    w[(n - 1) * k + c] *= 1e-30f;
  if (nanRow)
    w[3] = std::numeric_limits<float>::quiet_NaN();
  num::QuantizedWeight q = num::rtnQuantize(w.data(), n, k, f, 32);
  return {q.tensor.data, q.tensor.scales, q.dequantized};
}

/// A kernel launch prepared ahead (function looked up, arguments packed), so
/// that timed runs do only the launch.
struct Launch {
  void *function;
  unsigned gridX, gridY, block;
  cuda::Arguments args;
  void operator()() { cuda::launch(function, gridX, block, args, 0, gridY); }
};

/// A launch of the MX matmul ABI (gemvCalleeType): y [m, n] = x [m, k] *
/// W^T (+ residual [m, n] if given), `function` over a grid of gridX x
/// gridY blocks of `threads`.
Launch matmulLaunch(void *function, unsigned gridX, unsigned gridY,
                    unsigned threads, const Buffer<uint8_t> &w,
                    const Buffer<uint8_t> &s, const Buffer<float> &x,
                    Buffer<float> &y, int64_t m, int64_t n, int64_t k,
                    const Buffer<float> *residual) {
  Launch l{function, gridX, gridY, threads, {}};
  l.args.memref(w.device, w.count / 4)
      .memref(s.device, s.count)
      .memref(x.device, x.count)
      .memref(y.device, y.count)
      .index(m)
      .index(n)
      .index(k)
      .memref(residual ? residual->device : y.device,
              residual ? residual->count : y.count)
      .index(residual ? 1 : 0);
  return l;
}

/// The GEMV kernel of `batch` rows per tile.
Launch gemvLaunch(const cuda::Module &module, num::ElemFormat f, int batch,
                  const Buffer<uint8_t> &w, const Buffer<uint8_t> &s,
                  const Buffer<float> &x, Buffer<float> &y, int64_t m,
                  int64_t n, int64_t k, const Buffer<float> *residual = nullptr,
                  bool unstaged = false) {
  return matmulLaunch(
      module.function(gemvName(f, batch, unstaged)),
      static_cast<unsigned>((n + kGemvWarpsPerBlock - 1) / kGemvWarpsPerBlock),
      static_cast<unsigned>((m + batch - 1) / batch), 32 * kGemvWarpsPerBlock,
      w, s, x, y, m, n, k, residual);
}

/// The GEMV of every format and batch against float64 sums of the library's
/// dequantized weights, within the f32 accumulation bound
/// (K + 2) * 2^-24 * sum |x * w|; a NaN weight makes its row NaN. Batches 1
/// and 2 (x staged through shared memory) also without the staging (the
/// "_unstaged" kernels the benchmark compares).
int testGemv(const cuda::Module &module) {
  std::mt19937 rng(11);
  int failures = 0, cases = 0;
  for (num::ElemFormat f : num::kAllElemFormats)
    for (auto [batch, unstaged] : {std::pair<int, bool>{1, false},
                                   {1, true},
                                   {2, false},
                                   {2, true},
                                   {4, false},
                                   {8, false},
                                   {16, false}})
      // K = 4160 (130 blocks): each lane's first four blocks in one step
      // of four loads in flight, and lanes 0 and 1 one block after it.
      for (auto [n, k] :
           {std::pair<int64_t, int64_t>{67, 96}, {256, 1024}, {1001, 4160}}) {
        const bool nanRow = batch == 2;
        // A prefill of several row tiles (the last one partial) for batch 8.
        const int64_t m = batch == 8 ? 37 : batch;
        Gemv g = quantizedWeight(f, n, k, rng, nanRow);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> x = normalValues(m * k, normal, rng);
        // The K = 1024 shapes add a residual, as the model's output
        // projections do.
        std::vector<float> residual;
        if (k == 1024)
          residual = normalValues(m * n, normal, rng);
        Buffer<uint8_t> w(g.data), s(g.scales);
        Buffer<float> xd(x), y(m * n);
        std::unique_ptr<Buffer<float>> rd;
        if (!residual.empty())
          rd = std::make_unique<Buffer<float>>(residual);
        gemvLaunch(module, f, batch, w, s, xd, y, m, n, k, rd.get(),
                   unstaged)();
        std::vector<float> got = y.read();
        double worst = 0;
        bool ok = true;
        for (int64_t b = 0; b < m; ++b)
          for (int64_t r = 0; r < n; ++r) {
            double sum = 0, magnitude = 0;
            for (int64_t c = 0; c < k; ++c) {
              double p = x[b * k + c] * g.dequantized[r * k + c];
              sum += p;
              magnitude += std::fabs(p);
            }
            float v = got[b * n + r];
            // The residual, added to the f32 sum: one more rounding.
            double bound = (k + 2) * std::ldexp(magnitude, -24) + 1e-37;
            if (!residual.empty()) {
              sum += residual[b * n + r];
              bound += std::ldexp(std::fabs(sum), -24);
            }
            if (std::isnan(sum)) {
              ok &= std::isnan(v);
              continue;
            }
            double error = std::fabs(v - sum);
            // NaN (an element the kernel did not write) counts as infinite.
            worst =
                std::isnan(error) ? INFINITY : std::max(worst, error / bound);
            ok &= error <= bound;
          }
        ++cases;
        if (!ok) {
          ++failures;
          std::printf("FAIL gemv %s batch %d%s %lldx%lld: worst error %.2f "
                      "of the bound\n",
                      formatName(f), batch, unstaged ? " unstaged" : "",
                      (long long)n, (long long)k, worst);
        }
      }
  std::printf("gemv: %d of %d cases within the f32 accumulation bound\n",
              cases - failures, cases);
  return failures;
}

/// The prefill GEMM on tensor cores (mx_gemm_<format>): the GEMV's
/// arguments, a grid of 64 x 64 tiles of y.
Launch gemmLaunch(const cuda::Module &module, num::ElemFormat f,
                  const Buffer<uint8_t> &w, const Buffer<uint8_t> &s,
                  const Buffer<float> &x, Buffer<float> &y, int64_t m,
                  int64_t n, int64_t k,
                  const Buffer<float> *residual = nullptr) {
  return matmulLaunch(module.function("mx_gemm_" + std::string(formatName(f))),
                      static_cast<unsigned>((n + kGemmTileN - 1) / kGemmTileN),
                      static_cast<unsigned>((m + kGemmTileM - 1) / kGemmTileM),
                      kGemmThreads, w, s, x, y, m, n, k, residual);
}

/// The tensor-core GEMM of every format against float64 sums of bf16(x)
/// times the library's dequantized weights (exact in bf16), within 4 times
/// the f32 accumulation bound (K + 2) * 2^-24 * sum |bf16(x) * w| (tensor
/// cores add with truncation and in their own order), and within 2^-8 *
/// sum |x * w| more of the f32 x's sums (x rounded to bf16, nothing
/// worse). Shapes with partial tiles in M and N, a K with an odd number of
/// MX blocks (the last step half zeros), a residual, a NaN weight (its
/// column NaN).
int testGemm(const cuda::Module &module) {
  std::mt19937 rng(13);
  int failures = 0, cases = 0;
  for (num::ElemFormat f : num::kAllElemFormats)
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{37, 67, 96},
                           {64, 128, 256},
                           {130, 100, 1056}}) {
      const bool nanRow = k == 96, withResidual = k == 256;
      Gemv g = quantizedWeight(f, n, k, rng, nanRow);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> x = normalValues(m * k, normal, rng);
      std::vector<float> residual;
      if (withResidual)
        residual = normalValues(m * n, normal, rng);
      Buffer<uint8_t> w(g.data), s(g.scales);
      Buffer<float> xd(x), y(m * n);
      std::unique_ptr<Buffer<float>> rd;
      if (withResidual)
        rd = std::make_unique<Buffer<float>>(residual);
      gemmLaunch(module, f, w, s, xd, y, m, n, k, rd.get())();
      std::vector<float> got = y.read();
      double worst = 0;
      bool ok = true;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c) {
          double sum = 0, magnitude = 0, exact = 0, exactMagnitude = 0;
          for (int64_t i = 0; i < k; ++i) {
            const double wv = g.dequantized[c * k + i];
            const double p = num::roundToBF16(x[r * k + i]) * wv;
            sum += p;
            magnitude += std::fabs(p);
            exact += x[r * k + i] * wv;
            exactMagnitude += std::fabs(x[r * k + i] * wv);
          }
          double bound = 4 * (k + 2) * std::ldexp(magnitude, -24) + 1e-37;
          if (withResidual) {
            sum += residual[r * n + c];
            exact += residual[r * n + c];
            bound += std::ldexp(std::fabs(sum), -24);
          }
          const float v = got[r * n + c];
          if (std::isnan(sum)) {
            ok &= std::isnan(v);
            continue;
          }
          const double error = std::fabs(v - sum);
          worst = std::isnan(error) ? INFINITY : std::max(worst, error / bound);
          ok &= error <= bound &&
                std::fabs(v - exact) <= bound + std::ldexp(exactMagnitude, -8);
        }
      ++cases;
      if (!ok) {
        ++failures;
        std::printf("FAIL gemm %s %lldx%lldx%lld: worst error %.2f of the "
                    "bound\n",
                    formatName(f), (long long)m, (long long)n, (long long)k,
                    worst);
      }
    }
  std::printf("gemm: %d of %d cases within the bound of bf16(x) * w\n",
              cases - failures, cases);
  return failures;
}

/// EXAQ softmax bit-exact (values and code counts) with
/// numerics::exaqSoftmaxRow; the exact kernel within 1e-5 relative (plus
/// 1e-9 absolute) of float64.
int testSoftmax(const cuda::Module &module) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  int failures = 0, cases = 0, compact = 0;
  for (int64_t n : {1, 100, 1000, 4096}) {
    const int64_t rows = 64;
    std::vector<float> x = normalValues(rows * n, normal, rng);
    for (int64_t i = 0; i < rows * n; i += 7)
      x[i] = -INFINITY; // masked
    for (int64_t c = 0; c < n; ++c)
      x[1 * n + c] = -INFINITY; // a fully masked row
    x[2 * n] = NAN;             // a NaN row
    Buffer<float> xd(x), y(rows * n);
    for (int bits : {0, 1, 2, 3, 4, 8}) {
      ++cases;
      bool ok = true;
      if (bits == 0) {
        cuda::Arguments args;
        args.memref(xd.device, x.size()).memref(y.device, x.size()).index(n);
        cuda::launch(module.function("mx_softmax_exact"), rows, kSoftmaxThreads,
                     args);
        std::vector<float> got = y.read();
        std::vector<double> want(n);
        for (int64_t r = 0; r < rows; ++r) {
          if (r == 2)
            continue; // NaN row: the exact baseline does not promise NaN.
          num::softmaxRowF64(&x[r * n], n, want.data());
          for (int64_t c = 0; c < n; ++c)
            ok &= std::fabs(got[r * n + c] - want[c]) <= 1e-5 * want[c] + 1e-9;
        }
      } else {
        num::ExaqQuantizer q{bits, bits == 1 ? -3.0 : -8.0};
        std::vector<float> table = q.exponentTable();
        Buffer<float> lut(table);
        Buffer<int32_t> counts(rows * q.levels());
        cuda::Arguments args;
        args.memref(xd.device, x.size())
            .memref(y.device, x.size())
            .index(n)
            .f32(q.clipF32())
            .f32(q.inverseStepF32())
            .memref(lut.device, table.size())
            .memref(counts.device, counts.count);
        cuda::launch(module.function("mx_softmax_exaq" + std::to_string(bits)),
                     rows, kSoftmaxThreads, args);
        std::vector<float> got = y.read();
        std::vector<int32_t> gotCounts = counts.read();
        std::vector<float> want(n);
        std::vector<uint32_t> wantCounts;
        for (int64_t r = 0; r < rows; ++r) {
          num::exaqSoftmaxRow(q, &x[r * n], n, want.data(), &wantCounts);
          for (int64_t c = 0; c < n; ++c)
            if (std::memcmp(&got[r * n + c], &want[c], sizeof(float)) != 0) {
              if (ok)
                std::printf("  row %lld column %lld: %.9g, the library %.9g\n",
                            (long long)r, (long long)c, got[r * n + c],
                            want[c]);
              ok = false;
            }
          for (int c = 0; c < q.levels(); ++c)
            if (gotCounts[r * q.levels() + c] !=
                static_cast<int32_t>(wantCounts[c])) {
              if (ok)
                std::printf("  row %lld: %d values of code %d, the library "
                            "%u\n",
                            (long long)r, gotCounts[r * q.levels() + c], c,
                            wantCounts[c]);
              ok = false;
            }
        }
      }
      if (!ok) {
        ++failures;
        std::printf("FAIL softmax %s n=%lld\n",
                    bits ? ("exaq" + std::to_string(bits)).c_str() : "exact",
                    (long long)n);
      }
      if (bits < 1 || bits > 4)
        continue;
      // The compact form of up to 4 bits: the codes and each row's output
      // per code, bit for bit numerics::exaqSoftmaxRowCodes's.
      ++cases;
      ++compact;
      num::ExaqQuantizer q{bits, bits == 1 ? -3.0 : -8.0};
      std::vector<float> table = q.exponentTable();
      Buffer<float> lut(table);
      Buffer<int8_t> codes(rows * n);
      Buffer<int32_t> counts(rows * q.levels());
      Buffer<float> rowTable(rows * q.levels());
      cuda::Arguments args;
      args.memref(xd.device, x.size())
          .memref(codes.device, codes.count)
          .index(n)
          .f32(q.clipF32())
          .f32(q.inverseStepF32())
          .memref(lut.device, table.size())
          .memref(counts.device, counts.count)
          .memref(rowTable.device, rowTable.count);
      cuda::launch(
          module.function("mx_softmax_exaq" + std::to_string(bits) + "_codes"),
          rows, kSoftmaxThreads, args);
      std::vector<int8_t> gotCodes = codes.read();
      std::vector<int32_t> gotCounts = counts.read();
      std::vector<float> gotTable = rowTable.read();
      std::vector<int8_t> wantCodes(n);
      std::vector<float> wantTable(q.levels());
      std::vector<uint32_t> wantCounts;
      ok = true;
      for (int64_t r = 0; r < rows; ++r) {
        num::exaqSoftmaxRowCodes(q, &x[r * n], n, wantCodes.data(),
                                 wantTable.data(), &wantCounts);
        ok &= std::memcmp(&gotCodes[r * n], wantCodes.data(), n) == 0 &&
              std::memcmp(&gotTable[r * q.levels()], wantTable.data(),
                          sizeof(float) * q.levels()) == 0;
        for (int c = 0; c < q.levels(); ++c)
          ok &= gotCounts[r * q.levels() + c] ==
                static_cast<int32_t>(wantCounts[c]);
      }
      if (!ok) {
        ++failures;
        std::printf("FAIL softmax exaq%d codes n=%lld\n", bits, (long long)n);
      }
    }
  }
  std::printf("softmax: %d of %d cases exact (EXAQ: bit for bit with the "
              "library, counts too; %d of them the compact form)\n",
              cases - failures, cases, compact);
  return failures;
}

/// Attention operands in the kernel's layout: q and out [heads, queries,
/// d]; key j of KV head g at k[offset + g * stride + j * d ...] (a layer of
/// a KV cache of `stride / d` keys), likewise v.
struct AttentionCase {
  int64_t heads, kvHeads, d, keys, queries, stride, offset;
  /// Of the keys, how many the kernel takes from its key-offset buffer
  /// (a decode step's position) instead of its `keys` argument.
  int64_t keyOffset = 0;
  /// The output as [queries, heads, D] instead of [heads, queries, D].
  bool rowsFirst = false;
  /// Query heads per block (the kernel "_q<G>" for G > 1; GQA).
  int64_t groupHeads = 1;
  /// Splits of each row's keys (the kernel "_split" and the merge kernel
  /// for more than 1; flash-decoding).
  int64_t splits = 1;

  /// Where output row i of head h starts.
  int64_t outRow(int64_t h, int64_t i) const {
    return rowsFirst ? (i * heads + h) * d : (h * queries + i) * d;
  }
  std::vector<float> q, k, v;
  std::vector<int32_t> tiles; // kept tiles, ascending

  float key(int64_t g, int64_t j, int64_t e) const {
    return k[offset + g * stride + j * d + e];
  }
  float value(int64_t g, int64_t j, int64_t e) const {
    return v[offset + g * stride + j * d + e];
  }
};

AttentionCase attentionCase(int64_t heads, int64_t kvHeads, int64_t d,
                            int64_t keys, double maskedFraction,
                            std::mt19937 &rng, int64_t queries = 1,
                            int64_t spareKeys = 0, int64_t offset = 0) {
  AttentionCase c{heads,  kvHeads, d,     keys, queries, (keys + spareKeys) * d,
                  offset, 0,       false, 1,    1,       {},
                  {},     {},      {}};
  std::normal_distribution<float> normal(0.0f, 1.0f);
  c.q.resize(heads * queries * d);
  c.k.resize(offset + kvHeads * c.stride);
  c.v.resize(offset + kvHeads * c.stride);
  for (auto *x : {&c.q, &c.k, &c.v})
    for (float &e : *x)
      e = normal(rng);
  const int64_t tiles = (keys + kAttentionTile - 1) / kAttentionTile;
  std::vector<int32_t> all(tiles);
  for (int64_t t = 0; t < tiles; ++t)
    all[t] = static_cast<int32_t>(t);
  std::shuffle(all.begin(), all.end(), rng);
  const int64_t kept = tiles - static_cast<int64_t>(maskedFraction * tiles);
  c.tiles.assign(all.begin(), all.begin() + kept);
  std::sort(c.tiles.begin(), c.tiles.end());
  return c;
}

/// The attention of a case: one launch, or with splits the split kernel's
/// into a buffer of records and the merge kernel's.
struct AttentionRun {
  Launch attention;
  std::unique_ptr<Buffer<float>> partial;
  std::unique_ptr<Launch> merge;
  void operator()() {
    attention();
    if (merge)
      (*merge)();
  }
};

AttentionRun attentionLaunch(const cuda::Module &module, const AttentionCase &c,
                             bool sparse, const Buffer<float> &q,
                             const Buffer<float> &k, const Buffer<float> &v,
                             const Buffer<int32_t> &tiles, Buffer<float> &out,
                             const Buffer<int64_t> &keyOffset) {
  const bool split = c.splits > 1;
  AttentionRun run{
      {module.function(
           std::string("mx_attention_decode_") + (sparse ? "sparse" : "dense") +
           "_d" + std::to_string(c.d) +
           (c.groupHeads > 1 ? "_q" + std::to_string(c.groupHeads) : "") +
           (split ? "_split" : "")),
       static_cast<unsigned>(c.heads / c.groupHeads * c.splits),
       static_cast<unsigned>(c.queries),
       kAttentionThreads,
       {}},
      nullptr,
      nullptr};
  Launch &l = run.attention;
  l.args.memref(q.device, q.count)
      .memref(k.device, k.count - c.offset, c.offset)
      .memref(v.device, v.count - c.offset, c.offset)
      .memref(out.device, out.count);
  if (sparse)
    l.args.memref(tiles.device, tiles.count)
        .index(static_cast<int64_t>(c.tiles.size()));
  l.args.index(c.keys - c.keyOffset)
      .index(c.heads)
      .index(c.kvHeads)
      .index(c.stride)
      .index(c.stride)
      .index(c.queries)
      .f32(static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d))))
      .memref(keyOffset.device, 1)
      .index(c.rowsFirst ? c.d : c.queries * c.d)
      .index(c.rowsFirst ? c.heads * c.d : c.d);
  if (!split)
    return run;
  // Records of (D + 2) floats a (head, row, split), NaN until written.
  run.partial = std::make_unique<Buffer<float>>(c.heads * c.queries * c.splits *
                                                (c.d + 2));
  l.args.memref(run.partial->device, run.partial->count).index(c.splits);
  run.merge = std::make_unique<Launch>(
      Launch{module.function("mx_attention_merge_d" + std::to_string(c.d)),
             static_cast<unsigned>(c.heads),
             static_cast<unsigned>(c.queries),
             kAttentionThreads,
             {}});
  run.merge->args.memref(run.partial->device, run.partial->count)
      .memref(out.device, out.count)
      .index(c.heads)
      .index(c.queries)
      .index(c.splits)
      .index(c.rowsFirst ? c.d : c.queries * c.d)
      .index(c.rowsFirst ? c.heads * c.d : c.d);
  return run;
}

/// Attention (dense: every key; sparse: the keys of the kept tiles; query
/// row i sees the keys up to keys - queries + i) against float64, within
/// 2e-5 * max|v| (f32 sums, ex2.approx). Decode (one query row) and prefill
/// rows, head dimensions below and above one per lane, a layer's slice of a
/// KV cache (spare keys, an offset); every other case with the kernel whose
/// blocks compute the 4 query heads of a KV head; two cases of three with
/// the keys split across blocks and merged: in 3, and in as many as a
/// model would take (attentionSplits; 1 where the cache is short).
int testAttention(const cuda::Module &module) {
  std::mt19937 rng(9);
  int failures = 0, cases = 0, grouped = 0, split = 0;
  struct Shape {
    int64_t d, queries, spareKeys, offset;
  };
  for (Shape shape :
       {Shape{64, 1, 0, 0}, Shape{128, 1, 0, 0}, Shape{8, 1, 7, 8},
        Shape{16, 3, 0, 0}, Shape{64, 5, 64, 4 * 64 * 80}})
    for (int64_t keys : {5, 100, 1000, 4096})
      for (double masked : {0.0, 0.5, 1.0})
        for (bool sparse : {false, true}) {
          if (!sparse && masked > 0)
            continue;
          const int64_t d = shape.d;
          AttentionCase c =
              attentionCase(8, 2, d, keys, masked, rng, shape.queries,
                            shape.spareKeys, shape.offset);
          Buffer<float> q(c.q), k(c.k), v(c.v), out(c.heads * c.queries * d);
          std::vector<int32_t> tileList = c.tiles;
          if (tileList.empty())
            tileList.push_back(0); // a valid buffer; num_tiles is 0
          Buffer<int32_t> tiles(tileList);
          // Half the cases take the first query row's position from the
          // key-offset buffer, as a decode step does.
          if (keys % 2 == 0)
            c.keyOffset = keys - c.queries;
          // And half write [queries, heads, D], as the model's output
          // projection reads it.
          c.rowsFirst = keys % 10 == 0;
          if (cases % 2) {
            c.groupHeads = 4;
            ++grouped;
          }
          if (cases % 3 == 1)
            c.splits = 3;
          else if (cases % 3 == 2)
            c.splits = mxc::gpu::attentionSplits(
                c.heads / c.groupHeads * c.queries, c.stride / d);
          split += c.splits > 1;
          Buffer<int64_t> keyOffset(std::vector<int64_t>{c.keyOffset});
          attentionLaunch(module, c, sparse, q, k, v, tiles, out, keyOffset)();
          std::vector<float> got = out.read();
          const double scale = 1.0 / std::sqrt(static_cast<double>(d));
          bool ok = true;
          double maxV = 0;
          for (float e : c.v)
            maxV = std::max(maxV, static_cast<double>(std::fabs(e)));
          for (int64_t i = 0; i < c.queries; ++i) {
            const int64_t rowKeys = keys - c.queries + i + 1;
            std::vector<int64_t> visible;
            for (int32_t t : c.tiles)
              for (int64_t j = t * kAttentionTile;
                   j < std::min<int64_t>(rowKeys, (t + 1) * kAttentionTile);
                   ++j)
                visible.push_back(j);
            if (!sparse) {
              visible.clear();
              for (int64_t j = 0; j < rowKeys; ++j)
                visible.push_back(j);
            }
            for (int64_t h = 0; h < c.heads; ++h) {
              int64_t g = h / (c.heads / c.kvHeads);
              const float *qRow = &c.q[(h * c.queries + i) * d];
              std::vector<double> score;
              double m = -INFINITY;
              for (int64_t j : visible) {
                double dot = 0;
                for (int64_t e = 0; e < d; ++e)
                  dot += double(qRow[e]) * c.key(g, j, e);
                score.push_back(dot * scale);
                m = std::max(m, score.back());
              }
              double sum = 0;
              for (double &x : score)
                sum += (x = std::exp(x - m));
              for (int64_t e = 0; e < d; ++e) {
                double want = 0;
                for (size_t n = 0; n < visible.size(); ++n)
                  want += score[n] / sum * c.value(g, visible[n], e);
                ok &= std::fabs(got[c.outRow(h, i) + e] - want) <= 2e-5 * maxV;
              }
            }
          }
          ++cases;
          if (!ok) {
            ++failures;
            std::printf("FAIL attention %s d=%lld queries=%lld keys=%lld "
                        "masked=%.0f%% query heads a block=%lld splits=%lld\n",
                        sparse ? "sparse" : "dense", (long long)d,
                        (long long)c.queries, (long long)keys, 100 * masked,
                        (long long)c.groupHeads, (long long)c.splits);
          }
        }
  std::printf("attention: %d of %d cases within 2e-5 * max|v| of float64 "
              "(%d of them 4 query heads a block, %d split across blocks)\n",
              cases - failures, cases, grouped, split);
  return failures;
}

/// Median of `runs` timings of `body`, each after evicting L2 by writing a
/// buffer twice its size.
template <typename F>
double medianMs(int runs, void *flush, size_t flushWords, F &&body) {
  std::vector<double> ms;
  cuda::Timer timer;
  for (int i = 0; i < runs; ++i) {
    if (flush)
      cuda::fill(flush, i, flushWords);
    timer.start();
    body();
    ms.push_back(timer.stop());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

/// Two launches timed alternated, in 4 rounds of medianMs(5, ...) each:
/// each one's upper median of its 4 rounds, in ms.
std::pair<double, double> alternatedMs(Launch &a, Launch &b, void *flush,
                                       size_t flushWords) {
  std::vector<double> aMs, bMs;
  for (int round = 0; round < 4; ++round) {
    aMs.push_back(medianMs(5, flush, flushWords, a));
    bMs.push_back(medianMs(5, flush, flushWords, b));
  }
  std::sort(aMs.begin(), aMs.end());
  std::sort(bMs.begin(), bMs.end());
  return {aMs[2], bMs[2]};
}

int bench(const cuda::Module &module) {
  const size_t flushBytes =
      std::max<int64_t>(2 * cuda::l2CacheBytes(), 1 << 26);
  void *flush = cuda::allocate(flushBytes);
  char date[32];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  std::printf("# mxc GPU kernels on %s (sm_%d, %d SMs, L2 %lld MiB), %s\n\n",
              cuda::deviceName().c_str(), cuda::computeCapability(),
              cuda::multiprocessorCount(),
              (long long)(cuda::l2CacheBytes() >> 20), date);
  // Device-to-device copy of 1 GiB: bytes read + written per second.
  const size_t copyBytes = size_t(1) << 30;
  void *a = cuda::allocate(copyBytes), *b = cuda::allocate(copyBytes);
  double copyMs = medianMs(10, nullptr, 0,
                           [&] { cuda::copyDeviceToDevice(b, a, copyBytes); });
  cuda::release(a);
  cuda::release(b);
  const double copyGBs = 2.0 * copyBytes / copyMs / 1e6;
  std::printf("device-to-device copy: %.0f GB/s (bytes read + written)\n\n",
              copyGBs);
  std::printf("## MX GEMV, batch 1 (L2 flushed before each run; the two "
              "kernels alternated in 4 rounds of 5 runs, the upper median "
              "round)\n\nx staged through shared memory (the kernel a model "
              "runs), and read where it is (\"_unstaged\"), alternated."
              "\n\n| format | N x K | time (us) | GB/s | of copy | "
              "unstaged (us) | staged speed-up |\n"
              "|--------|-------|-----------|------|---------|"
              "---------------|-----------------|\n");
  std::mt19937 rng(3);
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{4096, 4096}, {14336, 4096}})
    for (num::ElemFormat f : num::kAllElemFormats) {
      const int64_t n = rows, k = cols;
      Gemv g = quantizedWeight(f, n, k, rng, false);
      std::vector<float> x(k, 0.5f);
      Buffer<uint8_t> w(g.data), s(g.scales);
      Buffer<float> xd(x), y(n);
      Launch gemv = gemvLaunch(module, f, 1, w, s, xd, y, 1, n, k);
      Launch unstaged =
          gemvLaunch(module, f, 1, w, s, xd, y, 1, n, k, nullptr, true);
      auto [ms, plainMs] = alternatedMs(gemv, unstaged, flush, flushBytes / 4);
      double bytes = g.data.size() + g.scales.size() + 4.0 * (k + n);
      double gbs = bytes / ms / 1e6;
      std::printf("| %s | %lld x %lld | %.1f | %.0f | %.0f%% | %.1f | "
                  "%.2fx |\n",
                  formatName(f), (long long)n, (long long)k, ms * 1e3, gbs,
                  100.0 * gbs / copyGBs, plainMs * 1e3, plainMs / ms);
    }
  // The prefill: the tensor-core GEMM against the 8-row GEMV the model ran
  // before it (which reads the weight once every 8 rows), alternated as
  // above. TFLOP/s of the 2 M N K multiply-adds; the PyTorch table
  // (torch_baseline.py) has cuBLAS bf16 on the same shapes.
  std::printf("\n## Prefill GEMM on tensor cores, M = 512 rows (the two "
              "kernels alternated in 4 rounds of 5 runs, the upper median "
              "round)\n\n| format | N x K | GEMM (us) | TFLOP/s | GEMV, 8 "
              "rows a tile (us) | GEMM speed-up |\n"
              "|--------|-------|-----------|---------|"
              "--------------------------|---------------|\n");
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{4096, 4096}, {14336, 4096}})
    for (num::ElemFormat f : num::kAllElemFormats) {
      const int64_t m = 512, n = rows, k = cols;
      Gemv g = quantizedWeight(f, n, k, rng, false);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> x = normalValues(m * k, normal, rng);
      Buffer<uint8_t> w(g.data), s(g.scales);
      Buffer<float> xd(x), y(m * n);
      Launch gemm = gemmLaunch(module, f, w, s, xd, y, m, n, k);
      Launch gemv = gemvLaunch(module, f, 8, w, s, xd, y, m, n, k);
      auto [ms, plainMs] = alternatedMs(gemm, gemv, flush, flushBytes / 4);
      std::printf("| %s | %lld x %lld | %.1f | %.1f | %.1f | %.1fx |\n",
                  formatName(f), (long long)n, (long long)k, ms * 1e3,
                  2.0 * m * n * k / ms / 1e9, plainMs * 1e3, plainMs / ms);
    }
  std::printf("\n## Softmax, 4096 rows x 4096 (f32 in; f32 out, or the "
              "compact form: i8 codes and each row's output per code; "
              "median of 20)\n\n"
              "| kernel | time (us) | speed-up over exact |\n"
              "|--------|-----------|---------------------|\n");
  const int64_t rows = 4096, n = 4096;
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x = normalValues(rows * n, normal, rng);
  Buffer<float> xd(x), y(rows * n);
  Buffer<int8_t> codes(rows * n);
  double exactMs = 0;
  for (auto [bits, compact] : {std::pair<int, bool>{0, false},
                               {2, false},
                               {3, false},
                               {4, false},
                               {2, true},
                               {4, true}}) {
    num::ExaqQuantizer q{bits ? bits : 2, -8.0};
    std::vector<float> table = q.exponentTable();
    Buffer<float> lut(table);
    Buffer<int32_t> counts(rows * q.levels());
    Buffer<float> rowTable(rows * q.levels());
    cuda::Arguments args;
    args.memref(xd.device, x.size());
    if (compact)
      args.memref(codes.device, codes.count);
    else
      args.memref(y.device, x.size());
    args.index(n);
    if (bits)
      args.f32(q.clipF32())
          .f32(q.inverseStepF32())
          .memref(lut.device, table.size())
          .memref(counts.device, counts.count);
    if (compact)
      args.memref(rowTable.device, rowTable.count);
    std::string name = bits ? "mx_softmax_exaq" + std::to_string(bits) +
                                  (compact ? "_codes" : "")
                            : std::string("mx_softmax_exact");
    void *f = module.function(name);
    double ms = medianMs(20, flush, flushBytes / 4,
                         [&] { cuda::launch(f, rows, kSoftmaxThreads, args); });
    if (!bits)
      exactMs = ms;
    std::printf("| %s | %.1f | %.2fx |\n", name.c_str(), ms * 1e3,
                exactMs / ms);
  }

  std::printf("\n## Decode attention, 32 heads over 8 KV heads, d 128 "
              "(f32; median of 20)\n\nMasked context in runs of %d keys "
              "(whole KV tiles).\n\n| keys | masked | dense (us) | sparse "
              "(us) | speed-up |\n|------|--------|------------|-------------"
              "|----------|\n",
              static_cast<int>(kAttentionTile));
  for (int64_t keys : {4096, 16384})
    for (double masked : {0.0, 0.25, 0.5, 0.75}) {
      AttentionCase c = attentionCase(32, 8, 128, keys, masked, rng);
      Buffer<float> q(c.q), k(c.k), v(c.v), out(c.heads * c.d);
      Buffer<int32_t> tiles(c.tiles);
      Buffer<int64_t> keyOffset(std::vector<int64_t>{0});
      AttentionRun denseRun = attentionLaunch(module, c, false, q, k, v, tiles,
                                              out, keyOffset),
                   sparseRun = attentionLaunch(module, c, true, q, k, v, tiles,
                                               out, keyOffset);
      double dense = medianMs(20, flush, flushBytes / 4, denseRun);
      double sparse = medianMs(20, flush, flushBytes / 4, sparseRun);
      std::printf("| %lld | %.0f%% | %.1f | %.1f | %.2fx |\n", (long long)keys,
                  100 * masked, dense * 1e3, sparse * 1e3, dense / sparse);
    }
  std::printf("\n## Decode attention with GQA: one block per query head, or "
              "per KV head (its 4 query heads; keys and values read once)"
              "\n\n32 heads over 8 KV heads, d 128, dense, median of 20."
              "\n\n| keys | a block per query head (us) | a block per KV "
              "head (us) | speed-up |\n|------|-----------------------------"
              "|----------------------------|----------|\n");
  for (int64_t keys : {1024, 4096, 16384}) {
    AttentionCase c = attentionCase(32, 8, 128, keys, 0.0, rng);
    Buffer<float> q(c.q), k(c.k), v(c.v), out(c.heads * c.d);
    Buffer<int32_t> tiles(c.tiles);
    Buffer<int64_t> keyOffset(std::vector<int64_t>{0});
    AttentionRun perHead =
        attentionLaunch(module, c, false, q, k, v, tiles, out, keyOffset);
    c.groupHeads = 4;
    AttentionRun perKVHead =
        attentionLaunch(module, c, false, q, k, v, tiles, out, keyOffset);
    double one = medianMs(20, flush, flushBytes / 4, perHead);
    double four = medianMs(20, flush, flushBytes / 4, perKVHead);
    std::printf("| %lld | %.1f | %.1f | %.2fx |\n", (long long)keys, one * 1e3,
                four * 1e3, one / four);
  }
  std::printf("\n## Decode attention split across the keys (flash-decoding)"
              "\n\n32 heads over 8 KV heads (a block per KV head), d 128, "
              "dense, median of 20: the 8 blocks of a step alone, or S "
              "blocks each over the keys (S from attentionSplits, as a model "
              "takes it for a cache of these keys) and the merge kernel. "
              "GB/s: keys and values read (f32) per second.\n\n| keys | "
              "unsplit (us) | S | split + merge (us) | GB/s | of copy | "
              "speed-up |\n|------|--------------|---|--------------------|"
              "------|---------|----------|\n");
  for (int64_t keys : {1024, 4096, 16384, 32768}) {
    AttentionCase c = attentionCase(32, 8, 128, keys, 0.0, rng);
    c.groupHeads = 4;
    Buffer<float> q(c.q), k(c.k), v(c.v), out(c.heads * c.d);
    Buffer<int32_t> tiles(c.tiles);
    Buffer<int64_t> keyOffset(std::vector<int64_t>{0});
    AttentionRun whole =
        attentionLaunch(module, c, false, q, k, v, tiles, out, keyOffset);
    c.splits = mxc::gpu::attentionSplits(c.heads / c.groupHeads, keys);
    AttentionRun splitRun =
        attentionLaunch(module, c, false, q, k, v, tiles, out, keyOffset);
    double wholeMs = medianMs(20, flush, flushBytes / 4, whole);
    double splitMs = medianMs(20, flush, flushBytes / 4, splitRun);
    const double gbs = 2.0 * c.kvHeads * keys * c.d * 4 / splitMs / 1e6;
    std::printf("| %lld | %.1f | %lld | %.1f | %.0f | %.0f%% | %.2fx |\n",
                (long long)keys, wholeMs * 1e3, (long long)c.splits,
                splitMs * 1e3, gbs, 100 * gbs / copyGBs, wholeMs / splitMs);
  }
  cuda::release(flush);
  return 0;
}

} // namespace

int runModel(int argc, char **argv);

int main(int argc, char **argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "model")
    return runModel(argc, argv);
  if (command == "--version") {
    std::printf("mxc-gpu-runner (mxc %s, git %s)\n", MXC_VERSION,
                MXC_GIT_COMMIT);
    return 0;
  }
  const bool help = command == "--help" || command == "-h";
  if (help || (command != "test" && command != "bench" && command != "probe")) {
    std::fprintf(help ? stdout : stderr,
                 "usage: mxc-gpu-runner test|bench|probe|model\n"
                 "  test   run every mxc GPU kernel against the numerics "
                 "library\n"
                 "  bench  print the benchmark tables\n"
                 "  probe  print the device, or why there is none\n"
                 "  model MODEL.so REFERENCE [--cpu] [--no-graph] "
                 "[--check-only] [--tolerance T]\n"
                 "         check a model from mxc-compile --target=cuda "
                 "against\n"
                 "         mxc-run --save-logits, and time its prefill and "
                 "decode\n"
                 "         (decode steps as CUDA graphs, replayed as "
                 "captured where the\n"
                 "         position is in device memory, and launch by "
                 "launch; --check-only: no timing)\n");
    return help ? 0 : 2;
  }
  std::string why;
  if (!cuda::tryInitialize(why)) {
    std::printf("mxc-gpu-runner: %s; skipped\n", why.c_str());
    return kSkipped;
  }
  std::printf("device: %s (compute capability %d.%d)\n",
              cuda::deviceName().c_str(), cuda::computeCapability() / 10,
              cuda::computeCapability() % 10);
  if (command == "probe") {
    std::printf("driver: %s\n", cuda::driverPath().c_str());
    return 0;
  }
  cuda::Module module(kernelImage());
  if (command == "bench")
    return bench(module);
  int failures = testGemv(module) + testGemm(module) + testSoftmax(module) +
                 testAttention(module);
  std::printf(failures ? "FAILED: %d cases\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
