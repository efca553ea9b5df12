//===- GPTQ.cpp - GPTQ for MX formats on BLAS/LAPACK ----------------------===//

#include "mxc/Numerics/GPTQ.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <cblas.h>

// LAPACK's Cholesky routines, from OpenBLAS (which carries LAPACK but not
// LAPACKE). Fortran: column-major, a hidden length after the character
// argument.
extern "C" {
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t uploLength);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t uploLength);
}

using namespace mxc::numerics;

namespace {

/// Copies one triangle of the k x k row-major `a` into the other: the
/// upper into the lower with `fromUpper`, else the lower into the upper.
void symmetrize(double *a, int64_t k, bool fromUpper) {
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i + 1; j < k; ++j)
      if (fromUpper)
        a[j * k + i] = a[i * k + j];
      else
        a[i * k + j] = a[j * k + i];
}

/// c[m x n] -= a[m x p] * b[p x n], all row-major with leading dimensions.
void subtractProduct(int64_t m, int64_t n, int64_t p, const double *a,
                     int64_t lda, const double *b, int64_t ldb, double *c,
                     int64_t ldc) {
  if (m == 0 || n == 0 || p == 0)
    return;
  useHostBlasKernels();
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, p, -1.0, a, lda,
              b, ldb, 1.0, c, ldc);
}

/// LAPACK's dpotrf or dpotri on the row-major k x k matrix `a`. Row-major
/// storage is the column-major transpose, so the column-major 'U' triangle
/// is the row-major lower one and vice versa. True on success.
bool lapack(decltype(dpotrf_) *routine, char columnMajorTriangle, double *a,
            int64_t k) {
  const int n = static_cast<int>(k);
  int info = 0;
  useHostBlasKernels();
  routine(&columnMajorTriangle, &n, a, &n, &info, 1);
  return info == 0;
}

} // namespace

/// c = beta c + 2/total X^T X in c's upper triangle (k x k, row-major): one
/// symmetric rank-k update in double precision.
static void upperProduct(const float *x, int64_t rows, int64_t k, int64_t total,
                         double beta, double *c) {
  std::vector<double> xd(x, x + rows * k);
  useHostBlasKernels();
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, rows,
              2.0 / static_cast<double>(total), xd.data(), k, beta, c, k);
}

void mxc::numerics::accumulateHessian(const float *x, int64_t rows, int64_t k,
                                      int64_t total, std::vector<double> &h) {
  h.resize(k * k, 0.0);
  if (rows == 0)
    return;
  upperProduct(x, rows, k, total, 1.0, h.data());
  symmetrize(h.data(), k, /*fromUpper=*/true);
}

void mxc::numerics::accumulateHessianPacked(const float *x, int64_t rows,
                                            int64_t k, int64_t total,
                                            std::vector<double> &packed) {
  packed.resize(k * (k + 1) / 2, 0.0);
  if (rows == 0)
    return;
  // The call's product, then added to the packed triangle.
  std::vector<double> product(k * k);
  upperProduct(x, rows, k, total, 0.0, product.data());
  double *to = packed.data();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      *to++ += product[i * k + j];
}

std::vector<float>
mxc::numerics::unpackHessian(const std::vector<double> &packed, int64_t k,
                             int64_t total) {
  std::vector<float> h(k * k);
  const double *from = packed.data();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      h[i * k + j] = h[j * k + i] =
          static_cast<float>(2.0 * *from++ / static_cast<double>(total));
  return h;
}

