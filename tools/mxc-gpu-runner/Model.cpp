//===- Model.cpp - mxc-gpu-runner model: a compiled model, checked, timed -===//
//
//   mxc-gpu-runner model MODEL.so REFERENCE [--cpu] [--no-graph]
//                        [--tolerance T] [--prefill-tolerance T]
//
// MODEL.so is an object from `mxc-compile --target=cuda` (or, with --cpu,
// `--target=cuda-on-cpu --emit=obj`) linked as a shared library; REFERENCE
// is what `mxc-run --save-logits` wrote for the same model and recipe: the
// prompt's tokens and the CPU path's prefill logits. The runner checks the
// prefill (@forward) and the KV-cached decode of one token at a time
// (@decode) against them, then times the prefill of seq_len tokens and the
// decode of seq_len tokens one by one. On a GPU, every decode step after the
// first runs as a CUDA graph (mxc::cuda::StepGraph; --no-graph: launch by
// launch), and the decode is timed both ways. Where the model reads its
// position from device memory (mxc_decode_position_on_device), the second
// step is captured once and every later one replays that graph as it is:
// the runner writes the token and the position to the buffers the graph
// reads and takes the logits from the buffer the captured step returned.
//
// The model's undefined mgpu*, mxc_cuda_device_constant and
// _mlir_memref_to_llvm_alloc/_free resolve to this executable's runtime (it
// exports its symbols). On the GPU, the tokens and the KV caches are device
// memory from the same allocator as the model's own buffers: the tokens and
// the position are copied in on the model's stream, the logits copied out
// after one synchronization per step.
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <string>
#include <vector>

extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void _mlir_memref_to_llvm_free(void *p);
}

namespace {

constexpr int kSkipped = 77;

/// A memref descriptor of rank N in the LLVM lowering's ABI.
template <int N> struct Descriptor {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[N] = {};
  int64_t strides[N] = {};
};

using ForwardFn = void (*)(Descriptor<2> *, Descriptor<1> *);
using DecodeFn = void (*)(Descriptor<2> *, Descriptor<1> *, int64_t,
                          Descriptor<4> *, Descriptor<4> *);
/// @decode with its position in device memory (mxc-gpu-device-position).
using DecodeOnDeviceFn = void (*)(Descriptor<2> *, Descriptor<1> *,
                                  Descriptor<1> *, Descriptor<4> *,
                                  Descriptor<4> *);

struct Reference {
  std::vector<int32_t> tokens;
  int64_t vocab = 0;
  std::vector<float> logits;
};

bool readReference(const char *path, Reference &r, std::string &why) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  int64_t header[2];
  if (!in.read(magic, 8) || std::memcmp(magic, "MXCLOGIT", 8) ||
      !in.read(reinterpret_cast<char *>(header), sizeof(header)) ||
      header[0] <= 0 || header[1] <= 0) {
    why = "not a logits file from mxc-run --save-logits";
    return false;
  }
  r.vocab = header[1];
  r.tokens.resize(header[0]);
  r.logits.resize(header[0] * header[1]);
  if (!in.read(reinterpret_cast<char *>(r.tokens.data()),
               r.tokens.size() * sizeof(int32_t)) ||
      !in.read(reinterpret_cast<char *>(r.logits.data()),
               r.logits.size() * sizeof(float))) {
    why = "truncated";
    return false;
  }
  return true;
}

/// Buffers the model reads: device memory on the GPU, malloc on the CPU.
struct Memory {
  bool cpu;
  void *allocate(size_t bytes) const {
    return cpu ? std::malloc(bytes) : _mlir_memref_to_llvm_alloc(bytes);
  }
  void release(void *p) const {
    cpu ? std::free(p) : _mlir_memref_to_llvm_free(p);
  }
  void write(void *to, const void *from, size_t bytes) const {
    if (cpu)
      std::memcpy(to, from, bytes);
    else
      mxc::cuda::copyToDeviceOrdered(to, from, bytes);
  }
  /// Waits for the model's launches, then reads.
  void read(void *to, const void *from, size_t bytes) const {
    if (cpu) {
      std::memcpy(to, from, bytes);
      return;
    }
    mxc::cuda::synchronize();
    mxc::cuda::copyToHost(to, from, bytes);
  }
};

class LoadedModel {
public:
  LoadedModel(void *library, Memory memory)
      : memory(memory), config(static_cast<const int64_t *>(
                            dlsym(library, "mxc_model_config"))),
        forwardFn(reinterpret_cast<ForwardFn>(
            dlsym(library, "_mlir_ciface_forward"))),
        decodeSymbol(dlsym(library, "_mlir_ciface_decode")) {
    auto *onDevice = static_cast<const int64_t *>(
        dlsym(library, "mxc_decode_position_on_device"));
    positionOnDevice = onDevice && *onDevice && !memory.cpu;
  }

