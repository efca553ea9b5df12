// The GPU path's MX matmul: convert-mxc-matmul-to-gpu makes each mxc.matmul a call
// of mxc's GEMV kernel on buffers (the weight's storage as words and scale
// bytes, the input zero-padded from K = 172 to 192), and
// mxc-gpu-mx-kernels{target=cpu} (in mxc-gpu-on-cpu) gives the callee the
// kernel's semantics as CPU loops around the kernel's own block decoder.
// Every format, f32 and MXFP8 activations, three rows (the 8-row prefill
// kernel) and one (the decode kernel), against the numerics library's
// float64 products within the f32 accumulation bound (K + 2) * 2^-24 *
// sum |x w| (see Integration/CPU/matmul-act-f32.mlir).

// DEFINE: %{gpu-path} = mxc-opt --convert-mxc-matmul-to-gpu --mxc-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline --convert-bufferization-to-memref --mxc-gpu-map-loops --convert-parallel-loops-to-gpu --mxc-gpu-on-cpu

// RUN: mxc-testgen matmul --weight=mxfp4 --act=none > %t.fp4.mlir
// RUN: %{gpu-path} %t.fp4.mlir | %run-cpu > %t.fp4.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=none --check=%t.fp4.out | FileCheck %s --check-prefix=FP4
// FP4: matmul 3x16x172 weight=mxfp4 act=none: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 -m 1 > %t.fp4a8.mlir
// RUN: %{gpu-path} %t.fp4a8.mlir | %run-cpu > %t.fp4a8.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=mxfp8_e4m3 -m 1 --check=%t.fp4a8.out | FileCheck %s --check-prefix=FP4A8
// FP4A8: matmul 1x16x172 weight=mxfp4 act=mxfp8_e4m3: all 16 of 16 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=none -m 1 > %t.e2m3.mlir
// RUN: %{gpu-path} %t.e2m3.mlir | %run-cpu > %t.e2m3.out
// RUN: mxc-testgen matmul --weight=mxfp6_e2m3 --act=none -m 1 --check=%t.e2m3.out | FileCheck %s --check-prefix=E2M3
// E2M3: matmul 1x16x172 weight=mxfp6_e2m3 act=none: all 16 of 16 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxfp8_e4m3 > %t.e3m2.mlir
// RUN: %{gpu-path} %t.e3m2.mlir | %run-cpu > %t.e3m2.out
// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxfp8_e4m3 --check=%t.e3m2.out | FileCheck %s --check-prefix=E3M2
// E3M2: matmul 3x16x172 weight=mxfp6_e3m2 act=mxfp8_e4m3: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=none > %t.e4m3.mlir
// RUN: %{gpu-path} %t.e4m3.mlir | %run-cpu > %t.e4m3.out
// RUN: mxc-testgen matmul --weight=mxfp8_e4m3 --act=none --check=%t.e4m3.out | FileCheck %s --check-prefix=E4M3
// E4M3: matmul 3x16x172 weight=mxfp8_e4m3 act=none: all 48 of 48 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=mxfp8_e4m3 -m 1 > %t.e5m2.mlir
// RUN: %{gpu-path} %t.e5m2.mlir | %run-cpu > %t.e5m2.out
// RUN: mxc-testgen matmul --weight=mxfp8_e5m2 --act=mxfp8_e4m3 -m 1 --check=%t.e5m2.out | FileCheck %s --check-prefix=E5M2
// E5M2: matmul 1x16x172 weight=mxfp8_e5m2 act=mxfp8_e4m3: all 16 of 16 values within tolerance

// RUN: mxc-testgen matmul --weight=mxint8 --act=none > %t.int8.mlir
// RUN: %{gpu-path} %t.int8.mlir | %run-cpu > %t.int8.out
// RUN: mxc-testgen matmul --weight=mxint8 --act=none --check=%t.int8.out | FileCheck %s --check-prefix=INT8
// INT8: matmul 3x16x172 weight=mxint8 act=none: all 48 of 48 values within tolerance

// The calls really are there (one per row count).
// RUN: mxc-opt %t.int8.mlir --convert-mxc-matmul-to-gpu | FileCheck %s --check-prefix=CALLS
// CALLS-COUNT-2: call @mxc_gemv_mxint8_b{{[18]}}(
// CALLS-NOT: mxc.matmul
