//===- CPUKernels.h - mxc's CPU microkernels --------------------*- C++ -*-===//
//
// The matmul microkernel that compiled models call on the CPU (IREE's
// "ukernel" approach): convert-mxc-matmul-to-cpu lowers an mxc.matmul whose
// weight is MX (or f32) to one call of `mxc_cpu_matmul_mx`
// (`mxc_cpu_matmul_f32`), which
//   - decodes each weight column once per call, in SIMD registers where the
//     CPU has them (MXFP4: a 16-entry table lookup on nibbles, vpermps;
//     MXFP8/MXFP6: bit arithmetic; MXINT8: integer conversion), to the same
//     f32 value `table[code] * scale` as the generated lowering (with AVX2,
//     MXFP4 GEMVs take the doubled values from a byte lookup instead and
//     apply the scale to each block's sum);
//   - below 16 rows (decode), uses each decoded column at once for 1..15
//     rows, summing in 16 f32 lanes reduced at the end (a row's result does
//     not depend on the rows that come with it); MXINT8 activations times an
//     MXFP4 weight in 8-bit integer dot products where the CPU has AVX2;
//   - from 16 rows on (prefill), runs as a GEMM whose outputs are
//     multiply-add chains in k order (fused where the CPU has FMA);
//   - splits the columns over its own thread pool (sized by mxc's --threads)
//     when the matmul is big enough to pay for it; results do not depend on
//     the thread count.
// Results equal the generated lowering's within f32 rounding.
//
// attention (below) is the kernel of mxc.attention without span table, with
// the exact or the EXAQ softmax: SIMD over the keys or the head dimension,
// rows split over the threads.
// quantizeDequantize is mxc.dequantize(mxc.quantize x): what MX activations
// of a matmul are before the matmul kernel reads them.
//
// The code is compiled three times (AVX-512, AVX2+FMA, baseline x86-64 or any
// other target); the variant is chosen once, from the CPU this runs on.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_RUNTIME_CPUKERNELS_H
#define MXC_RUNTIME_CPUKERNELS_H

#include <cstdint>