  bool valid() const { return config && forwardFn && decodeSymbol; }
  int64_t vocab() const { return config[5]; }
  int64_t seqLen() const { return config[6]; }

  /// Whether a decode step's CUDA graph replays as captured: its position
  /// is read from device memory.
  bool replaysGraphs() const { return positionOnDevice; }

  /// The KV caches, and the buffers every step reads its inputs from: one
  /// of seq_len tokens (no step has more), the position.
  void allocateCaches() {
    // [layers, kv_heads, seq_len, head_dim]
    int64_t shape[4] = {config[2], config[4], config[6], config[0] / config[3]};
    for (Descriptor<4> *cache : {&k, &v}) {
      int64_t stride = 1;
      for (int d = 3; d >= 0; --d) {
        cache->sizes[d] = shape[d];
        cache->strides[d] = stride;
        stride *= shape[d];
      }
      cache->allocated = cache->aligned =
          memory.allocate(stride * sizeof(float));
    }
    tokenCapacity = seqLen();
    tokenBuffer = memory.allocate(tokenCapacity * sizeof(int32_t));
    if (positionOnDevice) {
      position.allocated = position.aligned = memory.allocate(sizeof(int64_t));
      position.sizes[0] = position.strides[0] = 1;
    }
  }
  ~LoadedModel() {
    memory.release(k.allocated);
    memory.release(v.allocated);
    memory.release(tokenBuffer);
    memory.release(position.allocated);
    memory.release(replayResult.allocated);
  }

  /// Logits [tokens.size(), vocab]: the prefill, or @decode at `start`,
  /// as one CUDA graph if `graph` is given and graphs are available.
  std::vector<float> run(const std::vector<int32_t> &tokens, int64_t start,
                         bool decode, mxc::cuda::StepGraph *graph = nullptr) {
    Descriptor<1> input = tokensDescriptor(tokens);
    if (decode && positionOnDevice)
      memory.write(position.aligned, &start, sizeof(start));
    // A one-token step with the position in device memory: the graph
    // captured at an earlier step replays unchanged, reading this step's
    // token and position where that step read them, and writing the logits
    // into the buffer that step returned.
    const bool replay = decode && positionOnDevice && graph &&
                        graph->captured() && tokens.size() == 1 &&
                        replayResult.allocated;
    Descriptor<2> result;
    if (replay) {
      graph->replay();
      result = replayResult;
    } else {
      const bool captured = graph && graph->begin();
      if (!decode)
        forwardFn(&result, &input);
      else if (positionOnDevice)
        reinterpret_cast<DecodeOnDeviceFn>(decodeSymbol)(&result, &input,
                                                         &position, &k, &v);
      else
        reinterpret_cast<DecodeFn>(decodeSymbol)(&result, &input, start, &k,
                                                 &v);
      if (captured)
        graph->end();
      if (captured && positionOnDevice && tokens.size() == 1) {
        memory.release(replayResult.allocated);
        replayResult = result;
      }
    }
    // The launches are queued, not waited for: once per step, before the
    // logits are read.
    std::vector<float> logits(tokens.size() * vocab());
    memory.read(logits.data(),
                static_cast<const float *>(result.aligned) + result.offset,
                logits.size() * sizeof(float));
    if (result.allocated != replayResult.allocated)
      memory.release(result.allocated);
    return logits;
  }

private:
  Descriptor<1> tokensDescriptor(const std::vector<int32_t> &tokens) {
    if (tokens.size() > tokenCapacity) {
      memory.release(tokenBuffer);
      tokenCapacity = tokens.size();
      tokenBuffer = memory.allocate(tokenCapacity * sizeof(int32_t));
    }
    memory.write(tokenBuffer, tokens.data(), tokens.size() * sizeof(int32_t));
    Descriptor<1> d;
    d.allocated = d.aligned = tokenBuffer;
    d.sizes[0] = static_cast<int64_t>(tokens.size());
    d.strides[0] = 1;
    return d;
  }

  Memory memory;
  const int64_t *config;
  ForwardFn forwardFn;
  /// _mlir_ciface_decode: a DecodeFn, or a DecodeOnDeviceFn where
  /// positionOnDevice.
  void *decodeSymbol;
  Descriptor<4> k, v;
  void *tokenBuffer = nullptr;
  size_t tokenCapacity = 0;
  bool positionOnDevice = false;
  Descriptor<1> position;
  /// The logits buffer of the captured step, which its replays write.
  Descriptor<2> replayResult;
};

