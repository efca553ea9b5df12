//===- Emulator.cpp - mxc's GPU kernels run on the CPU, thread by thread --===//
//
// The fake libcuda's emulator (MXC_FAKE_CUDA_EMULATE=1): a kernel that
// mxc-kernels --format=cpu compiled for this CPU (mxc-gpu-emulate: each
// thread's body a function) runs block by block, each of the block's
// threads a fiber (ucontext) on one OS thread. A thread runs until it
// reaches a barrier or a warp shuffle, or returns; a barrier lets its
// threads go on once every live thread of the block has reached one, a
// shuffle once every live lane of its warp has, each lane then reading the
// value its source lane gave (or, for a ballot, the bits of the lanes whose
// value is not 0). So the kernels' own code runs here, their
// cooperation as on a GPU (memory is sequentially consistent, and threads
// interleave only at those points: a data race the GPU could expose does not
// show). Stuck threads (a barrier some thread never reaches) are an error.
//
// A thread starts on its own stack through makecontext/swapcontext; after
// that, switches are _setjmp/_longjmp, which (unlike swapcontext) make no
// system call: an attention kernel switches millions of times.
//
//===----------------------------------------------------------------------===//

// _longjmp between stacks: not the checked variant.
#undef _FORTIFY_SOURCE

#include "Emulator.h"

#include <algorithm>
#include <cstdio>
#include <dlfcn.h>
#include <memory>
#include <setjmp.h>
#include <ucontext.h>
#include <vector>

namespace {

enum class State { Ready, AtBarrier, AtShuffle, Done };
/// The shuffle mode of a ballot (mxc-gpu-emulate's kBallotMode); 0 to 3 are
/// xor, up, down and idx.
constexpr uint32_t kBallotMode = 4;

struct Thread {
  ucontext_t context; // where it starts
  jmp_buf resume;     // where it goes on, once started
  bool started = false;
  State state = State::Ready;
  // A pending shuffle: the lane's value, source parameter and mode; the
  // value it receives.
  uint32_t value = 0, offset = 0, width = 32, mode = 0, received = 0;
};

constexpr size_t kStackBytes = 256 * 1024;

struct Block {
  fake::EmulatedKernel entry = nullptr;
  void **params = nullptr;
  int64_t x = 0, y = 0, gridX = 0, gridY = 0;
  std::vector<Thread> threads;
  std::vector<std::unique_ptr<char[]>> stacks;
  jmp_buf scheduler;
  unsigned current = 0;
};

Block *running = nullptr;

void threadMain() {
  Block &block = *running;
  const unsigned t = block.current;
  block.entry(block.params, block.x, block.y, block.gridX, block.gridY, t,
              static_cast<int64_t>(block.threads.size()));
  block.threads[t].state = State::Done;
  _longjmp(block.scheduler, 1);
}

/// Leaves the running thread at `state` for the scheduler.
void yield(State state) {
  Block &block = *running;
  Thread &thread = block.threads[block.current];
  thread.state = state;
  if (_setjmp(thread.resume) == 0)
    _longjmp(block.scheduler, 1);
}

/// Runs thread `t` of `block` until it yields or returns.
void resume(Block &block, unsigned t) {
  block.current = t;
  Thread &thread = block.threads[t];
  if (_setjmp(block.scheduler) != 0)
    return;
  if (thread.started)
    _longjmp(thread.resume, 1);
  thread.started = true;
  ucontext_t here; // never resumed: the thread comes back by _longjmp
  swapcontext(&here, &thread.context);
}

/// The source lane of a shuffle, or `lane` itself when out of range.
unsigned sourceLane(const Thread &t, unsigned lane) {
  int64_t src = lane;
  switch (t.mode) {
  case 0:
    src = lane ^ t.offset;
    break;
  case 1:
    src = int64_t(lane) - t.offset;
    break;
  case 2:
    src = int64_t(lane) + t.offset;
    break;
  default:
    src = t.offset;
  }
  // Within the lane's segment of `width` lanes.
  const int64_t base = lane / t.width * t.width;
  if (t.mode == 3)
    src += base;
  if (src < base || src >= base + t.width || src >= 32)
    return lane;
  return static_cast<unsigned>(src);
}

void barrier() { yield(State::AtBarrier); }

uint32_t shuffle(uint32_t value, uint32_t offset, uint32_t width,
                 uint32_t mode) {
  Thread &thread = running->threads[running->current];
  thread.value = value;
  thread.offset = offset;
  thread.width = width ? width : 32;
  thread.mode = mode;
  yield(State::AtShuffle);
  return running->threads[running->current].received;
}

/// The handle of the loaded object holding `address`, or null.
void *objectOf(const void *address) {
  Dl_info info;
  if (!address || !dladdr(address, &info) || !info.dli_fname)
    return nullptr;
  return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
}

/// The object with the runner's emulated kernels: this library.
void *self() {
  static void *handle = objectOf(reinterpret_cast<void *>(&barrier));
  return handle;
}

} // namespace

