//===- CudaRuntimeTest.cpp - mxc's CUDA runtime on the fake libcuda -------===//
//
// Runs against test/lib/FakeCuda (LD_LIBRARY_PATH is set by the tests'
// ctest property; MXC_FAKE_CUDA_AUDIT by the fixture): the host side of what a
// compiled model asks of the runtime. The fake counts audit launches instead of
// running them and records them in a stream capture like the driver.
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void *mxc_cuda_device_constant(const void *host, int64_t bytes);
}

namespace cuda = mxc::cuda;

namespace {

class CudaRuntime : public ::testing::Test {
protected:
  void SetUp() override {
    // The fake reads it when it is loaded, at the first driver call.
    setenv("MXC_FAKE_CUDA_AUDIT", "1", /*overwrite=*/0);
    std::string why;
    if (!cuda::tryInitialize(why))
      GTEST_SKIP() << why;
    if (cuda::deviceName() != "fake CUDA device (CPU)")
      GTEST_SKIP() << "runs on the fake libcuda only";
  }
};

/// Launches `kernels` in turn as a compiled model's host code does: on the
/// stream mgpuStreamCreate hands out, with one index parameter.
void step(const std::vector<void *> &kernels, int64_t parameter) {
  void *stream = mgpuStreamCreate();
  for (void *f : kernels) {
    void *params[] = {&parameter};
    mgpuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 1);
  }
  mgpuStreamDestroy(stream);
}

TEST_F(CudaRuntime, StepGraphUpdatesTheSameKernelsAndReinstantiatesOthers) {
  ASSERT_TRUE(cuda::graphsAvailable());
  // PTX entry points are what the fake looks for in an image.
  static char image[] = ".entry step_a(\n.entry step_b(\n";
  void *module = mgpuModuleLoad(image, 0);
  void *a = mgpuModuleGetFunction(module, "step_a");
  void *b = mgpuModuleGetFunction(module, "step_b");
  const cuda::Counters before = cuda::counters();
  cuda::StepGraph graph;
  // The same kernels with another parameter each step: one graph, updated.
  for (int64_t position = 0; position < 3; ++position) {
    ASSERT_TRUE(graph.begin());
    step({a, b}, position);
    graph.end();
  }
  EXPECT_EQ(graph.instantiations(), 1);
  // Other kernels: the update fails, a new graph is instantiated.
  ASSERT_TRUE(graph.begin());
  step({b, a, b}, 0);
  graph.end();
  EXPECT_EQ(graph.instantiations(), 2);
  cuda::synchronize();
  const cuda::Counters after = cuda::counters();
  EXPECT_EQ(after.graphLaunches - before.graphLaunches, 4);
  EXPECT_EQ(after.launches - before.launches, 9); // captured, not submitted
  EXPECT_EQ(after.synchronizations - before.synchronizations, 1);
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntime, DeviceConstantIsUploadedOnceWithItsBytes) {
  static const float weights[64] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, -7.0f};
  const cuda::Counters before = cuda::counters();
  void *first = mxc_cuda_device_constant(weights, sizeof(weights));
  void *again = mxc_cuda_device_constant(weights, sizeof(weights));
  EXPECT_EQ(first, again);
  const cuda::Counters after = cuda::counters();
  EXPECT_EQ(after.constants - before.constants, 1);
  EXPECT_EQ(after.constantBytes - before.constantBytes,
            static_cast<int64_t>(sizeof(weights)));
  EXPECT_EQ(after.allocations - before.allocations, 1);
  // The upload is queued on the models' stream: wait before reading back.
  cuda::synchronize();
  std::vector<float> back(64, -1.0f);
  cuda::copyToHost(back.data(), first, sizeof(weights));
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(back[i], weights[i]) << "element " << i;
}

} // namespace
