// REQUIRES: ptxas
// Every kernel assembles with the toolkit's ptxas for sm_80 and sm_90,
// through gpu-module-to-binary (format=bin); the GEMV and softmax kernels
// without spills.

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

// The tensor-core GEMMs of every format, at sm_80 and sm_90: no spills
// (with .maxnreg 128; ptxas's own target spilled native E4M3 at sm_90).
// RUN: mxc-kernels --chip=sm_90 --gemm -o %t.gemm90.ptx
// RUN: %ptxas -arch=sm_90 -v %t.gemm90.ptx -o %t.gemm90.o 2>&1 | FileCheck %s --check-prefix=GEMM
// RUN: mxc-kernels --chip=sm_80 --gemm -o %t.gemm80.ptx
// RUN: %ptxas -arch=sm_80 -v %t.gemm80.ptx -o %t.gemm80.o 2>&1 | FileCheck %s --check-prefix=GEMM
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxint8'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxfp4'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxfp6_e3m2'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxfp6_e2m3'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxfp8_e5m2'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill
// GEMM: Compiling entry function 'mx_gemm_mxfp8_e4m3'
// GEMM-NOT: {{[1-9][0-9]*}} bytes spill

// The attention kernels read the heads' q from shared memory at every tile
// (a warp barrier keeps LLVM from hoisting G * D values into registers):
// no spills at d = 64 and 128 for 1, 2 or 4 query heads a block, whole or
// split across the keys, where hoisting spilled 8 to 864 bytes; except
// that ptxas keeps the sparse d-128 split kernel at 56 registers and
// spills 8 bytes there.
// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxfp4 --attention-head-dims=64,128 --attention-group-heads=1,2,4 --attention-split-keys -o %t.att.ptx
// RUN: %ptxas -arch=sm_90 -v %t.att.ptx -o %t.att.o 2>&1 | FileCheck %s --check-prefix=GQA
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_merge_d128' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128_q4_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128_q4' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128_q4_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128_q4' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128_q2_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128_q2' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128_q2_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128_q2' for 'sm_90'
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128_split' for 'sm_90'
// GQA-NEXT: Function properties for mx_attention_decode_sparse_d128_split
// GQA-NEXT: 8 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d128' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d128' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_merge_d64' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64_q4_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64_q4' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64_q4_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64_q4' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64_q2_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64_q2' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64_q2_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64_q2' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_sparse_d64' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64_split' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_attention_decode_dense_d64' for 'sm_90'
// GQA-NOT: {{[1-9][0-9]*}} bytes spill
// GQA: Compiling entry function 'mx_gemv_mxfp4_b1' for 'sm_90'
