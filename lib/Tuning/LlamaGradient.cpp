//===- LlamaGradient.cpp - The Llama forward and backward pass ------------===//

#include "mxc/Tuning/LlamaGradient.h"

#include "mxc/Numerics/ExpLanes.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Numerics/MX.h"
#include "mxc/Runtime/CPUKernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

using namespace mxc;
using namespace mxc::tuning;
using frontend::LlamaConfig;

namespace {

std::vector<float> copy(llvm::ArrayRef<float> a) {
  return {a.begin(), a.end()};
}

/// The causal softmax rows' inner loops, 8 lanes at a time: on AVX2 + FMA
/// where the CPU kernels' variant has them (one 256-bit register), else on
/// the baseline instruction set (two SSE ones). Sums and dot products
/// accumulate in f64.
typedef float Floats __attribute__((vector_size(32)));
typedef double Doubles __attribute__((vector_size(64)));
constexpr int64_t kFloats = 8;

/// The first `lanes` floats at p, the other lanes `fill`.
[[gnu::always_inline]] inline Floats loadLanes(const float *p, int64_t lanes,
                                               float fill) {
  Floats v = Floats{} + fill;
  if (lanes == kFloats)
    std::memcpy(&v, p, sizeof(v)); // in a register, not through memory
  else
    std::memcpy(&v, p, lanes * sizeof(float));
  return v;
}

[[gnu::always_inline]] inline void storeLanes(float *p, Floats v,
                                              int64_t lanes) {
  if (lanes == kFloats)
    std::memcpy(p, &v, sizeof(v));
  else
    std::memcpy(p, &v, lanes * sizeof(float));
}

/// The causal softmax of a row in place: its first n scores become
/// exp(s - max) / sum (numerics::expLanes, the sum in f64), the rest of its
/// `length` entries 0.
[[gnu::always_inline]] inline void softmaxRowImpl(float *row, int64_t n,
                                                  int64_t length) {
  Floats top = Floats{} - INFINITY;
  for (int64_t u = 0; u < n; u += kFloats) {
    Floats v = loadLanes(row + u, std::min<int64_t>(kFloats, n - u), -INFINITY);
    top = top > v ? top : v;
  }
  float max = top[0];
  for (int64_t l = 1; l < kFloats; ++l)
    max = std::max(max, top[l]);
  Doubles sum = {};
  for (int64_t u = 0; u < n; u += kFloats) {
    const int64_t lanes = std::min<int64_t>(kFloats, n - u);
    // The lanes past n give exp 0.
    Floats v = numerics::expLanes(loadLanes(row + u, lanes, -INFINITY) - max);
    storeLanes(row + u, v, lanes);
    sum += __builtin_convertvector(v, Doubles);
  }
  double total = 0;
  for (int64_t l = 0; l < kFloats; ++l)
    total += sum[l];
  const float inverse = static_cast<float>(1 / total);
  for (int64_t u = 0; u < n; ++u)
    row[u] *= inverse;
  std::fill(row + n, row + length, 0.f);
}

/// The softmax backward of a row in place: with p the probabilities and dp
/// the gradient at them, dp[u] = p[u] (dp[u] - p . dp) scale for u < n.
[[gnu::always_inline]] inline void
softmaxBackwardImpl(const float *p, float *dp, int64_t n, float scale) {
  Doubles dot = {};
  for (int64_t u = 0; u < n; u += kFloats) {
    const int64_t lanes = std::min<int64_t>(kFloats, n - u);
    Floats a = loadLanes(p + u, lanes, 0), b = loadLanes(dp + u, lanes, 0);
    dot += __builtin_convertvector(a, Doubles) *
           __builtin_convertvector(b, Doubles);
  }
  double total = 0;
  for (int64_t l = 0; l < kFloats; ++l)
    total += dot[l];
  for (int64_t u = 0; u < n; ++u)
    dp[u] = static_cast<float>(p[u] * (dp[u] - total) * scale);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void softmaxRowAVX2(float *row, int64_t n,
                                                        int64_t length) {
  softmaxRowImpl(row, n, length);
}
__attribute__((target("avx2,fma"))) void
softmaxBackwardAVX2(const float *p, float *dp, int64_t n, float scale) {
  softmaxBackwardImpl(p, dp, n, scale);
}
#endif

/// Whether the AVX2 + FMA loops run: where the CPU kernels' variant in use
/// (cpu::kernelISA: the best the CPU runs, or the one a test or
/// MXC_CPU_KERNELS chose) has them.
bool useAVX2() {
#if defined(__x86_64__)
  return std::strcmp(cpu::kernelISA(), "generic") != 0;
#else
  return false;
#endif
}

void softmaxRow(float *row, int64_t n, int64_t length) {
#if defined(__x86_64__)
  if (useAVX2())
    return softmaxRowAVX2(row, n, length);
#endif
  softmaxRowImpl(row, n, length);
}

void softmaxBackward(const float *p, float *dp, int64_t n, float scale) {
#if defined(__x86_64__)
  if (useAVX2())
    return softmaxBackwardAVX2(p, dp, n, scale);
#endif
  softmaxBackwardImpl(p, dp, n, scale);
}

/// Y[T, N] = X[T, K] W[N, K]^T.
void matmul(const float *x, const float *w, float *y, int64_t t, int64_t n,
            int64_t k) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, n, k, 1.f, x, k, w, k,
              0.f, y, n);
}

