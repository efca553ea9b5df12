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

} // namespace mxc::numerics

#endif // MXC_NUMERICS_ATTENTION_H
