// Models compiled for CUDA, run without a GPU with their own kernels:
// mxc-compile --target=cuda --emulated-kernels also compiles the model's
// kernels for this CPU (mxc-gpu-emulate), and the CPU stand-in for libcuda
// (test/lib/FakeCuda) with MXC_FAKE_CUDA_EMULATE=1 runs each launch with
// them, every block's threads as fibers that meet at barriers and warp
// shuffles as on a GPU. So the whole CUDA path runs here: the host code
// (device memory, the weights' device copies, launches on one stream, the
// decode steps as CUDA graphs, captured with their parameters and replayed
// with the position in device memory), the GEMV and attention kernels and the generated ones; the
// logits are checked against the CPU path's (mxc-run --save-logits). What
// it cannot show: PTX code generation (ptxas builds the cubin from the
// same IR), timing, misaligned vector loads (the CPU tolerates them), and
// data races (threads interleave only at barriers and shuffles).
// REQUIRES: ptxas
// UNSUPPORTED: sanitized

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null

// The example model in MXFP4; decode steps as graphs, and launch by launch.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --target=cuda --emulated-kernels --cuda-toolkit=%cuda_toolkit -o %t/w4.o
// RUN: ld.lld -shared -o %t/w4.so %t/w4.o
// RUN: llvm-nm %t/w4.o | FileCheck %s --check-prefix=SYMBOLS
// SYMBOLS-DAG: T mxc_emu_entry_mx_attention_decode_dense_d16_q2{{$}}
// SYMBOLS-DAG: T mxc_emu_entry_decode_kernel
// SYMBOLS-DAG: R mxc_emu_param_sizes_mx_attention_decode_dense_d16_q2{{$}}
// SYMBOLS-DAG: T mxc_emu_set_hooks
// SYMBOLS-DAG: T mxc_emu_entry_mx_gemm_mxfp4{{$}}
// RUN: mxc-run %t/example/model.bin --recipe w4 --prompt "Hi!" --save-logits %t/w4.ref
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/w4.so %t/w4.ref --check-only 2>&1 | FileCheck %s --check-prefix=W4
// W4-DAG: fake CUDA emulator: {{[1-9][0-9]*}} launches of mxc's kernels emulated
// W4-DAG: per decoded token (steps 2 to 4): 42.0 kernels, 1.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// W4-DAG: decode steps 2 to 4 as CUDA graphs: 1 instantiated, 2 replayed as captured (the position in device memory)
// W4-DAG: prefill logits of 4 tokens match the reference
// W4-DAG: decode logits of 4 tokens match the reference
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/w4.so %t/w4.ref --check-only --no-graph 2>&1 | FileCheck %s --check-prefix=NOGRAPH
// NOGRAPH-DAG: decode steps as CUDA graphs: no (--no-graph)
// NOGRAPH-DAG: prefill logits of 4 tokens match the reference
// NOGRAPH-DAG: decode logits of 4 tokens match the reference

// A prompt of 17 tokens: its matmuls run on the tensor-core GEMM (16 rows
// or more), which rounds x to bf16 (2^-9 relative): the prefill logits
// within 0.1 of the CPU path's f32 sums (their spread is about 1) and the
// same top token at every position; the decode, one row at a time, is the
// GEMV's f32 as before. Compiled with --tensor-cores=false, the prefill is
// the f32 GEMV's again.
// RUN: mxc-run %t/example/model.bin --recipe w4 --prompt "Once upon a time" --save-logits %t/w4-17.ref
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/w4.so %t/w4-17.ref --check-only --prefill-tolerance 0.1 2>&1 | FileCheck %s --check-prefix=GEMM
// GEMM-DAG: prefill logits of 17 tokens match the reference: max |difference| {{.*}} (limit 1.0e-01); the same top token at 17
// GEMM-DAG: decode logits of 17 tokens match the reference: max |difference| {{.*}} (limit 2.0e-03); the same top token at 17
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/w4.so %t/w4-17.ref --check-only 2>&1 | FileCheck %s --check-prefix=GEMMF32
// GEMMF32: prefill logits of 17 tokens DIFFER from the reference
// RUN: mxc-compile %t/example/model.bin --recipe w4 --target=cuda --tensor-cores=false --emulated-kernels --cuda-toolkit=%cuda_toolkit -o %t/w4-gemv.o
// RUN: ld.lld -shared -o %t/w4-gemv.so %t/w4-gemv.o
// RUN: llvm-nm %t/w4-gemv.o | FileCheck %s --check-prefix=NOTC
// NOTC-NOT: mx_gemm
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/w4-gemv.so %t/w4-17.ref --check-only 2>&1 | FileCheck %s --check-prefix=F32
// F32: prefill logits of 17 tokens match the reference

