//===- CPUKernelsGeneric.cpp - The CPU kernels, generic variant -----------===//

#define MXC_KERNEL_ISA generic
#include "CPUKernelsImpl.inc"