/// dX[T, K] (+)= dY[T, N] W[N, K]; dW[N, K] += dY^T X.
void matmulBackward(const float *x, const float *w, const float *dy, float *dx,
                    bool accumulateDx, float *dw, int64_t t, int64_t n,
                    int64_t k) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, k, n, 1.f, dy, n, w,
              k, accumulateDx ? 1.f : 0.f, dx, k);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, t, 1.f, dy, n, x,
              k, 1.f, dw, k);
}

/// y = x / rms(x) * g per row; `inverse` receives 1 / rms per row.
void rmsnorm(const float *x, const std::vector<float> &g, float *y,
             std::vector<double> &inverse, int64_t t, int64_t d, double eps) {
  inverse.resize(t);
  for (int64_t i = 0; i < t; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j)
      ss += static_cast<double>(x[i * d + j]) * x[i * d + j];
    double r = 1.0 / std::sqrt(ss / d + eps);
    inverse[i] = r;
    for (int64_t j = 0; j < d; ++j)
      y[i * d + j] = static_cast<float>(x[i * d + j] * r * g[j]);
  }
}

/// With u = g dy: dx += r u - x r^3 (x . u) / d; dg += dy x r.
void rmsnormBackward(const float *x, const std::vector<float> &g,
                     const std::vector<double> &inverse, const float *dy,
                     float *dx, std::vector<float> &dg, int64_t t, int64_t d) {
  for (int64_t i = 0; i < t; ++i) {
    double r = inverse[i], dot = 0;
    for (int64_t j = 0; j < d; ++j) {
      double u = static_cast<double>(g[j]) * dy[i * d + j];
      dot += x[i * d + j] * u;
      dg[j] += static_cast<float>(dy[i * d + j] * x[i * d + j] * r);
    }
    double c = r * r * r * dot / d;
    for (int64_t j = 0; j < d; ++j)
      dx[i * d + j] +=
          static_cast<float>(r * g[j] * dy[i * d + j] - x[i * d + j] * c);
  }
}

/// cos and sin of pos * frequency for the positions 0 .. t-1 and the pairs
/// of a head, computed once per forward pass.
struct RopeTable {
  int64_t pairs = 0;
  std::vector<double> cos, sin; ///< [t, pairs]
  RopeTable() = default;
  RopeTable(int64_t t, const LlamaConfig &c) : pairs(c.headDim() / 2) {
    cos.resize(t * pairs);
    sin.resize(t * pairs);
    for (int64_t s = 0; s < t; ++s)
      for (int64_t i = 0; i < pairs; ++i) {
        double angle = s * c.ropeFrequency(i);
        cos[s * pairs + i] = std::cos(angle);
        sin[s * pairs + i] = std::sin(angle);
      }
  }
};

/// Rotates the pairs (2p, 2p + 1) of each head of the rows of `v` ([t, n])
/// by pos * frequency (pos = the row), or back by it (`inverse`: the
/// transpose, which is the rotation's backward).
void rope(float *v, int64_t t, int64_t n, const RopeTable &table,
          bool inverse) {
  const int64_t pairs = table.pairs;
  for (int64_t s = 0; s < t; ++s)
    for (int64_t i = 0; i < n; i += 2) {
      const int64_t at = s * pairs + (i / 2) % pairs;
      double cs = table.cos[at], sn = inverse ? -table.sin[at] : table.sin[at];
      double a = v[s * n + i], b = v[s * n + i + 1];
      v[s * n + i] = static_cast<float>(a * cs - b * sn);
      v[s * n + i + 1] = static_cast<float>(a * sn + b * cs);
    }
}

