// Errors that locate the fault, on the CPU stand-in for libcuda
// (test/lib/FakeCuda): the probe names the driver it loaded; a failing cuInit
// says why, with the CUresult's name; a faulting kernel is named under
// MXC_CUDA_SYNC=1 (a synchronization after each launch), while without it
// the fault surfaces at the next call that meets it (here the copy of the
// results), unnamed.
// REQUIRES: ptxas

// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner probe | FileCheck %s --check-prefix=PROBE
// PROBE: device: fake CUDA device (CPU) (compute capability 9.0)
// PROBE-NEXT: driver: {{.*}}fake-cuda{{/|\\}}libcuda.so.1

// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir MXC_FAKE_CUDA_NO_DEVICE=1 not mxc-gpu-runner probe | FileCheck %s --check-prefix=INIT
// INIT: mxc-gpu-runner: no CUDA device: cuInit failed: CUDA_ERROR_NO_DEVICE (fake CUDA error); skipped

// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir MXC_FAKE_CUDA_FAULT=mx_gemv_mxfp4 MXC_CUDA_SYNC=1 not mxc-gpu-runner test 2>&1 | FileCheck %s --check-prefix=SYNC
// SYNC: mxc-cuda: kernel mx_gemv_mxfp4_{{[a-z0-9_]+}} failed (MXC_CUDA_SYNC): CUDA_ERROR_ILLEGAL_ADDRESS (fake CUDA error)

// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir MXC_FAKE_CUDA_FAULT=mx_gemv_mxfp4 not mxc-gpu-runner test 2>&1 | FileCheck %s --check-prefix=LATER
// LATER: mxc-cuda: cuMemcpyDtoH_v2({{.*}}) failed: CUDA_ERROR_ILLEGAL_ADDRESS (fake CUDA error)
