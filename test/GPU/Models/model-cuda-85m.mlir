// A random-weight model of realistic size (85M parameters: dim 768, FFN
// 2048, 12 layers, 12 heads, vocabulary 512), MXFP4, compiled for CUDA. Its
// 47 MB of weights stay in the host object (a cubin holding them is not
// needed) and go to device memory once. Its host side runs against the fake
// libcuda in audit mode: every kernel found, every launch within the
// hardware limits, the host never touching device memory, every buffer and
// weight freed; per decoded token after the first, one synchronization, no
// device allocation, three copies (the token and the position in, the
// logits out); the steps after the second replay its CUDA graph as captured.
// REQUIRES: ptxas

// RUN: rm -rf %t && mkdir -p %t
// RUN: mxc-example-model %t --seed 7 --dim 768 --hidden-dim 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 512 --seq-len 256 > /dev/null
// RUN: mxc-compile %t/model.bin --recipe w4 --target=cuda --chip=sm_90 --cuda-toolkit=%cuda_toolkit -o %t/model.o
// RUN: ld.lld -shared -o %t/model.so %t/model.o
// RUN: mxc-run %t/model.bin --recipe w4 --prompt "Once upon" --save-logits %t/w4.ref
// RUN: env MXC_FAKE_CUDA_AUDIT=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/model.so %t/w4.ref 2>&1 | FileCheck %s
// CHECK-DAG: device: fake CUDA device (CPU)
// CHECK-DAG: fake CUDA audit: {{[1-9][0-9]*}} launches of kernels it cannot run, 0 outside the launch limits; {{[1-9][0-9]*}} device allocations, 0 not freed; 1 streams created; {{[1-9][0-9]*}} graph launches of 1 graphs instantiated
// The weights in device memory: 12 layers of 4 * 768^2 + 3 * 768 * 2048
// weights and a 512 x 768 classifier in MXFP4 (4.25 bits a weight:
// 45.33 MB), the 512 x 768 float embedding table (1.57 MB); the norms'
// gains (3 KB each) are in the cubin.
// CHECK-DAG: weights: {{[0-9]+}} constants, 46.9 MB, uploaded to device memory once
// CHECK-DAG: per decoded token (steps 2 to {{[0-9]+}}): {{[1-9][0-9.]*}} kernels, 1.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// CHECK-DAG: decode steps 2 to {{[0-9]+}} as CUDA graphs: 1 instantiated, {{[1-9][0-9]*}} replayed as captured (the position in device memory)
// RUN: rm -rf %t