/// x[i, j] *= factors[j] for the rows of x ([t, k]) when there are factors:
/// the forward's fixed input scale of a matmul (in f32, as the compiled
/// model multiplies), and its backward.
void scaleChannels(float *x, const std::vector<float> &factors, int64_t t,
                   int64_t k) {
  if (factors.empty())
    return;
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < k; ++j)
      x[i * k + j] *= factors[j];
}

/// Adds the gradient of per-channel factors y = x * f to `g` ([k]; empty:
/// no factors), from x and dy ([t, k]).
void addChannelGradient(const std::vector<float> &x, const float *dy,
                        std::vector<float> &g, int64_t t, int64_t k) {
  if (g.empty())
    return;
  for (int64_t j = 0; j < k; ++j) {
    double sum = 0;
    for (int64_t i = 0; i < t; ++i)
      sum += static_cast<double>(x[i * k + j]) * dy[i * k + j];
    g[j] += static_cast<float>(sum);
  }
}

/// The MX rounding of the rows of x ([t, k]) in `format` (blocks of 32):
/// with the spec's or the ceil scales in mxc's quantize kernel (SIMD, bit
/// for bit the library's, what the compiled model runs), with least squares
/// in the library.
void roundRows(const float *x, float *y, int64_t t, int64_t k,
               numerics::ElemFormat format,
               numerics::ScaleChoice scales = numerics::ScaleChoice::Spec) {
  if (scales == numerics::ScaleChoice::LeastSquares) {
    numerics::quantizeDequantize(format, 32, t, k, x, y,
                                 numerics::RoundingMode::NearestEven, scales);
    return;
  }
  cpu::QuantizeProblem p = cpu::QuantizeProblem::rowMajor(x, y, t, k);
  p.format = static_cast<int32_t>(format);
  p.rounding = static_cast<int32_t>(numerics::RoundingMode::NearestEven);
  p.scales = static_cast<int32_t>(scales);
  cpu::quantizeDequantize(p);
}

/// Query rows per block of the attention: a block's products cover only the
/// keys its rows see (causal), about half the T x T work and memory.
constexpr int64_t kQueryRows = 64;

/// Adds to `gradient` the derivative of the loss by each table entry T[q]
/// through one EXAQ softmax row y_i = T[c_i] / S, S = sum_j T[c_j], given
/// the row's codes, its y and dL/dy (`dy`), n entries:
///   dL/dT[q] = (sum_{i: c_i = q} dy_i - count_q sum_i dy_i y_i) / S.
/// `byCode` and `count` are scratch of the table's size (reused per row).
void addTableGradient(const std::vector<float> &table, const uint8_t *codes,
                      const float *y, const float *dy, int64_t n,
                      std::vector<double> &byCode, std::vector<double> &count,
                      std::vector<double> &gradient) {
  const size_t levels = table.size();
  std::fill(byCode.begin(), byCode.end(), 0.0);
  std::fill(count.begin(), count.end(), 0.0);
  double dyY = 0;
  for (int64_t i = 0; i < n; ++i) {
    byCode[codes[i]] += dy[i];
    count[codes[i]] += 1;
    dyY += static_cast<double>(dy[i]) * y[i];
  }
  double sum = 0;
  for (size_t q = 0; q < levels; ++q)
    sum += count[q] * table[q];
  if (!(sum > 0))
    return;
  for (size_t q = 0; q < levels; ++q)
    gradient[q] += (byCode[q] - count[q] * dyY) / sum;
}

/// What one layer's forward keeps for the backward.
struct LayerCache {
  std::vector<float> x;       ///< layer input [T, D]
  std::vector<double> r1, r2; ///< 1 / rms of the two norms
  std::vector<float> xq1;     ///< attention norm output, rounded [T, D]
  std::vector<float> q, k, v; ///< after RoPE: [T, D], [T, KV], [T, KV]
  /// Attention probabilities [H, T, T]: of each block of kQueryRows rows,
  /// the columns of the keys it sees (the rest neither written nor read).
  std::unique_ptr<float[]> p;
  /// With an EXAQ softmax, in a forward pass for the backward one: the
  /// exact softmax of the same scores, laid out
  /// as `p`; the backward pass takes its Jacobian (straight through the
  /// quantized softmax as a whole).
  std::unique_ptr<float[]> pExact;
  /// With tuned softmax levels, in a forward pass for the backward one: the
  /// EXAQ code of each score, laid out as `p`, and the table.
  std::unique_ptr<uint8_t[]> codes;
  std::vector<float> table;
  std::vector<float> oq;       ///< attention output, rounded [T, D]
  std::vector<float> mid;      ///< after the attention residual [T, D]
  std::vector<float> xq2;      ///< FFN norm output, rounded [T, D]
  std::vector<float> a, b, hq; ///< gate, up, silu(gate) * up rounded [T, F]
  /// With input factors on wo and w2, in a forward pass for the backward
  /// one: their inputs before the factors [T, D], [T, F].
  std::vector<float> o, h;
};

