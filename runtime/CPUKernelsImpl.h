//===- CPUKernelsImpl.h - One ISA variant of the CPU kernels ----*- C++ -*-===//
//
// What each ISA variant (CPUKernelsImpl.inc compiled with its own -m flags)
// exports to the dispatcher in CPUKernels.cpp. The variants share no inline
// function with the rest of the program (no std:: templates, everything
// else internal): the linker could otherwise keep an AVX-512 copy of an
// inline function for every caller.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_RUNTIME_CPUKERNELSIMPL_H
#define MXC_RUNTIME_CPUKERNELSIMPL_H

#include "mxc/Runtime/CPUKernels.h"

namespace mxc::cpu {

/// What a variant needs besides the problem: the element table (2^bits
/// floats, from the numerics library) and the 256 E8M0 scale values.
struct Tables {
  const float *element;
  const float *scale;
};

/// An element format's grid, as quantizeRows needs it (from the numerics
/// library's FormatInfo).
struct ElementGrid {
  /// The largest power of two's exponent: the shared exponent subtracts it.
  int emax;
  /// The exponent of the smallest normal binade (1 - bias) and the mantissa
  /// bits: the rounding quantum of a magnitude in binade e is
  /// 2^(max(e, minExponent) - mantissaBits). Unused for integers.
  int minExponent, mantissaBits;
  float maxNormal;
  /// MXINT8: steps of 2^-6 up to +-127 steps; zero is +0.
  bool integer;
  /// Ties away from zero, else to even.
  bool nearestAway;
  /// The shared exponent one more where the spec's clips the block's
  /// largest magnitude (numerics::ScaleChoice::Ceil).
  bool ceilScale = false;
};

/// From this many rows on a matmul runs as a GEMM (a decoded panel of
/// weight columns reused by every row, each output a multiply-add chain in
/// k order); below it as GEMV-like tiles that read x from the packed buffer.
constexpr int64_t kGemmRows = 16;

/// The most weight columns a variant decodes at a time, and the most rows
/// of a GEMM tile (x is transposed into tiles of them).
constexpr int64_t kMaxTileColumns = 8, kMaxGemmTileRows = 48;

/// The AVX2 GEMM's panel: kGemmPanelColumns weight columns decoded, then
/// kGemmDepth k at a time transposed to [k][column] for its tiles. The GEMM
/// columns go to the threads in multiples of kGemmPanelColumns (every
/// variant's GEMM tile width divides it).
constexpr int64_t kGemmPanelColumns = 16, kGemmDepth = 256;

/// The floats of the scratch buffer `columns` needs for p.
int64_t columnsScratchLength(const MatmulProblem &p);

/// The floats of the packed activations of p: rows of bufferLength floats
/// and one float for the variant's note on how it packed them, or for a GEMM
/// (kGemmRows rows or more) x transposed in tiles of up to kMaxGemmTileRows
/// rows.
int64_t packedLength(const MatmulProblem &p);

/// The reduction length every buffer holds: numBlocks * block rounded up to
/// the kernels' 16 lanes.
int64_t bufferLength(const MatmulProblem &p);

/// Whether attentionRows runs p with the keys in SIMD lanes (K and V
/// transposed once per key/value head into the scratch buffer): for head
/// dimensions below a vector, where the dot products of the other way leave
/// lanes idle, and for prefills, whose rows share the transposed head.
/// And always with an EXAQ softmax, whose scores are summed over d in order.
inline bool attentionOverKeys(const AttentionProblem &p) {
  return p.headDim < 16 || p.queries >= 16 || p.exaqTable;
}

/// The keys rounded up to 16 lanes.
inline int64_t attentionKeyLanes(const AttentionProblem &p) {
  return (p.keys + 15) / 16 * 16;
}

/// The floats of the scratch buffer attentionRows needs for p.
inline int64_t attentionScratchLength(const AttentionProblem &p) {
  int64_t length = attentionKeyLanes(p) + p.headDim + p.valueDim;
  if (attentionOverKeys(p))
    length += (p.headDim + p.valueDim) * attentionKeyLanes(p);
  return length;
}

#define MXC_DECLARE_VARIANT(ISA)                                               \
  namespace ISA {                                                              \
  /* x as the variant reads it (packedLength(p) floats): rows of               \
     bufferLength floats in the order the decoded weight uses, zero padded,    \
     then a note for columns; for a GEMM, transposed tiles. Part `part` of     \
     `parts` (the parts may run on different threads): for a GEMM a share of   \
     the tiles, else everything in part 0. */                                  \
  void packActivations(const MatmulProblem &p, float *xk, int64_t part,        \
                       int64_t parts);                                         \
  /* Output columns [n0, n1); scratch of kMaxTileColumns + 1                   \
     buffer lengths. */                                                        \
  void columns(const MatmulProblem &p, const Tables &t, const float *xk,       \
               int64_t n0, int64_t n1, float *scratch);                        \
  /* Attention rows [r0, r1) of heads * queries; scratch of                    \
     attentionScratchLength(p) floats. */                                      \
  void attentionRows(const AttentionProblem &p, int64_t r0, int64_t r1,        \
                     float *scratch);                                          \
  /* Rows [r0, r1) of p on grid g; scratch of 2 * p.cols floats. */            \
  void quantizeRows(const QuantizeProblem &p, const ElementGrid &g,            \
                    int64_t r0, int64_t r1, float *scratch);                   \
  }
MXC_DECLARE_VARIANT(avx512)
MXC_DECLARE_VARIANT(avx2)
MXC_DECLARE_VARIANT(generic)
#undef MXC_DECLARE_VARIANT

} // namespace mxc::cpu

#endif // MXC_RUNTIME_CPUKERNELSIMPL_H
