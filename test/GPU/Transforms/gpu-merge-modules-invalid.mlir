// mxc-gpu-merge-modules refuses what it cannot merge.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-merge-modules

// expected-error @below {{mxc-gpu-merge-modules: the module already has a symbol 'mxc_model'}}
module attributes {gpu.container_module} {
  func.func private @mxc_model()
  gpu.module @a {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @a {
    memref.global "private" constant @w : memref<2xf32> = dense<1.0>
  }
  gpu.module @b {
    // expected-error @below {{mxc-gpu-merge-modules: two different 'w'}}
    memref.global "private" constant @w : memref<2xf32> = dense<2.0>
  }
}
