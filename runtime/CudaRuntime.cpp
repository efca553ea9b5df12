//===- CudaRuntime.cpp - The CUDA driver, loaded at run time --------------===//

#include "CudaRuntime.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <map>
#include <mutex>
#include <type_traits>
#include <unordered_map>

extern "C" {
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
}

namespace {

// The few driver types and constants used, so that no CUDA header is needed.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using Handle = void *; // CUcontext, CUmodule, CUfunction, CUstream, CUevent
constexpr int kMultiprocessorCount = 16, kL2CacheSize = 38,
              kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;

/// The driver entry points, resolved once from libcuda.so.1.
struct Driver {
#define MXC_CUDA_FUNCTIONS(X)                                                  \
  X(cuInit, CUresult(unsigned))                                                \
  X(cuGetErrorString, CUresult(CUresult, const char **))                       \
  X(cuDeviceGetCount, CUresult(int *))                                         \
  X(cuDeviceGet, CUresult(CUdevice *, int))                                    \
  X(cuDeviceGetName, CUresult(char *, int, CUdevice))                          \
  X(cuDeviceGetAttribute, CUresult(int *, int, CUdevice))                      \
  X(cuDevicePrimaryCtxRetain, CUresult(Handle *, CUdevice))                    \
  X(cuCtxSetCurrent, CUresult(Handle))                                         \
  X(cuCtxSynchronize, CUresult())                                              \
  X(cuModuleLoadData, CUresult(Handle *, const void *))                        \
  X(cuModuleUnload, CUresult(Handle))                                          \
  X(cuModuleGetFunction, CUresult(Handle *, Handle, const char *))             \
  X(cuLaunchKernel,                                                            \
    CUresult(Handle, unsigned, unsigned, unsigned, unsigned, unsigned,         \
             unsigned, unsigned, Handle, void **, void **))                    \
  X(cuMemAlloc_v2, CUresult(CUdeviceptr *, size_t))                            \
  X(cuMemAllocManaged, CUresult(CUdeviceptr *, size_t, unsigned))              \
  X(cuMemFree_v2, CUresult(CUdeviceptr))                                       \
  X(cuMemcpyHtoD_v2, CUresult(CUdeviceptr, const void *, size_t))              \
  X(cuMemcpyHtoDAsync_v2, CUresult(CUdeviceptr, const void *, size_t, Handle)) \
  X(cuMemcpyDtoH_v2, CUresult(void *, CUdeviceptr, size_t))                    \
  X(cuMemcpyDtoD_v2, CUresult(CUdeviceptr, CUdeviceptr, size_t))               \
  X(cuMemcpyAsync, CUresult(CUdeviceptr, CUdeviceptr, size_t, Handle))         \
  X(cuMemsetD32_v2, CUresult(CUdeviceptr, unsigned, size_t))                   \
  X(cuMemsetD32Async, CUresult(CUdeviceptr, unsigned, size_t, Handle))         \
  X(cuMemsetD16Async, CUresult(CUdeviceptr, unsigned short, size_t, Handle))   \
  X(cuMemHostRegister_v2, CUresult(void *, size_t, unsigned))                  \
  X(cuMemHostUnregister, CUresult(void *))                                     \
  X(cuStreamCreate, CUresult(Handle *, unsigned))                              \
  X(cuStreamSynchronize, CUresult(Handle))                                     \
  X(cuStreamWaitEvent, CUresult(Handle, Handle, unsigned))                     \
  X(cuEventCreate, CUresult(Handle *, unsigned))                               \
  X(cuEventDestroy_v2, CUresult(Handle))                                       \
  X(cuEventRecord, CUresult(Handle, Handle))                                   \
  X(cuEventSynchronize, CUresult(Handle))                                      \
  X(cuEventElapsedTime, CUresult(float *, Handle, Handle))
#define MXC_DECLARE(name, type) std::add_pointer_t<type> name = nullptr;
  MXC_CUDA_FUNCTIONS(MXC_DECLARE)

