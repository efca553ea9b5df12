//===- CPUKernelsAVX512.cpp - The CPU kernels, avx512 variant -------------===//

#define MXC_KERNEL_ISA avx512
#include "CPUKernelsImpl.inc"
