//===- CPUKernels.cpp - The CPU kernels: dispatch and C entry points ------===//

#include "CPUKernelsImpl.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

using namespace mxc::cpu;
namespace num = mxc::numerics;

int64_t mxc::cpu::bufferLength(const MatmulProblem &p) {
  const int64_t length = (p.k + p.block - 1) / p.block * p.block;
  return (length + 15) / 16 * 16;
}

int64_t mxc::cpu::packedLength(const MatmulProblem &p) {
  if (p.m >= kGemmRows) // m rounded up to a tile
    return (p.m + kMaxGemmTileRows) * p.xCols;
  return p.m * bufferLength(p) + 1;
}

int64_t mxc::cpu::columnsScratchLength(const MatmulProblem &p) {
  const int64_t length = bufferLength(p);
  if (p.m >= kGemmRows) // The AVX2 GEMM's decoded columns and panel.
    return kGemmPanelColumns * (length + kGemmDepth);
  return (kMaxTileColumns + 1) * length;
}

namespace {

struct Variant {
  const char *name;
  void (*packActivations)(const MatmulProblem &, float *, int64_t, int64_t);
  void (*columns)(const MatmulProblem &, const Tables &, const float *, int64_t,
                  int64_t, float *);
  void (*attentionRows)(const AttentionProblem &, int64_t, int64_t, float *);
  void (*quantizeRows)(const QuantizeProblem &, const ElementGrid &, int64_t,
                       int64_t, float *);
};

const Variant kVariants[] = {
    {"avx512", avx512::packActivations, avx512::columns, avx512::attentionRows,
     avx512::quantizeRows},
    {"avx2", avx2::packActivations, avx2::columns, avx2::attentionRows,
     avx2::quantizeRows},
    {"generic", generic::packActivations, generic::columns,
     generic::attentionRows, generic::quantizeRows},
};

bool runs(const Variant &v) {
  const std::string_view name = v.name;
  if (name == "generic")
    return true;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  __builtin_cpu_init();
  if (name == "avx512")
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
  if (name == "avx2")
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return false;
}

/// The best variant this CPU runs, or the one the environment variable
/// MXC_CPU_KERNELS names (to compare them on one machine), unless
/// useKernelISA chose another.
std::atomic<const Variant *> &current() {
  static std::atomic<const Variant *> chosen = []() -> const Variant * {
    if (const char *wanted = std::getenv("MXC_CPU_KERNELS")) {
      for (const Variant &v : kVariants)
        if (std::string_view(wanted) == v.name && runs(v))
          return &v;
      std::fprintf(stderr,
                   "mxc: MXC_CPU_KERNELS=%s is not a kernel variant this CPU "
                   "runs (avx512, avx2, generic); using the best one\n",
                   wanted);
    }
    for (const Variant &v : kVariants)
      if (runs(v))
        return &v;
    return &kVariants[2];
  }();
  return chosen;
}

const Variant &variant() { return *current().load(); }

/// Every format's element values and the E8M0 scales, as the generated
/// lowering has them: float(decodeElement) and float(decodeE8M0).
struct AllTables {
  std::array<std::array<float, 256>, num::kAllElemFormats.size()> element{};
  std::array<float, 256> scale{};
  AllTables() {
    for (num::ElemFormat f : num::kAllElemFormats) {
      const unsigned codes = 1u << num::getFormatInfo(f).bits;
      for (unsigned c = 0; c < codes; ++c)
        element[static_cast<int>(f)][c] =
            static_cast<float>(num::decodeElement(f, static_cast<uint8_t>(c)));
    }
    for (unsigned c = 0; c < 256; ++c)
      scale[c] = static_cast<float>(num::decodeE8M0(static_cast<uint8_t>(c)));
  }
};

const AllTables &tables() {
  static const AllTables t;
  return t;
}

/// Below this many multiply-adds a matmul runs on the calling thread: waking
/// the pool costs more than it saves.
constexpr int64_t kParallelWork = int64_t(1) << 18;

/// How long an idle worker spins for the next matmul before it sleeps. A
/// model calls matmuls back to back, with some microseconds of other work
/// between them; waking a sleeping thread takes tens to hundreds of them on
/// a virtual machine (measured: llvm::parallelFor's sleeping pool made a
/// 2048 x 768 GEMV 3x slower on two threads than on one).
constexpr auto kSpin = std::chrono::milliseconds(2);

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

/// The kernels' own thread pool: `size - 1` workers that spin briefly, then
/// sleep, between jobs; the caller works too. One job at a time: a caller
/// that finds it busy runs its job alone.
class Pool {
public:
  explicit Pool(unsigned size) {
    for (unsigned i = 1; i < size; ++i)
      workers.emplace_back([this] { workerLoop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
      ++generation;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }
  unsigned size() const { return workers.size() + 1; }

  /// Runs fn(0) .. fn(chunks - 1) on the pool; returns false, running
  /// nothing, when another job holds it.
  bool run(int64_t chunks, llvm::function_ref<void(int64_t)> fn) {
    std::unique_lock<std::mutex> busy(submit, std::try_to_lock);
    if (!busy.owns_lock())
      return false;
    job = fn;
    total = chunks;
    next = 0;
    pending = static_cast<int>(workers.size());
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++generation;
      if (sleeping)
        wake.notify_all();
    }
    work();
    while (pending.load() != 0)
      pause();
    return true;
  }

private:
  void work() {
    for (int64_t i = next.fetch_add(1); i < total; i = next.fetch_add(1))
      job(i);
  }
  void workerLoop() {
    uint64_t seen = 0;
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation.load() == seen &&
             std::chrono::steady_clock::now() < until)
        for (int i = 0; i < 64 && generation.load() == seen; ++i)
          pause();
      if (generation.load() == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        ++sleeping;
        wake.wait(lock, [&] { return generation.load() != seen; });
        --sleeping;
      }
      seen = generation.load();
      if (stop)
        return;
      work();
      pending.fetch_sub(1);
    }
  }