  /// Optional (a stand-in may lack it): the CUresult's enum name.
  CUresult (*cuGetErrorName)(CUresult, const char **) = nullptr;
  /// Optional: CUDA graphs (StepGraph), from CUDA 12.0 drivers on.
#define MXC_CUDA_GRAPH_FUNCTIONS(X)                                            \
  X(cuStreamBeginCapture_v2, CUresult(Handle, int))                            \
  X(cuStreamEndCapture, CUresult(Handle, Handle *))                            \
  X(cuGraphInstantiateWithFlags,                                               \
    CUresult(Handle *, Handle, unsigned long long))                            \
  X(cuGraphExecUpdate_v2, CUresult(Handle, Handle, void *))                    \
  X(cuGraphLaunch, CUresult(Handle, Handle))                                   \
  X(cuGraphDestroy, CUresult(Handle))                                          \
  X(cuGraphExecDestroy, CUresult(Handle))
  MXC_CUDA_GRAPH_FUNCTIONS(MXC_DECLARE)
#undef MXC_DECLARE
  bool hasGraphs = false;

  std::string failure; // empty once loaded and initialized
  std::string path;    // the libcuda.so.1 loaded
  CUdevice device = 0;
  Handle context = nullptr;
};

/// "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", or as much
/// of it as the driver tells.
std::string describe(const Driver &d, CUresult result) {
  const char *name = nullptr, *message = nullptr;
  if (d.cuGetErrorName)
    d.cuGetErrorName(result, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(result, &message);
  std::string text = name ? name : "CUresult " + std::to_string(result);
  if (message)
    text += std::string(" (") + message + ")";
  return text;
}

/// mxc::cuda::counters(), counted where the calls are made.
struct AtomicCounters {
  std::atomic<int64_t> launches{0}, synchronizations{0}, allocations{0},
      copies{0}, constants{0}, constantBytes{0}, graphLaunches{0};
};
AtomicCounters &counted() {
  static AtomicCounters c;
  return c;
}

/// Where libcuda.so.1 is looked for: the dynamic linker's search
/// (LD_LIBRARY_PATH, the linker cache), then the usual places of a driver
/// installed outside them (NVIDIA's container runtime, distributions).
constexpr const char *kDriverPaths[] = {
    "libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1",
    "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1"};

Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = nullptr;
    std::string first;
    for (const char *path : kDriverPaths) {
      lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
      if (lib)
        break;
      if (first.empty()) {
        const char *why = dlerror();
        first = why ? why : path;
      }
    }
    if (!lib) {
      d.failure = "no CUDA driver found (" + first +
                  "; also not in /usr/local/nvidia/lib64, "
                  "/usr/lib/x86_64-linux-gnu, /usr/lib64)";
      return;
    }
    struct link_map *map = nullptr;
    d.path = dlinfo(lib, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name
                 ? map->l_name
                 : "libcuda.so.1";
    d.cuGetErrorName = reinterpret_cast<decltype(d.cuGetErrorName)>(
        dlsym(lib, "cuGetErrorName"));
#define MXC_RESOLVE(name, type)                                                \
  d.name = reinterpret_cast<std::add_pointer_t<type>>(dlsym(lib, #name));      \
  if (!d.name) {                                                               \
    d.failure = "the CUDA driver lacks " #name;                                \
    return;                                                                    \
  }
    MXC_CUDA_FUNCTIONS(MXC_RESOLVE)
#undef MXC_RESOLVE
#define MXC_RESOLVE_OPTIONAL(name, type)                                       \
  d.name = reinterpret_cast<std::add_pointer_t<type>>(dlsym(lib, #name));
    MXC_CUDA_GRAPH_FUNCTIONS(MXC_RESOLVE_OPTIONAL)
#undef MXC_RESOLVE_OPTIONAL
    d.hasGraphs = d.cuStreamBeginCapture_v2 && d.cuStreamEndCapture &&
                  d.cuGraphInstantiateWithFlags && d.cuGraphExecUpdate_v2 &&
                  d.cuGraphLaunch && d.cuGraphDestroy && d.cuGraphExecDestroy;
    int count = 0;
    if (CUresult r = d.cuInit(0)) {
      d.failure = "no CUDA device: cuInit failed: " + describe(d, r);
      return;
    }
    if (CUresult r = d.cuDeviceGetCount(&count)) {
      d.failure = "no CUDA device: cuDeviceGetCount failed: " + describe(d, r);
      return;
    }
    if (count == 0) {
      d.failure = "no CUDA device (the driver counts none)";
      return;
    }
    if (d.cuDeviceGet(&d.device, 0) != 0 ||
        d.cuDevicePrimaryCtxRetain(&d.context, d.device) != 0 ||
        d.cuCtxSetCurrent(d.context) != 0)
      d.failure = "cannot create a context on CUDA device 0";
  });
  return d;
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "mxc-cuda: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}

/// The loaded driver; exits with its failure if there is none.
Driver &ready() {
  Driver &d = driver();
  if (!d.failure.empty())
    die(d.failure);
  return d;
}

void check(CUresult result, const char *call) {
  if (result == 0)
    return;
  die(std::string(call) + " failed: " + describe(driver(), result));
}

/// MXC_CUDA_SYNC=1: every launch is followed by a synchronization, and a
/// failure names the kernel (a fault is otherwise reported by whichever
/// later call meets it).
bool syncEachLaunch() {
  static const bool on = [] {
    const char *v = std::getenv("MXC_CUDA_SYNC");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

/// Whether a StepGraph is capturing the models' stream.
std::atomic<bool> capturing{false};

/// Kernel names by function handle, for MXC_CUDA_SYNC's messages.
struct KernelNames {
  std::mutex mutex;
  std::map<Handle, std::string> names;
};
KernelNames &kernelNames() {
  static KernelNames k;
  return k;
}
void nameKernel(Handle f, const char *name) {
  if (!syncEachLaunch())
    return;
  KernelNames &k = kernelNames();
  std::lock_guard<std::mutex> lock(k.mutex);
  k.names[f] = name;
}

/// After a launch of `f` on `stream`: with MXC_CUDA_SYNC, waits for it and
/// exits naming the kernel if it failed.
void afterLaunch(Handle f, Handle stream) {
  if (!syncEachLaunch())
    return;
  CUresult result = ready().cuStreamSynchronize(stream);
  ++counted().synchronizations;
  if (result == 0)
    return;
  std::string name = "?";
  {
    KernelNames &k = kernelNames();
    std::lock_guard<std::mutex> lock(k.mutex);
    auto it = k.names.find(f);
    if (it != k.names.end())
      name = it->second;
  }
  die("kernel " + name +
      " failed (MXC_CUDA_SYNC): " + describe(driver(), result));
}

#define MXC_CHECK(call) check(ready().call, #call)

CUdeviceptr ptr(const void *p) { return reinterpret_cast<CUdeviceptr>(p); }

/// The buffers of compiled models' host code (_mlir_memref_to_llvm_alloc),
/// device memory kept when freed and handed out again for the same size: a
/// model asks for the same buffers at every token, and an allocation costs
/// a driver call (and a synchronization of the device) each time. All of a
/// model's launches are on one stream (StreamPool), so a buffer reused by a
/// later launch is ordered after the earlier launches that used it. Freed to
/// the driver at exit.
class BufferCache {
public:
  void *take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = idle.find(bytes);
    if (it == idle.end())
      return nullptr;
    void *p = it->second;
    idle.erase(it);
    return p;
  }
  void record(void *p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    sizes[p] = bytes;
  }
  /// Keeps p for reuse; false if it is not one of the cache's buffers.
  bool give(void *p) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = sizes.find(p);
    if (it == sizes.end())
      return false;
    idle.emplace(it->second, p);
    return true;
  }
  ~BufferCache();

private:
  std::mutex mutex;
  std::multimap<size_t, void *> idle;
  std::unordered_map<void *, size_t> sizes;
};
BufferCache &bufferCache() {
  static BufferCache cache;
  return cache;
}

/// The loaded object (shared library) that holds `p`, or null.
const void *objectOf(const void *p) {
  Dl_info info;
  return dladdr(p, &info) ? info.dli_fbase : nullptr;
}

/// The device copies of compiled models' constant buffers (weights, tables:
/// their memref.globals, which stay in the host object instead of the
/// cubin), by host address. Uploaded at their first use
/// (mxc_cuda_device_constant) and kept until the module of the object that
/// holds them is unloaded, or exit.
class ConstantTable {
public:
  /// The device copy of the `bytes` at `host`, uploaded at the first call.
  void *get(const void *host, int64_t bytes);
  /// Takes out the copies of constants held by `object`.
  std::vector<void *> takeObject(const void *object) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<void *> taken;
    for (auto it = copies.begin(); it != copies.end();)
      if (object && it->second.object == object) {
        taken.push_back(it->second.device);
        it = copies.erase(it);
      } else {
        ++it;
      }
    return taken;
  }
  ~ConstantTable();

private:
  struct Copy {
    void *device;
    const void *object;
  };
  std::mutex mutex;
  std::unordered_map<const void *, Copy> copies;
};
ConstantTable &constantTable() {
  static ConstantTable table;
  return table;
}

/// The loaded object each module's image came from (mgpuModuleLoad), so
/// that unloading the module frees that object's constants.
struct ModuleObjects {
  std::mutex mutex;
  std::unordered_map<Handle, const void *> objects;
};
ModuleObjects &moduleObjects() {
  static ModuleObjects m;
  return m;
}

/// Streams that host code has destroyed, handed out again by
/// mgpuStreamCreate: gpu-to-llvm's host code creates and destroys a stream
/// around every synchronous launch, and a driver stream costs far more to
/// create than to reuse.
struct StreamPool {
  std::mutex mutex;
  std::vector<Handle> idle;
};
StreamPool &streamPool() {
  static StreamPool pool;
  return pool;
}

int attribute(int which) {
  int value = 0;
  MXC_CHECK(cuDeviceGetAttribute(&value, which, ready().device));
  return value;
}

} // namespace

namespace mxc::cuda {

bool tryInitialize(std::string &why) {
  why = driver().failure;
  return why.empty();
}

std::string driverPath() { return driver().path; }

void synchronize() {
  MXC_CHECK(cuCtxSynchronize());
  ++counted().synchronizations;
}

Counters counters() {
  AtomicCounters &c = counted();
  Counters out;
  out.launches = c.launches;
  out.synchronizations = c.synchronizations;
  out.allocations = c.allocations;
  out.copies = c.copies;
  out.constants = c.constants;
  out.constantBytes = c.constantBytes;
  out.graphLaunches = c.graphLaunches;
  return out;
}

std::string deviceName() {
  char name[256] = {0};
  MXC_CHECK(cuDeviceGetName(name, sizeof(name) - 1, ready().device));
  return name;
}

int computeCapability() {
  return attribute(kComputeCapabilityMajor) * 10 +
         attribute(kComputeCapabilityMinor);
}

int multiprocessorCount() { return attribute(kMultiprocessorCount); }

int64_t l2CacheBytes() { return attribute(kL2CacheSize); }

void *allocate(size_t bytes) {
  CUdeviceptr p = 0;
  MXC_CHECK(cuMemAlloc_v2(&p, bytes ? bytes : 1));
  ++counted().allocations;
  return reinterpret_cast<void *>(p);
}

void release(void *device) {
  if (device)
    MXC_CHECK(cuMemFree_v2(ptr(device)));
}

void copyToDevice(void *device, const void *host, size_t bytes) {
  MXC_CHECK(cuMemcpyHtoD_v2(ptr(device), host, bytes));
  ++counted().copies;
}

void copyToDeviceOrdered(void *device, const void *host, size_t bytes) {
  Handle stream = mgpuStreamCreate(); // the stream of the models' launches
  MXC_CHECK(cuMemcpyHtoDAsync_v2(ptr(device), host, bytes, stream));
  ++counted().copies;
  mgpuStreamDestroy(stream);
}

void copyToHost(void *host, const void *device, size_t bytes) {
  MXC_CHECK(cuMemcpyDtoH_v2(host, ptr(device), bytes));
  ++counted().copies;
}

void copyDeviceToDevice(void *to, const void *from, size_t bytes) {
  MXC_CHECK(cuMemcpyDtoD_v2(ptr(to), ptr(from), bytes));
  ++counted().copies;
}

void fill(void *device, uint32_t value, size_t words) {
  MXC_CHECK(cuMemsetD32_v2(ptr(device), value, words));
}

Module::Module(const void *image) {
  MXC_CHECK(cuModuleLoadData(&handle, image));
}

Module::~Module() {
  if (handle)
    check(driver().cuModuleUnload(handle), "cuModuleUnload");
}

void *Module::function(const std::string &name) const {
  Handle f = nullptr;
  if (ready().cuModuleGetFunction(&f, handle, name.c_str()) != 0)
    die("the GPU module has no kernel '" + name + "'");
  nameKernel(f, name.c_str());
  return f;
}

Arguments &Arguments::memref(void *device, int64_t size, int64_t offset) {
  uint64_t p = reinterpret_cast<uint64_t>(device);
  for (uint64_t v : {p, p, uint64_t(offset), uint64_t(size), uint64_t(1)})
    storage.push_back(v);
  return *this;
}

Arguments &Arguments::index(int64_t value) {
  storage.push_back(static_cast<uint64_t>(value));
  return *this;
}

Arguments &Arguments::f32(float value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(float));
  storage.push_back(bits);
  return *this;
}

void **Arguments::pointers() {
  pointerList.clear();
  for (uint64_t &v : storage)
    pointerList.push_back(&v); // little-endian: a float is in the low bytes
  return pointerList.data();
}

void launch(void *function, unsigned gridX, unsigned blockX,
            Arguments &arguments, unsigned sharedBytes, unsigned gridY) {
  MXC_CHECK(cuLaunchKernel(function, gridX, gridY, 1, blockX, 1, 1, sharedBytes,
                           nullptr, arguments.pointers(), nullptr));
  ++counted().launches;
  afterLaunch(function, nullptr);
}

bool graphsAvailable() { return ready().hasGraphs && !syncEachLaunch(); }

StepGraph::~StepGraph() {
  Driver &d = driver();
  if (exec && d.failure.empty() && d.cuGraphExecDestroy)
    d.cuGraphExecDestroy(exec); // at exit the driver may be gone: ignored
}

bool StepGraph::begin() {
  if (!graphsAvailable())
    return false;
  constexpr int kCaptureModeRelaxed = 2; // CU_STREAM_CAPTURE_MODE_RELAXED
  stream = mgpuStreamCreate();
  MXC_CHECK(cuStreamBeginCapture_v2(stream, kCaptureModeRelaxed));
  capturing = true;
  launchesAtBegin = counted().launches;
  // Back to the pool: the host code's mgpuStreamCreate takes it again.
  mgpuStreamDestroy(stream);
  return true;
}

void StepGraph::end() {
  Handle graph = nullptr;
  MXC_CHECK(cuStreamEndCapture(stream, &graph));
  capturing = false;
  kernels = counted().launches - launchesAtBegin;
  if (exec) {
    // The same kernels with this step's parameters update the instantiated
    // graph; anything else (CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE) makes a
    // new one. (CUgraphExecUpdateResultInfo: 24 bytes.)
    unsigned char info[64] = {};
    if (ready().cuGraphExecUpdate_v2(exec, graph, info) != 0) {
      MXC_CHECK(cuGraphExecDestroy(exec));
      exec = nullptr;
    }
  }
  if (!exec) {
    MXC_CHECK(cuGraphInstantiateWithFlags(&exec, graph, 0));
    ++instantiated;
  }
  MXC_CHECK(cuGraphDestroy(graph));
  MXC_CHECK(cuGraphLaunch(exec, stream));
  ++counted().graphLaunches;
}

void StepGraph::replay() {
  if (!exec)
    die("StepGraph::replay: no graph captured yet");
  MXC_CHECK(cuGraphLaunch(exec, stream));
  ++counted().graphLaunches;
  counted().launches += kernels;
  ++replayed;
}

Timer::Timer() {
  MXC_CHECK(cuEventCreate(&begin, 0));
  MXC_CHECK(cuEventCreate(&end, 0));
}

Timer::~Timer() {
  check(driver().cuEventDestroy_v2(begin), "cuEventDestroy");
  check(driver().cuEventDestroy_v2(end), "cuEventDestroy");
}

void Timer::start() { MXC_CHECK(cuEventRecord(begin, nullptr)); }

float Timer::stop() {
  MXC_CHECK(cuEventRecord(end, nullptr));
  MXC_CHECK(cuEventSynchronize(end));
  float ms = 0;
  MXC_CHECK(cuEventElapsedTime(&ms, begin, end));
  return ms;
}

} // namespace mxc::cuda

//===----------------------------------------------------------------------===//
// The runtime ABI of gpu-to-llvm's host code (as mlir_cuda_runtime).
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  Handle module = nullptr;
  MXC_CHECK(cuModuleLoadData(&module, data));
  ModuleObjects &m = moduleObjects();
  std::lock_guard<std::mutex> lock(m.mutex);
  m.objects[module] = objectOf(data);
  return module;
}

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return mgpuModuleLoad(data, 0); // NUL-terminated PTX
}

