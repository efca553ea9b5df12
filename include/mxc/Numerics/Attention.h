//===- Attention.h - Span-sparse causal attention reference -----*- C++ -*-===//
//
// The semantics of mxc.attention, written out: causal grouped-query attention
// where query row i sits at position p_i = keys - queries + i, optionally
// restricted by a span table, in float64; and the KV-tile states that a span
// table implies, which a span-sparse kernel uses to skip tiles.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_ATTENTION_H
#define MXC_NUMERICS_ATTENTION_H

#include "mxc/Numerics/Exaq.h"

#include <cstdint>
#include <vector>

namespace mxc::numerics {

/// Sizes of one attention: query [heads, queries, headDim], key
/// [kvHeads, keys, headDim], value [kvHeads, keys, valueDim], span table
/// [queries, slots, 2].
struct AttentionShape {
  int64_t heads;
  int64_t kvHeads;
  int64_t queries;
  int64_t keys;
  int64_t headDim;
  int64_t valueDim;
  int64_t slots;
};

/// Visibility policy of span-sparse attention.
struct SpanPolicy {
  /// Keys [0, sink) are always visible (subject to causality).
  int64_t sink = 0;
  /// A query's own position is always visible.
  bool keepSelf = false;
};

/// Whether query row `i` may attend to key `j`: j <= p_i, and, with a span
/// table (`spans` non-null, int32 [queries, slots, 2]), j lies in one of row
/// i's half-open spans, or j < sink, or (keepSelf and j == p_i). Slots with
/// start >= end are empty.
bool isKeyVisible(const AttentionShape &shape, const int32_t *spans,
                  const SpanPolicy &policy, int64_t i, int64_t j);

/// What a kernel may do with a KV tile for one query row.
enum class TileState : uint8_t {
  Skip = 0,    ///< No visible key: the tile is not read.
  Partial = 1, ///< Some keys visible: apply the element mask.
  Full = 2,    ///< Every key of the tile visible: no mask.
};

/// The state of each KV tile of `tile` keys (the last one may be shorter)
/// for each query row: [queries, ceil(keys / tile)], row-major.
std::vector<TileState> tileStates(const AttentionShape &shape,
                                  const int32_t *spans,
                                  const SpanPolicy &policy, int64_t tile);

/// Dense masked attention in float64: out[h, i, :] = sum_j p_j v[g(h), j, :]
/// with p = softmax over visible j of scale * q[h, i, :] . k[g(h), j, :],
/// g(h) = h / (heads / kvHeads). A row that sees no key gets zeros.
void attentionReference(const AttentionShape &shape, const float *q,
                        const float *k, const float *v, const int32_t *spans,
                        const SpanPolicy &policy, double scale, double *out);

/// Attention with the EXAQ-quantized softmax of mxc.attention's `quantized`
/// attribute: each visible score s_j = f32(f32(sum_d q_d k_d) * f32(scale))
/// (f32 products accumulated over d in order, as kernels do), m = max_j s_j,
/// q_j = quantizer.code(s_j - m), then in float64
/// out = sum_j T[q_j] v_j / sum_j T[q_j] with T = quantizer.exponentTable().
/// The codes are bit-exact with any kernel that computes the scores in this
/// order; the rest is exact. A key whose weight T[q_j] is 0 (a zero floor's
/// lowest code) is dropped: its value is not read, so a NaN or an infinity
/// there does not reach the row. A row that sees no key gets zeros; a NaN
/// score makes the row NaN.
void exaqAttentionReference(const AttentionShape &shape, const float *q,
                            const float *k, const float *v,
                            const int32_t *spans, const SpanPolicy &policy,
                            float scale, const ExaqQuantizer &quantizer,
                            double *out);

} // namespace mxc::numerics

#endif // MXC_NUMERICS_ATTENTION_H