  std::vector<std::thread> workers;
  std::mutex submit, mutex;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<int64_t> next{0};
  std::atomic<int> pending{0};
  int64_t total = 0;
  llvm::function_ref<void(int64_t)> job;
  int sleeping = 0; // guarded by mutex
  bool stop = false;
};

/// The pool for `threads` threads (built again when the count changes).
Pool &pool(unsigned threads) {
  static std::mutex guard;
  static std::unique_ptr<Pool> current;
  std::lock_guard<std::mutex> lock(guard);
  if (!current || current->size() != threads) {
    current.reset();
    current = std::make_unique<Pool>(threads);
  }
  return *current;
}

/// As many threads as mxc's --threads (llvm::parallel::strategy); for
/// "every core", counted once (it asks the kernel for the CPU affinity).
unsigned threadCount() {
  if (unsigned requested = llvm::parallel::strategy.ThreadsRequested)
    return requested;
  static const unsigned all = llvm::parallel::strategy.compute_thread_count();
  return all;
}

/// Whether this thread is one of llvm::parallelFor's workers (mxc runs
/// calibration and evaluation windows there): those already fill the cores.
bool onLLVMPoolThread() {
#if LLVM_ENABLE_THREADS
  return llvm::parallel::threadIndex != UINT_MAX;
#else
  return false;
#endif
}

} // namespace

