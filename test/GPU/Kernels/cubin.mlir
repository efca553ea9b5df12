// REQUIRES: ptxas
// Every kernel assembles with the toolkit's ptxas for sm_80 and sm_90,
// through gpu-module-to-binary (format=bin); the GEMV and softmax kernels
// without spills (the d-128 sparse attention spills 16 bytes).

// RUN: mxc-kernels --chip=sm_80 --format=bin --batches=1,4,16 --softmax-bits=0,2,3,4 --attention-head-dims=64,128 --toolkit=%cuda_toolkit -o %t.sm80.cubin
// RUN: od -An -tx1 -N4 %t.sm80.cubin | FileCheck %s --check-prefix=ELF
// RUN: mxc-kernels --chip=sm_90 --format=bin --batches=1,4,16 --softmax-bits=0,2,3,4 --attention-head-dims=64,128 --toolkit=%cuda_toolkit -o %t.sm90.cubin
// RUN: od -An -tx1 -N4 %t.sm90.cubin | FileCheck %s --check-prefix=ELF
// ELF: 7f 45 4c 46

// RUN: mxc-kernels --chip=sm_90 --batches=1,16 --softmax-bits=0,2 -o %t.ptx
// RUN: %ptxas -arch=sm_90 -v %t.ptx -o %t.o 2>&1 | FileCheck %s --check-prefix=SPILL
// ptxas reports the entries last to first.
// SPILL-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL: Compiling entry function 'mx_softmax_exaq2' for 'sm_90'
// SPILL-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL: Compiling entry function 'mx_gemv_mxfp8_e4m3_b1' for 'sm_90'
// SPILL-NOT: {{[1-9][0-9]*}} bytes spill
