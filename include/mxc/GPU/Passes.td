//===- Passes.td - mxc GPU kernel generation ---------------*- tablegen -*-===//

#ifndef MXC_GPU_PASSES_TD
#define MXC_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def MXCGPUKernelsPass : Pass<"mxc-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Generate mxc's NVVM kernels into a gpu.module";
  let description = [{
    Adds `gpu.module @mxc_kernels` with an `#nvvm.target` for `chip` to the
    module (and `gpu.container_module`), holding the kernels built by
    `mxc/GPU/Kernels.h`:

    * `mx_gemv_<format>_b<batch>` for every format in `gemv-formats` and
      every batch in `batches`: the decode MX GEMV (packed MX weights read
      once with vector loads, decoded in registers, E8M0 scale per block,
      f32 accumulation, one warp per row);
    * with `gemm`, `mx_gemm_<format>` for every format in `gemv-formats`
      (sm_80 and newer): the prefill GEMM on tensor cores (x and the
      decoded weights staged in shared memory as bf16, `mma.sync`
      m16n8k16 with f32 accumulation), with the GEMV's arguments;
    * `mx_softmax_exact` and `mx_softmax_exaq<bits>` for every entry of
      `softmax-bits` (0 is the exact kernel), and with `softmax-codes`
      `mx_softmax_exaq<bits>_codes` for those of 1 to 4 bits (the compact
      output: codes and the row's output per code);
    * `mx_attention_decode_{dense,sparse}_d<D>[_q<G>]` for every head
      dimension in `attention-head-dims` and every G in
      `attention-group-heads`: attention of one query row of G query heads
      per block (decode, or a causal row of a prefill) over all its KV
      tiles, and over a list of kept tiles (span-sparse); keys and values at
      any distance between KV heads (a KV cache's layer). The G heads share
      their KV head (GQA) and the block reads it once for all of them.
      With `attention-split-keys`, also their `_split` forms (each block a
      split of a row's keys: flash-decoding) and `mx_attention_merge_d<D>`,
      which merges the splits.

    FP8 E4M3 uses the native conversion from sm_89 on, integer bit operations
    below. Lower the result with `mxc-gpu-to-binary`.

    ```sh
    mxc-opt empty.mlir --mxc-gpu-kernels="chip=sm_90 gemv-formats=mxfp4" \
      --mxc-gpu-to-binary="format=isa"
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "Target chip: sm_80 or sm_90 (any sm_XY ptxas knows)">,
    // A list of strings, checked when the pass runs: MLIR 22's ListOption
    // parses each element with a parser that never sees cl::values.
    ListOption<"gemvFormats", "gemv-formats", "std::string",
               "MX formats of the GEMV kernels (default: all six)">,
    ListOption<"batches", "batches", "int64_t",
               "Activation rows of the GEMV kernels, 1 to 16 (default: 1)">,
    ListOption<"softmaxBits", "softmax-bits", "int64_t",
               "Softmax kernels: 0 for exact, 1 to 8 for EXAQ (default: "
               "none)">,
    Option<"softmaxCodes", "softmax-codes", "bool", /*default=*/"false",
           "Also the EXAQ kernels of up to 4 bits that write codes and "
           "each row's output per code">,
    ListOption<"attentionHeadDims", "attention-head-dims", "int64_t",
               "Attention kernels (dense and sparse) for these head "
               "dimensions: 4, 8, 16 or multiples of 32 up to 128 (default: "
               "none)">,
    ListOption<"attentionGroupHeads", "attention-group-heads", "int64_t",
               "Query heads per block of the attention kernels, 1 to 8 "
               "(default: 1)">,
    Option<"gemvUnstaged", "gemv-unstaged", "bool", /*default=*/"false",
           "Also the GEMV kernels of the batches that stage x in shared "
           "memory without the staging (\"_unstaged\"), to compare">,
    Option<"attentionSplitKeys", "attention-split-keys", "bool",
           /*default=*/"false",
           "Also the attention kernels that split the keys across blocks, "
           "and the kernel that merges their splits">,
    Option<"gemm", "gemm", "bool", /*default=*/"false",
           "Also the prefill GEMM on tensor cores (mx_gemm_<format>) of "
           "every GEMV format; sm_80 and newer">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def MXCGPUGeneralizeTransposesPass
    : Pass<"mxc-gpu-generalize-transposes", "::mlir::func::FuncOp"> {
  let summary = "Turn each linalg.transpose into the linalg.generic it names";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` fuses `linalg.generic` ops
    only. On the GPU path every op left unfused is a kernel of its own, so a
    transpose (the attention's head-major layout of q, k and v) would be a
    copy kernel. As a generic with a permuted input map it fuses into the
    op that produces its input: RoPE then writes the rotated rows in the
    layout the attention reads, and with `eliminate-empty-tensors` directly
    into the KV cache. Other named ops (fills, matmuls) are left alone: an
    element-wise producer fused into a reduction's generic would be
    recomputed for every reduced element.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def MXCGPUMapLoopsPass : Pass<"mxc-gpu-map-loops", "::mlir::func::FuncOp"> {
  let summary = "Turn bufferized linalg into scf.parallel loops mapped onto "
                "GPU blocks and threads";
  let description = [{
    The generic part of a model's GPU path, for what has no kernel of its own
    (norms, RoPE, SiLU, residuals, the attention lowering's tasks), run on
    buffers after one-shot bufferization:

    1. static buffers allocated inside an `scf.forall` / `scf.parallel` task
       become `memref.alloca` (thread-private); a dynamic one is an error;
    2. `memref.copy` becomes `linalg.copy` at the top level and a loop nest
       inside a task;
    3. `scf.forall` becomes `scf.parallel`;
    4. linalg ops become parallel loops at the top level and sequential
       loops inside a task. A top-level reduction (parallel dimensions, then
       reduced ones, the output indexed by the parallel ones) is a parallel
       loop over its output elements whose thread carries the accumulator
       in a register through a sequential loop and stores it once, in the
       order the CPU path sums (the same bits); a `linalg.fill` of the
       fresh output buffer just before it is the accumulator's start
       instead of a kernel of its own;
    5. each top-level `scf.parallel` is collapsed to one dimension and tiled
       by `threads`, the tile loop mapped to blocks and its body to threads;
       parallel loops nested deeper run sequentially in their thread.

    Then upstream `convert-parallel-loops-to-gpu` makes each top-level loop a
    `gpu.launch`.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per block">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def MXCGPUCheckHostPass : Pass<"mxc-gpu-check-host", "::mlir::func::FuncOp"> {
  let summary = "Check that host code does not touch buffer elements";
  let description = [{
    After `convert-parallel-loops-to-gpu`: fails on the first load, store,
    copy, linalg op or parallel loop left outside a `gpu.launch`, since the
    buffers of a GPU-compiled model are the GPU's and the host only
    allocates, launches and frees. Loads and stores of `memref.alloca`
    buffers (host-side bookkeeping) are allowed, and private functions (the
    helpers that buffer deallocation generates) are not checked.
  }];
}

def MXCGPULaunchToLoopsPass
    : Pass<"mxc-gpu-launch-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Run gpu.launch bodies as CPU loops (testing without a GPU)";
  let description = [{
    Replaces each `gpu.launch` by an `scf.parallel` over its grid and block
    that runs the body once per (block, thread); a thread's allocas become
    heap buffers freed at the end of their block, so that they do not pile
    up on the stack across iterations. This is exact for bodies
    whose threads do not cooperate, which is what `mxc-gpu-map-loops` and
    `convert-parallel-loops-to-gpu` generate; a body with barriers, shuffles,
    reductions, shared memory or clusters is an error. With it the model's
    GPU path, up to outlining, runs on the CPU and can be compared with the
    CPU path and the C++ reference.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"
  ];
}

def MXCGPUEmulatePass : Pass<"mxc-gpu-emulate", "::mlir::ModuleOp"> {
  let summary = "Make each GPU kernel a CPU function that one thread of a "
                "block runs, for a CPU emulator of the whole block";
  let description = [{
    For testing kernels without a GPU: each `gpu.func` kernel of the
    module's `gpu.module`s becomes `func.func @mxc_emu_<name>(<its
    arguments>, %block_x, %block_y, %grid_x, %grid_y, %thread_x,
    %block_dim_x: index)`, the body of one thread:

    * `gpu.thread_id`, `gpu.block_id`, `gpu.grid_dim`, `gpu.block_dim` are
      the new arguments (a one-dimensional block in a grid of at most two
      dimensions: the others are 0 or 1); `gpu.lane_id` is the thread modulo
      32;
    * workgroup buffers are `memref.global`s (one block runs at a time);
    * `gpu.barrier` calls `@mxc_emu_barrier()`, and `gpu.shuffle` (f32 or
      i32; its validity unused) calls `@mxc_emu_shuffle(value bits: i32,
      offset: i32, width: i32, mode: i32) -> i32` (mode 0 xor, 1 up, 2 down,
      3 idx): the emulator (test/lib/FakeCuda) runs the block's threads as
      fibers and returns from these calls only when the whole block (a
      barrier) or warp (a shuffle) has reached them, so a kernel's warp- and
      block-level cooperation runs as on a GPU, with the kernel's own code.

    The globals the kernels read are the host module's of the same name
    (from which outlining copied them), else copies. The `gpu.module`s are
    erased, unless `keep` is set (a model compiled for CUDA that also
    carries its kernels for the emulator). A kernel with other GPU or NVVM
    ops (build
    the kernels for sm_80: no native FP8 conversion), private attributions,
    or a used shuffle validity is an error. After the CPU lowering,
    `mxc-gpu-emulate-entries` adds the emulator's entry points.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect"
  ];
  let options = [
    Option<"keep", "keep", "bool", /*default=*/"false",
           "Keep the gpu.modules (and their kernels) next to the emulated "
           "functions">
  ];
}

def MXCGPUEmulateEntriesPass
    : Pass<"mxc-gpu-emulate-entries", "::mlir::ModuleOp"> {
  let summary = "Add the emulator's entry point of each emulated kernel";
  let description = [{
    After `mxc-gpu-emulate` and the lowering to the LLVM dialect: for each
    `llvm.func @mxc_emu_<name>` with a body, adds
    `llvm.func @mxc_emu_entry_<name>(%params: !llvm.ptr, %block_x,
    %block_y, %grid_x, %grid_y, %thread_x, %block_dim_x: i64)` that loads
    each kernel parameter from the array of pointers `%params` (`cuLaunchKernel`'s `kernelParams`: one per
    parameter of the LLVM lowering, a memref's descriptor fields expanded)
    and calls the kernel's thread body; and `@mxc_emu_param_sizes_<name>`,
    an i32 array of the parameters' count and their sizes in bytes (what a
    graph captures).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def MXCGPUSinkGlobalsPass
    : Pass<"mxc-gpu-sink-globals", "::mlir::func::FuncOp"> {
  let summary = "Move the small constant tables a gpu.launch reads into it";
  let description = [{
    Clones into each `gpu.launch` body (upstream's
    `sinkOperationsIntoLaunchOp`) the `memref.get_global`s of at most
    `max-bytes` bytes that its body uses, directly or through pure views
    (`memref.collapse_shape`, `memref.view`, `memref.subview`, ...), chain
    and all, so that `gpu-kernel-outlining` copies the global into the
    kernel's `gpu.module`, and every mutable global (a counter the kernels
    write), whatever its size. Larger constant globals (the weights) stay on
    the host as launch operands: `mxc-gpu-device-constants` gives the host code their
    device copies, which mxc's runtime uploads once, so that the device
    binary's size does not grow with the model. The index computations
    `gpu-launch-sink-index-computations` would sink (constants, `memref.dim`,
    `arith.select`/`cmpi`) go in too, so that kernels see constant bounds
    instead of parameters.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"4096",
           "Largest global, in bytes, that goes into the device binary">,
  ];
}

def MXCGPUDevicePositionPass
    : Pass<"mxc-gpu-device-position", "::mlir::ModuleOp"> {
  let summary = "Pass a decode step's position to the kernels through device "
                "memory";
  let description = [{
    The argument marked `mxc.position` (the index of a decode step's first
    token) becomes a `memref<1xi64>` at the same place, which the caller
    fills in device memory before the step. Each `gpu.launch` that uses the
    position reads it from the buffer at its start; an attention launch
    whose keys are `position + n` (mxc's dense attention kernel, with no key
    offset yet) takes n as its keys and the buffer as its key offset. No
    kernel parameter then depends on the position, so a CUDA graph captured
    at one step replays unchanged at every later one. A call of the
    function (`@forward` calls `@decode` at position 0) passes a buffer of
    its own, written by a one-thread launch.

    Runs after `mxc-gpu-mx-kernels` and `mxc-gpu-sink-globals` (which moves
    the views of the KV cache at the position into the launches), before
    outlining. If the host uses the position any other way, the function is
    left as it is (its steps' graphs are then captured and updated, not
    replayed).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def MXCGPUDeviceConstantsPass
    : Pass<"mxc-gpu-device-constants", "::mlir::ModuleOp"> {
  let summary = "Host code passes kernels the device copies of its constants";
  let description = [{
    On host code lowered to the LLVM dialect (after `gpu-to-llvm`): every
    `llvm.mlir.addressof` of a constant global with an elements initializer
    (a lowered `memref.global`, a weight) in a function body becomes a call
    `mxc_cuda_device_constant(address, bytes)`, which returns the device
    copy that mxc's runtime uploads at the first call and keeps. The host
    code never touches a buffer (`mxc-gpu-check-host`), so such an address
    is only ever passed to a kernel. The weights stay in the host object's
    read-only data, not in the device binary.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def MXCGPUMergeModulesPass
    : Pass<"mxc-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Merge the gpu.modules of outlined kernels into one";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel. This pass moves
    every kernel and global into one `gpu.module` named `module-name`,
    keeping one copy of a global that several kernels read, and points each
    `gpu.launch_func` at it: one device binary, one ptxas run. Kernels'
    workgroup buffers without an alignment get 16 bytes (`llvm.align`):
    the staged GEMV reads and writes them with 16-byte vector accesses.
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", /*default=*/"\"mxc_model\"",
           "Name of the merged gpu.module">
  ];
}

def MXCGPUCheckLaunchArgsPass
    : Pass<"mxc-gpu-check-launch-args", "::mlir::ModuleOp"> {
  let summary = "Check that launches pass only buffers the GPU can reach";
  let description = [{
    After outlining: every memref operand of a `gpu.launch_func` must be a
    function argument (the caller provides device memory), a `memref.alloc`
    (device memory in mxc's runtime), a `memref.get_global` of a constant
    global (uploaded by the runtime: `mxc-gpu-device-constants`) or a view
    of one. A mutable global (host memory the kernels would write) or a
    `memref.alloca` (the host stack) is an error naming the operand.
  }];
}

def MXCGPUMXKernelsPass : Pass<"mxc-gpu-mx-kernels", "::mlir::ModuleOp"> {
  let summary = "Give the GEMV calls of convert-mxc-matmul-to-gpu their bodies";
  let description = [{
    For every declared `@mxc_gemv_<format>_b<batch>` (from
    `convert-mxc-matmul-to-gpu`):

    * `target=cuda`: the body of mxc's GEMV kernel (`mxc/GPU/Kernels.h`,
      native FP8 conversion from sm_89 on), and each call wrapped in a
      `gpu.launch` of the kernel's geometry (blocks of 32 *
      kGemvWarpsPerBlock threads, grid ceil(n / kGemvWarpsPerBlock) x
      ceil(m / batch)), so that outlining makes the function a device
      function of the launch's kernel; for sm_80 and newer, a call of a
      batch above 1 (a prefill) of at least `gemm-min-rows` rows launches
      the tensor-core GEMM `mx_gemm_<format>` instead (x rounded to bf16;
      an `scf.if` on the rows where they are not constant);
    * `target=cpu`: the same GEMV as CPU loops around the kernel's block
      decoder and scale decoding, so that the GPU path, calls and buffers
      included, runs and is checked on the CPU (`--target=cuda-on-cpu`).

    For every declared `@mxc_attention_d<D>` (from
    `convert-mxc-attention-to-gpu`): with `target=cuda`, each call a launch
    of the decode attention kernel, a block per (group of query heads, query
    row), G query heads of one KV head a block where heads and KV heads are
    constants (GQA). With `split-keys`, where a row's blocks are few against
    the keys a KV cache holds (`attentionSplits`, LaunchGeometry.h: up to 32
    splits, toward 264 blocks), the launch of the kernel's `_split` form,
    S blocks a row over the keys into a buffer of partial states, and of
    `mx_attention_merge_d<D>`, which writes the output (flash-decoding);
    an S the host computes at run time chooses between the two with an
    `scf.if`. With `target=cpu`, CPU loops of the same attention.
  }];
  let options = [
    Option<"target", "target", "::mlir::mxc::GemvTarget",
           /*default=*/"::mlir::mxc::GemvTarget::CUDA",
           "Where the GEMV runs",
           [{::llvm::cl::values(
             clEnumValN(::mlir::mxc::GemvTarget::CUDA, "cuda",
                        "the kernel, launched"),
             clEnumValN(::mlir::mxc::GemvTarget::CPU, "cpu",
                        "CPU loops around the kernel's block decoder"))}]>,
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "Target chip for cuda: sm_80, sm_90, ...">,
    Option<"splitKeys", "split-keys", "bool", /*default=*/"true",
           "Split each attention row's keys across blocks where a step has "
           "few blocks and a long KV cache (cuda)">,
    Option<"gemmMinRows", "gemm-min-rows", "int64_t",
           /*default=*/"::mxc::gpu::kGemmMinRows",
           "A prefill matmul of at least this many rows runs the "
           "tensor-core GEMM (cuda, sm_80 and newer; 0: never)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // MXC_GPU_PASSES_TD
