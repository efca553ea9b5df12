//===- AttentionTest.cpp - Attention reference and tile states ------------===//

#include "mxc/Numerics/Attention.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mxc::numerics;

namespace {

// The worked example of mxc.attention's documentation: one head, D = 1,
// q = [0], keys [1, 2, 3], values [10, 20, 30], one query at position 2.
TEST(AttentionReference, WorkedExample) {
  AttentionShape shape{1, 1, 1, 3, 1, 1, 1};
  const float q[] = {0}, k[] = {1, 2, 3}, v[] = {10, 20, 30};
  const int32_t spans[] = {0, 1};
  double out;
  attentionReference(shape, q, k, v, spans, {0, /*keepSelf=*/true}, 1.0, &out);
  EXPECT_DOUBLE_EQ(out, 20.0); // Keys 0 and 2, equal weights.
  attentionReference(shape, q, k, v, spans, {0, false}, 1.0, &out);
  EXPECT_DOUBLE_EQ(out, 10.0); // Key 0 only.
  attentionReference(shape, q, k, v, nullptr, {}, 1.0, &out);
  EXPECT_DOUBLE_EQ(out, 20.0); // Causal only: all three.
}

TEST(AttentionReference, CausalPrefillAndScores) {
  // Prefill: 2 queries over 2 keys; row 0 sees key 0 only.
  AttentionShape shape{1, 1, 2, 2, 1, 1, 0};
  const float q[] = {1, 1}, k[] = {0, 1}, v[] = {4, 8};
  double out[2];
  attentionReference(shape, q, k, v, nullptr, {}, 2.0, out);
  EXPECT_DOUBLE_EQ(out[0], 4.0);
  // Row 1: scores 2 * [0, 1] -> weights 1/(1 + e^2), e^2/(1 + e^2).
  double w1 = std::exp(2.0) / (1 + std::exp(2.0));
  EXPECT_NEAR(out[1], 4 * (1 - w1) + 8 * w1, 1e-12);
}

TEST(AttentionReference, GroupedQueryHeads) {
  // 4 query heads over 2 kv heads: heads 0, 1 read kv head 0; 2, 3 kv head 1.
  AttentionShape shape{4, 2, 1, 1, 1, 1, 0};
  const float q[] = {0, 0, 0, 0}, k[] = {0, 0}, v[] = {5, 7};
  double out[4];
  attentionReference(shape, q, k, v, nullptr, {}, 1.0, out);
  EXPECT_EQ(out[0], 5.0);
  EXPECT_EQ(out[1], 5.0);
  EXPECT_EQ(out[2], 7.0);
  EXPECT_EQ(out[3], 7.0);
}

TEST(AttentionReference, EmptySpansGiveZeros) {
  AttentionShape shape{1, 1, 1, 4, 1, 2, 2};
  const float q[] = {1}, k[] = {1, 2, 3, 4}, v[] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int32_t empty[] = {0, 0, 3, 3};
  double out[2] = {-1, -1};
  attentionReference(shape, q, k, v, empty, {}, 1.0, out);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], 0.0);
  // The sink alone makes key 0 visible.
  attentionReference(shape, q, k, v, empty, {1, false}, 1.0, out);
  EXPECT_EQ(out[0], 1.0);
  EXPECT_EQ(out[1], 2.0);
}

TEST(AttentionReference, SpanPastCausalLimitIsCut) {
  AttentionShape shape{1, 1, 2, 5, 1, 1, 1};
  const float q[] = {0.5f, -0.5f}, k[] = {1, 2, 3, 4, 5}, v[] = {1, 2, 3, 4, 5};
  const int32_t wide[] = {0, 100, -7, 100};
  double sparse[2], dense[2];
  attentionReference(shape, q, k, v, wide, {}, 1.0, sparse);
  attentionReference(shape, q, k, v, nullptr, {}, 1.0, dense);
  EXPECT_EQ(sparse[0], dense[0]);
  EXPECT_EQ(sparse[1], dense[1]);
}

