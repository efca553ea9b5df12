// mxc-gpu-emulate: each kernel (and device function) of the gpu.modules
// becomes the CPU function of one thread, its position as trailing index
// arguments (block x, block y, grid x, grid y, thread x, block size x);
// workgroup buffers become globals, barriers and shuffles calls of the
// emulator through hooks it sets, calls of device functions pass the
// position on. mxc-gpu-emulate-entries then adds the emulator's entry and
// the parameters' sizes. (runner-emulated.mlir and
// model-cuda-emulated.mlir run such code.)

// RUN: mxc-opt %s --mxc-gpu-emulate | FileCheck %s
// RUN: mxc-opt %s --mxc-gpu-emulate="keep=true" | FileCheck %s --check-prefix=KEEP
// RUN: mxc-opt %s --mxc-gpu-emulate --convert-to-llvm --reconcile-unrealized-casts --mxc-gpu-emulate-entries | FileCheck %s --check-prefix=ENTRY

// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @mxc_emu_set_hooks(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: func.func private @mxc_emu_fn_barrier()
// CHECK: llvm.call %{{.*}}() : !llvm.ptr, () -> ()
// CHECK: func.func private @mxc_emu_fn_shuffle(%{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) -> i32
// The device function takes the position and keeps its result; an idx
// shuffle is mode 3, of the value's bits.
// CHECK: func.func @mxc_emu_fn_helper(%{{.*}}: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[T:.*]]: index, %{{.*}}: index) -> f32
// CHECK: %[[LANE:.*]] = arith.index_cast %[[T]] : index to i32
// CHECK: call @mxc_emu_fn_shuffle(%{{.*}}, %[[LANE]], %c32_i32, %c3_i32)
// CHECK: func.func @mxc_emu_k(%[[OUT:.*]]: memref<?xf32>, %[[BX:.*]]: index, %[[BY:.*]]: index, %[[GX:.*]]: index, %[[GY:.*]]: index, %[[TX:.*]]: index, %[[NX:.*]]: index) attributes {mxc.emulated_kernel}
// CHECK: %[[SHARED:.*]] = memref.get_global @mxc_emu_k_shared0 : memref<8xf32>
// CHECK: %[[LID:.*]] = arith.remui %[[TX]], %c32
// The host's table of the same name.
// CHECK: memref.get_global @table : memref<4xf32>
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: call @mxc_emu_fn_barrier()
// CHECK: call @mxc_emu_fn_shuffle(%{{.*}}, %c1_i32, %c32_i32, %c0_i32)
// A warp barrier: the warp's lanes meet at a shuffle (idx, mode 3) whose
// result nobody reads.
// CHECK: call @mxc_emu_fn_shuffle(%{{.*}}, %{{.*}}, %c32_i32{{.*}}, %c3_i32{{.*}}) : (i32, i32, i32, i32) -> i32
// CHECK-NOT: nvvm.bar.warp.sync
// A ballot: the predicate as 0 or 1 to a meeting in mode 4.
// CHECK: %[[BIT:.*]] = arith.extui %{{.*}} : i1 to i32
// CHECK: call @mxc_emu_fn_shuffle(%[[BIT]], %{{.*}}, %c32_i32{{.*}}, %c4_i32) : (i32, i32, i32, i32) -> i32
// CHECK-NOT: nvvm.vote.sync
// CHECK: call @mxc_emu_fn_helper(%{{.*}}, %[[BX]], %[[BY]], %[[GX]], %[[GY]], %[[TX]], %[[NX]])
// thread x + block y + block size x + grid x + lane
// CHECK: %[[A:.*]] = arith.addi %[[TX]], %[[BY]]
// CHECK: %[[B:.*]] = arith.addi %[[A]], %[[NX]]
// CHECK: %[[C:.*]] = arith.addi %[[B]], %[[GX]]
// CHECK: arith.addi %[[C]], %[[LID]]
// CHECK: memref.global "private" @mxc_emu_k_shared0 : memref<8xf32>

// KEEP: gpu.module @kernels
// KEEP: gpu.func @k(
// KEEP: func.func @mxc_emu_k(

// The entry reads the kernel's 5 parameters (a memref descriptor) from the
// array and passes the position on; the sizes table: 5 parameters of 8 bytes.
// ENTRY-LABEL: llvm.func @mxc_emu_entry_k(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// ENTRY-COUNT-5: llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// ENTRY: llvm.call @mxc_emu_k(
// ENTRY: llvm.mlir.global external constant @mxc_emu_param_sizes_k(dense<[5, 8, 8, 8, 8, 8]> : tensor<6xi32>)
// ENTRY-NOT: @mxc_emu_entry_fn_helper
module attributes {gpu.container_module} {
  memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
  gpu.module @kernels {
    memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
    func.func @helper(%x: f32) -> f32 {
      %t = gpu.thread_id x
      %i = arith.index_cast %t : index to i32
      %c32 = arith.constant 32 : i32
      %r, %v = gpu.shuffle idx %x, %i, %c32 : f32
      return %r : f32
    }
    gpu.func @k(%out: memref<?xf32>) workgroup(%s : memref<8xf32, #gpu.address_space<workgroup>>) kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      %t = gpu.thread_id x
      %b = gpu.block_id y
      %n = gpu.block_dim x
      %g = gpu.grid_dim x
      %l = gpu.lane_id
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %tab = memref.get_global @table : memref<4xf32>
      %c0 = arith.constant 0 : index
      %v = memref.load %tab[%c0] : memref<4xf32>
      memref.store %v, %s[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %s[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
      %x, %ok = gpu.shuffle xor %w, %c1, %c32 : f32
      %all = arith.constant -1 : i32
      nvvm.bar.warp.sync %all : i32
      %odd = arith.cmpi ne, %c1, %c32 : i32
      %votes = nvvm.vote.sync ballot %all, %odd -> i32
      %y = func.call @helper(%x) : (f32) -> f32
      %i = arith.addi %t, %b : index
      %j = arith.addi %i, %n : index
      %k = arith.addi %j, %g : index
      %m = arith.addi %k, %l : index
      memref.store %y, %out[%m] : memref<?xf32>
      gpu.return
    }
  }
}

