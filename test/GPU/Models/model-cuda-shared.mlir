// The shared stories260K model compiled for CUDA (w4a8-smooth-gptq-sm2, as
// in the GPU bundle), its host side run against the fake libcuda in audit
// mode: every kernel found, every launch within the hardware limits, every
// buffer freed, one stream; per decoded token after the first, one
// synchronization, no device allocation, three copies (the token and the
// position in, the logits out); the steps after the second replay its CUDA
// graph as captured. (Its logits: model-cuda-emulated.mlir.)
// REQUIRES: shared-models, ptxas

// RUN: rm -rf %t && mkdir -p %t
// RUN: mxc-compile %shared/models/stories260K/stories260K.bin --recipe w4a8-smooth-gptq-sm2 --calibrate %shared/data/tinystories_calib.txt --calibration-windows 2 --target=cuda --chip=sm_90 --cuda-toolkit=%cuda_toolkit -o %t/model.o
// RUN: ld.lld -shared -o %t/model.so %t/model.o
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --prompt "Once upon a time" --save-logits %t/float.ref
// RUN: env MXC_FAKE_CUDA_AUDIT=1 LD_LIBRARY_PATH=%fake_cuda_dir not mxc-gpu-runner model %t/model.so %t/float.ref 2>&1 | FileCheck %s
// CHECK-DAG: device: fake CUDA device (CPU)
// CHECK-DAG: fake CUDA audit: {{[1-9][0-9]*}} launches of kernels it cannot run, 0 outside the launch limits; {{[1-9][0-9]*}} device allocations, 0 not freed; 1 streams created; {{[1-9][0-9]*}} graph launches of 1 graphs instantiated
// CHECK-DAG: per decoded token (steps 2 to {{[0-9]+}}): {{[1-9][0-9.]*}} kernels, 1.0 graph launches, 1.0 synchronizations, 0.0 device allocations, 3.0 copies
// CHECK-DAG: decode steps 2 to {{[0-9]+}} as CUDA graphs: 1 instantiated, {{[1-9][0-9]*}} replayed as captured (the position in device memory)
