//===- GlobalTuning.cpp - Quantized weights tuned to the float model ------===//

#include "mxc/Tuning/GlobalTuning.h"
#include "mxc/Numerics/GPTQ.h"

#include "llvm/Support/FormatVariadic.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace mxc;
using namespace mxc::tuning;

namespace {

/// Adam (Kingma & Ba) on one tensor, its step scaled by the tensor's RMS at
/// the start so that one learning rate suits gains near 1 and weights near
/// 0.02 alike.
struct Adam {
  std::vector<float> m, v;
  double scale;
  explicit Adam(const std::vector<float> &start) {
    m.assign(start.size(), 0.f);
    v.assign(start.size(), 0.f);
    double ss = 0;
    for (float x : start)
      ss += static_cast<double>(x) * x;
    scale = std::sqrt(ss / std::max<size_t>(start.size(), 1));
  }
  void step(std::vector<float> &x, const std::vector<float> &g, double lr,
            int64_t t) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
    for (size_t i = 0; i < x.size(); ++i) {
      m[i] = static_cast<float>(b1 * m[i] + (1 - b1) * g[i]);
      v[i] = static_cast<float>(b2 * v[i] + (1 - b2) * double(g[i]) * g[i]);
      double mh = m[i] / c1, vh = v[i] / c2;
      x[i] -= static_cast<float>(lr * scale * mh / (std::sqrt(vh) + eps));
    }
  }
};

/// Every step allocates and frees the same activations, gradients and
/// attention rows. glibc hands large freed blocks back to the kernel (mmap
/// above a dynamic threshold, heap trimming), so each step faulted fresh
/// zeroed pages in again: 16 % of a tuning run's samples under perf were
/// in page faults (the 2-bit softmax recipe on stories260K). Freed memory
/// now stays in the process (a fixed mmap threshold of 32 MiB, glibc's
/// most, and no trimming): 300 steps took 6-8 s of system time instead of
/// 16-19 s, and about 4 % less wall time on a busy machine. The setting is
/// process-wide and stays after tuning; the peak memory is the same.
void keepFreedMemory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

/// Runs f(0 .. n-1) on up to `threads` threads.
void parallelFor(int64_t n, unsigned threads,
                 const std::function<void(int64_t)> &f) {
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++)
      f(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<int64_t>(threads, n); ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
}

bool tuned(const LlamaParameters::Tensor &t, TuneTarget target) {
  // Softmax levels are there only to be tuned (softmax-table=tune).
  if (llvm::StringRef(t.name).ends_with(".softmax_levels"))
    return true;
  return target == TuneTarget::Both ||
         (target == TuneTarget::Weights) == t.isMatmul;
}

} // namespace