// A context of 1024 keys: each decode step's attention splits the keys
// across blocks (its 2 blocks a layer over 16 tiles: 4 splits) and merges
// them, one kernel more a layer; the same logits.
// RUN: mxc-example-model %t/long --seq-len 1024 > /dev/null
// RUN: mxc-compile %t/long/model.bin --recipe w4 --target=cuda --emulated-kernels --cuda-toolkit=%cuda_toolkit -o %t/long.o
// RUN: ld.lld -shared -o %t/long.so %t/long.o
// RUN: llvm-nm %t/long.o | FileCheck %s --check-prefix=SPLITSYMBOLS
// SPLITSYMBOLS-DAG: T mxc_emu_entry_mx_attention_decode_dense_d16_q2_split{{$}}
// SPLITSYMBOLS-DAG: T mxc_emu_entry_mx_attention_merge_d16{{$}}
// RUN: mxc-run %t/long/model.bin --recipe w4 --prompt "Hi!" --save-logits %t/long.ref
// RUN: env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/long.so %t/long.ref --check-only 2>&1 | FileCheck %s --check-prefix=SPLIT
// SPLIT-DAG: per decoded token (steps 2 to 4): 44.0 kernels, 1.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// SPLIT-DAG: decode steps 2 to 4 as CUDA graphs: 1 instantiated, 2 replayed as captured (the position in device memory)
// SPLIT-DAG: prefill logits of 4 tokens match the reference
// SPLIT-DAG: decode logits of 4 tokens match the reference

// Without its kernels for the emulator, the stand-in cannot run the model:
// the logits differ (unwritten outputs).
// RUN: mxc-compile %t/example/model.bin --recipe w4 --target=cuda --cuda-toolkit=%cuda_toolkit -o %t/plain.o
// RUN: ld.lld -shared -o %t/plain.so %t/plain.o
// RUN: env MXC_FAKE_CUDA_EMULATE=1 MXC_FAKE_CUDA_AUDIT=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/plain.so %t/w4.ref --check-only 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN: DIFFER from the reference

// The shared trained model with MXFP4 weights, MXFP8 activations and a
// 2-bit EXAQ softmax: the same logits as the CPU path, bit for bit.
// RUN: %if shared-models %{ mxc-compile %shared/models/stories260K/stories260K.bin --recipe w4a8-smooth-gptq-sm2 --calibrate %shared/data/tinystories_calib.txt --calibration-windows 2 --target=cuda --emulated-kernels --cuda-toolkit=%cuda_toolkit -o %t/shared.o %}
// RUN: %if shared-models %{ ld.lld -shared -o %t/shared.so %t/shared.o %}
// RUN: %if shared-models %{ mxc-run %shared/models/stories260K/stories260K.bin --recipe w4a8-smooth-gptq-sm2 --calibrate %shared/data/tinystories_calib.txt --calibration-windows 2 --prompt "Once upon a time" --save-logits %t/shared.ref %}
// RUN: %if shared-models %{ env MXC_FAKE_CUDA_EMULATE=1 LD_LIBRARY_PATH=%fake_cuda_dir mxc-gpu-runner model %t/shared.so %t/shared.ref --check-only 2>&1 | FileCheck %s --check-prefix=SHARED %}
// SHARED-DAG: prefill logits of 5 tokens match the reference: max |difference| 0.000e+00
// SHARED-DAG: decode logits of 5 tokens match the reference: max |difference| 0.000e+00
