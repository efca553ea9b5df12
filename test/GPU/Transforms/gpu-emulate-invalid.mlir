// mxc-gpu-emulate refuses what its emulator would not run as on a GPU, with
// one error each.

// RUN: mxc-opt %s --split-input-file --verify-diagnostics --mxc-gpu-emulate

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{mxc-gpu-emulate: private attributions are not emulated}}
    gpu.func @private_buffer() private(%p : memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @validity(%out: memref<?xi1>) kernel {
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %x = arith.constant 1.0 : f32
      // expected-error @below {{mxc-gpu-emulate: a shuffle's validity is not emulated}}
      %r, %ok = gpu.shuffle down %x, %c1, %c32 : f32
      %c0 = arith.constant 0 : index
      memref.store %ok, %out[%c0] : memref<?xi1>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @cluster(%out: memref<?xindex>) kernel {
      // expected-error @below {{mxc-gpu-emulate: 'gpu.cluster_id' is not emulated}}
      %c = gpu.cluster_id x
      %c0 = arith.constant 0 : index
      memref.store %c, %out[%c0] : memref<?xindex>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @half_warp() kernel {
      %half = arith.constant 65535 : i32
      // expected-error @below {{mxc-gpu-emulate: a warp barrier of part of a warp is not emulated}}
      nvvm.bar.warp.sync %half : i32
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @any(%out: memref<?xi1>) kernel {
      %all = arith.constant -1 : i32
      %p = arith.constant true
      // expected-error @below {{mxc-gpu-emulate: only a ballot of the whole warp is emulated}}
      %r = nvvm.vote.sync any %all, %p -> i1
      %c0 = arith.constant 0 : index
      memref.store %r, %out[%c0] : memref<?xi1>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma_f16(%out: memref<?xf32>) kernel {
      %a = arith.constant dense<1.0> : vector<2xf16>
      %c = arith.constant 0.0 : f32
      // expected-error @below {{mxc-gpu-emulate: only mma.sync m16n8k16 of bf16 (row, col) into f32 is emulated}}
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%a, %a] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %e = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
      %c0 = arith.constant 0 : index
      memref.store %e, %out[%c0] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @x2(%out: memref<?xi32>) workgroup(%s : memref<64xi32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      // expected-error @below {{mxc-gpu-emulate: only an ldmatrix.x4 of a 1-D i32 buffer, not transposed, is emulated}}
      %v = nvgpu.ldmatrix %s[%c0] {numTiles = 2 : i32, transpose = false} : memref<64xi32, #gpu.address_space<workgroup>> -> vector<2x1xi32>
      %e = vector.extract %v[0, 0] : i32 from vector<2x1xi32>
      memref.store %e, %out[%c0] : memref<?xi32>
      gpu.return
    }
  }
}
