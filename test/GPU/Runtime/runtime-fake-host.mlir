// mlir-runner (uninstrumented) loads mxc's runtime and the fake libcuda: not
// in a sanitized build, whose instrumented libraries need the sanitizer
// runtime of an instrumented host.
// UNSUPPORTED: sanitized
// REQUIRES: cuda-toolkit

// The mgpu* functions that gpu-to-llvm's host code calls, through the CPU
// stand-in for libcuda.so.1 (test/lib/FakeCuda): the module is loaded, the
// kernel found and launched.
// RUN: mxc-opt %S/runtime-no-driver.mlir --mxc-gpu-to-binary="format=isa" --gpu-to-llvm --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | env LD_LIBRARY_PATH=%fake_cuda_dir %run-cpu -shared-libs=%mxc_cuda_runtime | FileCheck %s --check-prefix=HOST
// HOST: launched
