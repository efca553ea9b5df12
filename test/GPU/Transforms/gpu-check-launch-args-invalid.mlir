// mxc-gpu-check-launch-args: a kernel may get the caller's buffers, device
// allocations, constant globals (the runtime uploads them:
// mxc-gpu-device-constants) and views of them, but not mutable host globals
// or the host stack.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-check-launch-args

module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @fine(%arg: memref<4x8xf32>, %n: index) {
    %c1 = arith.constant 1 : index
    %flat = memref.collapse_shape %arg [[0, 1]] : memref<4x8xf32> into memref<32xf32>
    %a = memref.cast %flat : memref<32xf32> to memref<?xf32>
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?xf32>)
    %b = memref.alloc(%n) : memref<?xf32>
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<?xf32>)
    memref.dealloc %b : memref<?xf32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  memref.global "private" constant @w : memref<4xf32> = dense<1.0>
  gpu.module @m {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @constant_global() {
    %c1 = arith.constant 1 : index
    %w = memref.get_global @w : memref<4xf32>
    %a = memref.cast %w : memref<4xf32> to memref<?xf32>
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?xf32>)
    return
  }
}

// -----

module attributes {gpu.container_module} {
  memref.global "private" @w : memref<4xf32> = dense<1.0>
  gpu.module @m {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @host_global() {
    %c1 = arith.constant 1 : index
    %w = memref.get_global @w : memref<4xf32>
    %a = memref.cast %w : memref<4xf32> to memref<?xf32>
    // expected-error @below {{mxc-gpu-check-launch-args: kernel operand #0 comes from 'memref.get_global', memory the GPU cannot reach}}
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?xf32>)
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @host_stack() {
    %c1 = arith.constant 1 : index
    %s = memref.alloca() : memref<4xf32>
    %a = memref.cast %s : memref<4xf32> to memref<?xf32>
    // expected-error @below {{comes from 'memref.alloca', memory the GPU cannot reach}}
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?xf32>)
    return
  }
}