bool mxc::numerics::gptqQuantize(const float *w, int64_t n, int64_t k,
                                 std::vector<double> hIn,
                                 const GPTQOptions &options,
                                 QuantizedWeight &result, std::string &reason) {
  const int64_t block = options.blockSize;
  if (!isValidBlockSize(options.format, block) || options.lazyBatch <= 0 ||
      options.lazyBatch % block != 0) {
    reason = "the lazy batch must be a positive multiple of a valid MX block";
    return false;
  }
  if (static_cast<int64_t>(hIn.size()) != k * k) {
    reason = "the Hessian must be k x k";
    return false;
  }
  std::vector<double> weight(w, w + n * k);
  std::vector<double> u = std::move(hIn);

  // Dead inputs (never active in calibration): fix H, zero the weights.
  double diagonalSum = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (u[j * k + j] == 0) {
      u[j * k + j] = 1;
      for (int64_t r = 0; r < n; ++r)
        weight[r * k + j] = 0;
    }
    diagonalSum += u[j * k + j];
  }
  const double damp = options.percdamp * diagonalSum / k;
  for (int64_t j = 0; j < k; ++j)
    u[j * k + j] += damp;

  // U, the upper Cholesky factor of H^-1 (H^-1 = U^T U), from LAPACK:
  // H = L L^T and H^-1 from L (in the row-major lower triangle), then the
  // factor of H^-1 into the row-major upper triangle. Only that triangle is
  // read below.
  if (!lapack(dpotrf_, 'U', u.data(), k)) {
    reason = "the damped Hessian is not positive definite; raise the damping";
    return false;
  }
  if (!lapack(dpotri_, 'U', u.data(), k)) {
    reason = "the damped Hessian is singular; raise the damping";
    return false;
  }
  symmetrize(u.data(), k, /*fromUpper=*/false);
  if (!lapack(dpotrf_, 'L', u.data(), k)) {
    reason = "H^-1 is not positive definite; raise the damping";
    return false;
  }
  auto U = [&](int64_t i, int64_t j) { return u[i * k + j]; };

  MXTensor &t = result.tensor;
  t = MXTensor::allocate(MXLayout{options.format, block, n, k});
  std::vector<double> quantized(n * k, 0.0);
  std::vector<double> error(n * k, 0.0); // The scaled errors E, per column.
  std::vector<float> values(block);
  std::vector<uint8_t> codes(block);
  std::vector<double> decoded(block);

  for (int64_t b1 = 0; b1 < k; b1 += options.lazyBatch) {
    const int64_t b2 = std::min(b1 + options.lazyBatch, k);
    for (int64_t c1 = b1; c1 < b2; c1 += block) {
      const int64_t c2 = std::min(c1 + block, k), width = c2 - c1;
      const int64_t blockIndex = c1 / block;
      for (int64_t r = 0; r < n; ++r) {
        // The block's shared exponent comes from the error-updated weights.
        for (int64_t c = 0; c < width; ++c)
          values[c] = static_cast<float>(weight[r * k + c1 + c]);
        uint8_t scale =
            quantizeBlock(options.format, values.data(), width, codes.data(),
                          options.rounding, options.scales);
        t.scales[r * t.layout.blocksPerRow() + blockIndex] = scale;
        std::fill(codes.begin() + width, codes.end(), 0);
        packCodes(options.format, codes.data(), block,
                  t.data.data() + r * t.layout.rowBytes() +
                      blockIndex * t.layout.blockBytes());
        dequantizeBlock(options.format, scale, codes.data(), width,
                        decoded.data());
        // E_B = (W_B - Q_B) U_BB^-1: forward substitution along the row.
        for (int64_t c = 0; c < width; ++c) {
          int64_t j = c1 + c;
          quantized[r * k + j] = decoded[c];
          double e = weight[r * k + j] - decoded[c];
          for (int64_t p = c1; p < j; ++p)
            e -= error[r * k + p] * U(p, j);
          error[r * k + j] = e / U(j, j);
          // A NaN or infinite weight makes its block NaN (scale 0xFF), as
          // in RTN; its error must not reach the columns after it.
          if (!std::isfinite(error[r * k + j]))
            error[r * k + j] = 0;
        }
      }
      // W[:, c2:b2] -= E_B U[B, c2:b2]: the rest of the lazy batch now.
      subtractProduct(n, b2 - c2, width, error.data() + c1, k,
                      u.data() + c1 * k + c2, k, weight.data() + c2, k);
    }
    // W[:, b2:] -= E[:, b1:b2] U[b1:b2, b2:]: the lazy update after the batch.
    subtractProduct(n, k - b2, b2 - b1, error.data() + b1, k,
                    u.data() + b1 * k + b2, k, weight.data() + b2, k);
  }
  result.dequantized = std::move(quantized);
  return true;
}

