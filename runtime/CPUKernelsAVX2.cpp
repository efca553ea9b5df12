//===- CPUKernelsAVX2.cpp - The CPU kernels, avx2 variant -----------------===//

#define MXC_KERNEL_ISA avx2
#include "CPUKernelsImpl.inc"