void mgpuModuleUnload(void *module) {
  // Host code unloads its module from a global destructor, which may run
  // after the driver has shut down at exit (CUDA_ERROR_DEINITIALIZED): the
  // module is gone with it then.
  constexpr CUresult kDeinitialized = 4;
  CUresult result = ready().cuModuleUnload(module);
  if (result != kDeinitialized)
    check(result, "cuModuleUnload(module)");
  // The constants of the object the module came from go with it: another
  // object loaded later may hold different constants at the same addresses.
  const void *object = nullptr;
  {
    ModuleObjects &m = moduleObjects();
    std::lock_guard<std::mutex> lock(m.mutex);
    auto it = m.objects.find(module);
    if (it != m.objects.end()) {
      object = it->second;
      m.objects.erase(it);
    }
  }
  for (void *device : constantTable().takeObject(object)) {
    result = ready().cuMemFree_v2(ptr(device));
    if (result != kDeinitialized)
      check(result, "cuMemFree_v2(constant)");
  }
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  Handle f = nullptr;
  MXC_CHECK(cuModuleGetFunction(&f, module, name));
  nameKernel(f, name);
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  MXC_CHECK(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                           blockZ, smem, stream, params, extra));
  ++counted().launches;
  afterLaunch(function, stream);
}

void *mgpuStreamCreate() {
  StreamPool &pool = streamPool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (!pool.idle.empty()) {
      Handle stream = pool.idle.back();
      pool.idle.pop_back();
      return stream;
    }
  }
  Handle stream = nullptr;
  MXC_CHECK(cuStreamCreate(&stream, /*CU_STREAM_NON_BLOCKING=*/1));
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  // Kept for the next mgpuStreamCreate. Work still queued on it stays
  // ordered before whatever the next user queues.
  StreamPool &pool = streamPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.idle.push_back(stream);
}

