//===- Emulator.h - mxc's GPU kernels run on the CPU, thread by thread ----===//
//
// See Emulator.cpp. The emulated kernels come from mxc-kernels --format=cpu,
// compiled into this library.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TEST_LIB_FAKECUDA_EMULATOR_H
#define MXC_TEST_LIB_FAKECUDA_EMULATOR_H

#include <cstdint>
#include <string>

namespace fake {

/// mxc_emu_entry_<kernel> (mxc-gpu-emulate-entries): one thread of a block.
using EmulatedKernel = void (*)(void **params, int64_t blockX, int64_t blockY,
                                int64_t gridX, int64_t gridY, int64_t thread,
                                int64_t blockDimX);

/// An emulated kernel: its entry, and its parameters' count and sizes in
/// bytes ([count, size...]: mxc_emu_param_sizes_<kernel>).
struct Emulated {
  EmulatedKernel entry = nullptr;
  const int32_t *paramSizes = nullptr;
  explicit operator bool() const { return entry && paramSizes; }
};

/// The emulated form of kernel `name` in the object that holds `image` (a
/// model compiled with its kernels for the emulator), else in this library
/// (the runner's kernels), or none; points that object's barrier and
/// shuffle hooks at the emulator. For cuModuleGetFunction: a launch uses
/// what it found.
Emulated findEmulated(const std::string &name, const void *image);

/// Runs `entry` over the grid (gridX, gridY) of blocks of `threads` threads
/// with cuLaunchKernel's `params`; false (after a message) when a block's
/// threads got stuck.
bool emulate(EmulatedKernel entry, void **params, unsigned gridX,
             unsigned gridY, unsigned threads);

} // namespace fake

#endif // MXC_TEST_LIB_FAKECUDA_EMULATOR_H