struct Forward {
  RopeTable rope;
  std::vector<LayerCache> layers;
  std::vector<float> last; ///< the last layer's output [T, D]
  std::vector<double> rf;
  std::vector<float> xqf;    ///< final norm output, rounded [T, D]
  std::vector<float> logits; ///< [T, V]
};

class Model {
public:
  Model(LlamaParameters &p, const QuantizedView &view)
      : p(p), c(p.config), view(view) {}

  /// The input of matmul `name` as the forward multiplies it: rounded to
  /// the activation format when the matmul's weights are quantized.
  void input(llvm::StringRef name, const float *x, std::vector<float> &out,
             int64_t t, int64_t k) const {
    out.assign(x, x + t * k);
    if (view.quantizers().activations && view.quantizers().weights.count(name))
      roundRows(x, out.data(), t, k, *view.quantizers().activations,
                view.quantizers().activationScales);
  }
  const std::vector<float> &w(llvm::StringRef name,
                              const std::vector<float> &latent) const {
    return view.weights(name, latent);
  }
  static std::string name(int64_t l, const char *what) {
    return "layers." + std::to_string(l) + "." + what;
  }

  /// The forward pass; with `forBackward`, it also keeps what only the
  /// backward pass reads (the exact softmax beside an EXAQ one).
  Forward forward(llvm::ArrayRef<int32_t> tokens, bool forBackward) const {
    const int64_t T = tokens.size(), D = c.dim, KV = c.kvDim(), F = c.hiddenDim,
                  V = c.vocab, H = c.heads, hd = c.headDim(),
                  group = c.heads / c.kvHeads;
    Forward f;
    f.rope = RopeTable(T, c);
    std::vector<float> x(T * D), tmp(T * D), y;
    for (int64_t s = 0; s < T; ++s)
      std::copy_n(&p.embedding[tokens[s] * D], D, &x[s * D]);
    f.layers.resize(c.layers);
    for (int64_t l = 0; l < c.layers; ++l) {
      const LlamaParameters::Layer &L = p.layers[l];
      LayerCache &C = f.layers[l];
      C.x = x;
      rmsnorm(x.data(), L.attentionNorm, tmp.data(), C.r1, T, D, c.normEps);
      input(name(l, "wq"), tmp.data(), C.xq1, T, D);
      C.q.resize(T * D);
      C.k.resize(T * KV);
      C.v.resize(T * KV);
      matmul(C.xq1.data(), w(name(l, "wq"), L.wq).data(), C.q.data(), T, D, D);
      matmul(C.xq1.data(), w(name(l, "wk"), L.wk).data(), C.k.data(), T, KV, D);
      matmul(C.xq1.data(), w(name(l, "wv"), L.wv).data(), C.v.data(), T, KV, D);
      rope(C.q.data(), T, D, f.rope, false);
      rope(C.k.data(), T, KV, f.rope, false);
      // Per head and block of kQueryRows query rows r0 .. r0 + rows - 1 (the
      // keys 0 .. r0 + rows - 1 they see): S = q_h k_g^T / sqrt(hd) on
      // BLAS, the causal softmax of each row (masked entries 0), o_h = P
      // v_g. Entries of P right of a block's keys are never read.
      C.p.reset(new float[H * T * T]);
      std::optional<numerics::ExaqQuantizer> exaq =
          view.quantizers().softmaxOf(l);
      if (exaq && !L.softmaxLevels.empty())
        exaq->table = softmaxTableOf(L.softmaxLevels, exaq->zeroFloor);
      if (exaq && forBackward)
        C.pExact.reset(new float[H * T * T]);
      if (exaq && forBackward && !L.softmaxLevels.empty()) {
        C.codes.reset(new uint8_t[H * T * T]);
        C.table = exaq->table;
      }
      std::vector<float> scores(exaq && !forBackward ? T : 0);
      std::vector<float> o(T * D, 0.f);
      const float scale = 1.f / std::sqrt(static_cast<float>(hd));
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / group;
        for (int64_t r0 = 0; r0 < T; r0 += kQueryRows) {
          const int64_t rows = std::min(kQueryRows, T - r0), keys = r0 + rows;
          float *P = &C.p[h * T * T + r0 * T];
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, hd,
                      scale, &C.q[r0 * D + h * hd], D, &C.k[g * hd], KV, 0.f, P,
                      T);
          for (int64_t s = r0; s < keys; ++s) {
            float *row = &P[(s - r0) * T];
            if (exaq) {
              // The scores copied (EXAQ writes the row it reads): into the
              // exact softmax's row where the backward needs it.
              float *copy =
                  C.pExact ? &C.pExact[h * T * T + s * T] : scores.data();
              std::copy_n(row, s + 1, copy);
              // With tuned levels, the codes too, for the gradient of the
              // table (rows are causal: no masked score).
              numerics::exaqSoftmaxRow(*exaq, copy, s + 1, row, nullptr,
                                       C.codes ? &C.codes[h * T * T + s * T]
                                               : nullptr);
              std::fill(row + s + 1, row + keys, 0.f);
              if (C.pExact)
                softmaxRow(copy, s + 1, keys);
              continue;
            }
            softmaxRow(row, s + 1, keys);
          }
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hd, keys,
                      1.f, P, T, &C.v[g * hd], KV, 0.f, &o[r0 * D + h * hd], D);
        }
      }
      if (forBackward && !L.woInputScale.empty())
        C.o = o;
      scaleChannels(o.data(), L.woInputScale, T, D);
      input(name(l, "wo"), o.data(), C.oq, T, D);
      y.resize(T * D);
      matmul(C.oq.data(), w(name(l, "wo"), L.wo).data(), y.data(), T, D, D);
      for (int64_t i = 0; i < T * D; ++i)
        x[i] += y[i];
      C.mid = x;
      rmsnorm(x.data(), L.ffnNorm, tmp.data(), C.r2, T, D, c.normEps);
      input(name(l, "w1"), tmp.data(), C.xq2, T, D);
      C.a.resize(T * F);
      C.b.resize(T * F);
      matmul(C.xq2.data(), w(name(l, "w1"), L.w1).data(), C.a.data(), T, F, D);
      matmul(C.xq2.data(), w(name(l, "w3"), L.w3).data(), C.b.data(), T, F, D);
      std::vector<float> hidden(T * F);
      for (int64_t i = 0; i < T * F; ++i) {
        double a = C.a[i];
        hidden[i] = static_cast<float>(a / (1 + std::exp(-a)) * C.b[i]);
      }
      if (forBackward && !L.w2InputScale.empty())
        C.h = hidden;
      scaleChannels(hidden.data(), L.w2InputScale, T, F);
      input(name(l, "w2"), hidden.data(), C.hq, T, F);
      matmul(C.hq.data(), w(name(l, "w2"), L.w2).data(), y.data(), T, D, F);
      for (int64_t i = 0; i < T * D; ++i)
        x[i] += y[i];
    }
    f.last = x;
    rmsnorm(x.data(), p.finalNorm, tmp.data(), f.rf, T, D, c.normEps);
    input("classifier", tmp.data(), f.xqf, T, D);
    f.logits.resize(T * V);
    matmul(f.xqf.data(), w("classifier", p.classifier).data(), f.logits.data(),
           T, V, D);
    return f;
  }

  /// Adds the gradient of the loss whose gradient at the logits is
  /// `dlogits` ([T, V]) to `g`.
  void backward(const Forward &f, llvm::ArrayRef<int32_t> tokens,
                const std::vector<float> &dlogits, LlamaParameters &g) const {
    const int64_t T = tokens.size(), D = c.dim, KV = c.kvDim(), F = c.hiddenDim,
                  V = c.vocab, H = c.heads, hd = c.headDim(),
                  group = c.heads / c.kvHeads;
    std::vector<float> dxn(T * D), dx(T * D, 0.f);
    matmulBackward(f.xqf.data(), w("classifier", p.classifier).data(),
                   dlogits.data(), dxn.data(), false, g.classifier.data(), T, V,
                   D);
    rmsnormBackward(f.last.data(), p.finalNorm, f.rf, dxn.data(), dx.data(),
                    g.finalNorm, T, D);
    for (int64_t l = c.layers - 1; l >= 0; --l) {
      const LlamaParameters::Layer &L = p.layers[l];
      LlamaParameters::Layer &G = g.layers[l];
      const LayerCache &C = f.layers[l];
      // FFN: x_out = mid + W2 h, h = silu(a) * b.
      std::vector<float> dh(T * F), da(T * F), db(T * F);
      matmulBackward(C.hq.data(), w(name(l, "w2"), L.w2).data(), dx.data(),
                     dh.data(), false, G.w2.data(), T, D, F);
      addChannelGradient(C.h, dh.data(), G.w2InputScale, T, F);
      scaleChannels(dh.data(), L.w2InputScale, T, F);
      for (int64_t i = 0; i < T * F; ++i) {
        double a = C.a[i], sig = 1 / (1 + std::exp(-a));
        db[i] = static_cast<float>(dh[i] * a * sig);
        da[i] = static_cast<float>(dh[i] * C.b[i] * sig * (1 + a * (1 - sig)));
      }
      matmulBackward(C.xq2.data(), w(name(l, "w1"), L.w1).data(), da.data(),
                     dxn.data(), false, G.w1.data(), T, F, D);
      matmulBackward(C.xq2.data(), w(name(l, "w3"), L.w3).data(), db.data(),
                     dxn.data(), true, G.w3.data(), T, F, D);
      // dx now also flows through the FFN norm into mid.
      rmsnormBackward(C.mid.data(), L.ffnNorm, C.r2, dxn.data(), dx.data(),
                      G.ffnNorm, T, D);
      // Attention: mid = x + Wo o.
      std::vector<float> dout(T * D);
      matmulBackward(C.oq.data(), w(name(l, "wo"), L.wo).data(), dx.data(),
                     dout.data(), false, G.wo.data(), T, D, D);
      addChannelGradient(C.o, dout.data(), G.woInputScale, T, D);
      scaleChannels(dout.data(), L.woInputScale, T, D);
      // Per head and block of query rows (as in the forward): dV_g += P^T
      // dO_h; dP = dO_h v_g^T; dS = P (dP - rowsum(P dP)) / sqrt(hd); dq_h =
      // dS k_g; dk_g += dS^T q_h.
      std::vector<float> dq(T * D, 0.f), dk(T * KV, 0.f), dv(T * KV, 0.f);
      const float scale = 1.f / std::sqrt(static_cast<float>(hd));
      std::vector<float> dS(kQueryRows * T);
      std::vector<double> tableGradient(C.table.size(), 0.0),
          byCode(C.table.size()), codeCount(C.table.size());
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / group;
        for (int64_t r0 = 0; r0 < T; r0 += kQueryRows) {
          const int64_t rows = std::min(kQueryRows, T - r0), keys = r0 + rows;
          const float *P = &C.p[h * T * T + r0 * T];
          const float *J = C.pExact ? &C.pExact[h * T * T + r0 * T] : P;
          const float *dO = &dout[r0 * D + h * hd];
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, hd, rows,
                      1.f, P, T, dO, D, 1.f, &dv[g * hd], KV);
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, hd,
                      1.f, dO, D, &C.v[g * hd], KV, 0.f, dS.data(), T);
          for (int64_t s = r0; s < keys; ++s) {
            float *row = &dS[(s - r0) * T];
            if (C.codes)
              addTableGradient(C.table, &C.codes[h * T * T + s * T],
                               &P[(s - r0) * T], row, s + 1, byCode, codeCount,
                               tableGradient);
            softmaxBackward(&J[(s - r0) * T], row, s + 1, scale);
            std::fill(row + s + 1, row + keys, 0.f);
          }
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hd, keys,
                      1.f, dS.data(), T, &C.k[g * hd], KV, 0.f,
                      &dq[r0 * D + h * hd], D);
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, hd, rows,
                      1.f, dS.data(), T, &C.q[r0 * D + h * hd], D, 1.f,
                      &dk[g * hd], KV);
        }
      }
      // Levels: d/d level_q = T[q] d/dT[q]; the fixed entries (the top, and
      // code 0 with a zero floor) have none.
      if (C.codes) {
        const size_t levels = C.table.size();
        for (size_t q = 0; q + 1 < levels; ++q)
          if (C.table[q] > 0)
            G.softmaxLevels[q] +=
                static_cast<float>(tableGradient[q] * C.table[q]);
      }
      rope(dq.data(), T, D, f.rope, true);
      rope(dk.data(), T, KV, f.rope, true);
      matmulBackward(C.xq1.data(), w(name(l, "wq"), L.wq).data(), dq.data(),
                     dxn.data(), false, G.wq.data(), T, D, D);
      matmulBackward(C.xq1.data(), w(name(l, "wk"), L.wk).data(), dk.data(),
                     dxn.data(), true, G.wk.data(), T, KV, D);
      matmulBackward(C.xq1.data(), w(name(l, "wv"), L.wv).data(), dv.data(),
                     dxn.data(), true, G.wv.data(), T, KV, D);
      rmsnormBackward(C.x.data(), L.attentionNorm, C.r1, dxn.data(), dx.data(),
                      G.attentionNorm, T, D);
    }
  }