void mxc::cpu::matmul(const MatmulProblem &p) {
  if (p.m == 0 || p.n == 0)
    return;
  const Variant &v = variant();
  Tables t{nullptr, tables().scale.data()};
  if (p.format >= 0)
    t.element = tables().element[p.format].data();
  const int64_t length = bufferLength(p);
  // The packed activations, in a buffer each calling thread keeps (a model
  // calls this for every matmul of every token). The workers read it through
  // `packed`: a thread_local named in the lambda would be their own.
  thread_local std::vector<float> xk;
  xk.resize(static_cast<size_t>(packedLength(p)));
  float *packed = xk.data();

  // Columns go to the threads in units of a GEMM panel (kGemmPanelColumns)
  // or of 4.
  const unsigned threads = threadCount();
  const int64_t unit = p.m >= kGemmRows ? kGemmPanelColumns : 4;
  const int64_t groups = (p.n + unit - 1) / unit;
  const int64_t chunks =
      threads > 1 && p.m * p.n * length >= kParallelWork && !onLLVMPoolThread()
          ? std::min<int64_t>(groups, 4 * static_cast<int64_t>(threads))
          : 1;
  // A GEMM's activations are packed (transposed) on the threads as well, one
  // share of the row tiles each.
  const int64_t packParts =
      chunks > 1 && p.m >= kGemmRows ? static_cast<int64_t>(threads) : 1;
  auto pack = [&](int64_t part) {
    v.packActivations(p, packed, part, packParts);
  };
  if (packParts == 1 || !pool(threads).run(packParts, pack))
    for (int64_t part = 0; part < packParts; ++part)
      pack(part);

  auto run = [&](int64_t chunk) {
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(columnsScratchLength(p)));
    const int64_t n0 = groups * chunk / chunks * unit,
                  n1 = std::min(p.n, groups * (chunk + 1) / chunks * unit);
    v.columns(p, t, packed, n0, n1, scratch.data());
  };
  if (chunks == 1 || !pool(threads).run(chunks, run))
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      run(chunk);
}

void mxc::cpu::attention(const AttentionProblem &p) {
  const int64_t rows = p.heads * p.queries;
  if (rows == 0 || p.valueDim == 0)
    return;
  const Variant &v = variant();
  // Multiply-adds: about keys / 2 per row of a prefill, keys per decode row,
  // times D + Dv.
  const int64_t work = rows * p.keys * (p.headDim + p.valueDim);
  const unsigned threads = threadCount();
  const int64_t chunks =
      threads > 1 && work >= kParallelWork && !onLLVMPoolThread()
          ? std::min<int64_t>(rows, 4 * static_cast<int64_t>(threads))
          : 1;
  auto run = [&](int64_t chunk) {
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(attentionScratchLength(p)));
    // Rows run head by head (r = h * queries + i): a chunk of a prefill
    // gets a head's short and long (causal) rows alike.
    const int64_t r0 = rows * chunk / chunks, r1 = rows * (chunk + 1) / chunks;
    v.attentionRows(p, r0, r1, scratch.data());
  };
  if (chunks == 1 || !pool(threads).run(chunks, run))
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      run(chunk);
}

void mxc::cpu::quantizeDequantize(const QuantizeProblem &p) {
  if (p.rows == 0 || p.cols == 0)
    return;
  const Variant &v = variant();
  const num::FormatInfo &info =
      num::getFormatInfo(static_cast<num::ElemFormat>(p.format));
  const ElementGrid grid{
      info.emax,
      1 - info.bias,
      static_cast<int>(info.mantissaBits),
      static_cast<float>(info.maxNormal),
      info.isInteger,
      p.rounding == static_cast<int32_t>(num::RoundingMode::NearestAway),
      p.scales == static_cast<int32_t>(num::ScaleChoice::Ceil)};
  const unsigned threads = threadCount();
  const int64_t chunks =
      threads > 1 && p.rows * p.cols >= kParallelWork && !onLLVMPoolThread()
          ? std::min<int64_t>(p.rows, 4 * static_cast<int64_t>(threads))
          : 1;
  auto run = [&](int64_t chunk) {
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(2 * p.cols));
    v.quantizeRows(p, grid, p.rows * chunk / chunks,
                   p.rows * (chunk + 1) / chunks, scratch.data());
  };
  if (chunks == 1 || !pool(threads).run(chunks, run))
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      run(chunk);
}

const char *mxc::cpu::kernelISA() { return variant().name; }

bool mxc::cpu::useKernelISA(const char *isa) {
  for (const Variant &v : kVariants)
    if (std::string_view(isa) == v.name && runs(v)) {
      current() = &v;
      return true;
    }
  return false;
}

//===----------------------------------------------------------------------===//
// C entry points (llvm.emit_c_interface: memrefs by descriptor pointer)
//===----------------------------------------------------------------------===//

