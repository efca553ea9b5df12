//===- CPUKernelsImpl.h - One ISA variant of the CPU kernels ----*- C++ -*-===//
//
// What each ISA variant (CPUKernelsImpl.inc compiled with its own -m flags)
// exports to the dispatcher in CPUKernels.cpp. The variants share no inline
// function with the rest of the program (no std:: templates, everything
// else internal): the linker could otherwise keep an AVX-512 copy of an
// inline function for every caller.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_RUNTIME_CPUKERNELSIMPL_H
#define MXC_RUNTIME_CPUKERNELSIMPL_H

#include "mxc/Runtime/CPUKernels.h"

namespace mxc::cpu {

/// What a variant needs besides the problem: the element table (2^bits
/// floats, from the numerics library) and the 256 E8M0 scale values.
struct Tables {
  const float *element;
  const float *scale;
};

/// The reduction length every buffer holds: numBlocks * block rounded up to
/// the kernels' 16 lanes.
int64_t bufferLength(const MatmulProblem &p);

#define MXC_DECLARE_VARIANT(ISA)                                               \
  namespace ISA {                                                              \
  /* x as rows of bufferLength floats in the order the decoded weight uses,    \
     zero padded. */                                                           \
  void packActivations(const MatmulProblem &p, float *xk);                     \
  /* Output columns [n0, n1); `scratch` holds 4 * bufferLength floats. */      \
  void columns(const MatmulProblem &p, const Tables &t, const float *xk,       \
               int64_t n0, int64_t n1, float *scratch);                        \
  }
MXC_DECLARE_VARIANT(avx512)
MXC_DECLARE_VARIANT(avx2)
MXC_DECLARE_VARIANT(generic)
#undef MXC_DECLARE_VARIANT

} // namespace mxc::cpu

#endif // MXC_RUNTIME_CPUKERNELSIMPL_H
