//===- FakeCuda.cpp - A CPU stand-in for libcuda.so.1, for tests ----------===//
//
// Test-only. Exports the CUDA driver entry points mxc's runtime resolves,
// backed by host memory, and "runs" mxc's kernels by name with CPU
// reference implementations from the numerics library. It decodes each
// launch's parameters in the kernel ABI (a memref is pointer, pointer,
// offset, size, stride; an index an int64; an f32 a float) and honours the
// grid, so that mxc-gpu-runner's host side (module loading, kernel names,
// parameter packing, grids, copies, its comparisons) runs end to end on a
// machine without a GPU. That proves nothing about the GPU code itself.
//
// With MXC_FAKE_CUDA_EMULATE=1 it runs the GPU code itself where it has it
// compiled for this CPU (mxc-gpu-emulate): the runner's kernels, built into
// this library, and a model's, in the object that holds the model's cubin
// (mxc-compile --emulated-kernels). Emulator.cpp runs each block's threads
// as fibers that meet at barriers and shuffles; every device allocation is
// open to an emulated kernel. A captured emulated launch keeps a copy of
// its parameters and runs at each launch of the graph.
//
// With MXC_FAKE_CUDA_AUDIT=1 in the environment it also accepts kernels it
// cannot run (a compiled model's own): it checks each launch against the
// hardware limits (grid x < 2^31, y and z < 2^16, at most 1024 threads a
// block), counts it and leaves its output untouched, and at exit prints the
// launches, the device allocations and how many were never freed. So a
// model compiled for CUDA runs its host side here: loading, every kernel
// name, every launch's geometry, and the balance of its buffers.
//
// Device memory (cuMemAlloc) is host memory the host cannot touch: it is
// mapped without access except while the fake copies to or from it, sets it
// or runs a kernel, so host code that reads or writes a device buffer
// crashes here as it would with a GPU. Managed memory (cuMemAllocManaged)
// stays readable.
//
// CUDA graphs: stream capture records the launches of kernels the fake
// cannot run (audit mode) and of emulated kernels, checks and counts (or
// runs) them at each graph launch, and refuses what a real capture refuses
// (synchronization, copies from pageable memory, the fake's reimplemented
// kernels); an update succeeds when the same kernels are captured in the
// same order.
//
// Failures, for the runtime's error messages: MXC_FAKE_CUDA_NO_DEVICE=1
// makes cuInit fail with CUDA_ERROR_NO_DEVICE; MXC_FAKE_CUDA_FAULT=PREFIX
// makes each launch of a kernel whose name starts with PREFIX fault
// (nothing runs), and every later synchronization or copy to the host
// returns CUDA_ERROR_ILLEGAL_ADDRESS, as a sticky error of a real context.
//
//===----------------------------------------------------------------------===//

#include "Emulator.h"
#include "mxc/GPU/LaunchGeometry.h"
#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Numerics/MX.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <vector>

namespace num = mxc::numerics;

