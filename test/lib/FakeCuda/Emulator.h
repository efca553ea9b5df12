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
                                int64_t thread);

/// The emulated form of kernel `name` in this library, or null.
EmulatedKernel findEmulated(const std::string &name);

/// Runs `entry` over the grid (gridX, gridY) of blocks of `threads` threads
/// with cuLaunchKernel's `params`; false (after a message) when a block's
/// threads got stuck.
bool emulate(EmulatedKernel entry, void **params, unsigned gridX,
             unsigned gridY, unsigned threads);

} // namespace fake

#endif // MXC_TEST_LIB_FAKECUDA_EMULATOR_H