private:
  LlamaParameters &p;
  const LlamaConfig &c;
  const QuantizedView &view;
};

/// Row-wise log-softmax of logits [T, V] in f64.
std::vector<double> logSoftmax(const std::vector<float> &logits, int64_t t,
                               int64_t v) {
  std::vector<double> out(t * v);
  for (int64_t i = 0; i < t; ++i) {
    const float *row = &logits[i * v];
    double m = *std::max_element(row, row + v), sum = 0;
    for (int64_t j = 0; j < v; ++j)
      sum += std::exp(row[j] - m);
    double log = m + std::log(sum);
    for (int64_t j = 0; j < v; ++j)
      out[i * v + j] = row[j] - log;
  }
  return out;
}

} // namespace

LlamaParameters LlamaParameters::copyOf(const frontend::LlamaModel &model) {
  LlamaParameters p;
  p.config = model.config;
  p.embedding = copy(model.tokenEmbedding);
  for (const frontend::LlamaLayer &l : model.layers)
    p.layers.push_back({copy(l.attentionNorm), copy(l.wq), copy(l.wk),
                        copy(l.wv), copy(l.wo), copy(l.ffnNorm), copy(l.w1),
                        copy(l.w2), copy(l.w3), copy(l.woInputScale),
                        copy(l.w2InputScale)});
  p.finalNorm = copy(model.finalNorm);
  p.classifier = copy(model.classifier);
  return p;
}

