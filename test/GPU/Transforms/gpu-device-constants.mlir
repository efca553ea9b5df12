// mxc-gpu-device-constants: in host code lowered to the LLVM dialect, the
// address of a constant global with an elements initializer (a weight, a
// lowered memref.global) becomes its device copy from mxc's runtime,
// mxc_cuda_device_constant(address, bytes). Other globals keep their
// addresses: a string, a mutable global.

// RUN: mxc-opt %s --mxc-gpu-device-constants | FileCheck %s
// RUN: mxc-opt %s --mxc-gpu-device-constants --mxc-gpu-device-constants | FileCheck %s --check-prefix=TWICE

// CHECK: llvm.func @mxc_cuda_device_constant(!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.mlir.global private constant @w(dense<1.000000e+00> : tensor<4x8xf32>)
// CHECK: llvm.mlir.global private constant @codes(dense<3> : tensor<172x3xi8>)
// CHECK-LABEL: llvm.func @host(
// CHECK: %[[W:.+]] = llvm.mlir.addressof @w : !llvm.ptr
// CHECK: %[[WBYTES:.+]] = llvm.mlir.constant(128 : i64) : i64
// CHECK: %[[WDEV:.+]] = llvm.call @mxc_cuda_device_constant(%[[W]], %[[WBYTES]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK: %[[C:.+]] = llvm.mlir.addressof @codes : !llvm.ptr
// CHECK: %[[CBYTES:.+]] = llvm.mlir.constant(516 : i64) : i64
// CHECK: %[[CDEV:.+]] = llvm.call @mxc_cuda_device_constant(%[[C]], %[[CBYTES]])
// CHECK: %[[S:.+]] = llvm.mlir.addressof @name : !llvm.ptr
// CHECK: %[[M:.+]] = llvm.mlir.addressof @state : !llvm.ptr
// CHECK: %[[GEP:.+]] = llvm.getelementptr %[[WDEV]][1] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: llvm.call @use(%[[GEP]], %[[CDEV]], %[[S]], %[[M]])

// Once replaced, an address is the call's argument only: a second run adds
// no call.
// TWICE-COUNT-2: llvm.call @mxc_cuda_device_constant(
// TWICE-NOT: llvm.call @mxc_cuda_device_constant(

llvm.mlir.global private constant @w(dense<1.0> : tensor<4x8xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<4 x array<8 x f32>>
llvm.mlir.global private constant @codes(dense<3> : tensor<172x3xi8>) {addr_space = 0 : i32} : !llvm.array<172 x array<3 x i8>>
llvm.mlir.global private constant @name("kernel\00") {addr_space = 0 : i32}
llvm.mlir.global private @state(dense<0.0> : tensor<4xf32>) {addr_space = 0 : i32} : !llvm.array<4 x f32>
llvm.func @use(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
llvm.func @host() {
  %w = llvm.mlir.addressof @w : !llvm.ptr
  %c = llvm.mlir.addressof @codes : !llvm.ptr
  %s = llvm.mlir.addressof @name : !llvm.ptr
  %m = llvm.mlir.addressof @state : !llvm.ptr
  %p = llvm.getelementptr %w[1] : (!llvm.ptr) -> !llvm.ptr, f32
  llvm.call @use(%p, %c, %s, %m) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
  llvm.return
}