TEST(TileStates, FromSpans) {
  // 10 keys in tiles of 4: [0, 4), [4, 8), [8, 10); one query at position 9.
  AttentionShape shape{1, 1, 1, 10, 1, 1, 1};
  auto states = [&](int32_t start, int32_t end, SpanPolicy policy) {
    const int32_t spans[] = {start, end};
    return tileStates(shape, spans, policy, 4);
  };
  using S = TileState;
  EXPECT_EQ(states(1, 3, {}), (std::vector<S>{S::Partial, S::Skip, S::Skip}));
  EXPECT_EQ(states(1, 3, {0, true}),
            (std::vector<S>{S::Partial, S::Skip, S::Partial}));
  EXPECT_EQ(states(4, 8, {}), (std::vector<S>{S::Skip, S::Full, S::Skip}));
  EXPECT_EQ(states(8, 20, {}), (std::vector<S>{S::Skip, S::Skip, S::Full}));
  EXPECT_EQ(states(0, 0, {4, false}),
            (std::vector<S>{S::Full, S::Skip, S::Skip}));
  EXPECT_EQ(states(3, 9, {}),
            (std::vector<S>{S::Partial, S::Full, S::Partial}));
  // Without spans: causal only.
  EXPECT_EQ(tileStates(shape, nullptr, {}, 4),
            (std::vector<S>{S::Full, S::Full, S::Full}));
  AttentionShape prefill{1, 1, 10, 10, 1, 1, 0};
  std::vector<S> causal = tileStates(prefill, nullptr, {}, 4);
  EXPECT_EQ(causal[0 * 3 + 0], S::Partial); // Row 0 sees key 0 only.
  EXPECT_EQ(causal[0 * 3 + 1], S::Skip);
  EXPECT_EQ(causal[3 * 3 + 0], S::Full);
  EXPECT_EQ(causal[5 * 3 + 1], S::Partial);
}

} // namespace

// EXAQ attention, worked by hand: 2 bits, clip -3, so step 1 and levels
// {-3, -2, -1, 0}. One query (q = [1]) over keys whose scores are
// [0, -1, -2.4, -5]: codes 3, 2, 1 (-2.4 -> 0.6 rounds up), 0 (clamped).
TEST(ExaqAttentionReference, WorkedExample) {
  AttentionShape shape{1, 1, 1, 4, 1, 1, 0};
  const float q[] = {1}, k[] = {0, -1, -2.4f, -5}, v[] = {1, 2, 3, 4};
  double out;
  exaqAttentionReference(shape, q, k, v, nullptr, {}, 1.0f, {2, -3.0}, &out);
  const double w[] = {1.0, static_cast<float>(std::exp(-1.0)),
                      static_cast<float>(std::exp(-2.0)),
                      static_cast<float>(std::exp(-3.0))};
  double num = 0, den = 0;
  for (int j = 0; j < 4; ++j) {
    num += w[j] * v[j];
    den += w[j];
  }
  EXPECT_DOUBLE_EQ(out, num / den);
}

// With many levels and a low clip the quantized softmax approaches the exact
// one; a row that sees no key stays zero; a NaN score makes its row NaN.
TEST(ExaqAttentionReference, ApproachesExactAndEdgeCases) {
  AttentionShape shape{1, 1, 2, 3, 1, 1, 1};
  const float q[] = {0.5f, 1.0f}, k[] = {1, 2, 3}, v[] = {10, 20, 30};
  const int32_t spans[] = {5, 5, 0, 3}; // Row 0: empty span.
  double exact[2], quantized[2];
  attentionReference(shape, q, k, v, spans, {}, 1.0, exact);
  exaqAttentionReference(shape, q, k, v, spans, {}, 1.0f, {8, -16.0},
                         quantized);
  EXPECT_EQ(quantized[0], 0.0);
  EXPECT_NEAR(quantized[1], exact[1], 0.05);
  EXPECT_NE(quantized[1], exact[1]);
  const float qNaN[] = {0.5f, NAN};
  exaqAttentionReference(shape, qNaN, k, v, nullptr, {}, 1.0f, {8, -16.0},
                         quantized);
  EXPECT_FALSE(std::isnan(quantized[0]));
  EXPECT_TRUE(std::isnan(quantized[1]));
}
