//===- mxc-testgen.cpp - Integration tests with expected values -----------===//
//
// Writes the MLIR programs of the CPU integration tests, built with MLIR's
// C++ builders, with the values the numerics library (the independent
// reference) expects as CHECK lines; or checks a program's output against a
// float64 reference within a derived error bound. One mode per file, each a
// subcommand with its own options (`mxc-testgen MODE --help`):
//
//   roundtrip   quantize -> dequantize of corner-case rows    Roundtrip.cpp
//   matmul      mxc.matmul of random MX operands              Matmul.cpp
//   softmax     exact and EXAQ softmax                        Softmax.cpp
//   attention   span-sparse (and EXAQ) attention, tile counts Attention.cpp
//   ptq         a layer with statistics for the PTQ passes    PTQ.cpp
//   gpu-decode  the GPU GEMV's block decoder on every code    GPUDecode.cpp
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "llvm/Support/InitLLVM.h"

using namespace mxc::testgen;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "mxc integration test generator and checker\n");
  for (Mode *mode : {&roundtripMode, &matmulMode, &softmaxMode, &attentionMode,
                     &ptqMode, &gpuDecodeMode})
    if (mode->command)
      return mode->run();
  fail("give a mode: roundtrip, matmul, softmax, attention, ptq or "
       "gpu-decode (mxc-testgen --help)");
}