double worstDifference(const std::vector<float> &got,
                       const std::vector<float> &want) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    worst = std::isnan(d) ? INFINITY : std::max(worst, d);
  }
  return worst;
}

/// The positions (rows of `vocab` logits) whose largest logit is at the
/// same token in `got` and `want`.
size_t sameTopToken(const std::vector<float> &got,
                    const std::vector<float> &want, int64_t vocab) {
  size_t same = 0;
  for (size_t row = 0; row + vocab <= want.size(); row += vocab)
    same += std::max_element(got.begin() + row, got.begin() + row + vocab) -
                got.begin() ==
            std::max_element(want.begin() + row, want.begin() + row + vocab) -
                want.begin();
  return same;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

/// Checks and (unless `timing` is off) times the loaded model.
int runLoaded(void *library, const char *modelPath, double loadSeconds,
              const Reference &reference, bool cpu, double tolerance,
              double prefillTolerance, bool graphs, bool timing) {
  LoadedModel model(library, Memory{cpu});
  if (!model.valid()) {
    std::fprintf(stderr,
                 "mxc-gpu-runner model: '%s' lacks mxc_model_config or the C "
                 "interface of @forward/@decode: not a model from "
                 "mxc-compile\n",
                 modelPath);
    return 1;
  }
  if (model.vocab() != reference.vocab ||
      static_cast<int64_t>(reference.tokens.size()) > model.seqLen()) {
    std::fprintf(stderr,
                 "mxc-gpu-runner model: the reference (vocab %lld, %zu "
                 "tokens) does not fit the model (vocab %lld, seq_len %lld)\n",
                 static_cast<long long>(reference.vocab),
                 reference.tokens.size(), static_cast<long long>(model.vocab()),
                 static_cast<long long>(model.seqLen()));
    return 1;
  }
  model.allocateCaches();

  // Correctness: prefill, then decode one token at a time; the steps after
  // the first (which meets buffers of new sizes) as CUDA graphs.
  graphs = graphs && !cpu && mxc::cuda::graphsAvailable();
  mxc::cuda::StepGraph graph;
  mxc::cuda::StepGraph *stepGraph = graphs ? &graph : nullptr;
  const std::vector<int32_t> &tokens = reference.tokens;
  std::vector<float> prefill = model.run(tokens, 0, /*decode=*/false);
  std::vector<float> decoded;
  mxc::cuda::Counters before;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i == 1 && !cpu)
      before = mxc::cuda::counters();
    std::vector<float> row =
        model.run({tokens[i]}, static_cast<int64_t>(i), /*decode=*/true,
                  i > 0 ? stepGraph : nullptr);
    decoded.insert(decoded.end(), row.begin(), row.end());
  }
  if (!cpu) {
    const mxc::cuda::Counters c = mxc::cuda::counters();
    std::printf("weights: %lld constants, %.1f MB, uploaded to device memory "
                "once\n",
                static_cast<long long>(c.constants), c.constantBytes / 1e6);
  }
  if (!cpu && tokens.size() > 1) {
    const mxc::cuda::Counters after = mxc::cuda::counters();
    const double steps = static_cast<double>(tokens.size() - 1);
    std::printf("per decoded token (steps 2 to %zu): %.1f kernels, %.1f "
                "graph launches, %.1f synchronizations, %.1f device "
                "allocations, %.1f copies\n",
                tokens.size(), (after.launches - before.launches) / steps,
                (after.graphLaunches - before.graphLaunches) / steps,
                (after.synchronizations - before.synchronizations) / steps,
                (after.allocations - before.allocations) / steps,
                (after.copies - before.copies) / steps);
    if (graphs && model.replaysGraphs())
      std::printf("decode steps 2 to %zu as CUDA graphs: %lld instantiated, "
                  "%lld replayed as captured (the position in device "
                  "memory)\n",
                  tokens.size(), static_cast<long long>(graph.instantiations()),
                  static_cast<long long>(graph.replays()));
    else if (graphs)
      std::printf("decode steps 2 to %zu as CUDA graphs: %lld instantiated, "
                  "the rest updated\n",
                  tokens.size(),
                  static_cast<long long>(graph.instantiations()));
    else
      std::printf("decode steps as CUDA graphs: no (%s)\n",
                  mxc::cuda::graphsAvailable()
                      ? "--no-graph"
                      : "the driver lacks graphs, or MXC_CUDA_SYNC is set");
  }
  bool ok = true;
  for (auto [name, got] :
       {std::pair{"prefill", &prefill}, std::pair{"decode", &decoded}}) {
    double worst = worstDifference(*got, reference.logits);
    const double limit = got == &prefill ? prefillTolerance : tolerance;
    bool match = worst <= limit;
    ok &= match;
    std::printf("%s logits of %zu tokens %s the reference: max |difference| "
                "%.3e (limit %.1e); the same top token at %zu\n",
                name, tokens.size(), match ? "match" : "DIFFER from", worst,
                limit, sameTopToken(*got, reference.logits, reference.vocab));
  }
  if (!ok)
    return 1;
  if (!timing)
    return 0;

  // Timing: the prompt's tokens repeated to seq_len.
  std::vector<int32_t> context(model.seqLen());
  for (size_t i = 0; i < context.size(); ++i)
    context[i] = tokens[i % tokens.size()];
  model.run(context, 0, /*decode=*/false); // warm-up
  auto start = std::chrono::steady_clock::now();
  const int prefills = 5;
  for (int r = 0; r < prefills; ++r)
    model.run(context, 0, /*decode=*/false);
  double prefillSeconds = seconds(start) / prefills;
  // Decode timed with and without graphs, alternately, 3 times each: the
  // median of each.
  auto timeDecode = [&](mxc::cuda::StepGraph *g) {
    auto begin = std::chrono::steady_clock::now();
    for (size_t i = 0; i < context.size(); ++i)
      model.run({context[i]}, static_cast<int64_t>(i), /*decode=*/true,
                i > 0 ? g : nullptr);
    return context.size() / seconds(begin);
  };
  std::vector<double> plain, withGraphs;
  for (int r = 0; r < 3; ++r) {
    plain.push_back(timeDecode(nullptr));
    if (graphs)
      withGraphs.push_back(timeDecode(&graph));
  }
  auto median = [](std::vector<double> v) {
    if (v.empty())
      return std::string("-");
    std::sort(v.begin(), v.end());
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", v[v.size() / 2]);
    return std::string(text);
  };
  std::printf("\n| model | load s | prefill %lld tokens, ms | prefill "
              "tokens/s | decode %lld tokens one by one, tokens/s | the same, "
              "CUDA graphs |\n"
              "|---|---:|---:|---:|---:|---:|\n"
              "| %s | %.3f | %.3f | %.0f | %s | %s |\n",
              static_cast<long long>(model.seqLen()),
              static_cast<long long>(model.seqLen()), modelPath, loadSeconds,
              prefillSeconds * 1e3, model.seqLen() / prefillSeconds,
              median(plain).c_str(), median(withGraphs).c_str());
  return 0;
}

} // namespace

