//===- softmax-error.cpp - EXAQ softmax error: optimal vs naive clips -----===//
//
// Prints, for Gaussian attention logits x ~ N(0, s^2) in rows of n, the output
// error of the b-bit EXAQ softmax (b = 2, 3, 4) against the float64 softmax,
// with the clip chosen four ways: the analytic optimum (Gaussian model of
// d = x - max fitted to calibration rows), the optimum on calibration samples,
// the observed minimum of d, and a fixed -8. Calibration and evaluation use
// different rows.
//
//===----------------------------------------------------------------------===//

#include "mxc/Numerics/Exaq.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mxc::numerics;

namespace {

std::vector<float> gaussianRows(int rows, int n, double s, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(s));
  std::vector<float> x(static_cast<size_t>(rows) * n);
  for (float &v : x)
    v = normal(rng);
  return x;
}

struct Errors {
  double l1 = 0, kl = 0;
};

Errors evaluate(const ExaqQuantizer &q, const std::vector<float> &x, int rows,
                int n) {
  Errors e;
  std::vector<float> y(n);
  std::vector<double> ref(n);
  for (int r = 0; r < rows; ++r) {
    exaqSoftmaxRow(q, &x[static_cast<size_t>(r) * n], n, y.data());
    softmaxRowF64(&x[static_cast<size_t>(r) * n], n, ref.data());
    for (int i = 0; i < n; ++i) {
      e.l1 += std::fabs(y[i] - ref[i]);
      e.kl += ref[i] * std::log(ref[i] / y[i]);
    }
  }
  e.l1 /= rows;
  e.kl /= rows;
  return e;
}

} // namespace

int main(int argc, char **argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 512;
  const int calibrationRows = 64, evaluationRows = 256;
  std::printf("EXAQ softmax error vs float64 softmax: Gaussian logits "
              "N(0, s^2), rows of %d,\n%d calibration rows, %d evaluation "
              "rows. L1 = mean over rows of sum |y - y_ref|;\nKL = mean "
              "KL(y_ref || y) in nats.\n\n",
              n, calibrationRows, evaluationRows);
  std::printf("| s | bits | clip rule | clip | L1 | KL |\n");
  std::printf("|---|------|-----------|------|----|----|\n");
  for (double s : {1.0, 2.0, 4.0}) {
    // Calibration statistics of d = x - max(x), as calibration collects.
    std::vector<float> cal = gaussianRows(calibrationRows, n, s, 1);
    std::vector<float> d;
    double sum = 0, sumSq = 0, lowest = 0;
    for (int r = 0; r < calibrationRows; ++r) {
      float m = -INFINITY;
      for (int i = 0; i < n; ++i)
        m = std::max(m, cal[r * n + i]);
      for (int i = 0; i < n; ++i) {
        float v = cal[r * n + i] - m;
        d.push_back(v);
        sum += v;
        sumSq += static_cast<double>(v) * v;
        lowest = std::min(lowest, static_cast<double>(v));
      }
    }
    double mean = sum / d.size();
    double std = std::sqrt(std::max(0.0, sumSq / d.size() - mean * mean));
    std::vector<float> eval = gaussianRows(evaluationRows, n, s, 2);
    for (int bits : {2, 3, 4}) {
      struct Rule {
        std::string name;
        double clip;
      } rules[] = {
          {"optimal (Gaussian)", optimalClipGaussian(bits, mean, std).clip},
          {"optimal (samples)",
           optimalClipSamples(bits, d.data(), d.size()).clip},
          {"observed min", lowest},
          {"fixed -8", -8.0},
      };
      for (const Rule &rule : rules) {
        Errors e =
            evaluate(ExaqQuantizer{bits, rule.clip}, eval, evaluationRows, n);
        std::printf("| %.0f | %d | %s | %.3f | %.4f | %.5f |\n", s, bits,
                    rule.name.c_str(), rule.clip, e.l1, e.kl);
      }
    }
  }
  return 0;
}