std::vector<float> mxc::tuning::softmaxTableOf(llvm::ArrayRef<float> levels,
                                               bool zeroFloor) {
  std::vector<float> table(levels.size());
  float below = 0.f;
  for (size_t q = 0; q < levels.size(); ++q) {
    table[q] = std::max(below, std::min(1.f, std::exp(levels[q])));
    if (q == 0 && zeroFloor)
      table[q] = 0.f;
    below = table[q];
  }
  if (!table.empty())
    table.back() = 1.f;
  return table;
}

/// The level of a table entry 0: e^level is 0 in f32.
constexpr float kZeroLevel = -200.f;

std::vector<float> mxc::tuning::softmaxLevelsOf(llvm::ArrayRef<float> table) {
  std::vector<float> levels(table.size());
  for (size_t q = 0; q < table.size(); ++q)
    levels[q] = table[q] > 0 ? std::log(table[q]) : kZeroLevel;
  return levels;
}

LlamaParameters LlamaParameters::zerosLike() const {
  auto zeros = [](const std::vector<float> &v) {
    return std::vector<float>(v.size(), 0.f);
  };
  LlamaParameters z;
  z.config = config;
  for (const Layer &l : layers)
    z.layers.push_back({zeros(l.attentionNorm), zeros(l.wq), zeros(l.wk),
                        zeros(l.wv), zeros(l.wo), zeros(l.ffnNorm), zeros(l.w1),
                        zeros(l.w2), zeros(l.w3), zeros(l.woInputScale),
                        zeros(l.w2InputScale), zeros(l.softmaxLevels)});
  z.finalNorm = zeros(finalNorm);
  z.classifier = zeros(classifier);
  return z;
}