// gpu-to-llvm's host code synchronizes after every launch. mxc's host code
// never touches a buffer (mxc-gpu-check-host) and all its launches go to one
// stream (StreamPool: create, launch, destroy, in turn), so those waits
// order nothing: they are skipped, and whoever reads a model's results
// calls mxc::cuda::synchronize() first (mxc-gpu-runner does, once per
// step). MXC_CUDA_SYNC=1 waits after every launch instead.
void mgpuStreamSynchronize(void *stream) {
  if (!syncEachLaunch())
    return;
  MXC_CHECK(cuStreamSynchronize(stream));
  ++counted().synchronizations;
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  MXC_CHECK(cuStreamWaitEvent(stream, event, 0));
}

void *mgpuEventCreate() {
  Handle event = nullptr;
  MXC_CHECK(cuEventCreate(&event, /*CU_EVENT_DISABLE_TIMING=*/2));
  return event;
}

void mgpuEventDestroy(void *event) { MXC_CHECK(cuEventDestroy_v2(event)); }

void mgpuEventSynchronize(void *event) { MXC_CHECK(cuEventSynchronize(event)); }

void mgpuEventRecord(void *event, void *stream) {
  MXC_CHECK(cuEventRecord(event, stream));
}

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool hostShared) {
  CUdeviceptr p = 0;
  if (bytes == 0)
    return nullptr;
  if (hostShared)
    MXC_CHECK(cuMemAllocManaged(&p, bytes, /*CU_MEM_ATTACH_GLOBAL=*/1));
  else
    MXC_CHECK(cuMemAlloc_v2(&p, bytes));
  ++counted().allocations;
  return reinterpret_cast<void *>(p);
}