namespace {

struct Module {
  const char *image;
  size_t size;
};
struct Function {
  std::string name;
  /// Its CPU form for the emulator (MXC_FAKE_CUDA_EMULATE=1), if any:
  /// looked up once, when the function is.
  fake::Emulated emulated;
};

/// The bytes an image covers: a cubin's ELF extent, or PTX up to its NUL.
size_t imageSize(const void *image) {
  const unsigned char *p = static_cast<const unsigned char *>(image);
  if (std::memcmp(p,
                  "\x7f"
                  "ELF",
                  4) == 0) {
    uint64_t shoff;
    uint16_t shentsize, shnum;
    std::memcpy(&shoff, p + 0x28, 8);
    std::memcpy(&shentsize, p + 0x3A, 2);
    std::memcpy(&shnum, p + 0x3C, 2);
    return shoff + size_t(shentsize) * shnum;
  }
  return std::strlen(static_cast<const char *>(image));
}

/// Opens the device allocation holding `p` to the running fake kernel.
void reachForKernel(const void *p);

template <typename T> T *pointer(void **params, int &at) {
  T *aligned = *static_cast<T **>(params[at + 1]);
  int64_t offset = *static_cast<int64_t *>(params[at + 2]);
  at += 5;
  reachForKernel(aligned);
  return aligned + offset;
}
int64_t index(void **params, int &at) {
  return *static_cast<int64_t *>(params[at++]);
}
float f32(void **params, int &at) {
  return *static_cast<float *>(params[at++]);
}

/// mx_gemv_<format>_b<batch>: rows [tile * batch, ...) of the grid's tiles,
/// columns of the grid's blocks (4 warps each). mx_gemm_<format> (the
/// tensor-core GEMM): tiles of kGemmTileM x kGemmTileN, x rounded to bf16.
void gemv(const std::string &name, unsigned gx, unsigned gy, void **params) {
  const bool gemm = name.rfind("mx_gemm_", 0) == 0;
  size_t b = gemm ? name.size() : name.rfind("_b");
  std::string format = name.substr(8, b - 8);
  const int64_t batch =
      gemm ? mxc::gpu::kGemmTileM : std::stoll(name.substr(b + 2));
  const int64_t columns =
      gemm ? mxc::gpu::kGemmTileN : mxc::gpu::kGemvWarpsPerBlock;
  int at = 0;
  auto *w = pointer<uint8_t>(params, at);
  auto *s = pointer<uint8_t>(params, at);
  auto *x = pointer<float>(params, at);
  auto *y = pointer<float>(params, at);
  int64_t m = index(params, at), n = index(params, at), k = index(params, at);
  auto *residual = pointer<float>(params, at);
  const bool addResidual = index(params, at) != 0;
  num::MXTensor t;
  t.layout = {*num::parseElemFormat(format), 32, n, k};
  t.data.assign(w, w + t.layout.dataBytes());
  t.scales.assign(s, s + t.layout.numScales());
  std::vector<double> wd = num::dequantize(t);
  for (int64_t r = 0; r < std::min<int64_t>(m, int64_t(gy) * batch); ++r)
    for (int64_t c = 0; c < std::min<int64_t>(n, int64_t(gx) * columns); ++c) {
      double sum = 0;
      for (int64_t i = 0; i < k; ++i)
        sum += double(gemm ? num::roundToBF16(x[r * k + i]) : x[r * k + i]) *
               wd[c * k + i];
      y[r * n + c] =
          static_cast<float>(sum) + (addResidual ? residual[r * n + c] : 0.0f);
    }
}

/// mx_softmax_exact / mx_softmax_exaq<bits>[_codes]: one row per block.
void softmax(const std::string &name, unsigned gx, void **params) {
  int at = 0;
  const bool codes = name.find("_codes") != std::string::npos;
  auto *x = pointer<float>(params, at);
  // f32 probabilities, or the compact form's i8 codes.
  void *y = codes ? static_cast<void *>(pointer<int8_t>(params, at))
                  : static_cast<void *>(pointer<float>(params, at));
  int64_t n = index(params, at);
  if (name == "mx_softmax_exact") {
    std::vector<double> out(n);
    for (unsigned r = 0; r < gx; ++r) {
      num::softmaxRowF64(x + r * n, n, out.data());
      for (int64_t c = 0; c < n; ++c)
        static_cast<float *>(y)[r * n + c] = static_cast<float>(out[c]);
    }
    return;
  }
  int bits = std::stoi(name.substr(15));
  float clip = f32(params, at);
  f32(params, at); // 1/step follows from the clip
  pointer<float>(params, at);
  auto *counts = pointer<int32_t>(params, at);
  float *rowTable = codes ? pointer<float>(params, at) : nullptr;
  num::ExaqQuantizer q{bits, clip};
  std::vector<uint32_t> c;
  for (unsigned r = 0; r < gx; ++r) {
    if (codes)
      num::exaqSoftmaxRowCodes(q, x + r * n, n,
                               static_cast<int8_t *>(y) + r * n,
                               rowTable + r * q.levels(), &c);
    else
      num::exaqSoftmaxRow(q, x + r * n, n, static_cast<float *>(y) + r * n, &c);
    for (int i = 0; i < q.levels(); ++i)
      counts[r * q.levels() + i] = static_cast<int32_t>(c[i]);
  }
}

/// mx_attention_decode_{dense,sparse}_d<D>[_q<G>][_split]: block (G query
/// heads, query row); the split form's blocks (G query heads and a split,
/// query row) write records that the merge kernel turns into the output:
/// here split 0's record holds the output (max 0, sum 1), the others none.
void attention(const std::string &name, unsigned gx, unsigned gy,
               void **params) {
  bool sparse = name.find("sparse") != std::string::npos;
  const bool split = name.find("_split") != std::string::npos;
  int64_t d = std::stoll(name.substr(name.rfind("_d") + 2));
  size_t group = name.rfind("_q");
  int64_t groupHeads =
      group == std::string::npos ? 1 : std::stoll(name.substr(group + 2));
  int at = 0;
  auto *q = pointer<float>(params, at);
  auto *k = pointer<float>(params, at);
  auto *v = pointer<float>(params, at);
  auto *out = pointer<float>(params, at);
  int32_t *tiles = nullptr;
  int64_t numTiles = 0;
  if (sparse) {
    tiles = pointer<int32_t>(params, at);
    numTiles = index(params, at);
  }
  int64_t keys = index(params, at), heads = index(params, at),
          kvHeads = index(params, at), kStride = index(params, at),
          vStride = index(params, at), queries = index(params, at);
  double scale = f32(params, at);
  keys += *pointer<int64_t>(params, at);
  int64_t outHeadStride = index(params, at), outRowStride = index(params, at);
  float *partial = split ? pointer<float>(params, at) : nullptr;
  const int64_t splits = split ? index(params, at) : 1;
  const int64_t records = heads * queries * splits;
  for (int64_t i = 0; i < std::min<int64_t>(queries, gy); ++i)
    for (int64_t h = 0; h < std::min<int64_t>(heads, gx / splits * groupHeads);
         ++h) {
      const int64_t g = h / (heads / kvHeads), rowKeys = keys - queries + i + 1;
      std::vector<int64_t> visible;
      for (int64_t t = 0; sparse && t < numTiles; ++t) {
        const int64_t t0 = tiles[t] * mxc::gpu::kAttentionTile;
        for (int64_t j = t0;
             j < std::min(rowKeys, t0 + mxc::gpu::kAttentionTile); ++j)
          visible.push_back(j);
      }
      for (int64_t j = 0; !sparse && j < rowKeys; ++j)
        visible.push_back(j);
      const float *qRow = q + (h * queries + i) * d;
      std::vector<double> p;
      double m = -INFINITY, sum = 0;
      for (int64_t j : visible) {
        double dot = 0;
        for (int64_t e = 0; e < d; ++e)
          dot += double(qRow[e]) * k[g * kStride + j * d + e];
        p.push_back(dot * scale);
        m = std::max(m, p.back());
      }
      for (double &x : p)
        sum += (x = std::exp(x - m));
      for (int64_t e = 0; e < d; ++e) {
        double o = 0;
        for (size_t n = 0; n < visible.size(); ++n)
          o += p[n] / sum * v[g * vStride + visible[n] * d + e];
        if (!split) {
          out[h * outHeadStride + i * outRowStride + e] = static_cast<float>(o);
          continue;
        }
        for (int64_t s = 0; s < splits; ++s)
          partial[((h * queries + i) * splits + s) * d + e] =
              s == 0 ? static_cast<float>(o) : 0.0f;
      }
      for (int64_t s = 0; split && s < splits; ++s) {
        const int64_t r = (h * queries + i) * splits + s;
        partial[records * d + 2 * r] = s == 0 ? 0.0f : -INFINITY;
        partial[records * d + 2 * r + 1] = s == 0 ? 1.0f : 0.0f;
      }
    }
}

/// mx_attention_merge_d<D>: block (head, query row) merges its splits'
/// records (as Kernels.h says, in double).
void attentionMerge(const std::string &name, unsigned gx, unsigned gy,
                    void **params) {
  int64_t d = std::stoll(name.substr(name.rfind("_d") + 2));
  int at = 0;
  auto *partial = pointer<float>(params, at);
  auto *out = pointer<float>(params, at);
  int64_t heads = index(params, at), queries = index(params, at),
          splits = index(params, at), outHeadStride = index(params, at),
          outRowStride = index(params, at);
  const float *stats = partial + heads * queries * splits * d;
  for (int64_t i = 0; i < std::min<int64_t>(queries, gy); ++i)
    for (int64_t h = 0; h < std::min<int64_t>(heads, gx); ++h) {
      const int64_t first = (h * queries + i) * splits;
      double m = -INFINITY;
      for (int64_t s = 0; s < splits; ++s)
        m = std::max(m, double(stats[2 * (first + s)]));
      for (int64_t e = 0; e < d; ++e) {
        double l = 0, o = 0;
        for (int64_t s = 0; s < splits; ++s) {
          double ms = stats[2 * (first + s)];
          double f = ms == -INFINITY ? 0.0 : std::exp(ms - m);
          l += stats[2 * (first + s) + 1] * f;
          o += partial[(first + s) * d + e] * f;
        }
        out[h * outHeadStride + i * outRowStride + e] =
            l > 0 ? static_cast<float>(o / l) : 0.0f;
      }
    }
}

/// MXC_FAKE_CUDA_AUDIT: launches of kernels the fake cannot run, and the
/// balance of device allocations, reported at exit.
struct Audit {
  bool enabled = std::getenv("MXC_FAKE_CUDA_AUDIT") != nullptr;
  long launches = 0, outOfLimits = 0, allocations = 0, live = 0, streams = 0,
       graphLaunches = 0, graphs = 0, emulated = 0;
  ~Audit() {
    if (emulated)
      std::fprintf(stderr,
                   "fake CUDA emulator: %ld launches of mxc's kernels "
                   "emulated (their own code, thread by thread)\n",
                   emulated);
    if (enabled)
      std::fprintf(stderr,
                   "fake CUDA audit: %ld launches of kernels it cannot run, "
                   "%ld outside the launch limits; %ld device allocations, "
                   "%ld not freed; %ld streams created; %ld graph launches "
                   "of %ld graphs instantiated\n",
                   launches, outOfLimits, allocations, live, streams,
                   graphLaunches, graphs);
  }
};
Audit audit;

double now() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The sticky error of a faulted launch (MXC_FAKE_CUDA_FAULT).
int faulted = 0;

/// A captured launch: of a kernel the fake cannot run (audit mode), or of
/// an emulated kernel, with a copy of its parameters, as the driver makes.
struct Node {
  std::string name;
  unsigned gx, gy, gz, bx, by, bz;
  fake::Emulated emulated = {};
  std::vector<std::vector<char>> params = {};
};
using Graph = std::vector<Node>;
/// The graph being captured: stream capture records audit launches instead
/// of counting them, and refuses what a real capture refuses (copies from
/// pageable memory, synchronization).
Graph *captured = nullptr;
constexpr int kCaptureUnsupported =
    900; // CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED

/// Whether a launch of `name` faults (MXC_FAKE_CUDA_FAULT): it then sets
/// the sticky error and runs nothing.
bool faults(const std::string &name) {
  const char *fault = std::getenv("MXC_FAKE_CUDA_FAULT");
  if (!fault || !*fault || name.rfind(fault, 0) != 0)
    return false;
  faulted = 700;
  return true;
}

/// Counts an audit launch and checks it against the hardware limits.
void auditLaunch(const Node &n) {
  ++audit.launches;
  uint64_t threads = uint64_t(n.bx) * n.by * n.bz;
  if (n.gx == 0 || n.gy == 0 || n.gz == 0 || n.gx > 0x7fffffffu ||
      n.gy > 65535 || n.gz > 65535 || threads == 0 || threads > 1024 ||
      n.bz > 64)
    ++audit.outOfLimits;
}

/// Device allocations: start address → mapped length. Mapped PROT_NONE
/// while the host runs. Never destroyed: the runtime frees its buffers from
/// its own static destructors, which may run after this library's.
std::map<uintptr_t, size_t> &deviceMemory() {
  static auto *m = new std::map<uintptr_t, size_t>;
  return *m;
}

void protect(uintptr_t start, size_t length, int access) {
  if (mprotect(reinterpret_cast<void *>(start), length, access) != 0) {
    std::perror("fake CUDA: mprotect");
    std::abort();
  }
}

/// Opens the device memory to the fake while it is in scope: the allocation
/// holding `p`, or, with no argument, those a kernel's parameters name
/// (reachForKernel).
class Reach {
public:
  Reach() = default;
  explicit Reach(const void *p) { add(p); }
  void add(const void *p) {
    auto &m = deviceMemory();
    auto it = m.upper_bound(reinterpret_cast<uintptr_t>(p));
    if (it != m.begin() && reinterpret_cast<uintptr_t>(p) <
                               std::prev(it)->first + std::prev(it)->second) {
      --it;
      open(it->first, it->second);
    }
  }
  /// Every device allocation (an emulated kernel's parameters are not
  /// decoded).
  void addAll() {
    for (auto &[start, length] : deviceMemory())
      open(start, length);
  }
  ~Reach() {
    for (auto &[start, length] : opened)
      protect(start, length, PROT_NONE);
  }
  Reach(const Reach &) = delete;
  Reach &operator=(const Reach &) = delete;

private:
  void open(uintptr_t start, size_t length) {
    protect(start, length, PROT_READ | PROT_WRITE);
    opened.emplace_back(start, length);
  }
  std::vector<std::pair<uintptr_t, size_t>> opened;
};

/// The running fake kernel's reach, if one runs.
Reach *kernelReach = nullptr;

void reachForKernel(const void *p) {
  if (kernelReach)
    kernelReach->add(p);
}

/// MXC_FAKE_CUDA_EMULATE=1: mxc's kernels themselves, emulated, where the
/// image's object (or this library) has their CPU form.
bool emulating() {
  static const bool on = [] {
    const char *e = std::getenv("MXC_FAKE_CUDA_EMULATE");
    return e && *e && *e != '0';
  }();
  return on;
}

/// Runs an emulated kernel with every device allocation open to it (its
/// parameters are not decoded).
int runEmulated(const fake::Emulated &kernel, void **params, unsigned gx,
                unsigned gy, unsigned gz, unsigned bx, unsigned by,
                unsigned bz) {
  Reach reach;
  reach.addAll();
  ++audit.emulated;
  if (gz != 1 || by != 1 || bz != 1 ||
      !fake::emulate(kernel.entry, params, gx, gy, bx))
    return 719; // CUDA_ERROR_LAUNCH_FAILED
  return 0;
}

} // namespace