int runModel(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: mxc-gpu-runner model MODEL.so REFERENCE "
                         "[--cpu] [--no-graph] [--check-only] "
                         "[--tolerance T] [--prefill-tolerance T]\n");
    return 2;
  }
  const char *modelPath = argv[2], *referencePath = argv[3];
  bool cpu = false, graphs = true, timing = true;
  double tolerance = 2e-3, prefillTolerance = -1;
  for (int i = 4; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--cpu"))
      cpu = true;
    else if (!std::strcmp(argv[i], "--no-graph"))
      graphs = false;
    else if (!std::strcmp(argv[i], "--check-only"))
      timing = false;
    else if (!std::strcmp(argv[i], "--tolerance") && i + 1 < argc)
      tolerance = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--prefill-tolerance") && i + 1 < argc)
      prefillTolerance = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "mxc-gpu-runner model: unknown option '%s'\n",
                   argv[i]);
      return 2;
    }
  }
  // A prompt of kGemmMinRows tokens or more runs the tensor-core GEMM,
  // whose x is rounded to bf16: its own limit where asked for.
  if (prefillTolerance < 0)
    prefillTolerance = tolerance;
  Reference reference;
  std::string why;
  if (!readReference(referencePath, reference, why)) {
    std::fprintf(stderr, "mxc-gpu-runner model: '%s': %s\n", referencePath,
                 why.c_str());
    return 1;
  }
  if (!cpu) {
    if (!mxc::cuda::tryInitialize(why)) {
      std::printf("mxc-gpu-runner: %s; skipped\n", why.c_str());
      return kSkipped;
    }
    std::printf("device: %s\n", mxc::cuda::deviceName().c_str());
  }
  // Loading runs the model's constructor, which loads its kernels.
  auto loadStart = std::chrono::steady_clock::now();
  void *library = dlopen(modelPath, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    std::fprintf(stderr, "mxc-gpu-runner model: cannot load '%s': %s\n",
                 modelPath, dlerror());
    return 1;
  }
  double loadSeconds = seconds(loadStart);
  int status = runLoaded(library, modelPath, loadSeconds, reference, cpu,
                         tolerance, prefillTolerance, graphs, timing);
  // Unloading runs the model's destructor (its kernels' module) while the
  // driver is still up.
  dlclose(library);
  return status;
}