fake::Emulated fake::findEmulated(const std::string &name, const void *image) {
  for (void *object : {objectOf(image), self()}) {
    if (!object)
      continue;
    Emulated found;
    found.entry = reinterpret_cast<EmulatedKernel>(
        dlsym(object, ("mxc_emu_entry_" + name).c_str()));
    found.paramSizes = static_cast<const int32_t *>(
        dlsym(object, ("mxc_emu_param_sizes_" + name).c_str()));
    // The kernels call the emulator's barrier and shuffle through pointers
    // of their object (mxc-gpu-emulate).
    using SetHooks = void (*)(void *, void *);
    if (auto set =
            reinterpret_cast<SetHooks>(dlsym(object, "mxc_emu_set_hooks")))
      set(reinterpret_cast<void *>(&barrier),
          reinterpret_cast<void *>(&shuffle));
    if (object != self())
      dlclose(object); // the NOLOAD reference; the object stays loaded
    if (found)
      return found;
  }
  return {};
}

bool fake::emulate(EmulatedKernel entry, void **params, unsigned gridX,
                   unsigned gridY, unsigned threads) {
  Block block;
  block.entry = entry;
  block.params = params;
  block.threads.resize(threads);
  for (unsigned t = 0; t < threads; ++t)
    block.stacks.emplace_back(new char[kStackBytes]);
  block.gridX = gridX;
  block.gridY = gridY;
  running = &block;
  bool ok = true;
  for (unsigned by = 0; by < gridY && ok; ++by)
    for (unsigned bx = 0; bx < gridX && ok; ++bx) {
      block.x = bx;
      block.y = by;
      for (unsigned t = 0; t < threads; ++t) {
        Thread &thread = block.threads[t];
        thread = Thread{};
        getcontext(&thread.context);
        thread.context.uc_stack.ss_sp = block.stacks[t].get();
        thread.context.uc_stack.ss_size = kStackBytes;
        thread.context.uc_link = nullptr;
        makecontext(&thread.context, threadMain, 0);
      }
      unsigned live = threads;
      while (live > 0) {
        // Run every ready thread to its next barrier, shuffle or return.
        bool ran = false;
        for (unsigned t = 0; t < threads; ++t)
          if (block.threads[t].state == State::Ready) {
            resume(block, t);
            ran = true;
          }
        live = 0;
        unsigned atBarrier = 0;
        for (const Thread &thread : block.threads) {
          live += thread.state != State::Done;
          atBarrier += thread.state == State::AtBarrier;
        }
        // A barrier every live thread reached.
        bool released = false;
        if (live > 0 && atBarrier == live) {
          for (Thread &thread : block.threads)
            if (thread.state == State::AtBarrier)
              thread.state = State::Ready;
          released = true;
        }
        // Shuffles every live lane of a warp reached: the values first, then
        // the lanes go on.
        for (unsigned w = 0; w * 32 < threads; ++w) {
          const unsigned first = w * 32,
                         end = std::min<unsigned>(threads, first + 32);
          bool all = true, any = false;
          for (unsigned t = first; t < end; ++t) {
            State s = block.threads[t].state;
            all &= s == State::AtShuffle || s == State::Done;
            any |= s == State::AtShuffle;
          }
          if (!all || !any)
            continue;
          // A ballot (mode 4, mxc-gpu-emulate): the bits of the lanes at it
          // whose value is not 0.
          uint32_t ballot = 0;
          for (unsigned t = first; t < end; ++t)
            if (block.threads[t].state == State::AtShuffle &&
                block.threads[t].mode == kBallotMode &&
                block.threads[t].value != 0)
              ballot |= 1u << (t - first);
          for (unsigned t = first; t < end; ++t) {
            Thread &thread = block.threads[t];
            if (thread.state == State::AtShuffle)
              thread.received =
                  thread.mode == kBallotMode
                      ? ballot
                      : block.threads[first + sourceLane(thread, t - first)]
                            .value;
          }
          for (unsigned t = first; t < end; ++t)
            if (block.threads[t].state == State::AtShuffle)
              block.threads[t].state = State::Ready;
          released = true;
        }
        if (live > 0 && !ran && !released) {
          std::fprintf(stderr,
                       "fake CUDA emulator: block (%u, %u): threads stuck at "
                       "a barrier or shuffle that not all reach\n",
                       bx, by);
          ok = false;
          break;
        }
      }
    }
  running = nullptr;
  return ok;
}