namespace {
[[noreturn]] void fail(const char *what,
                       const char *kernel = "mxc_cpu_matmul") {
  std::fprintf(stderr, "%s: %s\n", kernel, what);
  std::abort();
}

MatmulProblem problem(StridedMemRefType<float, 2> *x, int64_t n, int64_t k,
                      StridedMemRefType<float, 2> *out) {
  if (out->sizes[0] != x->sizes[0] || out->sizes[1] != n)
    fail("the output's shape does not match the operands'");
  if (out->strides[1] != 1)
    fail("the output's rows are not contiguous");
  MatmulProblem p;
  p.x = x->data + x->offset;
  p.m = x->sizes[0];
  p.xCols = x->sizes[1];
  p.xRowStride = x->strides[0];
  p.xColStride = x->strides[1];
  p.n = n;
  p.k = k;
  p.out = out->data + out->offset;
  p.outStride = out->strides[0];
  return p;
}

/// The attention of q [H, Sq, D], k [Hkv, Skv, D], v [Hkv, Skv, Dv] into
/// out [H, Sq, Dv], all f32, checked; `kernel` names the caller in errors.
AttentionProblem attentionProblem(StridedMemRefType<float, 3> *q,
                                  StridedMemRefType<float, 3> *k,
                                  StridedMemRefType<float, 3> *v,
                                  StridedMemRefType<float, 3> *out, float scale,
                                  const char *kernel) {
  AttentionProblem p;
  p.heads = q->sizes[0];
  p.queries = q->sizes[1];
  p.headDim = q->sizes[2];
  p.kvHeads = k->sizes[0];
  p.keys = k->sizes[1];
  p.valueDim = v->sizes[2];
  if (k->sizes[2] != p.headDim || v->sizes[0] != p.kvHeads ||
      v->sizes[1] != p.keys || p.kvHeads == 0 || p.heads % p.kvHeads != 0 ||
      p.queries > p.keys || out->sizes[0] != p.heads ||
      out->sizes[1] != p.queries || out->sizes[2] != p.valueDim)
    fail("the operands' shapes do not agree", kernel);
  p.q = q->data + q->offset;
  p.k = k->data + k->offset;
  p.v = v->data + v->offset;
  p.out = out->data + out->offset;
  for (int d = 0; d < 3; ++d) {
    p.qStrides[d] = q->strides[d];
    p.kStrides[d] = k->strides[d];
    p.vStrides[d] = v->strides[d];
    p.outStrides[d] = out->strides[d];
  }
  p.scale = scale;
  return p;
}
} // namespace

