// mxc-gpu-device-constants: a module that declares the runtime's function
// with another type is an error, not a call of the wrong function.

// RUN: mxc-opt %s --verify-diagnostics --mxc-gpu-device-constants

module {
  // expected-error @below {{redefinition of function 'mxc_cuda_device_constant' of different type '!llvm.func<ptr (ptr, i64)>' is prohibited}}
  llvm.func @mxc_cuda_device_constant(!llvm.ptr) -> !llvm.ptr
  llvm.mlir.global private constant @w(dense<1.0> : tensor<4xf32>) {addr_space = 0 : i32} : !llvm.array<4 x f32>
  llvm.func @use(!llvm.ptr)
  llvm.func @host() {
    %w = llvm.mlir.addressof @w : !llvm.ptr
    llvm.call @use(%w) : (!llvm.ptr) -> ()
    llvm.return
  }
}