namespace mxc::cpu {

/// The weight of a matmul: f32, or MX (an ElemFormat value).
constexpr int32_t kWeightF32 = -1;

/// out[m, n] = sum_k x[m, k] * W[n, k] for an MX weight (packed codes `data`
/// [N, numBlocks * blockBytes], E8M0 `scales` [N, numBlocks]) or an f32 one.
/// x may be shorter than numBlocks * block (a partial last block): the rest
/// reads as zeros.
struct MatmulProblem {
  const float *x = nullptr;
  int64_t m = 0, xCols = 0, xRowStride = 0, xColStride = 1;
  /// The weight: `format` is an ElemFormat value or kWeightF32.
  int32_t format = kWeightF32;
  int64_t n = 0, k = 0, block = 32;
  const uint8_t *data = nullptr; ///< MX codes, rows of `dataStride` bytes.
  int64_t dataStride = 0;
  const uint8_t *scales = nullptr; ///< E8M0 bytes, rows of `scaleStride`.
  int64_t scaleStride = 0;
  const float *weight = nullptr; ///< An f32 weight [N, K], rows of wStride.
  int64_t wStride = 0;
  float *out = nullptr;
  int64_t outStride = 0;
  /// What x's values are: kWeightF32 (any f32), or an ElemFormat when they
  /// are MX values of that format in blocks of 32 along k (an mxc.dequantize
  /// of activations quantized with that format). With MXINT8 values and an
  /// MXFP4 weight the GEMV (below 16 rows) takes each block's 8-bit integers
  /// back from x and multiplies them with the FP4 codes in integer
  /// arithmetic (exact per 4 products), times the two scales.
  int32_t xFormat = kWeightF32;
};

/// Runs `p` (the variant for this CPU, threaded when worthwhile).
void matmul(const MatmulProblem &p);

/// Causal grouped-query attention without a span table (what mxc.attention
/// means then): q [H, Sq, D], k [Hkv, Skv, D], v [Hkv, Skv, Dv],
/// out [H, Sq, Dv], each with its own strides (in floats). Query row i sits at
/// position Skv - Sq + i and sees keys 0 ..= that position; query head h
/// reads key/value head h / (H / Hkv). Per row: the scores scale * (q . k_j)
/// in f32 lanes (16 keys side by side from K transposed once per head, for
/// prefills and heads below 16 dimensions; else each key's dot product over
/// 16 lanes of the head dimension), the softmax with the row max subtracted
/// (exp in SIMD lanes: Cephes' expf polynomial, within 1 ulp, 0 below
/// -87.33), the weighted sum of the values in key order, divided by the sum
/// of the weights. Rows are split over the threads.
///
/// With `exaqTable` set, the softmax is mxc.attention's EXAQ softmax
/// (`quantized`), as numerics::exaqAttentionReference computes it: the
/// scores always with the keys in lanes, each product rounded and then added
/// over d in order (no fused multiply-add: the reference's f32 scores, bit
/// for bit, so the codes are its codes too); each key's code
/// numerics::ExaqQuantizer::code(s - max), from `exaqClip` and
/// `exaqInverseStep` (the quantizer's clipF32 and inverseStepF32); its
/// weight exaqTable[code] (`exaqLevels` entries: exponentTable). The sum of
/// the weights is added in f32 lanes; a NaN score makes the row NaN.
struct AttentionProblem {
  const float *q = nullptr, *k = nullptr, *v = nullptr;
  float *out = nullptr;
  int64_t heads = 0, queries = 0, headDim = 0;
  int64_t kvHeads = 0, keys = 0, valueDim = 0;
  int64_t qStrides[3] = {}, kStrides[3] = {}, vStrides[3] = {},
          outStrides[3] = {};
  float scale = 1.0f;
  const float *exaqTable = nullptr;
  int64_t exaqLevels = 0;
  float exaqClip = 0.0f, exaqInverseStep = 0.0f;
};

void attention(const AttentionProblem &p);

/// x [rows, cols] quantized to MX `format` in blocks of `block` along each
/// row and decoded again to f32 in `out`: mxc.dequantize(mxc.quantize x).
/// Every value equals numerics::quantizeBlock then dequantizeBlock (whose
/// double results are f32 values): the shared exponent from the block's
/// largest magnitude (`scales`), each element rounded on the format's grid
/// (`rounding`: a numerics::RoundingMode value) and saturated, a block that
/// holds a NaN or an infinity all NaN. A partial last block takes its scale
/// from its own elements. Rows are split over the threads when worthwhile.
struct QuantizeProblem {
  const float *x = nullptr;
  float *out = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t xStrides[2] = {}, outStrides[2] = {};
  int32_t format = 0; ///< An ElemFormat value.
  int64_t block = 32;
  int32_t rounding = 0; ///< A numerics::RoundingMode value.
  /// A numerics::ScaleChoice value: Spec or Ceil (the spec's shared
  /// exponent, one more where it clips the block's largest magnitude).
  int32_t scales = 0;

  /// Contiguous row-major x and out of rows x cols; the other fields keep
  /// their defaults.
  static QuantizeProblem rowMajor(const float *x, float *out, int64_t rows,
                                  int64_t cols) {
    QuantizeProblem p;
    p.x = x;
    p.out = out;
    p.rows = rows;
    p.cols = cols;
    p.xStrides[0] = p.outStrides[0] = cols;
    p.xStrides[1] = p.outStrides[1] = 1;
    return p;
  }
};

void quantizeDequantize(const QuantizeProblem &p);

/// The instruction set of the variant in use: "avx512", "avx2" or "generic".
const char *kernelISA();

/// Uses the variant `isa` ("avx512", "avx2", "generic") from now on; false,
/// changing nothing, when this CPU cannot run it (or it does not exist).
/// For tests and benchmarks: the default is the best the CPU runs.
bool useKernelISA(const char *isa);

/// A C entry point that compiled models call.
struct KernelSymbol {
  const char *name;
  void *address;
  /// Its C type in LLVM's terms, derived from the definition: "void(ptr,
  /// ptr, i32, i64)" (pointers are "ptr", integers "iN", float "f32"). A
  /// model declares each kernel it calls; a loader compares the two, so that
  /// a model compiled against another version of these entry points is
  /// refused instead of called with the wrong arguments.
  const char *signature;
};
/// Every entry point (for a JIT that links models against them), ending
/// with {nullptr, nullptr, nullptr}.
const KernelSymbol *kernelSymbols();

} // namespace mxc::cpu

#endif // MXC_RUNTIME_CPUKERNELS_H