extern "C" {
using CUresult = int;
using Ptr = unsigned long long;

CUresult cuInit(unsigned) {
  return std::getenv("MXC_FAKE_CUDA_NO_DEVICE") ? 100 : 0;
}
CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == 100   ? "CUDA_ERROR_NO_DEVICE"
       : r == 400 ? "CUDA_ERROR_INVALID_HANDLE"
       : r == 500 ? "CUDA_ERROR_NOT_FOUND"
       : r == 700 ? "CUDA_ERROR_ILLEGAL_ADDRESS"
       : r == 900 ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
       : r == 910 ? "CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE"
                  : "CUDA_ERROR_UNKNOWN";
  return 0;
}
CUresult cuGetErrorString(CUresult, const char **s) {
  *s = "fake CUDA error";
  return 0;
}
CUresult cuDeviceGetCount(int *n) {
  *n = 1;
  return 0;
}
CUresult cuDeviceGet(int *d, int) {
  *d = 0;
  return 0;
}
CUresult cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, length, "fake CUDA device (CPU)");
  return 0;
}
CUresult cuDeviceGetAttribute(int *v, int which, int) {
  *v = which == 75 ? 9 : which == 76 ? 0 : which == 38 ? (1 << 20) : 1;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **c, int) {
  static int context;
  *c = &context;
  return 0;
}
CUresult cuCtxSetCurrent(void *) { return 0; }
CUresult cuModuleLoadData(void **module, const void *image) {
  *module = new Module{static_cast<const char *>(image), imageSize(image)};
  return 0;
}
CUresult cuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  // The kernel must be in the image: its symbol name in a cubin, its entry
  // in PTX.
  auto *m = static_cast<Module *>(module);
  std::string_view image(m->image, m->size);
  std::string needle = image.substr(0, 4) == "\x7f"
                                             "ELF"
                           ? std::string(name) + '\0'
                           : ".entry " + std::string(name) + "(";
  if (image.find(needle) == std::string_view::npos)
    return 500; // CUDA_ERROR_NOT_FOUND
  *f = new Function{name, emulating() ? fake::findEmulated(name, m->image)
                                      : fake::Emulated{}};
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned, void *,
                        void **params, void **) {
  const std::string &name = static_cast<Function *>(f)->name;
  const fake::Emulated &emulated = static_cast<Function *>(f)->emulated;
  if (faults(name))
    return 0;
  if (captured) {
    // An emulated kernel is recorded with a copy of its parameters, and runs
    // at each launch of the graph.
    if (emulated) {
      Node node{name, gx, gy, gz, bx, by, bz, emulated};
      for (int32_t i = 0; i < emulated.paramSizes[0]; ++i) {
        const char *p = static_cast<const char *>(params[i]);
        node.params.emplace_back(p, p + emulated.paramSizes[i + 1]);
      }
      captured->push_back(std::move(node));
      return 0;
    }
    // The fake runs its own kernels only outside graphs; in audit mode a
    // graph records them like a model's own (a model compiled for CUDA
    // launches the attention kernel), unrun.
    if (!audit.enabled)
      return kCaptureUnsupported;
    captured->push_back({name, gx, gy, gz, bx, by, bz});
    return 0;
  }
  Reach reach;
  kernelReach = &reach;
  struct Done {
    ~Done() { kernelReach = nullptr; }
  } done;
  // MXC_FAKE_CUDA_EMULATE=1: mxc's kernels themselves, emulated.
  if (emulated)
    return runEmulated(emulated, params, gx, gy, gz, bx, by, bz);
  if (name.rfind("mx_gemv_", 0) == 0 || name.rfind("mx_gemm_", 0) == 0)
    gemv(name, gx, gy, params);
  else if (name.rfind("mx_softmax_", 0) == 0)
    softmax(name, gx, params);
  else if (name.rfind("mx_attention_decode_", 0) == 0)
    attention(name, gx, gy, params);
  else if (name.rfind("mx_attention_merge_", 0) == 0)
    attentionMerge(name, gx, gy, params);
  else if (audit.enabled)
    auditLaunch({name, gx, gy, gz, bx, by, bz});
  else if (name != "noop") // test/GPU's host-code kernel does nothing
    return 400;
  return 0;
}
CUresult cuMemAlloc_v2(Ptr *p, size_t bytes) {
  const size_t length = (bytes + 4095) / 4096 * 4096 + (bytes == 0) * 4096;
  void *m =
      mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  deviceMemory()[reinterpret_cast<uintptr_t>(m)] = length;
  *p = reinterpret_cast<Ptr>(m);
  ++audit.allocations;
  ++audit.live;
  return 0;
}
CUresult cuMemAllocManaged(Ptr *p, size_t bytes, unsigned) {
  *p =
      reinterpret_cast<Ptr>(std::aligned_alloc(256, (bytes + 255) / 256 * 256));
  ++audit.allocations;
  ++audit.live;
  return 0;
}
CUresult cuMemFree_v2(Ptr p) {
  auto &m = deviceMemory();
  if (auto it = m.find(p); it != m.end()) {
    munmap(reinterpret_cast<void *>(it->first), it->second);
    m.erase(it);
  } else {
    std::free(reinterpret_cast<void *>(p));
  }
  --audit.live;
  return 0;
}
CUresult cuMemcpyHtoD_v2(Ptr to, const void *from, size_t n) {
  Reach reach(reinterpret_cast<void *>(to));
  std::memcpy(reinterpret_cast<void *>(to), from, n);
  return 0;
}
CUresult cuMemcpyHtoDAsync_v2(Ptr to, const void *from, size_t n, void *) {
  if (captured)
    return kCaptureUnsupported; // pageable memory
  return cuMemcpyHtoD_v2(to, from, n);
}
CUresult cuMemcpyDtoH_v2(void *to, Ptr from, size_t n) {
  if (faulted)
    return faulted;
  Reach reach(reinterpret_cast<void *>(from));
  std::memcpy(to, reinterpret_cast<void *>(from), n);
  return 0;
}
CUresult cuMemcpyDtoD_v2(Ptr to, Ptr from, size_t n) {
  Reach reachTo(reinterpret_cast<void *>(to)),
      reachFrom(reinterpret_cast<void *>(from));
  std::memmove(reinterpret_cast<void *>(to), reinterpret_cast<void *>(from), n);
  return 0;
}
CUresult cuMemcpyAsync(Ptr to, Ptr from, size_t n, void *) {
  return cuMemcpyDtoD_v2(to, from, n);
}
CUresult cuMemsetD32_v2(Ptr p, unsigned v, size_t n) {
  Reach reach(reinterpret_cast<void *>(p));
  auto *u = reinterpret_cast<uint32_t *>(p);
  for (size_t i = 0; i < n; ++i)
    u[i] = v;
  return 0;
}
CUresult cuMemsetD32Async(Ptr p, unsigned v, size_t n, void *) {
  return cuMemsetD32_v2(p, v, n);
}
CUresult cuMemsetD16Async(Ptr p, unsigned short v, size_t n, void *) {
  Reach reach(reinterpret_cast<void *>(p));
  auto *u = reinterpret_cast<uint16_t *>(p);
  for (size_t i = 0; i < n; ++i)
    u[i] = v;
  return 0;
}
CUresult cuMemHostRegister_v2(void *, size_t, unsigned) { return 0; }
CUresult cuMemHostUnregister(void *) { return 0; }
CUresult cuStreamCreate(void **s, unsigned) {
  *s = nullptr;
  ++audit.streams;
  return 0;
}
CUresult cuStreamDestroy_v2(void *) { return 0; }
CUresult cuStreamSynchronize(void *) {
  return captured ? kCaptureUnsupported : faulted;
}
CUresult cuCtxSynchronize() { return captured ? kCaptureUnsupported : faulted; }
CUresult cuStreamBeginCapture_v2(void *, int) {
  if (captured)
    return kCaptureUnsupported;
  captured = new Graph;
  return 0;
}
CUresult cuStreamEndCapture(void *, void **graph) {
  if (!captured)
    return 1; // CUDA_ERROR_INVALID_VALUE
  *graph = captured;
  captured = nullptr;
  return 0;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph,
                                     unsigned long long) {
  *exec = new Graph(*static_cast<Graph *>(graph));
  ++audit.graphs;
  return 0;
}
/// Updates `exec` if `graph` launches the same kernels in the same order
/// (their grids and parameters may differ), as cuGraphExecUpdate does.
CUresult cuGraphExecUpdate_v2(void *exec, void *graph, void *info) {
  auto &to = *static_cast<Graph *>(exec);
  const auto &from = *static_cast<Graph *>(graph);
  bool same = to.size() == from.size();
  for (size_t i = 0; same && i < to.size(); ++i)
    same = to[i].name == from[i].name;
  if (!same) {
    const int kTopologyChanged =
        2; // CU_GRAPH_EXEC_UPDATE_ERROR_TOPOLOGY_CHANGED
    std::memcpy(info, &kTopologyChanged, sizeof(int));
    return 910; // CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE
  }
  to = from;
  return 0;
}
CUresult cuGraphLaunch(void *exec, void *) {
  if (captured)
    return kCaptureUnsupported;
  for (Node &n : *static_cast<Graph *>(exec)) {
    if (faults(n.name))
      return 0;
    if (n.emulated) {
      std::vector<void *> params;
      for (std::vector<char> &p : n.params)
        params.push_back(p.data());
      if (int r = runEmulated(n.emulated, params.data(), n.gx, n.gy, n.gz, n.bx,
                              n.by, n.bz))
        return r;
      continue;
    }
    auditLaunch(n);
  }
  ++audit.graphLaunches;
  return 0;
}
CUresult cuGraphDestroy(void *graph) {
  delete static_cast<Graph *>(graph);
  return 0;
}
CUresult cuGraphExecDestroy(void *exec) {
  delete static_cast<Graph *>(exec);
  return 0;
}
CUresult cuStreamWaitEvent(void *, void *, unsigned) { return 0; }
CUresult cuEventCreate(void **e, unsigned) {
  *e = new double(0);
  return 0;
}
CUresult cuEventDestroy_v2(void *e) {
  delete static_cast<double *>(e);
  return 0;
}
CUresult cuEventRecord(void *e, void *) {
  *static_cast<double *>(e) = now();
  return 0;
}
CUresult cuEventSynchronize(void *) { return faulted; }
CUresult cuEventElapsedTime(float *ms, void *begin, void *end) {
  *ms = static_cast<float>(*static_cast<double *>(end) -
                           *static_cast<double *>(begin));
  return 0;
}
} // extern "C"
