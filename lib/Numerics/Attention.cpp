//===- Attention.cpp - Span-sparse causal attention reference -------------===//

#include "mxc/Numerics/Attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mxc::numerics;

bool mxc::numerics::isKeyVisible(const AttentionShape &shape,
                                 const int32_t *spans, const SpanPolicy &policy,
                                 int64_t i, int64_t j) {
  const int64_t position = shape.keys - shape.queries + i;
  if (j < 0 || j > position)
    return false;
  if (!spans)
    return true;
  if (j < policy.sink || (policy.keepSelf && j == position))
    return true;
  for (int64_t s = 0; s < shape.slots; ++s) {
    const int32_t *span = spans + (i * shape.slots + s) * 2;
    if (span[0] <= j && j < span[1])
      return true;
  }
  return false;
}

std::vector<TileState> mxc::numerics::tileStates(const AttentionShape &shape,
                                                 const int32_t *spans,
                                                 const SpanPolicy &policy,
                                                 int64_t tile) {
  const int64_t tiles = (shape.keys + tile - 1) / tile;
  std::vector<TileState> states(shape.queries * tiles);
  for (int64_t i = 0; i < shape.queries; ++i) {
    for (int64_t t = 0; t < tiles; ++t) {
      int64_t begin = t * tile, end = std::min(shape.keys, begin + tile);
      int64_t visible = 0;
      for (int64_t j = begin; j < end; ++j)
        visible += isKeyVisible(shape, spans, policy, i, j);
      states[i * tiles + t] = visible == 0             ? TileState::Skip
                              : visible == end - begin ? TileState::Full
                                                       : TileState::Partial;
    }
  }
  return states;
}

void mxc::numerics::attentionReference(const AttentionShape &shape,
                                       const float *q, const float *k,
                                       const float *v, const int32_t *spans,
                                       const SpanPolicy &policy, double scale,
                                       double *out) {
  const int64_t group = shape.heads / shape.kvHeads;
  std::vector<double> scores(shape.keys);
  for (int64_t h = 0; h < shape.heads; ++h) {
    const int64_t g = h / group;
    for (int64_t i = 0; i < shape.queries; ++i) {
      double *o = out + (h * shape.queries + i) * shape.valueDim;
      std::fill(o, o + shape.valueDim, 0.0);
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < shape.keys; ++j) {
        if (!isKeyVisible(shape, spans, policy, i, j)) {
          scores[j] = -std::numeric_limits<double>::infinity();
          continue;
        }
        double dot = 0;
        for (int64_t d = 0; d < shape.headDim; ++d)
          dot += static_cast<double>(
                     q[(h * shape.queries + i) * shape.headDim + d]) *
                 k[(g * shape.keys + j) * shape.headDim + d];
        scores[j] = scale * dot;
        m = std::max(m, scores[j]);
      }
      if (m == -std::numeric_limits<double>::infinity())
        continue; // Sees no key: zeros.
      double sum = 0;
      for (int64_t j = 0; j < shape.keys; ++j) {
        if (scores[j] == -std::numeric_limits<double>::infinity())
          continue;
        double p = std::exp(scores[j] - m);
        sum += p;
        for (int64_t d = 0; d < shape.valueDim; ++d)
          o[d] += p * v[(g * shape.keys + j) * shape.valueDim + d];
      }
      for (int64_t d = 0; d < shape.valueDim; ++d)
        o[d] /= sum;
    }
  }
}

void mxc::numerics::exaqAttentionReference(
    const AttentionShape &shape, const float *q, const float *k, const float *v,
    const int32_t *spans, const SpanPolicy &policy, float scale,
    const ExaqQuantizer &quantizer, double *out) {
  const int64_t group = shape.heads / shape.kvHeads;
  const std::vector<float> table = quantizer.exponentTable();
  std::vector<float> scores(shape.keys);
  std::vector<char> visible(shape.keys);
  for (int64_t h = 0; h < shape.heads; ++h) {
    const int64_t g = h / group;
    for (int64_t i = 0; i < shape.queries; ++i) {
      double *o = out + (h * shape.queries + i) * shape.valueDim;
      std::fill(o, o + shape.valueDim, 0.0);
      float m = -std::numeric_limits<float>::infinity();
      bool any = false, nan = false;
      for (int64_t j = 0; j < shape.keys; ++j) {
        visible[j] = isKeyVisible(shape, spans, policy, i, j);
        if (!visible[j])
          continue;
        float dot = 0.0f;
        for (int64_t d = 0; d < shape.headDim; ++d)
          dot += q[(h * shape.queries + i) * shape.headDim + d] *
                 k[(g * shape.keys + j) * shape.headDim + d];
        scores[j] = dot * scale;
        nan |= std::isnan(scores[j]);
        m = std::max(m, scores[j]);
        any = true;
      }
      if (nan) {
        std::fill(o, o + shape.valueDim,
                  std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      if (!any)
        continue; // Sees no key: zeros.
      double sum = 0;
      for (int64_t j = 0; j < shape.keys; ++j) {
        if (!visible[j])
          continue;
        double p = table[quantizer.code(scores[j] - m)];
        if (p == 0)
          continue; // Dropped (a zero floor): its value is not read.
        sum += p;
        for (int64_t d = 0; d < shape.valueDim; ++d)
          o[d] += p * v[(g * shape.keys + j) * shape.valueDim + d];
      }
      for (int64_t d = 0; d < shape.valueDim; ++d)
        o[d] /= sum;
    }
  }
}