void mgpuMemFree(void *p, void * /*stream*/) {
  if (p)
    MXC_CHECK(cuMemFree_v2(ptr(p)));
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  MXC_CHECK(cuMemcpyAsync(ptr(dst), ptr(src), bytes, stream));
  ++counted().copies;
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  MXC_CHECK(cuMemsetD32Async(ptr(dst), value, count, stream));
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  MXC_CHECK(cuMemsetD16Async(ptr(dst), value, count, stream));
}

void mgpuMemHostRegister(void *p, uint64_t bytes) {
  MXC_CHECK(cuMemHostRegister_v2(p, bytes, 0));
}

void mgpuMemHostUnregister(void *p) { MXC_CHECK(cuMemHostUnregister(p)); }

void mgpuSetDefaultDevice(int32_t device) {
  if (device != 0)
    die("mxc's runtime drives CUDA device 0 only");
}

// The allocation functions that finalize-memref-to-llvm calls with
// use-generic-functions: every buffer of a model compiled for CUDA is device
// memory. Its host code only passes the buffers on (mxc-gpu-check-host);
// whoever calls the model copies its inputs in and its results out
// (mxc::cuda::copyToDeviceOrdered, synchronize, copyToHost).
void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  // Whole 256-byte units, so that buffers of nearby sizes share the cache.
  const size_t size = (bytes + 255) / 256 * 256 + (bytes == 0) * 256;
  BufferCache &cache = bufferCache();
  if (void *p = cache.take(size))
    return p;
  void *p = mgpuMemAlloc(size, nullptr, /*hostShared=*/false);
  cache.record(p, size);
  return p;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  // cuMemAlloc aligns to at least 256 bytes.
  if (alignment > 256 || (alignment & (alignment - 1)))
    die("mxc-cuda: device memory cannot be aligned to " +
        std::to_string(alignment) + " bytes");
  return _mlir_memref_to_llvm_alloc(bytes);
}

