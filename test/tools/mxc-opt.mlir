// mxc-opt behaves like mlir-opt: mxc next to every upstream dialect, and
// upstream passes act on mxc ops through their traits.

// RUN: mxc-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// DIALECTS: Available Dialects:
// DIALECTS-SAME: arith
// DIALECTS-SAME: gpu
// DIALECTS-SAME: linalg
// DIALECTS-SAME: mxc
// DIALECTS-SAME: nvvm

// RUN: mxc-opt --help | FileCheck %s --check-prefix=HELP
// HELP: mxc optimizer driver
// HELP: --canonicalize
// HELP: --gpu-module-to-binary

// mxc ops are Pure: CSE merges identical ones, canonicalize drops dead ones,
// and the MX type flows through upstream ops (scf.if, folded to arith.select).
// RUN: mxc-opt %s --cse --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @pure
// CHECK-SAME: (%[[X:.+]]: tensor<4x64xf32>)
func.func @pure(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // CHECK-NEXT: %[[Q:.+]] = mxc.quantize %[[X]]
  // CHECK-NEXT: %[[D:.+]] = mxc.dequantize %[[Q]]
  // CHECK-NEXT: return %[[D]]
  %q0 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  %q1 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  %unused = mxc.softmax %x : tensor<4x64xf32>
  %d = mxc.dequantize %q1 : !mxc.mx<4x64xf4E2M1FN> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// Different rounding modes are different computations: both stay.
// CHECK-LABEL: func.func @rounding_not_merged
// CHECK: mxc.quantize
// CHECK: mxc.quantize {{.*}} to_nearest_away
func.func @rounding_not_merged(%x: tensor<4x64xf32>) -> (!mxc.mx<4x64xi8>, !mxc.mx<4x64xi8>) {
  %a = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xi8>
  %b = mxc.quantize %x to_nearest_away : tensor<4x64xf32> -> !mxc.mx<4x64xi8>
  return %a, %b : !mxc.mx<4x64xi8>, !mxc.mx<4x64xi8>
}

// The same module lowers to the LLVM dialect; MX values cross scf.if and
// function boundaries as their storage (a data and a scales memref each).
// RUN: mxc-opt %s --mxc-lower-to-llvm | FileCheck %s --check-prefix=LLVM --implicit-check-not=mxc
// LLVM: llvm.func @pure(
// LLVM: llvm.func @rounding_not_merged(
// LLVM: llvm.func @through_scf(%{{.+}}: i1, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: i64, %{{.+}}: !llvm.ptr,

// CHECK-LABEL: func.func @through_scf
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : !mxc.mx<4x64xf8E4M3FN>
func.func @through_scf(%c: i1, %a: !mxc.mx<4x64xf8E4M3FN>, %b: !mxc.mx<4x64xf8E4M3FN>) -> !mxc.mx<4x64xf8E4M3FN> {
  %r = scf.if %c -> (!mxc.mx<4x64xf8E4M3FN>) {
    scf.yield %a : !mxc.mx<4x64xf8E4M3FN>
  } else {
    scf.yield %b : !mxc.mx<4x64xf8E4M3FN>
  }
  return %r : !mxc.mx<4x64xf8E4M3FN>
}
