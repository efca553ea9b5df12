//===- Reference.cpp - A plain C++ Llama forward pass ---------------------===//

#include "mxc/Frontend/Reference.h"

#include <cmath>

using namespace mxc::frontend;

namespace {

/// y[i] = sum_j W[i, j] x[j] (W [out, in]), accumulated in double.
void matvec(llvm::ArrayRef<float> w, const float *x, int64_t in, int64_t out,
            float *y) {
  for (int64_t i = 0; i < out; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < in; ++j)
      sum += static_cast<double>(w[i * in + j]) * x[j];
    y[i] = static_cast<float>(sum);
  }
}

void rmsnorm(const float *x, llvm::ArrayRef<float> g, int64_t n, double eps,
             float *y) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i)
    ss += static_cast<double>(x[i]) * x[i];
  double scale = 1.0 / std::sqrt(ss / n + eps);
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<float>(g[i] * (scale * x[i]));
}

/// llama2.c RoPE: adjacent dims (2i, 2i+1) rotate by pos * theta^(-2i/hd).
void rope(float *v, int64_t n, const LlamaConfig &c, int64_t pos) {
  for (int64_t i = 0; i < n; i += 2) {
    double freq = c.ropeFrequency((i % c.headDim()) / 2);
    double angle = pos * freq, c = std::cos(angle), s = std::sin(angle);
    double v0 = v[i], v1 = v[i + 1];
    v[i] = static_cast<float>(v0 * c - v1 * s);
    v[i + 1] = static_cast<float>(v0 * s + v1 * c);
  }
}

} // namespace

std::vector<float>
mxc::frontend::referenceLogits(const LlamaModel &model,
                               llvm::ArrayRef<int32_t> tokens) {
  const LlamaConfig &c = model.config;
  const int64_t n = tokens.size(), dim = c.dim, kvDim = c.kvDim(),
                hd = c.headDim(), group = c.heads / c.kvHeads;
  std::vector<float> x(n * dim), h(n * dim), q(n * dim), k(n * kvDim),
      v(n * kvDim), att(n * dim), tmp(dim), h1(c.hiddenDim), h3(c.hiddenDim);
  for (int64_t s = 0; s < n; ++s)
    std::copy_n(model.tokenEmbedding.data() + tokens[s] * dim, dim,
                x.data() + s * dim);
  for (const LlamaLayer &layer : model.layers) {
    for (int64_t s = 0; s < n; ++s) {
      rmsnorm(&x[s * dim], layer.attentionNorm, dim, c.normEps, &h[s * dim]);
      matvec(layer.wq, &h[s * dim], dim, dim, &q[s * dim]);
      matvec(layer.wk, &h[s * dim], dim, kvDim, &k[s * kvDim]);
      matvec(layer.wv, &h[s * dim], dim, kvDim, &v[s * kvDim]);
      rope(&q[s * dim], dim, c, s);
      rope(&k[s * kvDim], kvDim, c, s);
    }
    std::vector<double> scores(n);
    for (int64_t s = 0; s < n; ++s) {
      for (int64_t head = 0; head < c.heads; ++head) {
        const int64_t g = head / group;
        double m = -INFINITY;
        for (int64_t t = 0; t <= s; ++t) {
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d)
            dot += static_cast<double>(q[s * dim + head * hd + d]) *
                   k[t * kvDim + g * hd + d];
          scores[t] = dot / std::sqrt(static_cast<double>(hd));
          m = std::max(m, scores[t]);
        }
        double sum = 0;
        for (int64_t t = 0; t <= s; ++t)
          sum += scores[t] = std::exp(scores[t] - m);
        for (int64_t d = 0; d < hd; ++d) {
          double o = 0;
          for (int64_t t = 0; t <= s; ++t)
            o += scores[t] * v[t * kvDim + g * hd + d];
          att[s * dim + head * hd + d] = static_cast<float>(o / sum);
        }
      }
    }
    for (int64_t s = 0; s < n; ++s) {
      matvec(layer.wo, &att[s * dim], dim, dim, tmp.data());
      for (int64_t d = 0; d < dim; ++d)
        x[s * dim + d] += tmp[d];
      rmsnorm(&x[s * dim], layer.ffnNorm, dim, c.normEps, &h[s * dim]);
      matvec(layer.w1, &h[s * dim], dim, c.hiddenDim, h1.data());
      matvec(layer.w3, &h[s * dim], dim, c.hiddenDim, h3.data());
      for (int64_t i = 0; i < c.hiddenDim; ++i)
        h1[i] = static_cast<float>(h1[i] / (1.0 + std::exp(-h1[i])) * h3[i]);
      matvec(layer.w2, h1.data(), c.hiddenDim, dim, tmp.data());
      for (int64_t d = 0; d < dim; ++d)
        x[s * dim + d] += tmp[d];
    }
  }
  std::vector<float> logits(n * c.vocab);
  for (int64_t s = 0; s < n; ++s) {
    rmsnorm(&x[s * dim], model.finalNorm, dim, c.normEps, &h[s * dim]);
    matvec(model.classifier, &h[s * dim], dim, c.vocab, &logits[s * c.vocab]);
  }
  return logits;
}