void _mlir_memref_to_llvm_free(void *p) {
  if (p && !bufferCache().give(p))
    mgpuMemFree(p, nullptr);
}

void *mxc_cuda_device_constant(const void *host, int64_t bytes) {
  return constantTable().get(host, bytes);
}

} // extern "C"

// At exit the driver may be shut down already (CUDA_ERROR_DEINITIALIZED):
// the memory is gone with it then, so failures are ignored.
BufferCache::~BufferCache() {
  Driver &d = driver();
  if (!d.failure.empty() || !d.cuMemFree_v2)
    return;
  for (auto &[bytes, p] : idle)
    d.cuMemFree_v2(ptr(p));
}

void *ConstantTable::get(const void *host, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = copies.find(host);
  if (it != copies.end())
    return it->second.device;
  if (capturing)
    die("a model's weight is first used inside a captured step "
        "(mxc::cuda::StepGraph): run one step without a graph first");
  void *device = mgpuMemAlloc(bytes > 0 ? bytes : 1, nullptr,
                              /*hostShared=*/false);
  // Queued on the models' stream, ahead of the launches that read it.
  if (bytes > 0)
    mxc::cuda::copyToDeviceOrdered(device, host, bytes);
  copies[host] = {device, objectOf(host)};
  ++counted().constants;
  counted().constantBytes += bytes;
  return device;
}

ConstantTable::~ConstantTable() {
  Driver &d = driver();
  if (!d.failure.empty() || !d.cuMemFree_v2)
    return;
  for (auto &[host, copy] : copies)
    d.cuMemFree_v2(ptr(copy.device));
}