extern "C" {

/// x [M, K'] f32 (K' <= numBlocks * block), data [N, numBlocks * blockBytes]
/// and scales [N, numBlocks] bytes, out [M, N] f32; xFormat: MatmulProblem's.
static void matmulMX(StridedMemRefType<float, 2> *x,
                     StridedMemRefType<int8_t, 2> *data,
                     StridedMemRefType<int8_t, 2> *scales,
                     StridedMemRefType<float, 2> *out, int32_t format,
                     int64_t block, int32_t xFormat) {
  const auto formats = static_cast<int32_t>(num::kAllElemFormats.size());
  if (format < 0 || format >= formats)
    fail("unknown element format");
  if (xFormat < kWeightF32 || xFormat >= formats)
    fail("unknown activation format");
  if (data->strides[1] != 1 || scales->strides[1] != 1)
    fail("the weight's rows are not contiguous");
  const int64_t bits =
      num::getFormatInfo(static_cast<num::ElemFormat>(format)).bits;
  const int64_t numBlocks = scales->sizes[1];
  if (block <= 0 || data->sizes[1] != numBlocks * block * bits / 8 ||
      data->sizes[0] != scales->sizes[0] || x->sizes[1] > numBlocks * block)
    fail("the MX weight's storage does not match its shape");
  MatmulProblem p = problem(x, data->sizes[0], numBlocks * block, out);
  p.format = format;
  p.block = block;
  p.data = reinterpret_cast<const uint8_t *>(data->data + data->offset);
  p.dataStride = data->strides[0];
  p.scales = reinterpret_cast<const uint8_t *>(scales->data + scales->offset);
  p.scaleStride = scales->strides[0];
  p.xFormat = xFormat;
  matmul(p);
}

/// An MX weight and f32 activations (any values).
void _mlir_ciface_mxc_cpu_matmul_mx(StridedMemRefType<float, 2> *x,
                                    StridedMemRefType<int8_t, 2> *data,
                                    StridedMemRefType<int8_t, 2> *scales,
                                    StridedMemRefType<float, 2> *out,
                                    int32_t format, int64_t block) {
  matmulMX(x, data, scales, out, format, block, kWeightF32);
}

/// An MX weight and activations that are MX values of format xFormat in
/// blocks of 32 (dequantized to f32).
void _mlir_ciface_mxc_cpu_matmul_mx_activations(
    StridedMemRefType<float, 2> *x, StridedMemRefType<int8_t, 2> *data,
    StridedMemRefType<int8_t, 2> *scales, StridedMemRefType<float, 2> *out,
    int32_t format, int64_t block, int32_t xFormat) {
  matmulMX(x, data, scales, out, format, block, xFormat);
}

/// x [M, K] f32, weight [N, K] f32, out [M, N] f32.
void _mlir_ciface_mxc_cpu_matmul_f32(StridedMemRefType<float, 2> *x,
                                     StridedMemRefType<float, 2> *weight,
                                     StridedMemRefType<float, 2> *out) {
  if (weight->strides[1] != 1)
    fail("the weight's rows are not contiguous");
  if (x->sizes[1] != weight->sizes[1])
    fail("the weight's shape does not match the activations'");
  MatmulProblem p = problem(x, weight->sizes[0], weight->sizes[1], out);
  p.block = weight->sizes[1] > 0 ? weight->sizes[1] : 1;
  p.weight = weight->data + weight->offset;
  p.wStride = weight->strides[0];
  matmul(p);
}

/// q [H, Sq, D], k [Hkv, Skv, D], v [Hkv, Skv, Dv], out [H, Sq, Dv], all f32.
void _mlir_ciface_mxc_cpu_attention(StridedMemRefType<float, 3> *q,
                                    StridedMemRefType<float, 3> *k,
                                    StridedMemRefType<float, 3> *v,
                                    StridedMemRefType<float, 3> *out,
                                    float scale) {
  attention(attentionProblem(q, k, v, out, scale, "mxc_cpu_attention"));
}

/// The same with the EXAQ softmax: `table` the quantizer's exponentTable
/// (2^bits entries, bits 1 to 8), `clip` and `inverseStep` its clipF32 and
/// inverseStepF32.
void _mlir_ciface_mxc_cpu_attention_exaq(StridedMemRefType<float, 3> *q,
                                         StridedMemRefType<float, 3> *k,
                                         StridedMemRefType<float, 3> *v,
                                         StridedMemRefType<float, 3> *out,
                                         float scale,
                                         StridedMemRefType<float, 1> *table,
                                         float clip, float inverseStep) {
  const char *kernel = "mxc_cpu_attention_exaq";
  AttentionProblem p = attentionProblem(q, k, v, out, scale, kernel);
  const int64_t levels = table->sizes[0];
  if (levels < 2 || levels > 256 || (levels & (levels - 1)) != 0)
    fail("the softmax table must have 2^bits entries, bits 1 to 8", kernel);
  if (!(clip < 0.0f) || !std::isfinite(clip) || !(inverseStep > 0.0f) ||
      !std::isfinite(inverseStep))
    fail("the clip must be negative and the inverse step positive, both "
         "finite",
         kernel);
  float entries[256];
  for (int64_t e = 0; e < levels; ++e)
    entries[e] = table->data[table->offset + e * table->strides[0]];
  p.exaqTable = entries;
  p.exaqLevels = levels;
  p.exaqClip = clip;
  p.exaqInverseStep = inverseStep;
  attention(p);
}

/// x [M, K] f32 to out [M, K] f32 through MX `format` in blocks of `block`
/// along K; `rounding` a numerics::RoundingMode value, `scales` a
/// numerics::ScaleChoice value (Spec or Ceil).
void _mlir_ciface_mxc_cpu_quantize_dequantize(StridedMemRefType<float, 2> *x,
                                              StridedMemRefType<float, 2> *out,
                                              int32_t format, int64_t block,
                                              int32_t rounding,
                                              int32_t scales) {
  const char *kernel = "mxc_cpu_quantize_dequantize";
  if (format < 0 || format >= static_cast<int32_t>(num::kAllElemFormats.size()))
    fail("unknown element format", kernel);
  if (block <= 0 ||
      (rounding != static_cast<int32_t>(num::RoundingMode::NearestEven) &&
       rounding != static_cast<int32_t>(num::RoundingMode::NearestAway)))
    fail("invalid block size or rounding mode", kernel);
  if (scales != static_cast<int32_t>(num::ScaleChoice::Spec) &&
      scales != static_cast<int32_t>(num::ScaleChoice::Ceil))
    fail("invalid scale choice", kernel);
  if (out->sizes[0] != x->sizes[0] || out->sizes[1] != x->sizes[1])
    fail("the output's shape does not match the input's", kernel);
  QuantizeProblem p;
  p.x = x->data + x->offset;
  p.out = out->data + out->offset;
  p.rows = x->sizes[0];
  p.cols = x->sizes[1];
  for (int d = 0; d < 2; ++d) {
    p.xStrides[d] = x->strides[d];
    p.outStrides[d] = out->strides[d];
  }
  p.format = format;
  p.block = block;
  p.rounding = rounding;
  p.scales = scales;
  quantizeDequantize(p);
}

} // extern "C"

