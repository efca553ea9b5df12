// mxc-compile --target=cuda: the model's kernels in one device binary built
// by ptxas (sm_80 and sm_90) with the weights they read, host code that
// calls mxc's runtime, written as an object file; mxc-gpu-runner model
// loads it, checks it against mxc-run --save-logits and times it (on a GPU;
// the same runner code checks the GPU path's CPU form without one).
// REQUIRES: ptxas

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null

// The host code: every kernel in @mxc_model, buffers from the runtime's
// allocator (device memory), the weights in the host object's read-only
// data (not in the cubin), passed to the kernels as the device copies the
// runtime uploads at their first use. wq is 64 x 64 floats: 16384 bytes.
// RUN: mxc-compile %t/example/model.bin --target=cuda --emit=llvm | FileCheck %s --check-prefix=LLVM
// LLVM: llvm.func @mxc_cuda_device_constant(!llvm.ptr, i64) -> !llvm.ptr
// LLVM: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// LLVM: llvm.mlir.global private constant @[[WQ:__constant_64x64xf32[_0-9]*]](dense_resource<layers.0.wq> : tensor<64x64xf32>)
// LLVM: llvm.func @decode(
// LLVM-DAG: %[[WQADDR:.+]] = llvm.mlir.addressof @[[WQ]] : !llvm.ptr
// LLVM-DAG: %[[BYTES:.+]] = llvm.mlir.constant(16384 : i64) : i64
// LLVM: %[[WQDEV:.+]] = llvm.call @mxc_cuda_device_constant(%[[WQADDR]], %[[BYTES]])
// LLVM: llvm.call @_mlir_memref_to_llvm_alloc
// LLVM: gpu.launch_func @mxc_model::@decode_kernel blocks in
// LLVM: llvm.func @_mlir_ciface_decode(
// LLVM: gpu.binary @mxc_model  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {{.*}}, bin = "\7FELF

// The weights stay host globals until the host code is lowered.
// RUN: mxc-compile %t/example/model.bin --target=cuda --chip=sm_80 --cuda-toolkit=%cuda_toolkit --emit=gpu | FileCheck %s --check-prefix=LAUNCH
// LAUNCH: func.func @decode(
// LAUNCH: memref.get_global
// LAUNCH: gpu.launch blocks

// The object file: the C interface, the configuration, the runtime calls.
// RUN: mxc-compile %t/example/model.bin --target=cuda --chip=sm_80 --cuda-toolkit=%cuda_toolkit -o %t/model-sm80.o
// RUN: mxc-compile %t/example/model.bin --recipe w4 --target=cuda --chip=sm_90 --cuda-toolkit=%cuda_toolkit -o %t/model.o
// RUN: llvm-nm %t/model.o | FileCheck %s --check-prefix=OBJECT
// OBJECT-DAG: T _mlir_ciface_decode
// OBJECT-DAG: T _mlir_ciface_forward
// OBJECT-DAG: R mxc_model_config
// OBJECT-DAG: U _mlir_memref_to_llvm_alloc
// OBJECT-DAG: U _mlir_memref_to_llvm_free
// OBJECT-DAG: U mgpuLaunchKernel
// OBJECT-DAG: U mgpuModuleLoad
// Its kernels' loader is a constructor the dynamic loader runs.
// RUN: llvm-readelf -S %t/model.o | FileCheck %s --check-prefix=INIT
// INIT: .init_array
// INIT-NOT: .ctors
// RUN: ld.lld -shared -o %t/model.so %t/model.o
// RUN: mxc-run %t/example/model.bin --recipe w4 --prompt "Hi!" --save-logits %t/w4.ref | FileCheck %s --check-prefix=SAVED
// SAVED: wrote the logits of 4 tokens to {{.*}}w4.ref

// On a GPU: the logits match and the table is printed; without one the
// runner says why and skips (exit 77).
// RUN: %if cuda-gpu %{ mxc-gpu-runner model %t/model.so %t/w4.ref | FileCheck %s --check-prefix=GPU %}
// GPU: prefill logits of 4 tokens match the reference
// GPU: decode logits of 4 tokens match the reference
// GPU: | model | load s |
// RUN: %if !cuda-gpu %{ not mxc-gpu-runner model %t/model.so %t/w4.ref | FileCheck %s --check-prefix=NOGPU %}
// NOGPU: mxc-gpu-runner: no CUDA {{driver found|device}}{{.*}}; skipped

