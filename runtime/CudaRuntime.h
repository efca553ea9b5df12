//===- CudaRuntime.h - The CUDA driver, loaded at run time ------*- C++ -*-===//
//
// mxc's GPU runtime: the CUDA driver API reached through dlopen of
// libcuda.so.1, so that everything builds and links on machines without a
// driver. On such a machine the first call fails with one clear line ("no
// CUDA driver found"). Every driver call is checked; a failure prints the
// call and the driver's message and exits with status 1.
//
// Two faces: the C++ API below (the GPU test and benchmark runner), and the
// C functions mgpu* that the host code of gpu-to-llvm calls (CudaRuntime.cpp),
// as upstream's mlir_cuda_runtime provides them.
//
// Plain C++17; needs only libc, libstdc++ and, at run time, libcuda.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_RUNTIME_CUDARUNTIME_H
#define MXC_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mxc::cuda {

/// Loads the driver and makes device 0's primary context current. Returns
/// false with `why` set ("no CUDA driver found ..." or "no CUDA device")
/// instead of exiting, so callers can skip cleanly. (Every other call loads
/// the driver too, and exits 1 with the reason if there is none.)
bool tryInitialize(std::string &why);
/// The libcuda.so.1 that was loaded (empty if none): looked up by the
/// dynamic linker (LD_LIBRARY_PATH, its cache), then in
/// /usr/local/nvidia/lib64, /usr/lib/x86_64-linux-gnu and /usr/lib64.
std::string driverPath();

/// What the runtime has asked of the driver so far: kernel launches,
/// stream synchronizations, device allocations (cuMemAlloc, managed or
/// not) and copies; and the constants (weights) of compiled models uploaded
/// (mxc_cuda_device_constant), with their bytes. Tools print their
/// differences per step.
struct Counters {
  int64_t launches = 0, synchronizations = 0, allocations = 0, copies = 0;
  int64_t constants = 0, constantBytes = 0;
  /// StepGraph launches (their kernels count in `launches`: as captured,
  /// and again at each replay).
  int64_t graphLaunches = 0;
};
Counters counters();

/// Waits for everything queued on the device. A compiled model's host code
/// does not wait for its launches: call this before reading its results.
void synchronize();

// A compiled model (mxc-compile --target=cuda) calls the C functions
//   _mlir_memref_to_llvm_alloc/_free: its buffers, device memory (cached);
//   mxc_cuda_device_constant(host, bytes): the device copy of one of its
//     constant buffers (weights), uploaded at first use;
//   mgpu*: modules, launches, streams.
// Its callers pass device memory in and copy results out.

/// Whether StepGraph can run: the driver has CUDA graphs (12.0 and newer)
/// and MXC_CUDA_SYNC is off.
bool graphsAvailable();

/// One step of a compiled model as a CUDA graph. begin() starts capturing
/// the stream of the models' launches; the model's host code then runs as
/// usual, its launches recorded instead of submitted one by one; end()
/// stops, brings the instantiated graph up to date with what was captured
/// (cuGraphExecUpdate: the same kernels with this step's parameters, such
/// as the position; a step of another shape is instantiated anew) and
/// launches it. What a graph saves is the submission of each kernel and the
/// gaps between them. begin() returns false (run the step as usual) where
/// graphsAvailable() is false. Inputs are copied before begin(), results
/// read after end() and synchronize(). A step must not upload a weight for
/// the first time: run one step without a graph first.
///
/// A step whose kernels' parameters do not change from one step to the
/// next (the position in device memory: mxc-gpu-device-position, and the
/// same buffers) need not run its host code again: replay() launches the
/// instantiated graph as it was captured. The caller then writes the
/// inputs where the captured step read them, keeps the buffer the step
/// returned (the graph writes the results there again), and allocates
/// nothing a replay could be using meanwhile.
class StepGraph {
public:
  StepGraph() = default;
  ~StepGraph();
  StepGraph(const StepGraph &) = delete;
  StepGraph &operator=(const StepGraph &) = delete;
  bool begin();
  void end();
  /// Whether a graph is instantiated, so that replay() can run.
  bool captured() const { return exec != nullptr; }
  /// Launches the instantiated graph again, unchanged.
  void replay();
  /// Graphs instantiated so far (1 when every step updated the first).
  int64_t instantiations() const { return instantiated; }
  /// Steps run by replay().
  int64_t replays() const { return replayed; }

private:
  void *stream = nullptr, *exec = nullptr;
  int64_t instantiated = 0, replayed = 0;
  /// Kernels in the graph (launched while capturing), and the count when
  /// the capture began.
  int64_t kernels = 0, launchesAtBegin = 0;
};

std::string deviceName();
/// Compute capability as major * 10 + minor (90 for H100).
int computeCapability();
int multiprocessorCount();
/// L2 cache size in bytes.
int64_t l2CacheBytes();

/// Device memory.
void *allocate(size_t bytes);
void release(void *device);
void copyToDevice(void *device, const void *host, size_t bytes);
/// A copy queued on the stream of compiled models' launches, so that the
/// launches queued after it see it (copyToDevice is on the null stream,
/// which that stream does not wait for). `host` may be reused on return.
void copyToDeviceOrdered(void *device, const void *host, size_t bytes);
void copyToHost(void *host, const void *device, size_t bytes);
void copyDeviceToDevice(void *to, const void *from, size_t bytes);
void fill(void *device, uint32_t value, size_t words);

/// A loaded module (cubin, fatbin or NUL-terminated PTX).
class Module {
public:
  explicit Module(const void *image);
  ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  /// The kernel `name`; exits 1 if the module lacks it.
  void *function(const std::string &name) const;

private:
  void *handle = nullptr;
};

/// Kernel parameters in the LLVM lowering's ABI: a memref<?xT> is its
/// allocated pointer, aligned pointer, offset, size and stride; an index is
/// an int64; an f32 a float.
class Arguments {
public:
  /// A memref<?xT> (offset 0) or memref<?xT, strided<[1], offset: ?>> of
  /// `size` elements from element `offset` of `device`.
  Arguments &memref(void *device, int64_t size, int64_t offset = 0);
  Arguments &index(int64_t value);
  Arguments &f32(float value);
  /// The pointers cuLaunchKernel takes.
  void **pointers();

private:
  std::vector<uint64_t> storage;
  std::vector<void *> pointerList;
};

void launch(void *function, unsigned gridX, unsigned blockX,
            Arguments &arguments, unsigned sharedBytes = 0, unsigned gridY = 1);

/// Elapsed device time between two points of the stream, in milliseconds.
class Timer {
public:
  Timer();
  ~Timer();
  void start();
  /// Records the end, waits for it, returns milliseconds since start().
  float stop();

private:
  void *begin = nullptr, *end = nullptr;
};

} // namespace mxc::cuda

#endif // MXC_RUNTIME_CUDARUNTIME_H