namespace {
/// The LLVM name of a C parameter or result type of an entry point.
template <typename T> constexpr std::string_view llvmTypeName() {
  if constexpr (std::is_pointer_v<T>)
    return "ptr";
  else if constexpr (std::is_same_v<T, void>)
    return "void";
  else if constexpr (std::is_same_v<T, float>)
    return "f32";
  else if constexpr (std::is_same_v<T, int32_t>)
    return "i32";
  else if constexpr (std::is_same_v<T, int64_t>)
    return "i64";
  else
    static_assert(sizeof(T) == 0, "an entry point takes an unnamed type");
}

/// "void(ptr, ptr, i32)" for void (*)(float *, float *, int32_t).
template <typename R, typename... Args>
std::string signatureOf(R (*)(Args...)) {
  std::string s(llvmTypeName<R>());
  s += '(';
  const char *separator = "";
  ((s += separator, s += llvmTypeName<Args>(), separator = ", "), ...);
  return s + ')';
}

template <typename F> KernelSymbol symbol(const char *name, F *function) {
  // The strings live as long as the program (the table is built once); a
  // deque keeps them in place as it grows.
  static std::deque<std::string> signatures;
  signatures.push_back(signatureOf(function));
  return {name, reinterpret_cast<void *>(function), signatures.back().c_str()};
}
} // namespace

const KernelSymbol *mxc::cpu::kernelSymbols() {
  static const KernelSymbol symbols[] = {
      symbol("_mlir_ciface_mxc_cpu_matmul_mx", &_mlir_ciface_mxc_cpu_matmul_mx),
      symbol("_mlir_ciface_mxc_cpu_matmul_mx_activations",
             &_mlir_ciface_mxc_cpu_matmul_mx_activations),
      symbol("_mlir_ciface_mxc_cpu_matmul_f32",
             &_mlir_ciface_mxc_cpu_matmul_f32),
      symbol("_mlir_ciface_mxc_cpu_attention", &_mlir_ciface_mxc_cpu_attention),
      symbol("_mlir_ciface_mxc_cpu_attention_exaq",
             &_mlir_ciface_mxc_cpu_attention_exaq),
      symbol("_mlir_ciface_mxc_cpu_quantize_dequantize",
             &_mlir_ciface_mxc_cpu_quantize_dequantize),
      {nullptr, nullptr, nullptr}};
  return symbols;
}