void LlamaParameters::setZero() {
  for (Tensor &t : tensors())
    std::fill(t.values->begin(), t.values->end(), 0.f);
}

std::vector<LlamaParameters::Tensor> LlamaParameters::tensors() {
  const LlamaConfig &c = config;
  std::vector<Tensor> out;
  for (auto [l, layer] : llvm::enumerate(layers)) {
    std::string prefix = "layers." + std::to_string(l) + ".";
    out.push_back(
        {prefix + "attention_norm", &layer.attentionNorm, 1, c.dim, false});
    out.push_back({prefix + "wq", &layer.wq, c.dim, c.dim, true});
    out.push_back({prefix + "wk", &layer.wk, c.kvDim(), c.dim, true});
    out.push_back({prefix + "wv", &layer.wv, c.kvDim(), c.dim, true});
    out.push_back({prefix + "wo", &layer.wo, c.dim, c.dim, true});
    if (!layer.woInputScale.empty())
      out.push_back(
          {prefix + "wo_input_scale", &layer.woInputScale, 1, c.dim, false});
    out.push_back({prefix + "ffn_norm", &layer.ffnNorm, 1, c.dim, false});
    out.push_back({prefix + "w1", &layer.w1, c.hiddenDim, c.dim, true});
    out.push_back({prefix + "w2", &layer.w2, c.dim, c.hiddenDim, true});
    out.push_back({prefix + "w3", &layer.w3, c.hiddenDim, c.dim, true});
    if (!layer.w2InputScale.empty())
      out.push_back({prefix + "w2_input_scale", &layer.w2InputScale, 1,
                     c.hiddenDim, false});
    if (!layer.softmaxLevels.empty())
      out.push_back({prefix + "softmax_levels", &layer.softmaxLevels, 1,
                     static_cast<int64_t>(layer.softmaxLevels.size()), false});
  }
  out.push_back({"final_norm", &finalNorm, 1, c.dim, false});
  out.push_back({"classifier", &classifier, c.vocab, c.dim, true});
  return out;
}