TuneResult mxc::tuning::tune(LlamaParameters &params, LlamaParameters &teacher,
                             const Quantizers &quantizers,
                             llvm::ArrayRef<std::vector<int32_t>> windows,
                             const TuneOptions &options) {
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  TuneResult result;
  keepFreedMemory();
  // The BLAS single-threaded while tuning: windows run in parallel instead
  // (the matrices are small).
  numerics::SingleThreadedLinalg blas;
  const unsigned threads =
      options.threads ? options.threads
                      : std::max(1u, std::thread::hardware_concurrency());
  const int64_t n = windows.size();
  // The float model's distributions, once per window.
  std::vector<std::vector<double>> targets(n);
  Quantizers none;
  QuantizedView teacherView(teacher, none);
  parallelFor(n, threads, [&](int64_t i) {
    targets[i] = logProbabilities(teacher, teacherView, windows[i]);
  });

  // The windows every evaluation takes: all, or an even subset.
  std::vector<int64_t> evaluated;
  const int64_t m = options.evaluationWindows > 0
                        ? std::min(options.evaluationWindows, n)
                        : n;
  for (int64_t i = 0; i < m; ++i)
    evaluated.push_back(i * n / m);
  result.windowsEvaluated = m;
  auto evaluate = [&]() {
    QuantizedView view(params, quantizers);
    std::vector<double> losses(m);
    parallelFor(m, threads, [&](int64_t i) {
      const int64_t w = evaluated[i];
      losses[i] =
          distillationLoss(params, view, windows[w], targets[w], nullptr) *
          windows[w].size();
    });
    double sum = 0;
    int64_t tokens = 0;
    for (int64_t i = 0; i < m; ++i) {
      sum += losses[i];
      tokens += windows[evaluated[i]].size();
    }
    return sum / std::max<int64_t>(tokens, 1);
  };
  result.startKL = result.finalKL = evaluate();
  result.evaluations.push_back({0, result.startKL});
  if (options.progress)
    options.progress(
        m < n ? llvm::formatv("tuning: start KL {0:F5} on {1} of the {2} "
                              "windows, evenly spread",
                              result.startKL, m, n)
                    .str()
              : llvm::formatv("tuning: start KL {0:F5}", result.startKL).str());
  LlamaParameters best = params;

  std::vector<LlamaParameters::Tensor> tensors = params.tensors();
  std::vector<std::optional<Adam>> adam(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tuned(tensors[i], options.target))
      adam[i].emplace(*tensors[i].values);
  // The quantizers of the steps before the switch to the quantized softmax.
  Quantizers exactSoftmax = quantizers;
  exactSoftmax.softmax.reset();
  const int64_t batch = std::max<int64_t>(1, std::min(options.batch, n));
  // Steps per pass over the windows.
  const int64_t epoch = (n + batch - 1) / batch;
  std::vector<LlamaParameters> gradients(batch, params.zerosLike());
  for (int64_t step = 1; step <= options.steps; ++step) {
    QuantizedView view(params, step <= options.exactSoftmaxSteps ? exactSoftmax
                                                                 : quantizers);
    parallelFor(batch, threads, [&](int64_t b) {
      gradients[b].setZero();
      const int64_t w = ((step - 1) * batch + b) % n;
      distillationLoss(params, view, windows[w], targets[w], &gradients[b],
                       options.labelWeight);
    });
    // The mean gradient, summed in a fixed order.
    for (int64_t b = 1; b < batch; ++b) {
      std::vector<LlamaParameters::Tensor> into = gradients[0].tensors(),
                                           from = gradients[b].tensors();
      for (size_t i = 0; i < into.size(); ++i)
        for (size_t j = 0; j < into[i].values->size(); ++j)
          (*into[i].values)[j] += (*from[i].values)[j];
    }
    std::vector<LlamaParameters::Tensor> grads = gradients[0].tensors();
    for (LlamaParameters::Tensor &g : grads)
      for (float &x : *g.values)
        x /= batch;
    // Cosine decay of the step size to 0 at the last step: late steps
    // settle the rounding decisions instead of flipping them back and forth.
    const double lr =
        options.learningRate * 0.5 *
        (1 + std::cos(M_PI * (step - 1) / static_cast<double>(options.steps)));
    for (size_t i = 0; i < tensors.size(); ++i)
      if (adam[i])
        adam[i]->step(*tensors[i].values, *grads[i].values, lr, step);
    // Dampening: each quantized weight pulled toward its rounded value (the
    // view of this step), harder as the step size decays.
    if (options.damping > 0) {
      const double pull = options.damping * (1 - lr / options.learningRate);
      for (size_t i = 0; i < tensors.size(); ++i) {
        if (!adam[i] || !tensors[i].isMatmul)
          continue;
        std::vector<float> &w = *tensors[i].values;
        const std::vector<float> &q = view.weights(tensors[i].name, w);
        if (&q == &w) // not quantized
          continue;
        for (size_t j = 0; j < w.size(); ++j)
          w[j] -= static_cast<float>(pull * (w[j] - q[j]));
      }
    }
    if (step % epoch == 0 || step == options.steps) {
      double kl = evaluate();
      result.evaluations.push_back({step, kl});
      if (kl < result.finalKL) {
        result.finalKL = kl;
        result.bestStep = step;
        best = params;
      }
      if (options.progress) {
        double s = seconds();
        options.progress(llvm::formatv(
            "tuning: step {0} of {1}, KL {2:F5} (best {3:F5}), {4:F1} s, "
            "ETA {5:F0} s",
            step, options.steps, kl, result.finalKL, s,
            s / step * (options.steps - step)));
      }
    }
  }
  params = std::move(best);
  result.seconds = seconds();
  return result;
}
