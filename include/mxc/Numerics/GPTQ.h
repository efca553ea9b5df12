//===- GPTQ.h - GPTQ for MX formats on BLAS/LAPACK --------------*- C++ -*-===//
//
// GPTQ (Frantar et al.) with an MX quantizer: columns of W are quantized one
// MX block (32 columns) at a time, the block's shared exponent taken from the
// error-updated weights, and the block's error propagated to the columns not
// yet quantized through the upper Cholesky factor of H^-1, in lazy batches
// of 128 columns, so that the heavy work is GEMM. The Hessian is accumulated
// as a symmetric rank-k update; factorizations are LAPACK's. Everything is in
// double precision, on OpenBLAS (threaded, with LAPACK): library MXCGPTQ.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_GPTQ_H
#define MXC_NUMERICS_GPTQ_H

#include "mxc/Numerics/PTQ.h"

#include <string>
#include <vector>

namespace mxc::numerics {

/// Accumulates the GPTQ Hessian H = 2/N sum_n x_n x_n^T of `rows` rows of
/// `k` features into `h` (k x k, row-major), where `total` is N, the number
/// of rows over all calls.
void accumulateHessian(const float *x, int64_t rows, int64_t k, int64_t total,
                       std::vector<double> &h);

/// accumulateHessian into the upper triangle of H alone, packed by rows
/// (row i holds columns i..k-1; k (k + 1) / 2 doubles, half the memory):
/// for statistics kept over many calls. The values equal
/// accumulateHessian's.
void accumulateHessianPacked(const float *x, int64_t rows, int64_t k,
                             int64_t total, std::vector<double> &packed);

/// The k x k row-major symmetric matrix of a packed upper triangle P, in
/// float: 2 P / total (P summed with total 2 is the plain sum X^T X; this
/// gives the Hessian of `total` rows).
std::vector<float> unpackHessian(const std::vector<double> &packed, int64_t k,
                                 int64_t total);

/// Options of gptqQuantize.
struct GPTQOptions {
  ElemFormat format = ElemFormat::E2M1;
  int64_t blockSize = 32;
  /// Damping: percdamp * mean(diag H) is added to the diagonal.
  double percdamp = 0.01;
  /// Columns per lazy batch; a multiple of blockSize.
  int64_t lazyBatch = 128;
  RoundingMode rounding = RoundingMode::NearestEven;
  /// Each block's shared exponent, from the error-updated weights.
  ScaleChoice scales = ScaleChoice::Spec;
};

/// GPTQ for MX formats: `w` is [n, k] row-major, `h` the k x k Hessian
/// (its storage becomes GPTQ's working matrix: move it in when the caller
/// is done with it). Fails, with a reason, if the damped Hessian is not
/// positive definite or the options are invalid.
bool gptqQuantize(const float *w, int64_t n, int64_t k, std::vector<double> h,
                  const GPTQOptions &options, QuantizedWeight &result,
                  std::string &reason);

/// Mean squared output error on the calibration rows, from the Hessian:
/// mean over rows x and outputs of (x . (w_i - w^_i))^2
///   = (1/n) sum_i (1/2) (w_i - w^_i)^T H (w_i - w^_i).
double outputMSEFromHessian(const float *w, const std::vector<double> &wHat,
                            int64_t n, int64_t k, const std::vector<double> &h);

/// The threads of the BLAS under these functions (0: every core). Its idle
/// threads stop until the next call that needs them.
void setLinalgThreads(unsigned threads);

/// Makes OpenBLAS run kernels for the host's vector units, once per process,
/// and returns the name of the kernels it runs. OpenBLAS picks its kernels
/// by CPU model when it loads; a model newer than its table (OpenBLAS 0.3.21,
/// Debian 12's, on an Emerald Rapids Xeon with AVX-512) falls back to
/// "Prescott", SSE3 kernels 3-4x slower at these sizes. Where that kernel set
/// lacks AVX2 but the host has AVX2 and FMA (AVX-512F/BW/DQ/VL), OpenBLAS is
/// initialized again with "Haswell" ("SkylakeX"). A user's OPENBLAS_CORETYPE
/// is kept. Every function here calls it first; callers of BLAS elsewhere do
/// the same.
const char *useHostBlasKernels();

/// The BLAS single-threaded while this lives (where the caller runs its own
/// threads over many small problems), its thread count restored after.
class SingleThreadedLinalg {
public:
  SingleThreadedLinalg();
  ~SingleThreadedLinalg();
  SingleThreadedLinalg(const SingleThreadedLinalg &) = delete;
  SingleThreadedLinalg &operator=(const SingleThreadedLinalg &) = delete;

private:
  int saved;
};

} // namespace mxc::numerics

#endif // MXC_NUMERICS_GPTQ_H