double mxc::numerics::outputMSEFromHessian(const float *w,
                                           const std::vector<double> &wHat,
                                           int64_t n, int64_t k,
                                           const std::vector<double> &h) {
  if (n == 0 || k == 0)
    return 0;
  // D = W - W^, then sum_i (1/2) d_i^T H d_i = (1/2) sum(D .* (D H)).
  std::vector<double> d(n * k), dh(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    d[i] = w[i] - wHat[i];
  useHostBlasKernels();
  cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, n, k, 1.0, h.data(), k,
              d.data(), k, 0.0, dh.data(), k);
  double total = 0;
  for (int64_t i = 0; i < n * k; ++i)
    total += d[i] * dh[i];
  return 0.5 * total / n;
}

// OpenBLAS's server threads: stopped here, started again by the next
// threaded call. Weak: not every OpenBLAS build exports it.
extern "C" __attribute__((weak)) int blas_thread_shutdown_(void);

// OpenBLAS's run-time kernel choice (builds with DYNAMIC_ARCH): the second
// reads OPENBLAS_CORETYPE. Weak: absent from builds for one CPU.
extern "C" __attribute__((weak)) void gotoblas_dynamic_quit(void);
extern "C" __attribute__((weak)) void gotoblas_dynamic_init(void);

static const char *chooseHostBlasKernels() {
#if defined(__x86_64__)
  if (gotoblas_dynamic_quit && gotoblas_dynamic_init &&
      !std::getenv("OPENBLAS_CORETYPE")) {
    const char *wanted = nullptr;
    if (__builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
      wanted = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      wanted = "Haswell";
    // The kernel sets with AVX2 (OpenBLAS's names); any other one on a host
    // with AVX2 is a fallback.
    static const char *const withAVX2[] = {"Haswell",        "Zen",
                                           "SkylakeX",       "Cooperlake",
                                           "SapphireRapids", "Excavator"};
    const char *current = openblas_get_corename();
    bool fallback = wanted && current;
    for (const char *name : withAVX2)
      if (current && std::strcmp(current, name) == 0)
        fallback = false;
    if (fallback) {
      setenv("OPENBLAS_CORETYPE", wanted, 0);
      gotoblas_dynamic_quit();
      gotoblas_dynamic_init();
      unsetenv("OPENBLAS_CORETYPE");
    }
  }
#endif
  return openblas_get_corename();
}

const char *mxc::numerics::useHostBlasKernels() {
  static const char *const name = chooseHostBlasKernels();
  return name;
}

void mxc::numerics::setLinalgThreads(unsigned threads) {
  useHostBlasKernels();
  openblas_set_num_threads(threads ? static_cast<int>(threads)
                                   : openblas_get_num_procs());
  // OpenBLAS starts its threads when it loads, and each spins (sched_yield)
  // for about 2^28 cycles before it sleeps: measured, 18% of the CPU time of
  // a 0.7 s mxc-run that makes no BLAS call, taken from the model's own
  // threads on a 2-core machine. They start again when GPTQ needs them.
  if (blas_thread_shutdown_)
    blas_thread_shutdown_();
}

mxc::numerics::SingleThreadedLinalg::SingleThreadedLinalg()
    : saved(openblas_get_num_threads()) {
  useHostBlasKernels();
  openblas_set_num_threads(1);
}

mxc::numerics::SingleThreadedLinalg::~SingleThreadedLinalg() {
  openblas_set_num_threads(saved);
}
