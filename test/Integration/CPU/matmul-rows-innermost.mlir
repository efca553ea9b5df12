// convert-mxc-to-linalg{matmul-rows-innermost} (what the calibration model
// uses) loops over a matmul's rows innermost; every output is still the same
// f32 sum in k order, so the printed bit patterns equal the default order's,
// for MX weights with float and MX activations, and for float weights. 5
// rows, K = 172 (a partial last block).

// RUN: mxc-testgen matmul --weight=mxfp4 --act=none --m 5 > %t.fp4.mlir
// RUN: mxc-opt %t.fp4.mlir --mxc-lower-to-llvm | %run-cpu > %t.fp4.out
// RUN: mxc-opt %t.fp4.mlir --mxc-lower-to-llvm=matmul-rows-innermost=true | %run-cpu > %t.fp4.rows.out
// RUN: cmp %t.fp4.out %t.fp4.rows.out
// RUN: mxc-testgen matmul --weight=mxfp4 --act=none --m 5 --check=%t.fp4.rows.out | FileCheck %s --check-prefix=FP4
// FP4: weight=mxfp4 act=none: all 80 of 80 values within tolerance

// RUN: mxc-testgen matmul --weight=mxfp6_e3m2 --act=mxfp8_e4m3 --m 5 > %t.e3m2.mlir
// RUN: mxc-opt %t.e3m2.mlir --mxc-lower-to-llvm | %run-cpu > %t.e3m2.out
// RUN: mxc-opt %t.e3m2.mlir --mxc-lower-to-llvm=matmul-rows-innermost=true | %run-cpu > %t.e3m2.rows.out
// RUN: cmp %t.e3m2.out %t.e3m2.rows.out

// RUN: mxc-testgen matmul --weight=mxint8 --act=mxint8 --m 5 > %t.int8.mlir
// RUN: mxc-opt %t.int8.mlir --mxc-lower-to-llvm | %run-cpu > %t.int8.out
// RUN: mxc-opt %t.int8.mlir --mxc-lower-to-llvm=matmul-rows-innermost=true | %run-cpu > %t.int8.rows.out
// RUN: cmp %t.int8.out %t.int8.rows.out

// Float weights: the same program with the matmul reading the f32 weight.
// RUN: sed -e 's/%0 = mxc.quantize .*//' -e 's/mxc.matmul %cst, %0 : tensor<5x172xf32>, !mxc.mx<16x172xf4E2M1FN>/mxc.matmul %cst, %cst_0 : tensor<5x172xf32>, tensor<16x172xf32>/' %t.fp4.mlir > %t.f32.mlir
// RUN: FileCheck %s --check-prefix=F32IR < %t.f32.mlir
// F32IR: mxc.matmul %cst, %cst_0 : tensor<5x172xf32>, tensor<16x172xf32>
// RUN: mxc-opt %t.f32.mlir --mxc-lower-to-llvm | %run-cpu > %t.f32.out
// RUN: mxc-opt %t.f32.mlir --mxc-lower-to-llvm=matmul-rows-innermost=true | %run-cpu > %t.f32.rows.out
// RUN: cmp %t.f32.out %t.f32.rows.out
// RUN: not cmp %t.f32.out %t.fp4.out

// The rows-innermost form: the input and the result transposed around the
// reduction.
// RUN: mxc-opt %t.f32.mlir --mxc-lower-to-linalg=matmul-rows-innermost=true | FileCheck %s --check-prefix=ROWS
// ROWS: linalg.transpose
// ROWS: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction", "parallel"]
// ROWS: linalg.transpose