// The CUDA object's host side without a GPU, on the CPU stand-in for
// libcuda (test/lib/FakeCuda) in audit mode, which counts the model's
// kernels instead of running them: the module loads, every kernel is found,
// every launch is within the hardware limits, the host code never touches
// device memory (the stand-in's is unreadable to the host), every buffer and
// every weight's device copy is freed, and the runtime reuses one stream for
// all launches (the logits, never computed, differ).
// RUN: env MXC_FAKE_CUDA_AUDIT=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/model.so %t/w4.ref 2>&1 | FileCheck %s --check-prefix=FAKE
// FAKE-DAG: device: fake CUDA device (CPU)
// FAKE-DAG: prefill logits of 4 tokens DIFFER from the reference
// FAKE-DAG: fake CUDA audit: {{[1-9][0-9]*}} launches of kernels it cannot run, 0 outside the launch limits; {{[1-9][0-9]*}} device allocations, 0 not freed; 1 streams created; {{[1-9][0-9]*}} graph launches of 1 graphs instantiated
// The model's buffers come from the runtime's cache after the first decode
// step, the weights were uploaded at the first, and its launches are not
// waited for one by one: per decoded token no device allocation, one
// synchronization (the runner's, before it reads the logits) and three
// copies (the token and the position in, the logits out). The second step
// is captured as a CUDA graph (the stand-in refuses a synchronization or a
// copy from pageable memory inside a capture, as the driver does); the
// position is in device memory (mxc-gpu-device-position), so no kernel
// parameter changes and the later steps replay that graph as captured,
// without running the host code: one graph launch per token, and its
// kernels count as launched.
// FAKE-DAG: per decoded token (steps 2 to 4): [[KERNELS:[1-9][0-9.]*]] kernels, 1.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// FAKE-DAG: decode steps 2 to 4 as CUDA graphs: 1 instantiated, 2 replayed as captured (the position in device memory)
// The same kernels launch by launch with --no-graph, and with MXC_CUDA_SYNC,
// which waits after each launch and at each of the host code's own stream
// synchronizations (2 x 42, and the runner's), so no graph. 42 kernels: 15
// GEMVs (2 layers of 7, the classifier), 2 attentions and 25 generic ones.
// There were 79: element-wise fusion put each norm's normalization and gain,
// and RoPE's rotations, in one launch each (-5), and a GEMV's input whose K
// needs no padding is no longer copied first (-13). Then 61: per layer, the
// transposes to the attention's layout fused into RoPE (q, k), RoPE of k and
// the transpose of v write the KV cache in place instead of a copy each,
// and each norm's sum of squares starts from its fill's value instead of a
// fill kernel (6 a layer, and the final norm's fill: -13). Then 48: the
// attention writes its output in the layout the output projection reads
// (-1 a layer), and 46: the GEMVs of the output projection and of the
// FFN's down projection add the residual themselves (-2 a layer).
// RUN: env MXC_FAKE_CUDA_AUDIT=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/model.so %t/w4.ref --no-graph 2>&1 | FileCheck %s --check-prefix=NOGRAPH
// NOGRAPH-DAG: per decoded token (steps 2 to 4): 42.0 kernels, 0.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// NOGRAPH-DAG: decode steps as CUDA graphs: no (--no-graph)
// NOGRAPH-DAG: 1 streams created; 0 graph launches of 0 graphs instantiated
// RUN: env MXC_FAKE_CUDA_AUDIT=1 MXC_CUDA_SYNC=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/model.so %t/w4.ref 2>&1 | FileCheck %s --check-prefix=SYNC
// SYNC-DAG: per decoded token (steps 2 to 4): 42.0 kernels, 0.0 graph launches, 85.0 synchronizations
// SYNC-DAG: decode steps as CUDA graphs: no (the driver lacks graphs, or MXC_CUDA_SYNC is set)

// The runner's model code without a GPU: the GPU path as CPU loops, linked
// the same way.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --target=cuda-on-cpu --emit=obj -o %t/on-cpu.o
// RUN: ld.lld -shared -o %t/on-cpu.so %t/on-cpu.o
// RUN: mxc-gpu-runner model %t/on-cpu.so %t/w4.ref --cpu | FileCheck %s --check-prefix=CPU
// CPU: prefill logits of 4 tokens match the reference: max |difference| {{.*}} (limit 2.0e-03)
// CPU: decode logits of 4 tokens match the reference
// CPU: | model | load s | prefill 256 tokens, ms | prefill tokens/s | decode 256 tokens one by one, tokens/s |
// A reference from another recipe does not match.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --save-logits %t/float.ref
// RUN: not mxc-gpu-runner model %t/on-cpu.so %t/float.ref --cpu | FileCheck %s --check-prefix=DIFFER
// DIFFER: prefill logits of 4 tokens DIFFER from the reference

// Errors.
// RUN: not mxc-gpu-runner model %t/on-cpu.so %t/on-cpu.o --cpu 2>&1 | FileCheck %s --check-prefix=BADREF
// BADREF: mxc-gpu-runner model: '{{.*}}on-cpu.o': not a logits file from mxc-run --save-logits
// RUN: not mxc-gpu-runner model %t/missing.so %t/w4.ref --cpu 2>&1 | FileCheck %s --check-prefix=NOLIB
// NOLIB: mxc-gpu-runner model: cannot load '{{.*}}missing.so'
// RUN: not mxc-compile %t/example/model.bin --target=cuda --report --eval %mxc_src_root/examples/story.txt -o %t/x.o 2>&1 | FileCheck %s --check-prefix=EVAL
// EVAL: mxc-compile: --eval runs the compiled model on this machine's CPU, which a model compiled for CUDA cannot do
// RUN: not mxc-compile %t/example/model.bin --target=cuda --chip=sm_1 -o %t/x.o 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: mxc-compile: compilation failed (compiling the kernels for CUDA sm_1 (ptxas))
