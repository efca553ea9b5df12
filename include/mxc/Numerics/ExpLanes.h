//===- ExpLanes.h - exp of each lane of a float vector ----------*- C++ -*-===//
//
// One vectorized exp for the code that needs exp of many floats at once: the
// CPU runtime's attention (runtime/CPUKernelsImpl.inc, compiled once per
// instruction set) and the tuner's softmax (lib/Tuning). Header-only: each
// caller instantiates it for its own vector width and target features.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_NUMERICS_EXPLANES_H
#define MXC_NUMERICS_EXPLANES_H

#include <cstdint>
#include <cstring>

namespace mxc::numerics {

/// exp of each lane of `x` (a clang vector of floats), as Cephes' expf
/// computes it: x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts), a
/// degree-6 polynomial for exp(r), times 2^n from the exponent bits; within
/// 1 ulp of the exact value (measured: 0.98 ulp at most over [-87.3, 0],
/// where softmax uses it). Below -87.33 (where expf's results leave the
/// normal range) it gives 0, -inf included; NaN stays NaN.
template <typename Lanes>
[[gnu::always_inline]] inline Lanes expLanes(Lanes x) {
  typedef int32_t IntLanes __attribute__((vector_size(sizeof(Lanes))));
  // Scalars in vector arithmetic are splat to every lane.
  const Lanes zero = {}, low = zero - 87.33654f, high = zero + 88.72283f;
  const Lanes input = x;
  const IntLanes underflow = x < low;
  x = x < low ? low : x;
  x = x > high ? high : x;
  const Lanes n = __builtin_elementwise_floor(x * 1.44269504088896341f + 0.5f);
  x = x - n * 0.693359375f - n * -2.12194440e-4f;
  Lanes y = zero + 1.9875691500e-4f;
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * x * x + x + 1.0f;
  IntLanes bits = (__builtin_convertvector(n, IntLanes) + 127) << 23;
  Lanes scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  y = y * scale;
  y = underflow ? zero : y;
  return input != input ? input : y;
}

} // namespace mxc::numerics

#endif // MXC_NUMERICS_EXPLANES_H