frontend::LlamaModel LlamaParameters::view() const {
  frontend::LlamaModel m;
  m.config = config;
  m.tokenEmbedding = embedding;
  for (const Layer &l : layers)
    m.layers.push_back({l.attentionNorm, l.wq, l.wk, l.wv, l.wo, l.ffnNorm,
                        l.w1, l.w2, l.w3, l.woInputScale, l.w2InputScale});
  m.finalNorm = finalNorm;
  m.classifier = classifier;
  return m;
}

QuantizedView::QuantizedView(LlamaParameters &params,
                             const Quantizers &quantizers)
    : q(quantizers) {
  // Every forward and backward takes a view: the BLAS below runs the host's
  // kernels from the first.
  numerics::useHostBlasKernels();
  for (const LlamaParameters::Tensor &t : params.tensors()) {
    auto it = q.weights.find(t.name);
    if (!t.isMatmul || it == q.weights.end())
      continue;
    std::vector<float> &out = rounded[t.name];
    out.resize(t.values->size());
    roundRows(t.values->data(), out.data(), t.rows, t.cols, it->second,
              q.weightScales);
  }
}

const std::vector<float> &
QuantizedView::weights(llvm::StringRef name,
                       const std::vector<float> &latent) const {
  auto it = rounded.find(name);
  return it == rounded.end() ? latent : it->second;
}

std::vector<double>
mxc::tuning::logProbabilities(LlamaParameters &params,
                              const QuantizedView &view,
                              llvm::ArrayRef<int32_t> tokens) {
  Forward f = Model(params, view).forward(tokens, /*forBackward=*/false);
  return logSoftmax(f.logits, tokens.size(), params.config.vocab);
}

double mxc::tuning::distillationLoss(LlamaParameters &params,
                                     const QuantizedView &view,
                                     llvm::ArrayRef<int32_t> tokens,
                                     llvm::ArrayRef<double> teacher,
                                     LlamaParameters *gradient,
                                     double labelWeight) {
  const int64_t T = tokens.size(), V = params.config.vocab;
  Model model(params, view);
  Forward f = model.forward(tokens, /*forBackward=*/gradient != nullptr);
  std::vector<double> logq = logSoftmax(f.logits, T, V);
  double loss = 0;
  std::vector<float> dlogits(gradient ? T * V : 0);
  for (int64_t t = 0; t < T; ++t) {
    // The target: the teacher's distribution, or with labels (1 - w) of it
    // and w on the next token (the last position has none). d loss / d z =
    // q - target, averaged over positions.
    const double w = labelWeight > 0 && t + 1 < T ? labelWeight : 0;
    for (int64_t i = t * V; i < (t + 1) * V; ++i) {
      double pt = std::exp(teacher[i]);
      loss += pt * (teacher[i] - logq[i]);
      if (gradient)
        dlogits[i] = static_cast<float>((std::exp(logq[i]) - (1 - w) * pt) / T);
    }
    if (gradient && w > 0)
      dlogits[t * V + tokens[t + 1]] -= static_cast<float>(w / T);
  }
  if (gradient)
    model.backward(f, tokens, dlogits, *gradient);
  return loss / T;
}
