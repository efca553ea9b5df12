// mxc-gpu-mx-kernels refuses what it does not know, with one error each.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-mx-kernels="target=cpu"
// RUN: not mxc-opt %s --mxc-gpu-mx-kernels="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: for the --target option: Cannot find option named 'tpu'!
// RUN: not mxc-opt %s --mxc-gpu-mx-kernels="target=cuda chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: mxc-gpu-mx-kernels: chip must be sm_XY, not 'gfx90a'

// expected-error @below {{mxc-gpu-mx-kernels: not a GEMV mxc knows}}
func.func private @mxc_gemv_mxfp5_b1(memref<?xi32>, memref<?xi8>, memref<?xf32>, memref<?xf32>, index, index, index)

// -----

// expected-error @below {{mxc-gpu-mx-kernels: not a GEMV mxc knows}}
func.func private @mxc_gemv_mxfp4_b32(memref<?xi32>, memref<?xi8>, memref<?xf32>, memref<?xf32>, index, index, index)

// -----

// expected-error @below {{mxc-gpu-mx-kernels: not a GEMV mxc knows}}
func.func private @mxc_gemv_mxfp4_b1(memref<?xi32>, memref<?xi8>, memref<?xf32>, index, index, index)

// -----

// expected-error @below {{mxc-gpu-mx-kernels: not an attention mxc knows}}
func.func private @mxc_attention_d20(memref<?xf32>, memref<?xf32, strided<[1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>, memref<?xf32>, index, index, index, index, index, index, f32, memref<1xi64>)

// -----

// expected-error @below {{mxc-gpu-mx-kernels: not an attention mxc knows}}
func.func private @mxc_attention_d16(memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, index, index, index, index, f32)
